#pragma once

#include "common/error.h"
#include "db/dbconfig.h"

#include <optional>

namespace hcm {

// What the retention period no longer keeps: finished jobs (completed, failed, cancelled) with their
// attempts, and old attempts. The SQL of the cleanup job lives here, beside the rest of the job SQL;
// the handler decides the cut-off, the batch size and when to stop. PostgreSQL keeps finished jobs in
// job_archive (background_jobs is a view over it and job_queue, migration 009), SQLite in
// background_jobs itself: the table is chosen from the configuration, not from the connection.
// Each call runs on the calling thread's own connection.
class JobRetention final {
public:
    struct Deleted {
        qint64 jobs = 0;
        qint64 attempts = 0;
    };

    explicit JobRetention(DbConfig config);

    // The retention period as stored (app_settings 'retention_days'), unparsed: the handler decides what
    // an unusable value means. Nothing when it is not set or cannot be read.
    std::optional<QString> retentionDaysSetting() const;
    // The finished jobs completed before `cutoffMs` (UTC ms).
    Result<qint64> countFinishedBefore(qint64 cutoffMs) const;
    // Deletes, in one write transaction, up to `limit` (1 or more) of the finished jobs completed before
    // `cutoffMs`, oldest ids first, with their attempts. The attempts are deleted explicitly, not only
    // by ON DELETE CASCADE, so that their count is exact. Nothing deleted: the batch found none.
    Result<Deleted> deleteFinishedBatch(qint64 cutoffMs, int limit) const;
    // Deletes, in one write transaction, the attempts that finished before `cutoffMs` of finished jobs
    // and of jobs that are gone (on PostgreSQL no foreign key takes them along when someone deletes a
    // job straight from job_queue or job_archive). Returns how many.
    Result<qint64> deleteAttemptsBefore(qint64 cutoffMs) const;

private:
    DbConfig m_config;
};

} // namespace hcm
