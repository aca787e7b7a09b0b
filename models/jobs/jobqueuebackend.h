#pragma once

#include "jobs/jobsql.h"

#include <memory>

namespace hcm {

// Where the queue's hot paths differ between SQLite and PostgreSQL: how jobs are inserted, claimed and
// completed in batches, and what the reaper does besides. One implementation per backend
// (jobqueuesqlite.cpp, jobqueuepostgres.cpp); everything else of JobQueue is written once. Stateless:
// one shared instance per backend.
class JobQueueBackend {
public:
    virtual ~JobQueueBackend() = default;
    static std::shared_ptr<const JobQueueBackend> of(const DbConfig &config);

    // Inserts validated jobs (one statement per chunk) and runs `audit` in the same transaction; returns
    // their ids in order.
    virtual Result<QList<qint64>> insert(const JobSqlContext &ctx, QSqlDatabase &d, const QList<NewJob> &jobs,
                                         const QString &actor, const JobInsertAudit &audit) const = 0;
    // Atomically takes up to `max` due jobs of `types` for `workerId`, in claim order.
    virtual Result<QList<ClaimedJob>> claim(const JobSqlContext &ctx, QSqlDatabase &d,
                                            const QString &workerId, int max, qint64 leaseMs,
                                            const QStringList &types,
                                            const JobSqlContext::Now &now) const = 0;
    // Writes a batch of completions, fenced by worker, status and attempt; in the caller's transaction
    // when there is one.
    virtual Result<FinishReport> finishCompleted(const JobSqlContext &ctx, QSqlDatabase &d,
                                                 const QString &workerId, const QList<JobOutcome> &completed,
                                                 const JobSqlContext::Now &now) const = 0;
    // True when finishCompleted() is one atomic statement that needs no transaction around it.
    virtual bool completionsAreAtomic() const = 0;
    // After a pass of the reaper (its own statement, outside the reaper's transaction).
    virtual void afterReap(QSqlDatabase &d) const = 0;
};

std::shared_ptr<const JobQueueBackend> sqliteQueueBackend();
std::shared_ptr<const JobQueueBackend> postgresQueueBackend();

} // namespace hcm
