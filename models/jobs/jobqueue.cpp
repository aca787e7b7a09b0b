#include "jobqueue.h"

#include "common/logcategories.h"
#include "db/dialect.h"
#include "db/notificationlistener.h"
#include "jobs/jobqueuebackend.h"
#include "jobs/workerregistry.h"

#include <QCoreApplication>
#include <QSqlError>

#include <array>
#include <optional>

namespace hcm {

using namespace jobsql;
using Now = JobSqlContext::Now;

namespace {

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::JobStore)
};

const char *outcomeName(JobOutcome::Kind kind)
{
    switch (kind) {
    case JobOutcome::Kind::Completed:
        return "completed";
    case JobOutcome::Kind::Failed:
        return "failed";
    case JobOutcome::Kind::Cancelled:
        return "cancelled";
    case JobOutcome::Kind::TimedOut:
        return "timed_out";
    case JobOutcome::Kind::Interrupted:
        return "interrupted";
    }
    return "failed";
}

// The statement of each outcome that finish() writes one job at a time (completions go in batches
// through the backend). Each binds its own values, then the fence (id, worker, attempt); each returns
// the job's new state under the same column names, which TransitionColumns reads.
struct OutcomeSql {
    QString set; // the SET list, with {now}; %1 is the backoff factor 2^(retry_count + 1)
    void (*bind)(QSqlQuery &q, const JobOutcome &o, const QVariant &startedAge, qint64 retryBaseMs);
};

const std::array<OutcomeSql, 3> &outcomeSql()
{
    static const std::array<OutcomeSql, 3> table{{
        // Failed and TimedOut: retry with backoff while retries remain (and the error is retryable),
        // else fail for good; a job whose cancellation was asked meanwhile ends cancelled instead of
        // running again. SET expressions see the old row, so every CASE tests the same values.
        {QStringLiteral(
             "status = CASE WHEN cancel_requested = 1 THEN 'cancelled' "
             "  WHEN ? AND retry_count < max_retries THEN 'queued' ELSE 'failed' END, "
             "run_at = CASE WHEN cancel_requested = 0 AND ? AND retry_count < max_retries "
             "  THEN {now} + ? * %1 ELSE run_at END, "
             "completed_at = CASE WHEN cancel_requested = 0 AND ? AND retry_count < max_retries "
             "  THEN NULL ELSE {now} END, "
             "retry_count = CASE WHEN cancel_requested = 0 AND ? AND retry_count < max_retries "
             "  THEN retry_count + 1 ELSE retry_count END, "
             "error_message = ?, error_code = ?, error_args = ?, "
             "started_at = COALESCE({now} - ?, started_at), updated_at = {now}, lease_expires_at = NULL"),
         [](QSqlQuery &q, const JobOutcome &o, const QVariant &startedAge, qint64 retryBaseMs) {
             const bool retry = o.retryable;
             q.addBindValue(retry);
             q.addBindValue(retry);
             q.addBindValue(retryBaseMs);
             q.addBindValue(retry);
             q.addBindValue(retry);
             bindError(q, errorOf(o));
             q.addBindValue(startedAge);
         }},
        // Cancelled: the handler saw the cancellation.
        {QStringLiteral("status = 'cancelled', error_message = ?, error_code = ?, error_args = ?, "
                        "started_at = COALESCE({now} - ?, started_at), completed_at = {now}, "
                        "updated_at = {now}, lease_expires_at = NULL"),
         [](QSqlQuery &q, const JobOutcome &o, const QVariant &startedAge, qint64) {
             bindError(q, errorOf(o));
             q.addBindValue(startedAge);
         }},
        // Interrupted by a shutdown: back to the queue without spending a retry.
        {QStringLiteral("status = CASE WHEN cancel_requested = 1 THEN 'cancelled' ELSE 'queued' END, "
                        "completed_at = CASE WHEN cancel_requested = 1 THEN {now} ELSE NULL END, "
                        "run_at = {now}, error_message = ?, error_code = ?, error_args = ?, "
                        "updated_at = {now}, lease_expires_at = NULL"),
         [](QSqlQuery &q, const JobOutcome &o, const QVariant &, qint64) { bindError(q, errorOf(o)); }},
    }};
    return table;
}

