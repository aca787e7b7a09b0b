// DbConfig::parse on --db values: every error message about a bad address leaves the password out,
// and the options of a postgresql:// URL are checked against the documented allowlist, so a value can
// never smuggle another libpq option into the connection string. The accepted options are proved on a
// real server: a connection with them opens (PostgreSQL row) and the server sees application_name.

#include "testutil.h"

#include "common/logcategories.h"
#include "common/logsink.h"
#include "common/redaction.h"
#include "db/database.h"

#include <QProcess>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

using namespace hcm;
using namespace hcm::test;

namespace {

const QString kSecret = QStringLiteral("Sup3rS3cret");

// Why `text` shows `password` or a piece of it (3 characters or more), or an empty string when it does
// not. Pieces that are also in `shown` (the user, host, port and database, which messages may name)
// cannot be told apart and are not counted.
QString leak(const QString &text, const QString &password, const QString &shown)
{
    if (password.isEmpty())
        return {};
    if (text.contains(password))
        return QStringLiteral("the password is in: ") + text;
    for (qsizetype i = 0; i + 3 <= password.size(); ++i) {
        const QString piece = password.mid(i, 3);
        if (text.contains(piece) && !shown.contains(piece))
            return QStringLiteral("\"%1\" of the password is in: %2").arg(piece, text);
    }
    return {};
}

struct ProcessResult {
    int code = -1;
    QString output; // stdout and stderr
};

ProcessResult runProgram(const QString &name, const QStringList &args)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(hcm::test::programPath(name), args);
    ProcessResult r;
    if (!p.waitForStarted(10000) || !p.waitForFinished(60000)) {
        p.kill();
        p.waitForFinished();
        r.output = QStringLiteral("%1 did not run: %2").arg(name, p.errorString());
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.output = QString::fromUtf8(p.readAll());
    return r;
}

} // namespace

class TestDbConfig : public QObject {
    Q_OBJECT

private slots:
    void cleanup() { Database::closeThreadConnections(); }

    void errorsNeverShowThePassword_data()
    {
        QTest::addColumn<QString>("spec");
        QTest::addColumn<QString>("message");  // a part of the expected error
        QTest::addColumn<QString>("redacted"); // how the address is quoted ("" when it is not)
        const QString s = kSecret;
        QTest::newRow("port too big") << QStringLiteral("postgresql://alice:%1@db1:99999/hcm").arg(s)
                                      << QStringLiteral("The port \"99999\"") << QString();
        QTest::newRow("port not a number") << QStringLiteral("postgresql://alice:%1@db1:abc/hcm").arg(s)
                                           << QStringLiteral("The port \"abc\"") << QString();
        QTest::newRow("port zero") << QStringLiteral("postgres://alice:%1@db1:0/hcm").arg(s)
                                   << QStringLiteral("The port \"0\"") << QString();
        QTest::newRow("port in query") << QStringLiteral("postgresql://alice:%1@db1/hcm?port=70000").arg(s)
                                       << QStringLiteral("The port \"70000\"") << QString();
        QTest::newRow("password with slash and bad port")
            << QStringLiteral("postgresql://alice:a/%1@db1:x1/hcm").arg(s)
            << QStringLiteral("The port \"x1\"") << QString();
        // A '/' in a password cannot be told from the start of the path: an '@' after it asks for %2F.
        QTest::newRow("slash in password")
            << QStringLiteral("postgresql://alice:a/%1@db1/hcm?sslmode=require").arg(s)
            << QStringLiteral("'/' in the user name or password as %2F")
            << QStringLiteral("\"postgresql://alice@db1/hcm?sslmode=require\"");
        QTest::newRow("question mark in password and bad port")
            << QStringLiteral("postgresql://alice:%1?:x@db1:5x/hcm").arg(s)
            << QStringLiteral("The port \"5x\"") << QString();
        QTest::newRow("unknown scheme")
            << QStringLiteral("mysql://alice:%1@db1/hcm").arg(s) << QStringLiteral("Unknown database address")
            << QStringLiteral("\"mysql://alice@db1/hcm\"");
        QTest::newRow("unknown scheme, password in query")
            << QStringLiteral("mysql://db1/hcm?password=%1").arg(s)
            << QStringLiteral("Unknown database address") << QStringLiteral("\"mysql://db1/hcm\"");
        QTest::newRow("space in password")
            << QStringLiteral("postgresql://alice:a %1@db1/hcm").arg(s) << QStringLiteral("percent-encoded")
            << QStringLiteral("\"postgresql://alice@db1/hcm\"");
        QTest::newRow("broken IPv6 host") << QStringLiteral("postgresql://alice:%1@[::1/hcm").arg(s)
                                          << QStringLiteral("not a valid PostgreSQL address")
                                          << QStringLiteral("\"postgresql://alice@[::1/hcm\"");
        QTest::newRow("broken host, password in query")
            << QStringLiteral("postgresql://[::1/hcm?password=%1&sslmode=require").arg(s)
            << QStringLiteral("not a valid PostgreSQL address")
            << QStringLiteral("\"postgresql://[::1/hcm?sslmode=require\"");
        QTest::newRow("unknown option") << QStringLiteral("postgresql://alice:%1@db1/hcm?colour=red").arg(s)
                                        << QStringLiteral("unknown option \"colour\"") << QString();
        QTest::newRow("slash in database") << QStringLiteral("postgresql://alice:%1@db1/hcm/x").arg(s)
                                           << QStringLiteral("contains a slash") << QString();
    }

