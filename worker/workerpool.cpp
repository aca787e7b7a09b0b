#include "workerpool.h"

#include "common/logcategories.h"
#include "db/database.h"
#include "db/notificationlistener.h"
#include "jobs/jobnotifier.h"
#include "jobs/jobstore.h"
#include "jobs/jobtypes.h"
#include "jobs/pausedtypestore.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QHash>
#include <QHostInfo>
#include <QMutex>
#include <QRandomGenerator>
#include <QRunnable>
#include <QSet>
#include <QSqlQuery>
#include <QThreadPool>
#include <QTimer>

#include <deque>
#include <exception>

namespace hcm {

namespace {

// The outcome's error: the English text and, for a message the programs made, its code and arguments.
void setError(JobOutcome &out, const JobError &error)
{
    out.error = error.text;
    out.errorCode = error.code;
    out.errorArgs = error.args;
}

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::WorkerPool)
};

struct Task {
    ClaimedJob job;
    std::shared_ptr<CancellationToken> token;
    int timeoutSeconds = 600;
};

} // namespace

// What the dispatcher and the pool threads share. Owned jointly, so a handler that outlives its
// dispatcher (it ignored a stop request) still finds valid memory when it returns.
struct Handoff {
    Handoff(HandlerRegistry r, HandlerEnvironment e)
        : registry(std::move(r))
        , env(std::move(e))
    {}
    const HandlerRegistry registry;
    const HandlerEnvironment env;
    std::atomic<int> running{0};
    std::atomic<bool> stopping{false};

    QMutex mutex;                    // guards everything below
    std::deque<Task> pending;        // claimed, not started
    std::deque<JobOutcome> outcomes; // finished, not written
    int activeRunners = 0;
    bool flushPosted = false;
    QObject *dispatcher = nullptr; // null once the dispatcher is gone

    // Called from pool threads: a job finished.
    void pushOutcome(JobOutcome outcome)
    {
        QMutexLocker lock(&mutex);
        outcomes.push_back(std::move(outcome));
        if (!flushPosted && dispatcher) {
            flushPosted = true;
            QMetaObject::invokeMethod(dispatcher, "flushOutcomes", Qt::QueuedConnection);
        }
    }

    // Called from pool threads: the next task, or nothing when the runner should end.
    std::optional<Task> nextTask()
    {
        QMutexLocker lock(&mutex);
        if (pending.empty()) {
            --activeRunners;
            return std::nullopt;
        }
        Task t = std::move(pending.front());
        pending.pop_front();
        return t;
    }
};

// Lives in the pool's own thread: every SQL statement of the pool runs here, on this thread's connection.
class Dispatcher final : public QObject {
    Q_OBJECT
public:
    Dispatcher(WorkerPool::Options options, std::shared_ptr<Handoff> handoff)
        : m_options(std::move(options))
        , m_handoff(std::move(handoff))
        , m_store(m_options.env.db, m_options.env.clock, m_options.retry)
        , m_types(m_handoff->registry.types())
        , m_pausedStore(m_options.env.db, m_options.env.clock)
        , m_claimTypes(m_types)
    {
        QMutexLocker lock(&m_handoff->mutex);
        m_handoff->dispatcher = this;
    }

    ~Dispatcher() override
    {
        int abandoned = 0;
        {
            QMutexLocker lock(&m_handoff->mutex);
            m_handoff->dispatcher = nullptr;
            abandoned = m_handoff->activeRunners;
        }
        if (m_pool && abandoned > 0) {
            // Threads are not killed: leave the pool to its stuck handlers rather than block on them.
            qCWarning(lcWorker) << abandoned << "handler threads did not stop; leaving them behind";
            m_pool->setParent(nullptr);
        }
    }

public slots:
    // Registers the worker, then claims. Emits started() either way; after started(false), stopped().
    void start();
    void flushOutcomes();
    // After a batch the database refused: saves the outcomes one by one, so one it refuses for good (a
    // constraint, a missing right) does not hold back the others. Returns what it could not save.
    QList<JobOutcome> finishOneByOne(const QList<JobOutcome> &batch, FinishReport &report, QString &error);
    void wake() { fill(); }
    void stop(int graceMs);
    void hurry(int graceMs);
    void cancelJobs(const QList<qint64> &ids);
    // A job type was paused or resumed: read the paused types again, then claim what a resume released.
    void pausedTypesChanged()
    {
        refreshPaused();
        fill();
    }

signals:
    void jobsChanged(const QList<qint64> &ids);
    void runningChanged(int running, int capacity);
    void drained();
    void stopped();
    void errorOccurred(const QString &message);
    void gaveUp(const QString &message);
    void started(bool ok, const QString &error);
    void pausedTypesApplied(const QStringList &paused);

private:
    void failStart(const QString &message);
    void fill();
    void releaseUnstarted();
    void stopJobsOfLostLease();
    int adaptivePrefetch() const;
    void heartbeat();
    void recordStarts();
    // A claim the database refused: retried with backoff; with `once`, given up after a few tries.
    void claimFailed(const QString &message);
    void giveUp(const QString &message);
    void reap();
    void checkForChanges();
    void spawnRunners();
    void finishStopIfIdle();
    void reportError(const QString &message);
    void maybeDrained();
    // After a failed statement: true when the database is unreachable, in which case the dispatcher
    // stops touching it and reconnects with backoff; handlers keep running and their outcomes wait.
    bool databaseLost(const QString &message);
    void tryReconnect();
    void announceChanged(const QList<qint64> &ids);
    void flushAnnouncements();
    // Reads the paused job types and sets the types the claims ask for (m_claimTypes). A worker with
    // nothing paused claims with its plain type list: a pause costs the claim statement nothing.
    void refreshPaused();

