#pragma once

#include "worker/jobhandler.h"

#include <QCoreApplication>

namespace hcm {

// email_send: placeholder until SMTP settings exist; fails permanently with a clear message.
class EmailSendHandler final : public JobHandler {
    Q_DECLARE_TR_FUNCTIONS(hcm::EmailSendHandler)

public:
    HandlerResult run(JobContext &ctx) override;
};

} // namespace hcm
