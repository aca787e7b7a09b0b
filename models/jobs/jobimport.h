#pragma once

#include "common/clock.h"
#include "common/error.h"
#include "db/dbconfig.h"
#include "jobs/job.h"

#include <QCoreApplication>
#include <QIODevice>
#include <QList>
#include <QString>

#include <array>
#include <memory>

namespace hcm {

// What an import did (or, when `errors` is not empty, why it did nothing).
struct JobImportReport {
    qint64 lines = 0;                               // lines read, blank ones included
    qint64 imported = 0;                            // jobs written (0 when there are errors)
    std::array<qint64, kJobStatusCount> byStatus{}; // imported jobs per status
    QStringList errors;                             // "line 12: unknown status \"done\"", at most kMaxErrors
    qint64 badLines = 0;                            // lines with an error, also those beyond kMaxErrors
    qint64 unreported = 0;                          // lines with an error beyond kMaxErrors
};

// Imports jobs from JSON lines: one job per line, in the shape `hcmctl --json jobs show` prints (the
// elements of `hcmctl --json jobs list`). A company that moves from another system brings its history
// this way; the jobs keep their ids when the lines give them ("job_12" or 12).
//
// All or nothing: every line is checked, and the jobs are written in batches inside one transaction
// that commits only when no line had an error; a bad line (unknown field or status, wrong type, an id
// already in the database or earlier in the input, a line longer than kMaxLineBytes) is reported with
// its number and nothing is written. A line longer than the limit, or kMaxBadLines bad lines, end the
// reading: an endless input that is not job lines (/dev/zero, `yes`) is refused, not read forever.
// Memory stays bounded by one batch, whatever the input's length.
//
// Accepted statuses: queued, completed, failed, cancelled. A "processing" job had a worker of the old
// system: import it as queued (to run again) or as failed. `attempts` (the count) is kept;
// `attempt_history` (from `jobs show --json`) is accepted and ignored: the attempts' rows are not
// imported. A queued job's type must be one this program runs; finished jobs keep any type.
//
// SQLite: the rows go into background_jobs, whose triggers keep job_counts. PostgreSQL: the rows go
// through the view background_jobs (its triggers check ids against both tables, route finished rows to
// job_archive and keep whatever the view keeps); new ids come from the shared sequence job_ids, which is
// moved past the largest imported id (that takes the sequence's UPDATE right: import as the owner).
class JobImport final {
    Q_DECLARE_TR_FUNCTIONS(hcm::JobImport)

public:
    static constexpr qint64 kMaxLineBytes = 1024 * 1024;
    static constexpr int kMaxErrors = 20;     // errors reported
    static constexpr int kMaxBadLines = 1000; // bad lines after which reading stops

    explicit JobImport(DbConfig config, std::shared_ptr<Clock> clock = Clock::system());

    // Reads `in` to its end. A database failure is an Error; bad input is a report with errors.
    // `actor` needs Permission::ImportJobs; its name is created_by for lines that do not name one. The
    // import's audit row (counts per status, not the ids) commits with the jobs.
    Result<JobImportReport> run(QIODevice &in, const Actor &actor);

private:
    DbConfig m_config;
    std::shared_ptr<Clock> m_clock;
};

} // namespace hcm