    WorkerPool::Options m_options;
    std::shared_ptr<Handoff> m_handoff;
    JobStore m_store;
    QStringList m_types;
    PausedTypeStore m_pausedStore;
    QStringList m_claimTypes; // m_types without the paused ones (empty while every type is paused)
    QStringList m_paused;     // the paused types as last read, for the log

    QThreadPool *m_pool = nullptr;
    QTimer *m_pollTimer = nullptr;
    QTimer *m_heartbeatTimer = nullptr;
    QTimer *m_reapTimer = nullptr;
    QTimer *m_changeTimer = nullptr;
    QTimer *m_retryTimer = nullptr;
    QTimer *m_graceTimer = nullptr;
    QTimer *m_reconnectTimer = nullptr;
    QTimer *m_announceTimer = nullptr;
    QTimer *m_startTimer = nullptr;
    QTimer *m_claimRetryTimer = nullptr;
    std::shared_ptr<NotificationListener> m_listener; // PostgreSQL: LISTEN for other processes' events
    QList<qint64> m_announce;                         // state changes not yet announced to other processes
    bool m_dbDown = false;
    int m_reconnectAttempts = 0;
    QElapsedTimer m_downTimer;

    QHash<qint64, std::shared_ptr<CancellationToken>> m_live; // claimed and not yet written back
    QHash<qint64, int> m_attemptOf;                           // attempt number of each live job
    QHash<qint64, double> m_savedProgress;
    QHash<qint64, int> m_recordedStarts; // jobs whose start is in the database: id -> attempt
    QElapsedTimer m_lastHeartbeat;       // since the last heartbeat the database confirmed
    QList<qint64> m_unreleased;          // unstarted jobs whose release failed during a stop
    double m_avgRunMs = -1;              // moving average of handler run time: decides the prefetch
    qint64 m_dataVersion = -1;
    int m_writeFailures = 0;
    int m_claimFailures = 0; // claims refused in a row
    QString m_lastError;     // reported with the heartbeat until a claim succeeds again
    bool m_gaveUp = false;
    bool m_lastClaimEmpty = false;
    bool m_idle = false; // nothing ran and the last claim found nothing: waiting for a wake-up or the poll
    bool m_stopping = false;
    bool m_stopDone = false;
    bool m_shutdownRequested = false;
};

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