std::size_t outcomeIndex(JobOutcome::Kind kind)
{
    switch (kind) {
    case JobOutcome::Kind::Cancelled:
        return 1;
    case JobOutcome::Kind::Interrupted:
        return 2;
    case JobOutcome::Kind::Completed:
    case JobOutcome::Kind::Failed:
    case JobOutcome::Kind::TimedOut:
        break;
    }
    return 0;
}

// The statements of finish(), prepared when first needed: on PostgreSQL each PREPARE is a round trip.
class OutcomeStatements final {
public:
    OutcomeStatements(QSqlDatabase &d, const Now &now, const Dialect &dialect)
        : m_db(d)
        , m_now(now)
        , m_dialect(dialect)
    {}

    Result<QSqlQuery *> outcome(JobOutcome::Kind kind)
    {
        const std::size_t i = outcomeIndex(kind);
        return prepared(m_outcomes[i],
                        QStringLiteral("UPDATE {queue} SET ") +
                            outcomeSql()[i].set.arg(m_dialect.powerOfTwo(QStringLiteral("retry_count + 1"))) +
                            QStringLiteral(" WHERE id = ? AND worker_id = ? AND status = 'processing' "
                                           "AND attempts = ? RETURNING id, job_type, status, retry_count, "
                                           "max_retries, run_at, started_at"));
    }
    Result<QSqlQuery *> attempt()
    {
        return prepared(
            m_attempt, QStringLiteral("INSERT INTO job_attempts (job_id, attempt, worker_id, started_at, "
                                      "finished_at, outcome, error, error_code, error_args) VALUES (?, ?, ?, "
                                      "COALESCE(?, {now}), {now} - ?, ?, ?, ?, ?) "
                                      "ON CONFLICT (job_id, attempt) DO NOTHING"));
    }

private:
    Result<QSqlQuery *> prepared(std::optional<QSqlQuery> &slot, const QString &sql)
    {
        if (!slot) {
            slot.emplace(m_db);
            if (auto st = Sql::prepare(*slot, JobSqlContext::withNow(sql, m_now)); !st)
                return st.error();
        }
        return &*slot;
    }

    QSqlDatabase m_db;
    const Now &m_now;
    Dialect m_dialect;
    std::array<std::optional<QSqlQuery>, 3> m_outcomes;
    std::optional<QSqlQuery> m_attempt;
};

} // namespace

JobQueue::JobQueue(JobSqlContext context)
    : m_ctx(std::move(context))
    , m_backend(JobQueueBackend::of(m_ctx.config()))
{}

Status JobQueue::notifyChanged(const QList<qint64> &ids)
{
    if (!m_ctx.hasChannel())
        return {}; // nothing to announce: no connection needed
    return m_ctx.withDb([&](QSqlDatabase &d) {
        JobEvent event;
        event.kind = JobEvent::Kind::Changed;
        event.ids = ids;
        return m_ctx.announce(d, event);
    });
}

Result<QList<qint64>> JobQueue::insert(const QList<NewJob> &jobs, const QString &actor,
                                       const JobInsertAudit &audit)
{
    if (jobs.isEmpty())
        return QList<qint64>{};
    return m_ctx.withDb([&](QSqlDatabase &d) { return m_backend->insert(m_ctx, d, jobs, actor, audit); });
}

Result<QList<ClaimedJob>> JobQueue::claim(const QString &workerId, int max, qint64 leaseMs,
                                          const QStringList &types)
{
    if (max <= 0 || types.isEmpty())
        return QList<ClaimedJob>{};
    return m_ctx.withDb([&](QSqlDatabase &d) {
        return m_backend->claim(m_ctx, d, workerId, max, leaseMs, types, m_ctx.now());
    });
}

