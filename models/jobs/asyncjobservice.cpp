#include "asyncjobservice.h"

#include "common/logcategories.h"
#include "db/database.h"
#include "jobs/jobstatsstore.h"

#include <QCoreApplication>
#include <QMutex>
#include <QSqlQuery>

#include <deque>
#include <functional>

namespace hcm {

// Runs the requests in the service's thread. Reads of the same kind replace each other while queued,
// so a burst of refresh requests costs one query; mutations always run, in order.
class JobDbWorker final : public QObject {
    Q_OBJECT
public:
    explicit JobDbWorker(JobStore store)
        : m_service(std::move(store))
    {}

    enum class Kind { Window, Counts, Throughput, Workers, WorkerJobs, Paused, Other };

    void post(Kind kind, std::function<void(JobDbWorker &)> task)
    {
        bool schedule = false;
        {
            QMutexLocker lock(&m_mutex);
            if (kind != Kind::Other) {
                // Drop a queued read of the same kind: only the newest matters.
                for (auto it = m_queue.begin(); it != m_queue.end(); ++it) {
                    if (it->first == kind) {
                        m_queue.erase(it);
                        break;
                    }
                }
            }
            m_queue.emplace_back(kind, std::move(task));
            schedule = !m_scheduled;
            m_scheduled = true;
        }
        if (schedule)
            QMetaObject::invokeMethod(this, &JobDbWorker::drain, Qt::QueuedConnection);
    }

    JobService &service() { return m_service; }

signals:
    void windowReady(quint64 request, const hcm::JobWindow &window);
    void countsReady(quint64 request, const hcm::StatusCounts &counts);
    void jobReady(quint64 request, const hcm::Job &job);
    void throughputReady(quint64 request, const hcm::Throughput &throughput);
    void workersReady(quint64 request, const QList<hcm::WorkerInfo> &workers);
    void workerJobsReady(quint64 request, const hcm::WorkerJobs &jobs);
    void deliveriesReady(quint64 request, qint64 jobId, const QList<hcm::DeliveryRecord> &deliveries);
    void actionFinished(quint64 request, const QList<hcm::JobActionResult> &results,
                        const QList<qint64> &created);
    void pausedTypesReady(quint64 request, const QList<hcm::PausedType> &paused);
    void pauseChanged(quint64 request, const hcm::PauseChange &change);
    void bulkPreviewReady(quint64 request, qint64 count);
    void requestFailed(quint64 request, const QString &message);

private:
    void drain()
    {
        for (;;) {
            std::function<void(JobDbWorker &)> task;
            {
                QMutexLocker lock(&m_mutex);
                if (m_queue.empty()) {
                    m_scheduled = false;
                    return;
                }
                task = std::move(m_queue.front().second);
                m_queue.pop_front();
            }
            task(*this);
        }
    }

