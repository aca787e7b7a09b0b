#include "emailsendhandler.h"

#include "common/logcategories.h"

namespace hcm {

HandlerResult EmailSendHandler::run(JobContext &ctx) {
    // SMTP settings arrive with the notifications feature; until then no mail can be delivered, and a
    // retry cannot change that, so the job fails at once.
    qCWarning(lcHandlers) << "email_send: job" << ctx.jobId() << "failed: SMTP is not configured";
    return HandlerResult::failure(
        tr("Email delivery is not configured: set up SMTP in the notification settings first."), false);
}

} // namespace hcm
