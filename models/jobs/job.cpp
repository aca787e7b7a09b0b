#include "job.h"

#include "common/clock.h"

#include <QCoreApplication>
#include <QJsonArray>

namespace hcm {

namespace {
const char *const kStatusNames[] = {"queued", "processing", "completed", "failed", "cancelled"};
const char *const kPriorityNames[] = {"low", "normal", "high", "critical"};

QJsonValue timeValue(qint64 ms)
{
    return ms > 0 ? QJsonValue(isoUtc(ms)) : QJsonValue(QJsonValue::Null);
}
} // namespace

QString toString(JobStatus status)
{
    return QString::fromLatin1(kStatusNames[static_cast<int>(status)]);
}

QString displayName(JobStatus status)
{
    switch (status) {
    case JobStatus::Queued:
        return QCoreApplication::translate("hcm::Job", "Queued");
    case JobStatus::Processing:
        return QCoreApplication::translate("hcm::Job", "Processing");
    case JobStatus::Completed:
        return QCoreApplication::translate("hcm::Job", "Completed");
    case JobStatus::Failed:
        return QCoreApplication::translate("hcm::Job", "Failed");
    case JobStatus::Cancelled:
        return QCoreApplication::translate("hcm::Job", "Cancelled");
    }
    return {};
}

std::optional<JobStatus> jobStatusFromString(const QString &text)
{
    for (int i = 0; i < kJobStatusCount; ++i) {
        if (text.compare(QLatin1String(kStatusNames[i]), Qt::CaseInsensitive) == 0)
            return static_cast<JobStatus>(i);
    }
    return std::nullopt;
}

bool isFinished(JobStatus status)
{
    return status == JobStatus::Completed || status == JobStatus::Failed || status == JobStatus::Cancelled;
}

QString toString(JobPriority priority)
{
    return QString::fromLatin1(kPriorityNames[static_cast<int>(priority)]);
}

QString displayName(JobPriority priority)
{
    switch (priority) {
    case JobPriority::Low:
        return QCoreApplication::translate("hcm::Job", "Low");
    case JobPriority::Normal:
        return QCoreApplication::translate("hcm::Job", "Normal");
    case JobPriority::High:
        return QCoreApplication::translate("hcm::Job", "High");
    case JobPriority::Critical:
        return QCoreApplication::translate("hcm::Job", "Critical");
    }
    return {};
}

std::optional<JobPriority> jobPriorityFromString(const QString &text)
{
    for (int i = 0; i < 4; ++i) {
        if (text.compare(QLatin1String(kPriorityNames[i]), Qt::CaseInsensitive) == 0)
            return static_cast<JobPriority>(i);
    }
    return std::nullopt;
}

QJsonObject JobAttempt::toJson() const
{
    return QJsonObject{
        {QStringLiteral("attempt"), attempt},
        {QStringLiteral("worker_id"), workerId},
        {QStringLiteral("started_at"), timeValue(startedAt)},
        {QStringLiteral("finished_at"), timeValue(finishedAt)},
        {QStringLiteral("outcome"), outcome},
        {QStringLiteral("error"), error.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(error)},
    };
}

QString Job::publicId(qint64 id)
{
    return QStringLiteral("job_%1").arg(id);
}

std::optional<qint64> Job::parseId(const QString &text)
{
    QString t = text.trimmed();
    if (t.startsWith(QLatin1String("job_"), Qt::CaseInsensitive))
        t = t.mid(4);
    bool ok = false;
    const qint64 id = t.toLongLong(&ok);
    if (!ok || id <= 0)
        return std::nullopt;
    return id;
}

QJsonObject Job::toJson(bool withAttempts) const
{
    QJsonObject o{
        {QStringLiteral("id"), publicId()},
        {QStringLiteral("job_type"), type},
        {QStringLiteral("status"), hcm::toString(status)},
        {QStringLiteral("priority"), hcm::toString(priority)},
        {QStringLiteral("payload"), payload},
        {QStringLiteral("result"), result.isObject() ? result : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("error_message"),
         errorMessage.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(errorMessage)},
        {QStringLiteral("retry_count"), retryCount},
        {QStringLiteral("max_retries"), maxRetries},
        {QStringLiteral("attempts"), attempts},
        {QStringLiteral("run_at"), timeValue(runAt)},
        {QStringLiteral("created_at"), timeValue(createdAt)},
        {QStringLiteral("started_at"), timeValue(startedAt)},
        {QStringLiteral("completed_at"), timeValue(completedAt)},
        {QStringLiteral("created_by"), createdBy},
        {QStringLiteral("worker_id"),
         workerId.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(workerId)},
        {QStringLiteral("cancel_requested"), cancelRequested},
        {QStringLiteral("schedule_id"),
         scheduleId > 0 ? QJsonValue(scheduleId) : QJsonValue(QJsonValue::Null)},
    };
    if (progress >= 0)
        o.insert(QStringLiteral("progress"), progress);
    if (withAttempts) {
        QJsonArray list;
        for (const JobAttempt &a : attemptList)
            list.append(a.toJson());
        o.insert(QStringLiteral("attempt_history"), list);
    }
    return o;
}

} // namespace hcm