void Dispatcher::start()
{
    // Opens this thread's connection. No handle to it outlives this statement: failStart() closes it.
    if (auto db = Database::connection(m_options.env.db); !db) {
        failStart(db.error().message);
        return;
    }
    WorkerInfo info;
    info.id = m_options.workerId;
    info.host = QHostInfo::localHostName();
    info.pid = QCoreApplication::applicationPid();
    info.concurrency = m_options.concurrency;
    info.version = QStringLiteral(HCM_VERSION);
    info.leaseMs = m_options.leaseMs;
    if (auto st = m_store.registerWorker(info); !st) {
        failStart(st.error().message);
        return;
    }
    // A previous run under the same id died holding jobs: nobody else would ever reap them, because
    // our heartbeats would extend their leases.
    if (auto orphans = m_store.rescueOrphans(m_options.workerId); !orphans) {
        failStart(orphans.error().message);
        return;
    } else if (!orphans->isEmpty()) {
        qCWarning(lcWorker) << "requeued" << orphans->size() << "jobs left behind by a previous run of"
                            << m_options.workerId;
        if (m_options.onTransitions)
            m_options.onTransitions(orphans.value());
    }

    m_lastHeartbeat.start(); // registering counts as the first heartbeat
    m_pool = new QThreadPool(this);
    m_pool->setMaxThreadCount(m_options.concurrency);
    m_pool->setExpiryTimeout(-1);

    m_pollTimer = new QTimer(this);
    m_pollTimer->setInterval(m_options.pollIntervalMs);
    connect(m_pollTimer, &QTimer::timeout, this, [this] {
        refreshPaused(); // the safety net for a NOTIFY that never came
        fill();
    });
    m_heartbeatTimer = new QTimer(this);
    m_heartbeatTimer->setInterval(qMax(50, m_options.leaseMs / 3));
    connect(m_heartbeatTimer, &QTimer::timeout, this, &Dispatcher::heartbeat);
    m_reapTimer = new QTimer(this);
    m_reapTimer->setInterval(m_options.reapIntervalMs > 0 ? m_options.reapIntervalMs
                                                          : qMax(50, m_options.leaseMs / 2));
    connect(m_reapTimer, &QTimer::timeout, this, &Dispatcher::reap);
    m_retryTimer = new QTimer(this);
    m_retryTimer->setSingleShot(true);
    connect(m_retryTimer, &QTimer::timeout, this, &Dispatcher::flushOutcomes);
    m_reconnectTimer = new QTimer(this);
    m_reconnectTimer->setSingleShot(true);
    connect(m_reconnectTimer, &QTimer::timeout, this, &Dispatcher::tryReconnect);
    m_announceTimer = new QTimer(this);
    m_announceTimer->setSingleShot(true);
    m_announceTimer->setInterval(250);
    connect(m_announceTimer, &QTimer::timeout, this, &Dispatcher::flushAnnouncements);
    // Starts are recorded on their own short timer, not at each claim or completion: a burn-down of
    // short jobs pays one small write (its few running jobs) four times a second for it.
    m_startTimer = new QTimer(this);
    m_startTimer->setInterval(m_options.startRecordMs > 0 ? m_options.startRecordMs
                                                          : qBound(20, m_options.leaseMs / 3, 250));
    connect(m_startTimer, &QTimer::timeout, this, &Dispatcher::recordStarts);
    m_claimRetryTimer = new QTimer(this);
    m_claimRetryTimer->setSingleShot(true);
    connect(m_claimRetryTimer, &QTimer::timeout, this, &Dispatcher::fill);
    if (m_options.env.db.isPostgres()) {
        // Enqueues and cancels by other processes arrive through JobNotifier, like in-process ones.
        m_listener = NotificationListener::acquire(m_options.env.db);
        if (!m_listener->waitUntilListening(5000))
            qCWarning(lcWorker) << "not listening for notifications yet: relying on the poll until it is";
    }
    m_pollTimer->start();
    m_heartbeatTimer->start();
    m_reapTimer->start();
    m_startTimer->start();
    if (m_options.env.db.isSqlite() && m_options.changeCheckMs > 0) {
        m_changeTimer = new QTimer(this);
        m_changeTimer->setInterval(m_options.changeCheckMs);
        connect(m_changeTimer, &QTimer::timeout, this, &Dispatcher::checkForChanges);
        m_changeTimer->start();
    }
    qCInfo(lcWorker).noquote() << "worker" << m_options.workerId << "started with" << m_options.concurrency
                               << "threads on" << m_options.env.db.displayName();
    emit started(true, {});
    if (m_changeTimer)
        checkForChanges(); // the baseline: commits after it wake the pool, commits before it are claimed now
    refreshPaused();
    reap();
    fill();
}

void Dispatcher::failStart(const QString &message)
{
    // Nothing was claimed and nothing runs: the dispatcher is done. The pool reports the message and
    // stops the thread when stopped() arrives; anything queued meanwhile (wake-ups) finds it stopped.
    m_stopping = true;
    m_stopDone = true;
    m_handoff->stopping.store(true);
    emit started(false, message);
    // As in finishStopIfIdle: this thread's connection (if it opened) is closed here, on this thread.
    Database::closeThreadConnections();
    emit stopped();
}