Result<FinishReport> JobQueue::finish(const QString &workerId, const QList<JobOutcome> &outcomes)
{
    if (outcomes.isEmpty())
        return FinishReport{};
    return m_ctx.withDb([&](QSqlDatabase &d) -> Result<FinishReport> {
        FinishReport report;
        const Now now = m_ctx.now();
        QList<JobOutcome> batched;
        QList<const JobOutcome *> single;
        for (const JobOutcome &o : outcomes) {
            if (o.kind == JobOutcome::Kind::Completed)
                batched.append(o);
            else
                single.append(&o);
        }
        // Only completions, in one atomic statement: no transaction around it.
        std::optional<Transaction> tx;
        if (!single.isEmpty() || !m_backend->completionsAreAtomic()) {
            tx.emplace(d);
            if (auto st = tx->begin(); !st)
                return st.error();
        }
        if (!batched.isEmpty()) {
            auto r = m_backend->finishCompleted(m_ctx, d, workerId, batched, now);
            if (!r)
                return r.error();
            report = std::move(r).value();
        }

        OutcomeStatements statements(d, now, Dialect::of(m_ctx.config()));
        for (const JobOutcome *op : std::as_const(single)) {
            const JobOutcome &o = *op;
            // Worker times travel as ages ("finished 12 ms ago" by the worker's own clock) and become
            // server time here, so the clocks of different machines never meet in one column.
            const QVariant startedAge = o.startedAt > 0 ? QVariant(now.ms - o.startedAt) : nullInt64();
            const qint64 finishedAge = o.finishedAt > 0 ? now.ms - o.finishedAt : 0;
            auto prepared = statements.outcome(o.kind);
            if (!prepared)
                return prepared.error();
            QSqlQuery &q = **prepared;
            outcomeSql()[outcomeIndex(o.kind)].bind(q, o, startedAge, m_ctx.retryPolicy().baseMs);
            q.addBindValue(o.id);
            q.addBindValue(workerId);
            q.addBindValue(o.attempt);
            if (!q.exec())
                return Database::error(q.lastError(),
                                       Tr::tr("saving the outcome of %1").arg(Job::publicId(o.id)));
            if (!q.next()) {
                // Another worker took the job over after our lease expired, or it was deleted.
                report.rejected.append(o.id);
                continue;
            }
            const TransitionColumns columns(q);
            JobTransition t = columns.read(q);
            t.error = o.error;
            const QVariant startedAt = q.value(columns.indexOf("started_at"));
            q.finish();

            auto attempt = statements.attempt();
            if (!attempt)
                return attempt.error();
            QSqlQuery &a = **attempt;
            a.addBindValue(o.id);
            a.addBindValue(o.attempt);
            a.addBindValue(workerId);
            a.addBindValue(startedAt.isNull() || startedAt.toLongLong() <= 0
                               ? nullInt64()
                               : QVariant(startedAt.toLongLong()));
            a.addBindValue(finishedAge);
            a.addBindValue(QString::fromLatin1(outcomeName(o.kind)));
            a.addBindValue(o.error.isEmpty() ? QVariant(QMetaType::fromType<QString>()) : QVariant(o.error));
            a.addBindValue(errorOf(o).codeValue());
            a.addBindValue(errorOf(o).argsValue());
            if (!a.exec())
                return Database::error(
                    a.lastError(),
                    Tr::tr("recording attempt %1 of %2").arg(o.attempt).arg(Job::publicId(o.id)));
            report.applied.append(t);
        }
        if (tx) {
            if (auto st = tx->commit(); !st)
                return st.error();
        }
        return report;
    });
}

Result<int> JobQueue::release(const QString &workerId, const QList<qint64> &ids)
{
    if (ids.isEmpty())
        return 0;
    return m_ctx.withDb([&](QSqlDatabase &d) -> Result<int> {
        QSqlQuery q(d);
        q.prepare(JobSqlContext::withNow(
            QStringLiteral("UPDATE {queue} SET status = CASE WHEN cancel_requested = 1 "
                           "THEN 'cancelled' ELSE 'queued' END, attempts = attempts - 1, "
                           "lease_expires_at = NULL, started_at = NULL, updated_at = {now} "
                           "WHERE worker_id = ? AND status = 'processing' AND id IN (%1)")
                .arg(Sql::idList(ids)),
            m_ctx.now()));
        q.addBindValue(workerId);
        if (auto st = Sql::exec(q, Tr::tr("returning unstarted jobs to the queue")); !st)
            return st.error();
        return q.numRowsAffected();
    });
}

