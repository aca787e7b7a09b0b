#pragma once

#include "jobs/jobsql.h"

#include <memory>

namespace hcm {

class JobQueueBackend;

// The queue, what workers and producers need: enqueue, claim, finish, leases and heartbeats, start
// records, and the rescue of jobs whose worker is gone. Every write after a claim is fenced by
// worker_id, status and attempt. The backend's hot paths (insert, claim, completion batches) are a
// JobQueueBackend; the rest is written once for both. Each call runs on the calling thread's own
// connection; cheap to copy into any thread.
class JobQueue final {
public:
    explicit JobQueue(JobSqlContext context);

    // Inserts validated jobs in one transaction; returns their ids in order.
    Result<QList<qint64>> insert(const QList<NewJob> &jobs, const QString &actor,
                                 const JobInsertAudit &audit = {});
    // Atomically takes up to `max` due jobs of the given types for `workerId`, highest priority first.
    Result<QList<ClaimedJob>> claim(const QString &workerId, int max, qint64 leaseMs,
                                    const QStringList &types);
    // Writes a batch of outcomes in one transaction (completions, failures with backoff, cancellations).
    Result<FinishReport> finish(const QString &workerId, const QList<JobOutcome> &outcomes);
    // Gives claimed jobs that never started back to the queue (graceful shutdown).
    Result<int> release(const QString &workerId, const QList<qint64> &ids);
    // Extends the leases of every job `workerId` runs and returns the ids whose cancellation was asked.
    // `lastError` is the worker's lasting error (claims the database refuses), stored with its row
    // (empty: none).
    Result<QList<qint64>> heartbeat(const QString &workerId, qint64 leaseMs, int running,
                                    const QString &lastError = {});
    // Records that the handlers of these claimed jobs (id, attempt) have begun, so that a rescue after the
    // worker dies spends a retry on them; a claimed job without the record goes back to the queue for
    // free. With `sweep`, also drops the worker's records of runs that are over. One transaction.
    Status markStarted(const QString &workerId, const QList<QPair<qint64, int>> &started, bool sweep);
    // The jobs `workerId` owns now (processing under its name): a worker compares them with what it
    // runs to notice jobs that were taken from it after its lease expired.
    Result<QList<qint64>> ownedJobs(const QString &workerId);
    Status saveProgress(const QString &workerId, const QList<QPair<qint64, double>> &progress);
    // Requeues (or fails, when retries are spent) jobs whose lease expired: their worker is gone. A job
    // whose handler had begun (markStarted) spends a retry and gets a 'lost' attempt; one that was only
    // claimed goes back without spending one ('not_started' attempt), except after kFreeRescues such
    // rescues of the same job (a job that kills its worker before its start is recorded cannot loop
    // forever).
    Result<QList<JobTransition>> reapExpired();
    static constexpr int kFreeRescues = 3;
    // Requeues (or fails) the jobs a previous run of `workerId` held: a worker restarted under a fixed
    // id would otherwise extend their leases forever. Called once at start, before the first claim.
    Result<QList<JobTransition>> rescueOrphans(const QString &workerId);
    // PostgreSQL: tells other processes that these jobs changed state. A no-op on SQLite.
    Status notifyChanged(const QList<qint64> &ids);

private:
    Result<QList<JobTransition>> rescue(const QString &workerId, const JobError &lostError);

    JobSqlContext m_ctx;
    std::shared_ptr<const JobQueueBackend> m_backend;
};

} // namespace hcm
