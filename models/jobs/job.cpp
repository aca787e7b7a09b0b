#include "job.h"

#include "common/clock.h"
#include "common/enumnames.h"

#include <QCoreApplication>
#include <QJsonArray>

namespace hcm {

namespace {
const char *const kStatusNames[] = {"queued", "processing", "completed", "failed", "cancelled"};
const char *const kStatusTitles[] = {
    QT_TRANSLATE_NOOP("hcm::Job", "Queued"), QT_TRANSLATE_NOOP("hcm::Job", "Processing"),
    QT_TRANSLATE_NOOP("hcm::Job", "Completed"), QT_TRANSLATE_NOOP("hcm::Job", "Failed"),
    QT_TRANSLATE_NOOP("hcm::Job", "Cancelled")};
static_assert(std::size(kStatusNames) == kJobStatusCount && std::size(kStatusTitles) == kJobStatusCount);
const char *const kPriorityNames[] = {"low", "normal", "high", "critical"};
const char *const kPriorityTitles[] = {
    QT_TRANSLATE_NOOP("hcm::Job", "Low"), QT_TRANSLATE_NOOP("hcm::Job", "Normal"),
    QT_TRANSLATE_NOOP("hcm::Job", "High"), QT_TRANSLATE_NOOP("hcm::Job", "Critical")};
static_assert(std::size(kPriorityTitles) == std::size(kPriorityNames));
constexpr EnumNames<JobStatus> kStatuses{kStatusNames};
constexpr EnumNames<JobStatus> kStatusDisplay{kStatusTitles};
constexpr EnumNames<JobPriority> kPriorities{kPriorityNames};
constexpr EnumNames<JobPriority> kPriorityDisplay{kPriorityTitles};

QJsonValue timeValue(qint64 ms)
{
    return ms > 0 ? QJsonValue(isoUtc(ms)) : QJsonValue(QJsonValue::Null);
}
} // namespace

QString toString(JobStatus status)
{
    return kStatuses.name(status);
}

QString displayName(JobStatus status)
{
    return QCoreApplication::translate("hcm::Job", kStatusDisplay.text(status));
}

std::optional<JobStatus> jobStatusFromString(const QString &text)
{
    return kStatuses.value(text);
}

bool isFinished(JobStatus status)
{
    return status == JobStatus::Completed || status == JobStatus::Failed || status == JobStatus::Cancelled;
}

QString toString(JobPriority priority)
{
    return kPriorities.name(priority);
}

QString displayName(JobPriority priority)
{
    return QCoreApplication::translate("hcm::Job", kPriorityDisplay.text(priority));
}

std::optional<JobPriority> jobPriorityFromString(const QString &text)
{
    return kPriorities.value(text);
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
