#pragma once

#include "worker/jobhandler.h"

#include <QCoreApplication>

namespace hcm {

// email_send: delivers {to, subject, body} through the SMTP server of the notification settings.
// Result: message_id, accepted (recipients the server took) and server_reply (its final answer).
// Without SMTP set up, the job fails at once (a retry cannot help).
class EmailSendHandler final : public JobHandler {
    Q_DECLARE_TR_FUNCTIONS(hcm::EmailSendHandler)

public:
    HandlerResult run(JobContext &ctx) override;
};

} // namespace hcm