    void errorsNeverShowThePassword()
    {
        QFETCH(QString, spec);
        QFETCH(QString, message);
        QFETCH(QString, redacted);
        const auto config = DbConfig::parse(spec);
        QVERIFY(!config.ok());
        const QString text = config.error().message;
        QVERIFY2(text.contains(message), qPrintable(text));
        QVERIFY2(!text.contains(kSecret), qPrintable(text));
        if (!redacted.isEmpty())
            QVERIFY2(text.contains(redacted), qPrintable(text));
        // redacted() is what every message and log uses to show an address.
        QVERIFY2(!DbConfig::redacted(spec).contains(kSecret), qPrintable(DbConfig::redacted(spec)));
    }

    // Passwords with every character that ends a part of a URL. Each is parsed into the right parts,
    // and no text a program produces about it shows the password or a piece of it: the parse error,
    // the driver's connection error, a log line, and what hcmctl and hcm-worker print and log.
    void nastyPasswords_data()
    {
        QTest::addColumn<QString>("password");
        QTest::addColumn<QString>("spec");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<QString>("user");
        QTest::addColumn<QString>("host");
        QTest::addColumn<int>("port");
        QTest::addColumn<QString>("database");
        const int envPort =
            qEnvironmentVariableIsSet("PGPORT") ? qEnvironmentVariableIntValue("PGPORT") : 5432;
        const QString local = QStringLiteral("127.0.0.1");
        const auto row = [&](const char *name, const QString &password, const QString &userInfo, bool valid) {
            // Port 1 on the loopback: a connection that fails at once.
            QTest::newRow(name)
                << password
                << QStringLiteral("postgresql://%1@127.0.0.1:1/hcm?connect_timeout=2").arg(userInfo) << valid
                << QStringLiteral("app") << local << 1 << QStringLiteral("hcm");
        };
        // The two addresses of the report, exactly: the password was cut at its '?'.
        QTest::newRow("query-like password")
            << QStringLiteral("Xy7?k=9") << QStringLiteral("postgresql://app:Xy7?k=9@db.example.com:5432/hcm")
            << true << QStringLiteral("app") << QStringLiteral("db.example.com") << 5432
            << QStringLiteral("hcm");
        QTest::newRow("port-like password")
            << QStringLiteral("5433?Secret=Tail")
            << QStringLiteral("postgresql://app:5433?Secret=Tail@127.0.0.1/hcm") << true
            << QStringLiteral("app") << local << envPort << QStringLiteral("hcm");
        row("query-like, loopback", QStringLiteral("Xy7?k=9"), QStringLiteral("app:Xy7?k=9"), true);
        // (The same shape on the loopback; "Tail" would find "ail" of "failed" in libpq's message.)
        row("port-like, loopback", QStringLiteral("5433?Sqcxt=Tqzl"), QStringLiteral("app:5433?Sqcxt=Tqzl"),
            true);
        row("at signs", QStringLiteral("Pq@Zw@Kv"), QStringLiteral("app:Pq@Zw@Kv"), true);
        row("at signs encoded", QStringLiteral("Pq@Zw@Kv"), QStringLiteral("app:Pq%40Zw%40Kv"), true);
        row("colons", QStringLiteral("Rt:Ym:Gn"), QStringLiteral("app:Rt:Ym:Gn"), true);
        row("hashes", QStringLiteral("Fk#Lw#Dz"), QStringLiteral("app:Fk#Lw#Dz"), true);
        row("equals, semicolons, ampersand", QStringLiteral("Ce=Mj;Bo&Xa"), QStringLiteral("app:Ce=Mj;Bo&Xa"),
            true);
        row("quotes and backslash", QStringLiteral("Lt'Wn\\Ez\"Qo"), QStringLiteral("app:Lt'Wn\\Ez\"Qo"),
            true);
        row("slashes encoded", QStringLiteral("Hb/Jx/Wq"), QStringLiteral("app:Hb%2FJx%2FWq"), true);
        row("slashes as they are", QStringLiteral("Hb/Jx/Wq"), QStringLiteral("app:Hb/Jx/Wq"), false);
        row("slash, then question mark", QStringLiteral("Hb/Jx?Wq#Zo"), QStringLiteral("app:Hb/Jx?Wq#Zo"),
            false);
        row("percent encoded", QStringLiteral("Vu%Nq%Ts"), QStringLiteral("app:Vu%25Nq%25Ts"), true);
        row("percent as it is", QStringLiteral("Vu%Nq%Ts"), QStringLiteral("app:Vu%Nq%Ts"), false);
        row("an escape's text", QStringLiteral("Gy%40Hw"), QStringLiteral("app:Gy%2540Hw"), true);
        row("space encoded", QStringLiteral("Qv Zk Jm"), QStringLiteral("app:Qv%20Zk%20Jm"), true);
        row("space as it is", QStringLiteral("Qv Zk Jm"), QStringLiteral("app:Qv Zk Jm"), false);
        row("every separator", QStringLiteral("Jq@:Ux?#=;Op"), QStringLiteral("app:Jq@:Ux?#=;Op"), true);
        row("every separator encoded", QStringLiteral("Wz@:/?#%=;Yk"),
            QStringLiteral("app:Wz%40%3A%2F%3F%23%25%3D%3BYk"), true);
        row("unicode", QStringLiteral("Grüße★Paß"), QStringLiteral("app:Grüße★Paß"), true);
        row("unicode encoded", QStringLiteral("Grüße★Paß"),
            QStringLiteral("app:Gr%C3%BC%C3%9Fe%E2%98%85Pa%C3%9F"), true);
        QTest::newRow("empty") << QString() << QStringLiteral("postgresql://app:@127.0.0.1:1/hcm") << true
                               << QStringLiteral("app") << local << 1 << QStringLiteral("hcm");
    }

