#pragma once

#include "worker/jobhandler.h"

#include <QCoreApplication>

namespace hcm {

// log_rotate: gzip-archives every *.log file of the log folder, truncates it and keeps the newest archives.
class LogRotateHandler final : public JobHandler {
    Q_DECLARE_TR_FUNCTIONS(hcm::LogRotateHandler)

public:
    HandlerResult run(JobContext &ctx) override;
};

} // namespace hcm
