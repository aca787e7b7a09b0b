#pragma once

#include "jobs/jobservice.h"
#include "jobs/pauseservice.h"
#include "settings/deliverystore.h"

#include <QObject>
#include <QPointer>
#include <QThread>

#include <QHash>

#include <array>
#include <atomic>
#include <memory>
#include <optional>

namespace hcm {

// One page of a filtered, sorted job list with the total it belongs to.
struct JobWindow {
    JobFilter filter; // the filter, sort, offset and limit that produced it
    QList<Job> rows;
    qint64 total = 0;
    QList<PausedType> paused; // the paused job types when the rows were read (their queued jobs wait)
    // The filter's rows were counted (not maintained, not the caller's known total) and there were more
    // than JobStatsStore::kCountLimit: `total` is that limit, and the list goes on past it.
    bool totalIsLowerBound = false;
    bool counted = false; // rows were read to count the total (a filter the maintained counts cannot answer)
};

// A filter's total counted earlier (JobWindow::total and totalIsLowerBound), handed back so that a
// refresh of the same filter does not count again.
struct KnownTotal {
    qint64 total = 0;
    bool lowerBound = false;
};

struct StatusCounts {
    std::array<qint64, kJobStatusCount> byStatus{};
    // > 0: the counts were read from at most limit + 1 rows; when all() is above it they are those of
    // the rows read: "more than limit" in all, a lower bound per status.
    qint64 limit = 0;
    bool partial() const { return limit > 0 && all() > limit; }
    qint64 all() const
    {
        qint64 n = 0;
        for (qint64 v : byStatus)
            n += v;
        return n;
    }
};

// Completed and failed jobs per minute, oldest minute first.
struct Throughput {
    qint64 firstMinuteMs = 0; // start of the first bucket (UTC ms)
    QList<int> completed;
    QList<int> failed;
    qint64 completedLastMinute = 0; // completed in the 60 seconds up to the query: "jobs/min"
    QString type{};                 // the job type counted; empty: every type
};

class JobDbWorker;

// The GUI's access to the job queue. Every query and mutation runs on its own thread with its own
// connection; results come back as queued signals tagged with the request id the call returned. The
// GUI thread never waits on the database. Later requests of the same kind supersede earlier ones that
// have not started (a burst of refreshes costs one query).
class AsyncJobService final : public QObject {
    Q_OBJECT
public:
    explicit AsyncJobService(JobStore store, QObject *parent = nullptr);
    ~AsyncJobService() override;
    Q_DISABLE_COPY_MOVE(AsyncJobService)

    const DbConfig &config() const { return m_config; }

    // The window and the filter's total: from the maintained counts when they answer, else
    // `knownTotal` when given (a total counted earlier for the same filter), else counted up to
    // JobStatsStore::kCountLimit rows.
    quint64 fetchWindow(const JobFilter &filter, std::optional<KnownTotal> knownTotal = std::nullopt);
    // Type and search apply; statuses are ignored. Maintained where they answer, else counted from at
    // most JobStatsStore::kCountLimit + 1 rows (StatusCounts::partial).
    quint64 fetchCounts(const JobFilter &filter);
    quint64 fetchJob(qint64 id);
    quint64 fetchThroughput(int minutes, const QString &type = {});
    quint64 fetchWorkers();
    // The jobs a worker holds and its recent attempts that did not complete (JobStore::jobsOfWorker).
    quint64 fetchWorkerJobs(const QString &workerId);
    // The notification deliveries made by job `jobId` or about it (DeliveryStore::forJob), oldest first.
    quint64 fetchDeliveries(qint64 jobId);

    quint64 enqueue(const NewJob &job, const Actor &actor);
    quint64 cancel(const QList<qint64> &ids, const Actor &actor);
    quint64 retryNow(const QList<qint64> &ids, const Actor &actor);
    quint64 deleteFinished(const QList<qint64> &ids, const Actor &actor);
    quint64 duplicate(const QList<qint64> &ids, const Actor &actor);
    // The paused job types (pausedTypesReady), and pausing or resuming one (PauseService::setPaused;
    // kAllJobTypes for all): pauseChanged, or requestFailed with the reason.
    // Bulk actions on everything `filter` selects (JobService::runBulk): each in a thread of its own
    // with its own connection, so that the table and counts keep refreshing meanwhile. bulkProgress
    // after every batch, then bulkFinished (or requestFailed) exactly once.
    quint64 previewBulk(BulkAction action, const JobFilter &filter, qint64 finishedBefore,
                        const Actor &actor);
    quint64 runBulk(BulkAction action, const JobFilter &filter, qint64 finishedBefore, const Actor &actor);
    // Stops a running bulk action after its current batch (what is done stays done).
    void stopBulk(quint64 request);
    quint64 fetchPausedTypes();
    quint64 setPaused(const QString &type, bool paused, const Actor &actor);

signals:
    void windowReady(quint64 request, const hcm::JobWindow &window);
    void countsReady(quint64 request, const hcm::StatusCounts &counts);
    void jobReady(quint64 request, const hcm::Job &job);
    void throughputReady(quint64 request, const hcm::Throughput &throughput);
    void workersReady(quint64 request, const QList<hcm::WorkerInfo> &workers);
    void workerJobsReady(quint64 request, const hcm::WorkerJobs &jobs);
    void deliveriesReady(quint64 request, qint64 jobId, const QList<hcm::DeliveryRecord> &deliveries);
    // Mutations: per-job results (enqueue and duplicate report the new ids in `created`).
    void actionFinished(quint64 request, const QList<hcm::JobActionResult> &results,
                        const QList<qint64> &created);
    void bulkPreviewReady(quint64 request, qint64 count);
    void bulkProgress(quint64 request, qint64 done, qint64 total);
    void bulkFinished(quint64 request, const hcm::BulkResult &result);
    void pausedTypesReady(quint64 request, const QList<hcm::PausedType> &paused);
    void pauseChanged(quint64 request, const hcm::PauseChange &change);
    // Any request that failed as a whole: the database is unreachable, the input was refused.
    void requestFailed(quint64 request, const QString &message);

private:
    quint64 next() { return ++m_lastRequest; }

    DbConfig m_config;
    QThread m_thread;
    QPointer<JobDbWorker> m_worker;
    quint64 m_lastRequest = 0;
    QHash<quint64, std::shared_ptr<std::atomic_bool>> m_bulkStops; // running bulk actions
    QList<QThread *> m_bulkThreads;
};

} // namespace hcm

Q_DECLARE_METATYPE(hcm::JobWindow)
Q_DECLARE_METATYPE(hcm::StatusCounts)
Q_DECLARE_METATYPE(hcm::Throughput)
Q_DECLARE_METATYPE(hcm::JobFilter)
Q_DECLARE_METATYPE(hcm::NewJob)
Q_DECLARE_METATYPE(hcm::Actor)
Q_DECLARE_METATYPE(hcm::JobActionResult)
Q_DECLARE_METATYPE(hcm::BulkResult)
Q_DECLARE_METATYPE(hcm::WorkerInfo)
Q_DECLARE_METATYPE(hcm::WorkerJobs)
Q_DECLARE_METATYPE(hcm::DeliveryRecord)
