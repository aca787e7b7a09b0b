#include "jobimport.h"

#include "auth/auditstore.h"
#include "common/logcategories.h"
#include "db/database.h"
#include "jobs/jobservice.h"
#include "jobs/jobtypes.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QRegularExpression>
#include <QSet>
#include <QSqlDriver>
#include <QSqlField>
#include <QSqlQuery>

#include <algorithm>
#include <optional>

namespace hcm {

namespace {

// A job as it goes into the database: one line, checked.
struct ImportRow {
    qint64 line = 0;
    std::optional<qint64> id;
    QString type;
    JobStatus status = JobStatus::Queued;
    int priority = 1;
    QByteArray payload;
    QVariant result; // null or compact JSON text
    QVariant errorMessage;
    int retryCount = 0;
    int maxRetries = 3;
    int attempts = 0;
    qint64 runAt = 0;
    qint64 createdAt = 0;
    std::optional<qint64> startedAt;
    std::optional<qint64> completedAt;
    QString createdBy;
    QVariant workerId;
    int cancelRequested = 0;
    std::optional<double> progress;
    std::optional<qint64> scheduleId; // kept as is: the schedule may be gone, its jobs stay
};

const QSet<QString> &knownFields()
{
    static const QSet<QString> fields{QStringLiteral("id"),
                                      QStringLiteral("job_type"),
                                      QStringLiteral("status"),
                                      QStringLiteral("priority"),
                                      QStringLiteral("payload"),
                                      QStringLiteral("result"),
                                      QStringLiteral("error_message"),
                                      QStringLiteral("retry_count"),
                                      QStringLiteral("max_retries"),
                                      QStringLiteral("attempts"),
                                      QStringLiteral("run_at"),
                                      QStringLiteral("created_at"),
                                      QStringLiteral("started_at"),
                                      QStringLiteral("completed_at"),
                                      QStringLiteral("created_by"),
                                      QStringLiteral("worker_id"),
                                      QStringLiteral("cancel_requested"),
                                      QStringLiteral("progress"),
                                      QStringLiteral("schedule_id"),
                                      QStringLiteral("attempt_history")};
    return fields;
}

QString quoted(const QString &text)
{
    return QLatin1Char('"') + (text.size() > 60 ? text.left(60) + QStringLiteral("…") : text) +
           QLatin1Char('"');
}

// Parses one line into `row`; returns the error sentence (without "line N: "), empty when it is fine.
QString parseLine(const QByteArray &text, qint64 now, const QString &actor, ImportRow &row)
{
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(text, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        return JobImport::tr("not valid JSON (%1 at character %2)")
            .arg(parseError.errorString())
            .arg(parseError.offset + 1);
    }
    if (!doc.isObject()) {
        return JobImport::tr("expected one job, a JSON object, per line (jq -c '.[]' turns the array that "
                             "\"hcmctl --json jobs list\" prints into lines)");
    }
    const QJsonObject o = doc.object();
    for (auto it = o.begin(); it != o.end(); ++it) {
        if (!knownFields().contains(it.key()))
            return JobImport::tr("unknown field %1").arg(quoted(it.key()));
    }

    auto integer = [&](const char *key, int min, int max, int fallback, int &out) -> QString {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull()) {
            out = fallback;
            return {};
        }
        const double d = v.toDouble(-1.0);
        if (!v.isDouble() || d != static_cast<double>(static_cast<qint64>(d)) || d < min || d > max) {
            return JobImport::tr("%1 must be a whole number from %2 to %3")
                .arg(QLatin1String(key))
                .arg(min)
                .arg(max);
        }
        out = static_cast<int>(d);
        return {};
    };
    auto time = [&](const char *key, std::optional<qint64> &out) -> QString {
        const QJsonValue v = o.value(QLatin1String(key));
        out.reset();
        if (v.isUndefined() || v.isNull())
            return {};
        const QDateTime t = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
        if (!v.isString() || !t.isValid() || t.toMSecsSinceEpoch() <= 0) {
            return JobImport::tr("%1 must be an ISO 8601 time such as \"2026-01-07T10:15:32.123Z\" or null")
                .arg(QLatin1String(key));
        }
        out = t.toMSecsSinceEpoch();
        return {};
    };
    auto optionalText = [&](const char *key, QVariant &out) -> QString {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull()) {
            out = QVariant(QMetaType::fromType<QString>());
            return {};
        }
        if (!v.isString())
            return JobImport::tr("%1 must be text or null").arg(QLatin1String(key));
        out = v.toString();
        return {};
    };

