#pragma once

// The value types of the job store's parts (JobQueue, JobReads, WorkerRegistry, JobAdmin) and of
// its facade JobStore.

#include "common/error.h"
#include "jobs/job.h"

#include <QJsonObject>
#include <QList>
#include <QSqlDatabase>

#include <functional>

namespace hcm {

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

// How many jobs a bulk action's selection holds and the highest id among them (0 when none): the
// preview count of a bulk action and the bound that keeps jobs created meanwhile out of it.
struct JobMatchCount {
    qint64 count = 0;
    qint64 maxId = 0;
};

} // namespace hcm
