#include "jobalerts.h"

#include "common/logcategories.h"
#include "jobs/jobreads.h"
#include "jobs/jobservice.h"
#include "settings/digeststore.h"
#include "settings/notificationsettingsstore.h"
#include "worker/notify/alert.h"

namespace hcm {

namespace {

// Settings are read at most this often: a burst of transitions costs one query, and a change made in
// the settings page applies within a second.
constexpr qint64 kSettingsMaxAgeMs = 1000;

} // namespace

const QString &JobAlerts::notifyType()
{
    static const QString type = QStringLiteral("notify");
    return type;
}

JobAlerts::JobAlerts(DbConfig config, std::shared_ptr<Clock> clock)
    : m_config(std::move(config))
    , m_clock(std::move(clock))
{}

std::function<void(const QList<JobTransition> &)> JobAlerts::hook(DbConfig config,
                                                                  std::shared_ptr<Clock> clock)
{
    auto alerts = std::make_shared<JobAlerts>(std::move(config), std::move(clock));
    return [alerts](const QList<JobTransition> &transitions) { alerts->handle(transitions); };
}

std::optional<NotificationSettings> JobAlerts::settings()
{
    QMutexLocker lock(&m_mutex);
    if (m_cached && m_cachedAge.isValid() && m_cachedAge.elapsed() < kSettingsMaxAgeMs)
        return m_cached;
    auto loaded = NotificationSettingsStore(m_config, m_clock).load();
    if (!loaded) {
        qCWarning(lcNotify).noquote()
            << "alerts are not raised: cannot read the notification settings:" << loaded.error().message;
        return std::nullopt;
    }
    m_cached = loaded.value();
    m_cachedAge.start();
    return m_cached;
}

QList<qint64> JobAlerts::handle(const QList<JobTransition> &transitions)
{
    bool relevant = false;
    for (const JobTransition &t : transitions)
        relevant = relevant || (t.type != notifyType() && t.status != JobStatus::Processing &&
                                t.status != JobStatus::Cancelled);
    if (!relevant)
        return {};
    const auto s = settings();
    if (!s || !(s->emailEnabled || s->smsEnabled || s->slackEnabled))
        return {};

    QList<Alert> alerts;
    const qint64 now = m_clock->nowMs();
    auto add = [&](const JobTransition &t, const char *event) {
        Alert a;
        a.event = QLatin1String(event);
        a.jobId = t.id;
        a.jobType = t.type;
        a.error = t.error;
        a.retryCount = t.retryCount;
        a.maxRetries = t.maxRetries;
        if (a.event == QLatin1String("job_retried"))
            a.runAt = t.runAt;
        alerts.append(a);
    };
    for (const JobTransition &t : transitions) {
        // Never an alert about an alert: a notify job that fails is in the delivery log and job list.
        if (t.type == notifyType())
            continue;
        switch (t.status) {
        case JobStatus::Completed:
            if (s->notifyJobSucceeded)
                add(t, "job_succeeded");
            break;
        case JobStatus::Failed:
            if (s->notifyWorkerLost &&
                JobReads(JobSqlContext(m_config, m_clock, {})).lastOutcome(t.id) == QLatin1String("lost"))
                add(t, "worker_lost");
            if (s->notifyJobFailed)
                add(t, "job_failed");
            break;
        case JobStatus::Queued: {
            if (t.error.isEmpty() || !(s->notifyJobRetried || s->notifyWorkerLost))
                break;
            const QString outcome = JobReads(JobSqlContext(m_config, m_clock, {})).lastOutcome(t.id);
            if (outcome == QLatin1String("lost") && s->notifyWorkerLost)
                add(t, "worker_lost");
            else if ((outcome == QLatin1String("failed") || outcome == QLatin1String("timed_out")) &&
                     s->notifyJobRetried)
                add(t, "job_retried");
            break;
        }
        case JobStatus::Processing:
        case JobStatus::Cancelled:
            break;
        }
    }
    if (alerts.isEmpty())
        return {};
    if (s->digestFrequency != DigestFrequency::Immediate) {
        if (auto collected = collect(*s, alerts, now))
            return *collected;
        // Not lost: when the digest cannot take them (a worker role without the grants on the digest
        // tables, say), the alerts go out one by one.
    }

    QList<NewJob> jobs;
    const qint64 quietUntil = s->quietUntil(now);
    for (const Alert &a : std::as_const(alerts)) {
        NewJob job;
        job.type = notifyType();
        job.priority = JobPriority::High;
        job.maxRetries = kNotifyMaxRetries;
        job.payload = a.toPayload();
        if (quietUntil > 0)
            job.runAt = quietUntil;
        jobs.append(job);
    }
    JobService service{JobStore(m_config, m_clock)};
    auto ids = service.enqueueMany(jobs, Actor::system(QStringLiteral("alerts")));
    if (!ids) {
        qCWarning(lcNotify).noquote() << "cannot queue" << jobs.size() << "alerts:" << ids.error().message;
        return {};
    }
    if (quietUntil > 0)
        qCInfo(lcNotify).noquote() << "queued" << ids->size() << "alerts for the end of quiet hours,"
                                   << isoUtc(quietUntil);
    else
        qCInfo(lcNotify).noquote() << "queued" << ids->size() << "alerts";
    return ids.value();
}

std::optional<QList<qint64>> JobAlerts::collect(const NotificationSettings &s, const QList<Alert> &alerts,
                                                qint64 now)
{
    QList<DigestItem> items;
    for (const Alert &a : alerts) {
        DigestItem item;
        item.event = a.event;
        item.sourceJobId = a.jobId;
        item.jobType = a.jobType;
        item.error = a.error;
        item.retryCount = a.retryCount;
        item.maxRetries = a.maxRetries;
        item.nextRunAt = a.runAt;
        item.createdAt = now;
        items.append(item);
    }
    const QString frequency = toString(s.digestFrequency);
    auto scheduled =
        DigestStore(m_config, m_clock)
            .collect(
                items, s.nextDigestAt(now), frequency, [&s](qint64 after) { return s.nextDigestAt(after); },
                Actor::system(QStringLiteral("alerts")));
    if (!scheduled) {
        qCWarning(lcNotify).noquote()
            << "cannot collect" << items.size()
            << "alerts for the digest, sending them one by one:" << scheduled.error().message;
        return std::nullopt;
    }
    qCInfo(lcNotify).noquote() << "collected" << items.size() << "alerts for the" << frequency << "digest at"
                               << isoUtc(scheduled->dueAt) << "(" + Job::publicId(scheduled->jobId) + ")";
    return QList<qint64>{scheduled->jobId};
}

} // namespace hcm