Result<QList<qint64>> JobQueue::heartbeat(const QString &workerId, qint64 leaseMs, int running,
                                          const QString &lastError)
{
    return m_ctx.inTransaction([&](QSqlDatabase &d) -> Result<QList<qint64>> {
        const Now now = m_ctx.now();
        QSqlQuery q(d);
        q.prepare(JobSqlContext::withNow(QStringLiteral("UPDATE {queue} SET lease_expires_at = {now} + ? "
                                                        "WHERE worker_id = ? AND status = 'processing'"),
                                         now));
        q.addBindValue(leaseMs);
        q.addBindValue(workerId);
        if (auto st = Sql::exec(q, Tr::tr("extending job leases")); !st)
            return st.error();
        if (auto st = WorkerRegistry::recordHeartbeat(d, now, workerId, running, lastError); !st)
            return st.error();
        q.prepare(JobSqlContext::withNow(QStringLiteral("SELECT id FROM {queue} WHERE worker_id = ? "
                                                        "AND status = 'processing' AND cancel_requested = 1"),
                                         now));
        q.addBindValue(workerId);
        if (auto st = Sql::exec(q, Tr::tr("reading cancellation requests")); !st)
            return st.error();
        QList<qint64> cancelled;
        while (q.next())
            cancelled.append(q.value(0).toLongLong());
        q.finish();
        return cancelled;
    });
}

Status JobQueue::markStarted(const QString &workerId, const QList<QPair<qint64, int>> &started, bool sweep)
{
    if (started.isEmpty() && !sweep)
        return {};
    return m_ctx.inTransaction([&](QSqlDatabase &d) -> Status {
        const Now now = m_ctx.now();
        QSqlQuery q(d);
        if (sweep) {
            // Runs that are over (completed, failed, requeued, taken over) need no record any more.
            q.prepare(JobSqlContext::withNow(
                QStringLiteral("DELETE FROM job_starts WHERE worker_id = ? AND NOT EXISTS "
                               "(SELECT 1 FROM {queue} AS j WHERE j.id = job_starts.job_id "
                               "AND j.attempts = job_starts.attempt AND j.status = 'processing' "
                               "AND j.worker_id = job_starts.worker_id)"),
                now));
            q.addBindValue(workerId);
            if (auto st = Sql::exec(q, Tr::tr("clearing the start records of finished jobs")); !st)
                return st;
        }
        if (!started.isEmpty()) {
            // Fenced like every write after a claim: only a run this worker still owns is recorded.
            q.prepare(JobSqlContext::withNow(
                QStringLiteral("INSERT INTO job_starts (job_id, attempt, worker_id) "
                               "SELECT id, attempts, worker_id FROM {queue} WHERE id = ? "
                               "AND attempts = ? AND worker_id = ? AND status = 'processing' "
                               "ON CONFLICT (job_id, attempt) DO NOTHING"),
                now));
            for (const auto &[id, attempt] : started) {
                q.addBindValue(id);
                q.addBindValue(attempt);
                q.addBindValue(workerId);
                if (auto st = Sql::exec(q, Tr::tr("recording that jobs started")); !st)
                    return st;
            }
        }
        return {};
    });
}

Result<QList<qint64>> JobQueue::ownedJobs(const QString &workerId)
{
    return m_ctx.withDb([&](QSqlDatabase &d) -> Result<QList<qint64>> {
        QSqlQuery q(d);
        q.setForwardOnly(true);
        q.prepare(JobSqlContext::withNow(
            QStringLiteral("SELECT id FROM {queue} WHERE worker_id = ? AND status = 'processing'"),
            m_ctx.now()));
        q.addBindValue(workerId);
        if (!q.exec())
            return Database::error(q.lastError(), Tr::tr("reading the jobs of %1").arg(workerId));
        QList<qint64> ids;
        while (q.next())
            ids.append(q.value(0).toLongLong());
        return ids;
    });
}

