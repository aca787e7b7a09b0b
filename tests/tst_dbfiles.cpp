// The files of the embedded database and of the logs, on disk: their modes whatever the umask (real
// files, checked with stat), what an unusable --db file is reported as, a schema version beyond 2^31 on
// both backends, and the size cap of the log file with its rotation.

#include "testutil.h"

#include "common/logcategories.h"
#include "common/logsink.h"
#include "db/database.h"
#include "db/migrator.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/stat.h>
#include <unistd.h>

using namespace hcm;

namespace {

// "600" for a file with mode 0600, "" when it does not exist.
QString modeOf(const QString &path)
{
    struct stat st = {};
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return {};
    return QString::number(st.st_mode & 07777, 8);
}

void setMode(const QString &path, mode_t mode)
{
    QVERIFY2(::chmod(QFile::encodeName(path).constData(), mode) == 0, qPrintable(path));
}

// The umask of the test, as most desktop sessions have it, restored at the end of the scope.
struct Umask {
    explicit Umask(mode_t mask)
        : old(::umask(mask))
    {}
    ~Umask() { ::umask(old); }
    Q_DISABLE_COPY_MOVE(Umask)
    mode_t old;
};

// LogSink replaces the test's message handler while it is open: this puts the test's back.
struct LogSinkScope {
    LogSinkScope()
    {
        testHandler = qInstallMessageHandler(nullptr);
        qInstallMessageHandler(testHandler);
    }
    ~LogSinkScope()
    {
        LogSink::instance().close();
        qInstallMessageHandler(testHandler);
    }
    Q_DISABLE_COPY_MOVE(LogSinkScope)
    QtMessageHandler testHandler = nullptr;
};

QString readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

} // namespace

class TestDbFiles : public QObject {
    Q_OBJECT

private slots:
    void cleanup() { Database::closeThreadConnections(); }

    void newDatabaseIsPrivate()
    {
        const Umask mask(022);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString chosen = dir.filePath(QStringLiteral("chosen"));
        QVERIFY(QDir().mkdir(chosen));
        setMode(chosen, 0755);
        const DbConfig config = DbConfig::sqlite(chosen + QStringLiteral("/new/sub/hcm.sqlite"));
        const Status st = Database::openAndMigrate(config);
        QVERIFY2(st.ok(), st.ok() ? "" : qPrintable(st.error().message));
        // A write on the open connection: the WAL and SHM files exist now.
        auto db = Database::connection(config);
        QVERIFY(db.ok());
        QSqlQuery q(db.value());
        QVERIFY(q.exec(QStringLiteral("CREATE TABLE mode_probe(x INTEGER)")));
        QVERIFY(q.exec(QStringLiteral("INSERT INTO mode_probe VALUES (1)")));
        QVERIFY(QFile::exists(config.sqlitePath + QStringLiteral("-wal")));
        QVERIFY(QFile::exists(config.sqlitePath + QStringLiteral("-shm")));
        QCOMPARE(modeOf(config.sqlitePath), QStringLiteral("600"));
        QCOMPARE(modeOf(config.sqlitePath + QStringLiteral("-wal")), QStringLiteral("600"));
        QCOMPARE(modeOf(config.sqlitePath + QStringLiteral("-shm")), QStringLiteral("600"));
        QCOMPARE(modeOf(chosen + QStringLiteral("/new")), QStringLiteral("700"));
        QCOMPARE(modeOf(chosen + QStringLiteral("/new/sub")), QStringLiteral("700"));
        // A folder that was there before is the user's: left as it is.
        QCOMPARE(modeOf(chosen), QStringLiteral("755"));
    }