    const QJsonValue id = o.value(QLatin1String("id"));
    if (!id.isUndefined() && !id.isNull()) {
        std::optional<qint64> parsed;
        if (id.isString())
            parsed = Job::parseId(id.toString());
        else if (id.isDouble() && id.toDouble() == static_cast<double>(id.toInteger()) && id.toInteger() > 0)
            parsed = id.toInteger();
        if (!parsed)
            return JobImport::tr("id must be a job id such as \"job_12\" or 12");
        row.id = parsed;
    }

    const QJsonValue status = o.value(QLatin1String("status"));
    if (!status.isString())
        return JobImport::tr("status is missing (queued, completed, failed or cancelled)");
    const auto st = jobStatusFromString(status.toString());
    if (!st)
        return JobImport::tr("unknown status %1").arg(quoted(status.toString()));
    if (*st == JobStatus::Processing) {
        return JobImport::tr(
            "status \"processing\" cannot be imported: no worker here runs the job; import it "
            "as queued (to run again) or as failed");
    }
    row.status = *st;

    const QJsonValue type = o.value(QLatin1String("job_type"));
    if (!type.isString() || type.toString().trimmed().isEmpty())
        return JobImport::tr("job_type is missing");
    row.type = type.toString();
    if (row.type.size() > 200)
        return JobImport::tr("job_type is longer than 200 characters");
    if (row.status == JobStatus::Queued && !JobTypeCatalog::instance().find(row.type)) {
        return JobImport::tr("unknown job type %1 for a queued job (finished jobs may keep any type; "
                             "\"hcmctl jobs types\" lists the types that run)")
            .arg(quoted(row.type));
    }

    const QJsonValue priority = o.value(QLatin1String("priority"));
    if (!priority.isUndefined() && !priority.isNull()) {
        const auto p = priority.isString() ? jobPriorityFromString(priority.toString()) : std::nullopt;
        if (!p)
            return JobImport::tr("priority must be low, normal, high or critical");
        row.priority = static_cast<int>(*p);
    }

    const QJsonValue payload = o.value(QLatin1String("payload"));
    if (!payload.isUndefined() && !payload.isNull() && !payload.isObject())
        return JobImport::tr("payload must be a JSON object");
    row.payload = QJsonDocument(payload.toObject()).toJson(QJsonDocument::Compact);
    if (row.payload.size() > JobService::kMaxPayloadBytes) {
        return JobImport::tr("the payload is larger than %1 KiB").arg(JobService::kMaxPayloadBytes / 1024);
    }
    if (row.status == JobStatus::Queued) {
        // A queued job runs here: its payload must suit its type, as for a job enqueued here.
        const JobTypeInfo *info = JobTypeCatalog::instance().find(row.type);
        if (const QString why =
                info && info->validatePayload ? info->validatePayload(payload.toObject()) : QString();
            !why.isEmpty())
            return JobImport::tr("the payload does not suit %1: %2").arg(row.type, why);
    }
    const QJsonValue result = o.value(QLatin1String("result"));
    if (!result.isUndefined() && !result.isNull() && !result.isObject())
        return JobImport::tr("result must be a JSON object or null");
    row.result =
        result.isObject()
            ? QVariant(QString::fromUtf8(QJsonDocument(result.toObject()).toJson(QJsonDocument::Compact)))
            : QVariant(QMetaType::fromType<QString>());

    QString error;
    if (!(error = optionalText("error_message", row.errorMessage)).isEmpty() ||
        !(error = optionalText("worker_id", row.workerId)).isEmpty() ||
        !(error = integer("max_retries", 0, 25, 3, row.maxRetries)).isEmpty() ||
        !(error = integer("retry_count", 0, 1000000, 0, row.retryCount)).isEmpty() ||
        !(error = integer("attempts", 0, 1000000, 0, row.attempts)).isEmpty())
        return error;

