// SQLite's side of the job queue (JobQueueBackend): inserts, claims and completion batches tuned for a
// single writer, with the job_counts triggers off on the hot path.
#include "jobs/jobqueuebackend.h"

#include "db/database.h"
#include "db/sqlitestatement.h"

#include <QCoreApplication>
#include <QHash>
#include <QJsonDocument>
#include <QSet>
#include <QSqlQuery>

#include <optional>

namespace hcm {

namespace {

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::JobStore)
};

using Now = JobSqlContext::Now;

// SQLite, with its job_counts triggers off: n jobs went from one status to another.
Status moveCounts(QSqlDatabase &d, JobStatus from, JobStatus to, qsizetype n)
{
    QSqlQuery q(d);
    if (auto st = Sql::prepare(q, QStringLiteral("UPDATE job_counts SET n = n + CASE WHEN status = ? THEN ? "
                                                 "ELSE ? END WHERE status = ? OR status = ?"));
        !st)
        return st;
    q.addBindValue(toString(to));
    q.addBindValue(qint64(n));
    q.addBindValue(-qint64(n));
    q.addBindValue(toString(from));
    q.addBindValue(toString(to));
    return Sql::exec(q, Tr::tr("counting jobs"));
}

class SqliteQueue final : public JobQueueBackend {
public:
    Result<QList<qint64>> insert(const JobSqlContext &ctx, QSqlDatabase &d, const QList<NewJob> &jobs,
                                 const QString &actor, const JobInsertAudit &audit) const override;
    Result<QList<ClaimedJob>> claim(const JobSqlContext &ctx, QSqlDatabase &d, const QString &workerId,
                                    int max, qint64 leaseMs, const QStringList &types,
                                    const Now &now) const override;
    Result<FinishReport> finishCompleted(const JobSqlContext &ctx, QSqlDatabase &d, const QString &workerId,
                                         const QList<JobOutcome> &completed, const Now &now) const override;
    bool completionsAreAtomic() const override { return false; }
    void afterReap(QSqlDatabase &) const override {}
};

} // namespace

Result<QList<qint64>> SqliteQueue::insert(const JobSqlContext &ctx, QSqlDatabase &d,
                                          const QList<NewJob> &jobs, const QString &actor,
                                          const JobInsertAudit &audit) const
{
    Transaction tx(d);
    if (auto st = tx.begin(); !st)
        return st.error();
    const Now now = ctx.now();
    QList<qint64> ids;
    ids.reserve(jobs.size());
    // The values every row binds: job_type, priority, payload, max_retries, run_at (NULL: now).
    const auto bindJob = [&](QSqlQuery &q, int first, const NewJob &job) {
        q.bindValue(first, job.type);
        q.bindValue(first + 1, static_cast<int>(job.priority));
        q.bindValue(first + 2, jobsql::compactJson(job.payload));
        q.bindValue(first + 3, job.maxRetries);
        q.bindValue(first + 4, job.runAt ? QVariant(*job.runAt) : jobsql::nullInt64());
    };
    // One job (every create of a person, the API's, an alert): one statement prepared once per connection
    // and kept (Sql::cached), "now" bound as a value so that the text never changes. SQLite re-prepares
    // a kept statement by itself when the schema changed.
    if (jobs.size() == 1) {
        QSqlQuery &one = Sql::cached(
            d,
            QStringLiteral("INSERT INTO background_jobs (job_type, status, priority, payload, max_retries, "
                           "run_at, created_at, updated_at, created_by) "
                           "VALUES (?, 'queued', ?, ?, ?, COALESCE(?, ?), ?, ?, ?) RETURNING id"));
        bindJob(one, 0, jobs.first());
        one.bindValue(5, now.ms); // run_at when none was given
        one.bindValue(6, now.ms); // created_at
        one.bindValue(7, now.ms); // updated_at
        one.bindValue(8, actor);
        if (auto st = Sql::exec(one, Tr::tr("adding a job")); !st)
            return st.error();
        if (!one.next())
            return Error{Error::Code::Database, Tr::tr("The new job's id was not returned.")};
        ids.append(one.value(0).toLongLong());
        one.finish();
    }
    // Multi-row INSERTs: one statement per chunk of jobs, "now" written into its text (an integer):
    // SQLite finds each placeholder by a search through those before it while it parses, so three more
    // per row made a chunk's parse 2.25 times as long. Ids come in VALUES order, so the sorted
    // RETURNING list maps back to the jobs.
    constexpr qsizetype kChunk = 200;
    QSqlQuery q(d);
    q.setForwardOnly(true);
    qsizetype preparedFor = 0;
    const QString row = QStringLiteral("(?, 'queued', ?, ?, ?, COALESCE(?, %1), %1, %1, ?)").arg(now.ms);
    for (qsizetype start = 0; jobs.size() > 1 && start < jobs.size(); start += kChunk) {
        const qsizetype n = qMin(kChunk, jobs.size() - start);
        if (n != preparedFor) {
            QString sql = QStringLiteral(
                "INSERT INTO background_jobs (job_type, status, priority, payload, max_retries, "
                "run_at, created_at, updated_at, created_by) VALUES ");
            for (qsizetype i = 0; i < n; ++i) {
                if (i)
                    sql += QLatin1Char(',');
                sql += row;
            }
            sql += QStringLiteral(" RETURNING id");
            if (auto st = Sql::prepare(q, sql); !st)
                return st.error();
            preparedFor = n;
        }
        for (qsizetype i = start; i < start + n; ++i) {
            const int first = int(6 * (i - start));
            bindJob(q, first, jobs.at(i));
            q.bindValue(first + 5, actor);
        }
        if (auto st = Sql::exec(q, Tr::tr("adding a job")); !st)
            return st.error();
        QList<qint64> chunk;
        chunk.reserve(n);
        while (q.next())
            chunk.append(q.value(0).toLongLong());
        std::sort(chunk.begin(), chunk.end());
        ids += chunk;
    }
    q.finish();
    if (audit) {
        if (auto st = audit(d, ids); !st)
            return st.error();
    }
    if (auto st = tx.commit(); !st)
        return st.error();
    return ids;
}

