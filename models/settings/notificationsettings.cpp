#include "notificationsettings.h"

#include "common/enumnames.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QTime>
#include <QTimeZone>
#include <QUrl>

namespace hcm {

namespace {

bool isHttpsUrl(const QString &s)
{
    const QUrl url(s, QUrl::StrictMode);
    return url.isValid() && url.scheme() == QLatin1String("https") && !url.host().isEmpty() &&
           url.userInfo().isEmpty();
}

// A value quoted in an error message, cut so that a pasted megabyte does not become the message.
QString quoted(const QString &value)
{
    constexpr int kShown = 80;
    return value.size() <= kShown ? value : value.left(kShown) + QChar(0x2026);
}

// As stored, in enum order.
const char *const kSmtpSecurityNames[] = {"none", "starttls", "tls"};
const char *const kDigestFrequencyNames[] = {"immediate", "hourly", "daily"};
const char *const kNotifyChannelNames[] = {"email", "sms", "slack"};
constexpr EnumNames<SmtpSecurity> kSmtpSecurities{kSmtpSecurityNames};
constexpr EnumNames<DigestFrequency> kDigestFrequencies{kDigestFrequencyNames};
constexpr EnumNames<NotifyChannel> kNotifyChannels{kNotifyChannelNames};

bool isUnder(const QString &host, const QString &domain)
{
    const QString h = host.toLower();
    return h == domain || h.endsWith(QLatin1Char('.') + domain);
}

} // namespace

QString toString(SmtpSecurity security)
{
    return kSmtpSecurities.name(security);
}

std::optional<SmtpSecurity> smtpSecurityFromString(const QString &text)
{
    return kSmtpSecurities.value(text.trimmed());
}

QString toString(DigestFrequency digest)
{
    return kDigestFrequencies.name(digest);
}

std::optional<DigestFrequency> digestFromString(const QString &text)
{
    return kDigestFrequencies.value(text.trimmed());
}

QString toString(NotifyChannel channel)
{
    return kNotifyChannels.name(channel);
}

std::optional<NotifyChannel> notifyChannelFromString(const QString &text)
{
    return kNotifyChannels.value(text.trimmed());
}

bool NotificationSettings::customProviderUrlsAllowed()
{
    return qEnvironmentVariable("HCM_ALLOW_CUSTOM_PROVIDER_URL") == QLatin1String("1");
}

QString NotificationSettings::twilioBaseUrlProblem(const QString &url)
{
    if (!isHttpsUrl(url))
        return tr("The Twilio API address must be an https:// URL.");
    const QString host = QUrl(url, QUrl::StrictMode).host();
    if (!customProviderUrlsAllowed() && !isUnder(host, QStringLiteral("twilio.com")))
        return tr("The Twilio API address must be on a host under twilio.com (https://api.twilio.com), not "
                  "%1: the auth token is sent there. To use another address (a proxy of your own), set "
                  "HCM_ALLOW_CUSTOM_PROVIDER_URL=1 in the environment of the programs that save the "
                  "settings and of every worker.")
            .arg(quoted(host));
    return {};
}

QString NotificationSettings::slackWebhookUrlProblem(const QString &url)
{
    if (!isHttpsUrl(url))
        return tr("The Slack webhook URL must be an https:// URL.");
    const QString host = QUrl(url, QUrl::StrictMode).host().toLower();
    if (!customProviderUrlsAllowed() && host != QLatin1String("hooks.slack.com"))
        return tr(
            "The Slack webhook URL must be a Slack incoming webhook (https://hooks.slack.com/…). To use "
            "another address (a proxy of your own), set HCM_ALLOW_CUSTOM_PROVIDER_URL=1 in the "
            "environment of the programs that save the settings and of every worker.");
    return {};
}

QString NotificationSettings::caFileProblem(const QString &path)
{
    if (!QDir::isAbsolutePath(path))
        return tr("The CA certificate file must be given as an absolute path.");
    const QString shown = QDir::toNativeSeparators(path);
    const QFileInfo info(path);
    if (!info.exists())
        return tr("The CA certificate file %1 does not exist.").arg(shown);
    if (!info.isFile())
        return tr("%1 is not a file: give the PEM file of the CA certificate.").arg(shown);
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return tr("Cannot read the CA certificate file %1: %2.").arg(shown, file.errorString());
    const QByteArray data = file.read(kMaxCaFileBytes + 1);
    if (data.size() > kMaxCaFileBytes)
        return tr("The CA certificate file %1 is larger than %2 KiB; a file of PEM certificates is a few "
                  "KiB.")
            .arg(shown)
            .arg(kMaxCaFileBytes / 1024);
    // The first certificate block must be base64 of a DER SEQUENCE: enough to tell a PEM certificate
    // from a DER file, a private key or some other file; the TLS libraries check the rest.
    static const QByteArray begin("-----BEGIN CERTIFICATE-----");
    static const QByteArray end("-----END CERTIFICATE-----");
    const qsizetype from = data.indexOf(begin);
    const qsizetype to = from < 0 ? -1 : data.indexOf(end, from);
    bool ok = to > from;
    if (ok) {
        QByteArray body = data.mid(from + begin.size(), to - from - begin.size());
        body.replace('\r', "").replace('\n', "").replace(' ', "").replace('\t', "");
        const auto der = QByteArray::fromBase64Encoding(body, QByteArray::AbortOnBase64DecodingErrors);
        ok = der && der.decoded.size() > 16 && der.decoded.at(0) == char(0x30);
    }
    if (!ok)
        return tr("The CA certificate file %1 holds no PEM certificate (a block from \"%2\" to \"%3\").")
            .arg(shown, QString::fromLatin1(begin), QString::fromLatin1(end));
    return {};
}

SecretField *NotificationSettings::secret(const QString &key)
{
    const SettingsField *f = field(key);
    return f && f->isSecret() ? &f->secret(*this) : nullptr;
}

const SecretField *NotificationSettings::secret(const QString &key) const
{
    return const_cast<NotificationSettings *>(this)->secret(key);
}

QString NotificationSettings::text(const QString &key) const
{
    const SettingsField *f = field(key);
    return f ? f->text(*this) : QString();
}

QHash<QString, QString> NotificationSettings::fingerprints() const
{
    QHash<QString, QString> out;
    for (const SettingsField &f : fields())
        if (!f.isSecret())
            out.insert(f.name(), f.text(*this));
    return out;
}

QString NotificationSettings::setText(const QString &key, const QString &value)
{
    const SettingsField *f = field(key);
    if (!f)
        return tr("Unknown setting \"%1\".").arg(quoted(key));
    if (f->isSecret())
        return tr("%1 is a secret: it cannot be set from text here.").arg(fieldLabel(key));
    return f->parse(*this, value);
}

QString NotificationSettings::setJson(const QString &key, const QJsonValue &value)
{
    const SettingsField *f = field(key);
    if (!f)
        return tr("Unknown setting.");
    return f->setJson(*this, value);
}

QMap<QString, QString> NotificationSettings::validate() const
{
    QMap<QString, QString> e;
    auto add = [&](const char *key, const QString &message) {
        if (!e.contains(QLatin1String(key)))
            e.insert(QLatin1String(key), message);
    };

    // Each field on its own: its length first (a value beyond its limit gets that error alone and is never
    // quoted back), then its rule.
    for (const SettingsField &f : fields())
        if (const QString message = f.check(*this); !message.isEmpty())
            add(f.key, message);

    // Rules between fields.
    if (!smtpUsername.isEmpty() && !smtpPassword.willBeSet())
        add("smtp_password", tr("A password is needed with the SMTP user name."));
    // Without TLS, AUTH PLAIN/LOGIN puts the password on the wire as base64: readable by anyone on the
    // path. Only a relay on this machine is exempt (the password never leaves it).
    if (smtpSecurity == SmtpSecurity::None && (!smtpUsername.isEmpty() || smtpPassword.willBeSet()) &&
        !isLoopbackHost(smtpHost)) {
        add("smtp_security",
            smtpHost.isEmpty()
                ? tr("Without encryption the SMTP user name and password would cross the network "
                     "readable by anyone on the way. Choose STARTTLS or TLS, or clear the user name and "
                     "password.")
                : tr("Without encryption the SMTP user name and password would travel to %1 readable by "
                     "anyone on the way. Choose STARTTLS or TLS, or clear the user name and password "
                     "(only a relay on this machine, such as localhost, may be used unencrypted).")
                      .arg(smtpHost));
    }
    if (emailEnabled) {
        if (smtpHost.isEmpty())
            add("smtp_host", tr("Email alerts need an SMTP server."));
        if (emailFromAddress.isEmpty())
            add("email_from_address", tr("Email alerts need a from address."));
        if (emailRecipients.isEmpty())
            add("email_recipients", tr("Email alerts need at least one recipient."));
    }
    if (smsEnabled) {
        if (twilioAccountSid.isEmpty())
            add("twilio_account_sid", tr("SMS alerts need the Twilio account SID."));
        if (!twilioAuthToken.willBeSet())
            add("twilio_auth_token", tr("SMS alerts need the Twilio auth token."));
        if (smsFromNumber.isEmpty())
            add("sms_from_number", tr("SMS alerts need a sender number."));
        if (smsRecipients.isEmpty())
            add("sms_recipients", tr("SMS alerts need at least one recipient."));
    }
    if (slackEnabled && !slackWebhookUrl.willBeSet())
        add("slack_webhook_url", tr("Slack alerts need a webhook URL."));
    if (quietHoursEnabled && quietHoursStart.isValid() && quietHoursEnd.isValid() &&
        quietHoursStart == quietHoursEnd)
        add("quiet_hours_end", tr("Quiet hours must end at a different time than they start."));

    // No channel can work without anything to send to: nothing more to check.
    return e;
}

QJsonObject NotificationSettings::toJson() const
{
    QJsonObject o;
    for (const SettingsField &f : fields())
        o.insert(f.name(), f.toJson(*this));
    o.insert(QStringLiteral("version"), version);
    o.insert(QStringLiteral("updated_by"), updatedBy);
    o.insert(QStringLiteral("updated_at"),
             updatedAt > 0 ? QDateTime::fromMSecsSinceEpoch(updatedAt, Qt::UTC).toString(Qt::ISODateWithMs)
                           : QString());
    return o;
}

qint64 NotificationSettings::quietUntil(qint64 utcMs) const
{
    if (!quietHoursEnabled)
        return 0;
    const QTime &start = quietHoursStart;
    const QTime &end = quietHoursEnd;
    const QTimeZone zone(quietHoursTimeZone.toUtf8());
    if (!start.isValid() || !end.isValid() || !zone.isValid() || start == end)
        return 0;
    const QDateTime local = QDateTime::fromMSecsSinceEpoch(utcMs, zone);
    const QDate today = local.date();
    const QTime now = local.time();
    auto at = [&](const QDate &d, const QTime &t) { return QDateTime(d, t, zone).toMSecsSinceEpoch(); };
    if (start < end) {
        if (now >= start && now < end)
            return at(today, end);
        return 0;
    }
    // The quiet period spans midnight (22:00–07:00).
    if (now >= start)
        return at(today.addDays(1), end);
    if (now < end)
        return at(today, end);
    return 0;
}

QTimeZone NotificationSettings::timeZone() const
{
    const QTimeZone zone(quietHoursTimeZone.toUtf8());
    return zone.isValid() ? zone : QTimeZone::utc();
}

qint64 NotificationSettings::nextDigestAt(qint64 utcMs) const
{
    const QTimeZone zone = timeZone();
    qint64 due = 0;
    switch (digestFrequency) {
    case DigestFrequency::Immediate:
        return 0;
    case DigestFrequency::Hourly: {
        // The first moment after `utcMs` at which the local clock shows a full hour. Offsets in use are
        // whole quarter hours, so it is one of the next quarter hours of UTC, each checked with the offset
        // in force at that moment: Asia/Kolkata (+05:30) gets :30 UTC, Asia/Kathmandu (+05:45) :15, and
        // across a change of offset (daylight saving time, by an hour or, on Lord Howe Island, by half an
        // hour) the clock still shows a full hour, which the offset in force now would miss.
        constexpr qint64 kHour = 3'600'000;
        constexpr qint64 kQuarter = kHour / 4;
        const auto localAt = [&zone](qint64 t) {
            return t + qint64(zone.offsetFromUtc(QDateTime::fromMSecsSinceEpoch(t, Qt::UTC))) * 1000;
        };
        qint64 t = utcMs - (utcMs % kQuarter + kQuarter) % kQuarter + kQuarter;
        for (int i = 0; i < 12 && due == 0; ++i, t += kQuarter) {
            if ((localAt(t) % kHour + kHour) % kHour == 0)
                due = t;
        }
        if (due == 0) {
            // An offset that is no whole quarter hour (local mean time, before 1972): the next full hour
            // with the offset in force now.
            const qint64 offset = localAt(utcMs) - utcMs;
            const qint64 local = utcMs + offset;
            due = local - (local % kHour + kHour) % kHour + kHour - offset;
        }
        break;
    }
    case DigestFrequency::Daily: {
        const QDateTime local = QDateTime::fromMSecsSinceEpoch(utcMs, zone);
        const QTime at(kDailyDigestHour, 0);
        QDateTime candidate(local.date(), at, zone);
        if (candidate.toMSecsSinceEpoch() <= utcMs)
            candidate = QDateTime(local.date().addDays(1), at, zone);
        due = candidate.toMSecsSinceEpoch();
        break;
    }
    }
    // A digest due in quiet hours waits for their end, as single alerts do.
    if (const qint64 until = quietUntil(due); until > 0)
        return until;
    return due;
}

bool NotificationSettings::isLoopbackHost(const QString &host)
{
    QString h = host.trimmed().toLower();
    if (h.startsWith(QLatin1Char('[')) && h.endsWith(QLatin1Char(']')))
        h = h.mid(1, h.size() - 2);
    if (h.endsWith(QLatin1Char('.')))
        h.chop(1);
    if (h == QLatin1String("localhost"))
        return true;
    // 127.0.0.0/8, written as four decimal numbers of at most 255.
    static const QRegularExpression v4(QStringLiteral("^127\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})$"));
    if (const auto m = v4.match(h); m.hasMatch())
        return m.captured(1).toInt() <= 255 && m.captured(2).toInt() <= 255 && m.captured(3).toInt() <= 255;
    // ::1 in any spelling (0:0:0:0:0:0:0:1, ::0001), or 127.0.0.0/8 mapped into IPv6.
    static const QRegularExpression v6(QStringLiteral("^(0{0,4}:){2,7}0{0,3}1$"));
    if (v6.match(h).hasMatch())
        return true;
    static const QRegularExpression mapped(QStringLiteral("^(0{0,4}:){2,5}ffff:(127\\.[0-9.]+)$"));
    if (const auto m = mapped.match(h); m.hasMatch())
        return isLoopbackHost(m.captured(2));
    return false;
}

bool NotificationSettings::isChannelEnabled(NotifyChannel channel) const
{
    switch (channel) {
    case NotifyChannel::Email:
        return emailEnabled;
    case NotifyChannel::Sms:
        return smsEnabled;
    case NotifyChannel::Slack:
        return slackEnabled;
    }
    return false;
}

} // namespace hcm
