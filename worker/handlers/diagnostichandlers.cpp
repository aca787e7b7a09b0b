#include "diagnostichandlers.h"

#include "db/database.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QHostInfo>
#include <QJsonValue>
#include <QSqlQuery>
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
                JobError::make("test.sleep_stopped", {{QStringLiteral("elapsed_ms"), qint64(timer.elapsed())},
                                                      {QStringLiteral("ms"), ms}}));
        }
        return HandlerResult::success(QJsonObject{{QStringLiteral("slept_ms"), qint64(timer.elapsed())}});
    }
};

class FailHandler final : public JobHandler {
public:
    HandlerResult run(JobContext &ctx) override
    {
        const QString message =
            ctx.payload().value(QStringLiteral("message")).toString(QStringLiteral("planned failure"));
        const bool permanent = ctx.payload().value(QStringLiteral("permanent")).toBool(false);
        return HandlerResult::failure(message, !permanent);
    }
};

// Records each execution in the side table test_executions through the handler thread's own
// connection, then sleeps for `ms`: the chaos test counts executions per job to bound duplicates.
// The row is written first, so an execution killed mid-sleep still counts. A lost connection is retried
// (the server may be restarting) instead of failing the job into a long backoff.
class RecordHandler final : public JobHandler {
public:
    HandlerResult run(JobContext &ctx) override
    {
        static const QString worker = QHostInfo::localHostName() + QLatin1Char(':') +
                                      QString::number(QCoreApplication::applicationPid());
        const DbConfig &config = ctx.env().db;
        const bool pg = config.isPostgres();
        const QString now =
            pg ? QStringLiteral("(extract(epoch from clock_timestamp()) * 1000)::bigint")
               : QStringLiteral("CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)");
        QElapsedTimer trying;
        trying.start();
        QString lastError;
        for (int attempt = 0;; ++attempt) {
            if (ctx.isStopRequested())
                return HandlerResult::failure(QStringLiteral("stopped before recording: %1").arg(lastError));
            if (attempt > 0 && (trying.elapsed() > 60'000 || !ctx.sleepFor(100)))
                return HandlerResult::failure(
                    QStringLiteral("cannot record the execution: %1").arg(lastError));
            auto db = Database::connection(config);
            if (!db) {
                lastError = db.error().message;
                continue;
            }
            QSqlQuery q(db.value());
            if (!q.exec(QStringLiteral(
                    "CREATE TABLE IF NOT EXISTS test_executions (job_id BIGINT NOT NULL, "
                    "attempt INTEGER NOT NULL, worker_id TEXT NOT NULL, at BIGINT NOT NULL)"))) {
                lastError = Database::error(q.lastError()).message;
                continue;
            }
            q.prepare(QStringLiteral(
                          "INSERT INTO test_executions (job_id, attempt, worker_id, at) VALUES (?, ?, ?, %1)")
                          .arg(now));
            q.addBindValue(ctx.jobId());
            q.addBindValue(ctx.attempt());
            q.addBindValue(worker);
            if (!q.exec()) {
                lastError = Database::error(q.lastError()).message;
                continue;
            }
            break;
        }
        const int ms = ctx.payload().value(QStringLiteral("ms")).toInt(0);
        if (ms > 0 && !ctx.sleepFor(ms))
            return HandlerResult::failure(QStringLiteral("stopped while sleeping"));
        return HandlerResult::success(QJsonObject{{QStringLiteral("worker"), worker}});
    }
};

} // namespace

void registerDiagnosticHandlers(HandlerRegistry &registry)
{
    registry.add(QStringLiteral("test.noop"), std::make_shared<NoopHandler>());
    registry.add(QStringLiteral("test.sleep"), std::make_shared<SleepHandler>());
    registry.add(QStringLiteral("test.fail"), std::make_shared<FailHandler>());
    registry.add(QStringLiteral("test.record"), std::make_shared<RecordHandler>());
}

} // namespace hcm
