// The main thread's connections at the end of a program: Database closes and removes them while the
// application object is destroyed, with their prepared statements, so nothing of them is left for the
// thread's exit (where closing is no longer safe and what remains is leaked on purpose: a
// LeakSanitizer report at the end of every program that used the database on its main thread). The
// checks after the application object are in main(): a test function runs while it exists.

#include "testutil.h"

#include "db/database.h"
#include "db/threadstatements.h"

#include <QCoreApplication>
#include <QSqlDatabase>
#include <QtTest>

#include <cstdio>
#include <optional>

using namespace hcm;

class TestDbExit : public QObject {
    Q_OBJECT

public:
    // The database the test functions use; main() checks it after the application object is gone.
    std::optional<test::TempDatabase> database;

private slots:
    void mainThreadConnectionWithStatements()
    {
        database.emplace();
        QVERIFY(database->isValid());
        auto db = Database::connection(database->config());
        QVERIFY(db);
        QSqlQuery &q = Sql::cached(db.value(), QStringLiteral("SELECT count(*) FROM background_jobs"));
        QVERIFY2(q.exec() && q.next(), qPrintable(q.lastError().text()));
        QCOMPARE(q.value(0).toInt(), 0);
        QVERIFY(threadStatementCount() > 0);
    }
};

int main(int argc, char *argv[])
{
    TestDbExit test;
    int status = 0;
    {
        QCoreApplication app(argc, argv);
        status = QTest::qExec(&test, argc, argv);
    }
    // What the thread's exit would otherwise leave behind: statements of connections Qt has removed.
    if (const qsizetype left = threadStatementCount(); left != 0) {
        std::fprintf(stderr, "FAIL: %lld prepared statement(s) left after the application object\n",
                     static_cast<long long>(left));
        return 1;
    }
    if (const QStringList names = QSqlDatabase::connectionNames(); !names.isEmpty()) {
        std::fprintf(stderr, "FAIL: connections left after the application object: %s\n",
                     qPrintable(names.join(QLatin1String(", "))));
        return 1;
    }
    std::fprintf(stderr, "PASS: no statement and no connection left after the application object\n");
    test.database.reset();
    return status;
}

#include "tst_dbexit.moc"
