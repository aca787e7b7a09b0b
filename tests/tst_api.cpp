// The HTTP API of hcm-worker, end to end: real hcm-worker processes serving --api on a free loopback
// port, driven by real HTTP clients (QNetworkAccessManager, curl, raw sockets), on both backends.
// Over 800 lines on purpose: one suite per component, so that its shared fixtures (databases of both
// backends, servers, processes) are set up once; each test function is self-contained.

#include "testutil.h"

#include "api/tokenstore.h"
#include "auth/auditstore.h"
#include "auth/userstore.h"
#include "db/database.h"
#include "jobs/jobstore.h"
#include "settings/notificationsettings.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTest>
#include <QTime>

#include <csignal>
#include <memory>

using namespace hcm;
using namespace hcm::test;

namespace {

const QString kJobs = QStringLiteral("/api/system/background-jobs");
const QString kSettings = QStringLiteral("/api/system/notification-settings");
const QString kTestEmail = QStringLiteral("/api/system/notification-settings/test-email");

// A user of the database (table users) with `role`, disabled afterwards when asked.
bool addUser(const DbConfig &config, const QString &name, const QString &role, bool disabled = false)
{
    Role r = Role::Viewer;
    if (!roleFromString(role, &r))
        return false;
    if (config.isPostgres()) {
        // On PostgreSQL a user is a login of the server (roles are shared by the cluster's databases).
        auto db = Database::connection(config);
        if (!db)
            return false;
        QSqlQuery q(db.value());
        if (!q.exec(
                QStringLiteral("DO $$ BEGIN CREATE ROLE \"%1\" LOGIN; EXCEPTION WHEN duplicate_object THEN "
                               "NULL; END $$")
                    .arg(name)))
            return false;
    }
    UserService users(config);
    const Actor admin = Actor::system(QStringLiteral("test"));
    auto added = users.add(name, r, name, admin);
    if (!added) {
        qWarning() << added.error().message;
        return false;
    }
    return !disabled || users.setDisabled(name, true, admin).ok();
}

QString makeToken(const DbConfig &config, const QString &user, int rateLimit = 0)
{
    ApiTokenStore store(config);
    auto created =
        store.create(user, QStringLiteral("test token"), 0, Actor::system(QStringLiteral("test")), rateLimit);
    if (!created)
        qWarning() << created.error().message;
    return created ? created->token : QString();
}

// One hcm-worker process serving the API on a free port.
class ApiWorker final {
public:
    ~ApiWorker() { stop(); }