    std::optional<qint64> runAt, createdAt;
    if (!(error = time("run_at", runAt)).isEmpty() || !(error = time("created_at", createdAt)).isEmpty() ||
        !(error = time("started_at", row.startedAt)).isEmpty() ||
        !(error = time("completed_at", row.completedAt)).isEmpty())
        return error;
    row.createdAt = createdAt.value_or(now);
    row.runAt = runAt.value_or(row.createdAt);
    if (isFinished(row.status) && !row.completedAt) {
        return JobImport::tr("completed_at is missing: a %1 job needs the time it finished")
            .arg(toString(row.status));
    }
    if (!isFinished(row.status))
        row.completedAt.reset();

    const QJsonValue createdBy = o.value(QLatin1String("created_by"));
    if (!createdBy.isUndefined() && !createdBy.isNull() && !createdBy.isString())
        return JobImport::tr("created_by must be text");
    row.createdBy = createdBy.isString() && !createdBy.toString().isEmpty() ? createdBy.toString() : actor;

    const QJsonValue cancel = o.value(QLatin1String("cancel_requested"));
    if (!cancel.isUndefined() && !cancel.isNull()) {
        if (cancel.isBool())
            row.cancelRequested = cancel.toBool() ? 1 : 0;
        else if (cancel.isDouble() && (cancel.toDouble() == 0 || cancel.toDouble() == 1))
            row.cancelRequested = cancel.toInt();
        else
            return JobImport::tr("cancel_requested must be true or false");
    }
    const QJsonValue progress = o.value(QLatin1String("progress"));
    if (!progress.isUndefined() && !progress.isNull()) {
        if (!progress.isDouble() || progress.toDouble() < 0 || progress.toDouble() > 1)
            return JobImport::tr("progress must be a number from 0 to 1");
        row.progress = progress.toDouble();
    }
    const QJsonValue schedule = o.value(QLatin1String("schedule_id"));
    if (!schedule.isUndefined() && !schedule.isNull()) {
        const qint64 id = schedule.toInteger(0);
        if (!schedule.isDouble() || id <= 0 || double(id) != schedule.toDouble())
            return JobImport::tr("schedule_id must be a positive whole number or null");
        row.scheduleId = id;
    }
    return {};
}

QString literal(const QSqlDatabase &db, const QVariant &value)
{
    QSqlField field(QString(), value.metaType());
    field.setValue(value);
    return db.driver()->formatValue(field);
}

QString nullable(const std::optional<qint64> &v)
{
    return v ? QString::number(*v) : QStringLiteral("NULL");
}

