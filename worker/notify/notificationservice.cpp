#include "notificationservice.h"

#include "auth/auditstore.h"

#include "common/logcategories.h"
#include "settings/notificationsettingsstore.h"
#include "settings/ratelimiter.h"
#include "worker/notify/slackchannel.h"
#include "worker/notify/smtpchannel.h"
#include "worker/notify/twiliochannel.h"

#include <QJsonArray>
#include <QRegularExpression>

namespace hcm {

namespace {

ChannelOptions optionsFor(const NotificationSettings &s, ChannelOptions base)
{
    if (!s.tlsCaFile.isEmpty())
        base.caFile = s.tlsCaFile;
    return base;
}

} // namespace

NotificationService::NotificationService(DbConfig config, std::shared_ptr<Clock> clock,
                                         ChannelOptions options)
    : m_config(std::move(config))
    , m_clock(std::move(clock))
    , m_options(std::move(options))
{}

QString NotificationService::missingSetup(const NotificationSettings &s, NotifyChannel channel)
{
    switch (channel) {
    case NotifyChannel::Email:
        if (s.smtpHost.isEmpty())
            return tr("Email is not set up: the SMTP server is missing.");
        if (s.emailFromAddress.isEmpty())
            return tr("Email is not set up: the from address is missing.");
        return {};
    case NotifyChannel::Sms:
        if (s.twilioAccountSid.isEmpty())
            return tr("SMS is not set up: the Twilio account SID is missing.");
        if (s.twilioAuthToken.value().isEmpty())
            return tr("SMS is not set up: the Twilio auth token is missing.");
        if (s.smsFromNumber.isEmpty())
            return tr("SMS is not set up: the sender number is missing.");
        return {};
    case NotifyChannel::Slack:
        if (s.slackWebhookUrl.value().isEmpty())
            return tr("Slack is not set up: the webhook URL is missing.");
        return {};
    }
    return {};
}

QStringList NotificationService::recipientsOf(const NotificationSettings &s, NotifyChannel channel)
{
    switch (channel) {
    case NotifyChannel::Email:
        return s.emailRecipients;
    case NotifyChannel::Sms:
        return s.smsRecipients;
    case NotifyChannel::Slack:
        return {s.slackChannel.isEmpty() ? QStringLiteral("webhook") : s.slackChannel};
    }
    return {};
}

QList<DeliveryRecord> NotificationService::deliver(const NotificationSettings &s, NotifyChannel channel,
                                                   const QStringList &recipientsIn, const QString &subject,
                                                   const QString &text, const QString &shortText,
                                                   const DeliveryRecord &base,
                                                   const std::function<bool()> &cancelled, bool *retryable)
{
    QList<DeliveryRecord> records;
    DeliveryStore store(m_config, m_clock);
    const ChannelOptions options = optionsFor(s, m_options);
    auto record = [&](const QString &recipient, const DeliveryResult &r, bool delivered) {
        DeliveryRecord rec = base;
        rec.channel = toString(channel);
        rec.recipient = recipient;
        rec.delivered = delivered;
        rec.providerResponse = r.providerResponse;
        rec.error = delivered
                        ? QString()
                        : (r.error.isEmpty() ? tr("The server did not accept this recipient.") : r.error);
        rec.latencyMs = r.latencyMs;
        rec.createdAt = m_clock->nowMs();
        if (auto id = store.log(rec); id)
            rec.id = id.value();
        else
            qCWarning(lcNotify).noquote() << "cannot log a delivery:" << id.error().message;
        if (!delivered && !r.retryable && retryable)
            *retryable = false;
        records.append(rec);
    };
    const QStringList &recipients = recipientsIn;
    switch (channel) {
    case NotifyChannel::Email: {
        SmtpChannel smtp(SmtpConfig::fromSettings(s, options));
        const DeliveryResult r = smtp.send(recipients, subject, text, cancelled);
        for (const QString &to : recipients)
            record(to, r, r.ok && r.accepted.contains(to));
        break;
    }
    case NotifyChannel::Sms: {
        TwilioChannel sms(s.twilioBaseUrl, s.twilioAccountSid, s.twilioAuthToken.value(), s.smsFromNumber,
                          options);
        for (const QString &to : recipients) {
            const DeliveryResult r = sms.send(to, shortText, cancelled);
            record(to, r, r.ok);
        }
        break;
    }
    case NotifyChannel::Slack: {
        SlackChannel slack(s.slackWebhookUrl.value(), s.slackChannel, options);
        const DeliveryResult r = slack.send(text, cancelled);
        record(recipients.value(0, QStringLiteral("webhook")), r, r.ok);
        break;
    }
    }
    return records;
}

Result<QList<DeliveryRecord>> NotificationService::sendTest(NotifyChannel channel, const QString &recipient,
                                                            const Actor &actor,
                                                            const std::optional<NotificationSettings> &draft)
{
    if (auto st = authorizeAndAudit(m_config, actor, Permission::SendTestMessages, QStringLiteral("channel"),
                                    {toString(channel)});
        !st)
        return st.error();
    NotificationSettingsStore settingsStore(m_config, m_clock);
    auto stored = settingsStore.loadForDelivery();
    if (!stored)
        return stored.error();
    NotificationSettings s = stored.value();
    if (draft) {
        const NotificationSettings saved = s;
        s = *draft;
        for (const QString &key : NotificationSettings::secretKeys())
            s.secret(key)->plaintext = saved.secret(key)->plaintext;
    }
    if (const QString missing = missingSetup(s, channel); !missing.isEmpty())
        return Error{Error::Code::Invalid, missing};

    QStringList recipients;
    if (channel == NotifyChannel::Slack) {
        recipients = recipientsOf(s, channel);
    } else if (!recipient.trimmed().isEmpty()) {
        const QString r = recipient.trimmed();
        NotificationSettings probe;
        if (channel == NotifyChannel::Email)
            probe.emailRecipients = {r};
        else
            probe.smsRecipients = {r};
        const auto errors = probe.validate();
        const QString key = channel == NotifyChannel::Email ? QStringLiteral("email_recipients")
                                                            : QStringLiteral("sms_recipients");
        if (errors.contains(key))
            return Error{Error::Code::Invalid, errors.value(key)};
        recipients = {r};
    } else {
        recipients = recipientsOf(s, channel);
    }
    if (recipients.isEmpty()) {
        return Error{Error::Code::Invalid,
                     channel == NotifyChannel::Email
                         ? tr("No recipient: give one, or set the admin email recipients.")
                         : tr("No recipient: give a phone number, or set the SMS recipients.")};
    }

    RateLimiter limiter(m_config, QStringLiteral("notify_test"), kTestSendsPerMinute, 60'000, m_clock);
    if (auto st = limiter.acquire(tr("test messages")); !st)
        return st.error();

    const QString when = isoUtc(m_clock->nowMs());
    const QString subject = tr("HCM Admin test message");
    const QString text =
        tr("This is a test message from HCM Admin, sent by %1 at %2. If you can read it, %3 alerts work.")
            .arg(actor.name, when, toString(channel));
    DeliveryRecord base;
    base.event = QStringLiteral("test");
    base.createdBy = actor.name;
    qCInfo(lcNotify).noquote() << actor.name << "sends a test message on" << toString(channel) << "to"
                               << recipients.size() << "recipients";
    const QList<DeliveryRecord> records = deliver(s, channel, recipients, subject, text, text, base);
    // The audit row: where it went and how it ended (a Slack "recipient" is the channel, never the
    // webhook URL, which is a secret).
    int delivered = 0;
    for (const DeliveryRecord &r : records)
        delivered += r.delivered ? 1 : 0;
    QJsonObject facts{{QStringLiteral("delivered"), delivered},
                      {QStringLiteral("failed"), int(records.size()) - delivered}};
    if (channel != NotifyChannel::Slack)
        facts.insert(QStringLiteral("recipients"), QJsonArray::fromStringList(recipients));
    if (auto st = AuditStore(m_config).record(AuditEntry::of(
            actor, QStringLiteral("settings.test"), QStringLiteral("channel"), {toString(channel)}, facts));
        !st)
        qCWarning(lcNotify).noquote()
            << "the test send could not be written to the audit trail:" << st.error().message;
    return records;
}

} // namespace hcm
