#include "alert.h"

#include "common/clock.h"
#include "jobs/job.h"

#include <QHostInfo>

namespace hcm {

const QStringList &Alert::events()
{
    static const QStringList list{QStringLiteral("job_failed"), QStringLiteral("job_succeeded"),
                                  QStringLiteral("job_retried"), QStringLiteral("worker_lost")};
    return list;
}

Alert Alert::fromPayload(const QJsonObject &p)
{
    Alert a;
    a.event = p.value(QStringLiteral("event")).toString();
    a.jobId = qint64(p.value(QStringLiteral("job_id")).toDouble());
    a.jobType = p.value(QStringLiteral("job_type")).toString();
    a.error = p.value(QStringLiteral("error")).toString();
    a.retryCount = p.value(QStringLiteral("retry_count")).toInt();
    a.maxRetries = p.value(QStringLiteral("max_retries")).toInt();
    a.runAt = qint64(p.value(QStringLiteral("run_at")).toDouble());
    return a;
}

QJsonObject Alert::toPayload() const
{
    QJsonObject p{{QStringLiteral("event"), event},
                  {QStringLiteral("job_id"), jobId},
                  {QStringLiteral("job_type"), jobType},
                  {QStringLiteral("retry_count"), retryCount},
                  {QStringLiteral("max_retries"), maxRetries}};
    if (!error.isEmpty())
        p.insert(QStringLiteral("error"), error.left(2000));
    if (runAt > 0)
        p.insert(QStringLiteral("run_at"), runAt);
    return p;
}

QString Alert::summary() const
{
    const QString id = Job::publicId(jobId);
    if (event == QLatin1String("job_failed"))
        return tr("%1 (%2) failed after %n retries", nullptr, retryCount).arg(id, jobType);
    if (event == QLatin1String("job_succeeded"))
        return tr("%1 (%2) completed").arg(id, jobType);
    if (event == QLatin1String("job_retried"))
        return tr("%1 (%2) failed, retry %3 of %4").arg(id, jobType).arg(retryCount).arg(maxRetries);
    if (event == QLatin1String("worker_lost"))
        //: %1 job id, %2 job type
        return tr("the worker running %1 (%2) was lost").arg(id, jobType);
    return tr("%1 (%2): %3").arg(id, jobType, event);
}

QString Alert::subject() const
{
    //: the subject of an alert email; %1 says what happened ("job_12 (db_optimize) completed")
    return tr("[HCM] %1").arg(summary());
}

QString Alert::text() const
{
    QString t = subject() + QLatin1Char('.');
    if (!error.isEmpty())
        t += QLatin1Char('\n') + tr("Error: %1").arg(error);
    if (event == QLatin1String("job_retried") && runAt > 0)
        t += QLatin1Char('\n') + tr("Next attempt: %1").arg(isoUtc(runAt));
    t += QLatin1Char('\n') +
         tr("Reported by %1 at %2.").arg(QHostInfo::localHostName(), isoUtc(Clock::system()->nowMs()));
    return t;
}

QString Alert::shortText() const
{
    QString t = subject();
    if (!error.isEmpty())
        t += QStringLiteral(": ") + error.simplified();
    if (t.size() > 160)
        t = t.left(159) + QChar(0x2026);
    return t;
}

} // namespace hcm
