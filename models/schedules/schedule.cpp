#include "schedules/schedule.h"

#include "common/clock.h"
#include "schedules/cronexpression.h"

namespace hcm {

QString toString(OverlapPolicy policy)
{
    return policy == OverlapPolicy::Allow ? QStringLiteral("allow") : QStringLiteral("skip");
}

QString toString(MissedPolicy policy)
{
    return policy == MissedPolicy::Skip ? QStringLiteral("skip") : QStringLiteral("run_once");
}

std::optional<OverlapPolicy> overlapPolicyFromString(const QString &text)
{
    if (text == QLatin1String("skip"))
        return OverlapPolicy::Skip;
    if (text == QLatin1String("allow"))
        return OverlapPolicy::Allow;
    return std::nullopt;
}

std::optional<MissedPolicy> missedPolicyFromString(const QString &text)
{
    if (text == QLatin1String("run_once"))
        return MissedPolicy::RunOnce;
    if (text == QLatin1String("skip"))
        return MissedPolicy::Skip;
    return std::nullopt;
}

QJsonObject Schedule::toJson() const
{
    const auto time = [](qint64 ms) {
        return ms > 0 ? QJsonValue(isoUtc(ms)) : QJsonValue(QJsonValue::Null);
    };
    const auto parsed = CronExpression::parse(cron);
    return QJsonObject{
        {QStringLiteral("id"), id},
        {QStringLiteral("name"), name},
        {QStringLiteral("job_type"), jobType},
        {QStringLiteral("payload"), payload},
        {QStringLiteral("priority"), hcm::toString(priority)},
        {QStringLiteral("max_retries"), maxRetries},
        {QStringLiteral("cron"), cron},
        {QStringLiteral("description"), parsed ? parsed->describe() : QString()},
        {QStringLiteral("time_zone"), timeZone},
        {QStringLiteral("enabled"), enabled},
        {QStringLiteral("overlap_policy"), hcm::toString(overlap)},
        {QStringLiteral("missed_policy"), hcm::toString(missed)},
        {QStringLiteral("next_run_at"), time(nextRunAt)},
        {QStringLiteral("last_run_at"), time(lastRunAt)},
        {QStringLiteral("last_job_id"), lastJobId > 0 ? QJsonValue(Job::publicId(lastJobId)) : QJsonValue()},
        {QStringLiteral("last_job_status"),
         lastJobStatus ? QJsonValue(hcm::toString(*lastJobStatus)) : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("created_at"), time(createdAt)},
        {QStringLiteral("created_by"), createdBy},
        {QStringLiteral("updated_at"), time(updatedAt)},
        {QStringLiteral("updated_by"), updatedBy},
    };
}

} // namespace hcm
