#pragma once

#include "worker/jobhandler.h"

#include <QCoreApplication>

namespace hcm {

// db_optimize. SQLite: ANALYZE, PRAGMA optimize and VACUUM / incremental_vacuum of the database file,
// run outside any transaction. PostgreSQL: VACUUM (ANALYZE) (mode vacuum or incremental) or ANALYZE
// (mode analyze) of every table of the product's schema that the role may maintain, on a connection of
// its own, and with {"reindex": true} REINDEX CONCURRENTLY of the B-tree indexes of at least
// "min_index_bytes" (default 65536) whose estimated bloat reaches "bloat_threshold" (default 0.3).
// Tables the role may not vacuum, or that stay locked longer than "lock_timeout_ms" (default 5000), are
// skipped and listed; the job fails only when no table was done.
class DbOptimizeHandler final : public JobHandler {
    Q_DECLARE_TR_FUNCTIONS(hcm::DbOptimizeHandler)

public:
    HandlerResult run(JobContext &ctx) override;
};

} // namespace hcm
