#pragma once

#include "worker/jobhandler.h"

#include <QCoreApplication>

namespace hcm {

// cache_flush: clears the application cache folder and the cache_entries table ("full" or "expired").
class CacheFlushHandler final : public JobHandler {
    Q_DECLARE_TR_FUNCTIONS(hcm::CacheFlushHandler)

public:
    HandlerResult run(JobContext &ctx) override;
};

} // namespace hcm
