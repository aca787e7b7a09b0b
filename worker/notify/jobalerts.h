#pragma once

#include "common/clock.h"
#include "db/dbconfig.h"
#include "jobs/job.h"
#include "jobs/jobstore.h"
#include "settings/notificationsettings.h"
#include "worker/notify/alert.h"

#include <QElapsedTimer>
#include <QList>
#include <QMutex>

#include <functional>
#include <memory>
#include <optional>

namespace hcm {

// Turns job transitions into alerts: a job that failed after its last retry, succeeded, was retried,
// or whose worker was lost (per the enabled events). With digest_frequency "immediate" each alert is one
// notify job, which delivers to every enabled channel with retries of its own; quiet hours set its
// run_at to their end. With "hourly" or "daily" the alerts wait in DigestStore for the next digest time
// (NotificationSettings::nextDigestAt), whose single notify job sends them as one message per channel;
// when they cannot be collected they are sent one by one rather than lost.
// Transitions of notify jobs never raise alerts (no alert about a failed alert).
//
// Plug it into a pool: options.onTransitions = JobAlerts::hook(config);
class JobAlerts final {
public:
    static constexpr int kNotifyMaxRetries = 5;
    static const QString &notifyType();

    explicit JobAlerts(DbConfig config, std::shared_ptr<Clock> clock = Clock::system());
    Q_DISABLE_COPY_MOVE(JobAlerts)

    // The onTransitions hook for WorkerPool::Options (runs on the dispatcher thread).
    static std::function<void(const QList<JobTransition> &)>
    hook(DbConfig config, std::shared_ptr<Clock> clock = Clock::system());

    // Enqueues the notify jobs for `transitions`, or collects them for the digest; returns the ids of
    // the notify jobs that will deliver them.
    QList<qint64> handle(const QList<JobTransition> &transitions);

private:
    std::optional<NotificationSettings> settings();
    // The digest job's id, or nullopt when the alerts could not be collected.
    std::optional<QList<qint64>> collect(const NotificationSettings &settings, const QList<Alert> &alerts,
                                         qint64 now);

    DbConfig m_config;
    std::shared_ptr<Clock> m_clock;
    QMutex m_mutex;
    std::optional<NotificationSettings> m_cached;
    QElapsedTimer m_cachedAge;
};

} // namespace hcm