    void nastyPasswords()
    {
        QFETCH(QString, password);
        QFETCH(QString, spec);
        QFETCH(bool, valid);
        QFETCH(QString, user);
        QFETCH(QString, host);
        QFETCH(int, port);
        QFETCH(QString, database);
        const QString shown = QStringLiteral("%1@%2:%3/%4 postgresql://%1@%2:%3/%4?connect_timeout=2")
                                  .arg(user, host)
                                  .arg(port)
                                  .arg(database);
        QStringList texts; // everything produced about this address

        const auto config = DbConfig::parse(spec);
        QCOMPARE(config.ok(), valid);
        texts << DbConfig::redacted(spec);
        if (!valid) {
            texts << config.error().message;
        } else {
            QCOMPARE(config->user, user);
            QCOMPARE(config->password, password.isEmpty() ? qEnvironmentVariable("PGPASSWORD") : password);
            QCOMPARE(config->host, host);
            QCOMPARE(config->port, port);
            QCOMPARE(config->databaseName, database);
            texts << config->displayName() << config->spec() << config->key();
            if (host == QLatin1String("127.0.0.1") && port == 1) {
                const QString name = QStringLiteral("tst_dbconfig-nasty");
                {
                    auto db = Database::open(config.value(), name);
                    QVERIFY(!db.ok());
                    texts << db.error().message;
                }
                QSqlDatabase::removeDatabase(name);
            }
        }

        // Log lines, even one that quotes the address carelessly.
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QtMessageHandler testHandler = qInstallMessageHandler(nullptr);
        qInstallMessageHandler(testHandler);
        QVERIFY(LogSink::instance().open(dir.filePath(QStringLiteral("test.log")), false).ok());
        for (const QString &text : std::as_const(texts))
            qCWarning(lcDb).noquote() << text;
        qCWarning(lcDb).noquote() << "the address was" << spec;
        LogSink::instance().close();
        qInstallMessageHandler(testHandler);
        QFile log(dir.filePath(QStringLiteral("test.log")));
        QVERIFY(log.open(QIODevice::ReadOnly));
        texts << QString::fromUtf8(log.readAll());

        // The programs, each with the address: their output and hcm-worker's log.
        if (host == QLatin1String("127.0.0.1") && port == 1) {
            const ProcessResult ctl =
                runProgram(QStringLiteral("hcmctl"),
                           {QStringLiteral("--db"), spec, QStringLiteral("jobs"), QStringLiteral("list")});
            QVERIFY2(ctl.code == 1, qPrintable(ctl.output));
            QVERIFY2(ctl.output.startsWith(QLatin1String("hcmctl: ")), qPrintable(ctl.output));
            texts << ctl.output;
            const ProcessResult worker = runProgram(QStringLiteral("hcm-worker"),
                                                    {QStringLiteral("--db"), spec, QStringLiteral("--once"),
                                                     QStringLiteral("--log-dir"), dir.path()});
            QVERIFY2(worker.code == (valid ? 1 : 2), qPrintable(worker.output));
            QVERIFY2(worker.output.contains(QLatin1String("hcm-worker: ")), qPrintable(worker.output));
            texts << worker.output;
            QFile workerLog(dir.filePath(QStringLiteral("hcm-worker.log")));
            QVERIFY(workerLog.open(QIODevice::ReadOnly));
            texts << QString::fromUtf8(workerLog.readAll());
        }
        for (const QString &text : std::as_const(texts)) {
            const QString problem = leak(text, password, shown);
            QVERIFY2(problem.isEmpty(), qPrintable(problem));
        }
    }

