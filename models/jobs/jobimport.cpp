#include "jobimport.h"

#include "auth/auditstore.h"
#include "common/logcategories.h"
#include "db/database.h"
#include "db/dialect.h"
#include "db/notificationlistener.h"
#include "db/sqlitestatement.h"
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
#include <limits>
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
    // Counting the known fields the line has is a lookup per field name without a QString per key; only
    // a line with other fields is searched for them.
    qsizetype known = 0;
    for (const QString &field : knownFields())
        known += o.contains(field) ? 1 : 0;
    if (known != o.size()) {
        for (auto it = o.begin(); it != o.end(); ++it) {
            if (!knownFields().contains(it.key()))
                return JobImport::tr("unknown field %1").arg(quoted(it.key()));
        }
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

// JSON values for the batch's array (PostgreSQL): a string (UTF-8 in, escaped as RFC 8259 asks), a
// number or null.
void appendJson(QByteArray &out, const QByteArray &utf8)
{
    static const char hex[] = "0123456789abcdef";
    out += '"';
    for (const char c : utf8) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            out += "\\u00";
            out += hex[u >> 4];
            out += hex[u & 0xf];
        } else {
            out += c;
        }
    }
    out += '"';
}

void appendJson(QByteArray &out, const QVariant &text)
{
    if (text.isNull())
        out += "null";
    else
        appendJson(out, text.toString().toUtf8());
}

