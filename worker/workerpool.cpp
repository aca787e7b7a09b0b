#include "workerpool.h"

#include "dispatcher.h"

#include "common/logcategories.h"
#include "db/database.h"
#include "jobs/jobnotifier.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QHash>
#include <QHostInfo>
#include <QRandomGenerator>
#include <QRunnable>
#include <QSqlDatabase>

#include <chrono>
#include <exception>

namespace hcm {

namespace {

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::WorkerPool)
};

} // namespace

namespace {

class Runner final : public QRunnable {
public:
    explicit Runner(std::shared_ptr<Handoff> handoff)
        : m_handoff(std::move(handoff))
    {
        setAutoDelete(true);
    }

    void run() override
    {
        while (auto task = m_handoff->nextTask())
            m_handoff->pushOutcome(execute(*task));
        // A handler may have opened this pool thread's connection: close it here when the pool stops
        // (see Dispatcher::finishStopIfIdle for why not in the thread_local destructor).
        if (m_handoff->stopping.load())
            Database::closeThreadConnections();
    }

private:
    JobOutcome execute(Task &task)
    {
        const auto &env = m_handoff->env;
        JobOutcome out;
        out.id = task.job.id;
        out.attempt = task.job.attempt;
        out.type = task.job.type;
        out.retryCount = task.job.retryCount;
        out.maxRetries = task.job.maxRetries;
        out.startedAt = env.clock->nowMs();

        if (task.token->isRequested()) {
            // Asked to stop before it began: nothing ran.
            out.kind = task.token->reason() == StopReason::Cancelled ? JobOutcome::Kind::Cancelled
                                                                     : JobOutcome::Kind::Interrupted;
            setError(out,
                     JobError::make(out.kind == JobOutcome::Kind::Cancelled ? "worker.cancelled_before_start"
                                                                            : "worker.stopped_before_start"));
            out.finishedAt = out.startedAt;
            return out;
        }

        JobHandler *handler = m_handoff->registry.find(task.job.type);
        if (!handler) {
            out.kind = JobOutcome::Kind::Failed;
            out.retryable = false;
            setError(out, JobError::make("worker.no_handler", {{QStringLiteral("type"), task.job.type}}));
            out.finishedAt = env.clock->nowMs();
            return out;
        }

        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(task.timeoutSeconds);
        JobContext ctx(task.job.id, task.job.attempt, task.job.type, task.job.payload, env, task.token,
                       deadline);
        HandlerResult result;
        task.token->markStarted();
        m_handoff->running.fetch_add(1);
        try {
            result = handler->run(ctx);
        } catch (const std::exception &e) {
            result = HandlerResult::failure(JobError::make(
                "worker.handler_exception", {{QStringLiteral("reason"), QString::fromLocal8Bit(e.what())}}));
        } catch (...) {
            result = HandlerResult::failure(JobError::make("worker.handler_crashed"));
        }
        m_handoff->running.fetch_sub(1);
        task.token->markFinished();
        out.finishedAt = env.clock->nowMs();

        if (result.ok) {
            out.kind = JobOutcome::Kind::Completed;
            out.result = std::move(result.result);
            return out;
        }
        // The handler's own message goes into the worker's as a nested argument.
        const QJsonValue reason = result.errorDetail().toArgument();
        switch (task.token->reason()) {
        case StopReason::Cancelled:
            out.kind = JobOutcome::Kind::Cancelled;
            setError(out,
                     JobError::make("worker.cancelled_while_running", {{QStringLiteral("reason"), reason}}));
            break;
        case StopReason::TimedOut:
            out.kind = JobOutcome::Kind::TimedOut;
            setError(out,
                     JobError::make("worker.timed_out", {{QStringLiteral("seconds"), task.timeoutSeconds},
                                                         {QStringLiteral("type"), task.job.type},
                                                         {QStringLiteral("reason"), reason}}));
            break;
        case StopReason::LeaseLost:
            out.kind = JobOutcome::Kind::Interrupted;
            setError(out, JobError::make("worker.lease_lost", {{QStringLiteral("reason"), reason}}));
            break;
        case StopReason::Shutdown:
            out.kind = JobOutcome::Kind::Interrupted;
            setError(out, JobError::make("worker.shutdown", {{QStringLiteral("reason"), reason}}));
            break;
        case StopReason::None:
            out.kind = JobOutcome::Kind::Failed;
            setError(out, result.errorDetail());
            out.retryable = result.retryable;
            break;
        }
        return out;
    }