    // Redaction is the last step of every message: a registered password goes, wherever it stands.
    void redactionReplacesRegisteredSecrets()
    {
        const QString secret = QStringLiteral("Kw9#Registered");
        QCOMPARE(Redaction::apply(QStringLiteral("a %1 b").arg(secret)),
                 QStringLiteral("a %1 b").arg(secret));
        Redaction::addSecret(secret);
        QCOMPARE(Redaction::apply(QStringLiteral("a %1 b %1").arg(secret)), QStringLiteral("a *** b ***"));
        // Too short to be told from ordinary text: left alone.
        Redaction::addSecret(QStringLiteral("ab"));
        QCOMPARE(Redaction::apply(QStringLiteral("tab")), QStringLiteral("tab"));
    }

    void redactedKeepsEverythingElse()
    {
        QCOMPARE(DbConfig::redacted(
                     QStringLiteral("postgresql://alice:%1@db1:5433/hcm?sslmode=require").arg(kSecret)),
                 QStringLiteral("postgresql://alice@db1:5433/hcm?sslmode=require"));
        QCOMPARE(DbConfig::redacted(
                     QStringLiteral("postgresql://db1/hcm?password=%1&connect_timeout=5").arg(kSecret)),
                 QStringLiteral("postgresql://db1/hcm?connect_timeout=5"));
        QCOMPARE(DbConfig::redacted(QStringLiteral(" /var/lib/hcm/hcm.sqlite ")),
                 QStringLiteral("/var/lib/hcm/hcm.sqlite"));
        // An address Qt cannot parse: the user info's password goes, the user stays.
        QCOMPARE(DbConfig::redacted(QStringLiteral("postgresql://alice:p@ss/w:rd@db1:x/hcm")),
                 QStringLiteral("postgresql://alice@db1:x/hcm"));
        QCOMPARE(DbConfig::redacted(QStringLiteral("postgresql://alice:p?ss#w@rd@db1/hcm")),
                 QStringLiteral("postgresql://alice@db1/hcm"));
        // An '@' in a query value is not the end of a user info.
        QCOMPARE(DbConfig::redacted(QStringLiteral("postgresql://db1/hcm?application_name=ops@site")),
                 QStringLiteral("postgresql://db1/hcm?application_name=ops@site"));
        QCOMPARE(DbConfig::redacted(
                     QStringLiteral("postgresql://alice:%1@db1/hcm?application_name=ops@site").arg(kSecret)),
                 QStringLiteral("postgresql://alice@db1/hcm?application_name=ops@site"));
    }

