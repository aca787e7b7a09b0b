#pragma once

#include "jobs/jobstore.h"

#include <QJsonObject>

#include <functional>

namespace hcm {

// An action on every job a filter selects, not only the rows a view has loaded.
enum class BulkAction { Retry, Cancel, Delete };

struct BulkResult {
    qint64 matched = 0; // jobs the filter selected when the action began
    qint64 changed = 0;
    qint64 refused = 0;     // changed state meanwhile (a queued job started, a failed one was retried)
    QString firstRefusal{}; // why, for the first of them
    bool stopped = false;   // the progress callback asked to stop; the batches done stay done
};

// Called after each batch with the jobs handled so far and the total; false stops after that batch.
using BulkProgress = std::function<bool(qint64 done, qint64 total)>;

// The rules of the job queue, in front of the store: the permission check (models/auth) and the audit
// row of every change, validation with precise messages, who is acting, and in-process notifications. The
// GUI, hcmctl and the HTTP API all go through it.
class JobService final {
public:
    static constexpr qsizetype kMaxPayloadBytes = 256 * 1024;
    static constexpr int kMaxRetriesLimit = 25;
    // The furthest a start time may lie ahead (ten years): a typo such as 9999-12-31 is an error, not
    // a job that waits forever.
    static constexpr int kMaxScheduleYears = 10;

    explicit JobService(JobStore store);

    JobStore &store() { return m_store; }

    // Checks a job before anything is written: known type, payload shape and size, retries, time (not
    // before 1970, at most kMaxScheduleYears after `nowMs`; the system clock's now when left out).
    static Status validate(const NewJob &job);
    static Status validate(const NewJob &job, qint64 nowMs);
    // Builds a NewJob from text as a person types it (hcmctl, dialog): each field gets its own error.
    static Result<NewJob> parse(const QString &type, const QString &priority, const QString &payloadJson,
                                const QString &maxRetries, const QString &runAt);
    static Result<QJsonObject> parsePayload(const QString &json);
    static Result<qint64> parseTime(const QString &text);

    Result<qint64> enqueue(const NewJob &job, const Actor &actor);
    // The same, with `alsoInTransaction` run in the insert's transaction before the audit row (the API
    // counts the request against its rate limit and records the Idempotency-Key there): one write
    // transaction in all. Its error rolls the job back and is what this returns.
    Result<qint64> enqueue(const NewJob &job, const Actor &actor, const JobInsertAudit &alsoInTransaction);
    // All or nothing: one invalid job rejects the batch with its index in the message.
    Result<QList<qint64>> enqueueMany(const QList<NewJob> &jobs, const Actor &actor);

    QList<JobActionResult> cancel(const QList<qint64> &ids, const Actor &actor);
    QList<JobActionResult> retryNow(const QList<qint64> &ids, const Actor &actor);
    QList<JobActionResult> deleteFinished(const QList<qint64> &ids, const Actor &actor);
    // Bulk actions on everything `filter` selects (its statuses, type, search and schedule), in batches
    // of kBulkBatch jobs, each batch one transaction of the store, never one statement per job from the
    // caller's thread. Jobs created after the action began are left out. The filter's statuses are
    // narrowed to those the action applies to (bulkFilter()); Delete also to jobs finished before
    // `finishedBefore` (0: any finished job).
    static constexpr int kBulkBatch = 500;
    static JobFilter bulkFilter(BulkAction action, JobFilter filter);
    // The number of jobs the action would touch now: the preview count of its confirmation.
    Result<qint64> previewBulk(BulkAction action, const JobFilter &filter, qint64 finishedBefore,
                               const Actor &actor);
    Result<BulkResult> retryMatching(const JobFilter &filter, const Actor &actor,
                                     const BulkProgress &progress = {});
    Result<BulkResult> cancelMatching(const JobFilter &filter, const Actor &actor,
                                      const BulkProgress &progress = {});
    Result<BulkResult> deleteFinishedMatching(const JobFilter &filter, qint64 finishedBefore,
                                              const Actor &actor, const BulkProgress &progress = {});
    Result<BulkResult> runBulk(BulkAction action, const JobFilter &filter, qint64 finishedBefore,
                               const Actor &actor, const BulkProgress &progress = {});

    // A new queued job with the same type, priority, payload and retry budget.
    Result<qint64> duplicate(qint64 id, const Actor &actor);

    Result<Job> get(qint64 id) { return m_store.get(id, true); }
    Result<QList<Job>> list(const JobFilter &filter) { return m_store.list(filter); }
    Result<qint64> count(const JobFilter &filter) { return m_store.count(filter); }

private:
    // Checks the permission, validates, inserts and (for a person) writes the audit row with `facts`.
    Result<QList<qint64>> enqueueAudited(const QList<NewJob> &jobs, const Actor &actor,
                                         const QJsonObject &facts,
                                         const JobInsertAudit &alsoInTransaction = {});

    JobStore m_store;
};

} // namespace hcm
