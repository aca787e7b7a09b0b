#pragma once

#include "jobs/jobsql.h"

#include <array>

namespace hcm {

// The reads of jobs: one job with its attempts, a filtered and sorted page of the list, counts. They
// read background_jobs, which is the table on SQLite and the view over job_queue and job_archive on
// PostgreSQL, so they are written once. Each call runs on the calling thread's own connection.
class JobReads final {
public:
    explicit JobReads(JobSqlContext context);

    Result<Job> get(qint64 id, bool withAttempts = true);
    Result<QList<JobAttempt>> attempts(qint64 jobId);
    // The outcome of a job's latest attempt ("lost", "failed", …): tells a lost worker from a failure,
    // and a shutdown requeue (interrupted) from a retry. Empty when it has none or it cannot be read.
    QString lastOutcome(qint64 jobId);
    Result<QList<Job>> list(const JobFilter &filter);
    // `limit` > 0: counting stops after limit + 1 rows (a result of limit + 1 means "more than limit").
    Result<qint64> count(const JobFilter &filter, qint64 limit = 0);
    // Rows per status for the filter's type and search (its statuses are ignored), in JobStatus order;
    // `limit` > 0: at most limit + 1 rows are read.
    Result<std::array<qint64, kJobStatusCount>> countByStatus(const JobFilter &filter, qint64 limit = 0);

private:
    JobSqlContext m_ctx;
};

} // namespace hcm
