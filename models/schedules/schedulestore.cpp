#include "schedules/schedulestore.h"

#include "common/logcategories.h"
#include "db/database.h"
#include "db/dialect.h"
#include "db/notificationlistener.h"
#include "schedules/cronexpression.h"
#include "schedules/schedulenotifier.h"

#include <QCoreApplication>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlError>
#include <QSqlQuery>
#include <QTimeZone>
#include <QVariant>

namespace hcm {

namespace {

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::ScheduleStore)
};

// The last job's status comes along: the page shows it, the overlap policy needs it.
const QString kColumns = QStringLiteral(
    "s.id, s.name, s.job_type, s.payload, s.priority, s.max_retries, s.cron, s.time_zone, s.enabled, "
    "s.overlap_policy, s.missed_policy, s.next_run_at, s.last_run_at, s.last_job_id, "
    "(SELECT j.status FROM background_jobs AS j WHERE j.id = s.last_job_id), s.created_at, s.created_by, "
    "s.updated_at, s.updated_by");

QString compactJson(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

Schedule fromRow(const QSqlQuery &q)
{
    Schedule s;
    s.id = q.value(0).toLongLong();
    s.name = q.value(1).toString();
    s.jobType = q.value(2).toString();
    s.payload = QJsonDocument::fromJson(q.value(3).toString().toUtf8()).object();
    s.priority = static_cast<JobPriority>(qBound(0, q.value(4).toInt(), 3));
    s.maxRetries = q.value(5).toInt();
    s.cron = q.value(6).toString();
    s.timeZone = q.value(7).toString();
    s.enabled = q.value(8).toInt() != 0;
    s.overlap = overlapPolicyFromString(q.value(9).toString()).value_or(OverlapPolicy::Skip);
    s.missed = missedPolicyFromString(q.value(10).toString()).value_or(MissedPolicy::RunOnce);
    s.nextRunAt = q.value(11).toLongLong();
    s.lastRunAt = q.value(12).toLongLong();
    s.lastJobId = q.value(13).toLongLong();
    if (!q.value(14).isNull())
        s.lastJobStatus = jobStatusFromString(q.value(14).toString());
    s.createdAt = q.value(15).toLongLong();
    s.createdBy = q.value(16).toString();
    s.updatedAt = q.value(17).toLongLong();
    s.updatedBy = q.value(18).toString();
    return s;
}

// The next slot after `afterMs`, or nullopt when the row's expression or zone is unusable (written by
// hand in SQL: the service never stores one).
std::optional<qint64> nextSlot(const QString &cron, const QString &zone, qint64 afterMs)
{
    // Thousands of schedules share a few expressions and zones: parse each once per thread.
    thread_local QHash<QString, std::optional<CronExpression>> expressions;
    thread_local QHash<QString, QTimeZone> zones;
    if (expressions.size() > 10'000)
        expressions.clear();
    auto e = expressions.find(cron);
    if (e == expressions.end()) {
        auto parsed = CronExpression::parse(cron);
        e = expressions.insert(cron, parsed ? std::optional<CronExpression>(parsed.value()) : std::nullopt);
    }
    auto z = zones.find(zone);
    if (z == zones.end())
        z = zones.insert(zone, QTimeZone(zone.toUtf8()));
    if (!e.value() || !z.value().isValid())
        return std::nullopt;
    return e.value()->nextAfter(afterMs, z.value());
}

// The definition's columns in the order add() and update() name them: name … next_run_at.
void bindDefinition(QSqlQuery &q, const Schedule &s)
{
    q.addBindValue(s.name);
    q.addBindValue(s.jobType);
    q.addBindValue(compactJson(s.payload));
    q.addBindValue(static_cast<int>(s.priority));
    q.addBindValue(s.maxRetries);
    q.addBindValue(s.cron);
    q.addBindValue(s.timeZone);
    q.addBindValue(s.enabled ? 1 : 0);
    q.addBindValue(toString(s.overlap));
    q.addBindValue(toString(s.missed));
    q.addBindValue(Sql::nullIfZero(s.enabled ? s.nextRunAt : 0));
}

} // namespace

ScheduleStore::ScheduleStore(DbConfig config, std::shared_ptr<Clock> clock)
    : m_config(std::move(config))
    , m_clock(std::move(clock))
{
    const bool postgres = m_config.isPostgres();
    m_databaseTime = postgres && dynamic_cast<const SystemClock *>(m_clock.get()) != nullptr;
    // PostgreSQL: new jobs go into job_queue (the view background_jobs is for readers), and the claim
    // locks only the schedule rows.
    m_jobTable = postgres ? QStringLiteral("job_queue") : QStringLiteral("background_jobs");
    m_lock = postgres ? QStringLiteral(" FOR UPDATE OF s SKIP LOCKED") : QString();
    // Every claimed slot of a batch in one statement: [{id, slot, next, job}] as JSON; last_run_at is
    // the claim's time where a job was made. The compare-and-set: next_run_at still holds the slot.
    // (SQLite: "+" keeps the planner on the primary key; through the due index every slot of a batch
    // matched every schedule due at the same minute.)
    m_advanceSql =
        postgres
            ? QStringLiteral(
                  "UPDATE schedules AS s SET next_run_at = v.next, "
                  "last_run_at = CASE WHEN v.job IS NULL THEN s.last_run_at ELSE ?::bigint END, "
                  "last_job_id = COALESCE(v.job, s.last_job_id) "
                  "FROM json_to_recordset(?::json) AS v(id bigint, slot bigint, next bigint, job bigint) "
                  "WHERE s.id = v.id AND s.enabled = 1 AND s.next_run_at = v.slot")
            : QStringLiteral(
                  "UPDATE schedules SET next_run_at = v.next, "
                  "last_run_at = CASE WHEN v.job IS NULL THEN schedules.last_run_at ELSE ? END, "
                  "last_job_id = COALESCE(v.job, schedules.last_job_id) "
                  "FROM (SELECT value ->> 'id' AS id, value ->> 'slot' AS slot, value ->> 'next' AS next, "
                  "value ->> 'job' AS job FROM json_each(?)) AS v "
                  "WHERE schedules.id = v.id AND schedules.enabled = 1 AND +schedules.next_run_at = v.slot");
}

Result<QSqlDatabase> ScheduleStore::db() const
{
    return Database::connection(m_config);
}

Result<qint64> ScheduleStore::now() const
{
    if (!m_databaseTime)
        return m_clock->nowMs();
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    if (!q.exec(QStringLiteral("SELECT ") + Dialect::of(m_config).nowMs()) || !q.next())
        return Database::error(q.lastError(), Tr::tr("reading the database's time"));
    return q.value(0).toLongLong();
}

Status ScheduleStore::notifyChanged(QSqlDatabase &d) const
{
    if (!m_config.isPostgres())
        return {};
    return Sql::exec(d, QStringLiteral("SELECT pg_notify('%1', '')").arg(QLatin1String(kScheduleChannel)),
                     Tr::tr("announcing a schedule change"));
}

Status ScheduleStore::transact(TimeOfChange time,
                               const std::function<Status(QSqlDatabase &d, qint64 nowMs)> &work) const
{
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlDatabase d = conn.value();
    qint64 nowMs = 0;
    if (time == WithTime) {
        const auto read = now();
        if (!read)
            return read.error();
        nowMs = *read;
    }
    Transaction tx(d);
    if (auto st = tx.begin(); !st)
        return st;
    if (auto st = work(d, nowMs); !st)
        return st; // rolled back
    return tx.commit();
}

Result<QList<Schedule>> ScheduleStore::list() const
{
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    q.setForwardOnly(true);
    if (!q.exec(QStringLiteral("SELECT %1 FROM schedules AS s ORDER BY s.name").arg(kColumns)))
        return Database::error(q.lastError(), Tr::tr("reading the schedules"));
    QList<Schedule> out;
    while (q.next())
        out.append(fromRow(q));
    return out;
}

Result<Schedule> ScheduleStore::get(qint64 id) const
{
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    q.prepare(QStringLiteral("SELECT %1 FROM schedules AS s WHERE s.id = ?").arg(kColumns));
    q.addBindValue(id);
    if (auto st = Sql::exec(q, Tr::tr("reading schedule %1").arg(id)); !st)
        return st.error();
    if (!q.next())
        return Error{Error::Code::NotFound, Tr::tr("There is no schedule %1.").arg(id)};
    return fromRow(q);
}

Result<std::optional<Schedule>> ScheduleStore::findByName(const QString &name) const
{
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    q.prepare(QStringLiteral("SELECT %1 FROM schedules AS s WHERE s.name = ?").arg(kColumns));
    q.addBindValue(name);
    if (auto st = Sql::exec(q, Tr::tr("reading schedule %1").arg(name)); !st)
        return st.error();
    if (!q.next())
        return std::optional<Schedule>();
    return std::optional<Schedule>(fromRow(q));
}

Result<qint64> ScheduleStore::insert(const Schedule &s, const QString &actor, const AuditWriterWithId &audit)
{
    qint64 id = 0;
    const Status done = transact(WithTime, [&](QSqlDatabase &d, qint64 nowMs) -> Status {
        QSqlQuery q(d);
        q.prepare(QStringLiteral(
            "INSERT INTO schedules (name, job_type, payload, priority, max_retries, cron, time_zone, "
            "enabled, overlap_policy, missed_policy, next_run_at, created_at, created_by, updated_at, "
            "updated_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"));
        bindDefinition(q, s);
        q.addBindValue(nowMs);
        q.addBindValue(actor);
        q.addBindValue(nowMs);
        q.addBindValue(actor);
        if (auto st = Sql::exec(q, Tr::tr("adding schedule %1").arg(s.name)); !st)
            return st;
        if (!q.next())
            return Error{Error::Code::Database, Tr::tr("adding schedule %1: no id came back").arg(s.name)};
        id = q.value(0).toLongLong();
        q.finish();
        if (audit) {
            if (auto st = audit(d, id); !st)
                return st;
        }
        return notifyChanged(d);
    });
    if (!done)
        return done.error();
    return id;
}

Status ScheduleStore::update(const Schedule &s, const QString &actor, const AuditWriter &audit)
{
    return transact(WithTime, [&](QSqlDatabase &d, qint64 nowMs) -> Status {
        QSqlQuery q(d);
        q.prepare(QStringLiteral(
            "UPDATE schedules SET name = ?, job_type = ?, payload = ?, priority = ?, "
            "max_retries = ?, cron = ?, time_zone = ?, enabled = ?, overlap_policy = ?, "
            "missed_policy = ?, next_run_at = ?, updated_at = ?, updated_by = ? WHERE id = ?"));
        bindDefinition(q, s);
        q.addBindValue(nowMs);
        q.addBindValue(actor);
        q.addBindValue(s.id);
        if (auto st = Sql::exec(q, Tr::tr("changing schedule %1").arg(s.name)); !st)
            return st;
        if (q.numRowsAffected() != 1)
            return Error{Error::Code::NotFound, Tr::tr("There is no schedule %1.").arg(s.id)};
        if (audit) {
            if (auto st = audit(d); !st)
                return st;
        }
        return notifyChanged(d);
    });
}

Status ScheduleStore::remove(qint64 id, const AuditWriter &audit)
{
    return transact(WithoutTime, [&](QSqlDatabase &d, qint64) -> Status {
        QSqlQuery q(d);
        q.prepare(QStringLiteral("DELETE FROM schedules WHERE id = ?"));
        q.addBindValue(id);
        if (auto st = Sql::exec(q, Tr::tr("deleting schedule %1").arg(id)); !st)
            return st;
        if (q.numRowsAffected() != 1)
            return Error{Error::Code::NotFound, Tr::tr("There is no schedule %1.").arg(id)};
        if (audit) {
            if (auto st = audit(d); !st)
                return st;
        }
        return notifyChanged(d);
    });
}

Result<QList<ScheduleRun>> ScheduleStore::recentJobs(qint64 id, int limit) const
{
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT id, status, created_at, completed_at, error_message, error_code, "
                             "error_args FROM background_jobs "
                             "WHERE schedule_id = ? ORDER BY id DESC LIMIT ?"));
    q.addBindValue(id);
    q.addBindValue(limit);
    if (auto st = Sql::exec(q, Tr::tr("reading the jobs of schedule %1").arg(id)); !st)
        return st.error();
    QList<ScheduleRun> runs;
    while (q.next()) {
        runs.append(ScheduleRun{q.value(0).toLongLong(),
                                jobStatusFromString(q.value(1).toString()).value_or(JobStatus::Queued),
                                q.value(2).toLongLong(), q.value(3).toLongLong(),
                                JobError::fromColumns(q.value(4).toString(), q.value(5), q.value(6))});
    }
    return runs;
}