Status JobQueue::saveProgress(const QString &workerId, const QList<QPair<qint64, double>> &progress)
{
    if (progress.isEmpty())
        return {};
    return m_ctx.inTransaction([&](QSqlDatabase &d) -> Status {
        QSqlQuery q(d);
        q.prepare(
            JobSqlContext::withNow(QStringLiteral("UPDATE {queue} SET progress = ?, updated_at = {now} "
                                                  "WHERE id = ? AND worker_id = ? AND status = 'processing'"),
                                   m_ctx.now()));
        for (const auto &[id, value] : progress) {
            q.addBindValue(value);
            q.addBindValue(id);
            q.addBindValue(workerId);
            if (auto st = Sql::exec(q, Tr::tr("saving job progress")); !st)
                return st;
        }
        return {};
    });
}

Result<QList<JobTransition>> JobQueue::reapExpired()
{
    auto out = rescue({}, JobError::make("store.lease_expired"));
    if (out) {
        if (auto conn = Database::connection(m_ctx.config()); conn) {
            QSqlDatabase d = conn.value();
            m_backend->afterReap(d);
        }
    }
    return out;
}

Result<QList<JobTransition>> JobQueue::rescueOrphans(const QString &workerId)
{
    return rescue(workerId, JobError::make("store.worker_restarted"));
}

