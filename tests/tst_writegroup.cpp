// WriteGroup: the writes of several threads in one SQLite transaction (group commit), each piece in a
// savepoint of its own, on the database's writer thread. Real threads, a real SQLite file; a first piece
// keeps the writer busy until the others wait for the next transaction, so the group they form is known.
#include "testutil.h"

#include "db/database.h"
#include "db/writegroup.h"

#include <QSemaphore>
#include <QThread>
#include <QtTest>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

using namespace hcm;

namespace {

QString threadText()
{
    return QString::number(reinterpret_cast<quintptr>(QThread::currentThreadId()));
}

// The message of a failed status, for QVERIFY2.
QString why(const Status &status)
{
    return status.ok() ? QString() : status.error().message;
}

// Adds the row `piece` to the scratch table, with the thread that wrote it.
Status insertRow(const DbConfig &config, int piece)
{
    auto conn = Database::connection(config);
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    if (auto st = Sql::prepare(q, QStringLiteral("INSERT INTO wg (piece, thread) VALUES (?, ?)")); !st)
        return st;
    q.addBindValue(piece);
    q.addBindValue(threadText());
    return Sql::exec(q, QStringLiteral("adding a row"));
}

// The row `piece` added inside a Transaction of its own, committed or (with an error) rolled back.
Status insertInTransaction(const DbConfig &config, int piece, bool commit)
{
    auto conn = Database::connection(config);
    if (!conn)
        return conn.error();
    Transaction tx(conn.value());
    if (auto st = tx.begin(); !st)
        return st;
    if (auto st = insertRow(config, piece); !st)
        return st;
    if (!commit)
        return Error{Error::Code::Conflict, QStringLiteral("piece %1 changes its mind").arg(piece)};
    return tx.commit();
}

// WriteGroup::run(piece) on a thread of its own.
class Caller final {
public:
    // `unblock` runs before the destructor waits for the thread (a test that failed early lets the piece
    // that holds the writer finish).
    Caller(const DbConfig &config, std::function<Status()> piece, std::function<void()> unblock)
        : m_unblock(std::move(unblock))
    {
        m_thread.reset(QThread::create([this, config, piece = std::move(piece)] {
            m_callerThread = threadText();
            m_status = WriteGroup::run(config, piece);
            Database::closeThreadConnections();
        }));
        m_thread->start();
    }
    ~Caller()
    {
        m_unblock();
        m_thread->wait();
    }
    bool finish() { return m_thread->wait(30000); }
    const Status &status() const { return m_status; }
    QString callerThread() const { return m_callerThread; }

private:
    std::function<void()> m_unblock;
    std::unique_ptr<QThread> m_thread;
    Status m_status;
    QString m_callerThread;
};

} // namespace

class TestWriteGroup : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<test::TempDatabase> m_db;
    QSemaphore m_entered;
    QSemaphore m_go;
    std::unique_ptr<Caller> m_first;
    std::atomic<bool> m_released = false;

    const DbConfig &config() const { return m_db->config(); }
    std::function<void()> unblock()
    {
        return [this] {
            if (!m_released.exchange(true))
                m_go.release();
        };
    }

    // Piece 1 on a thread of its own, inside its transaction until release() (the group of one).
    bool holdTheWriter()
    {
        m_first = std::make_unique<Caller>(
            config(),
            [this]() -> Status {
                auto st = insertRow(config(), 1);
                m_entered.release();
                m_go.acquire();
                return st;
            },
            unblock());
        return m_entered.tryAcquire(1, 30000);
    }
    void release()
    {
        unblock()();
        QVERIFY(m_first->finish());
        QVERIFY2(m_first->status().ok(), qPrintable(why(m_first->status())));
    }
    // The rows of the scratch table: piece → thread that wrote it.
    QMap<int, QString> rows()
    {
        QMap<int, QString> out;
        auto conn = Database::connection(config());
        if (!conn)
            return out;
        QSqlQuery q(conn.value());
        if (!q.exec(QStringLiteral("SELECT piece, thread FROM wg")))
            qWarning() << q.lastError().text();
        while (q.next())
            out.insert(q.value(0).toInt(), q.value(1).toString());
        return out;
    }