void Dispatcher::fill()
{
    if (m_stopping || !m_pool || m_dbDown || m_gaveUp)
        return;
    if (m_claimRetryTimer->isActive())
        return; // backing off after refused claims: the timer calls again
    const int prefetch = m_options.prefetch >= 0 ? m_options.prefetch : adaptivePrefetch();
    const int target = m_options.concurrency + prefetch;
    // Claim in sizeable batches: while claimed jobs still wait for a runner, only claim once a quarter of
    // the window is free (one statement per many jobs instead of one per finished job). With nothing
    // waiting a runner could go idle, so then any free slot is worth a claim.
    if (!m_live.isEmpty() && target - int(m_live.size()) < qMax(1, target / 4)) {
        QMutexLocker lock(&m_handoff->mutex);
        if (!m_handoff->pending.empty())
            return;
    }
    while (m_live.size() < target) {
        const int want = qMin<int>(target - int(m_live.size()), m_options.maxClaimBatch);
        auto claimed = m_store.claim(m_options.workerId, want, m_options.leaseMs, m_claimTypes);
        if (!claimed) {
            if (!databaseLost(claimed.error().message))
                claimFailed(claimed.error().message);
            return;
        }
        if (m_claimFailures > 0) {
            qCInfo(lcWorker) << "claims work again after" << m_claimFailures << "refused";
            m_claimFailures = 0;
        }
        m_lastError.clear();
        m_lastClaimEmpty = claimed->isEmpty();
        if (claimed->isEmpty())
            break;
        QList<qint64> ids;
        ids.reserve(claimed->size());
        {
            QMutexLocker lock(&m_handoff->mutex);
            for (ClaimedJob &job : claimed.value()) {
                auto token = std::make_shared<CancellationToken>();
                m_live.insert(job.id, token);
                m_attemptOf.insert(job.id, job.attempt);
                ids.append(job.id);
                const JobTypeInfo *info = JobTypeCatalog::instance().find(job.type);
                const int timeout =
                    m_options.timeoutSeconds.value(job.type, info ? info->timeoutSeconds : 600);
                m_handoff->pending.push_back(Task{std::move(job), token, timeout});
            }
        }
        spawnRunners();
        emit jobsChanged(ids);
        announceChanged(ids);
        if (claimed->size() < want)
            break;
    }
    const bool idle = m_lastClaimEmpty && m_live.isEmpty();
    if (idle && !m_idle) {
        // Said once per idle spell (hcm.worker.debug=true): tests wait for it before they check that a
        // new job wakes an idle worker.
        qCDebug(lcWorker).noquote() << "worker" << m_options.workerId
                                    << "is idle: waiting for a change or the next poll";
    }
    m_idle = idle;
    maybeDrained();
}

void Dispatcher::claimFailed(const QString &message)
{
    ++m_claimFailures;
    m_lastError = message;
    if (m_options.once && m_claimFailures >= m_options.onceClaimAttempts) {
        giveUp(Tr::tr("The database refused %1 claims in a row; giving up: %2")
                   .arg(m_claimFailures)
                   .arg(message));
        return;
    }
    const qint64 delay = qMin<qint64>(m_options.claimRetryMaxMs, qint64(m_options.claimRetryMs)
                                                                     << qMin(m_claimFailures - 1, 20));
    reportError(Tr::tr("Could not claim jobs (%1 refused in a row); retrying in %2 s: %3")
                    .arg(m_claimFailures)
                    .arg(double(delay) / 1000.0, 0, 'g', 3)
                    .arg(message));
    m_claimRetryTimer->start(int(delay));
}

void Dispatcher::giveUp(const QString &message)
{
    if (m_gaveUp)
        return;
    m_gaveUp = true;
    m_lastError = message;
    qCCritical(lcWorker).noquote() << message;
    emit errorOccurred(message);
    emit gaveUp(message);
}

void Dispatcher::spawnRunners()
{
    int toStart = 0;
    {
        QMutexLocker lock(&m_handoff->mutex);
        const int wanted = qMin<int>(m_options.concurrency, int(m_handoff->pending.size()));
        toStart = qMax(0, wanted - m_handoff->activeRunners);
        m_handoff->activeRunners += toStart;
    }
    for (int i = 0; i < toStart; ++i)
        m_pool->start(new Runner(m_handoff));
}

