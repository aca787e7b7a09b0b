// The HTTP API's seven endpoints: routing, authentication and rate limits, each endpoint's validation
// and its mapping of store errors to status codes. About 950 lines, kept in one file on purpose: every
// endpoint is a short function next to the shared request/answer helpers it uses; the HTTP/1.1 framing
// is api/httpserver.cpp, the tokens and limits models/api/.

#include "api/apiserver.h"

#include "api/apijson.h"
#include "api/apilimits.h"
#include "api/tokenstore.h"
#include "auth/auditstore.h"
#include "auth/permissions.h"
#include "common/logcategories.h"
#include "db/database.h"
#include "db/sqlitestatement.h"
#include "db/writegroup.h"
#include "jobs/jobservice.h"
#include "jobs/jobtypes.h"
#include "settings/notificationsettingsstore.h"
#include "worker/notify/notificationservice.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>
#include <QRegularExpression>
#include <QtEndian>

#include <QSslSocket>
#include <QTimer>

#include <algorithm>

namespace hcm::api {

namespace {

// The translation context of every sentence the API answers with.
struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::api::ApiServer)
};

const QString kJobsPath = QStringLiteral("/api/system/background-jobs");
const QString kSettingsPath = QStringLiteral("/api/system/notification-settings");
const QString kTestEmailPath = QStringLiteral("/api/system/notification-settings/test-email");
const QString kOpenApiPath = QStringLiteral("/api/openapi.json");

struct FieldError {
    QString field;
    QString message;
};

HttpResponse json(int status, const QJsonObject &body)
{
    HttpResponse r;
    r.status = status;
    r.body = QJsonDocument(body).toJson(QJsonDocument::Compact);
    return r;
}

HttpResponse problem(int status, const QString &detail, const QList<FieldError> &errors = {})
{
    QJsonArray list;
    for (const FieldError &e : errors)
        list.append(QJsonObject{{QStringLiteral("field"), e.field}, {QStringLiteral("message"), e.message}});
    return json(status, QJsonObject{{QStringLiteral("detail"), detail}, {QStringLiteral("errors"), list}});
}

HttpResponse fieldProblem(const QList<FieldError> &errors)
{
    return problem(400,
                   errors.size() == 1
                       ? errors.first().message
                       : QCoreApplication::translate("hcm::api::ApiServer", "The request has %n errors.",
                                                     nullptr, int(errors.size())),
                   errors);
}

// The HTTP status of a service error, and the body.
HttpResponse fromError(const Error &error)
{
    switch (error.code) {
    case Error::Code::Invalid:
        return problem(400, error.message);
    case Error::Code::NotFound:
        return problem(404, error.message);
    case Error::Code::Conflict:
        return problem(409, error.message);
    case Error::Code::Forbidden:
        return problem(403, error.message);
    case Error::Code::External:
        return problem(502, error.message);
    case Error::Code::Timeout:
        return problem(504, error.message);
    case Error::Code::Database:
        // The sentence may name hosts and files: it goes to the log, the client gets a summary.
        qCWarning(lcApp) << "API request failed on the database:" << error.message;
        return problem(503, Tr::tr("The database is not available; try again later."));
    case Error::Code::Io:
    case Error::Code::Cancelled:
        break;
    }
    qCWarning(lcApp) << "API request failed:" << error.message;
    return problem(500, Tr::tr("The server could not complete the request."));
}

// The next_cursor of the job list: base64url of the last id of the page (8 bytes), a fingerprint of the
// filters it was made for (4 bytes: status and job_type) and a check over both (8 bytes). The check
// tells a cursor this server made from a damaged or hand-made one (it is not a secret: any id is a
// harmless place to start); the fingerprint tells a cursor used with other filters.
struct JobCursor {
    qint64 lastId = 0;
    QByteArray fingerprint;

    static constexpr int kIdBytes = 8;
    static constexpr int kFingerprintBytes = 4;
    static constexpr int kCheckBytes = 8;

