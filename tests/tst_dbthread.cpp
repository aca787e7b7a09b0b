// The one way the desktop app runs work off the GUI thread: DbThread (tasks in order on one thread with
// one connection, each answering through a QFuture), continuations on the caller's object, and
// superseding that each caller asks for itself (Latest). Against a real SQLite file.

#include "testutil.h"

#include "db/database.h"
#include "db/dbthread.h"
#include "jobs/asyncjobservice.h"
#include "jobs/jobservice.h"

#include <QDeadlineTimer>
#include <QSemaphore>
#include <QThread>
#include <QtTest>

#include <atomic>

using namespace hcm;
using namespace hcm::test;

namespace {

const Actor kActor = test::adminActor(QStringLiteral("tester"));

// Holds the thread of `db` until release(): what is posted meanwhile waits, not started.
class Gate {
public:
    explicit Gate(DbThread &db)
        : m_held(db.run([this] {
            m_entered.release();
            m_open.acquire();
            return 0;
        }))
    {
        m_entered.acquire();
    }
    ~Gate() { release(); }
    void release()
    {
        if (!m_released) {
            m_released = true;
            m_open.release();
        }
    }

private:
    QSemaphore m_entered;
    QSemaphore m_open;
    bool m_released = false;
    QFuture<int> m_held;
};

} // namespace

class TestDbThread final : public QObject {
    Q_OBJECT
private slots:
    void cleanup() { Database::closeThreadConnections(); }

    // Tasks run in order on the one thread (never the caller's); each future carries its own answer.
    void tasksRunInOrderOnTheirThread()
    {
        DbThread db(QStringLiteral("test-db"));
        QList<int> order;
        QList<QFuture<Qt::HANDLE>> futures;
        for (int i = 0; i < 5; ++i)
            futures << db.run([&order, i] {
                order << i;
                return QThread::currentThreadId();
            });
        QTRY_VERIFY(futures.last().isFinished());
        QCOMPARE(order, (QList<int>{0, 1, 2, 3, 4}));
        for (const auto &f : std::as_const(futures)) {
            QVERIFY(f.result() != QThread::currentThreadId());
            QCOMPARE(f.result(), futures.first().result());
        }
    }

    // Two callers ask for the same kind of read: each gets its answer. (A queue that let a newer read
    // replace a queued one of the same kind answered only the second caller.)
    void everyCallerGetsItsAnswer()
    {
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        NewJob job;
        job.type = QStringLiteral("cache_flush");
        QVERIFY(service.enqueue(job, kActor).ok());
        AsyncJobService async{JobStore(tdb.config())};
        QObject first;
        QObject second;
        std::optional<qint64> firstAnswer;
        std::optional<qint64> secondAnswer;
        JobFilter all;
        JobFilter failed;
        failed.type = QStringLiteral("email_send");
        async.fetchCounts(all).then(&first, [&](const Result<StatusCounts> &c) { firstAnswer = c->all(); });
        async.fetchCounts(failed).then(&second,
                                       [&](const Result<StatusCounts> &c) { secondAnswer = c->all(); });
        QTRY_VERIFY(firstAnswer && secondAnswer);
        QCOMPARE(*firstAnswer, qint64(1));
        QCOMPARE(*secondAnswer, qint64(0));
    }

    // A caller that wants only its newest answer says so: the request it replaced is skipped when it has
    // not started, and nothing of it is delivered. Another caller's request is not touched.
    void latestSkipsTheCallersOlderRequest()
    {
        DbThread db(QStringLiteral("test-db"));
        std::atomic<int> ran{0};
        Latest<int> mine;
        QObject me;
        QObject other;
        QList<int> myAnswers;
        QList<int> otherAnswers;
        {
            Gate gate(db);
            mine.track(db.run([&] { return ++ran, 1; }), &me, [&](int v) { myAnswers << v; });
            db.run([&] { return ++ran, 10; }).then(&other, [&](int v) { otherAnswers << v; });
            mine.track(db.run([&] { return ++ran, 2; }), &me, [&](int v) { myAnswers << v; });
        }
        QTRY_COMPARE(myAnswers, QList<int>{2});
        QTRY_COMPARE(otherAnswers, QList<int>{10});
        QCOMPARE(ran.load(), 2); // the replaced request never ran
    }

