#pragma once

#include "db/dbthread.h"
#include "jobs/jobservice.h"
#include "jobs/pauseservice.h"
#include "settings/deliverystore.h"

#include <QFuture>
#include <QObject>

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

// What a mutation did, job by job (enqueue and duplicate report the new ids in `created`).
struct JobActions {
    QList<JobActionResult> results;
    QList<qint64> created;
};

// The GUI's access to the job queue. Every query and mutation runs on one thread with its own
// connection (DbThread) and answers through the QFuture it returns; the GUI thread never waits on the
// database. Nothing is superseded here: a caller that wants only its newest answer says so (Latest).
class AsyncJobService final : public QObject {
    Q_OBJECT
public:
    explicit AsyncJobService(JobStore store, QObject *parent = nullptr);
    // Stops running bulk actions after their current batch and waits for every thread.
    ~AsyncJobService() override;
    Q_DISABLE_COPY_MOVE(AsyncJobService)

    const DbConfig &config() const { return m_config; }

    // The window and the filter's total: from the maintained counts when they answer, else
    // `knownTotal` when given (a total counted earlier for the same filter), else counted up to
    // JobStatsStore::kCountLimit rows.
    QFuture<Result<JobWindow>> fetchWindow(const JobFilter &filter,
                                           std::optional<KnownTotal> knownTotal = std::nullopt);
    // Type and search apply; statuses are ignored. Maintained where they answer, else counted from at
    // most JobStatsStore::kCountLimit + 1 rows (StatusCounts::partial).
    QFuture<Result<StatusCounts>> fetchCounts(const JobFilter &filter);
    QFuture<Result<Job>> fetchJob(qint64 id);
    QFuture<Result<Throughput>> fetchThroughput(int minutes, const QString &type = {});
    QFuture<Result<QList<WorkerInfo>>> fetchWorkers();
    // The jobs a worker holds and its recent attempts that did not complete (JobStore::jobsOfWorker).
    QFuture<Result<WorkerJobs>> fetchWorkerJobs(const QString &workerId);
    // The notification deliveries made by job `jobId` or about it (DeliveryStore::forJob), oldest first.
    QFuture<Result<QList<DeliveryRecord>>> fetchDeliveries(qint64 jobId);

    // The new job's id, or why it was refused.
    QFuture<Result<qint64>> enqueue(const NewJob &job, const Actor &actor);
    QFuture<JobActions> cancel(const QList<qint64> &ids, const Actor &actor);
    QFuture<JobActions> retryNow(const QList<qint64> &ids, const Actor &actor);
    QFuture<JobActions> deleteFinished(const QList<qint64> &ids, const Actor &actor);
    QFuture<JobActions> duplicate(const QList<qint64> &ids, const Actor &actor);
    // Bulk actions on everything `filter` selects (JobService::runBulk). previewBulk counts them;
    // runBulk runs in a thread of its own with its own connection, so that the table and counts keep
    // refreshing meanwhile. Its future reports progress after every batch (progressValue of
    // progressMaximum jobs; a QFutureWatcher shows it) and ends with the result; setting `stop` ends
    // it after the current batch (what is done stays done, BulkResult::stopped).
    QFuture<Result<qint64>> previewBulk(BulkAction action, const JobFilter &filter, qint64 finishedBefore,
                                        const Actor &actor);
    QFuture<Result<BulkResult>> runBulk(BulkAction action, const JobFilter &filter, qint64 finishedBefore,
                                        const Actor &actor, StopFlag stop = makeStopFlag());
    // The paused job types, and pausing or resuming one (PauseService::setPaused; kAllJobTypes for all).
    QFuture<Result<QList<PausedType>>> fetchPausedTypes();
    QFuture<Result<PauseChange>> setPaused(const QString &type, bool paused, const Actor &actor);

private:
    DbConfig m_config;
    DbThread m_db;
    std::shared_ptr<JobService> m_service; // used on m_db's thread only
    QList<std::weak_ptr<std::atomic_bool>> m_bulkStops;
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