    void existingDatabaseIsRepaired()
    {
        const Umask mask(022);
        QTemporaryDir dir;
        const DbConfig config = DbConfig::sqlite(dir.filePath(QStringLiteral("hcm.sqlite")));
        QVERIFY(Database::openAndMigrate(config).ok());
        Database::closeThreadConnections();
        setMode(config.sqlitePath, 0644); // as an earlier version left it
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral(
                                               "restricted the mode of .*/hcm\\.sqlite from 0644 "
                                               "to 0600")));
        QVERIFY(Database::openAndMigrate(config).ok());
        QCOMPARE(modeOf(config.sqlitePath), QStringLiteral("600"));
    }

    void defaultDataFolderIsRepaired()
    {
        const Umask mask(022);
        QTemporaryDir home;
        const QByteArray oldDataHome = qgetenv("XDG_DATA_HOME");
        qputenv("XDG_DATA_HOME", QFile::encodeName(home.path()));
        const auto restore = qScopeGuard([&] {
            if (oldDataHome.isEmpty())
                qunsetenv("XDG_DATA_HOME");
            else
                qputenv("XDG_DATA_HOME", oldDataHome);
        });
        const QString path = DbConfig::defaultSqlitePath();
        QVERIFY2(path.startsWith(home.path()), qPrintable(path));
        const QString folder = QFileInfo(path).absolutePath();
        QVERIFY(QDir().mkpath(folder));
        setMode(folder, 0755);
        QTest::ignoreMessage(
            QtWarningMsg, QRegularExpression(QStringLiteral("restricted the mode of .* from 0755 to 0700")));
        const auto config = DbConfig::parse(QString());
        QVERIFY(config.ok());
        QCOMPARE(config->sqlitePath, path);
        QVERIFY(Database::openAndMigrate(config.value()).ok());
        QCOMPARE(modeOf(folder), QStringLiteral("700"));
        QCOMPARE(modeOf(path), QStringLiteral("600"));
    }

    void logFilesArePrivate()
    {
        const Umask mask(022);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("logs/new/test.log"));
        {
            const LogSinkScope scope;
            QVERIFY(LogSink::instance().open(path, false).ok());
            qCInfo(lcApp) << "a line";
        }
        QCOMPARE(modeOf(path), QStringLiteral("600"));
        QCOMPARE(modeOf(dir.filePath(QStringLiteral("logs"))), QStringLiteral("700"));
        QCOMPARE(modeOf(dir.filePath(QStringLiteral("logs/new"))), QStringLiteral("700"));

        setMode(path, 0644);
        {
            const LogSinkScope scope;
            QVERIFY(LogSink::instance().open(path, false).ok());
        }
        QCOMPARE(modeOf(path), QStringLiteral("600"));
        QVERIFY2(readAll(path).contains(QLatin1String("from 0644 to 0600")), qPrintable(readAll(path)));
    }

    // Files the driver cannot use are named for what they are, not as a lost server, and stay as they
    // were.
    void unusableSqliteFiles_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("message");
        QTest::newRow("device") << QStringLiteral("device")
                                << QStringLiteral("is not an SQLite database file");
        QTest::newRow("folder") << QStringLiteral("folder")
                                << QStringLiteral("is a folder, not a database file");
        QTest::newRow("text file") << QStringLiteral("text")
                                   << QStringLiteral("is not an SQLite database file");
        QTest::newRow("unreadable") << QStringLiteral("unreadable") << QStringLiteral("Permission denied");
    }

    void unusableSqliteFiles()
    {
        QFETCH(QString, kind);
        QFETCH(QString, message);
        const Umask mask(022);
        QTemporaryDir dir;
        QString path = dir.filePath(QStringLiteral("file.db"));
        const QByteArray text = "name,phone\nalice,555-0100\n";
        if (kind == QLatin1String("device")) {
            path = QStringLiteral("/dev/null");
        } else if (kind == QLatin1String("folder")) {
            QVERIFY(QDir().mkdir(path));
        } else {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(text);
            f.close();
            if (kind == QLatin1String("unreadable")) {
                if (::geteuid() == 0)
                    QSKIP("root reads every file");
                setMode(path, 0200);
            }
        }
        QTest::failOnWarning(QRegularExpression(QStringLiteral("rollback failed")));
        const Status st = Database::openAndMigrate(DbConfig::sqlite(path));
        QVERIFY(!st.ok());
        QVERIFY2(st.error().message.contains(path + QLatin1Char(' ')) ||
                     st.error().message.contains(path + QLatin1Char(':')),
                 qPrintable(st.error().message));
        QVERIFY2(st.error().message.contains(message), qPrintable(st.error().message));
        QVERIFY2(!st.error().message.contains(QLatin1String("server")), qPrintable(st.error().message));
        if (kind == QLatin1String("text")) {
            QFile f(path);
            QVERIFY(f.open(QIODevice::ReadOnly));
            QCOMPARE(f.readAll(), text);
            QCOMPARE(modeOf(path), QStringLiteral("644"));
            QVERIFY(!QFile::exists(path + QStringLiteral("-wal")));
        }
    }

    // A newer program recorded a version beyond 32 bits: this one refuses the database instead of
    // reading the version as 0 and migrating it again.
    void schemaVersionBeyond32Bits_data() { test::addBackendRows(); }

    void schemaVersionBeyond32Bits()
    {
        HCM_TEMP_DATABASE_OF_ROW(tdb);
        {
            auto db = Database::connection(tdb.config());
            QVERIFY(db.ok());
            QSqlQuery q(db.value());
            if (tdb.isPostgres())
                QVERIFY2(
                    q.exec(QStringLiteral("ALTER TABLE schema_migrations ALTER COLUMN version TYPE BIGINT")),
                    qPrintable(q.lastError().text()));
            QVERIFY2(q.exec(QStringLiteral("INSERT INTO schema_migrations(version, name, applied_at) "
                                           "VALUES (2147483648, 'future', 0)")),
                     qPrintable(q.lastError().text()));
        }
        const Status st = Database::openAndMigrate(tdb.config());
        QVERIFY(!st.ok());
        QCOMPARE(st.error().code, Error::Code::Conflict);
        QVERIFY2(st.error().message.contains(QLatin1String("schema 2147483648")),
                 qPrintable(st.error().message));
        auto db = Database::connection(tdb.config());
        QVERIFY(db.ok());
        QSqlDatabase handle = db.value();
        const auto info = Migrator::info(handle, tdb.config());
        QVERIFY(info.ok());
        QCOMPARE(info->currentVersion, Q_INT64_C(2147483648));
        QVERIFY(info->pending.isEmpty());
    }

    void logIsRotated()
    {
        const Umask mask(022);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("rotated.log"));
        const int lines = 300;
        {
            const LogSinkScope scope;
            QVERIFY(LogSink::instance().open(path, false).ok());
            LogSink::instance().setLimits(2048, 3);
            for (int i = 0; i < lines; ++i)
                qCInfo(lcApp).noquote() << QStringLiteral("line %1 ").arg(i, 4, 10, QLatin1Char('0'))
                                        << QString(60, QLatin1Char('x'));
        }
        const auto numbered = [&](int n) -> QString { return path + QLatin1Char('.') + QString::number(n); };
        QVERIFY(QFile::exists(path));
        for (int n = 1; n <= 3; ++n)
            QVERIFY2(QFile::exists(numbered(n)), qPrintable(numbered(n)));
        QVERIFY(!QFile::exists(numbered(4)));
        // Oldest first: the lines follow each other with none missing, up to the last one written.
        QString all;
        for (const QString &file : {numbered(3), numbered(2), numbered(1), path}) {
            QVERIFY2(QFileInfo(file).size() <= 2048 + 200, qPrintable(file));
            QCOMPARE(modeOf(file), QStringLiteral("600"));
            all += readAll(file);
        }
        static const QRegularExpression number(QStringLiteral("line (\\d{4}) "));
        QList<int> seen;
        for (auto it = number.globalMatch(all); it.hasNext();)
            seen.append(it.next().captured(1).toInt());
        QVERIFY(seen.size() > 20);
        QVERIFY(seen.size() < lines); // the oldest files are gone
        QCOMPARE(seen.last(), lines - 1);
        for (qsizetype i = 1; i < seen.size(); ++i)
            QCOMPARE(seen.at(i), seen.at(i - 1) + 1);
    }

    void logLimitsFromEnvironment()
    {
        QTemporaryDir dir;
        const auto restore = qScopeGuard([] {
            qunsetenv("HCM_LOG_MAX_BYTES");
            qunsetenv("HCM_LOG_KEEP");
        });
        qputenv("HCM_LOG_MAX_BYTES", "4096");
        qputenv("HCM_LOG_KEEP", "2");
        {
            const LogSinkScope scope;
            QVERIFY(LogSink::instance().open(dir.filePath(QStringLiteral("a.log")), false).ok());
            QCOMPARE(LogSink::instance().maxBytes(), 4096);
            QCOMPARE(LogSink::instance().keep(), 2);
        }
        qputenv("HCM_LOG_MAX_BYTES", "10MB");
        qunsetenv("HCM_LOG_KEEP");
        {
            const LogSinkScope scope;
            QVERIFY(LogSink::instance().open(dir.filePath(QStringLiteral("b.log")), false).ok());
            QCOMPARE(LogSink::instance().maxBytes(), LogSink::kDefaultMaxBytes);
            QCOMPARE(LogSink::instance().keep(), LogSink::kDefaultKeep);
        }
        QVERIFY2(readAll(dir.filePath(QStringLiteral("b.log")))
                     .contains(QLatin1String("HCM_LOG_MAX_BYTES=\"10MB\"")),
                 qPrintable(readAll(dir.filePath(QStringLiteral("b.log")))));
    }
};

QTEST_GUILESS_MAIN(TestDbFiles)
#include "tst_dbfiles.moc"
