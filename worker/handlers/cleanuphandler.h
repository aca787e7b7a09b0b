#pragma once

#include "worker/jobhandler.h"

#include <QCoreApplication>

namespace hcm {

// cleanup: deletes finished jobs, their attempts and expired cache entries older than the retention period.
class CleanupHandler final : public JobHandler {
    Q_DECLARE_TR_FUNCTIONS(hcm::CleanupHandler)

public:
    HandlerResult run(JobContext &ctx) override;
};

} // namespace hcm
