#include "notifyhandler.h"

#include "common/logcategories.h"
#include "settings/notificationsettingsstore.h"
#include "worker/notify/alert.h"
#include "worker/notify/notificationservice.h"

namespace hcm {

HandlerResult NotifyHandler::run(JobContext &ctx)
{
    auto settings = NotificationSettingsStore(ctx.env().db, ctx.env().clock).loadForDelivery();
    if (!settings)
        return HandlerResult::failure(settings.error().message);
    const NotificationSettings &s = settings.value();
    const Alert alert = Alert::fromPayload(ctx.payload());
    NotificationService service(ctx.env().db, ctx.env().clock);
    DeliveryStore deliveries(ctx.env().db, ctx.env().clock);
    QSet<QString> done;
    if (auto d = deliveries.deliveredBy(ctx.jobId()); d)
        done = d.value();

    DeliveryRecord base;
    base.jobId = ctx.jobId();
    base.sourceJobId = alert.jobId;
    base.event = alert.event;
    base.createdBy = QStringLiteral("job:%1").arg(ctx.jobId());
    int delivered = 0;
    int skipped = 0;
    QStringList failures;
    bool retryable = true;
    for (NotifyChannel channel : {NotifyChannel::Email, NotifyChannel::Sms, NotifyChannel::Slack}) {
        if (!s.isChannelEnabled(channel))
            continue;
        if (ctx.isStopRequested())
            return HandlerResult::failure(tr("Stopped before every channel was tried."));
        if (const QString missing = NotificationService::missingSetup(s, channel); !missing.isEmpty()) {
            failures.append(missing);
            continue;
        }
        QStringList recipients;
        for (const QString &r : NotificationService::recipientsOf(s, channel)) {
            if (done.contains(toString(channel) + QLatin1Char('|') + r))
                ++skipped;
            else
                recipients.append(r);
        }
        if (recipients.isEmpty())
            continue;
        const auto records = service.deliver(
            s, channel, recipients, alert.subject(), alert.text(), alert.shortText(), base,
            [&ctx] { return ctx.isStopRequested(); }, &retryable);
        for (const DeliveryRecord &r : records) {
            if (r.delivered)
                ++delivered;
            else
                failures.append(tr("%1 to %2: %3").arg(r.channel, r.recipient, r.error));
        }
    }
    if (!failures.isEmpty()) {
        // Deliveries that failed for good are not retried forever; the rest get the job's backoff.
        return HandlerResult::failure(tr("%n delivery(s) failed: ", nullptr, int(failures.size())) +
                                          failures.join(QLatin1String("; ")),
                                      retryable);
    }
    return HandlerResult::success(QJsonObject{{QStringLiteral("event"), alert.event},
                                              {QStringLiteral("delivered"), delivered},
                                              {QStringLiteral("already_delivered"), skipped}});
}

} // namespace hcm
