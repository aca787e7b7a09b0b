// A job created over HTTP shows in hcm-admin as completed without any poll: a real `hcm-worker --api
// 127.0.0.1:0` process on the test's database (SQLite file, PostgreSQL) creates and runs it, a real HTTP
// client posts it, and the main window of the test, whose jobs table polls never (refresh interval 0)
// and runs no worker of its own, learns of it only through the change notification of the backend: the
// SQLite file watch (SqliteChangeWatcher) or LISTEN/NOTIFY (NotificationListener).

#include "testutil.h"

#include "api/tokenstore.h"
#include "auth/userstore.h"
#include "db/database.h"
#include "db/notificationlistener.h"
#include "db/sqlitechangewatcher.h"
#include "jobs/jobtablemodel.h"
#include "ui/jobspage.h"
#include "ui/mainwindow.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QtTest>

#include <memory>

using namespace hcm;
using namespace hcm::test;

namespace {

// An Operator of the database with an API token (on PostgreSQL a login role of the cluster as well).
QString operatorToken(const DbConfig &config, const QString &name)
{
    if (config.isPostgres()) {
        auto db = Database::connection(config);
        if (!db)
            return {};
        QSqlQuery q(db.value());
        if (!q.exec(
                QStringLiteral("DO $$ BEGIN CREATE ROLE \"%1\" LOGIN; EXCEPTION WHEN duplicate_object THEN "
                               "NULL; END $$")
                    .arg(name)))
            return {};
    }
    const Actor admin = Actor::system(QStringLiteral("test"));
    if (auto added = UserService(config).add(name, Role::Operator, name, admin); !added) {
        qWarning() << added.error().message;
        return {};
    }
    auto created = ApiTokenStore(config).create(name, QStringLiteral("test"), 0, admin);
    return created ? created->token : QString();
}

// One hcm-worker process serving the API on a free port and running jobs.
class ApiWorker final {
public:
    ~ApiWorker()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        m_process.terminate();
        if (!m_process.waitForFinished(30'000)) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }

    bool start(const TempDatabase &tdb)
    {
        m_process.setProgram(programPath(QStringLiteral("hcm-worker")));
        m_process.setArguments({QStringLiteral("--db"), tdb.spec(), QStringLiteral("--api"),
                                QStringLiteral("127.0.0.1:0"), QStringLiteral("--worker-id"),
                                QStringLiteral("api-gui"), QStringLiteral("--log-dir"),
                                tdb.dir() + QStringLiteral("/logs-worker"), QStringLiteral("--cache-dir"),
                                tdb.dir() + QStringLiteral("/cache")});
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_process.start();
        if (!m_process.waitForStarted(10'000))
            return false;
        static const QRegularExpression re(QStringLiteral("API listening on (https?://[0-9.]+:\\d+)"));
        QByteArray out;
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < 30'000 && m_process.state() == QProcess::Running) {
            m_process.waitForReadyRead(200);
            out += m_process.readAllStandardOutput();
            if (const auto m = re.match(QString::fromUtf8(out)); m.hasMatch()) {
                m_base = m.captured(1);
                return true;
            }
        }
        return false;
    }
    QUrl url(const QString &path) const { return QUrl(m_base + path); }

private:
    QProcess m_process;
    QString m_base;
};

} // namespace

class TstGuiApiJobs : public QObject {
    Q_OBJECT

private slots:
    void initTestCase_data() { addBackendRows(); }
    void initTestCase()
    {
        if (!QFile::exists(programPath(QStringLiteral("hcm-worker"))))
            QSKIP("hcm-worker is not built");
    }
    void cleanup() { Database::closeThreadConnections(); }

    void jobCreatedOverHttpShowsCompletedWithoutPolling()
    {
        HCM_TEMP_DATABASE(tdb);
        const QString token = operatorToken(tdb.config(), QStringLiteral("hcm_t_api_gui"));
        QVERIFY(!token.isEmpty());

        ui::MainWindow::Options o;
        o.db = tdb.config();
        o.actor = test::adminActor(QStringLiteral("admin:test"));
        o.runWorker = false;     // the job runs in hcm-worker, never here
        o.refreshIntervalMs = 0; // no poll: only a change notification can bring the job in
        ui::MainWindow window(o);
        window.resize(1200, 700);
        window.show();
        JobTableModel *model = window.jobsPage()->model();
        // The window's watch is in place before the job is created (acquire() shares the window's).
        if (tdb.isPostgres()) {
            auto listener = NotificationListener::acquire(tdb.config());
            QVERIFY(listener && listener->waitUntilListening(10'000));
        } else {
            auto watcher = SqliteChangeWatcher::acquire(tdb.config());
            QVERIFY(watcher && watcher->waitUntilWatching(10'000));
        }

        ApiWorker worker;
        QVERIFY(worker.start(tdb));
        QNetworkAccessManager nam;
        QNetworkRequest request(worker.url(QStringLiteral("/api/system/background-jobs")));
        request.setRawHeader("Authorization", "Bearer " + token.toLatin1());
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        QNetworkReply *reply = nam.post(request, QByteArrayLiteral("{\"job_type\": \"cache_flush\", "
                                                                   "\"payload\": {\"action\": \"full\"}}"));
        QSignalSpy finished(reply, &QNetworkReply::finished);
        QVERIFY(finished.wait(30'000));
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 201);
        const auto id = Job::parseId(
            QJsonDocument::fromJson(reply->readAll()).object().value(QStringLiteral("id")).toString());
        reply->deleteLater();
        QVERIFY(id);

        // The jobs table shows it, completed, with no poll of its own.
        QTRY_VERIFY_WITH_TIMEOUT(model->rowOfJob(*id) >= 0, 10'000);
        QTRY_VERIFY_WITH_TIMEOUT(model->jobAt(model->rowOfJob(*id)) &&
                                     model->jobAt(model->rowOfJob(*id))->status == JobStatus::Completed,
                                 10'000);
        QCOMPARE(model->jobAt(model->rowOfJob(*id))->createdBy, QStringLiteral("hcm_t_api_gui"));
    }
};

QTEST_MAIN(TstGuiApiJobs)
#include "tst_gui_apijobs.moc"
