#pragma once

#include "worker/jobhandler.h"

#include <QCoreApplication>

namespace hcm {

// notify: delivers one alert (see JobAlerts) to every enabled channel and recipient, logging each
// attempt in notification_deliveries. A retry skips the recipients already reached. Fails (and so is
// retried with backoff) when any delivery failed.
class NotifyHandler final : public JobHandler {
    Q_DECLARE_TR_FUNCTIONS(hcm::NotifyHandler)

public:
    HandlerResult run(JobContext &ctx) override;
};

} // namespace hcm