void Dispatcher::flushOutcomes()
{
    QList<JobOutcome> batch;
    {
        QMutexLocker lock(&m_handoff->mutex);
        m_handoff->flushPosted = false;
        batch.reserve(qsizetype(m_handoff->outcomes.size()));
        for (auto &o : m_handoff->outcomes)
            batch.append(std::move(o));
        m_handoff->outcomes.clear();
    }
    if (batch.isEmpty())
        return;
    if (m_dbDown) {
        // Kept until the database is back; tryReconnect() flushes them.
        QMutexLocker lock(&m_handoff->mutex);
        for (auto it = batch.rbegin(); it != batch.rend(); ++it)
            m_handoff->outcomes.push_front(std::move(*it));
        return;
    }
    auto report = m_store.finish(m_options.workerId, batch);
    QList<JobOutcome> unsaved;
    QString unsavedError;
    if (!report) {
        unsavedError = report.error().message;
        if (!databaseLost(unsavedError) && batch.size() > 1) {
            // One result the database refuses for good (a constraint, a missing right) must not hold
            // back the others: one by one, what can be saved is.
            FinishReport saved;
            unsaved = finishOneByOne(batch, saved, unsavedError);
            if (unsaved.size() < batch.size())
                report = saved;
        } else {
            unsaved = batch;
        }
    }
    if (!unsaved.isEmpty()) {
        // Keep every unsaved outcome and try again: the leases stay ours while heartbeats go on. While the
        // database is away they wait for the reconnect (tryReconnect() flushes them).
        QSet<qint64> unsavedIds;
        for (const JobOutcome &o : std::as_const(unsaved))
            unsavedIds.insert(o.id);
        const qsizetype count = unsaved.size();
        {
            QMutexLocker lock(&m_handoff->mutex);
            for (auto it = unsaved.rbegin(); it != unsaved.rend(); ++it)
                m_handoff->outcomes.push_front(std::move(*it));
        }
        if (!m_dbDown) {
            ++m_writeFailures;
            const int delay = qMin(30000, 100 * (1 << qMin(m_writeFailures, 9)));
            reportError(Tr::tr("Could not save %1 job results; retrying in %2 ms: %3")
                            .arg(count)
                            .arg(delay)
                            .arg(unsavedError));
            m_retryTimer->start(delay);
        }
        if (!report)
            return;
        batch.removeIf([&](const JobOutcome &o) { return unsavedIds.contains(o.id); });
    } else {
        m_writeFailures = 0;
    }
    QList<qint64> ids;
    ids.reserve(batch.size());
    for (const JobOutcome &o : std::as_const(batch)) {
        m_live.remove(o.id);
        m_attemptOf.remove(o.id);
        m_savedProgress.remove(o.id);
        ids.append(o.id);
        if (o.startedAt > 0 && o.finishedAt >= o.startedAt) {
            const double ms = double(o.finishedAt - o.startedAt);
            m_avgRunMs = m_avgRunMs < 0 ? ms : 0.9 * m_avgRunMs + 0.1 * ms;
        }
    }
    for (qint64 id : std::as_const(report->rejected))
        qCWarning(lcWorker) << "lost the lease of" << Job::publicId(id) << "- its result was not saved";
    for (const JobTransition &t : std::as_const(report->applied)) {
        if (t.status == JobStatus::Failed)
            qCWarning(lcWorker).noquote()
                << Job::publicId(t.id) << t.type << "failed after" << t.retryCount << "retries:" << t.error;
        else if (t.status == JobStatus::Queued && !t.error.isEmpty())
            qCInfo(lcWorker).noquote() << Job::publicId(t.id) << t.type << "failed, retry" << t.retryCount
                                       << "of" << t.maxRetries << "at" << isoUtc(t.runAt) << ":" << t.error;
    }
    if (m_options.onTransitions && !report->applied.isEmpty())
        m_options.onTransitions(report->applied);
    emit jobsChanged(ids);
    announceChanged(ids);
    emit runningChanged(m_handoff->running.load(), m_options.concurrency);
    if (m_stopping) {
        finishStopIfIdle();
        return;
    }
    fill();
}

QList<JobOutcome> Dispatcher::finishOneByOne(const QList<JobOutcome> &batch, FinishReport &report,
                                             QString &error)
{
    QList<JobOutcome> unsaved;
    for (qsizetype i = 0; i < batch.size(); ++i) {
        const JobOutcome &o = batch.at(i);
        auto one = m_store.finish(m_options.workerId, {o});
        if (one) {
            report.applied += one->applied;
            report.rejected += one->rejected;
            continue;
        }
        error = one.error().message;
        qCWarning(lcWorker).noquote()
            << "could not save the result of" << Job::publicId(o.id) << ":" << error;
        if (databaseLost(error)) { // the rest waits for the reconnect
            unsaved += batch.mid(i);
            return unsaved;
        }
        unsaved.append(o);
    }
    return unsaved;
}

void Dispatcher::maybeDrained()
{
    if (!m_options.once || m_stopping || !m_lastClaimEmpty || !m_live.isEmpty())
        return;
    QMutexLocker lock(&m_handoff->mutex);
    if (m_handoff->outcomes.empty() && m_handoff->pending.empty())
        QMetaObject::invokeMethod(this, &Dispatcher::drained, Qt::QueuedConnection);
}

void Dispatcher::heartbeat()
{
    if (m_dbDown) {
        stopJobsOfLostLease();
        return;
    }
    auto cancelled =
        m_store.heartbeat(m_options.workerId, m_options.leaseMs, m_handoff->running.load(), m_lastError);
    if (!cancelled) {
        if (!databaseLost(cancelled.error().message))
            reportError(cancelled.error().message);
        stopJobsOfLostLease();
        return;
    }
    m_lastHeartbeat.start();
    cancelJobs(cancelled.value());
    // Jobs another worker took over (our lease had expired, say after a suspend) stop here too.
    if (auto owned = m_store.ownedJobs(m_options.workerId)) {
        const QSet<qint64> mine(owned->cbegin(), owned->cend());
        for (auto it = m_live.cbegin(); it != m_live.cend(); ++it) {
            if (!mine.contains(it.key()) && !it.value()->isRequested()) {
                it.value()->request(StopReason::LeaseLost);
                qCWarning(lcWorker) << "lost" << Job::publicId(it.key()) << "to another worker; stopping it";
            }
        }
    }
    QList<QPair<qint64, double>> progress;
    for (auto it = m_live.cbegin(); it != m_live.cend(); ++it) {
        const double p = it.value()->progress();
        if (p >= 0 && m_savedProgress.value(it.key(), -1) != p) {
            progress.append({it.key(), p});
            m_savedProgress.insert(it.key(), p);
        }
    }
    if (auto st = m_store.saveProgress(m_options.workerId, progress); !st)
        reportError(st.error().message);
    else if (!progress.isEmpty()) {
        QList<qint64> ids;
        for (const auto &p : std::as_const(progress))
            ids.append(p.first);
        emit jobsChanged(ids);
    }
}

