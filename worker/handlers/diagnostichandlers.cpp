#include "diagnostichandlers.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonValue>
#include <QThread>

namespace hcm {

namespace {

class NoopHandler final : public JobHandler {
public:
    HandlerResult run(JobContext &) override { return HandlerResult::success({}); }
};

class SleepHandler final : public JobHandler {
public:
    HandlerResult run(JobContext &ctx) override
    {
        const int ms = ctx.payload().value(QStringLiteral("ms")).toInt(1000);
        const bool ignoreCancel = ctx.payload().value(QStringLiteral("ignore_cancel")).toBool(false);
        QElapsedTimer timer;
        timer.start();
        if (ignoreCancel) {
            while (timer.elapsed() < ms)
                QThread::msleep(5);
        } else if (!ctx.sleepFor(ms)) {
            return HandlerResult::failure(
                QCoreApplication::translate("hcm::SleepHandler", "Stopped after %1 ms of %2 ms.").arg(timer.elapsed()).arg(ms));
        }
        return HandlerResult::success(QJsonObject{{QStringLiteral("slept_ms"), qint64(timer.elapsed())}});
    }
};

class FailHandler final : public JobHandler {
public:
    HandlerResult run(JobContext &ctx) override
    {
        const QString message = ctx.payload().value(QStringLiteral("message")).toString(
            QStringLiteral("planned failure"));
        const bool permanent = ctx.payload().value(QStringLiteral("permanent")).toBool(false);
        return HandlerResult::failure(message, !permanent);
    }
};

} // namespace

void registerDiagnosticHandlers(HandlerRegistry &registry)
{
    registry.add(QStringLiteral("test.noop"), std::make_shared<NoopHandler>());
    registry.add(QStringLiteral("test.sleep"), std::make_shared<SleepHandler>());
    registry.add(QStringLiteral("test.fail"), std::make_shared<FailHandler>());
}

} // namespace hcm