    static QByteArray fingerprintOf(const JobFilter &filter)
    {
        QList<int> statuses;
        for (JobStatus st : filter.statuses)
            statuses.append(int(st));
        std::sort(statuses.begin(), statuses.end());
        QByteArray text = "jobs-v1|";
        for (int st : statuses)
            text += QByteArray::number(st) + ',';
        text += '|' + filter.type.toUtf8();
        return QCryptographicHash::hash(text, QCryptographicHash::Sha256).left(kFingerprintBytes);
    }
    static QByteArray check(const QByteArray &idAndFingerprint)
    {
        return QMessageAuthenticationCode::hash(idAndFingerprint, QByteArrayLiteral("hcm job list cursor v1"),
                                                QCryptographicHash::Sha256)
            .left(kCheckBytes);
    }
    QString encode() const
    {
        QByteArray bytes(kIdBytes, Qt::Uninitialized);
        qToBigEndian<qint64>(lastId, bytes.data());
        bytes += fingerprint;
        bytes += check(bytes);
        return QString::fromLatin1(
            bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
    }
    static std::optional<JobCursor> decode(const QString &text)
    {
        const auto decoded = QByteArray::fromBase64Encoding(
            text.toLatin1(), QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded || decoded.decoded.size() != kIdBytes + kFingerprintBytes + kCheckBytes)
            return std::nullopt;
        const QByteArray &bytes = decoded.decoded;
        const QByteArray body = bytes.left(kIdBytes + kFingerprintBytes);
        if (check(body) != bytes.right(kCheckBytes))
            return std::nullopt;
        JobCursor c;
        c.lastId = qFromBigEndian<qint64>(bytes.constData());
        c.fingerprint = bytes.mid(kIdBytes, kFingerprintBytes);
        if (c.lastId <= 0)
            return std::nullopt;
        return c;
    }
};

struct Route {
    enum class Kind { ListJobs, CreateJob, GetJob, CancelJob, GetSettings, PutSettings, TestEmail };
    Kind kind;
    Permission permission;
    QString rateClass;
    QString jobId; // GetJob, CancelJob
};

bool isJsonContentType(const QByteArray &value)
{
    const QByteArray type = value.split(';').first().trimmed().toLower();
    return type == "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

// The body as a JSON object: 415 for a body that is not declared or not parseable as JSON, 400 for
// JSON that is not an object.
std::optional<HttpResponse> readObject(const HttpRequest &request, QJsonObject *object,
                                       bool emptyAllowed = false)
{
    if (emptyAllowed && request.body.trimmed().isEmpty()) {
        *object = {};
        return std::nullopt;
    }
    if (!isJsonContentType(request.header("content-type")))
        return problem(415, Tr::tr("The body must be JSON, sent with Content-Type: application/json."));
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(request.body, &error);
    if (error.error != QJsonParseError::NoError)
        return problem(
            415,
            Tr::tr("The body is not valid JSON: %1 at byte %2.").arg(error.errorString()).arg(error.offset));
    if (!doc.isObject())
        return problem(400, Tr::tr("The body must be a JSON object."));
    *object = doc.object();
    return std::nullopt;
}

// A job as GET shows it (times with milliseconds, as everywhere in the product).
QJsonObject jobBody(const Job &job, bool withAttempts)
{
    return job.toJson(withAttempts);
}

// The answer to a create: the job as it was created (queued), as the seed documents it, whatever a fast
// worker has done with it since. GET shows its current state.
// In the seed's order (id, status, job_type, created_at, then the rest): QJsonObject sorts its keys.
HttpResponse createdResponse(const Job &job)
{
    const QString id = job.publicId();
    QByteArray body;
    body.reserve(256);
    const auto field = [&body](const char *name, QStringView value) {
        body += body.isEmpty() ? "{\"" : ",\"";
        body += name;
        body += "\":";
        json::appendString(body, value);
    };
    field("id", id);
    field("status", hcm::toString(JobStatus::Queued));
    field("job_type", job.type);
    field("created_at", json::isoUtcSeconds(job.createdAt));
    field("priority", hcm::toString(job.priority));
    body += ",\"payload\":";
    json::appendValue(body, job.payload);
    body += ",\"max_retries\":";
    body += QByteArray::number(job.maxRetries);
    field("run_at", json::isoUtcSeconds(job.runAt));
    body += '}';
    HttpResponse r;
    r.status = 201;
    r.body = std::move(body);
    r.setHeader("Location", (kJobsPath + QLatin1Char('/') + id).toUtf8());
    return r;
}

void addRateHeaders(HttpResponse &r, const RateDecision &d)
{
    const qint64 reset = (d.resetMs + 999) / 1000;
    r.setHeader("RateLimit-Limit", QByteArray::number(d.limit));
    r.setHeader("RateLimit-Remaining", QByteArray::number(d.remaining));
    r.setHeader("RateLimit-Reset", QByteArray::number(reset));
    r.setHeader("RateLimit-Policy", QByteArray::number(d.limit) + ";w=60");
}

HttpResponse rateLimited(const RateDecision &d)
{
    HttpResponse r = problem(429, Tr::tr("Too many requests: at most %1 per minute for this token; try again "
                                         "in %2 s.")
                                      .arg(d.limit)
                                      .arg((d.resetMs + 999) / 1000));
    addRateHeaders(r, d);
    r.setHeader("Retry-After", QByteArray::number(qMax<qint64>(1, (d.resetMs + 999) / 1000)));
    return r;
}

class Call {
public:
    Call(const ApiServer::Options &options, const HttpRequest &request, const ApiIdentity &identity)
        : m_options(options)
        , m_request(request)
        , m_identity(identity)
        , m_actor(identity.userName, identity.role, Interface::Api, request.clientAddress)
    {}

    // Job creation counts the request against `limit` per minute in its own transaction.
    void setRateLimit(const QString &bucket, int limit)
    {
        m_rateBucket = bucket;
        m_rateLimit = limit;
    }
    // The rate decision of a creation (none when the request was refused before counting).
    std::optional<RateDecision> rateDecision() const { return m_decision; }

    HttpResponse run(const Route &route)
    {
        switch (route.kind) {
        case Route::Kind::ListJobs:
            return listJobs();
        case Route::Kind::CreateJob:
            return createJob();
        case Route::Kind::GetJob:
            return getJob(route.jobId);
        case Route::Kind::CancelJob:
            return cancelJob(route.jobId);
        case Route::Kind::GetSettings:
            return getSettings();
        case Route::Kind::PutSettings:
            return putSettings();
        case Route::Kind::TestEmail:
            return testEmail();
        }
        return problem(500, Tr::tr("The server could not complete the request."));
    }

private:
    JobService jobs() const { return JobService(JobStore(m_options.db, m_options.clock)); }

    HttpResponse listJobs()
    {
        JobFilter filter;
        QList<FieldError> errors;
        int limit = 50;
        const QStringList known{QStringLiteral("status"), QStringLiteral("job_type"), QStringLiteral("limit"),
                                QStringLiteral("cursor")};
        for (const auto &item : m_request.query.queryItems(QUrl::FullyDecoded)) {
            if (!known.contains(item.first))
                errors.append(
                    {item.first, Tr::tr("Unknown parameter; use status, job_type, limit or cursor.")});
        }
        const QString status = m_request.query.queryItemValue(QStringLiteral("status"), QUrl::FullyDecoded);
        if (!status.isEmpty()) {
            for (const QString &s : status.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
                const auto st = jobStatusFromString(s.trimmed());
                if (!st)
                    errors.append(
                        {QStringLiteral("status"),
                         Tr::tr("Unknown status \"%1\": use queued, processing, completed, failed or "
                                "cancelled.")
                             .arg(s.trimmed())});
                else if (!filter.statuses.contains(*st))
                    filter.statuses.append(*st);
            }
        }
        filter.type =
            m_request.query.queryItemValue(QStringLiteral("job_type"), QUrl::FullyDecoded).trimmed();
        if (m_request.query.hasQueryItem(QStringLiteral("limit"))) {
            bool ok = false;
            limit = m_request.query.queryItemValue(QStringLiteral("limit")).toInt(&ok);
            if (!ok || limit < 1 || limit > 500)
                errors.append(
                    {QStringLiteral("limit"), Tr::tr("limit must be a whole number from 1 to 500.")});
        }
        if (m_request.query.hasQueryItem(QStringLiteral("cursor"))) {
            const auto cursor = JobCursor::decode(m_request.query.queryItemValue(QStringLiteral("cursor")));
            if (!cursor)
                errors.append({QStringLiteral("cursor"),
                               Tr::tr("The cursor is not one this server gave out: send next_cursor of the "
                                      "previous page as it is.")});
            else if (cursor->fingerprint != JobCursor::fingerprintOf(filter))
                errors.append(
                    {QStringLiteral("cursor"),
                     Tr::tr("The cursor belongs to a listing with other filters: send the same status "
                            "and job_type as the request that returned it.")});
            else
                filter.beforeId = cursor->lastId;
        }
        if (!errors.isEmpty())
            return fieldProblem(errors);
        // Newest first by id, a page after the last id of the previous one: jobs created meanwhile (higher
        // ids) never shift a page, and each page is an index range.
        filter.sort = JobSortColumn::Id;
        filter.order = Qt::DescendingOrder;
        filter.limit = limit + 1;
        auto list = jobs().list(filter);
        if (!list)
            return fromError(list.error());
        QJsonArray items;
        for (qsizetype i = 0; i < list->size() && i < limit; ++i)
            items.append(jobBody(list->at(i), false));
        QJsonValue next = QJsonValue::Null;
        if (list->size() > limit)
            next = JobCursor{list->at(limit - 1).id, JobCursor::fingerprintOf(filter)}.encode();
        return json(200, QJsonObject{{QStringLiteral("jobs"), items}, {QStringLiteral("next_cursor"), next}});
    }

    HttpResponse createJob()
    {
        QJsonObject body;
        if (auto r = readObject(m_request, &body))
            return std::move(*r);
        QList<FieldError> errors;
        NewJob job;
        const QStringList known{QStringLiteral("job_type"), QStringLiteral("priority"),
                                QStringLiteral("payload"), QStringLiteral("max_retries"),
                                QStringLiteral("run_at")};
        for (auto it = body.begin(); it != body.end(); ++it)
            if (!known.contains(it.key()))
                errors.append(
                    {it.key(), Tr::tr("Unknown field; use job_type, priority, payload, max_retries or "
                                      "run_at.")});
        const QJsonValue type = body.value(QStringLiteral("job_type"));
        if (!type.isString() || type.toString().trimmed().isEmpty()) {
            errors.append(
                {QStringLiteral("job_type"), Tr::tr("job_type is required: the name of a job type.")});
        } else {
            job.type = type.toString().trimmed();
            const JobTypeInfo *info = JobTypeCatalog::instance().find(job.type);
            if (!info)
                errors.append(
                    {QStringLiteral("job_type"),
                     Tr::tr("Unknown job type \"%1\"; known types: %2.")
                         .arg(job.type, JobTypeCatalog::instance().names().join(QStringLiteral(", ")))});
        }
        if (body.contains(QStringLiteral("priority"))) {
            const QJsonValue p = body.value(QStringLiteral("priority"));
            const auto priority = p.isString() ? jobPriorityFromString(p.toString().trimmed()) : std::nullopt;
            if (!priority)
                errors.append({QStringLiteral("priority"),
                               Tr::tr("priority must be one of low, normal, high, critical.")});
            else
                job.priority = *priority;
        }
        if (body.contains(QStringLiteral("payload"))) {
            const QJsonValue p = body.value(QStringLiteral("payload"));
            if (p.isObject())
                job.payload = p.toObject();
            else if (!p.isNull())
                errors.append({QStringLiteral("payload"), Tr::tr("payload must be a JSON object.")});
        }
        if (body.contains(QStringLiteral("max_retries"))) {
            const QJsonValue v = body.value(QStringLiteral("max_retries"));
            const double d = v.toDouble(-1);
            if (!v.isDouble() || d != double(qint64(d)) || d < 0 || d > JobService::kMaxRetriesLimit)
                errors.append(
                    {QStringLiteral("max_retries"), Tr::tr("max_retries must be a whole number from 0 to %1.")
                                                        .arg(JobService::kMaxRetriesLimit)});
            else
                job.maxRetries = int(d);
        }
        if (body.contains(QStringLiteral("run_at")) && !body.value(QStringLiteral("run_at")).isNull()) {
            const QJsonValue v = body.value(QStringLiteral("run_at"));
            auto t = v.isString()
                         ? JobService::parseTime(v.toString())
                         : Result<qint64>(Error{Error::Code::Invalid, Tr::tr("run_at must be a string.")});
            if (!t)
                errors.append({QStringLiteral("run_at"), t.error().message});
            else
                job.runAt = t.value();
        }
        QString key;
        if (m_request.hasHeader("idempotency-key")) {
            key = QString::fromUtf8(m_request.header("idempotency-key"));
            static const QRegularExpression printable(QStringLiteral("^[\\x21-\\x7e]{1,255}$"));
            if (!printable.match(key).hasMatch())
                errors.append({QStringLiteral("Idempotency-Key"),
                               Tr::tr("Idempotency-Key must be 1 to 255 visible ASCII characters.")});
        }
        if (errors.isEmpty()) {
            if (auto st = JobService::validate(job); !st)
                errors.append({QStringLiteral("payload"), st.error().message});
        }
        if (!errors.isEmpty())
            return fieldProblem(errors);

        const QString hash = key.isEmpty() ? QString()
                                           : ApiTokenStore::hashToken(QString::fromUtf8(
                                                 QJsonDocument(body).toJson(QJsonDocument::Compact)));
        JobService service = jobs();
        // One write transaction: the job, the request's count against the rate limit, the Idempotency-Key
        // and the audit row. A refusal (the limit, a key in use) rolls it all back.
        for (int round = 0; round < 3; ++round) {
            std::optional<RateDecision> decision;
            bool keyInUse = false;
            Job created;
            created.type = job.type;
            created.priority = job.priority;
            created.payload = job.payload;
            created.maxRetries = job.maxRetries;
            const qint64 now = QDateTime::currentMSecsSinceEpoch();
            const JobInsertAudit inTransaction = [&](QSqlDatabase &d, const QList<qint64> &ids) -> Status {
                // The answer's times, as the database wrote them (no read after the commit).
                const QString readTimes =
                    QStringLiteral("SELECT created_at, run_at FROM background_jobs WHERE id = ?");
                created.id = ids.first();
                if (SqliteStatement *raw = Sql::cachedSqlite(d, readTimes.toUtf8())) {
                    raw->bind(1, ids.first());
                    if (!raw->next()) {
                        if (auto st = raw->status(Tr::tr("reading the new job")); !st)
                            return st;
                        return Error{Error::Code::Database, Tr::tr("The new job was not found.")};
                    }
                    created.createdAt = raw->int64(0);
                    created.runAt = raw->int64(1);
                    raw->reset();
                } else {
                    QSqlQuery &row = Sql::cached(d, readTimes);
                    row.bindValue(0, ids.first());
                    if (auto st = Sql::exec(row, Tr::tr("reading the new job")); !st)
                        return st;
                    if (!row.next())
                        return Error{Error::Code::Database, Tr::tr("The new job was not found.")};
                    created.createdAt = row.value(0).toLongLong();
                    created.runAt = row.value(1).toLongLong();
                    row.finish();
                }
                // PostgreSQL: the count locks the window's row of the token until the commit, and every
                // create of the token waits for it: as late as can be (the audit row is written before).
                auto hit = ApiRateLimiter::hitIn(d, m_options.db, m_rateBucket, m_rateLimit);
                if (!hit)
                    return hit.error();
                decision = hit.value();
                if (!decision->allowed)
                    return Error{Error::Code::Conflict, QStringLiteral("rate limit")};
                if (!key.isEmpty()) {
                    auto inserted =
                        IdempotencyKeys::insertIn(d, m_identity.tokenId, key, hash, ids.first(), now);
                    if (!inserted)
                        return inserted.error();
                    keyInUse = !inserted.value();
                    if (keyInUse)
                        return Error{Error::Code::Conflict, QStringLiteral("Idempotency-Key in use")};
                }
                return {};
            };
            // SQLite: in one transaction with the other pool threads' writes of the moment (WriteGroup).
            Result<qint64> id = Error{Error::Code::Database, QString()};
            const Status written = WriteGroup::run(m_options.db, [&]() -> Status {
                id = service.enqueue(job, m_actor, inTransaction);
                return id ? Status{} : Status(id.error());
            });
            if (!written && id)
                id = written.error();
            m_decision = decision;
            if (decision && !decision->allowed)
                return rateLimited(decision.value());
            if (keyInUse) {
                auto found = IdempotencyKeys(m_options.db).find(m_identity.tokenId, key, now);
                if (!found)
                    return fromError(found.error());
                if (!found->has_value())
                    continue; // expired and replaced meanwhile: create again
                if (found->value().requestHash != hash)
                    return problem(
                        422,
                        Tr::tr("This Idempotency-Key was used for a different request within 24 hours."));
                auto first = service.get(found->value().jobId);
                if (!first)
                    return fromError(first.error());
                HttpResponse r = createdResponse(first.value());
                r.setHeader("Idempotent-Replayed", "true");
                return r;
            }
            if (!id)
                return fromError(id.error());
            return createdResponse(created);
        }
        return problem(503, Tr::tr("The database is not available; try again later."));
    }

    Result<Job> findJob(const QString &text)
    {
        const auto id = Job::parseId(text);
        if (!id || *id <= 0)
            return Error{Error::Code::NotFound, Tr::tr("There is no job \"%1\".").arg(text)};
        auto job = jobs().get(*id);
        if (!job && job.error().code == Error::Code::NotFound)
            return Error{Error::Code::NotFound, Tr::tr("There is no job \"%1\".").arg(text)};
        return job;
    }

    HttpResponse getJob(const QString &idText)
    {
        auto job = findJob(idText);
        if (!job)
            return fromError(job.error());
        return json(200, jobBody(job.value(), true));
    }

    HttpResponse cancelJob(const QString &idText)
    {
        auto job = findJob(idText);
        if (!job)
            return fromError(job.error());
        if (isFinished(job->status))
            return problem(409, Tr::tr("Job %1 is %2 already: there is nothing to cancel.")
                                    .arg(job->publicId(), hcm::toString(job->status)));
        JobService service = jobs();
        const QList<JobActionResult> results = service.cancel({job->id}, m_actor);
        if (results.isEmpty() || !results.first().ok)
            return problem(409, results.isEmpty() ? Tr::tr("The job could not be cancelled.")
                                                  : results.first().message);
        auto after = service.get(job->id);
        if (!after)
            return fromError(after.error());
        // The code says what the cancel did (a running job is only asked to stop); the body is the job
        // now, which a fast worker may have stopped already.
        return json(results.first().status == JobStatus::Processing ? 202 : 200,
                    jobBody(after.value(), false));
    }

    HttpResponse getSettings()
    {
        NotificationSettingsStore store(m_options.db, m_options.clock);
        auto settings = store.load();
        if (!settings)
            return fromError(settings.error());
        return json(200, settings->toJson());
    }

    HttpResponse putSettings()
    {
        QJsonObject body;
        if (auto r = readObject(m_request, &body))
            return std::move(*r);
        NotificationSettingsStore store(m_options.db, m_options.clock);
        auto loaded = store.load();
        if (!loaded)
            return fromError(loaded.error());
        NotificationSettings settings = loaded.value();
        QList<FieldError> errors;
        const QJsonValue version = body.value(QStringLiteral("version"));
        if (!version.isDouble() || version.toDouble() != double(int(version.toDouble())) ||
            version.toInt() < 0)
            errors.append({QStringLiteral("version"),
                           Tr::tr("version is required: the version of the settings you read (GET).")});
        for (auto it = body.begin(); it != body.end(); ++it) {
            const QString &k = it.key();
            if (k == QLatin1String("version") || k == QLatin1String("updated_by") ||
                k == QLatin1String("updated_at"))
                continue;
            if (const QString message = settings.setJson(k, it.value()); !message.isEmpty())
                errors.append({k, message});
        }
        // Every field error at once: what could not be read, then the rules for the other fields (a field
        // that could not be read keeps its stored value).
        const auto invalid = settings.validate();
        for (auto it = invalid.begin(); it != invalid.end(); ++it)
            if (std::none_of(errors.cbegin(), errors.cend(),
                             [&](const FieldError &e) { return e.field == it.key(); }))
                errors.append({it.key(), it.value()});
        if (!errors.isEmpty())
            return fieldProblem(errors);
        const SettingsSaveResult saved = store.save(settings, version.toInt(), m_actor);
        if (!saved.ok) {
            if (saved.error.code == Error::Code::Conflict) {
                QList<FieldError> conflicts;
                for (const QString &f : saved.conflictFields)
                    conflicts.append(
                        {f, Tr::tr("Changed by someone else since version %1.").arg(version.toInt())});
                return problem(409, saved.error.message, conflicts);
            }
            if (saved.error.code == Error::Code::Invalid && !saved.fieldErrors.isEmpty()) {
                QList<FieldError> list;
                for (auto it = saved.fieldErrors.begin(); it != saved.fieldErrors.end(); ++it)
                    list.append({it.key(), it.value()});
                return fieldProblem(list);
            }
            return fromError(saved.error);
        }
        return getSettings();
    }

    HttpResponse testEmail()
    {
        QJsonObject body;
        if (auto r = readObject(m_request, &body, true))
            return std::move(*r);
        const QJsonValue recipient = body.value(QStringLiteral("recipient"));
        if (!recipient.isUndefined() && !recipient.isString() && !recipient.isNull())
            return fieldProblem(
                {{QStringLiteral("recipient"), Tr::tr("recipient must be an email address.")}});
        NotificationService service(m_options.db, m_options.clock);
        auto sent = service.sendTest(NotifyChannel::Email, recipient.toString(), m_actor);
        if (!sent) {
            if (sent.error().code == Error::Code::Conflict)
                return problem(429, sent.error().message);
            return fromError(sent.error());
        }
        QJsonArray deliveries;
        bool delivered = false;
        qint64 latency = 0;
        QString provider;
        QStringList failures;
        for (const DeliveryRecord &d : sent.value()) {
            deliveries.append(d.toJson());
            delivered = delivered || d.delivered;
            latency = qMax(latency, d.latencyMs);
            if (!d.providerResponse.isEmpty())
                provider = d.providerResponse;
            if (!d.delivered && !d.error.isEmpty())
                failures.append(d.error);
        }
        if (!delivered && !failures.isEmpty()) {
            QJsonObject o{{QStringLiteral("detail"), failures.join(QLatin1Char(' '))},
                          {QStringLiteral("errors"), QJsonArray{}},
                          {QStringLiteral("latency_ms"), latency},
                          {QStringLiteral("deliveries"), deliveries}};
            return json(502, o);
        }
        return json(200, QJsonObject{{QStringLiteral("delivered"), delivered},
                                     {QStringLiteral("provider_response"), provider},
                                     {QStringLiteral("latency_ms"), latency},
                                     {QStringLiteral("deliveries"), deliveries}});
    }

    const ApiServer::Options &m_options;
    const HttpRequest &m_request;
    ApiIdentity m_identity;
    Actor m_actor;
    QString m_rateBucket;
    int m_rateLimit = 0;
    std::optional<RateDecision> m_decision;
};

HttpResponse unauthorized(const QString &detail, bool invalidToken)
{
    HttpResponse r = problem(401, detail);
    r.setHeader("WWW-Authenticate", invalidToken ? QByteArray("Bearer realm=\"hcm\", error=\"invalid_token\"")
                                                 : QByteArray("Bearer realm=\"hcm\""));
    return r;
}

HttpResponse serve(const ApiServer::Options &options, const HttpRequest &request, const Route &route)
{
    const QByteArray authorization = request.header("authorization");
    if (authorization.isEmpty())
        return unauthorized(Tr::tr("Send a token: Authorization: Bearer <token> (hcmctl tokens create)."),
                            false);
    if (!authorization.left(7).toLower().startsWith("bearer "))
        return unauthorized(Tr::tr("Only Bearer tokens are accepted: Authorization: Bearer <token>."), false);
    const QString token = QString::fromLatin1(authorization.mid(7).trimmed());
    ApiTokenStore tokens(options.db, options.clock);
    auto identity = tokens.authenticate(token, request.clientAddress);
    if (!identity) {
        if (identity.error().code == Error::Code::NotFound) {
            qCInfo(lcApp) << "API request refused from" << request.clientAddress << ":"
                          << identity.error().message;
            return unauthorized(identity.error().message, true);
        }
        return fromError(identity.error());
    }
    const Actor actor(identity->userName, identity->role, Interface::Api, request.clientAddress);
    // The refusal is written to the audit trail with the client's address.
    const bool aboutJob = !route.jobId.isEmpty();
    const bool aboutSettings =
        route.kind == Route::Kind::PutSettings || route.kind == Route::Kind::GetSettings;
    if (auto st = authorizeAndAudit(options.db, actor, route.permission,
                                    aboutJob        ? QStringLiteral("job")
                                    : aboutSettings ? QStringLiteral("settings")
                                                    : QString(),
                                    aboutJob ? QStringList{route.jobId} : QStringList{});
        !st)
        return problem(403, st.error().message);

    const int limit = identity->rateLimit > 0 ? identity->rateLimit : options.rates.forClass(route.rateClass);
    const QString bucket = QStringLiteral("t%1:%2").arg(identity->tokenId).arg(route.rateClass);
    Call call(options, request, identity.value());
    if (route.kind == Route::Kind::CreateJob) {
        // Counted in the transaction that creates the job (a request refused for its fields is not).
        call.setRateLimit(bucket, limit);
        HttpResponse r = call.run(route);
        if (const auto decision = call.rateDecision(); decision && r.status != 429)
            addRateHeaders(r, decision.value());
        return r;
    }
    Result<RateDecision> decision = Error{Error::Code::Database, QString()};
    const Status counted = WriteGroup::run(options.db, [&]() -> Status {
        decision = ApiRateLimiter(options.db).hit(bucket, limit);
        return decision ? Status{} : Status(decision.error());
    });
    if (!counted && decision)
        decision = counted.error();
    if (!decision)
        return fromError(decision.error());
    if (!decision->allowed)
        return rateLimited(decision.value());
    HttpResponse r = call.run(route);
    addRateHeaders(r, decision.value());
    return r;
}

HttpResponse openApiDocument()
{
    QFile file(QStringLiteral(":/api/openapi.json"));
    HttpResponse r;
    if (!file.open(QIODevice::ReadOnly))
        return problem(500, Tr::tr("The API description is missing from this build."));
    r.body = file.readAll();
    return r;
}

} // namespace

QString RateLimits::parse(const QString &text)
{
    for (const QString &part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QStringList kv = part.split(QLatin1Char('='));
        bool ok = false;
        const int n = kv.value(1).trimmed().toInt(&ok);
        if (kv.size() != 2 || !ok || n < 1 || n > 1000000)
            return Tr::tr("\"%1\" is not NAME=N with N from 1 to 1000000.").arg(part);
        const QString name = kv.first().trimmed();
        if (name == QLatin1String("read"))
            read = n;
        else if (name == QLatin1String("create"))
            create = n;
        else if (name == QLatin1String("cancel"))
            cancel = n;
        else if (name == QLatin1String("settings-write"))
            settingsWrite = n;
        else if (name == QLatin1String("test-email"))
            testEmail = n;
        else
            return Tr::tr("Unknown limit \"%1\": use read, create, cancel, settings-write or test-email.")
                .arg(name);
    }
    return {};
}

int RateLimits::forClass(const QString &name) const
{
    if (name == QLatin1String("create"))
        return create;
    if (name == QLatin1String("cancel"))
        return cancel;
    if (name == QLatin1String("settings-write"))
        return settingsWrite;
    if (name == QLatin1String("test-email"))
        return testEmail;
    return read;
}

ApiServer::ApiServer(Options options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
{
    m_pool.setMaxThreadCount(qMax(1, m_options.threads));
    m_pool.setExpiryTimeout(-1); // keep the threads and their connections
}

ApiServer::~ApiServer()
{
    stop();
}

Status ApiServer::start()
{
    m_http = new HttpServer(
        m_options.limits,
        [this](HttpRequest &&request, const HttpResponder &responder) {
            handle(std::move(request), responder);
        },
        this);
    if (m_options.tls)
        m_http->setTls(*m_options.tls);
    QString error;
    if (!m_http->listen(m_options.address, m_options.port, &error))
        return Error{Error::Code::Io, Tr::tr("The API cannot listen on %1:%2: %3")
                                          .arg(m_options.address.toString())
                                          .arg(m_options.port)
                                          .arg(error)};
    qCInfo(lcApp) << "API listening on" << m_options.address.toString() << m_http->serverPort()
                  << (m_options.tls ? "(HTTPS)" : "(HTTP)");
    // Rows of past rate windows and expired idempotency keys go away now and then.
    auto *prune = new QTimer(this);
    prune->setInterval(60 * 1000);
    connect(prune, &QTimer::timeout, this, [this] {
        m_pool.start([db = m_options.db] {
            (void)ApiRateLimiter(db).prune();
            (void)IdempotencyKeys(db).prune();
        });
    });
    prune->start();
    return {};
}

void ApiServer::stop()
{
    m_pool.waitForDone();
    m_pool.start([] { Database::closeThreadConnections(); });
    m_pool.waitForDone();
}

quint16 ApiServer::port() const
{
    return m_http ? m_http->serverPort() : 0;
}

Status ApiServer::parseAddress(const QString &text, QHostAddress *address, quint16 *port)
{
    QString host = QStringLiteral("127.0.0.1");
    QString portText = QStringLiteral("2000");
    const QString t = text.trimmed();
    static const QRegularExpression v6(QStringLiteral("^\\[([^\\]]+)\\](?::(\\d+))?$"));
    if (const auto m = v6.match(t); m.hasMatch()) {
        host = m.captured(1);
        if (!m.captured(2).isEmpty())
            portText = m.captured(2);
    } else if (!t.isEmpty()) {
        const qsizetype colon = t.lastIndexOf(QLatin1Char(':'));
        if (colon >= 0 && t.count(QLatin1Char(':')) == 1) {
            if (colon > 0)
                host = t.left(colon);
            portText = t.mid(colon + 1);
        } else {
            host = t;
        }
    }
    bool ok = false;
    const int p = portText.toInt(&ok);
    QHostAddress a;
    if (host == QLatin1String("localhost"))
        a = QHostAddress::LocalHost;
    else
        a = QHostAddress(host);
    if (a.isNull() || !ok || p < 0 || p > 65535)
        return Error{
            Error::Code::Invalid,
            Tr::tr("--api needs ADDRESS:PORT with an IP address and a port from 0 to 65535 (0: any free "
                   "port), for example 127.0.0.1:2000; got \"%1\".")
                .arg(text)};
    *address = a;
    *port = quint16(p);
    return {};
}

void ApiServer::handle(HttpRequest &&request, const HttpResponder &responder)
{
    ++m_requests;
    const QString &path = request.path;
    const QByteArray &method = request.method;
    std::optional<Route> route;
    QByteArray allow;
    static const QRegularExpression jobPath(QStringLiteral("^/api/system/background-jobs/([^/]+)$"));
    static const QRegularExpression cancelPath(
        QStringLiteral("^/api/system/background-jobs/([^/]+)/cancel$"));
    if (path == kOpenApiPath) {
        allow = "GET";
        if (method == "GET")
            return responder.send(openApiDocument());
    } else if (path == kJobsPath) {
        allow = "GET, POST";
        if (method == "GET")
            route = Route{Route::Kind::ListJobs, Permission::ReadJobs, QStringLiteral("read"), {}};
        else if (method == "POST")
            route = Route{Route::Kind::CreateJob, Permission::CreateJobs, QStringLiteral("create"), {}};
    } else if (path == kSettingsPath) {
        allow = "GET, PUT";
        if (method == "GET")
            route = Route{Route::Kind::GetSettings, Permission::ReadSettings, QStringLiteral("read"), {}};
        else if (method == "PUT")
            route = Route{
                Route::Kind::PutSettings, Permission::WriteSettings, QStringLiteral("settings-write"), {}};
    } else if (path == kTestEmailPath) {
        allow = "POST";
        if (method == "POST")
            route =
                Route{Route::Kind::TestEmail, Permission::SendTestMessages, QStringLiteral("test-email"), {}};
    } else if (const auto m = cancelPath.match(path); m.hasMatch()) {
        allow = "POST";
        if (method == "POST")
            route = Route{Route::Kind::CancelJob, Permission::CancelJobs, QStringLiteral("cancel"),
                          m.captured(1)};
    } else if (const auto m2 = jobPath.match(path); m2.hasMatch()) {
        allow = "GET";
        if (method == "GET")
            route = Route{Route::Kind::GetJob, Permission::ReadJobs, QStringLiteral("read"), m2.captured(1)};
    }
    if (!route) {
        if (allow.isEmpty())
            return responder.send(
                problem(404, Tr::tr("There is no endpoint %1; see /api/openapi.json.").arg(path)));
        HttpResponse r =
            problem(405, Tr::tr("%1 is not allowed on %2; allowed: %3.")
                             .arg(QString::fromLatin1(method), path, QString::fromLatin1(allow)));
        r.setHeader("Allow", allow);
        return responder.send(std::move(r));
    }
    if (m_queued.load() >= m_options.maxQueuedRequests) {
        HttpResponse r = problem(503, Tr::tr("The server is busy; try again in a moment."));
        r.setHeader("Retry-After", "1");
        return responder.send(std::move(r));
    }
    ++m_queued;
    m_pool.start([this, request = std::move(request), responder, r = *route]() {
        --m_queued;
        responder.send(serve(m_options, request, r));
    });
}

} // namespace hcm::api