    void allowedOptionsAreAccepted_data()
    {
        QTest::addColumn<QString>("query");
        QTest::addColumn<QString>("connectOptions");
        QTest::newRow("sslmode") << QStringLiteral("sslmode=verify-full")
                                 << QStringLiteral("sslmode=verify-full");
        QTest::newRow("several")
            << QStringLiteral("sslmode=require&connect_timeout=5&application_name=payroll")
            << QStringLiteral("sslmode=require;connect_timeout=5;application_name=payroll");
        QTest::newRow("path with a space, quoted for libpq")
            << QStringLiteral("sslrootcert=/etc/hcm/my%20certs/ca.pem")
            << QStringLiteral("sslrootcert='/etc/hcm/my certs/ca.pem'");
        QTest::newRow("quote and backslash escaped") << QStringLiteral("application_name=o'neil%5Cx")
                                                     << QStringLiteral("application_name='o\\'neil\\\\x'");
        QTest::newRow("session attrs and keepalives")
            << QStringLiteral("target_session_attrs=read-write&keepalives=1&keepalives_idle=30")
            << QStringLiteral("target_session_attrs=read-write;keepalives=1;keepalives_idle=30");
        QTest::newRow("at sign in a value")
            << QStringLiteral("application_name=ops@site") << QStringLiteral("application_name=ops@site");
        QTest::newRow("socket folder is not an option")
            << QStringLiteral("host=/run/postgresql&sslmode=disable") << QStringLiteral("sslmode=disable");
    }

    void allowedOptionsAreAccepted()
    {
        QFETCH(QString, query);
        QFETCH(QString, connectOptions);
        const auto config = DbConfig::parse(QStringLiteral("postgresql://alice@db1/hcm?") + query);
        QVERIFY2(config.ok(), config.ok() ? "" : qPrintable(config.error().message));
        QCOMPARE(config->connectOptions, connectOptions);
    }

