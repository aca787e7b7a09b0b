#include "jobsql.h"

#include "common/enumnames.h"
#include "db/dialect.h"
#include "db/notificationlistener.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QSqlDriver>
#include <QSqlField>

namespace hcm {

JobSqlContext::JobSqlContext(DbConfig config, std::shared_ptr<Clock> clock, RetryPolicy retry)
    : m_config(std::move(config))
    , m_clock(std::move(clock))
    , m_retry(retry)
{
    // On PostgreSQL the production clock is the server's: workers on several machines agree on "now"
    // whatever their own clocks say. An injected clock (tests) is used as given, on both backends.
    m_databaseTime = m_config.isPostgres() && dynamic_cast<const SystemClock *>(m_clock.get()) != nullptr;
}

JobSqlContext::Now JobSqlContext::now() const
{
    const qint64 ms = m_clock->nowMs();
    return Now{m_databaseTime ? Dialect::of(m_config).nowMs() : QString::number(ms), ms,
               m_config.isPostgres() ? QLatin1String("job_queue") : QLatin1String("background_jobs")};
}

QString JobSqlContext::withNow(QString sql, const Now &now)
{
    return sql.replace(QLatin1String("{now}"), QLatin1Char('(') + now.sql + QLatin1Char(')'))
        .replace(QLatin1String("{queue}"), now.queue);
}

Status JobSqlContext::announce(QSqlDatabase &d, const JobEvent &event) const
{
    if (!hasChannel())
        return {};
    QSqlQuery q(d);
    q.prepare(QStringLiteral("SELECT pg_notify('%1', ?)").arg(QLatin1String(kJobChannel)));
    q.addBindValue(event.encode());
    return Sql::exec(q, QCoreApplication::translate("hcm::JobStore", "announcing a change"));
}

namespace jobsql {

const QString &jobColumns()
{
    static const QString columns = QStringLiteral(
        "id, job_type, status, priority, payload, result, error_message, retry_count, max_retries, attempts, "
        "run_at, created_at, started_at, completed_at, updated_at, created_by, worker_id, lease_expires_at, "
        "cancel_requested, progress, schedule_id");
    return columns;
}

const QString &jobReadColumns()
{
    static const QString columns = jobColumns() + QStringLiteral(", error_code, error_args");
    return columns;
}

QString attemptColumns(const QString &prefix)
{
    QStringList columns;
    for (const char *name : {"job_id", "attempt", "worker_id", "started_at", "finished_at", "outcome",
                             "error", "error_code", "error_args"})
        columns << prefix + QLatin1String(name);
    return columns.join(QLatin1String(", "));
}

JobError errorOf(const JobOutcome &o)
{
    return JobError{o.errorCode, o.errorArgs, o.error};
}

void bindError(QSqlQuery &q, const JobError &e)
{
    q.addBindValue(e.text);
    q.addBindValue(e.codeValue());
    q.addBindValue(e.argsValue());
}

QJsonObject parseObject(const QVariant &v)
{
    if (v.isNull())
        return {};
    return QJsonDocument::fromJson(v.toString().toUtf8()).object();
}

QString compactJson(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

qint64 msOrZero(const QVariant &v)
{
    return v.isNull() ? 0 : v.toLongLong();
}

JobStatus statusOf(const QVariant &v)
{
    return jobStatusFromString(v.toString()).value_or(JobStatus::Queued);
}

QVariant nullInt64()
{
    return QVariant(QMetaType::fromType<qint64>());
}

QString literal(const QSqlDatabase &db, const QVariant &value)
{
    QSqlField field(QString(), value.metaType());
    field.setValue(value);
    return db.driver()->formatValue(field);
}

Job jobFromRow(const QSqlQuery &q, int first)
{
    const auto v = [&](int i) { return q.value(first + i); };
    Job j;
    j.id = v(0).toLongLong();
    j.type = v(1).toString();
    j.status = statusOf(v(2));
    j.priority = static_cast<JobPriority>(qBound(0, v(3).toInt(), 3));
    j.payload = parseObject(v(4));
    if (!v(5).isNull())
        j.result = parseObject(v(5));
    j.errorMessage = v(6).toString();
    j.retryCount = v(7).toInt();
    j.maxRetries = v(8).toInt();
    j.attempts = v(9).toInt();
    j.runAt = msOrZero(v(10));
    j.createdAt = msOrZero(v(11));
    j.startedAt = msOrZero(v(12));
    j.completedAt = msOrZero(v(13));
    j.updatedAt = msOrZero(v(14));
    j.createdBy = v(15).toString();
    j.workerId = v(16).toString();
    j.leaseExpiresAt = msOrZero(v(17));
    j.cancelRequested = v(18).toInt() != 0;
    j.progress = v(19).isNull() ? -1.0 : v(19).toDouble();
    j.scheduleId = msOrZero(v(20));
    const JobError e = JobError::fromColumns(j.errorMessage, v(21), v(22));
    j.errorCode = e.code;
    j.errorArgs = e.args;
    return j;
}

JobAttempt attemptFromRow(const QSqlQuery &q, int first)
{
    const auto v = [&](int i) { return q.value(first + i); };
    const JobError e = JobError::fromColumns(v(6).toString(), v(7), v(8));
    return JobAttempt{v(0).toLongLong(),
                      v(1).toInt(),
                      v(2).toString(),
                      v(3).toLongLong(),
                      v(4).toLongLong(),
                      v(5).toString(),
                      e.text,
                      e.code,
                      e.args};
}

TransitionColumns::TransitionColumns(const QSqlQuery &q)
    : m_record(q.record())
    , m_id(m_record.indexOf(QLatin1String("id")))
    , m_type(m_record.indexOf(QLatin1String("job_type")))
    , m_status(m_record.indexOf(QLatin1String("status")))
    , m_retryCount(m_record.indexOf(QLatin1String("retry_count")))
    , m_maxRetries(m_record.indexOf(QLatin1String("max_retries")))
    , m_runAt(m_record.indexOf(QLatin1String("run_at")))
{
    Q_ASSERT(m_id >= 0 && m_type >= 0 && m_retryCount >= 0 && m_maxRetries >= 0 && m_runAt >= 0);
}

JobTransition TransitionColumns::read(const QSqlQuery &q, JobStatus status) const
{
    JobTransition t;
    t.id = q.value(m_id).toLongLong();
    t.type = q.value(m_type).toString();
    t.status = m_status >= 0 ? statusOf(q.value(m_status)) : status;
    t.retryCount = q.value(m_retryCount).toInt();
    t.maxRetries = q.value(m_maxRetries).toInt();
    t.runAt = q.value(m_runAt).toLongLong();
    return t;
}

int TransitionColumns::indexOf(const char *name) const
{
    const int i = m_record.indexOf(QLatin1String(name));
    Q_ASSERT(i >= 0);
    return i;
}

namespace {
// The column each JobSortColumn orders by, in the enum's order.
const char *const kSortColumnNames[] = {"id",         "job_type",   "status",       "priority", "attempts",
                                        "created_at", "started_at", "completed_at", "run_at",   "worker_id"};
static_assert(static_cast<size_t>(JobSortColumn::Worker) + 1 == std::size(kSortColumnNames));
constexpr EnumNames<JobSortColumn> kSortColumns{kSortColumnNames};
} // namespace

QString sortExpression(JobSortColumn column)
{
    return kSortColumns.name(column, JobSortColumn::Id);
}

namespace {

QString likePattern(const QString &text)
{
    QString escaped = text;
    escaped.replace(QLatin1Char('\\'), QLatin1String("\\\\"));
    escaped.replace(QLatin1Char('%'), QLatin1String("\\%"));
    escaped.replace(QLatin1Char('_'), QLatin1String("\\_"));
    return QLatin1Char('%') + escaped + QLatin1Char('%');
}

} // namespace

Where whereFor(const JobFilter &f, bool withStatuses)
{
    QStringList parts;
    Where w;
    if (withStatuses && !f.statuses.isEmpty()) {
        QStringList marks;
        for (JobStatus s : f.statuses) {
            marks << QStringLiteral("?");
            w.values << toString(s);
        }
        parts << QStringLiteral("status IN (%1)").arg(marks.join(QLatin1Char(',')));
    }
    if (!f.type.isEmpty()) {
        parts << QStringLiteral("job_type = ?");
        w.values << f.type;
    }
    // Served by migration 011's partial indexes on (schedule_id, id): they hold only the jobs a schedule
    // made, so the hot tables pay for them on scheduled jobs alone.
    if (f.scheduleId > 0) {
        parts << QStringLiteral("schedule_id = ?");
        w.values << f.scheduleId;
    }
    const QString search = f.search.trimmed();
    if (!search.isEmpty()) {
        QString clause = QStringLiteral("(job_type LIKE ? ESCAPE '\\' OR error_message LIKE ? ESCAPE '\\'");
        w.values << likePattern(search) << likePattern(search);
        if (const auto id = Job::parseId(search)) {
            clause += QStringLiteral(" OR id = ?");
            w.values << *id;
        }
        clause += QLatin1Char(')');
        parts << clause;
    }
    if (!parts.isEmpty())
        w.sql = QStringLiteral(" WHERE ") + parts.join(QLatin1String(" AND "));
    return w;
}

void bindAll(QSqlQuery &q, const QVariantList &values)
{
    for (const QVariant &v : values)
        q.addBindValue(v);
}

} // namespace jobsql

} // namespace hcm
