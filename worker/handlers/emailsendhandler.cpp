#include "emailsendhandler.h"

#include "common/logcategories.h"
#include "settings/deliverystore.h"
#include "settings/notificationsettingsstore.h"
#include "worker/notify/smtpchannel.h"

#include <QJsonArray>

namespace hcm {

HandlerResult EmailSendHandler::run(JobContext &ctx)
{
    auto settings = NotificationSettingsStore(ctx.env().db, ctx.env().clock).loadForDelivery();
    if (!settings)
        return HandlerResult::failure(settings.error().message, false);
    const SmtpConfig config = SmtpConfig::fromSettings(settings.value());
    if (!config.isConfigured()) {
        qCWarning(lcHandlers) << "email_send: job" << ctx.jobId() << "failed: SMTP is not configured";
        return HandlerResult::failure(JobError::make("email_send.not_configured"), false);
    }
    QStringList to;
    const QJsonValue toValue = ctx.payload().value(QStringLiteral("to"));
    if (toValue.isArray()) {
        for (const QJsonValue &v : toValue.toArray())
            to.append(v.toString());
    } else {
        to.append(toValue.toString());
    }
    const QString subject = ctx.payload().value(QStringLiteral("subject")).toString();
    const QString body = ctx.payload().value(QStringLiteral("body")).toString();

    // A retried job does not send twice to recipients that already got it.
    DeliveryStore deliveries(ctx.env().db, ctx.env().clock);
    if (auto done = deliveries.deliveredBy(ctx.jobId()); done) {
        QStringList left;
        for (const QString &r : std::as_const(to))
            if (!done->contains(QStringLiteral("email|") + r))
                left.append(r);
        to = left;
    }
    if (to.isEmpty())
        return HandlerResult::success(
            QJsonObject{{QStringLiteral("accepted"), QJsonArray()},
                        {QStringLiteral("note"), tr("Every recipient already received it.")}});

    SmtpChannel smtp(config);
    const DeliveryResult r = smtp.send(to, subject, body, [&ctx] { return ctx.isStopRequested(); });
    for (const QString &recipient : std::as_const(to)) {
        DeliveryRecord rec;
        rec.jobId = ctx.jobId();
        rec.channel = QStringLiteral("email");
        rec.recipient = recipient;
        rec.event = QStringLiteral("email");
        rec.delivered = r.ok && r.accepted.contains(recipient);
        rec.providerResponse = r.providerResponse;
        rec.error = rec.delivered
                        ? QString()
                        : (r.error.isEmpty() ? tr("The server did not accept this recipient.") : r.error);
        rec.latencyMs = r.latencyMs;
        rec.createdBy = QStringLiteral("job:%1").arg(ctx.jobId());
        if (auto id = deliveries.log(rec); !id)
            qCWarning(lcHandlers).noquote() << "email_send: cannot log the delivery:" << id.error().message;
    }
    if (!r.ok)
        return HandlerResult::failure(r.error, r.retryable);
    return HandlerResult::success(
        QJsonObject{{QStringLiteral("message_id"), r.messageId},
                    {QStringLiteral("accepted"), QJsonArray::fromStringList(r.accepted)},
                    {QStringLiteral("server_reply"), r.providerResponse}});
}

} // namespace hcm
