#pragma once

#include "jobs/jobstore.h"

#include <QJsonObject>

namespace hcm {

// The rules of the job queue, in front of the store: the permission check (models/auth) and the audit
// row of every change, validation with precise messages, who is acting, and in-process notifications. The
// GUI, hcmctl and (later) the HTTP API all go through it.
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
    // All or nothing: one invalid job rejects the batch with its index in the message.
    Result<QList<qint64>> enqueueMany(const QList<NewJob> &jobs, const Actor &actor);

    QList<JobActionResult> cancel(const QList<qint64> &ids, const Actor &actor);
    QList<JobActionResult> retryNow(const QList<qint64> &ids, const Actor &actor);
    QList<JobActionResult> deleteFinished(const QList<qint64> &ids, const Actor &actor);
    // A new queued job with the same type, priority, payload and retry budget.
    Result<qint64> duplicate(qint64 id, const Actor &actor);

    Result<Job> get(qint64 id) { return m_store.get(id, true); }
    Result<QList<Job>> list(const JobFilter &filter) { return m_store.list(filter); }
    Result<qint64> count(const JobFilter &filter) { return m_store.count(filter); }

private:
    // Checks the permission, validates, inserts and (for a person) writes the audit row with `facts`.
    Result<QList<qint64>> enqueueAudited(const QList<NewJob> &jobs, const Actor &actor,
                                         const QJsonObject &facts);

    JobStore m_store;
};

} // namespace hcm