    JobService m_service;
    QMutex m_mutex;
    std::deque<std::pair<Kind, std::function<void(JobDbWorker &)>>> m_queue;
    bool m_scheduled = false;
    friend class AsyncJobService;
};

AsyncJobService::AsyncJobService(JobStore store, QObject *parent)
    : QObject(parent)
    , m_config(store.config())
{
    qRegisterMetaType<JobWindow>();
    qRegisterMetaType<StatusCounts>();
    qRegisterMetaType<Throughput>();
    qRegisterMetaType<Job>();
    qRegisterMetaType<QList<JobActionResult>>();
    qRegisterMetaType<QList<qint64>>();
    qRegisterMetaType<QList<WorkerInfo>>();
    qRegisterMetaType<WorkerJobs>();
    qRegisterMetaType<QList<DeliveryRecord>>();
    qRegisterMetaType<QList<PausedType>>();
    qRegisterMetaType<PauseChange>();
    qRegisterMetaType<BulkResult>();
    (void)QSqlDatabase::drivers(); // QTBUG-112961: register drivers before other threads connect

    auto *worker = new JobDbWorker(std::move(store));
    m_worker = worker;
    worker->moveToThread(&m_thread);
    m_thread.setObjectName(QStringLiteral("hcm-gui-db"));
    connect(&m_thread, &QThread::finished, worker, [] { Database::closeThreadConnections(); });
    connect(&m_thread, &QThread::finished, worker, &QObject::deleteLater);
    connect(worker, &JobDbWorker::windowReady, this, &AsyncJobService::windowReady);
    connect(worker, &JobDbWorker::countsReady, this, &AsyncJobService::countsReady);
    connect(worker, &JobDbWorker::jobReady, this, &AsyncJobService::jobReady);
    connect(worker, &JobDbWorker::throughputReady, this, &AsyncJobService::throughputReady);
    connect(worker, &JobDbWorker::workersReady, this, &AsyncJobService::workersReady);
    connect(worker, &JobDbWorker::workerJobsReady, this, &AsyncJobService::workerJobsReady);
    connect(worker, &JobDbWorker::deliveriesReady, this, &AsyncJobService::deliveriesReady);
    connect(worker, &JobDbWorker::actionFinished, this, &AsyncJobService::actionFinished);
    connect(worker, &JobDbWorker::pausedTypesReady, this, &AsyncJobService::pausedTypesReady);
    connect(worker, &JobDbWorker::pauseChanged, this, &AsyncJobService::pauseChanged);
    connect(worker, &JobDbWorker::bulkPreviewReady, this, &AsyncJobService::bulkPreviewReady);
    connect(worker, &JobDbWorker::requestFailed, this, &AsyncJobService::requestFailed);
    m_thread.start();
}

AsyncJobService::~AsyncJobService()
{
    for (const auto &stop : std::as_const(m_bulkStops))
        stop->store(true);
    for (QThread *t : std::as_const(m_bulkThreads)) {
        t->wait();
        delete t;
    }
    m_thread.quit();
    m_thread.wait();
}

quint64 AsyncJobService::previewBulk(BulkAction action, const JobFilter &filter, qint64 finishedBefore,
                                     const Actor &actor)
{
    const quint64 id = next();
    m_worker->post(JobDbWorker::Kind::Other, [id, action, filter, finishedBefore, actor](JobDbWorker &w) {
        auto n = w.service().previewBulk(action, filter, finishedBefore, actor);
        if (!n)
            emit w.requestFailed(id, n.error().message);
        else
            emit w.bulkPreviewReady(id, n.value());
    });
    return id;
}

quint64 AsyncJobService::runBulk(BulkAction action, const JobFilter &filter, qint64 finishedBefore,
                                 const Actor &actor)
{
    const quint64 id = next();
    auto stop = std::make_shared<std::atomic_bool>(false);
    m_bulkStops.insert(id, stop);
    const DbConfig config = m_config;
    QPointer<AsyncJobService> self(this);
    // Its own thread and connection: batches of thousands of jobs must not hold up the table's reads.
    QThread *thread = QThread::create([=] {
        JobService service{JobStore(config)};
        auto result = service.runBulk(action, filter, finishedBefore, actor, [&](qint64 done, qint64 total) {
            QMetaObject::invokeMethod(
                self,
                [self, id, done, total] {
                    if (self)
                        emit self->bulkProgress(id, done, total);
                },
                Qt::QueuedConnection);
            return !stop->load();
        });
        Database::closeThreadConnections();
        QMetaObject::invokeMethod(
            self,
            [self, id, result] {
                if (!self)
                    return;
                self->m_bulkStops.remove(id);
                if (result)
                    emit self->bulkFinished(id, result.value());
                else
                    emit self->requestFailed(id, result.error().message);
            },
            Qt::QueuedConnection);
    });
    thread->setObjectName(QStringLiteral("hcm-bulk"));
    m_bulkThreads.append(thread);
    connect(thread, &QThread::finished, this, [this, thread] {
        m_bulkThreads.removeAll(thread);
        thread->deleteLater();
    });
    thread->start();
    return id;
}

void AsyncJobService::stopBulk(quint64 request)
{
    if (const auto stop = m_bulkStops.value(request))
        stop->store(true);
}

quint64 AsyncJobService::fetchWindow(const JobFilter &filter, std::optional<KnownTotal> knownTotal)
{
    const quint64 id = next();
    m_worker->post(JobDbWorker::Kind::Window, [id, filter, knownTotal](JobDbWorker &w) {
        const JobStatsStore stats(w.service().store().config(), w.service().store().clock());
        // The total first: it is one read of a few rows when the maintained counts answer, and it tells
        // whether the window is nearer the end, where the list is read backwards instead of skipping
        // most of it with OFFSET. A filter they cannot answer is counted once (bounded) and then known.
        const bool maintained = stats.maintainedAnswers(filter);
        qint64 n = 0;
        bool lowerBound = false;
        if (!maintained && knownTotal) {
            n = knownTotal->total;
            lowerBound = knownTotal->lowerBound;
        } else {
            auto total = stats.count(filter, JobStatsStore::kCountLimit);
            if (!total) {
                emit w.requestFailed(id, total.error().message);
                return;
            }
            n = total.value();
            if (!maintained && n > JobStatsStore::kCountLimit) {
                n = JobStatsStore::kCountLimit;
                lowerBound = true;
            }
        }
        JobFilter query = filter;
        bool reversed = false;
        // Backwards only from an exact end: past a bounded count the end is unknown.
        if (!lowerBound && filter.offset > 0 && filter.offset > n / 2) {
            reversed = true;
            const qint64 end = qMin<qint64>(n, qint64(filter.offset) + filter.limit);
            query.order = filter.order == Qt::AscendingOrder ? Qt::DescendingOrder : Qt::AscendingOrder;
            query.offset = int(qMax<qint64>(0, n - end));
            query.limit = int(qMax<qint64>(0, end - filter.offset));
        }
        auto rows = w.service().list(query);
        if (!rows) {
            emit w.requestFailed(id, rows.error().message);
            return;
        }
        QList<Job> list = std::move(rows).value();
        if (reversed)
            std::reverse(list.begin(), list.end());
        // A few rows at most: the table shows queued jobs of a paused type as paused.
        auto paused = PausedTypeStore(w.service().store().config()).list();
        if (!paused) {
            emit w.requestFailed(id, paused.error().message);
            return;
        }
        // A window read past a known total that ends early, or reaches beyond it, moves the total.
        if (!maintained && !lowerBound && knownTotal) {
            if (list.size() < filter.limit)
                n = filter.offset + list.size();
            else
                n = qMax<qint64>(n, qint64(filter.offset) + list.size());
        }
        emit w.windowReady(id, JobWindow{filter, std::move(list), qMax<qint64>(n, filter.offset),
                                         std::move(paused).value(), lowerBound, !maintained && !knownTotal});
    });
    return id;
}

quint64 AsyncJobService::fetchCounts(const JobFilter &filter)
{
    const quint64 id = next();
    m_worker->post(JobDbWorker::Kind::Counts, [id, filter](JobDbWorker &w) {
        const JobStatsStore stats(w.service().store().config(), w.service().store().clock());
        auto counts = stats.countByStatus(filter, JobStatsStore::kCountLimit);
        if (!counts) {
            emit w.requestFailed(id, counts.error().message);
            return;
        }
        emit w.countsReady(
            id,
            StatusCounts{counts.value(), stats.maintainedAnswers(filter) ? 0 : JobStatsStore::kCountLimit});
    });
    return id;
}

quint64 AsyncJobService::fetchJob(qint64 jobId)
{
    const quint64 id = next();
    m_worker->post(JobDbWorker::Kind::Other, [id, jobId](JobDbWorker &w) {
        auto job = w.service().get(jobId);
        if (!job) {
            emit w.requestFailed(id, job.error().message);
            return;
        }
        emit w.jobReady(id, job.value());
    });
    return id;
}

quint64 AsyncJobService::fetchThroughput(int minutes, const QString &type)
{
    const quint64 id = next();
    m_worker->post(JobDbWorker::Kind::Throughput, [id, minutes, type](JobDbWorker &w) {
        auto result = JobStatsStore(w.service().store().config(), w.service().store().clock())
                          .throughput(minutes, type);
        if (!result) {
            emit w.requestFailed(id, result.error().message);
            return;
        }
        emit w.throughputReady(id, result.value());
    });
    return id;
}

quint64 AsyncJobService::fetchWorkers()
{
    const quint64 id = next();
    m_worker->post(JobDbWorker::Kind::Workers, [id](JobDbWorker &w) {
        auto workers = w.service().store().workers();
        if (!workers) {
            emit w.requestFailed(id, workers.error().message);
            return;
        }
        emit w.workersReady(id, workers.value());
    });
    return id;
}

quint64 AsyncJobService::fetchWorkerJobs(const QString &workerId)
{
    const quint64 id = next();
    m_worker->post(JobDbWorker::Kind::WorkerJobs, [id, workerId](JobDbWorker &w) {
        auto jobs = w.service().store().jobsOfWorker(workerId);
        if (!jobs) {
            emit w.requestFailed(id, jobs.error().message);
            return;
        }
        emit w.workerJobsReady(id, jobs.value());
    });
    return id;
}

quint64 AsyncJobService::fetchDeliveries(qint64 jobId)
{
    const quint64 id = next();
    m_worker->post(JobDbWorker::Kind::Other, [id, jobId](JobDbWorker &w) {
        auto deliveries =
            DeliveryStore(w.service().store().config(), w.service().store().clock()).forJob(jobId);
        if (!deliveries) {
            emit w.requestFailed(id, deliveries.error().message);
            return;
        }
        emit w.deliveriesReady(id, jobId, deliveries.value());
    });
    return id;
}

quint64 AsyncJobService::enqueue(const NewJob &job, const Actor &actor)
{
    const quint64 id = next();
    m_worker->post(JobDbWorker::Kind::Other, [id, job, actor](JobDbWorker &w) {
        auto created = w.service().enqueue(job, actor);
        if (!created) {
            emit w.requestFailed(id, created.error().message);
            return;
        }
        emit w.actionFinished(id, {JobActionResult{created.value(), true, {}, JobStatus::Queued}},
                              {created.value()});
    });
    return id;
}

quint64 AsyncJobService::cancel(const QList<qint64> &ids, const Actor &actor)
{
    const quint64 id = next();
    m_worker->post(JobDbWorker::Kind::Other, [id, ids, actor](JobDbWorker &w) {
        emit w.actionFinished(id, w.service().cancel(ids, actor), {});
    });
    return id;
}

quint64 AsyncJobService::retryNow(const QList<qint64> &ids, const Actor &actor)
{
    const quint64 id = next();
    m_worker->post(JobDbWorker::Kind::Other, [id, ids, actor](JobDbWorker &w) {
        emit w.actionFinished(id, w.service().retryNow(ids, actor), {});
    });
    return id;
}

quint64 AsyncJobService::deleteFinished(const QList<qint64> &ids, const Actor &actor)
{
    const quint64 id = next();
    m_worker->post(JobDbWorker::Kind::Other, [id, ids, actor](JobDbWorker &w) {
        emit w.actionFinished(id, w.service().deleteFinished(ids, actor), {});
    });
    return id;
}

quint64 AsyncJobService::duplicate(const QList<qint64> &ids, const Actor &actor)
{
    const quint64 id = next();
    m_worker->post(JobDbWorker::Kind::Other, [id, ids, actor](JobDbWorker &w) {
        QList<JobActionResult> results;
        QList<qint64> created;
        for (qint64 source : ids) {
            auto copy = w.service().duplicate(source, actor);
            if (copy) {
                created.append(copy.value());
                results.append(JobActionResult{source, true, {}, JobStatus::Queued});
            } else {
                results.append(JobActionResult{source, false, copy.error().message, JobStatus::Queued});
            }
        }
        emit w.actionFinished(id, results, created);
    });
    return id;
}

quint64 AsyncJobService::fetchPausedTypes()
{
    const quint64 id = next();
    m_worker->post(JobDbWorker::Kind::Paused, [id](JobDbWorker &w) {
        auto paused = PausedTypeStore(w.service().store().config()).list();
        if (!paused) {
            emit w.requestFailed(id, paused.error().message);
            return;
        }
        emit w.pausedTypesReady(id, paused.value());
    });
    return id;
}

quint64 AsyncJobService::setPaused(const QString &type, bool paused, const Actor &actor)
{
    const quint64 id = next();
    m_worker->post(JobDbWorker::Kind::Other, [id, type, paused, actor](JobDbWorker &w) {
        auto change = PauseService(w.service().store().config(), w.service().store().clock())
                          .setPaused(type, paused, actor);
        if (!change) {
            emit w.requestFailed(id, change.error().message);
            return;
        }
        emit w.pauseChanged(id, change.value());
    });
    return id;
}

} // namespace hcm

#include "asyncjobservice.moc"
