#pragma once

#include "jobs/jobsql.h"

#include <functional>

namespace hcm {

struct JobEvent;

// What a person does to jobs (JobService checks who may): cancel, retry now, delete finished jobs,
// and the selections of the bulk actions. Each per-job action of a batch is one write transaction with
// its audit row; a database error leaves the whole batch unwritten. Each call runs on the calling
// thread's own connection.
class JobAdmin final {
public:
    explicit JobAdmin(JobSqlContext context);

    // `actor` names who asked in the job's error text (cancel) and in the log (retry); `audit` writes
    // the audit row.
    QList<JobActionResult> cancel(const QList<qint64> &ids, const QString &actor,
                                  const JobActionAudit &audit = {});
    QList<JobActionResult> retryNow(const QList<qint64> &ids, const QString &actor,
                                    const JobActionAudit &audit = {});
    QList<JobActionResult> deleteFinished(const QList<qint64> &ids, const JobActionAudit &audit = {});

    // The ids of the jobs `filter` selects (not its sort, limit or offset) with afterId < id <= upToId, in
    // id order, at most `limit`; with `finishedBefore` > 0 only jobs finished before it.
    Result<QList<qint64>> matchingIds(const JobFilter &filter, qint64 afterId, qint64 upToId, int limit,
                                      qint64 finishedBefore = 0);
    Result<JobMatchCount> countMatching(const JobFilter &filter, qint64 finishedBefore = 0);

private:
    using Action = std::function<Result<JobActionResult>(QSqlDatabase &, qint64)>;
    using Events = std::function<QList<JobEvent>(const QList<JobActionResult> &)>;
    QList<JobActionResult> perJob(const QList<qint64> &ids, const Action &action, const Events &events,
                                  const JobActionAudit &audit);

    JobSqlContext m_ctx;
};

} // namespace hcm