    bool start(const TempDatabase &tdb, const QStringList &extra = {})
    {
        static int counter = 0;
        const QString id = QStringLiteral("api-%1").arg(++counter);
        m_process = std::make_unique<QProcess>();
        m_process->setProgram(programPath(QStringLiteral("hcm-worker")));
        m_process->setArguments(
            QStringList{QStringLiteral("--db"), tdb.spec(), QStringLiteral("--api"),
                        QStringLiteral("127.0.0.1:0"), QStringLiteral("--worker-id"), id,
                        QStringLiteral("--enable-test-job-types"), QStringLiteral("--log-dir"),
                        tdb.dir() + QStringLiteral("/logs-") + id, QStringLiteral("--cache-dir"),
                        tdb.dir() + QStringLiteral("/cache")} +
            extra);
        m_process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_process->start();
        if (!m_process->waitForStarted(10'000))
            return false;
        static const QRegularExpression re(QStringLiteral("API listening on (https?://[0-9.]+:(\\d+))"));
        QByteArray out;
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < 30'000 && m_process->state() == QProcess::Running) {
            m_process->waitForReadyRead(200);
            out += m_process->readAllStandardOutput();
            const auto m = re.match(QString::fromUtf8(out));
            if (m.hasMatch()) {
                m_base = m.captured(1);
                m_port = m.captured(2).toUShort();
                return true;
            }
        }
        return false;
    }

    void stop()
    {
        if (!m_process || m_process->state() == QProcess::NotRunning)
            return;
        m_process->terminate();
        if (!m_process->waitForFinished(30'000)) {
            m_process->kill();
            m_process->waitForFinished(5000);
        }
    }

    bool running() const { return m_process && m_process->state() == QProcess::Running; }
    QProcess *process() const { return m_process.get(); }
    QUrl url(const QString &pathAndQuery) const { return QUrl(m_base + pathAndQuery); }
    QString base() const { return m_base; }
    quint16 port() const { return m_port; }

private:
    std::unique_ptr<QProcess> m_process;
    QString m_base;
    quint16 m_port = 0;
};

struct Answer {
    int status = 0;
    QByteArray body;
    QHash<QByteArray, QByteArray> headers; // lower-case names

    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    QByteArray header(const char *name) const { return headers.value(QByteArray(name)); }
};

Answer call(QNetworkAccessManager &nam, const QByteArray &method, const QUrl &url, const QString &token,
            const QByteArray &body = {}, const QList<QPair<QByteArray, QByteArray>> &extra = {},
            const QByteArray &contentType = "application/json")
{
    QNetworkRequest request(url);
    if (!token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + token.toLatin1());
    if (!body.isEmpty())
        request.setHeader(QNetworkRequest::ContentTypeHeader, contentType);
    for (const auto &h : extra)
        request.setRawHeader(h.first, h.second);
    QNetworkReply *reply = nam.sendCustomRequest(request, method, body);
    QSignalSpy finished(reply, &QNetworkReply::finished);
    if (!reply->isFinished())
        finished.wait(30'000);
    Answer a;
    a.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    a.body = reply->readAll();
    for (const auto &h : reply->rawHeaderPairs())
        a.headers.insert(h.first.toLower(), h.second);
    reply->deleteLater();
    return a;
}

// curl with `args`; returns the status code (from -w) and the body.
Answer curl(const QStringList &args)
{
    QProcess p;
    p.start(QStringLiteral("curl"),
            QStringList{QStringLiteral("-sS"), QStringLiteral("-w"), QStringLiteral("\n%{http_code}")} +
                args);
    Answer a;
    if (!p.waitForFinished(60'000))
        return a;
    QByteArray out = p.readAllStandardOutput();
    const qsizetype nl = out.lastIndexOf('\n');
    a.status = out.mid(nl + 1).toInt();
    a.body = out.left(nl);
    return a;
}

// Writes `bytes` on a fresh connection and reads until the server closes it (or `timeoutMs`).
QByteArray raw(quint16 port, const QByteArray &bytes, int timeoutMs = 15'000)
{
    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHost, port);
    if (!s.waitForConnected(5000))
        return "connect failed";
    s.write(bytes);
    s.waitForBytesWritten(5000);
    QByteArray in;
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs && s.state() == QAbstractSocket::ConnectedState) {
        if (s.waitForReadyRead(100))
            in += s.readAll();
    }
    in += s.readAll();
    return in;
}

int statusOf(const QByteArray &response)
{
    return response.startsWith("HTTP/1.1 ") ? response.mid(9, 3).toInt() : 0;
}

QString jobStatus(const DbConfig &config, qint64 id)
{
    auto db = Database::connection(config);
    QSqlQuery q(db.value());
    q.prepare(QStringLiteral("SELECT status FROM background_jobs WHERE id = ?"));
    q.addBindValue(id);
    if (!q.exec() || !q.next())
        return {};
    return q.value(0).toString();
}

qint64 idOf(const QJsonObject &job)
{
    return Job::parseId(job.value(QStringLiteral("id")).toString()).value_or(0);
}

QByteArray jobJson(const QString &type, const QJsonObject &payload = {})
{
    return QJsonDocument(
               QJsonObject{{QStringLiteral("job_type"), type}, {QStringLiteral("payload"), payload}})
        .toJson(QJsonDocument::Compact);
}

} // namespace

class TestApi : public QObject {
    Q_OBJECT

private slots:
    void initTestCase_data() { addBackendRows(); }
    void initTestCase()
    {
        if (!QFile::exists(programPath(QStringLiteral("hcm-worker"))))
            QSKIP("hcm-worker is not built");
        if (QStandardPaths::findExecutable(QStringLiteral("curl")).isEmpty())
            QSKIP("curl is not installed");
    }

    // The Quick Start of docs/api.md as written (token and port aside): a token from hcmctl tokens create,
    // create, list, list by status, get one; the job completes.
    void quickStart()
    {
        HCM_TEMP_DATABASE(tdb);
        QVERIFY(addUser(tdb.config(), QStringLiteral("alice"), QStringLiteral("operator")));
        QProcess ctl;
        ctl.start(programPath(QStringLiteral("hcmctl")),
                  {QStringLiteral("--db"), tdb.spec(), QStringLiteral("tokens"), QStringLiteral("create"),
                   QStringLiteral("--user"), QStringLiteral("alice"), QStringLiteral("--name"),
                   QStringLiteral("HR backend"), QStringLiteral("--expires"), QStringLiteral("90d")});
        QVERIFY(ctl.waitForFinished(30'000));
        QCOMPARE(ctl.exitCode(), 0);
        const QString token = QString::fromUtf8(ctl.readAllStandardOutput()).trimmed();
        QVERIFY2(QRegularExpression(QStringLiteral("^hcm_[0-9A-Za-z]{43}$")).match(token).hasMatch(),
                 qPrintable(token));
        // Only its hash is stored.
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("api_tokens"),
                          QStringLiteral("token_hash = '%1'").arg(ApiTokenStore::hashToken(token))),
                 1);

        ApiWorker server;
        QVERIFY(server.start(tdb));
        const QString auth = QStringLiteral("Authorization: Bearer ") + token;
        Answer created = curl(
            {QStringLiteral("-X"), QStringLiteral("POST"), server.base() + kJobs, QStringLiteral("-H"), auth,
             QStringLiteral("-H"), QStringLiteral("Content-Type: application/json"), QStringLiteral("-d"),
             QStringLiteral("{\n    \"job_type\": \"cache_flush\",\n    \"priority\": \"high\",\n"
                            "    \"payload\": {\"action\": \"full\"}\n  }")});
        QCOMPARE(created.status, 201);
        // The seed's order of the fields.
        QVERIFY2(QRegularExpression(QStringLiteral("^\\{\"id\":\"job_\\d+\",\"status\":\"queued\","
                                                   "\"job_type\":\"cache_flush\",\"created_at\":\""))
                     .match(QString::fromUtf8(created.body))
                     .hasMatch(),
                 created.body.constData());
        const QJsonObject job = created.json();
        QVERIFY2(QRegularExpression(QStringLiteral("^job_\\d+$"))
                     .match(job.value(QStringLiteral("id")).toString())
                     .hasMatch(),
                 created.body.constData());
        QCOMPARE(job.value(QStringLiteral("status")).toString(), QStringLiteral("queued"));
        QCOMPARE(job.value(QStringLiteral("job_type")).toString(), QStringLiteral("cache_flush"));
        QVERIFY2(QRegularExpression(QStringLiteral("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$"))
                     .match(job.value(QStringLiteral("created_at")).toString())
                     .hasMatch(),
                 created.body.constData());
        const QString id = job.value(QStringLiteral("id")).toString();

        Answer all = curl({QStringLiteral("-H"), auth, server.base() + kJobs});
        QCOMPARE(all.status, 200);
        QCOMPARE(all.json()
                     .value(QStringLiteral("jobs"))
                     .toArray()
                     .first()
                     .toObject()
                     .value(QStringLiteral("id"))
                     .toString(),
                 id);
        QVERIFY(all.json().contains(QStringLiteral("next_cursor")));
        // The job runs on this worker and shows as completed.
        QTRY_COMPARE_WITH_TIMEOUT(
            curl({QStringLiteral("-H"), auth, server.base() + kJobs + QStringLiteral("?status=completed")})
                .json()
                .value(QStringLiteral("jobs"))
                .toArray()
                .size(),
            1, 15'000);
        Answer one = curl({QStringLiteral("-H"), auth, server.base() + kJobs + QLatin1Char('/') + id});
        QCOMPARE(one.status, 200);
        QCOMPARE(one.json().value(QStringLiteral("status")).toString(), QStringLiteral("completed"));
        QCOMPARE(one.json().value(QStringLiteral("attempt_history")).toArray().size(), 1);
        QCOMPARE(one.json().value(QStringLiteral("created_by")).toString(), QStringLiteral("alice"));
    }

    // Every status code of the table in docs/api.md, from a real client.
    void statusCodes()
    {
        HCM_TEMP_DATABASE(tdb);
        QVERIFY(addUser(tdb.config(), QStringLiteral("olga"), QStringLiteral("operator")));
        QVERIFY(addUser(tdb.config(), QStringLiteral("vic"), QStringLiteral("viewer")));
        QVERIFY(addUser(tdb.config(), QStringLiteral("sam"), QStringLiteral("systemadmin")));
        QVERIFY(addUser(tdb.config(), QStringLiteral("dora"), QStringLiteral("operator")));
        const QString op = makeToken(tdb.config(), QStringLiteral("olga"));
        const QString viewer = makeToken(tdb.config(), QStringLiteral("vic"));
        const QString admin = makeToken(tdb.config(), QStringLiteral("sam"));
        const QString disabled = makeToken(tdb.config(), QStringLiteral("dora"));
        const QString revoked = makeToken(tdb.config(), QStringLiteral("olga"));
        const QString expired = makeToken(tdb.config(), QStringLiteral("olga"));
        QVERIFY(!op.isEmpty() && !viewer.isEmpty() && !admin.isEmpty() && !revoked.isEmpty());
        {
            ApiTokenStore store(tdb.config());
            const auto list = store.list(Actor::system(QStringLiteral("test")));
            QVERIFY(list.ok());
            // Tokens are listed newest first: the last two made are `expired`, then `revoked`.
            QVERIFY(store.revoke(list->at(1).id, Actor::system(QStringLiteral("test"))).ok());
            auto db = Database::connection(tdb.config());
            QSqlQuery q(db.value());
            QVERIFY(q.exec(
                QStringLiteral("UPDATE api_tokens SET expires_at = 1000 WHERE id = %1").arg(list->at(0).id)));
            // A user disabled after the token was made.
            QVERIFY(UserService(tdb.config())
                        .setDisabled(QStringLiteral("dora"), true, Actor::system(QStringLiteral("test")))
                        .ok());
        }
        ApiWorker server;
        QVERIFY(server.start(tdb, {QStringLiteral("--concurrency"), QStringLiteral("1")}));
        QNetworkAccessManager nam;
        const QUrl jobs = server.url(kJobs);

        // 401: missing, unknown, revoked, expired token, disabled user; always with WWW-Authenticate.
        for (const QString &t : {QString(), QStringLiteral("hcm_wrong"), revoked, expired, disabled}) {
            const Answer a = call(nam, "GET", jobs, t);
            QCOMPARE(a.status, 401);
            QVERIFY2(a.header("www-authenticate").startsWith("Bearer"), a.body.constData());
            QVERIFY(!a.json().value(QStringLiteral("detail")).toString().isEmpty());
        }
        // 403: a Viewer may not create; an Operator may not change settings.
        Answer a = call(nam, "POST", jobs, viewer, jobJson(QStringLiteral("cache_flush")));
        QCOMPARE(a.status, 403);
        QVERIFY2(a.json().value(QStringLiteral("detail")).toString().contains(QStringLiteral("Operator")),
                 a.body.constData());
        QCOMPARE(call(nam, "PUT", server.url(kSettings), op, "{\"version\":1}").status, 403);
        {
            // Both refusals are in the audit trail, with the interface and the client's address.
            AuditFilter filter;
            filter.action = QStringLiteral("jobs.create");
            auto refused = AuditStore(tdb.config()).list(filter);
            QVERIFY(refused.ok());
            QCOMPARE(refused->size(), 1);
            QCOMPARE(refused->first().actor, QStringLiteral("vic"));
            QCOMPARE(toString(refused->first().outcome), QStringLiteral("refused"));
            QCOMPARE(interfaceToString(refused->first().via), QStringLiteral("api"));
            QCOMPARE(refused->first().clientAddress, QStringLiteral("127.0.0.1"));
            filter.action = QStringLiteral("settings.write");
            filter.actor = QStringLiteral("olga");
            QCOMPARE(AuditStore(tdb.config()).list(filter)->size(), 1);
        }
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs")), 0);
        // 400 with every field error.
        a = call(nam, "POST", jobs, op,
                 "{\"job_type\":\"nope\",\"priority\":\"urgent\",\"max_retries\":99,\"extra\":1}");
        QCOMPARE(a.status, 400);
        QStringList fields;
        for (const QJsonValue &e : a.json().value(QStringLiteral("errors")).toArray())
            fields.append(e.toObject().value(QStringLiteral("field")).toString());
        fields.sort();
        QCOMPARE(fields, (QStringList{QStringLiteral("extra"), QStringLiteral("job_type"),
                                      QStringLiteral("max_retries"), QStringLiteral("priority")}));
        // 415: not JSON, or not declared as JSON.
        QCOMPARE(call(nam, "POST", jobs, op, "{\"job_type\": ", {}).status, 415);
        QCOMPARE(call(nam, "POST", jobs, op, jobJson(QStringLiteral("cache_flush")), {}, "text/plain").status,
                 415);
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs")), 0);
        // 404: unknown job, unknown path; 405 with Allow.
        QCOMPARE(call(nam, "GET", server.url(kJobs + QStringLiteral("/job_999")), viewer).status, 404);
        QCOMPARE(call(nam, "GET", server.url(kJobs + QStringLiteral("/nonsense")), viewer).status, 404);
        QCOMPARE(call(nam, "POST", server.url(kJobs + QStringLiteral("/job_999/cancel")), op).status, 404);
        QCOMPARE(call(nam, "GET", server.url(QStringLiteral("/api/system/nothing")), viewer).status, 404);
        a = call(nam, "DELETE", jobs, op);
        QCOMPARE(a.status, 405);
        QCOMPARE(a.header("allow"), QByteArray("GET, POST"));

        // 201 + Location; 200 cancel of a queued job; 202 of a running one; 409 when finished.
        a = call(
            nam, "POST", jobs, op,
            QJsonDocument(QJsonObject{{QStringLiteral("job_type"), QStringLiteral("cache_flush")},
                                      {QStringLiteral("run_at"),
                                       QDateTime::currentDateTimeUtc().addYears(1).toString(Qt::ISODate)}})
                .toJson());
        QCOMPARE(a.status, 201);
        const QString later = a.json().value(QStringLiteral("id")).toString();
        QCOMPARE(a.header("location"), (kJobs + QLatin1Char('/') + later).toUtf8());
        {
            // The service wrote the creation's audit row, as the token's user over the API.
            AuditFilter filter;
            filter.action = QStringLiteral("jobs.create");
            filter.actor = QStringLiteral("olga");
            auto rows = AuditStore(tdb.config()).list(filter);
            QVERIFY(rows.ok());
            QCOMPARE(rows->size(), 1);
            QCOMPARE(toString(rows->first().outcome), QStringLiteral("done"));
            QCOMPARE(interfaceToString(rows->first().via), QStringLiteral("api"));
            QCOMPARE(rows->first().clientAddress, QStringLiteral("127.0.0.1"));
        }
        a = call(nam, "POST", server.url(kJobs + QLatin1Char('/') + later + QStringLiteral("/cancel")), op);
        QCOMPARE(a.status, 200);
        QCOMPARE(a.json().value(QStringLiteral("status")).toString(), QStringLiteral("cancelled"));
        QCOMPARE(
            call(nam, "POST", server.url(kJobs + QLatin1Char('/') + later + QStringLiteral("/cancel")), op)
                .status,
            409);
        a = call(nam, "POST", jobs, op,
                 jobJson(QStringLiteral("test.sleep"), {{QStringLiteral("ms"), 600'000}}));
        QCOMPARE(a.status, 201);
        const qint64 sleeping = idOf(a.json());
        QTRY_COMPARE_WITH_TIMEOUT(jobStatus(tdb.config(), sleeping), QStringLiteral("processing"), 15'000);
        a = call(nam, "POST", server.url(kJobs + QStringLiteral("/job_%1/cancel").arg(sleeping)), op);
        QCOMPARE(a.status, 202);
        QTRY_COMPARE_WITH_TIMEOUT(jobStatus(tdb.config(), sleeping), QStringLiteral("cancelled"), 15'000);
        // A Viewer may not cancel.
        QCOMPARE(call(nam, "POST", server.url(kJobs + QStringLiteral("/job_%1/cancel").arg(sleeping)), viewer)
                     .status,
                 403);

        // Settings: 200 for a Viewer with secrets as "set"/"unset"; PUT 200, 409 on a stale version, 400
        // with every field error.
        a = call(nam, "GET", server.url(kSettings), viewer);
        QCOMPARE(a.status, 200);
        const int version = a.json().value(QStringLiteral("version")).toInt();
        QCOMPARE(a.json().value(QStringLiteral("smtp_password")).toString(), QStringLiteral("unset"));
        a = call(nam, "PUT", server.url(kSettings), admin,
                 QJsonDocument(QJsonObject{{QStringLiteral("version"), version},
                                           {QStringLiteral("smtp_host"), QStringLiteral("mail.example.org")},
                                           {QStringLiteral("smtp_username"), QStringLiteral("hcm")},
                                           {QStringLiteral("smtp_password"), QStringLiteral("s3cret-value")}})
                     .toJson());
        QCOMPARE(a.status, 200);
        QCOMPARE(a.json().value(QStringLiteral("smtp_host")).toString(), QStringLiteral("mail.example.org"));
        QCOMPARE(a.json().value(QStringLiteral("smtp_password")).toString(), QStringLiteral("set"));
        QVERIFY(!a.body.contains("s3cret-value"));
        QCOMPARE(a.json().value(QStringLiteral("version")).toInt(), version + 1);
        a = call(
            nam, "PUT", server.url(kSettings), admin,
            QJsonDocument(QJsonObject{{QStringLiteral("version"), version},
                                      {QStringLiteral("smtp_host"), QStringLiteral("other.example.org")}})
                .toJson());
        QCOMPARE(a.status, 409);
        a = call(nam, "PUT", server.url(kSettings), admin,
                 QJsonDocument(QJsonObject{{QStringLiteral("version"), version + 1},
                                           {QStringLiteral("smtp_port"), QStringLiteral("seventy")},
                                           {QStringLiteral("no_such_setting"), 1}})
                     .toJson());
        QCOMPARE(a.status, 400);
        QCOMPARE(a.json().value(QStringLiteral("errors")).toArray().size(), 2);
        // A time that cannot be read and another field's rule: both errors at once, nothing written.
        a = call(nam, "PUT", server.url(kSettings), admin,
                 QJsonDocument(QJsonObject{{QStringLiteral("version"), version + 1},
                                           {QStringLiteral("quiet_hours_start"), QStringLiteral("25:00")},
                                           {QStringLiteral("smtp_port"), 0}})
                     .toJson());
        QCOMPARE(a.status, 400);
        QStringList wrong;
        for (const QJsonValue &e : a.json().value(QStringLiteral("errors")).toArray())
            wrong.append(e.toObject().value(QStringLiteral("field")).toString() + QLatin1String(": ") +
                         e.toObject().value(QStringLiteral("message")).toString());
        wrong.sort();
        QCOMPARE(wrong, (QStringList{QStringLiteral("quiet_hours_start: \"25:00\" is not a time of day as "
                                                    "HH:mm (22:00)."),
                                     QStringLiteral("smtp_port: The SMTP port must be from 1 to 65535.")}));
        // test-email: 502 with the SMTP error in words (nothing listens on the configured server).
        a = call(nam, "POST", server.url(kTestEmail), op, "{\"recipient\":\"ops@example.org\"}");
        QVERIFY2(a.status == 502 || a.status == 400, a.body.constData());
        QVERIFY(!a.json().value(QStringLiteral("detail")).toString().isEmpty());
        QCOMPARE(call(nam, "POST", server.url(kTestEmail), viewer, "{}").status, 403);

        // The API description.
        a = call(nam, "GET", server.url(QStringLiteral("/api/openapi.json")), {});
        QCOMPARE(a.status, 200);
        QVERIFY(a.json().value(QStringLiteral("paths")).toObject().contains(kJobs));

        // Every field of the table, at its example value, through PUT and back (a secret: as "set").
        QJsonObject everyField{{QStringLiteral("version"), version + 1}};
        NotificationSettings examples;
        for (const SettingsField &f : NotificationSettings::fields()) {
            if (f.name() == QLatin1String("tls_ca_file"))
                continue; // a file of this machine; tst_settings takes it through every path
            if (f.isSecret()) {
                everyField.insert(f.name(), QString::fromUtf8(f.example));
                continue;
            }
            QCOMPARE(f.parse(examples, QString::fromUtf8(f.example)), QString());
            everyField.insert(f.name(), f.toJson(examples));
        }
        a = call(nam, "PUT", server.url(kSettings), admin, QJsonDocument(everyField).toJson());
        QVERIFY2(a.status == 200, a.body.constData());
        for (auto it = everyField.constBegin(); it != everyField.constEnd(); ++it) {
            if (it.key() == QLatin1String("version"))
                QCOMPARE(a.json().value(it.key()).toInt(), version + 2);
            else if (NotificationSettings::isSecretKey(it.key()))
                QCOMPARE(a.json().value(it.key()).toString(), QStringLiteral("set"));
            else
                QCOMPARE(a.json().value(it.key()), it.value());
        }
    }

    // GET background-jobs pages with a keyset cursor: paging through the jobs of a filter while new ones
    // are created returns each job that was there exactly once (an offset would show some twice); a
    // cursor that was changed, or used with other filters, is refused with 400.
    void cursorPagingIsStableAndTamperChecked()
    {
        HCM_TEMP_DATABASE(tdb);
        QVERIFY(addUser(tdb.config(), QStringLiteral("vic"), QStringLiteral("viewer")));
        const QString token = makeToken(tdb.config(), QStringLiteral("vic"), 100'000);
        QVERIFY(!token.isEmpty());
        JobStore store(tdb.config());
        const auto insert = [&](const QString &type, int n) {
            QList<NewJob> jobs;
            for (int i = 0; i < n; ++i)
                jobs.append(NewJob{type, JobPriority::Normal, {}, 3, {}});
            auto ids = store.insert(jobs, QStringLiteral("test"));
            return ids ? ids.value() : QList<qint64>{};
        };
        QList<qint64> before = insert(QStringLiteral("cache_flush"), 30);
        QCOMPARE(before.size(), 30);
        QCOMPARE(insert(QStringLiteral("log_rotate"), 5).size(), 5); // not in the filter
        ApiWorker server;
        QVERIFY(server.start(tdb, {QStringLiteral("--concurrency"), QStringLiteral("0")}));
        QNetworkAccessManager nam;
        const QString filter = QStringLiteral("?job_type=cache_flush&status=queued,processing&limit=7");

        QList<qint64> seen;
        QString cursor;
        int pages = 0;
        for (;;) {
            Answer page =
                call(nam, "GET",
                     server.url(kJobs + filter +
                                (cursor.isEmpty() ? QString() : QStringLiteral("&cursor=") + cursor)),
                     token);
            QCOMPARE(page.status, 200);
            ++pages;
            for (const QJsonValue &v : page.json().value(QStringLiteral("jobs")).toArray()) {
                const auto id = Job::parseId(v.toObject().value(QStringLiteral("id")).toString());
                QVERIFY(id);
                QCOMPARE(v.toObject().value(QStringLiteral("job_type")).toString(),
                         QStringLiteral("cache_flush"));
                seen.append(*id);
            }
            // New jobs of the same filter arrive between the pages (newest first: they come before the
            // first page, and never push a job of this listing onto the next page).
            QCOMPARE(insert(QStringLiteral("cache_flush"), 3).size(), 3);
            const QJsonValue next = page.json().value(QStringLiteral("next_cursor"));
            if (next.isNull())
                break;
            cursor = next.toString();
            QVERIFY(!cursor.isEmpty());
            QVERIFY(pages < 20);
        }
        QCOMPARE(pages, 5); // 30 jobs, 7 a page
        // Each job that was there once, newest first, none twice.
        std::sort(before.begin(), before.end(), std::greater<>());
        QCOMPARE(seen, before);

        // The first page again, for a fresh cursor to tamper with.
        Answer first = call(nam, "GET", server.url(kJobs + filter), token);
        QCOMPARE(first.status, 200);
        const QString good = first.json().value(QStringLiteral("next_cursor")).toString();
        QVERIFY(!good.isEmpty());
        QCOMPARE(
            call(nam, "GET", server.url(kJobs + filter + QStringLiteral("&cursor=") + good), token).status,
            200);
        // One character changed, anywhere.
        for (int at : {0, int(good.size()) / 2, int(good.size()) - 1}) {
            QString bad = good;
            bad[at] = bad.at(at) == QLatin1Char('A') ? QLatin1Char('B') : QLatin1Char('A');
            Answer refused =
                call(nam, "GET", server.url(kJobs + filter + QStringLiteral("&cursor=") + bad), token);
            QCOMPARE(refused.status, 400);
            const QJsonArray errors = refused.json().value(QStringLiteral("errors")).toArray();
            QCOMPARE(errors.size(), 1);
            QCOMPARE(errors.first().toObject().value(QStringLiteral("field")).toString(),
                     QStringLiteral("cursor"));
        }
        // A cursor of the offset kind, and garbage.
        for (const QString &bad :
             {QString::fromLatin1(QByteArray("o7").toBase64(QByteArray::Base64UrlEncoding)),
              QStringLiteral("!!!"), QString()}) {
            QCOMPARE(
                call(nam, "GET", server.url(kJobs + filter + QStringLiteral("&cursor=") + bad), token).status,
                400);
        }
        // The right cursor with other filters: 400, saying so.
        for (const QString &other :
             {QStringLiteral("?job_type=log_rotate&status=queued,processing&limit=7"),
              QStringLiteral("?job_type=cache_flush&status=queued&limit=7"), QStringLiteral("?limit=7")}) {
            Answer refused =
                call(nam, "GET", server.url(kJobs + other + QStringLiteral("&cursor=") + good), token);
            QCOMPARE(refused.status, 400);
            QVERIFY2(
                refused.json().value(QStringLiteral("detail")).toString().contains(QStringLiteral("filters")),
                refused.body.constData());
        }
        // The order of the statuses and the limit are not part of the filter.
        QCOMPARE(
            call(nam, "GET",
                 server.url(kJobs + QStringLiteral("?status=processing,queued&job_type=cache_flush&limit=3") +
                            QStringLiteral("&cursor=") + good),
                 token)
                .status,
            200);
    }

    // The 21st create in a minute gets 429 with Retry-After and RateLimit-* headers, whichever of two
    // API servers on the same database it reaches.
    void rateLimitSharedByTwoServers()
    {
        HCM_TEMP_DATABASE(tdb);
        QVERIFY(addUser(tdb.config(), QStringLiteral("olga"), QStringLiteral("operator")));
        const QString token = makeToken(tdb.config(), QStringLiteral("olga"));
        ApiWorker a;
        ApiWorker b;
        QVERIFY(a.start(tdb, {QStringLiteral("--concurrency"), QStringLiteral("0")}));
        QVERIFY(b.start(tdb, {QStringLiteral("--concurrency"), QStringLiteral("0")}));
        QNetworkAccessManager nam;
        // The 21 requests must fall into one one-minute window: start early in a minute.
        QTRY_VERIFY_WITH_TIMEOUT(QTime::currentTime().second() < 40, 30'000);
        int created = 0;
        Answer last;
        for (int i = 0; i < 21; ++i) {
            last =
                call(nam, "POST", (i % 2 ? b : a).url(kJobs), token, jobJson(QStringLiteral("cache_flush")));
            if (last.status == 201)
                ++created;
        }
        QCOMPARE(created, 20);
        QCOMPARE(last.status, 429);
        QVERIFY(last.header("retry-after").toInt() >= 1);
        QCOMPARE(last.header("ratelimit-limit"), QByteArray("20"));
        QCOMPARE(last.header("ratelimit-remaining"), QByteArray("0"));
        QVERIFY(!last.header("ratelimit-reset").isEmpty());
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs")), 20);
        // Reads have their own budget.
        QCOMPARE(call(nam, "GET", b.url(kJobs), token).status, 200);
    }

    // Eight clients racing with the same Idempotency-Key create one job and all get it; the same key
    // with another body is refused.
    void idempotencyUnderRacingClients()
    {
        HCM_TEMP_DATABASE(tdb);
        QVERIFY(addUser(tdb.config(), QStringLiteral("olga"), QStringLiteral("operator")));
        const QString token = makeToken(tdb.config(), QStringLiteral("olga"), 1000);
        ApiWorker server;
        QVERIFY(server.start(tdb, {QStringLiteral("--concurrency"), QStringLiteral("0"),
                                   QStringLiteral("--api-threads"), QStringLiteral("8")}));
        std::vector<std::unique_ptr<QProcess>> clients;
        for (int i = 0; i < 8; ++i) {
            auto p = std::make_unique<QProcess>();
            p->start(QStringLiteral("curl"),
                     {QStringLiteral("-sS"), QStringLiteral("-w"), QStringLiteral("\n%{http_code}"),
                      QStringLiteral("-X"), QStringLiteral("POST"), server.base() + kJobs,
                      QStringLiteral("-H"), QStringLiteral("Authorization: Bearer ") + token,
                      QStringLiteral("-H"), QStringLiteral("Content-Type: application/json"),
                      QStringLiteral("-H"), QStringLiteral("Idempotency-Key: order-4711"),
                      QStringLiteral("-d"), QString::fromUtf8(jobJson(QStringLiteral("cache_flush")))});
            clients.push_back(std::move(p));
        }
        QSet<QString> ids;
        for (auto &p : clients) {
            QVERIFY(p->waitForFinished(60'000));
            const QByteArray out = p->readAllStandardOutput();
            const qsizetype nl = out.lastIndexOf('\n');
            QCOMPARE(out.mid(nl + 1), QByteArray("201"));
            ids.insert(QJsonDocument::fromJson(out.left(nl)).object().value(QStringLiteral("id")).toString());
        }
        QCOMPARE(ids.size(), 1);
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs")), 1);
        QNetworkAccessManager nam;
        const Answer again =
            call(nam, "POST", server.url(kJobs), token, jobJson(QStringLiteral("cache_flush")),
                 {{"Idempotency-Key", "order-4711"}});
        QCOMPARE(again.status, 201);
        QCOMPARE(again.header("idempotent-replayed"), QByteArray("true"));
        QCOMPARE(again.json().value(QStringLiteral("id")).toString(), *ids.begin());
        QCOMPARE(call(nam, "POST", server.url(kJobs), token, jobJson(QStringLiteral("db_optimize")),
                      {{"Idempotency-Key", "order-4711"}})
                     .status,
                 422);
        QCOMPARE(call(nam, "POST", server.url(kJobs), token, jobJson(QStringLiteral("cache_flush")),
                      {{"Idempotency-Key", "order-4712"}})
                     .status,
                 201);
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs")), 2);
    }

    // Malformed, huge and slow clients get their answer (400, 413 before the body, 431, 408) and are
    // cut off, 10,000 connections opened and dropped leave the server answering, and jobs keep running.
    void hostileClients()
    {
        HCM_TEMP_DATABASE(tdb);
        QVERIFY(addUser(tdb.config(), QStringLiteral("olga"), QStringLiteral("operator")));
        const QString token = makeToken(tdb.config(), QStringLiteral("olga"), 100000);
        ApiWorker server;
        QVERIFY(server.start(tdb, {QStringLiteral("--api-header-timeout"), QStringLiteral("0.5"),
                                   QStringLiteral("--poll-interval"), QStringLiteral("3600")}));
        const quint16 port = server.port();

        QCOMPARE(statusOf(raw(port, "GARBAGE\r\n\r\n")), 400);
        QCOMPARE(statusOf(raw(port, "GET /api/system/background-jobs HTTP/1.1\r\nno colon here\r\n\r\n")),
                 400);
        QCOMPARE(statusOf(raw(port, "GET / HTTP/2.0\r\n\r\n")), 505);
        QCOMPARE(statusOf(raw(port, "POST /api/system/background-jobs HTTP/1.1\r\nContent-Length: 1\r\n"
                                    "Content-Length: 2\r\n\r\nab")),
                 400);
        QCOMPARE(
            statusOf(
                raw(port, "POST /api/system/background-jobs HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")),
            411);
        // 413 as soon as the head announces more than 1 MiB: no body byte is sent.
        const QByteArray big = raw(
            port, "POST /api/system/background-jobs HTTP/1.1\r\nAuthorization: Bearer " + token.toLatin1() +
                      "\r\nContent-Type: application/json\r\nContent-Length: 10485760\r\n\r\n");
        QCOMPARE(statusOf(big), 413);
        // A real client sending 2 MiB gets 413 too.
        QNetworkAccessManager nam;
        Answer a = call(nam, "POST", server.url(kJobs), token, QByteArray(2 * 1024 * 1024, ' '));
        QCOMPARE(a.status, 413);
        QFile huge(tdb.dir() + QStringLiteral("/huge.json"));
        QVERIFY(huge.open(QIODevice::WriteOnly));
        QVERIFY(huge.write(QByteArray(8 * 1024 * 1024, ' ')) > 0);
        huge.close();
        a = curl({QStringLiteral("-X"), QStringLiteral("POST"), server.base() + kJobs, QStringLiteral("-H"),
                  QStringLiteral("Authorization: Bearer ") + token, QStringLiteral("-H"),
                  QStringLiteral("Content-Type: application/json"), QStringLiteral("--data-binary"),
                  QLatin1Char('@') + huge.fileName(), QStringLiteral("--max-time"), QStringLiteral("20")});
        QCOMPARE(a.status, 413);
        // A head larger than 16 KiB.
        QCOMPARE(statusOf(raw(port, "GET /api/system/background-jobs HTTP/1.1\r\nX-Fill: " +
                                        QByteArray(20'000, 'x') + "\r\n\r\n")),
                 431);
        // Slowloris: a head that never ends is answered 408 and closed (--api-header-timeout 0.5), while
        // other clients are served.
        std::vector<std::unique_ptr<QTcpSocket>> slow;
        for (int i = 0; i < 20; ++i) {
            auto s = std::make_unique<QTcpSocket>();
            s->connectToHost(QHostAddress::LocalHost, port);
            QVERIFY(s->waitForConnected(5000));
            s->write("GET /api/system/background-jobs HTTP/1.1\r\nX-Slow: ");
            slow.push_back(std::move(s));
        }
        QCOMPARE(call(nam, "GET", server.url(kJobs), token).status, 200);
        for (auto &s : slow)
            QTRY_COMPARE_WITH_TIMEOUT(s->state(), QAbstractSocket::UnconnectedState, 15'000);
        for (auto &s : slow)
            QCOMPARE(statusOf(s->readAll()), 408);
        slow.clear();

        // 10,000 connections opened and dropped, 100 at a time.
        for (int round = 0; round < 100; ++round) {
            std::vector<std::unique_ptr<QTcpSocket>> batch;
            for (int i = 0; i < 100; ++i) {
                auto s = std::make_unique<QTcpSocket>();
                s->connectToHost(QHostAddress::LocalHost, port);
                batch.push_back(std::move(s));
            }
            for (auto &s : batch) {
                s->waitForConnected(5000);
                s->abort();
            }
        }
        QVERIFY(server.running());
        // Still answering, and a job created now starts at once (the in-process wake-up: the poll is an
        // hour) and completes.
        a = call(nam, "POST", server.url(kJobs), token, jobJson(QStringLiteral("cache_flush")));
        QCOMPARE(a.status, 201);
        const qint64 id = idOf(a.json());
        QTRY_COMPARE_WITH_TIMEOUT(jobStatus(tdb.config(), id), QStringLiteral("completed"), 15'000);
        // Pipelined requests on one connection are answered in order.
        const QByteArray get = "GET /api/system/background-jobs/job_" + QByteArray::number(id) +
                               " HTTP/1.1\r\nAuthorization: Bearer " + token.toLatin1() + "\r\n\r\n";
        const QByteArray two = raw(port, get + get.left(get.size() - 2) + "Connection: close\r\n\r\n");
        QCOMPARE(two.count("HTTP/1.1 200 OK"), 2);
    }

    // Every endpoint with a token of every role: 403 exactly where the permission table says.
    void everyEndpointEveryRole()
    {
        HCM_TEMP_DATABASE(tdb);
        const QStringList roles{QStringLiteral("viewer"), QStringLiteral("operator"),
                                QStringLiteral("systemadmin")};
        QHash<QString, QString> tokens;
        for (const QString &role : roles) {
            QVERIFY(addUser(tdb.config(), role + QStringLiteral("-user"), role));
            tokens.insert(role, makeToken(tdb.config(), role + QStringLiteral("-user"), 1000));
        }
        ApiWorker server;
        QVERIFY(server.start(tdb, {QStringLiteral("--concurrency"), QStringLiteral("0")}));
        QNetworkAccessManager nam;
        struct Endpoint {
            QByteArray method;
            QString path;
            QByteArray body;
            int leastRole; // index into roles
        };
        const QList<Endpoint> endpoints{
            {"GET", kSettings, {}, 0},
            {"PUT", kSettings, "{\"version\": -1}", 2},
            {"POST", kTestEmail, "{}", 1},
            {"POST", kJobs, jobJson(QStringLiteral("cache_flush")), 1},
            {"GET", kJobs, {}, 0},
            {"GET", kJobs + QStringLiteral("/job_1"), {}, 0},
            {"POST", kJobs + QStringLiteral("/job_1/cancel"), {}, 1},
        };
        for (const Endpoint &e : endpoints) {
            for (int r = 0; r < roles.size(); ++r) {
                const Answer a = call(nam, e.method, server.url(e.path), tokens.value(roles.at(r)), e.body);
                const QByteArray what = e.method + ' ' + e.path.toUtf8() + " as " + roles.at(r).toUtf8() +
                                        ": " + QByteArray::number(a.status) + ' ' + a.body;
                if (r < e.leastRole)
                    QVERIFY2(a.status == 403, what.constData());
                else
                    QVERIFY2((a.status >= 200 && a.status < 500 && a.status != 401 && a.status != 403) ||
                                 a.status == 502,
                             what.constData());
            }
        }
    }

    // HTTPS with --api-cert and --api-key; more connections than --api-max-connections are refused.
    void httpsAndConnectionLimit()
    {
        HCM_TEMP_DATABASE(tdb);
        QVERIFY(addUser(tdb.config(), QStringLiteral("vic"), QStringLiteral("viewer")));
        const QString token = makeToken(tdb.config(), QStringLiteral("vic"));
        const QString cert = tdb.dir() + QStringLiteral("/api.pem");
        const QString key = tdb.dir() + QStringLiteral("/api.key");
        QProcess openssl;
        openssl.start(QStringLiteral("openssl"),
                      {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                       QStringLiteral("rsa:2048"), QStringLiteral("-nodes"), QStringLiteral("-subj"),
                       QStringLiteral("/CN=127.0.0.1"), QStringLiteral("-addext"),
                       QStringLiteral("subjectAltName=IP:127.0.0.1"), QStringLiteral("-days"),
                       QStringLiteral("1"), QStringLiteral("-keyout"), key, QStringLiteral("-out"), cert});
        if (!openssl.waitForFinished(60'000) || openssl.exitCode() != 0)
            QSKIP("openssl cannot make a test certificate here");
        ApiWorker server;
        QVERIFY(server.start(tdb, {QStringLiteral("--concurrency"), QStringLiteral("0"),
                                   QStringLiteral("--api-cert"), cert, QStringLiteral("--api-key"), key,
                                   QStringLiteral("--api-max-connections"), QStringLiteral("3")}));
        QVERIFY(server.base().startsWith(QStringLiteral("https://")));
        const QStringList get{QStringLiteral("--cacert"), cert, QStringLiteral("-H"),
                              QStringLiteral("Authorization: Bearer ") + token, server.base() + kJobs};
        QCOMPARE(curl(get).status, 200);
        // Plain HTTP on the TLS port gets no HTTP answer.
        QCOMPARE(statusOf(raw(server.port(), "GET /api/system/background-jobs HTTP/1.1\r\n\r\n", 5000)), 0);

        std::vector<std::unique_ptr<QTcpSocket>> held;
        for (int i = 0; i < 3; ++i) {
            auto s = std::make_unique<QTcpSocket>();
            s->connectToHost(QHostAddress::LocalHost, server.port());
            QVERIFY(s->waitForConnected(5000));
            held.push_back(std::move(s));
        }
        // The fourth is closed at once; the server serves again once the others are gone.
        QTcpSocket fourth;
        fourth.connectToHost(QHostAddress::LocalHost, server.port());
        QVERIFY(fourth.waitForConnected(5000));
        QTRY_COMPARE_WITH_TIMEOUT(fourth.state(), QAbstractSocket::UnconnectedState, 10'000);
        QCOMPARE(held.front()->state(), QAbstractSocket::ConnectedState);
        held.clear();
        QTRY_COMPARE_WITH_TIMEOUT(curl(get).status, 200, 10'000);
    }

    // hcmctl tokens: create prints the token once, list never shows it but shows its last use, revoke
    // stops it at once in a running server; bad input changes nothing.
    void tokensCommandLine()
    {
        HCM_TEMP_DATABASE(tdb);
        QVERIFY(addUser(tdb.config(), QStringLiteral("alice"), QStringLiteral("operator")));
        const auto hcmctl = [&](const QStringList &args, QByteArray *out = nullptr) {
            QProcess p;
            p.start(programPath(QStringLiteral("hcmctl")),
                    QStringList{QStringLiteral("--db"), tdb.spec()} + args);
            p.waitForFinished(30'000);
            if (out)
                *out = p.readAllStandardOutput();
            return p.exitCode();
        };
        QCOMPARE(hcmctl({QStringLiteral("tokens"), QStringLiteral("create"), QStringLiteral("--user"),
                         QStringLiteral("alice"), QStringLiteral("--name"), QStringLiteral("x"),
                         QStringLiteral("--expires"), QStringLiteral("soon")}),
                 2);
        QCOMPARE(hcmctl({QStringLiteral("tokens"), QStringLiteral("create"), QStringLiteral("--user"),
                         QStringLiteral("nobody"), QStringLiteral("--name"), QStringLiteral("x")}),
                 1);
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("api_tokens")), 0);
        QByteArray out;
        QCOMPARE(hcmctl({QStringLiteral("tokens"), QStringLiteral("create"), QStringLiteral("--user"),
                         QStringLiteral("alice"), QStringLiteral("--name"), QStringLiteral("HR backend")},
                        &out),
                 0);
        const QString token = QString::fromUtf8(out).trimmed();
        ApiWorker server;
        QVERIFY(server.start(tdb, {QStringLiteral("--concurrency"), QStringLiteral("0")}));
        QNetworkAccessManager nam;
        QCOMPARE(call(nam, "GET", server.url(kJobs), token).status, 200);

        QCOMPARE(hcmctl({QStringLiteral("tokens"), QStringLiteral("list"), QStringLiteral("--json")}, &out),
                 0);
        QVERIFY(!out.contains(token.toUtf8()));
        const QJsonObject listed = QJsonDocument::fromJson(out).array().first().toObject();
        QCOMPARE(listed.value(QStringLiteral("prefix")).toString(), token.left(8));
        QCOMPARE(listed.value(QStringLiteral("user")).toString(), QStringLiteral("alice"));
        QCOMPARE(listed.value(QStringLiteral("last_used_address")).toString(), QStringLiteral("127.0.0.1"));
        const QString id = QString::number(listed.value(QStringLiteral("id")).toInteger());

        QCOMPARE(hcmctl({QStringLiteral("tokens"), QStringLiteral("revoke"), id}), 0);
        {
            AuditFilter filter;
            filter.action = QStringLiteral("tokens.");
            auto rows = AuditStore(tdb.config()).list(filter);
            QVERIFY(rows.ok());
            QCOMPARE(rows->size(), 2); // newest first: the revocation, then the creation
            QCOMPARE(rows->at(0).action, QStringLiteral("tokens.revoke"));
            QCOMPARE(rows->at(1).action, QStringLiteral("tokens.create"));
            QCOMPARE(interfaceToString(rows->at(1).via), QStringLiteral("cli"));
            QCOMPARE(rows->at(1).targetIds, QStringList{id});
            QVERIFY(!QJsonDocument(rows->at(1).diff).toJson().contains(token.toUtf8()));
        }
        QCOMPARE(call(nam, "GET", server.url(kJobs), token).status, 401);
        QCOMPARE(hcmctl({QStringLiteral("tokens"), QStringLiteral("revoke"), id}), 1);
        QCOMPARE(hcmctl({QStringLiteral("tokens"), QStringLiteral("revoke"), QStringLiteral("abc")}), 2);
    }

    // A database that does not answer holds up the requests that need it, never the server: while
    // another connection holds the lock a create needs, the API description and the refusals that need
    // no database are answered, and the create completes once the lock is released.
    void blockedDatabaseDoesNotStallTheServer()
    {
        HCM_TEMP_DATABASE(tdb);
        QVERIFY(addUser(tdb.config(), QStringLiteral("olga"), QStringLiteral("operator")));
        const QString token = makeToken(tdb.config(), QStringLiteral("olga"), 1000);
        ApiWorker server;
        QVERIFY(server.start(tdb, {QStringLiteral("--concurrency"), QStringLiteral("0")}));
        auto db = Database::connection(tdb.config());
        QVERIFY(db.ok());
        QSqlQuery lock(db.value());
        if (tdb.isPostgres()) {
            QVERIFY(lock.exec(QStringLiteral("BEGIN")));
            QVERIFY(lock.exec(QStringLiteral("LOCK TABLE api_rate_buckets IN EXCLUSIVE MODE")));
        } else {
            QVERIFY(lock.exec(QStringLiteral("BEGIN IMMEDIATE")));
        }
        QNetworkAccessManager nam;
        QNetworkRequest request(server.url(kJobs));
        request.setRawHeader("Authorization", "Bearer " + token.toLatin1());
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
        QNetworkReply *create = nam.post(request, jobJson(QStringLiteral("cache_flush")));
        QSignalSpy created(create, &QNetworkReply::finished);
        for (int i = 0; i < 5; ++i) {
            QCOMPARE(call(nam, "GET", server.url(QStringLiteral("/api/openapi.json")), {}).status, 200);
            QCOMPARE(call(nam, "DELETE", server.url(kJobs), token).status, 405);
            QCOMPARE(statusOf(raw(server.port(), "GARBAGE\r\n\r\n")), 400);
        }
        QVERIFY(!create->isFinished());
        // Clients that hang up before their answer is ready: the answers are dropped when they come.
        const QByteArray post = "POST /api/system/background-jobs HTTP/1.1\r\nAuthorization: Bearer " +
                                token.toLatin1() + "\r\nContent-Type: application/json\r\nContent-Length: " +
                                QByteArray::number(jobJson(QStringLiteral("db_optimize")).size()) +
                                "\r\n\r\n" + jobJson(QStringLiteral("db_optimize"));
        for (int i = 0; i < 3; ++i) {
            QTcpSocket gone;
            gone.connectToHost(QHostAddress::LocalHost, server.port());
            QVERIFY(gone.waitForConnected(5000));
            gone.write(post);
            QVERIFY(gone.waitForBytesWritten(5000));
            gone.abort();
        }
        QVERIFY(lock.exec(QStringLiteral("ROLLBACK")));
        QTRY_VERIFY_WITH_TIMEOUT(create->isFinished(), 15'000);
        QCOMPARE(create->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 201);
        create->deleteLater();
        // The abandoned requests were carried out; the server is still answering.
        QTRY_COMPARE_WITH_TIMEOUT(rowCount(tdb.config(), QStringLiteral("background_jobs")), 4, 15'000);
        QVERIFY(server.running());
        QCOMPARE(call(nam, "GET", server.url(kJobs), token).status, 200);
    }

    // Startup refusals: a non-loopback address without TLS, a bad address.
    void refusesPlainHttpOnTheNetwork()
    {
        HCM_TEMP_DATABASE(tdb);
        QProcess p;
        p.start(programPath(QStringLiteral("hcm-worker")),
                {QStringLiteral("--db"), tdb.spec(), QStringLiteral("--api"), QStringLiteral("0.0.0.0:0"),
                 QStringLiteral("--log-dir"), tdb.dir()});
        QVERIFY(p.waitForFinished(30'000));
        QCOMPARE(p.exitCode(), 2);
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(err.contains(QStringLiteral("plain")) && err.contains(QStringLiteral("--api-insecure")),
                 qPrintable(err));
        p.start(programPath(QStringLiteral("hcm-worker")),
                {QStringLiteral("--db"), tdb.spec(), QStringLiteral("--api"),
                 QStringLiteral("nonsense:99999"), QStringLiteral("--log-dir"), tdb.dir()});
        QVERIFY(p.waitForFinished(30'000));
        QCOMPARE(p.exitCode(), 2);
    }
};

QTEST_GUILESS_MAIN(TestApi)
#include "tst_api.moc"