    std::shared_ptr<Handoff> m_handoff;
};

} // namespace

QRunnable *newRunner(std::shared_ptr<Handoff> handoff)
{
    return new Runner(std::move(handoff));
}

// ---------------------------------------------------------------------------------------------------

WorkerPool::WorkerPool(Options options, HandlerRegistry registry, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_registry(std::move(registry))
{
    if (m_options.workerId.isEmpty())
        m_options.workerId = defaultWorkerId();
    m_options.concurrency = qMax(1, m_options.concurrency);
    m_thread.setObjectName(QStringLiteral("hcm-dispatcher"));
    // Registers the SQL drivers on this thread before any other thread opens a connection
    // (QTBUG-112961 in Qt < 6.5.3).
    (void)QSqlDatabase::drivers();
}

WorkerPool::~WorkerPool()
{
    shutdown(0);
}

int WorkerPool::runningJobs() const
{
    return m_handoff ? m_handoff->running.load() : 0;
}

QString WorkerPool::defaultWorkerId()
{
    return QStringLiteral("%1:%2:%3")
        .arg(QHostInfo::localHostName())
        .arg(QCoreApplication::applicationPid())
        .arg(QRandomGenerator::global()->bounded(0x10000), 4, 16, QLatin1Char('0'));
}

void WorkerPool::start()
{
    if (m_state != State::Stopped)
        return;
    m_stopWhenStarted.reset();
    m_state = State::Starting;
    emit stateChanged(m_state);
    m_handoff = std::make_shared<Handoff>(m_registry, m_options.env);
    auto *dispatcher = new Dispatcher(m_options, m_handoff);
    m_dispatcher = dispatcher;
    dispatcher->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, dispatcher, &QObject::deleteLater);
    // Queued, like every signal below: the dispatcher's started() reaches this thread before the
    // jobsChanged() of its first claim.
    connect(dispatcher, &Dispatcher::started, this, &WorkerPool::onDispatcherStarted);
    connect(dispatcher, &Dispatcher::jobsChanged, this, [this](const QList<qint64> &ids) {
        emit jobsChanged(ids);
        emit JobNotifier::instance()->jobsChanged(ids);
    });
    connect(dispatcher, &Dispatcher::runningChanged, this, &WorkerPool::runningChanged);
    connect(dispatcher, &Dispatcher::drained, this, &WorkerPool::drained);
    connect(dispatcher, &Dispatcher::pausedTypesApplied, this, &WorkerPool::pausedTypesApplied);
    connect(dispatcher, &Dispatcher::errorOccurred, this, &WorkerPool::errorOccurred);
    connect(dispatcher, &Dispatcher::gaveUp, this, &WorkerPool::gaveUp);
    connect(dispatcher, &Dispatcher::stopped, this, &WorkerPool::onDispatcherStopped);
    // The dispatcher ends its own thread once it has stopped (directly, in that thread): joining it then
    // needs nothing from this thread's event loop (shutdown(), stopAndWait()).
    connect(
        dispatcher, &Dispatcher::stopped, dispatcher, [thread = &m_thread] { thread->quit(); },
        Qt::DirectConnection);
    connect(JobNotifier::instance(), &JobNotifier::jobsEnqueued, dispatcher, &Dispatcher::wake,
            Qt::QueuedConnection);
    connect(JobNotifier::instance(), &JobNotifier::cancelRequested, dispatcher, &Dispatcher::cancelJobs,
            Qt::QueuedConnection);
    connect(JobNotifier::instance(), &JobNotifier::pausedTypesChanged, dispatcher,
            &Dispatcher::pausedTypesChanged, Qt::QueuedConnection);
    m_thread.start();
    // Opening the connection and registering can take seconds (a PostgreSQL server that is slow or
    // down): that happens in the dispatcher thread, and the outcome comes back as started().
    QMetaObject::invokeMethod(dispatcher, &Dispatcher::start, Qt::QueuedConnection);
}