void Dispatcher::recordStarts()
{
    if (m_dbDown)
        return;
    // Runs whose handler began since the last time, and whether records of finished runs are left over
    // (they are swept in the same transaction).
    QList<QPair<qint64, int>> fresh;
    for (auto it = m_live.cbegin(); it != m_live.cend(); ++it) {
        if (!it.value()->isRunning())
            continue; // not begun, or done (its result is about to be written)
        const int attempt = m_attemptOf.value(it.key());
        if (m_recordedStarts.value(it.key(), -1) != attempt)
            fresh.append({it.key(), attempt});
    }
    bool sweep = false;
    for (auto it = m_recordedStarts.cbegin(); it != m_recordedStarts.cend() && !sweep; ++it)
        sweep = m_attemptOf.value(it.key(), -1) != it.value();
    if (fresh.isEmpty() && !sweep)
        return;
    if (auto st = m_store.markStarted(m_options.workerId, fresh, sweep); !st) {
        if (!databaseLost(st.error().message))
            reportError(st.error().message);
        return;
    }
    if (sweep)
        m_recordedStarts.removeIf(
            [this](const auto &it) { return m_attemptOf.value(it.key(), -1) != it.value(); });
    for (const auto &[id, attempt] : std::as_const(fresh))
        m_recordedStarts.insert(id, attempt);
}

void Dispatcher::reap()
{
    if (m_dbDown)
        return;
    // Our own leases first: after a stall (a suspend, a long lock) this reaper must not take back the
    // jobs this very worker is still running.
    if (!m_live.isEmpty())
        heartbeat();
    if (m_dbDown)
        return;
    auto reaped = m_store.reapExpired();
    if (!reaped) {
        if (!databaseLost(reaped.error().message))
            reportError(reaped.error().message);
        return;
    }
    if (reaped->isEmpty())
        return;
    QList<qint64> ids;
    for (const auto &t : reaped.value())
        ids.append(t.id);
    if (m_options.onTransitions)
        m_options.onTransitions(reaped.value());
    emit jobsChanged(ids);
    fill();
}

bool Dispatcher::databaseLost(const QString &message)
{
    if (m_dbDown)
        return true;
    if (Database::ping(m_options.env.db).ok())
        return false; // the database answers: an ordinary error
    m_dbDown = true;
    m_reconnectAttempts = 0;
    m_downTimer.start();
    const int running = int(m_live.size());
    qCWarning(lcWorker).noquote() << "database" << m_options.env.db.displayName() << "unreachable:" << message
                                  << "- reconnecting with backoff;" << running
                                  << "claimed jobs keep running and their results wait in memory";
    emit errorOccurred(Tr::tr("The database is unreachable; reconnecting: %1").arg(message));
    m_reconnectTimer->start(100);
    return true;
}

void Dispatcher::tryReconnect()
{
    if (!m_dbDown)
        return;
    ++m_reconnectAttempts;
    if (auto st = Database::ping(m_options.env.db); !st) {
        if (m_options.once && m_reconnectAttempts >= m_options.onceClaimAttempts) {
            giveUp(Tr::tr("The database stayed unreachable after %1 tries; giving up: %2")
                       .arg(m_reconnectAttempts)
                       .arg(st.error().message));
            return;
        }
        const int delay = qMin(2000, 100 * (1 << qMin(m_reconnectAttempts, 5)));
        if (m_reconnectAttempts % 5 == 0)
            qCWarning(lcWorker).noquote() << "database still unreachable after" << m_downTimer.elapsed()
                                          << "ms; next try in" << delay << "ms:" << st.error().message;
        m_reconnectTimer->start(delay);
        return;
    }
    m_dbDown = false;
    qCInfo(lcWorker).noquote() << "database" << m_options.env.db.displayName() << "reachable again after"
                               << m_downTimer.elapsed() << "ms: saving results and resuming";
    // Leases first, so no reaper takes our running jobs; then the waiting results; then new work.
    heartbeat();
    if (m_dbDown)
        return;
    m_writeFailures = 0;
    if (m_retryTimer->isActive())
        m_retryTimer->stop();
    flushOutcomes();
    if (m_dbDown)
        return;
    if (m_stopping) {
        finishStopIfIdle();
        return;
    }
    fill();
}