// Writes one batch inside the caller's transaction. Ids the database holds already are reported per line
// (the view's and the tables' own checks stay as the last guard).
Status writeBatch(QSqlDatabase &db, bool postgres, const QList<ImportRow> &rows, JobImportReport &report)
{
    QStringList ids;
    for (const ImportRow &r : rows) {
        if (r.id)
            ids.append(QString::number(*r.id));
    }
    if (!ids.isEmpty()) {
        QSqlQuery q(db);
        q.setForwardOnly(true);
        if (!q.exec(QStringLiteral("SELECT id FROM background_jobs WHERE id IN (%1)")
                        .arg(ids.join(QLatin1Char(',')))))
            return Database::error(q.lastError(), JobImport::tr("looking for jobs that exist already"));
        QSet<qint64> taken;
        while (q.next())
            taken.insert(q.value(0).toLongLong());
        for (const ImportRow &r : rows) {
            if (r.id && taken.contains(*r.id)) {
                ++report.badLines;
                if (report.errors.size() < JobImport::kMaxErrors) {
                    report.errors.append(JobImport::tr("line %1: %2 exists already in the database")
                                             .arg(r.line)
                                             .arg(Job::publicId(*r.id)));
                } else {
                    ++report.unreported;
                }
            }
        }
        if (!taken.isEmpty())
            return {};
    }
    if (report.badLines > 0)
        return {}; // checked only: nothing is written once a line is bad

    static const QString columns = QStringLiteral(
        "id, job_type, status, priority, payload, result, error_message, retry_count, max_retries, attempts, "
        "run_at, created_at, started_at, completed_at, updated_at, created_by, worker_id, cancel_requested, "
        "progress, schedule_id");
    if (postgres) {
        // One statement per batch, values as literals (no prepared statement per batch size).
        QString values;
        for (const ImportRow &r : rows) {
            if (!values.isEmpty())
                values += QLatin1Char(',');
            values += QLatin1Char('(') +
                      QStringList{r.id ? QString::number(*r.id) : QStringLiteral("DEFAULT"),
                                  literal(db, r.type),
                                  literal(db, toString(r.status)),
                                  QString::number(r.priority),
                                  literal(db, QString::fromUtf8(r.payload)),
                                  literal(db, r.result),
                                  literal(db, r.errorMessage),
                                  QString::number(r.retryCount),
                                  QString::number(r.maxRetries),
                                  QString::number(r.attempts),
                                  QString::number(r.runAt),
                                  QString::number(r.createdAt),
                                  nullable(r.startedAt),
                                  nullable(r.completedAt),
                                  QString::number(r.completedAt.value_or(r.createdAt)),
                                  literal(db, r.createdBy),
                                  literal(db, r.workerId),
                                  QString::number(r.cancelRequested),
                                  r.progress ? QString::number(*r.progress, 'g', 17) : QStringLiteral("NULL"),
                                  nullable(r.scheduleId)}
                          .join(QLatin1Char(',')) +
                      QLatin1Char(')');
        }
        QSqlQuery q(db);
        if (!q.exec(QStringLiteral("INSERT INTO background_jobs (%1) VALUES %2").arg(columns, values)))
            return Database::error(q.lastError(), JobImport::tr("importing jobs"));
    } else {
        QSqlQuery q(db);
        if (auto st =
                Sql::prepare(q, QStringLiteral("INSERT INTO background_jobs (%1) VALUES "
                                               "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                                    .arg(columns));
            !st)
            return st;
        const QVariant nullInt(QMetaType::fromType<qint64>());
        for (const ImportRow &r : rows) {
            q.addBindValue(r.id ? QVariant(*r.id) : nullInt);
            q.addBindValue(r.type);
            q.addBindValue(toString(r.status));
            q.addBindValue(r.priority);
            q.addBindValue(QString::fromUtf8(r.payload));
            q.addBindValue(r.result);
            q.addBindValue(r.errorMessage);
            q.addBindValue(r.retryCount);
            q.addBindValue(r.maxRetries);
            q.addBindValue(r.attempts);
            q.addBindValue(r.runAt);
            q.addBindValue(r.createdAt);
            q.addBindValue(r.startedAt ? QVariant(*r.startedAt) : nullInt);
            q.addBindValue(r.completedAt ? QVariant(*r.completedAt) : nullInt);
            q.addBindValue(r.completedAt.value_or(r.createdAt));
            q.addBindValue(r.createdBy);
            q.addBindValue(r.workerId);
            q.addBindValue(r.cancelRequested);
            q.addBindValue(r.progress ? QVariant(*r.progress) : QVariant(QMetaType::fromType<double>()));
            q.addBindValue(r.scheduleId ? QVariant(*r.scheduleId) : nullInt);
            if (auto st = Sql::exec(q, JobImport::tr("importing jobs")); !st)
                return st;
        }
    }
    for (const ImportRow &r : rows)
        ++report.byStatus[static_cast<int>(r.status)];
    report.imported += rows.size();
    return {};
}

} // namespace

JobImport::JobImport(DbConfig config, std::shared_ptr<Clock> clock)
    : m_config(std::move(config))
    , m_clock(std::move(clock))
{}

Result<JobImportReport> JobImport::run(QIODevice &in, const Actor &who)
{
    if (auto st = authorizeAndAudit(m_config, who, Permission::ImportJobs, QStringLiteral("job")); !st)
        return st.error();
    const QString &actor = who.name;
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlDatabase db = conn.value();
    const bool postgres = m_config.isPostgres();
    Transaction tx(db);
    if (auto st = tx.begin(); !st)
        return st.error();

    constexpr qsizetype kBatch = 500;
    JobImportReport report;
    QList<ImportRow> batch;
    batch.reserve(kBatch);
    QHash<qint64, qint64> lineOfId; // id -> first line that gave it
    qint64 maxId = 0;
    const qint64 now = m_clock->nowMs();
    auto bad = [&](qint64 line, const QString &message) {
        ++report.badLines;
        if (report.errors.size() < kMaxErrors)
            report.errors.append(tr("line %1: %2").arg(line).arg(message));
        else
            ++report.unreported;
    };
    auto flush = [&]() -> Status {
        if (batch.isEmpty())
            return {};
        Status st = writeBatch(db, postgres, batch, report);
        batch.clear();
        return st;
    };

    while (true) {
        // At most kMaxLineBytes + 1 bytes (readLine reads maxSize - 1): a line of the limit with its
        // newline fits; more without a newline is too long. Empty: the end of the input (a line holds
        // at least its newline).
        QByteArray line = in.readLine(kMaxLineBytes + 2);
        if (line.isEmpty())
            break;
        ++report.lines;
        if (!line.endsWith('\n') && line.size() > kMaxLineBytes) {
            // Not read further: the line may never end (/dev/zero).
            bad(report.lines, tr("longer than %1 MiB; the rest of the input was not read")
                                  .arg(kMaxLineBytes / (1024 * 1024)));
            break;
        }
        if (report.badLines >= kMaxBadLines) {
            // Not a job file (or an endless stream of bad lines): stop reading.
            report.errors.append(
                tr("line %1: reading stopped after %2 lines with errors; the rest of the input "
                   "was not read")
                    .arg(report.lines)
                    .arg(kMaxBadLines));
            break;
        }
        if (line.trimmed().isEmpty())
            continue;
        ImportRow row;
        row.line = report.lines;
        if (const QString error = parseLine(line, now, actor, row); !error.isEmpty()) {
            bad(row.line, error);
            continue;
        }
        if (row.id) {
            const auto seen = lineOfId.constFind(*row.id);
            if (seen != lineOfId.constEnd()) {
                bad(row.line, tr("%1 is on line %2 already").arg(Job::publicId(*row.id)).arg(seen.value()));
                continue;
            }
            lineOfId.insert(*row.id, row.line);
            maxId = std::max(maxId, *row.id);
        }
        batch.append(std::move(row));
        if (batch.size() >= kBatch) {
            if (auto st = flush(); !st)
                return st.error();
        }
    }
    if (auto st = flush(); !st)
        return st.error();
    if (report.badLines > 0) {
        // Duplicates in the database are found per batch, after later lines' own errors: by line number.
        std::stable_sort(report.errors.begin(), report.errors.end(), [](const QString &a, const QString &b) {
            static const QRegularExpression number(QStringLiteral("(\\d+)"));
            return number.match(a).captured(1).toLongLong() < number.match(b).captured(1).toLongLong();
        });
        tx.rollback();
        qCInfo(lcJobs) << "import refused, nothing written:" << report.badLines << "bad lines of"
                       << report.lines;
        report.imported = 0;
        report.byStatus = {};
        return report;
    }
    if (postgres && maxId > 0) {
        // Jobs enqueued later draw ids past the imported ones.
        if (auto st = Sql::exec(
                db,
                QStringLiteral("SELECT setval('job_ids', %1) FROM job_ids WHERE last_value < %1").arg(maxId),
                tr("moving the job id sequence past the imported ids"));
            !st)
            return st.error();
    }
    QJsonObject byStatus;
    for (int i = 0; i < kJobStatusCount; ++i)
        if (report.byStatus[i] > 0)
            byStatus.insert(toString(static_cast<JobStatus>(i)), report.byStatus[i]);
    if (auto st = AuditStore::append(
            db, AuditEntry::of(who, QStringLiteral("jobs.import"), QStringLiteral("job"), {},
                               QJsonObject{{QStringLiteral("imported"), report.imported},
                                           {QStringLiteral("by_status"), byStatus}}));
        !st)
        return st.error();
    if (auto st = tx.commit(); !st)
        return st.error();
    qCInfo(lcJobs) << "imported" << report.imported << "jobs from" << report.lines << "lines";
    return report;
}

} // namespace hcm
