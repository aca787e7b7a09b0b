#pragma once

#include <QCoreApplication>
#include <QFuture>
#include <QObject>
#include <QPointer>
#include <QPromise>
#include <QThread>

#include <atomic>
#include <functional>
#include <memory>
#include <type_traits>

namespace hcm {

// The one way the GUI runs work off its thread: a thread with its own database connection (opened
// there on first use, under that thread's name, closed when the thread ends) that runs tasks in the
// order they were posted. Every request returns a QFuture; the caller continues on its own object with
// whenReady(future, this, …) (below), so an answer for an object that is gone is dropped:
//
//     whenReady(m_db.run([filter] { return JobStore(config).list(filter); }), this,
//               [this](const Result<QList<Job>> &rows) { apply(rows); });
//
// Not with Qt 6.4's future.then(this, …) when the object may go first: it asserts that its context is
// alive when the answer comes (a Debug build stops there: Q_ASSERT(context) in qfuture_impl.h).
//
// A task whose future was cancelled before it started is skipped (see Latest below for superseding).
// A future takes one continuation (Qt 6.4 replaces an earlier one with a warning): the caller attaches
// it; anyone else who needs to know (progress, the end) watches with a QFutureWatcher.
class DbThread final : public QObject {
public:
    explicit DbThread(const QString &name, QObject *parent = nullptr);
    // Tasks not started are dropped (their futures end cancelled); a running task is waited for (it
    // holds no lock the caller's thread could hold), then the connection is closed on its thread.
    ~DbThread() override;
    Q_DISABLE_COPY_MOVE(DbThread)

    // The destructor has begun: tasks that have not started will not.
    bool isClosing() const { return m_closing->load(); }

    // task() on the thread; its value is the future's result.
    template<typename F, typename T = std::invoke_result_t<F &>> QFuture<T> run(F task)
    {
        return runWithPromise<T>(
            [task = std::move(task)](QPromise<T> &promise) mutable { promise.addResult(task()); });
    }

    // task(promise) on the thread, for tasks that report progress (QPromise::setProgressValue) or look
    // at cancellation themselves; it adds the result.
    template<typename T, typename F> QFuture<T> runWithPromise(F task)
    {
        auto promise = std::make_shared<QPromise<T>>();
        QFuture<T> future = promise->future();
        post([promise, closing = m_closing, task = std::move(task)]() mutable {
            promise->start();
            if (closing->load())
                promise->future().cancel();
            else if (!promise->isCanceled())
                task(*promise);
            promise->finish();
        });
        return future;
    }

private:
    void post(std::function<void()> task);

    QThread m_thread;
    QObject *m_context = nullptr; // lives in m_thread
    std::shared_ptr<std::atomic_bool> m_closing = std::make_shared<std::atomic_bool>(false);
};

// Continues with the future's result on the GUI thread, always later through the event loop and never
// inside the call that made the request: Qt's then(context, …) runs the continuation at once, inside
// then(), when the answer is already there, so whether a caller's code after the request ran before or
// after its continuation would depend on the database's speed. Dropped when `context` is gone or the
// future was cancelled. For one-off requests; superseded reads go through Latest.
template<typename T, typename F> void whenReady(QFuture<T> future, QObject *context, F then)
{
    future.then(QtFuture::Launch::Sync,
                [guard = QPointer<QObject>(context), then = std::move(then)](const T &answer) mutable {
                    QMetaObject::invokeMethod(
                        QCoreApplication::instance(),
                        [guard, then = std::move(then), answer]() mutable {
                            if (guard)
                                then(answer);
                        },
                        Qt::QueuedConnection);
                });
}

// A flag a long task (a bulk action, an export) reads between its steps; setting it stops the task
// after the current step with what it has done so far (a cancelled future would drop that answer).
using StopFlag = std::shared_ptr<std::atomic_bool>;
inline StopFlag makeStopFlag()
{
    return std::make_shared<std::atomic_bool>(false);
}

// Superseding, explicit per caller: a caller that wants only the newest answer of one kind of request
// keeps one Latest and passes each request through track(future, context, then). The previous request
// of that caller is cancelled: skipped if it has not started, its answer dropped if it has. Other
// callers' requests of the same kind are not touched.
//
// Supersede::SkipQueued only skips a previous request that has not started: an answer already being
// computed is still delivered (for displays that show every answer newer than the one they show, so
// that a stream of requests cannot starve them).
//
// An answer is dropped by a check of its number in the continuation, and only a request that has not
// started is cancelled: Qt 6.4's QFuture::cancel() walks the chain of continuations by raw pointer, so a
// future whose continuation has run (and may be gone) must never be cancelled.
enum class Supersede { DropOlder, SkipQueued };

template<typename T> class Latest {
public:
    explicit Latest(Supersede policy = Supersede::DropOlder)
        : m_policy(policy)
    {}
    ~Latest() { cancel(); }
    Q_DISABLE_COPY_MOVE(Latest)

    // then(answer) runs on `context` (in its thread) unless a newer request of this Latest came first or
    // `context` is gone.
    template<typename F> void track(QFuture<T> future, QObject *context, F &&then)
    {
        skipUnstarted();
        m_future = future;
        const quint64 number = ++m_state->last;
        auto deliver = [number, state = m_state, dropOlder = m_policy == Supersede::DropOlder,
                        then = std::make_shared<std::decay_t<F>>(std::forward<F>(then))](const T &answer) {
            if (number > state->cancelledUpTo && (!dropOlder || number == state->last))
                (*then)(answer);
        };
        // Through the event loop like every one-off answer (whenReady), never inside the caller's request.
        whenReady(m_future, context, std::move(deliver));
    }
    // Drops the answers of the requests made so far (a new filter makes them useless).
    void cancel()
    {
        m_state->cancelledUpTo = m_state->last;
        skipUnstarted();
    }
    // A request is waiting for its answer.
    bool pending() const { return m_future.isValid() && !m_future.isFinished(); }

private:
    void skipUnstarted()
    {
        if (!m_future.isStarted())
            m_future.cancel();
    }

    Supersede m_policy;
    QFuture<T> m_future;
    // Numbers the requests; shared with their continuations, which may outlive this object. Only
    // touched in the thread of the caller (and of its continuations).
    struct State {
        quint64 last = 0;
        quint64 cancelledUpTo = 0;
    };
    std::shared_ptr<State> m_state = std::make_shared<State>();
};

} // namespace hcm
