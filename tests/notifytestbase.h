#pragma once

// The fixture that tst_notifychannels and tst_notifyalerts share: real servers started once per suite
// (Debian's aiosmtpd with STARTTLS + AUTH and implicit TLS, certificate generated at start,
// tests/servers/smtp_server.py; the HTTPS recorder standing in for Slack and Twilio; a socket that never
// speaks), a fresh SQLite database per test function (or the row's backend, USE_BACKEND_ROW), the
// program's log in a file, and helpers to configure the settings and run a WorkerPool with alerts.

#include "testutil.h"

#include "jobs/jobstore.h"
#include "settings/notificationsettings.h"
#include "worker/notify/notificationservice.h"
#include "worker/notify/smtpchannel.h"
#include "worker/workerpool.h"

#include <QDateTime>
#include <QJsonObject>
#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>

#include <functional>
#include <memory>

namespace hcm::test::notify {

inline const QString kUser = QStringLiteral("mailer");
inline const QString kPassword = QStringLiteral("Sëcret-SMTP-pw-4711");
inline const QString kWebhookPath = QStringLiteral("/services/T0001/B0001/hooksecret4711");
inline const QString kTwilioToken = QStringLiteral("twilio-token-secret-4711");
inline const QString kSid = QStringLiteral("AC0123456789abcdef0123456789abcdef");

inline JobFilter notifyJobs()
{
    JobFilter f;
    f.type = QStringLiteral("notify");
    return f;
}

template<typename T> QByteArray why(const Result<T> &r)
{
    return r ? QByteArray("ok") : r.error().message.toUtf8();
}

inline qint64 utc(const char *iso)
{
    return QDateTime::fromString(QString::fromLatin1(iso), Qt::ISODate).toMSecsSinceEpoch();
}

inline JobTransition failedJob(qint64 id, const QString &error)
{
    JobTransition t;
    t.id = id;
    t.type = QStringLiteral("db_optimize");
    t.status = JobStatus::Failed;
    t.error = error;
    t.maxRetries = 3;
    t.retryCount = 3;
    return t;
}

} // namespace hcm::test::notify

// Replaces the test's SQLite database with one of the row's backend (skipped, or failed when
// PostgreSQL is required, where there is no server).
#define USE_BACKEND_ROW()                                                                                    \
    QFETCH(QString, backend);                                                                                \
    m_db = std::make_unique<hcm::test::TempDatabase>(backend);                                               \
    HCM_REQUIRE_BACKEND(*m_db);                                                                              \
    qputenv("HCM_SECRET_KEY_FILE", QFile::encodeName(m_db->dir() + QStringLiteral("/secret.key")))

namespace hcm::test {

// The suites derive from it. QtTest finds its initTestCase(), cleanupTestCase(), init() and cleanup()
// through the suite's meta-object (they start the servers once and give every test function a fresh
// database); it has no test functions of its own.
class NotifyTestBase : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void cleanup();

protected:
    QProcess *startServer(const QStringList &args, QString &readyLine);
    SmtpConfig smtpConfig(bool implicitTls = false) const;
    ChannelOptions trusted() const;
    QString webhookUrl(const QString &path) const;
    // Waits for the SMTP server's message number `n` (1-based, counted over the whole run).
    QJsonObject waitForMessage(int n, QByteArray *raw = nullptr);
    int messageCount() const;
    void configure(const std::function<void(NotificationSettings &)> &edit);
    std::unique_ptr<WorkerPool> startPool(std::shared_ptr<Clock> clock = Clock::system(),
                                          int concurrency = 2);
    QList<Job> notifyJobList();

    QTemporaryDir m_tmp;
    QString m_smtpDir;
    QString m_caFile;
    int m_startTlsPort = 0;
    int m_tlsPort = 0;
    QList<QProcess *> m_servers;
    test::HttpRecorder m_http;
    QTcpServer m_silent;
    QString m_logFile;
    std::unique_ptr<test::TempDatabase> m_db;
};

} // namespace hcm::test
