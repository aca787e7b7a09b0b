#pragma once

#include "jobs/job.h"
#include "jobs/pausedtypestore.h"

namespace hcm {

// What PauseService::setPaused did.
struct PauseChange {
    QString type; // the job type, or kAllJobTypes
    bool paused = false;
    bool changed = false;        // false: it already was as asked
    QList<PausedType> pausedNow; // every paused type after the change
};

// Pausing and resuming job types: the one place where it happens (the GUI, hcmctl and later the API
// call it), so the permission check (Operator) and the audit entry belong here once roles exist.
class PauseService final {
public:
    explicit PauseService(DbConfig config, std::shared_ptr<Clock> clock = Clock::system());

    // Pauses or resumes `type` (a known job type, or kAllJobTypes for every type: resuming it resumes
    // everything). A paused type's queued jobs wait, running ones finish, new ones are accepted and wait.
    // Tells this process's worker pools at once (JobNotifier::pausedTypesChanged); other processes learn
    // it through NOTIFY (PostgreSQL) or their next look at the database (SQLite).
    Result<PauseChange> setPaused(const QString &type, bool paused, const Actor &actor);
    Result<QList<PausedType>> pausedTypes() const { return m_store.list(); }

private:
    PausedTypeStore m_store;
};

} // namespace hcm

Q_DECLARE_METATYPE(hcm::PauseChange)