// SQLite: inside one write transaction, read the due jobs through the queue index, then mark them
// running by id. Two statements instead of UPDATE … RETURNING, which SQLite runs by collecting the
// returned rows in a temporary table (measured: 5 k instructions per job more). The job_counts
// triggers are off for the UPDATE: one UPDATE of the counts per batch replaces two per job.
Result<QList<ClaimedJob>> SqliteQueue::claim(const JobSqlContext &, QSqlDatabase &d, const QString &workerId,
                                             int max, qint64 leaseMs, const QStringList &types,
                                             const Now &now) const
{
    Transaction tx(d);
    if (auto st = tx.begin(); !st)
        return st.error();
    QStringList marks;
    for (qsizetype i = 0; i < types.size(); ++i)
        marks << QStringLiteral("?");
    const QString doing = Tr::tr("claiming jobs");
    // The partial queue index, named: without statistics the planner picks the type index and sorts
    // every row of the type, completed ones included (measured: 14 k instead of 90 k claims/s on
    // 200,000 jobs). The literal status = 'queued' is what makes the partial index usable.
    SqliteStatement select(
        d, JobSqlContext::withNow(
               QStringLiteral("SELECT id, job_type, payload, attempts, retry_count, max_retries "
                              "FROM background_jobs INDEXED BY idx_jobs_queue "
                              "WHERE status = 'queued' AND run_at <= {now} AND job_type IN (%1) "
                              "ORDER BY priority DESC, run_at, id LIMIT ?")
                   .arg(marks.join(QLatin1Char(','))),
               now)
               .toUtf8());
    int index = 1;
    for (const QString &t : types)
        select.bind(index++, t.toUtf8());
    select.bind(index, max);
    QList<ClaimedJob> out;
    QByteArray ids = "[";
    while (select.next()) {
        ClaimedJob c;
        c.id = select.int64(0);
        c.type = select.text(1);
        c.payload = QJsonDocument::fromJson(select.utf8(2)).object();
        c.attempt = int(select.int64(3)) + 1;
        c.retryCount = int(select.int64(4));
        c.maxRetries = int(select.int64(5));
        c.claimedAt = now.ms;
        if (ids.size() > 1)
            ids += ',';
        ids += QByteArray::number(c.id);
        out.append(std::move(c));
    }
    if (auto st = select.status(doing); !st)
        return st.error();
    if (out.isEmpty()) {
        tx.rollback();
        return out;
    }
    ids += ']';
    // Not completed_at = NULL: every way back to the queue clears it already, and naming the column
    // would move each row in the completed_at index for nothing (6 k instructions per job, measured).
    SqliteTriggersOff triggersOff(d);
    SqliteStatement update(
        d, JobSqlContext::withNow(
               QStringLiteral("UPDATE background_jobs SET status = 'processing', worker_id = ?, "
                              "started_at = {now}, updated_at = {now}, lease_expires_at = {now} + ?, "
                              "attempts = attempts + 1, progress = NULL "
                              "WHERE id IN (SELECT value FROM json_each(?)) AND status = 'queued'"),
               now)
               .toUtf8());
    update.bind(1, workerId.toUtf8());
    update.bind(2, leaseMs);
    update.bind(3, ids);
    if (auto st = update.run(doing); !st)
        return st.error();
    // The write transaction holds the database since the SELECT: nobody changed these rows meanwhile.
    if (update.changes() != out.size())
        return Error{Error::Code::Database,
                     Tr::tr("Claiming jobs changed %1 rows instead of %2; nothing was claimed.")
                         .arg(update.changes())
                         .arg(out.size())};
    if (triggersOff.active()) {
        if (auto st = moveCounts(d, JobStatus::Queued, JobStatus::Processing, out.size()); !st)
            return st.error();
    }
    if (auto st = tx.commit(); !st)
        return st.error();
    return out;
}