void Dispatcher::announceChanged(const QList<qint64> &ids)
{
    if (!m_options.env.db.isPostgres() || ids.isEmpty())
        return;
    // Coalesced: one NOTIFY per quarter second at most, whatever the throughput.
    if (m_announce.size() < 2000)
        m_announce += ids;
    if (!m_announceTimer->isActive())
        m_announceTimer->start();
}

void Dispatcher::flushAnnouncements()
{
    if (m_announce.isEmpty() || m_dbDown)
        return;
    const QList<qint64> ids = std::exchange(m_announce, {});
    if (auto st = m_store.notifyChanged(ids); !st)
        qCDebug(lcWorker).noquote() << "could not announce job changes:" << st.error().message;
}

void Dispatcher::refreshPaused()
{
    if (m_dbDown || !m_pool || m_stopping)
        return;
    auto paused = m_pausedStore.list();
    if (!paused) {
        // Keep the last known set: the poll reads it again.
        qCWarning(lcWorker).noquote() << "could not read the paused job types:" << paused.error().message;
        return;
    }
    QStringList names;
    for (const PausedType &p : paused.value())
        names.append(p.type);
    if (names == m_paused)
        return;
    m_paused = names;
    m_claimTypes = PausedTypeStore::claimable(m_types, paused.value());
    // Operators (and the tests) read this line to know when this worker holds a type back.
    qCInfo(lcWorker).noquote() << "paused job types:"
                               << (names.isEmpty() ? QStringLiteral("none") : names.join(QLatin1String(", ")))
                               << "- claiming:"
                               << (m_claimTypes.isEmpty() ? QStringLiteral("nothing")
                                                          : m_claimTypes.join(QLatin1String(", ")));
    emit pausedTypesApplied(names);
}

void Dispatcher::checkForChanges()
{
    // PRAGMA data_version changes when another connection commits: a cheap way to notice jobs that
    // other processes (hcmctl, another worker) enqueued, without waiting for the poll.
    auto db = Database::connection(m_options.env.db);
    if (!db)
        return;
    QSqlQuery q(db.value());
    if (!q.exec(QStringLiteral("PRAGMA data_version")) || !q.next())
        return;
    const qint64 version = q.value(0).toLongLong();
    q.finish();
    if (version != m_dataVersion) {
        const bool first = m_dataVersion < 0;
        m_dataVersion = version;
        if (!first) {
            refreshPaused(); // another process may have paused or resumed a type
            fill();
        }
    }
}

void Dispatcher::cancelJobs(const QList<qint64> &ids)
{
    for (qint64 id : ids) {
        if (const auto token = m_live.value(id)) {
            token->request(StopReason::Cancelled);
            qCInfo(lcWorker) << "cancelling" << Job::publicId(id);
        }
    }
}

void Dispatcher::stop(int graceMs)
{
    if (m_stopping)
        return;
    m_stopping = true;
    m_handoff->stopping.store(true);
    if (!m_pool) {
        m_stopDone = true;
        emit stopped();
        return;
    }
    m_pollTimer->stop();
    if (m_changeTimer)
        m_changeTimer->stop();
    // Jobs that were claimed but never started go straight back to the queue.
    QList<qint64> unstarted;
    {
        QMutexLocker lock(&m_handoff->mutex);
        for (const Task &t : m_handoff->pending)
            unstarted.append(t.job.id);
        m_handoff->pending.clear();
    }
    m_unreleased = unstarted;
    releaseUnstarted();
    qCInfo(lcWorker) << "stopping: waiting up to" << graceMs << "ms for" << m_live.size() << "running jobs";
    m_graceTimer = new QTimer(this);
    m_graceTimer->setSingleShot(true);
    connect(m_graceTimer, &QTimer::timeout, this, [this] {
        if (!m_shutdownRequested) {
            // Out of patience: ask the running jobs to stop; they go back to the queue unspent.
            m_shutdownRequested = true;
            for (const auto &token : std::as_const(m_live))
                token->request(StopReason::Shutdown);
            m_graceTimer->start(5000);
            return;
        }
        // Results that arrived meanwhile are saved as they are; handlers that ignore the request cannot
        // be killed: their jobs go back to the queue and the handlers are left behind.
        flushOutcomes();
        QList<JobOutcome> left;
        {
            QMutexLocker lock(&m_handoff->mutex);
            for (const JobOutcome &o : m_handoff->outcomes)
                left.append(o);
            m_handoff->outcomes.clear();
        }
        QSet<qint64> reported;
        for (const JobOutcome &o : std::as_const(left))
            reported.insert(o.id);
        int abandoned = 0;
        for (auto it = m_live.cbegin(); it != m_live.cend(); ++it) {
            if (reported.contains(it.key()))
                continue;
            JobOutcome o;
            o.id = it.key();
            o.attempt = m_attemptOf.value(it.key());
            o.kind = JobOutcome::Kind::Interrupted;
            setError(o, JobError::make("worker.stopped_while_running"));
            left.append(o);
            ++abandoned;
        }
        if (auto r = m_store.finish(m_options.workerId, left); !r)
            reportError(Tr::tr("Could not return %1 jobs to the queue; their leases will expire: %2")
                            .arg(left.size())
                            .arg(r.error().message));
        if (abandoned > 0)
            qCWarning(lcWorker) << abandoned << "jobs did not stop in time and were returned to the queue";
        m_live.clear();
        m_attemptOf.clear();
        m_unreleased.clear();
        finishStopIfIdle();
    });
    m_graceTimer->start(qMax(0, graceMs));
    flushOutcomes();
    finishStopIfIdle();
}