void WorkerPool::onDispatcherStarted(bool ok, const QString &error)
{
    if (!ok) {
        // Still Starting while it is reported, so a listener can tell a failed start from the errors a
        // running pool survives. The dispatcher's stopped() follows and ends the thread.
        emit errorOccurred(error);
        return;
    }
    if (m_state != State::Starting)
        return;
    m_state = State::Running;
    emit stateChanged(m_state);
    emit runningChanged(0, m_options.concurrency);
    if (m_stopWhenStarted && !m_joining)
        stopDispatcher(*std::exchange(m_stopWhenStarted, std::nullopt));
}

void WorkerPool::stop()
{
    if (m_state == State::Starting) {
        if (!m_stopWhenStarted)
            m_stopWhenStarted = m_options.graceMs;
        return;
    }
    if (m_state != State::Running)
        return;
    stopDispatcher(m_options.graceMs);
}

void WorkerPool::stopWithin(int graceMs)
{
    const int grace = qMax(0, graceMs);
    if (m_state == State::Starting)
        m_stopWhenStarted = m_stopWhenStarted ? qMin(*m_stopWhenStarted, grace) : grace;
    else if (m_state == State::Running)
        stopDispatcher(grace);
    else if (m_state == State::Stopping && m_dispatcher)
        QMetaObject::invokeMethod(m_dispatcher, "hurry", Qt::QueuedConnection, Q_ARG(int, grace));
}

void WorkerPool::stopDispatcher(int graceMs)
{
    m_state = State::Stopping;
    emit stateChanged(m_state);
    QMetaObject::invokeMethod(m_dispatcher, "stop", Qt::QueuedConnection, Q_ARG(int, graceMs));
}

void WorkerPool::joinDispatcher(int graceMs, bool shorten)
{
    m_joining = true;
    if (m_dispatcher) {
        // Queued behind everything the pool asked for before (a start still runs first): a dispatcher
        // that has stopped already (a failed start) has ended its thread and never sees these.
        if (m_state == State::Stopping) {
            if (shorten)
                QMetaObject::invokeMethod(m_dispatcher, "hurry", Qt::QueuedConnection, Q_ARG(int, graceMs));
        } else {
            QMetaObject::invokeMethod(m_dispatcher, "stop", Qt::QueuedConnection, Q_ARG(int, graceMs));
        }
    }
    // Joins the dispatcher thread: it quits itself once stopped (running jobs get graceMs, then are
    // asked to stop and at most 5 s later go back to the queue; handlers that ignore it are left
    // behind), and waits for nothing of this thread.
    m_thread.wait();
    m_stopWhenStarted.reset();
}

void WorkerPool::shutdown(int graceMs)
{
    if (m_state == State::Stopped)
        return;
    joinDispatcher(qMax(0, graceMs), true);
    // Nothing more is emitted: the owner may be half destroyed. What the dispatcher had queued for
    // this object goes with it.
    disconnect(this, nullptr, nullptr, nullptr);
    m_state = State::Stopped;
    m_joining = false;
}

void WorkerPool::stopAndWait(int graceMs)
{
    if (m_state == State::Stopped)
        return;
    joinDispatcher(graceMs >= 0 ? graceMs : m_options.graceMs, graceMs >= 0);
    // The dispatcher's signals to this pool, in their order (the start's outcome, the last job
    // changes), then the stop: only this object's queued calls, not an event loop.
    QCoreApplication::sendPostedEvents(this, QEvent::MetaCall);
    m_joining = false;
    if (m_state != State::Stopped)
        finishStop();
}

void WorkerPool::wake()
{
    if (m_dispatcher)
        QMetaObject::invokeMethod(m_dispatcher, &Dispatcher::wake, Qt::QueuedConnection);
}

void WorkerPool::onDispatcherStopped()
{
    if (m_joining || m_state == State::Stopped)
        return; // stopAndWait() finishes the stop
    finishStop();
}

void WorkerPool::finishStop()
{
    m_thread.quit();
    m_thread.wait();
    m_stopWhenStarted.reset();
    m_state = State::Stopped;
    emit stateChanged(m_state);
    emit runningChanged(0, m_options.concurrency);
    emit stopped();
}

} // namespace hcm
