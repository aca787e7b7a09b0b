#pragma once

#include "common/clock.h"
#include "common/error.h"
#include "db/dbconfig.h"
#include "jobs/job.h"
#include "jobs/retrypolicy.h"

#include <QJsonObject>
#include <QList>
#include <QSqlDatabase>

#include <array>
#include <functional>
#include <memory>

namespace hcm {

struct JobEvent;

enum class JobSortColumn {
    Id,
    Type,
    Status,
    Priority,
    Attempts,
    CreatedAt,
    StartedAt,
    CompletedAt,
    RunAt,
    Worker
};

struct JobFilter {
    QList<JobStatus> statuses; // empty: every status
    QString type;              // empty: every type
    QString search;            // matches the id ("job_12" or "12"), the type, or the error text
    JobSortColumn sort = JobSortColumn::Id;
    Qt::SortOrder order = Qt::DescendingOrder;
    int limit = 100;
    int offset = 0;
    qint64 scheduleId = 0; // 0: any job; else only the jobs that schedule created (last: aggregates)
    // list() only, > 0: only jobs with a smaller id (keyset paging newest first: the id sort descending,
    // beforeId the last id of the previous page; an index range instead of an offset).
    qint64 beforeId = 0;
};

// A job handed to a worker by claim().
struct ClaimedJob {
    qint64 id = 0;
    QString type;
    QJsonObject payload;
    int attempt = 0; // 1 for the first execution
    int retryCount = 0;
    int maxRetries = 0;
    qint64 claimedAt = 0;
};

// How an execution ended, as the worker reports it.
struct JobOutcome {
    enum class Kind { Completed, Failed, Cancelled, TimedOut, Interrupted };
    qint64 id = 0;
    int attempt = 0;
    Kind kind = Kind::Completed;
    QJsonObject result;
    QString error;
    bool retryable = true; // false: fail at once, whatever retries are left
    qint64 startedAt = 0;
    qint64 finishedAt = 0;
    // The job as it was claimed (ClaimedJob), for the transitions finish() reports; looked up in the
    // database when type is empty.
    QString type{}; // {}: aggregate initialisations that stop before it need not name it
    int retryCount = 0;
    int maxRetries = 0;
    // The catalogue code and arguments of `error` (JobError); empty for a text without code.
    QString errorCode{};
    QJsonObject errorArgs{};
};

// What finish() or the reaper did to a job: its new state.
struct JobTransition {
    qint64 id = 0;
    QString type;
    JobStatus status = JobStatus::Queued;
    int retryCount = 0;
    int maxRetries = 0;
    qint64 runAt = 0;
    QString error;
};

struct FinishReport {
    QList<JobTransition> applied;
    QList<qint64> rejected; // this worker no longer owned them (lease lost): nothing written
};

// The result of one per-job action (cancel, retry, delete) in a batch of ids.
struct JobActionResult {
    qint64 id = 0;
    bool ok = false;
    QString message;                      // why not, when !ok
    JobStatus status = JobStatus::Queued; // the status after the action
};

struct WorkerInfo {
    QString id;
    QString host;
    qint64 pid = 0;
    qint64 startedAt = 0;
    qint64 heartbeatAt = 0;
    int concurrency = 0;
    int running = 0;
    QString version;
    qint64 stoppedAt = 0;
    qint64 leaseMs = 0; // the worker's lease (it heartbeats every leaseMs / 3); 0: not recorded
    // {}: aggregate initialisations that stop before them need not name them.
    QString lastError{};  // the error the worker reported with its latest heartbeat; empty when none
    qint64 lastErrorAt{}; // when that error was first reported
};

// One attempt of a job with what the job is now: a worker's history on the workers page.
struct WorkerAttempt {
    JobAttempt attempt;
    // The job now, not at the attempt: "queued, due in 4 min" after a failure.
    QString jobType;
    JobStatus jobStatus = JobStatus::Queued;
    qint64 jobRunAt = 0;
    int jobRetryCount = 0;
};

// What one worker holds and what it recently attempted without completing.
struct WorkerJobs {
    QString workerId;
    QList<Job> held;               // processing under its id, oldest claim first
    QList<WorkerAttempt> attempts; // its attempts that ended other than completed, newest first
};

// Writes the audit row of a person's action in the action's own transaction (AuditStore::append), given
// what the action did; called only when it changed something. An error rolls the action back: a change
// without its audit row is never committed.
using JobActionAudit = std::function<Status(QSqlDatabase &, const QList<JobActionResult> &)>;
using JobInsertAudit = std::function<Status(QSqlDatabase &, const QList<qint64> &)>;

// All SQL about jobs. Each call runs on the calling thread's own connection; the object itself holds
// no connection and is cheap to copy into any thread. Multi-statement operations are one write
// transaction. Every write after a claim is fenced by worker_id and status.
class JobStore final {
public:
    explicit JobStore(DbConfig config, std::shared_ptr<Clock> clock = Clock::system(),
                      RetryPolicy retry = {});

    const DbConfig &config() const { return m_config; }
    const std::shared_ptr<Clock> &clock() const { return m_clock; }
    const RetryPolicy &retryPolicy() const { return m_retry; }

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
    struct MatchCount {
        qint64 count = 0;
        qint64 maxId = 0;
    };
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
    bool usesDatabaseTime() const { return m_databaseTime; }

private:
    // "Now" for one operation: SQL text (the server's clock, or the injected clock's value as a
    // literal) and the local clock's value, which turns worker times into ages. `queue` names the table
    // that holds queued and running jobs: job_queue on PostgreSQL (migration 009), background_jobs on
    // SQLite. withNow() puts both into a statement ({now}, {queue}).
    struct Now {
        QString sql;
        qint64 ms = 0;
        QLatin1String queue;
    };
    Now now() const;
    static QString withNow(QString sql, const Now &now);
    Result<QSqlDatabase> db() const;
    QList<JobActionResult>
    perJob(const QList<qint64> &ids,
           const std::function<Result<JobActionResult>(QSqlDatabase &, qint64)> &action,
           const std::function<QList<JobEvent>(const QList<JobActionResult> &)> &events = {},
           const JobActionAudit &audit = {});
    Result<QList<JobTransition>> rescue(const QString &workerId, const JobError &lostError);
    Result<QList<qint64>> insertPostgres(QSqlDatabase &d, const QList<NewJob> &jobs, const QString &actor,
                                         const JobInsertAudit &audit);
    Result<FinishReport> finishCompletedBatch(QSqlDatabase &d, const QString &workerId,
                                              const QList<JobOutcome> &completed, const Now &now);
    Result<FinishReport> finishCompletedBatchSqlite(QSqlDatabase &d, const QString &workerId,
                                                    const QList<JobOutcome> &completed, const Now &now);
    Result<QList<ClaimedJob>> claimSqlite(QSqlDatabase &d, const QString &workerId, int max, qint64 leaseMs,
                                          const QStringList &types, const Now &now);
    static Status moveCounts(QSqlDatabase &d, JobStatus from, JobStatus to, qsizetype n);

    DbConfig m_config;
    std::shared_ptr<Clock> m_clock;
    RetryPolicy m_retry;
    bool m_databaseTime = false;
};

} // namespace hcm
