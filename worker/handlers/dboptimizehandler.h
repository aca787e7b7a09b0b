#pragma once

#include "worker/jobhandler.h"

#include <QCoreApplication>

namespace hcm {

// db_optimize: ANALYZE, PRAGMA optimize and VACUUM / incremental_vacuum of the SQLite database, run outside
// any transaction.
class DbOptimizeHandler final : public JobHandler {
    Q_DECLARE_TR_FUNCTIONS(hcm::DbOptimizeHandler)

public:
    HandlerResult run(JobContext &ctx) override;
};

} // namespace hcm