    // A request after the previous answer was delivered: cancelling that finished request must not
    // touch its continuation, which is gone (Qt 6.4 walks the chain by raw pointer).
    void latestAfterTheAnswerWasDelivered()
    {
        DbThread db(QStringLiteral("test-db"));
        Latest<int> mine;
        QObject me;
        QList<int> answers;
        for (int i = 1; i <= 3; ++i) {
            mine.track(db.run([i] { return i; }), &me, [&](int v) { answers << v; });
            QTRY_COMPARE(answers.size(), i);
        }
        mine.cancel();
        QCOMPARE(answers, (QList<int>{1, 2, 3}));
    }

    // An answer that is there before the caller attaches its continuation still comes from the event
    // loop, never inside the call that asked (Qt would run it at once).
    void latestNeverAnswersInsideTheRequest()
    {
        DbThread db(QStringLiteral("test-db"));
        QFuture<int> done = db.run([] { return 7; });
        QTRY_VERIFY(done.isFinished());
        Latest<int> mine;
        QObject me;
        QList<int> answers;
        mine.track(done, &me, [&](int v) { answers << v; });
        QVERIFY(answers.isEmpty());
        QTRY_COMPARE(answers, QList<int>{7});
    }

    // SkipQueued: an answer already being computed is still delivered (a display that shows every answer
    // newer than its own cannot be starved by a stream of requests); an unstarted one is skipped.
    void skipQueuedKeepsAStartedAnswer()
    {
        DbThread db(QStringLiteral("test-db"));
        Latest<int> counts(Supersede::SkipQueued);
        QObject me;
        QList<int> answers;
        QSemaphore started;
        QSemaphore finish;
        counts.track(db.run([&] {
            started.release();
            finish.acquire();
            return 1;
        }),
                     &me, [&](int v) { answers << v; });
        started.acquire(); // the first one runs
        counts.track(db.run([] { return 2; }), &me, [&](int v) { answers << v; });
        counts.track(db.run([] { return 3; }), &me, [&](int v) { answers << v; });
        finish.release();
        QTRY_COMPARE(answers, (QList<int>{1, 3}));
    }

    // The continuation (whenReady) runs in the caller's thread; an object that is gone by the time the
    // answer comes gets nothing. (Qt 6.4's own then(context, …) may not be used for this: it asserts
    // that the context is still alive when the answer comes, which failed here in the Debug build of
    // the sanitizers.)
    void answerForAGoneObjectIsDropped()
    {
        DbThread db(QStringLiteral("test-db"));
        bool called = false;
        Qt::HANDLE calledOn = nullptr;
        QObject stays;
        {
            Gate gate(db);
            auto *goes = new QObject;
            whenReady(db.run([] { return 1; }), goes, [&](int) { called = true; });
            whenReady(db.run([] { return 2; }), &stays, [&](int) { calledOn = QThread::currentThreadId(); });
            delete goes;
        }
        QTRY_VERIFY(calledOn != nullptr);
        QCOMPARE(calledOn, QThread::currentThreadId());
        QCoreApplication::processEvents();
        QVERIFY(!called);
    }

    // Destroying the thread drops what has not started (those futures end cancelled) and waits for the
    // running task only.
    void destructionCancelsWhatHasNotStarted()
    {
        QFuture<int> queued;
        QFuture<int> running;
        {
            DbThread db(QStringLiteral("test-db"));
            QSemaphore started;
            // Runs until the destruction has begun.
            running = db.run([&started, &db] {
                started.release();
                const QDeadlineTimer deadline(10'000);
                while (!db.isClosing() && !deadline.hasExpired())
                    QThread::yieldCurrentThread();
                return db.isClosing() ? 1 : -1;
            });
            queued = db.run([] { return 2; });
            started.acquire();
        }
        QVERIFY(running.isFinished());
        QCOMPARE(running.result(), 1);
        QVERIFY(queued.isFinished());
        QVERIFY(queued.isCanceled());
    }
};

QTEST_GUILESS_MAIN(TestDbThread)
#include "tst_dbthread.moc"