void Dispatcher::hurry(int graceMs)
{
    if (m_stopDone || !m_graceTimer || m_shutdownRequested)
        return;
    if (m_graceTimer->remainingTime() > graceMs)
        m_graceTimer->start(qMax(0, graceMs));
}

void Dispatcher::releaseUnstarted()
{
    if (m_unreleased.isEmpty() || m_stopDone)
        return;
    auto released = m_dbDown
                        ? Result<int>(Error{Error::Code::Database, Tr::tr("the database is unreachable")})
                        : m_store.release(m_options.workerId, m_unreleased);
    if (!released) {
        // Kept (and the stop not finished) until the database takes them back: a release that is
        // lost would cost each job a retry when its lease expires.
        reportError(Tr::tr("Could not return %1 unstarted jobs to the queue; retrying: %2")
                        .arg(m_unreleased.size())
                        .arg(released.error().message));
        QTimer::singleShot(500, this, &Dispatcher::releaseUnstarted);
        return;
    }
    const QList<qint64> ids = std::exchange(m_unreleased, {});
    for (qint64 id : ids) {
        m_live.remove(id);
        m_attemptOf.remove(id);
    }
    emit jobsChanged(ids);
    finishStopIfIdle();
}

void Dispatcher::stopJobsOfLostLease()
{
    // Without a confirmed heartbeat for a whole lease, other workers may already run our jobs.
    if (!m_lastHeartbeat.isValid() || m_lastHeartbeat.elapsed() < m_options.leaseMs)
        return;
    for (auto it = m_live.cbegin(); it != m_live.cend(); ++it) {
        if (!it.value()->isRequested()) {
            it.value()->request(StopReason::LeaseLost);
            qCWarning(lcWorker) << "no heartbeat for" << m_lastHeartbeat.elapsed() << "ms: stopping"
                                << Job::publicId(it.key());
        }
    }
}

int Dispatcher::adaptivePrefetch() const
{
    // Claimed jobs waiting beyond the running ones. Short jobs want deep batches (one claim and one
    // write per hundreds of jobs); long jobs want none, so other workers are not starved: keep about
    // 50 ms of work waiting, between `concurrency` and the claim batch limit.
    if (m_avgRunMs < 0)
        return m_options.concurrency;
    const double perSlot = 50.0 / qMax(0.01, m_avgRunMs);
    const double jobs = perSlot * m_options.concurrency;
    return int(qBound<double>(m_options.concurrency, jobs, m_options.maxClaimBatch));
}

void Dispatcher::finishStopIfIdle()
{
    if (m_stopDone || !m_live.isEmpty())
        return;
    m_stopDone = true;
    if (m_graceTimer)
        m_graceTimer->stop();
    m_heartbeatTimer->stop();
    m_reapTimer->stop();
    m_startTimer->stop();
    m_claimRetryTimer->stop();
    if (auto st = m_store.unregisterWorker(m_options.workerId, m_lastError); !st)
        reportError(st.error().message);
    if (m_reconnectTimer)
        m_reconnectTimer->stop();
    if (m_announceTimer)
        m_announceTimer->stop();
    m_listener.reset();
    // Close this thread's connection now, on this thread: QThread::wait() returns before the thread's
    // thread_local destructors run, and a program that exits right after stopped() would otherwise race
    // them against the destruction of Qt's connection registry.
    Database::closeThreadConnections();
    qCInfo(lcWorker).noquote() << "worker" << m_options.workerId << "stopped";
    emit stopped();
}

void Dispatcher::reportError(const QString &message)
{
    qCWarning(lcWorker).noquote() << message;
    emit errorOccurred(message);
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

#include "workerpool.moc"
