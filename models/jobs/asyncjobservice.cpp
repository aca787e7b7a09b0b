#include "asyncjobservice.h"

#include "common/logcategories.h"
#include "db/database.h"
#include "jobs/jobstatsstore.h"

#include <QFutureWatcher>
#include <QSqlQuery>

#include <algorithm>

namespace hcm {

AsyncJobService::AsyncJobService(JobStore store, QObject *parent)
    : QObject(parent)
    , m_config(store.config())
    , m_db(QStringLiteral("hcm-gui-db"))
    , m_service(std::make_shared<JobService>(std::move(store)))
{
    qRegisterMetaType<Job>();
    qRegisterMetaType<JobWindow>();
    qRegisterMetaType<StatusCounts>();
    qRegisterMetaType<Throughput>();
}

AsyncJobService::~AsyncJobService()
{
    for (const auto &weak : std::as_const(m_bulkStops)) {
        if (const StopFlag stop = weak.lock())
            stop->store(true);
    }
    // The bulk threads (children) and m_db join as members and children go.
}

QFuture<Result<qint64>> AsyncJobService::previewBulk(BulkAction action, const JobFilter &filter,
                                                     qint64 finishedBefore, const Actor &actor)
{
    return m_db.run([service = m_service, action, filter, finishedBefore, actor] {
        return service->previewBulk(action, filter, finishedBefore, actor);
    });
}

QFuture<Result<BulkResult>> AsyncJobService::runBulk(BulkAction action, const JobFilter &filter,
                                                     qint64 finishedBefore, const Actor &actor, StopFlag stop)
{
    // Its own thread and connection: batches of thousands of jobs must not hold up the table's reads.
    auto *thread = new DbThread(QStringLiteral("hcm-bulk"), this);
    m_bulkStops.removeIf([](const std::weak_ptr<std::atomic_bool> &w) { return w.expired(); });
    m_bulkStops.append(stop);
    const DbConfig config = m_config;
    auto clock = m_service->store().clock();
    QFuture<Result<BulkResult>> future = thread->runWithPromise<Result<BulkResult>>(
        [config, clock, action, filter, finishedBefore, actor, stop](QPromise<Result<BulkResult>> &promise) {
            JobService service{JobStore(config, clock)};
            promise.addResult(
                service.runBulk(action, filter, finishedBefore, actor, [&](qint64 done, qint64 total) {
                    promise.setProgressRange(0, int(total));
                    promise.setProgressValueAndText(int(done), QString());
                    return !stop->load();
                }));
        });
    // The thread goes once the action has ended. A watcher, not a continuation: a future takes only one
    // continuation, and that is the caller's.
    auto *watcher = new QFutureWatcher<Result<BulkResult>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [thread, watcher] {
        thread->deleteLater();
        watcher->deleteLater();
    });
    watcher->setFuture(future);
    return future;
}

QFuture<Result<JobWindow>> AsyncJobService::fetchWindow(const JobFilter &filter,
                                                        std::optional<KnownTotal> knownTotal)
{
    return m_db.run([service = m_service, filter, knownTotal]() -> Result<JobWindow> {
        const JobStatsStore stats(service->store().config(), service->store().clock());
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
                return total.error();
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
        auto rows = service->list(query);
        if (!rows) {
            return rows.error();
        }
        QList<Job> list = std::move(rows).value();
        if (reversed)
            std::reverse(list.begin(), list.end());
        // A few rows at most: the table shows queued jobs of a paused type as paused.
        auto paused = PausedTypeStore(service->store().config()).list();
        if (!paused) {
            return paused.error();
        }
        // A window read past a known total that ends early, or reaches beyond it, moves the total.
        if (!maintained && !lowerBound && knownTotal) {
            if (list.size() < filter.limit)
                n = filter.offset + list.size();
            else
                n = qMax<qint64>(n, qint64(filter.offset) + list.size());
        }
        return JobWindow{
            filter,     std::move(list),           qMax<qint64>(n, filter.offset), std::move(paused).value(),
            lowerBound, !maintained && !knownTotal};
    });
}

QFuture<Result<StatusCounts>> AsyncJobService::fetchCounts(const JobFilter &filter)
{
    return m_db.run([service = m_service, filter]() -> Result<StatusCounts> {
        const JobStatsStore stats(service->store().config(), service->store().clock());
        auto counts = stats.countByStatus(filter, JobStatsStore::kCountLimit);
        if (!counts)
            return counts.error();
        return StatusCounts{counts.value(), stats.maintainedAnswers(filter) ? 0 : JobStatsStore::kCountLimit};
    });
}

QFuture<Result<Job>> AsyncJobService::fetchJob(qint64 jobId)
{
    return m_db.run([service = m_service, jobId] { return service->get(jobId); });
}

QFuture<Result<Throughput>> AsyncJobService::fetchThroughput(int minutes, const QString &type)
{
    return m_db.run([service = m_service, minutes, type] {
        return JobStatsStore(service->store().config(), service->store().clock()).throughput(minutes, type);
    });
}

QFuture<Result<QList<WorkerInfo>>> AsyncJobService::fetchWorkers()
{
    return m_db.run([service = m_service] { return service->store().workers(); });
}

QFuture<Result<WorkerJobs>> AsyncJobService::fetchWorkerJobs(const QString &workerId)
{
    return m_db.run([service = m_service, workerId] { return service->store().jobsOfWorker(workerId); });
}

QFuture<Result<QList<DeliveryRecord>>> AsyncJobService::fetchDeliveries(qint64 jobId)
{
    return m_db.run([service = m_service, jobId] {
        return DeliveryStore(service->store().config(), service->store().clock()).forJob(jobId);
    });
}

QFuture<Result<qint64>> AsyncJobService::enqueue(const NewJob &job, const Actor &actor)
{
    return m_db.run([service = m_service, job, actor] { return service->enqueue(job, actor); });
}

QFuture<JobActions> AsyncJobService::cancel(const QList<qint64> &ids, const Actor &actor)
{
    return m_db.run([service = m_service, ids, actor] {
        return JobActions{service->cancel(ids, actor), {}};
    });
}

QFuture<JobActions> AsyncJobService::retryNow(const QList<qint64> &ids, const Actor &actor)
{
    return m_db.run([service = m_service, ids, actor] {
        return JobActions{service->retryNow(ids, actor), {}};
    });
}

QFuture<JobActions> AsyncJobService::deleteFinished(const QList<qint64> &ids, const Actor &actor)
{
    return m_db.run([service = m_service, ids, actor] {
        return JobActions{service->deleteFinished(ids, actor), {}};
    });
}

QFuture<JobActions> AsyncJobService::duplicate(const QList<qint64> &ids, const Actor &actor)
{
    return m_db.run([service = m_service, ids, actor] {
        JobActions out;
        for (qint64 source : ids) {
            auto copy = service->duplicate(source, actor);
            if (copy) {
                out.created.append(copy.value());
                out.results.append(JobActionResult{source, true, {}, JobStatus::Queued});
            } else {
                out.results.append(JobActionResult{source, false, copy.error().message, JobStatus::Queued});
            }
        }
        return out;
    });
}

QFuture<Result<QList<PausedType>>> AsyncJobService::fetchPausedTypes()
{
    return m_db.run([service = m_service] { return PausedTypeStore(service->store().config()).list(); });
}

QFuture<Result<PauseChange>> AsyncJobService::setPaused(const QString &type, bool paused, const Actor &actor)
{
    return m_db.run([service = m_service, type, paused, actor] {
        return PauseService(service->store().config(), service->store().clock())
            .setPaused(type, paused, actor);
    });
}

} // namespace hcm
