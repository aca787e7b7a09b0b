#pragma once

#include "jobs/jobsql.h"

namespace hcm {

// The worker registry: the `workers` rows (registration, heartbeats, stop) and what a worker holds and
// attempted, for the Workers page. Each call runs on the calling thread's own connection; cheap to copy.
class WorkerRegistry final {
public:
    explicit WorkerRegistry(JobSqlContext context);

    Status registerWorker(const WorkerInfo &info);
    // Marks the worker stopped, with the error it stops with (empty: none), and drops its start records.
    Status unregisterWorker(const QString &workerId, const QString &lastError = {});
    Result<QList<WorkerInfo>> workers();
    // The jobs `workerId` holds now and its latest `attemptLimit` attempts that did not complete.
    Result<WorkerJobs> jobsOfWorker(const QString &workerId, int attemptLimit = 50);

    // Writes a heartbeat into the worker's row, in the caller's transaction (JobQueue::heartbeat):
    // the time, how many jobs it runs and its lasting error (empty: none).
    static Status recordHeartbeat(QSqlDatabase &d, const JobSqlContext::Now &now, const QString &workerId,
                                  int running, const QString &lastError);

private:
    JobSqlContext m_ctx;
};

} // namespace hcm