    void badOptionsAreRefused_data()
    {
        QTest::addColumn<QString>("query");
        QTest::addColumn<QString>("message");
        QTest::newRow("semicolon injects an option")
            << QStringLiteral("application_name=x%3Bsslmode%3Ddisable")
            << QStringLiteral("The option application_name of the database address contains a semicolon");
        QTest::newRow("semicolon in a path")
            << QStringLiteral("sslrootcert=/tmp/a%3Bhost%3Devil") << QStringLiteral("contains a semicolon");
        QTest::newRow("control character")
            << QStringLiteral("application_name=a%0Ab") << QStringLiteral("control character");
        QTest::newRow("space injects an option")
            << QStringLiteral("sslmode=require%20host%3Devil")
            << QStringLiteral("The option sslmode of the database address must be one of disable, allow, "
                              "prefer, require, verify-ca, verify-full; \"require host=evil\" was given.");
        QTest::newRow("unknown option")
            << QStringLiteral("options=-c%20search_path%3Devil")
            << QStringLiteral(
                   "The database address has an unknown option \"options\". Allowed options: host, "
                   "port, user, password, dbname, application_name,");
        QTest::newRow("service is not allowed")
            << QStringLiteral("service=other") << QStringLiteral("unknown option \"service\"");
        QTest::newRow("timeout not a number")
            << QStringLiteral("connect_timeout=5s")
            << QStringLiteral(
                   "The option connect_timeout of the database address must be a whole number from 0 "
                   "to 3600; \"5s\" was given.");
        QTest::newRow("timeout negative")
            << QStringLiteral("connect_timeout=-1") << QStringLiteral("from 0 to 3600; \"-1\" was given");
        QTest::newRow("timeout too big") << QStringLiteral("connect_timeout=99999")
                                         << QStringLiteral("from 0 to 3600; \"99999\" was given");
        QTest::newRow("empty sslmode")
            << QStringLiteral("sslmode=") << QStringLiteral("must be one of disable, allow");
        QTest::newRow("empty path") << QStringLiteral("sslrootcert=")
                                    << QStringLiteral(
                                           "The option sslrootcert of the database address needs a "
                                           "file path.");
        QTest::newRow("application name too long")
            << QStringLiteral("application_name=") + QString(64, QLatin1Char('a'))
            << QStringLiteral("needs a text of 1 to 63 bytes");
        QTest::newRow("given twice") << QStringLiteral("sslmode=require&sslmode=disable")
                                     << QStringLiteral("The option sslmode is given twice");
        QTest::newRow("bad port item")
            << QStringLiteral("port=54x32")
            << QStringLiteral("The port \"54x32\" in the database address is not a "
                              "number from 1 to 65535.");
    }

    void badOptionsAreRefused()
    {
        QFETCH(QString, query);
        QFETCH(QString, message);
        const auto config =
            DbConfig::parse(QStringLiteral("postgresql://alice:%1@db1/hcm?").arg(kSecret) + query);
        QVERIFY(!config.ok());
        QCOMPARE(config.error().code, Error::Code::Invalid);
        QVERIFY2(config.error().message.contains(message), qPrintable(config.error().message));
        QVERIFY2(!config.error().message.contains(kSecret), qPrintable(config.error().message));
    }

    void everyAllowedOptionIsDocumented()
    {
        QFile doc(QStringLiteral(HCM_SOURCE_DIR "/docs/postgresql.md"));
        QVERIFY(doc.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(doc.readAll());
        for (const QString &option : DbConfig::allowedOptions())
            QVERIFY2(text.contains(QLatin1Char('`') + option),
                     qPrintable(option + QStringLiteral(" is not in docs/postgresql.md")));
    }

    // The quoted options reach libpq intact: a real connection opens with them and the server reports
    // the application_name it was given (with a space and a quote in it).
    void optionsReachTheServer()
    {
        if (!TempDatabase::postgresConfigured()) {
            if (TempDatabase::postgresRequired())
                QFAIL("PostgreSQL is required (HCM_TEST_REQUIRE_POSTGRES=1) but PGHOST/PGPORT are not set");
            QSKIP("needs a PostgreSQL server (PGHOST/PGPORT)");
        }
        TempDatabase tdb(DbConfig::Backend::Postgres);
        QVERIFY(tdb.isValid());
        const auto config = DbConfig::parse(
            tdb.spec() +
            QStringLiteral("%1application_name=hcm%20o'test&connect_timeout=7&sslmode=prefer")
                .arg(tdb.spec().contains(QLatin1Char('?')) ? QLatin1Char('&') : QLatin1Char('?')));
        QVERIFY2(config.ok(), config.ok() ? "" : qPrintable(config.error().message));
        const QString name = QStringLiteral("tst_dbconfig-options");
        {
            // A connection of its own: the thread's connection to this database is already open.
            auto db = Database::open(config.value(), name);
            QVERIFY2(db.ok(), db.ok() ? "" : qPrintable(db.error().message));
            QSqlQuery q(db.value());
            QVERIFY(q.exec(QStringLiteral("SHOW application_name")) && q.next());
            QCOMPARE(q.value(0).toString(), QStringLiteral("hcm o'test"));
            q.clear();
            db.value().close();
        }
        QSqlDatabase::removeDatabase(name);
    }
};

QTEST_GUILESS_MAIN(TestDbConfig)
#include "tst_dbconfig.moc"
