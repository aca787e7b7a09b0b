// Dispatcher: registering, claiming, handing jobs to the handler threads and writing their outcomes.

#include "dispatcher.h"

#include "common/logcategories.h"
#include "db/database.h"
#include "jobs/jobtypes.h"

#include <QCoreApplication>
#include <QHostInfo>
#include <QSet>
#include <QSqlQuery>
#include <QThreadPool>
#include <QTimer>

namespace hcm {

namespace {

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::WorkerPool)
};

} // namespace

Dispatcher::Dispatcher(WorkerPool::Options options, std::shared_ptr<Handoff> handoff)
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

Dispatcher::~Dispatcher()
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
    if (auto orphans = m_store.queue().rescueOrphans(m_options.workerId); !orphans) {
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
        m_pool->start(newRunner(m_handoff));
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

void Dispatcher::reportError(const QString &message)
{
    qCWarning(lcWorker).noquote() << message;
    emit errorOccurred(message);
}

} // namespace hcm
