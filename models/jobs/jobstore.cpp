#include "jobstore.h"

namespace hcm {

JobStore::JobStore(DbConfig config, std::shared_ptr<Clock> clock, RetryPolicy retry)
    : m_ctx(std::move(config), std::move(clock), retry)
    , m_queue(m_ctx)
    , m_reads(m_ctx)
    , m_registry(m_ctx)
    , m_admin(m_ctx)
{}

// The queue.

Result<QList<qint64>> JobStore::insert(const QList<NewJob> &jobs, const QString &actor,
                                       const JobInsertAudit &audit)
{
    return m_queue.insert(jobs, actor, audit);
}

Result<QList<ClaimedJob>> JobStore::claim(const QString &workerId, int max, qint64 leaseMs,
                                          const QStringList &types)
{
    return m_queue.claim(workerId, max, leaseMs, types);
}

Result<FinishReport> JobStore::finish(const QString &workerId, const QList<JobOutcome> &outcomes)
{
    return m_queue.finish(workerId, outcomes);
}

Status JobStore::notifyChanged(const QList<qint64> &ids)
{
    return m_queue.notifyChanged(ids);
}

// The worker registry.

Status JobStore::registerWorker(const WorkerInfo &info)
{
    return m_registry.registerWorker(info);
}

Status JobStore::unregisterWorker(const QString &workerId, const QString &lastError)
{
    return m_registry.unregisterWorker(workerId, lastError);
}

Result<QList<WorkerInfo>> JobStore::workers()
{
    return m_registry.workers();
}

Result<WorkerJobs> JobStore::jobsOfWorker(const QString &workerId, int attemptLimit)
{
    return m_registry.jobsOfWorker(workerId, attemptLimit);
}

// A person's actions.

QList<JobActionResult> JobStore::cancel(const QList<qint64> &ids, const QString &actor,
                                        const JobActionAudit &audit)
{
    return m_admin.cancel(ids, actor, audit);
}

QList<JobActionResult> JobStore::retryNow(const QList<qint64> &ids, const QString &actor,
                                          const JobActionAudit &audit)
{
    return m_admin.retryNow(ids, actor, audit);
}

QList<JobActionResult> JobStore::deleteFinished(const QList<qint64> &ids, const JobActionAudit &audit)
{
    return m_admin.deleteFinished(ids, audit);
}

Result<QList<qint64>> JobStore::matchingIds(const JobFilter &filter, qint64 afterId, qint64 upToId, int limit,
                                            qint64 finishedBefore)
{
    return m_admin.matchingIds(filter, afterId, upToId, limit, finishedBefore);
}

Result<JobStore::MatchCount> JobStore::countMatching(const JobFilter &filter, qint64 finishedBefore)
{
    return m_admin.countMatching(filter, finishedBefore);
}

// The reads.

Result<Job> JobStore::get(qint64 id, bool withAttempts)
{
    return m_reads.get(id, withAttempts);
}

Result<QList<Job>> JobStore::list(const JobFilter &filter)
{
    return m_reads.list(filter);
}

Result<qint64> JobStore::count(const JobFilter &filter, qint64 limit)
{
    return m_reads.count(filter, limit);
}

Result<std::array<qint64, kJobStatusCount>> JobStore::countByStatus(const JobFilter &filter, qint64 limit)
{
    return m_reads.countByStatus(filter, limit);
}

Result<QList<JobAttempt>> JobStore::attempts(qint64 jobId)
{
    return m_reads.attempts(jobId);
}

} // namespace hcm