Result<qint64> ScheduleStore::runNow(qint64 id, const QString &actor, const AuditWriterWithId &audit)
{
    qint64 jobId = 0;
    const Status done = transact(WithTime, [&](QSqlDatabase &d, qint64 nowMs) -> Status {
        QSqlQuery q(d);
        q.prepare(QStringLiteral("INSERT INTO %1 (job_type, status, priority, payload, max_retries, run_at, "
                                 "created_at, updated_at, created_by, schedule_id) "
                                 "SELECT job_type, 'queued', priority, payload, max_retries, ?, ?, ?, ?, id "
                                 "FROM schedules WHERE id = ? RETURNING id")
                      .arg(m_jobTable));
        q.addBindValue(nowMs);
        q.addBindValue(nowMs);
        q.addBindValue(nowMs);
        q.addBindValue(actor);
        q.addBindValue(id);
        if (auto st = Sql::exec(q, Tr::tr("running schedule %1").arg(id)); !st)
            return st;
        if (!q.next())
            return Error{Error::Code::NotFound, Tr::tr("There is no schedule %1.").arg(id)};
        jobId = q.value(0).toLongLong();
        q.finish();
        QSqlQuery u(d);
        u.prepare(QStringLiteral("UPDATE schedules SET last_run_at = ?, last_job_id = ? WHERE id = ?"));
        u.addBindValue(nowMs);
        u.addBindValue(jobId);
        u.addBindValue(id);
        if (auto st = Sql::exec(u, Tr::tr("running schedule %1").arg(id)); !st)
            return st;
        if (audit) {
            if (auto st = audit(d, jobId); !st)
                return st;
        }
        if (m_config.isPostgres()) {
            JobEvent event;
            event.kind = JobEvent::Kind::Enqueued;
            event.ids = {jobId};
            QSqlQuery n(d);
            n.prepare(QStringLiteral("SELECT pg_notify('%1', ?)").arg(QLatin1String(kJobChannel)));
            n.addBindValue(event.encode());
            if (auto st = Sql::exec(n, Tr::tr("announcing a new job")); !st)
                return st;
            if (auto st = notifyChanged(d); !st)
                return st;
        }
        return {};
    });
    if (!done)
        return done.error();
    return jobId;
}

