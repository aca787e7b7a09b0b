#pragma once

#include "common/clock.h"
#include "common/error.h"
#include "db/dbconfig.h"
#include "jobs/jobadmin.h"
#include "jobs/jobqueue.h"
#include "jobs/jobreads.h"
#include "jobs/jobstoretypes.h"
#include "jobs/retrypolicy.h"
#include "jobs/workerregistry.h"

#include <array>
#include <memory>

namespace hcm {

// All SQL about jobs, as one object: a facade over the parts callers may also use alone (JobQueue for
// workers and producers, JobReads, WorkerRegistry, JobAdmin for a person's actions; JobRetention for the
// cleanup job). Each call runs on the calling thread's own connection; the object itself holds no
// connection and is cheap to copy into any thread. Multi-statement operations are one write
// transaction. Every write after a claim is fenced by worker_id and status.
class JobStore final {
public:
    explicit JobStore(DbConfig config, std::shared_ptr<Clock> clock = Clock::system(),
                      RetryPolicy retry = {});

    const DbConfig &config() const { return m_ctx.config(); }
    const std::shared_ptr<Clock> &clock() const { return m_ctx.clock(); }
    const RetryPolicy &retryPolicy() const { return m_ctx.retryPolicy(); }

    // The parts, for callers that need only one of them. The worker's side of the queue (release,
    // heartbeat, markStarted, ownedJobs, saveProgress, reapExpired, rescueOrphans) is only there:
    // store.queue().heartbeat(…).
    JobQueue &queue() { return m_queue; }
    JobReads &reads() { return m_reads; }
    WorkerRegistry &registry() { return m_registry; }
    JobAdmin &admin() { return m_admin; }

    // Inserts validated jobs in one transaction; returns their ids in order.
    Result<QList<qint64>> insert(const QList<NewJob> &jobs, const QString &actor,
                                 const JobInsertAudit &audit = {});

    // Atomically takes up to `max` due jobs of the given types for `workerId`, highest priority first.
    Result<QList<ClaimedJob>> claim(const QString &workerId, int max, qint64 leaseMs,
                                    const QStringList &types);
    // Writes a batch of outcomes in one transaction (completions, failures with backoff, cancellations).
    Result<FinishReport> finish(const QString &workerId, const QList<JobOutcome> &outcomes);
    Status registerWorker(const WorkerInfo &info);
    // Marks the worker stopped, with the error it stops with (empty: none).
    Status unregisterWorker(const QString &workerId, const QString &lastError = {});
    Result<QList<WorkerInfo>> workers();
    // The jobs `workerId` holds now and its latest `attemptLimit` attempts that did not complete
    // (lost, failed, timed out, cancelled, interrupted): what an admin looks at when a worker is lost.
    // Both reads are index-served (the running-jobs index and a partial index over unfinished attempts).
    Result<WorkerJobs> jobsOfWorker(const QString &workerId, int attemptLimit = 50);

    // `actor` names who asked in the job's error text (cancel); `audit` writes the audit row.
    QList<JobActionResult> cancel(const QList<qint64> &ids, const QString &actor,
                                  const JobActionAudit &audit = {});
    QList<JobActionResult> retryNow(const QList<qint64> &ids, const QString &actor,
                                    const JobActionAudit &audit = {});
    QList<JobActionResult> deleteFinished(const QList<qint64> &ids, const JobActionAudit &audit = {});

    // Bulk actions (JobService::retryMatching and its kin). The ids of the jobs `filter` selects (its
    // statuses, type, search and schedule; not its sort, limit or offset) with afterId < id <= upToId,
    // in id order, at most `limit`; with `finishedBefore` > 0 only jobs finished (completed_at) before it.
    Result<QList<qint64>> matchingIds(const JobFilter &filter, qint64 afterId, qint64 upToId, int limit,
                                      qint64 finishedBefore = 0);
    // How many jobs that selection holds and the highest id among them (0 when none): the preview count
    // of a bulk action and the bound that keeps jobs created meanwhile out of it.
    using MatchCount = JobMatchCount;
    Result<MatchCount> countMatching(const JobFilter &filter, qint64 finishedBefore = 0);

    Result<Job> get(qint64 id, bool withAttempts = true);
    Result<QList<Job>> list(const JobFilter &filter);
    // `limit` > 0: counting stops after limit + 1 rows (a result of limit + 1 means "more than limit"),
    // so a filter over millions of jobs costs at most that many rows read.
    Result<qint64> count(const JobFilter &filter, qint64 limit = 0);
    // Rows per status for the filter's type and search (its statuses are ignored), in JobStatus order.
    // `limit` > 0: at most limit + 1 rows are read; when the counts add up to more than `limit` they are
    // those of the rows read (each a lower bound).
    Result<std::array<qint64, kJobStatusCount>> countByStatus(const JobFilter &filter, qint64 limit = 0);
    Result<QList<JobAttempt>> attempts(qint64 jobId);

    // PostgreSQL: tells other processes (their NotificationListener, then JobNotifier::jobsChanged)
    // that these jobs changed state. Enqueue, cancel, retry, delete and rescues announce themselves;
    // workers call this for claims and outcomes, coalesced. A no-op on SQLite.
    Status notifyChanged(const QList<qint64> &ids);
    // True when timestamps come from the database server's clock (PostgreSQL with the system clock).
    bool usesDatabaseTime() const { return m_ctx.usesDatabaseTime(); }

private:
    JobSqlContext m_ctx;
    JobQueue m_queue;
    JobReads m_reads;
    WorkerRegistry m_registry;
    JobAdmin m_admin;
};

} // namespace hcm