Result<QList<JobTransition>> JobQueue::rescue(const QString &workerId, const JobError &lostError)
{
    // Both messages have no arguments.
    const JobError notStartedError =
        JobError::make(workerId.isEmpty() ? "store.claim_lease_expired" : "store.claim_worker_restarted");
    const QString &lostText = lostError.text;
    const QString &notStartedText = notStartedError.text;
    auto rescued = m_ctx.inTransaction([&](QSqlDatabase &d) -> Result<QList<JobTransition>> {
        const Now now = m_ctx.now();
        QSqlQuery q(d);
        // A lost execution spends a retry, so a job that kills its worker cannot loop forever. It is due
        // again at once: the delay of a backoff protects a failing service, not a crashed process. A job
        // the worker had only claimed (no start record for its current attempt) goes back without
        // spending one, unless it came back that way kFreeRescues times already.
        const QString started =
            QStringLiteral("(EXISTS (SELECT 1 FROM job_starts AS s WHERE s.job_id = {queue}.id "
                           "AND s.attempt = {queue}.attempts) OR (SELECT COUNT(*) FROM job_attempts AS a "
                           "WHERE a.job_id = {queue}.id AND a.outcome = 'not_started') >= %1)")
                .arg(kFreeRescues);
        q.prepare(JobSqlContext::withNow(
            QStringLiteral(
                "UPDATE {queue} SET "
                "status = CASE WHEN cancel_requested = 1 THEN 'cancelled' "
                "  WHEN NOT %1 OR retry_count < max_retries THEN 'queued' ELSE 'failed' END, "
                "retry_count = CASE WHEN cancel_requested = 0 AND %1 AND retry_count < max_retries "
                "  THEN retry_count + 1 ELSE retry_count END, "
                "completed_at = CASE WHEN cancel_requested = 0 AND (NOT %1 OR retry_count < "
                "max_retries) THEN NULL ELSE {now} END, "
                "run_at = {now}, error_message = CASE WHEN %1 THEN ? ELSE ? END, "
                "error_code = CASE WHEN %1 THEN ? ELSE ? END, updated_at = {now}, error_args = NULL, "
                "lease_expires_at = NULL "
                "WHERE status = 'processing' AND %2 "
                "RETURNING id, job_type, status, retry_count, max_retries, run_at, worker_id, "
                "attempts, started_at, CASE WHEN %1 THEN 1 ELSE 0 END AS ran")
                .arg(started, workerId.isEmpty() ? QStringLiteral("lease_expires_at < {now}")
                                                 : QStringLiteral("worker_id = ?")),
            now));
        q.addBindValue(lostText);
        q.addBindValue(notStartedText);
        q.addBindValue(lostError.code);
        q.addBindValue(notStartedError.code);
        if (!workerId.isEmpty())
            q.addBindValue(workerId);
        if (auto st = Sql::exec(q, Tr::tr("rescuing jobs of lost workers")); !st)
            return st.error();
        QList<JobTransition> out;
        struct Lost {
            qint64 id;
            int attempt;
            QString worker;
            qint64 started;
            bool ran;
        };
        QList<Lost> lost;
        std::optional<TransitionColumns> columns;
        while (q.next()) {
            if (!columns)
                columns.emplace(q);
            JobTransition t = columns->read(q);
            const bool ran = q.value(columns->indexOf("ran")).toInt() != 0;
            t.error = ran ? lostText : notStartedText;
            out.append(t);
            lost.append(Lost{t.id, q.value(columns->indexOf("attempts")).toInt(),
                             q.value(columns->indexOf("worker_id")).toString(),
                             msOrZero(q.value(columns->indexOf("started_at"))), ran});
        }
        q.finish();
        if (lost.isEmpty())
            return out;
        QSqlQuery attempt(d);
        attempt.prepare(JobSqlContext::withNow(
            QStringLiteral("INSERT INTO job_attempts (job_id, attempt, worker_id, "
                           "started_at, finished_at, outcome, error, error_code) VALUES "
                           "(?, ?, ?, COALESCE(?, {now}), {now}, ?, ?, ?) "
                           "ON CONFLICT (job_id, attempt) DO NOTHING"),
            now));
        QList<qint64> ids;
        int notStarted = 0;
        for (const Lost &l : std::as_const(lost)) {
            ids.append(l.id);
            notStarted += l.ran ? 0 : 1;
            attempt.addBindValue(l.id);
            attempt.addBindValue(l.attempt);
            attempt.addBindValue(l.worker);
            attempt.addBindValue(l.started > 0 ? QVariant(l.started) : nullInt64());
            attempt.addBindValue(l.ran ? QStringLiteral("lost") : QStringLiteral("not_started"));
            attempt.addBindValue(l.ran ? lostText : notStartedText);
            attempt.addBindValue(l.ran ? lostError.code : notStartedError.code);
            if (auto st = Sql::exec(attempt, Tr::tr("recording a lost attempt")); !st)
                return st.error();
        }
        // The rescued runs' records, and those the lost workers left of runs that ended just before
        // they died (a record is swept a quarter second after its run at the latest).
        QStringList workers;
        for (const Lost &l : std::as_const(lost)) {
            if (!workers.contains(l.worker))
                workers.append(l.worker);
        }
        QSqlQuery forget(d);
        forget.prepare(JobSqlContext::withNow(
            QStringLiteral("DELETE FROM job_starts WHERE job_id IN (%1) OR (worker_id IN (%2) "
                           "AND NOT EXISTS (SELECT 1 FROM {queue} AS j WHERE "
                           "j.id = job_starts.job_id AND j.attempts = job_starts.attempt "
                           "AND j.status = 'processing' AND j.worker_id = job_starts.worker_id))")
                .arg(Sql::idList(ids),
                     QStringList(workers.size(), QStringLiteral("?")).join(QLatin1Char(','))),
            now));
        for (const QString &w : std::as_const(workers))
            forget.addBindValue(w);
        if (auto st = Sql::exec(forget, Tr::tr("clearing the start records of rescued jobs")); !st)
            return st.error();
        if (notStarted > 0)
            qCInfo(lcJobs) << notStarted
                           << "of the rescued jobs had not started: requeued without spending a retry";
        JobEvent event;
        event.kind = JobEvent::Kind::Enqueued; // requeued jobs are due now: idle workers may take them
        event.ids = ids;
        if (auto st = m_ctx.announce(d, event); !st)
            return st.error();
        return out;
    });
    if (rescued && !rescued->isEmpty())
        qCWarning(lcJobs) << "rescued" << rescued->size() << "jobs whose worker stopped responding";
    return rescued;
}

} // namespace hcm