Result<std::optional<qint64>> ScheduleStore::earliestDue() const
{
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    if (!q.exec(QStringLiteral("SELECT min(next_run_at) FROM schedules WHERE enabled = 1")) || !q.next())
        return Database::error(q.lastError(), Tr::tr("reading the next due schedule"));
    if (q.value(0).isNull())
        return std::optional<qint64>();
    return std::optional<qint64>(q.value(0).toLongLong());
}

Result<int> ScheduleStore::fillMissingNextRuns()
{
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlDatabase d = conn.value();
    QSqlQuery q(d);
    if (!q.exec(QStringLiteral(
            "SELECT id, cron, time_zone FROM schedules WHERE enabled = 1 AND next_run_at IS NULL")))
        return Database::error(q.lastError(), Tr::tr("reading the schedules"));
    struct Row {
        qint64 id;
        QString cron;
        QString zone;
    };
    QList<Row> rows;
    while (q.next())
        rows.append(Row{q.value(0).toLongLong(), q.value(1).toString(), q.value(2).toString()});
    q.finish();
    if (rows.isEmpty())
        return 0;
    const auto nowMs = now();
    if (!nowMs)
        return nowMs.error();
    int filled = 0;
    for (const Row &r : std::as_const(rows)) {
        const auto next = nextSlot(r.cron, r.zone, *nowMs);
        if (!next) {
            qCWarning(lcJobs).noquote()
                << "schedule" << r.id << "has an unusable expression or zone:" << r.cron << r.zone;
            continue;
        }
        // Only where it is still missing: another process may have filled it meanwhile.
        QSqlQuery u(d);
        u.prepare(QStringLiteral("UPDATE schedules SET next_run_at = ? WHERE id = ? AND enabled = 1 AND "
                                 "next_run_at IS NULL"));
        u.addBindValue(*next);
        u.addBindValue(r.id);
        if (auto st = Sql::exec(u, Tr::tr("computing the next run of schedule %1").arg(r.id)); !st)
            return st.error();
        filled += u.numRowsAffected() > 0 ? 1 : 0;
    }
    return filled;
}