void appendJson(QByteArray &out, const std::optional<qint64> &number)
{
    out += number ? QByteArray::number(*number) : QByteArrayLiteral("null");
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
        // One statement per batch, the rows as one JSON array (QPSQL has no COPY): the view's triggers
        // take the whole batch in one INSERT ... SELECT, its finished rows into job_archive at once
        // (migration 019). A row without an id draws one from job_ids, as the view's default would.
        QByteArray array;
        array.reserve(rows.size() * 600);
        array += '[';
        for (const ImportRow &r : rows) {
            if (array.size() > 1)
                array += ',';
            array += "{\"id\":";
            appendJson(array, r.id);
            array += ",\"job_type\":";
            appendJson(array, r.type.toUtf8());
            array += ",\"status\":";
            appendJson(array, toString(r.status).toUtf8());
            array += ",\"priority\":" + QByteArray::number(r.priority);
            array += ",\"payload\":";
            appendJson(array, r.payload);
            array += ",\"result\":";
            appendJson(array, r.result);
            array += ",\"error_message\":";
            appendJson(array, r.errorMessage);
            array += ",\"retry_count\":" + QByteArray::number(r.retryCount);
            array += ",\"max_retries\":" + QByteArray::number(r.maxRetries);
            array += ",\"attempts\":" + QByteArray::number(r.attempts);
            array += ",\"run_at\":" + QByteArray::number(r.runAt);
            array += ",\"created_at\":" + QByteArray::number(r.createdAt);
            array += ",\"started_at\":";
            appendJson(array, r.startedAt);
            array += ",\"completed_at\":";
            appendJson(array, r.completedAt);
            array += ",\"updated_at\":" + QByteArray::number(r.completedAt.value_or(r.createdAt));
            array += ",\"created_by\":";
            appendJson(array, r.createdBy.toUtf8());
            array += ",\"worker_id\":";
            appendJson(array, r.workerId);
            array += ",\"cancel_requested\":" + QByteArray::number(r.cancelRequested);
            array += ",\"progress\":" + (r.progress ? QByteArray::number(*r.progress, 'g', 17) : "null");
            array += ",\"schedule_id\":";
            appendJson(array, r.scheduleId);
            array += '}';
        }
        array += ']';
        static const QString selected = QString(columns).replace(
            QStringLiteral("id, job_type"), QStringLiteral("COALESCE(r.id, nextval('job_ids')), r.job_type"));
        QSqlQuery q(db);
        if (!q.exec(QStringLiteral("INSERT INTO background_jobs (%1) SELECT %2 FROM "
                                   "json_populate_recordset(NULL::background_jobs, %3) AS r")
                        .arg(columns, selected, literal(db, QString::fromUtf8(array)))))
            return Database::error(q.lastError(), JobImport::tr("importing jobs"));
    } else {
        // One prepared statement on SQLite's own handle: binding through QSqlQuery cost more than the
        // insert (a QVariant and a placeholder name per value).
        SqliteStatement insert(db,
                               QStringLiteral("INSERT INTO background_jobs (%1) VALUES (?1, ?2, ?3, ?4, ?5, "
                                              "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
                                              "?19, ?20)")
                                   .arg(columns)
                                   .toUtf8());
        const QString doing = JobImport::tr("importing jobs");
        auto bindNumber = [&](int i, const std::optional<qint64> &v) {
            if (v)
                insert.bind(i, *v);
            else
                insert.bindNull(i);
        };
        auto bindText = [&](int i, const QVariant &v) {
            if (v.isNull())
                insert.bindNull(i);
            else
                insert.bind(i, v.toString().toUtf8());
        };
        for (const ImportRow &r : rows) {
            insert.reset();
            bindNumber(1, r.id);
            insert.bind(2, r.type.toUtf8());
            insert.bind(3, toString(r.status).toUtf8());
            insert.bind(4, qint64(r.priority));
            insert.bind(5, r.payload);
            bindText(6, r.result);
            bindText(7, r.errorMessage);
            insert.bind(8, qint64(r.retryCount));
            insert.bind(9, qint64(r.maxRetries));
            insert.bind(10, qint64(r.attempts));
            insert.bind(11, r.runAt);
            insert.bind(12, r.createdAt);
            bindNumber(13, r.startedAt);
            bindNumber(14, r.completedAt);
            insert.bind(15, r.completedAt.value_or(r.createdAt));
            insert.bind(16, r.createdBy.toUtf8());
            bindText(17, r.workerId);
            insert.bind(18, qint64(r.cancelRequested));
            if (r.progress)
                insert.bindReal(19, *r.progress);
            else
                insert.bindNull(19);
            bindNumber(20, r.scheduleId);
            if (auto st = insert.run(doing); !st)
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

    // 5,000 rows a statement, or fewer when their lines are long: a batch holds at most 16 MiB of
    // input (payloads may have up to 256 KiB each).
    constexpr qsizetype kBatch = 5000;
    constexpr qsizetype kBatchBytes = 16 * 1024 * 1024;
    qsizetype batchBytes = 0;
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
        batchBytes = 0;
        return st;
    };

    // One buffer for every line: a QByteArray of the limit's size per line (readLine(maxSize)) cost an
    // allocation and release of a megabyte per line, a third of the import's time.
    QByteArray buffer(kMaxLineBytes + 2, Qt::Uninitialized);
    while (true) {
        // At most kMaxLineBytes + 1 bytes (readLine reads maxSize - 1): a line of the limit with its
        // newline fits; more without a newline is too long. Nothing read: the end of the input (a line holds
        // at least its newline).
        const qint64 read = in.readLine(buffer.data(), buffer.size());
        if (read <= 0)
            break;
        const QByteArray line(buffer.constData(), read); // as long as the line, not as the limit
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
        batchBytes += line.size();
        if (batch.size() >= kBatch || batchBytes >= kBatchBytes) {
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
    if (postgres && report.imported > 0) {
        // Open job pages and idle workers learn of the import at its commit (an empty id list: "some
        // jobs", refresh everything); Enqueued wakes workers when queued jobs came in.
        JobEvent event;
        event.kind = report.byStatus[size_t(JobStatus::Queued)] > 0 ? JobEvent::Kind::Enqueued
                                                                    : JobEvent::Kind::Changed;
        event.count = int(qMin<qint64>(report.imported, std::numeric_limits<int>::max()));
        QSqlQuery notify(db);
        notify.prepare(QStringLiteral("SELECT pg_notify('%1', ?)").arg(QLatin1String(kJobChannel)));
        notify.addBindValue(event.encode());
        if (auto st = Sql::exec(notify, tr("announcing the imported jobs")); !st)
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
    if (postgres && report.imported > 0) {
        // An import through the view leaves one count delta per row (migration 017): fold them now
        // rather than at the next reap, so readers sum a few rows again.
        QSqlQuery fold(db);
        if (!fold.exec(QStringLiteral("SELECT job_counts_fold()")))
            qCWarning(lcJobs) << "folding the job counts after the import failed:" << fold.lastError().text();
    }
    return report;
}

} // namespace hcm