private slots:
    void init()
    {
        m_db = std::make_unique<test::TempDatabase>();
        QVERIFY(m_db->isValid());
        QVERIFY(test::execSql(config(), QStringLiteral("CREATE TABLE wg (piece INTEGER, thread TEXT)")));
    }
    void cleanup()
    {
        m_first.reset();
        m_released = false;
        Database::closeThreadConnections();
        m_db.reset();
    }

    void piecesThatArriveMeanwhileShareTheNextTransaction()
    {
        QVERIFY(holdTheWriter());
        std::vector<std::unique_ptr<Caller>> callers;
        for (int piece = 2; piece <= 6; ++piece)
            callers.push_back(std::make_unique<Caller>(
                config(), [this, piece] { return insertRow(config(), piece); }, unblock()));
        QTRY_COMPARE(WriteGroup::waiting(config()), 5);
        // Piece 1 alone commits as it goes; nothing of the waiting pieces is written yet.
        QCOMPARE(rows().keys(), QList<int>{1});
        release();
        for (auto &c : callers) {
            QVERIFY(c->finish());
            QVERIFY2(c->status().ok(), qPrintable(why(c->status())));
        }
        const auto written = rows();
        QCOMPARE(written.keys(), (QList<int>{1, 2, 3, 4, 5, 6}));
        // Every piece ran on the writer thread, none on its caller's.
        const QString writer = written.value(1);
        QVERIFY(!writer.isEmpty());
        for (int piece = 2; piece <= 6; ++piece) {
            QCOMPARE(written.value(piece), writer);
            QVERIFY(writer != callers.at(piece - 2)->callerThread());
        }
        QCOMPARE(WriteGroup::waiting(config()), 0);
    }

    void aFailingPieceRollsBackOnlyItsOwnChanges()
    {
        QVERIFY(holdTheWriter());
        Caller plain(
            config(), [this] { return insertRow(config(), 2); }, unblock());
        Caller failing(
            config(),
            [this]() -> Status {
                if (auto st = insertRow(config(), 3); !st)
                    return st;
                return Error{Error::Code::Invalid, QStringLiteral("piece 3 refuses")};
            },
            unblock());
        // A Transaction inside a piece is a savepoint of the group's transaction: rolled back alone …
        Caller rolledBack(
            config(), [this] { return insertInTransaction(config(), 4, false); }, unblock());
        // … or released into it.
        Caller committed(
            config(), [this] { return insertInTransaction(config(), 5, true); }, unblock());
        QTRY_COMPARE(WriteGroup::waiting(config()), 4);
        release();
        for (Caller *c : {&plain, &failing, &rolledBack, &committed})
            QVERIFY(c->finish());
        QVERIFY2(plain.status().ok(), qPrintable(why(plain.status())));
        QVERIFY(!failing.status().ok());
        QCOMPARE(failing.status().error().message, QStringLiteral("piece 3 refuses"));
        QVERIFY(!rolledBack.status().ok());
        QCOMPARE(rolledBack.status().error().code, Error::Code::Conflict);
        QVERIFY2(committed.status().ok(), qPrintable(why(committed.status())));
        QCOMPARE(rows().keys(), (QList<int>{1, 2, 5}));
    }

    void aPieceThatEndsTheTransactionFailsTheWholeGroup()
    {
        QVERIFY(holdTheWriter());
        Caller before(
            config(), [this] { return insertRow(config(), 2); }, unblock());
        QTRY_COMPARE(WriteGroup::waiting(config()), 1);
        // Joins after `before`, so it runs second in the group.
        Caller ending(
            config(),
            [this]() -> Status {
                if (auto st = insertRow(config(), 3); !st)
                    return st;
                auto conn = Database::connection(config());
                if (!conn)
                    return conn.error();
                // What SQLite does by itself after a full disk or an I/O error.
                return Sql::exec(conn.value(), QStringLiteral("ROLLBACK"));
            },
            unblock());
        QTRY_COMPARE(WriteGroup::waiting(config()), 2);
        Caller after(
            config(), [this] { return insertRow(config(), 4); }, unblock());
        QTRY_COMPARE(WriteGroup::waiting(config()), 3);
        release();
        for (Caller *c : {&before, &ending, &after}) {
            QVERIFY(c->finish());
            QVERIFY(!c->status().ok());
            QCOMPARE(c->status().error().code, Error::Code::Database);
        }
        QCOMPARE(rows().keys(), QList<int>{1});
        // The next group works again.
        Caller next(
            config(), [this] { return insertRow(config(), 5); }, unblock());
        QVERIFY(next.finish());
        QVERIFY2(next.status().ok(), qPrintable(why(next.status())));
        QCOMPARE(rows().keys(), (QList<int>{1, 5}));
    }

    void afterCommitRunsOnTheCallersThreadOnceTheRowIsVisible()
    {
        // Outside a group: at once.
        bool ranAtOnce = false;
        WriteGroup::afterCommit([&] { ranAtOnce = true; });
        QVERIFY(ranAtOnce);

        QVERIFY(holdTheWriter());
        QString hookThread;
        qint64 visibleRows = -1;
        std::atomic<bool> failedHookRan = false;
        Caller succeeding(
            config(),
            [&]() -> Status {
                auto st = insertRow(config(), 2);
                WriteGroup::afterCommit([&] {
                    hookThread = threadText();
                    // This thread's own connection, not the one the group wrote on.
                    visibleRows = test::rowCount(config(), QStringLiteral("wg"), QStringLiteral("piece = 2"));
                });
                return st;
            },
            unblock());
        Caller failing(
            config(),
            [&]() -> Status {
                WriteGroup::afterCommit([&] { failedHookRan = true; });
                return Error{Error::Code::Invalid, QStringLiteral("no")};
            },
            unblock());
        QTRY_COMPARE(WriteGroup::waiting(config()), 2);
        release();
        QVERIFY(succeeding.finish());
        QVERIFY(failing.finish());
        QVERIFY2(succeeding.status().ok(), qPrintable(why(succeeding.status())));
        QCOMPARE(hookThread, succeeding.callerThread());
        QCOMPARE(visibleRows, 1);
        QVERIFY(!failedHookRan);
    }

    void aPieceThatWritesAgainRunsInsideItsGroup()
    {
        QVERIFY(holdTheWriter());
        Caller outer(
            config(),
            [this]() -> Status {
                if (auto st = insertRow(config(), 2); !st)
                    return st;
                return WriteGroup::run(config(), [this] { return insertRow(config(), 3); });
            },
            unblock());
        Caller other(
            config(), [this] { return insertRow(config(), 4); }, unblock());
        QTRY_COMPARE(WriteGroup::waiting(config()), 2);
        release();
        QVERIFY(outer.finish());
        QVERIFY(other.finish());
        QVERIFY2(outer.status().ok(), qPrintable(why(outer.status())));
        QVERIFY2(other.status().ok(), qPrintable(why(other.status())));
        QCOMPARE(rows().keys(), (QList<int>{1, 2, 3, 4}));
    }

    // Another process holds the write lock past the busy timeout: the piece gets "busy", and the writer's
    // connection is left as it was. A failed BEGIN IMMEDIATE that stayed un-reset kept the connection a
    // writer: the next autocommit write reported success, was never committed, and locked everyone else
    // out.
    void aBusyBeginLeavesTheWriterUsable()
    {
        DbConfig shortWait = config();
        shortWait.busyTimeoutMs = 100;
        auto opened = Database::open(shortWait, QStringLiteral("tst_writegroup_blocker"));
        QVERIFY(opened);
        std::optional<QSqlDatabase> blocker = opened.value();
        QVERIFY(Sql::exec(*blocker, QStringLiteral("BEGIN IMMEDIATE")).ok());
        Caller busy(
            shortWait, [&] { return insertInTransaction(shortWait, 1, true); }, unblock());
        QVERIFY(busy.finish());
        QVERIFY(!busy.status().ok());
        QVERIFY2(busy.status().error().message.contains(QStringLiteral("busy"), Qt::CaseInsensitive) ||
                     busy.status().error().message.contains(QStringLiteral("locked"), Qt::CaseInsensitive),
                 qPrintable(busy.status().error().message));
        QVERIFY(Sql::exec(*blocker, QStringLiteral("ROLLBACK")).ok());

        // Alone and without a transaction of its own: committed at once, seen by another connection …
        Caller plain(
            shortWait, [&] { return insertRow(shortWait, 2); }, unblock());
        QVERIFY(plain.finish());
        QVERIFY2(plain.status().ok(), qPrintable(why(plain.status())));
        QCOMPARE(test::rowCount(config(), QStringLiteral("wg"), QStringLiteral("piece = 2")), 1);
        // … and the lock is free for everyone else.
        QVERIFY(Sql::exec(*blocker, QStringLiteral("BEGIN IMMEDIATE")).ok());
        QVERIFY(Sql::exec(*blocker, QStringLiteral("ROLLBACK")).ok());
        blocker->close();
        blocker.reset();
        QSqlDatabase::removeDatabase(QStringLiteral("tst_writegroup_blocker"));
    }

    void postgresqlRunsThePieceAtOnce()
    {
        test::TempDatabase pg(DbConfig::Backend::Postgres);
        HCM_REQUIRE_BACKEND(pg);
        QString ranOn;
        const Status st = WriteGroup::run(pg.config(), [&]() -> Status {
            ranOn = threadText();
            return {};
        });
        QVERIFY(st.ok());
        QCOMPARE(ranOn, threadText());
        QCOMPARE(WriteGroup::waiting(pg.config()), 0);
        Database::closeThreadConnections();
    }
};

QTEST_GUILESS_MAIN(TestWriteGroup)
#include "tst_writegroup.moc"