Result<ScheduleStore::ClaimReport> ScheduleStore::claimDue(int limit)
{
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlDatabase d = conn.value();
    ClaimReport report;
    const auto nowResult = now();
    if (!nowResult)
        return nowResult.error();
    const qint64 nowMs = *nowResult;
    report.statements += m_databaseTime ? 1 : 0;

    Transaction tx(d);
    if (auto st = tx.begin(); !st)
        return st.error();
    ++report.statements;
    // Inside the write transaction: SQLite's BEGIN IMMEDIATE holds off every other writer, PostgreSQL's
    // row locks hold off other schedulers (rows they hold are skipped, not waited for).
    QSqlQuery q(d);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT s.id, s.name, s.job_type, s.payload, s.priority, s.max_retries, s.cron, "
                             "s.time_zone, s.overlap_policy, s.missed_policy, s.next_run_at, "
                             "(SELECT j.status FROM %1 AS j WHERE j.id = s.last_job_id) "
                             "FROM schedules AS s WHERE s.enabled = 1 AND s.next_run_at <= ? "
                             "ORDER BY s.next_run_at, s.id LIMIT ?%2")
                  .arg(m_jobTable, m_lock));
    q.addBindValue(nowMs);
    q.addBindValue(limit);
    if (auto st = Sql::exec(q, Tr::tr("reading the due schedules")); !st)
        return st.error();
    ++report.statements;
    struct Due {
        qint64 id;
        QString name;
        QString jobType;
        QString payload;
        int priority;
        int maxRetries;
        QString cron;
        QString zone;
        OverlapPolicy overlap;
        MissedPolicy missed;
        qint64 slot;
        QString lastStatus;
    };
    QList<Due> due;
    while (q.next()) {
        due.append(Due{q.value(0).toLongLong(), q.value(1).toString(), q.value(2).toString(),
                       q.value(3).toString(), q.value(4).toInt(), q.value(5).toInt(), q.value(6).toString(),
                       q.value(7).toString(),
                       overlapPolicyFromString(q.value(8).toString()).value_or(OverlapPolicy::Skip),
                       missedPolicyFromString(q.value(9).toString()).value_or(MissedPolicy::RunOnce),
                       q.value(10).toLongLong(), q.value(11).toString()});
    }
    q.finish();
    if (due.isEmpty()) {
        tx.rollback();
        return report;
    }

    // Decide every slot first, then two statements for the whole batch: one multi-row INSERT of the
    // jobs, one UPDATE that moves every claimed slot on (compare-and-set on next_run_at).
    struct Decision {
        const Due *row;
        std::optional<qint64> next;
        bool make;
        qint64 jobId = 0;
    };
    QList<Decision> decisions;
    decisions.reserve(due.size());
    for (const Due &s : std::as_const(due)) {
        ++report.due;
        // The next slot after now, not after the claimed one: a schedule whose workers were down for a
        // day makes one job on return, not one per missed slot.
        const auto next = nextSlot(s.cron, s.zone, nowMs);
        if (!next)
            qCWarning(lcJobs).noquote()
                << "schedule" << s.name << "has an unusable expression or zone:" << s.cron << s.zone
                << "- it stays idle until it is edited";
        const bool running =
            s.lastStatus == QLatin1String("queued") || s.lastStatus == QLatin1String("processing");
        const bool late = nowMs - s.slot > kMissedGraceMs;
        bool make = true;
        if (late && s.missed == MissedPolicy::Skip) {
            make = false;
            ++report.skippedMissed;
        } else if (running && s.overlap == OverlapPolicy::Skip) {
            make = false;
            ++report.skippedOverlap;
        }
        decisions.append(Decision{&s, next, make});
    }

    QString values;
    for (const Decision &dec : std::as_const(decisions)) {
        if (!dec.make)
            continue;
        if (!values.isEmpty())
            values += QLatin1Char(',');
        values += QStringLiteral("(?, 'queued', ?, ?, ?, %1, %1, %1, ?, %2)").arg(nowMs).arg(dec.row->id);
    }
    if (!values.isEmpty()) {
        QSqlQuery insertJobs(d);
        if (auto st = Sql::prepare(
                insertJobs,
                QStringLiteral("INSERT INTO %1 (job_type, status, priority, payload, max_retries, "
                               "run_at, created_at, updated_at, created_by, schedule_id) "
                               "VALUES %2 RETURNING id, schedule_id")
                    .arg(m_jobTable, values));
            !st)
            return st.error();
        for (const Decision &dec : std::as_const(decisions)) {
            if (!dec.make)
                continue;
            insertJobs.addBindValue(dec.row->jobType);
            insertJobs.addBindValue(dec.row->priority);
            insertJobs.addBindValue(dec.row->payload);
            insertJobs.addBindValue(dec.row->maxRetries);
            insertJobs.addBindValue(QString(QStringLiteral("schedule:") + dec.row->name));
        }
        if (auto st = Sql::exec(insertJobs,
                                Tr::tr("making the jobs of %n schedules", nullptr, int(decisions.size())));
            !st)
            return st.error();
        ++report.statements;
        QHash<qint64, qint64> jobOfSchedule;
        while (insertJobs.next())
            jobOfSchedule.insert(insertJobs.value(1).toLongLong(), insertJobs.value(0).toLongLong());
        insertJobs.finish();
        for (Decision &dec : decisions) {
            if (!dec.make)
                continue;
            dec.jobId = jobOfSchedule.value(dec.row->id);
            ++report.made;
            report.jobIds.append(dec.jobId);
        }
    }

    QJsonArray slotRows;
    for (const Decision &dec : std::as_const(decisions)) {
        slotRows.append(
            QJsonObject{{QStringLiteral("id"), dec.row->id},
                        {QStringLiteral("slot"), dec.row->slot},
                        {QStringLiteral("next"), dec.next ? QJsonValue(*dec.next) : QJsonValue()},
                        {QStringLiteral("job"), dec.make ? QJsonValue(dec.jobId) : QJsonValue()}});
    }
    QSqlQuery advance(d);
    if (auto st = Sql::prepare(advance, m_advanceSql); !st)
        return st.error();
    advance.addBindValue(nowMs);
    advance.addBindValue(QString::fromUtf8(QJsonDocument(slotRows).toJson(QJsonDocument::Compact)));
    if (auto st = Sql::exec(advance, Tr::tr("advancing %n schedules", nullptr, int(decisions.size()))); !st)
        return st.error();
    ++report.statements;
    if (advance.numRowsAffected() != decisions.size()) {
        // A slot moved on between our read and our write: cannot happen under the locks above, and if
        // it did, nothing of this transaction may stay (the jobs included).
        qCWarning(lcJobs).noquote() << "a schedule changed under its claim; claim rolled back";
        return Error{Error::Code::Conflict, Tr::tr("A schedule changed while its due slot was claimed.")};
    }
    if (!report.jobIds.isEmpty() && m_config.isPostgres()) {
        JobEvent event;
        event.kind = JobEvent::Kind::Enqueued;
        event.ids = report.jobIds;
        QSqlQuery n(d);
        n.prepare(QStringLiteral("SELECT pg_notify('%1', ?)").arg(QLatin1String(kJobChannel)));
        n.addBindValue(event.encode());
        if (auto st = Sql::exec(n, Tr::tr("announcing new jobs")); !st)
            return st.error();
        ++report.statements;
    }
    if (auto st = tx.commit(); !st)
        return st.error();
    ++report.statements;
    return report;
}

} // namespace hcm