// SQLite: the completions of a batch in a few statements, whatever its size. Jobs with the same result
// and attempt (every no-op, most jobs of one type) share one fenced UPDATE over their ids; a batch with many
// different results takes one UPDATE … FROM over the batch as a JSON array instead. Then the attempt
// rows, and the counts. No RETURNING (SQLite collects returned rows in a temporary table: 11 k
// instructions per job, measured): the UPDATE's change count tells whether every job was still this
// worker's; when one was not (its lease was lost), the batch is redone after a look at which ones.
// The unary + keeps the planner from driving the UPDATE through the status or worker index instead
// of looking each job up by primary key.
Result<FinishReport> SqliteQueue::finishCompleted(const JobSqlContext &ctx, QSqlDatabase &d,
                                                  const QString &workerId, const QList<JobOutcome> &completed,
                                                  const Now &now) const
{
    constexpr qsizetype kMaxGroups = 8;
    // The batch's ids by (result text, attempt): a flat JSON array of ids per group, whose elements
    // SQLite reads without parsing them again (an [id, attempt] pair costs 3 k instructions per ->>).
    struct Group {
        QByteArray result;
        int attempt = 0;
        QByteArray ids;
    };
    QList<Group> groups;
    QHash<std::pair<QByteArray, int>, qsizetype> groupOf;
    QByteArray all = "[";
    for (const JobOutcome &o : completed) {
        const QByteArray result = o.result.isEmpty() ? QByteArrayLiteral("{}")
                                                     : QJsonDocument(o.result).toJson(QJsonDocument::Compact);
        if (all.size() > 1)
            all += ',';
        all += '[' + QByteArray::number(o.id) + ',' + QByteArray::number(o.attempt) + ',' + result + ']';
        if (groups.size() <= kMaxGroups) {
            auto it = groupOf.constFind({result, o.attempt});
            if (it == groupOf.cend()) {
                it = groupOf.insert({result, o.attempt}, groups.size());
                groups.append({result, o.attempt, QByteArrayLiteral("[")});
            }
            QByteArray &ids = groups[it.value()].ids;
            if (ids.size() > 1)
                ids += ',';
            ids += QByteArray::number(o.id);
        }
    }
    all += ']';
    const bool grouped = groups.size() <= kMaxGroups;
    const QString doing = Tr::tr("saving %1 job results").arg(completed.size());

    QSqlQuery q(d);
    q.setForwardOnly(true);
    SqliteTriggersOff triggersOff(d);
    if (auto st = Sql::exec(d, QStringLiteral("SAVEPOINT finish_batch"), doing); !st)
        return st.error();
    qsizetype changed = 0;
    if (grouped) {
        SqliteStatement update(
            d, JobSqlContext::withNow(
                   QStringLiteral("UPDATE background_jobs SET status = 'completed', result = ?, "
                                  "error_message = NULL, completed_at = {now}, updated_at = {now}, "
                                  "lease_expires_at = NULL, progress = 1 WHERE id IN "
                                  "(SELECT value FROM json_each(?)) AND +attempts = ? "
                                  "AND +worker_id = ? AND +status = 'processing'"),
                   now)
                   .toUtf8());
        update.bind(4, workerId.toUtf8());
        for (const Group &g : std::as_const(groups)) {
            update.reset();
            update.bind(1, g.result);
            update.bind(2, g.ids + ']');
            update.bind(3, g.attempt);
            if (auto st = update.run(doing); !st)
                return st.error();
            changed += update.changes();
        }
    } else {
        SqliteStatement update(
            d, JobSqlContext::withNow(
                   QStringLiteral("UPDATE background_jobs AS j SET status = 'completed', result = v.result, "
                                  "error_message = NULL, completed_at = {now}, updated_at = {now}, "
                                  "lease_expires_at = NULL, progress = 1 FROM (SELECT value ->> 0 AS id, "
                                  "value ->> 1 AS attempt, value -> 2 AS result FROM json_each(?)) AS v "
                                  "WHERE j.id = v.id AND j.attempts = v.attempt AND +j.worker_id = ? "
                                  "AND +j.status = 'processing'"),
                   now)
                   .toUtf8());
        update.bind(1, all);
        update.bind(2, workerId.toUtf8());
        if (auto st = update.run(doing); !st)
            return st.error();
        changed = update.changes();
    }
    if (changed != completed.size()) {
        // Some job is no longer this worker's: undo, find out which, and complete only the others.
        for (const char *sql : {"ROLLBACK TO finish_batch", "RELEASE finish_batch"}) {
            if (auto st = Sql::exec(d, QString::fromLatin1(sql), doing); !st)
                return st.error();
        }
        if (auto st =
                Sql::prepare(q, QStringLiteral("SELECT value ->> 0 FROM json_each(?) AS v WHERE EXISTS "
                                               "(SELECT 1 FROM background_jobs WHERE id = v.value ->> 0 "
                                               "AND attempts = v.value ->> 1 AND worker_id = ? "
                                               "AND status = 'processing')"));
            !st)
            return st.error();
        q.addBindValue(QString::fromUtf8(all));
        q.addBindValue(workerId);
        if (auto st = Sql::exec(q, doing); !st)
            return st.error();
        QSet<qint64> owned;
        while (q.next())
            owned.insert(q.value(0).toLongLong());
        q.finish();
        FinishReport report;
        QList<JobOutcome> applied;
        for (const JobOutcome &o : completed) {
            if (owned.contains(o.id))
                applied.append(o);
            else
                report.rejected.append(o.id); // another worker owns it now, or it was deleted
        }
        if (applied.isEmpty())
            return report;
        auto rest = finishCompleted(ctx, d, workerId, applied, now);
        if (!rest)
            return rest.error();
        FinishReport done = std::move(rest).value();
        done.rejected += report.rejected;
        return done;
    }
    if (auto st = Sql::exec(d, QStringLiteral("RELEASE finish_batch"), doing); !st)
        return st.error();
    FinishReport report;

    // The transitions: from what the worker knew of each job, or from the database for callers that
    // did not say (tests, tools).
    QHash<qint64, JobTransition> looked;
    QByteArray unknown = "[";
    for (const JobOutcome &o : completed) {
        if (o.type.isEmpty()) {
            if (unknown.size() > 1)
                unknown += ',';
            unknown += QByteArray::number(o.id);
        }
    }
    if (unknown.size() > 1) {
        if (auto st = Sql::prepare(q, QStringLiteral("SELECT id, job_type, retry_count, max_retries, run_at "
                                                     "FROM background_jobs WHERE id IN "
                                                     "(SELECT value FROM json_each(?))"));
            !st)
            return st.error();
        q.addBindValue(QString::fromLatin1(unknown + ']'));
        if (auto st = Sql::exec(q, doing); !st)
            return st.error();
        std::optional<jobsql::TransitionColumns> columns;
        while (q.next()) {
            if (!columns)
                columns.emplace(q);
            const JobTransition t = columns->read(q, JobStatus::Completed);
            looked.insert(t.id, t);
        }
        q.finish();
    }
    // One row per attempt through one prepared statement: reading four numbers per job out of a JSON
    // array costs SQLite three times as much as the insert itself.
    SqliteStatement insert(
        d, JobSqlContext::withNow(
               QStringLiteral("INSERT INTO job_attempts (job_id, attempt, worker_id, started_at, "
                              "finished_at, outcome, error) VALUES (?1, ?2, ?3, COALESCE(?4, (SELECT "
                              "started_at FROM background_jobs WHERE id = ?1), {now}), ?5, 'completed', "
                              "NULL) ON CONFLICT (job_id, attempt) DO NOTHING"),
               now)
               .toUtf8());
    insert.bind(3, workerId.toUtf8());
    const QString recording = Tr::tr("recording %1 attempts").arg(completed.size());
    for (const JobOutcome &o : completed) {
        JobTransition t = looked.value(o.id);
        t.id = o.id;
        t.status = JobStatus::Completed;
        if (!o.type.isEmpty()) {
            t.type = o.type;
            t.retryCount = o.retryCount;
            t.maxRetries = o.maxRetries;
        }
        report.applied.append(t);
        // The attempt keeps when the handler really started; the job row keeps when it was claimed
        // (rewriting it would move the row in the started_at index once more per job).
        insert.reset();
        insert.bind(1, o.id);
        insert.bind(2, o.attempt);
        if (o.startedAt > 0)
            insert.bind(4, o.startedAt);
        else
            insert.bindNull(4);
        insert.bind(5, o.finishedAt > 0 ? o.finishedAt : now.ms);
        if (auto st = insert.run(recording); !st)
            return st.error();
    }
    if (triggersOff.active()) {
        if (auto st = moveCounts(d, JobStatus::Processing, JobStatus::Completed, completed.size()); !st)
            return st.error();
    }
    return report;
}

std::shared_ptr<const JobQueueBackend> sqliteQueueBackend()
{
    static const auto backend = std::make_shared<const SqliteQueue>();
    return backend;
}

} // namespace hcm
