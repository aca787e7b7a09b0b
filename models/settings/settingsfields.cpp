// The field table of the notification settings (NotificationSettings::fields()) and what SettingsField
// derives from a row: parsing, text, JSON, SQL values and the checks of one field. About 800 lines on
// purpose: the table (one row per field, some 330 lines) stays whole in one place, next to the code that
// interprets it, so that adding a field is one row here.

#include "notificationsettings.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTimeZone>

#include <limits>

namespace hcm {

namespace {

QString boolText(bool b)
{
    return b ? QStringLiteral("true") : QStringLiteral("false");
}

std::optional<bool> parseBool(const QString &text)
{
    const QString t = text.trimmed().toLower();
    if (t == QLatin1String("true") || t == QLatin1String("yes") || t == QLatin1String("on") ||
        t == QLatin1String("1"))
        return true;
    if (t == QLatin1String("false") || t == QLatin1String("no") || t == QLatin1String("off") ||
        t == QLatin1String("0"))
        return false;
    return std::nullopt;
}

QStringList parseList(const QString &text)
{
    QStringList out;
    const QStringList parts = text.split(QRegularExpression(QStringLiteral("[,;\\s]+")), Qt::SkipEmptyParts);
    for (const QString &p : parts)
        out.append(p.trimmed());
    return out;
}

bool isEmail(const QString &s)
{
    static const QRegularExpression re(
        QStringLiteral("^[^@\\s<>\"(),;:]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                       "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"));
    return re.match(s).hasMatch();
}

bool isE164(const QString &s)
{
    static const QRegularExpression re(QStringLiteral("^\\+[1-9][0-9]{1,14}$"));
    return re.match(s).hasMatch();
}

bool isHostName(const QString &s)
{
    if (s.size() > 253)
        return false;
    // An IPv6 address, with or without brackets: QUrl checks its groups (":::" or "1:2:3" are none).
    if (s.contains(QLatin1Char(':'))) {
        const bool bracketed = s.startsWith(QLatin1Char('[')) && s.endsWith(QLatin1Char(']'));
        QUrl url;
        url.setHost(bracketed ? s.mid(1, s.size() - 2) : s, QUrl::StrictMode);
        return url.isValid() && !url.host().isEmpty();
    }
    // A name or an IPv4 address.
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$"));
    return re.match(s).hasMatch();
}

std::optional<QTime> parseHhMm(const QString &s)
{
    static const QRegularExpression re(QStringLiteral("^([01][0-9]|2[0-3]):[0-5][0-9]$"));
    if (!re.match(s).hasMatch())
        return std::nullopt;
    return QTime::fromString(s, QStringLiteral("HH:mm"));
}

// A time as stored and shown: "22:00"; "" for a null time.
QString hhMm(const QTime &t)
{
    return t.isValid() ? t.toString(QStringLiteral("HH:mm")) : QString();
}

// A value quoted in an error message, cut so that a pasted megabyte does not become the message.
QString quoted(const QString &value)
{
    constexpr int kShown = 80;
    return value.size() <= kShown ? value : value.left(kShown) + QChar(0x2026);
}

// What the address fields say about a value that is not an address.
QString notHostName(const QString &text)
{
    return NotificationSettings::tr("\"%1\" is not a host name or IP address.").arg(text);
}

QString notEmail(const QString &text)
{
    return NotificationSettings::tr("\"%1\" is not an email address.").arg(text);
}

QString notE164(const QString &text)
{
    return NotificationSettings::tr("\"%1\" is not a phone number in E.164 form (+14155550123).").arg(text);
}

using Check = bool (*)(const QString &);
using Problem = QString (*)(const QString &);

// The rule of a field that may stay empty (not used) and is otherwise checked by `valid`: "" or the
// problem.
QString emptyOrValid(const QString &value, Check valid, Problem problem)
{
    return value.isEmpty() || valid(value) ? QString() : problem(value);
}

// The rule of a list field: every entry is checked by `valid`; the problem of the first that is not.
QString allValid(const QStringList &values, Check valid, Problem problem)
{
    for (const QString &v : values)
        if (!valid(v))
            return problem(v);
    return QString();
}

} // namespace

// The field table. One row per field, in form order; everything else about a field is derived from its
// row (see SettingsField). Adding a field: docs/architecture.md, "Adding a notification setting".
const QList<SettingsField> &NotificationSettings::fields()
{
    using N = NotificationSettings;
    using T = SettingsField::Type;
    using S = SettingsField::Section;
    static const QList<SettingsField> table{
        // Email (SMTP)
        {.key = "email_enabled",
         .type = T::Bool,
         .section = S::Email,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Email alerts"),
         .member = &N::emailEnabled,
         .example = "true"},
        {.key = "smtp_host",
         .type = T::Text,
         .section = S::Email,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "SMTP server"),
         .maxLength = 253,
         .member = &N::smtpHost,
         .rule = [](const N &s) { return emptyOrValid(s.smtpHost, isHostName, notHostName); },
         .example = "smtp.example.com"},
        {.key = "smtp_port",
         .type = T::Int,
         .section = S::Email,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "SMTP port"),
         .member = &N::smtpPort,
         .minimum = 1,
         .maximum = 65535,
         .rule =
             [](const N &s) {
                 return s.smtpPort >= 1 && s.smtpPort <= 65535 ? QString()
                                                               : tr("The SMTP port must be from 1 to 65535.");
             },
         .example = "465"},
        {.key = "smtp_security",
         .type = T::Choice,
         .section = S::Email,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "SMTP security"),
         .choices = {{"starttls", QT_TRANSLATE_NOOP("hcm::ui::NotificationsForm", "STARTTLS")},
                     {"tls", QT_TRANSLATE_NOOP("hcm::ui::NotificationsForm", "TLS (implicit)")},
                     {"none", QT_TRANSLATE_NOOP("hcm::ui::NotificationsForm", "None (unencrypted)")}},
         .choiceNames = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "none, starttls or tls"),
         .getChoice = [](const N &s) { return toString(s.smtpSecurity); },
         .setChoice =
             [](N &s, const QString &name) {
                 const auto v = smtpSecurityFromString(name);
                 s.smtpSecurity = v.value_or(s.smtpSecurity);
                 return v.has_value();
             },
         .example = "tls"},
        {.key = "smtp_username",
         .type = T::Text,
         .section = S::Email,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "SMTP user name"),
         .maxLength = 254,
         .member = &N::smtpUsername,
         .example = "mailer"},
        {.key = "smtp_password",
         .type = T::Secret,
         .section = S::Email,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "SMTP password"),
         .maxLength = 1024,
         .member = &N::smtpPassword,
         .example = "pässwörd"},
        {.key = "email_from_address",
         .type = T::Text,
         .section = S::Email,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "From address"),
         .maxLength = 254,
         .member = &N::emailFromAddress,
         .rule = [](const N &s) { return emptyOrValid(s.emailFromAddress, isEmail, notEmail); },
         .example = "hcm@example.com"},
        {.key = "email_from_name",
         .type = T::Text,
         .section = S::Email,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "From name"),
         .maxLength = 200,
         .member = &N::emailFromName,
         .rule =
             [](const N &s) {
                 return s.emailFromName.contains(QLatin1Char('\n')) ||
                                s.emailFromName.contains(QLatin1Char('\r'))
                            ? tr("The sender name must be on one line.")
                            : QString();
             },
         .example = "HCM Ädmin"},
        {.key = "email_reply_to",
         .type = T::Text,
         .section = S::Email,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Reply-to address"),
         .maxLength = 254,
         .member = &N::emailReplyTo,
         .rule = [](const N &s) { return emptyOrValid(s.emailReplyTo, isEmail, notEmail); },
         .example = "ops@example.com"},
        {.key = "email_recipients",
         .type = T::List,
         .section = S::Email,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Admin email recipients"),
         .maxLength = 254,
         .member = &N::emailRecipients,
         .rule = [](const N &s) { return allValid(s.emailRecipients, isEmail, notEmail); },
         .example = "a@example.com,b@example.org"},
        // SMS (Twilio)
        {.key = "sms_enabled",
         .type = T::Bool,
         .section = S::Sms,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "SMS alerts"),
         .member = &N::smsEnabled,
         .example = "true"},
        {.key = "sms_provider",
         .type = T::Text,
         .section = S::Sms,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "SMS provider"),
         .maxLength = 32,
         .member = &N::smsProvider,
         .choices = {{"twilio", QT_TRANSLATE_NOOP("hcm::ui::NotificationsForm", "Twilio")}},
         .rule =
             [](const N &s) {
                 return s.smsProvider == QLatin1String("twilio")
                            ? QString()
                            : tr("The only SMS provider supported is twilio.");
             },
         .example = "twilio"},
        {.key = "twilio_account_sid",
         .type = T::Text,
         .section = S::Sms,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Twilio account SID"),
         .maxLength = 34,
         .member = &N::twilioAccountSid,
         .rule =
             [](const N &s) {
                 static const QRegularExpression sidRe(QStringLiteral("^AC[0-9a-fA-F]{32}$"));
                 return s.twilioAccountSid.isEmpty() || sidRe.match(s.twilioAccountSid).hasMatch()
                            ? QString()
                            : tr("A Twilio account SID is \"AC\" followed by 32 hexadecimal digits.");
             },
         .example = "AC0123456789abcdef0123456789abcdef"},
        {.key = "twilio_auth_token",
         .type = T::Secret,
         .section = S::Sms,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Twilio auth token"),
         .maxLength = 256,
         .member = &N::twilioAuthToken,
         .example = "tok"},
        {.key = "sms_from_number",
         .type = T::Text,
         .section = S::Sms,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "SMS sender number"),
         .maxLength = 16,
         .member = &N::smsFromNumber,
         .rule = [](const N &s) { return emptyOrValid(s.smsFromNumber, isE164, notE164); },
         .example = "+15005550006"},
        {.key = "sms_recipients",
         .type = T::List,
         .section = S::Sms,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "SMS recipients"),
         .maxLength = 16,
         .member = &N::smsRecipients,
         .rule = [](const N &s) { return allValid(s.smsRecipients, isE164, notE164); },
         .example = "+14155550123,+442071838750"},
        {.key = "twilio_base_url",
         .type = T::Text,
         .section = S::Sms,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Twilio API address"),
         .maxLength = 2048,
         .member = &N::twilioBaseUrl,
         .rule = [](const N &s) { return twilioBaseUrlProblem(s.twilioBaseUrl); },
         .example = "https://eu1.api.twilio.com"},
        // Slack (incoming webhook)
        {.key = "slack_enabled",
         .type = T::Bool,
         .section = S::Slack,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Slack alerts"),
         .member = &N::slackEnabled,
         .example = "true"},
        {.key = "slack_webhook_url",
         .type = T::Secret,
         .section = S::Slack,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Slack webhook URL"),
         .maxLength = 2048,
         .member = &N::slackWebhookUrl,
         .rule =
             [](const N &s) {
                 return s.slackWebhookUrl.change == SecretField::Change::Replace
                            ? slackWebhookUrlProblem(s.slackWebhookUrl.replacement)
                            : QString();
             },
         .example = "https://hooks.slack.com/services/T/B/X"},
        {.key = "slack_channel",
         .type = T::Text,
         .section = S::Slack,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Slack channel"),
         .maxLength = 81,
         .member = &N::slackChannel,
         .rule =
             [](const N &s) {
                 static const QRegularExpression channelRe(QStringLiteral("^[#@]?[A-Za-z0-9._-]{1,80}$"));
                 return s.slackChannel.isEmpty() || channelRe.match(s.slackChannel).hasMatch()
                            ? QString()
                            : tr("\"%1\" is not a Slack channel name (#alerts).").arg(s.slackChannel);
             },
         .example = "#alerts"},
        // Events that raise an alert
        {.key = "notify_job_failed",
         .type = T::Bool,
         .section = S::Events,
         .label =
             QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Alert when a job fails after its last retry"),
         .member = &N::notifyJobFailed,
         .example = "false"},
        {.key = "notify_job_succeeded",
         .type = T::Bool,
         .section = S::Events,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Alert when a job succeeds"),
         .member = &N::notifyJobSucceeded,
         .example = "true"},
        {.key = "notify_job_retried",
         .type = T::Bool,
         .section = S::Events,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Alert when a job is retried"),
         .member = &N::notifyJobRetried,
         .example = "true"},
        {.key = "notify_worker_lost",
         .type = T::Bool,
         .section = S::Events,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Alert when a worker is lost"),
         .member = &N::notifyWorkerLost,
         .example = "false"},
        // Quiet hours
        {.key = "quiet_hours_enabled",
         .type = T::Bool,
         .section = S::QuietHours,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Quiet hours"),
         .member = &N::quietHoursEnabled,
         .example = "true"},
        {.key = "quiet_hours_start",
         .type = T::Time,
         .section = S::QuietHours,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Quiet hours start"),
         .maxLength = 5,
         .member = &N::quietHoursStart,
         .example = "21:30"},
        {.key = "quiet_hours_end",
         .type = T::Time,
         .section = S::QuietHours,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Quiet hours end"),
         .maxLength = 5,
         .member = &N::quietHoursEnd,
         .example = "06:15"},
        {.key = "quiet_hours_timezone",
         .type = T::Text,
         .section = S::QuietHours,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Quiet hours time zone"),
         .maxLength = 64,
         .member = &N::quietHoursTimeZone,
         .rule =
             [](const N &s) {
                 return QTimeZone::isTimeZoneIdAvailable(s.quietHoursTimeZone.toUtf8()) &&
                                QTimeZone(s.quietHoursTimeZone.toUtf8()).isValid()
                            ? QString()
                            : tr("\"%1\" is not a known time zone; use an IANA name such as Europe/Berlin.")
                                  .arg(s.quietHoursTimeZone);
             },
         .example = "Europe/Berlin"},
        // Delivery
        {.key = "digest_frequency",
         .type = T::Choice,
         .section = S::Delivery,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Digest"),
         .choices = {{"immediate",
                      QT_TRANSLATE_NOOP("hcm::ui::NotificationsForm", "Immediately, one message per alert")},
                     {"hourly", QT_TRANSLATE_NOOP("hcm::ui::NotificationsForm", "Hourly digest")},
                     {"daily", QT_TRANSLATE_NOOP("hcm::ui::NotificationsForm", "Daily digest")}},
         .choiceNames = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "immediate, hourly or daily"),
         .getChoice = [](const N &s) { return toString(s.digestFrequency); },
         .setChoice =
             [](N &s, const QString &name) {
                 const auto v = digestFromString(name);
                 s.digestFrequency = v.value_or(s.digestFrequency);
                 return v.has_value();
             },
         .example = "hourly"},
        // The file is read where the value is set or changed; a stored value is not checked again at
        // every save (an admin's machine may lack a file that only the workers have), the channels check
        // it before they use it.
        {.key = "tls_ca_file",
         .type = T::Text,
         .section = S::Delivery,
         .label = QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Extra trusted CA certificate file"),
         .maxLength = 4096,
         .member = &N::tlsCaFile,
         .rule =
             [](const N &s) {
                 const bool changed =
                     s.loadedFingerprints.isEmpty() ||
                     s.loadedFingerprints.value(QStringLiteral("tls_ca_file")) != s.tlsCaFile;
                 return s.tlsCaFile.isEmpty() || !changed ? QString() : caFileProblem(s.tlsCaFile);
             },
         .example = ""}, // a PEM file of one's own (the tests make one)
    };
    return table;
}

const SettingsField *NotificationSettings::field(const QString &key)
{
    static const QHash<QString, const SettingsField *> byKey = [] {
        QHash<QString, const SettingsField *> out;
        for (const SettingsField &f : fields())
            out.insert(f.name(), &f);
        return out;
    }();
    return byKey.value(key);
}

const QStringList &NotificationSettings::fieldKeys()
{
    static const QStringList keys = [] {
        QStringList out;
        for (const SettingsField &f : fields())
            out.append(f.name());
        return out;
    }();
    return keys;
}

const QStringList &NotificationSettings::secretKeys()
{
    static const QStringList keys = [] {
        QStringList out;
        for (const SettingsField &f : fields())
            if (f.isSecret())
                out.append(f.name());
        return out;
    }();
    return keys;
}

bool NotificationSettings::isSecretKey(const QString &key)
{
    const SettingsField *f = field(key);
    return f && f->isSecret();
}

bool NotificationSettings::isKnownKey(const QString &key)
{
    return field(key) != nullptr;
}

QString NotificationSettings::fieldLabel(const QString &key)
{
    const SettingsField *f = field(key);
    return f ? f->labelText() : key;
}

int NotificationSettings::maxLength(const QString &key)
{
    const SettingsField *f = field(key);
    return f ? f->maxLength : 0;
}
// --- SettingsField: what each type does ------------------------------------------------------------

QString SettingsField::column() const
{
    return isSecret() ? name() + QStringLiteral("_enc") : name();
}

QString SettingsField::labelText() const
{
    return QCoreApplication::translate("hcm::NotificationSettings", label);
}

SecretField &SettingsField::secret(NotificationSettings &s) const
{
    return s.*std::get<SecretField NotificationSettings::*>(member);
}

const SecretField &SettingsField::secret(const NotificationSettings &s) const
{
    return s.*std::get<SecretField NotificationSettings::*>(member);
}

SettingsValue SettingsField::value(const NotificationSettings &s) const
{
    switch (type) {
    case Type::Bool:
        return s.*std::get<bool NotificationSettings::*>(member);
    case Type::Int:
        return s.*std::get<int NotificationSettings::*>(member);
    case Type::Text:
        return s.*std::get<QString NotificationSettings::*>(member);
    case Type::Choice:
        return getChoice(s);
    case Type::Time:
        return s.*std::get<QTime NotificationSettings::*>(member);
    case Type::List:
        return s.*std::get<QStringList NotificationSettings::*>(member);
    case Type::Secret:
        break;
    }
    return {};
}

void SettingsField::setValue(NotificationSettings &s, const SettingsValue &v) const
{
    switch (type) {
    case Type::Bool:
        s.*std::get<bool NotificationSettings::*>(member) = std::get<bool>(v);
        break;
    case Type::Int:
        s.*std::get<int NotificationSettings::*>(member) = std::get<int>(v);
        break;
    case Type::Text:
        s.*std::get<QString NotificationSettings::*>(member) = std::get<QString>(v);
        break;
    case Type::Choice:
        setChoice(s, std::get<QString>(v));
        break;
    case Type::Time:
        s.*std::get<QTime NotificationSettings::*>(member) = std::get<QTime>(v);
        break;
    case Type::List:
        s.*std::get<QStringList NotificationSettings::*>(member) = std::get<QStringList>(v);
        break;
    case Type::Secret:
        break;
    }
}

QString SettingsField::text(const NotificationSettings &s) const
{
    switch (type) {
    case Type::Bool:
        return boolText(s.*std::get<bool NotificationSettings::*>(member));
    case Type::Int:
        return QString::number(s.*std::get<int NotificationSettings::*>(member));
    case Type::Text:
        return s.*std::get<QString NotificationSettings::*>(member);
    case Type::Choice:
        return getChoice(s);
    case Type::Time:
        return hhMm(s.*std::get<QTime NotificationSettings::*>(member));
    case Type::List:
        return (s.*std::get<QStringList NotificationSettings::*>(member)).join(QLatin1Char(','));
    case Type::Secret:
        return secret(s).willBeSet() ? QStringLiteral("set") : QStringLiteral("unset");
    }
    return {};
}

QString SettingsField::parse(NotificationSettings &s, const QString &text) const
{
    const QString v = text.trimmed();
    switch (type) {
    case Type::Bool: {
        const auto b = parseBool(v);
        if (!b)
            return tr("%1 must be true or false, not \"%2\".").arg(labelText(), quoted(v));
        setValue(s, *b);
        return {};
    }
    case Type::Int: {
        bool ok = false;
        const int n = v.toInt(&ok);
        if (!ok)
            return tr("%1 must be a whole number from %2 to %3, not \"%4\".")
                .arg(labelText())
                .arg(minimum)
                .arg(maximum)
                .arg(quoted(v));
        setValue(s, n);
        return {};
    }
    case Type::Text:
        setValue(s, v);
        return {};
    case Type::Choice:
        if (!setChoice(s, v))
            // The names are the values to type; only the words between them are translated.
            return tr("%1 must be %2, not \"%3\".").arg(labelText(), tr(choiceNames), quoted(v));
        return {};
    case Type::Time: {
        // Checked here (a QTime holds no wrong text), with the messages validate() gives a bad time.
        if (maxLength > 0 && v.size() > maxLength)
            return tr("%1 is %2 characters long; the limit is %3.")
                .arg(labelText())
                .arg(v.size())
                .arg(maxLength);
        const auto t = parseHhMm(v);
        if (!t && !v.isEmpty())
            return timeProblem(v);
        setValue(s, t.value_or(QTime()));
        return {};
    }
    case Type::List:
        setValue(s, parseList(v));
        return {};
    case Type::Secret:
        break;
    }
    return tr("%1 is a secret: it cannot be set from text here.").arg(labelText());
}

QString SettingsField::timeProblem(const QString &text) const
{
    const QTime example = NotificationSettings{}.*std::get<QTime NotificationSettings::*>(member);
    return tr("\"%1\" is not a time of day as HH:mm (%2).").arg(text, hhMm(example));
}

QJsonValue SettingsField::toJson(const NotificationSettings &s) const
{
    switch (type) {
    case Type::Bool:
        return s.*std::get<bool NotificationSettings::*>(member);
    case Type::Int:
        return s.*std::get<int NotificationSettings::*>(member);
    case Type::List:
        return QJsonArray::fromStringList(s.*std::get<QStringList NotificationSettings::*>(member));
    case Type::Text:
    case Type::Choice:
    case Type::Time:
    case Type::Secret:
        break;
    }
    return text(s);
}

QString SettingsField::setJson(NotificationSettings &s, const QJsonValue &v) const
{
    if (isSecret()) {
        SecretField &f = secret(s);
        if (v.isNull() || (v.isString() && v.toString().isEmpty()))
            f.clear();
        else if (v.isString() && v.toString() == QLatin1String("set"))
            ; // what GET shows: keep the stored secret
        else if (v.isString())
            f.replace(v.toString());
        else
            return tr("A secret is written as a string (null or \"\" clears it).");
        return {};
    }
    // The value as its type holds it when the JSON type matches; otherwise as text, parsed as hcmctl
    // parses it ("587" for a port, "true" for a switch).
    if (type == Type::Bool && v.isBool()) {
        setValue(s, v.toBool());
        return {};
    }
    if (type == Type::Int && v.isDouble()) {
        const double d = v.toDouble();
        if (d == double(int(d)) && d >= std::numeric_limits<int>::min() &&
            d <= std::numeric_limits<int>::max()) {
            setValue(s, int(d));
            return {};
        }
    }
    if (type == Type::List && v.isArray()) {
        QStringList entries;
        for (const QJsonValue &e : v.toArray())
            entries.append(parseList(e.toString()));
        setValue(s, entries);
        return {};
    }
    QString text;
    if (v.isBool())
        text = boolText(v.toBool());
    else if (v.isDouble())
        text = QString::number(v.toDouble(), 'g', 17);
    else if (v.isString())
        text = v.toString();
    else if (v.isArray()) {
        QStringList parts;
        for (const QJsonValue &e : v.toArray())
            parts.append(e.toString());
        text = parts.join(QLatin1Char(','));
    } else if (!v.isNull()) {
        return tr("The value has the wrong type.");
    }
    return parse(s, text);
}

QVariant SettingsField::toSql(const NotificationSettings &s) const
{
    switch (type) {
    case Type::Bool:
        return s.*std::get<bool NotificationSettings::*>(member);
    case Type::Int:
        return s.*std::get<int NotificationSettings::*>(member);
    case Type::List:
        return QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(
                                                   s.*std::get<QStringList NotificationSettings::*>(member)))
                                     .toJson(QJsonDocument::Compact));
    case Type::Text:
    case Type::Choice:
    case Type::Time:
        return text(s);
    case Type::Secret:
        break;
    }
    return {};
}

void SettingsField::fromSql(NotificationSettings &s, const QVariant &v) const
{
    switch (type) {
    case Type::Bool:
        setValue(s, v.toBool());
        break;
    case Type::Int:
        setValue(s, v.toInt());
        break;
    case Type::Text:
        setValue(s, v.toString());
        break;
    case Type::Choice:
        setChoice(s, v.toString()); // an unknown name leaves the default
        break;
    case Type::Time:
        setValue(s, parseHhMm(v.toString()).value_or(QTime()));
        break;
    case Type::List: {
        QStringList out;
        const QJsonArray array = QJsonDocument::fromJson(v.toString().toUtf8()).array();
        for (const QJsonValue &item : array)
            out.append(item.toString());
        setValue(s, out);
        break;
    }
    case Type::Secret:
        break;
    }
}

QString SettingsField::check(const NotificationSettings &s) const
{
    switch (type) {
    case Type::Secret: {
        const SecretField &f = secret(s);
        const qsizetype bytes = f.change == SecretField::Change::Replace ? f.replacement.toUtf8().size() : 0;
        if (bytes > maxLength)
            return tr("%1 is %2 bytes long; the limit is %3 bytes.")
                .arg(labelText())
                .arg(bytes)
                .arg(maxLength);
        break;
    }
    case Type::List: {
        const QStringList &list = s.*std::get<QStringList NotificationSettings::*>(member);
        if (list.size() > NotificationSettings::kMaxListEntries)
            return tr("%1 has %2 entries; the limit is %3.")
                .arg(labelText())
                .arg(list.size())
                .arg(NotificationSettings::kMaxListEntries);
        for (const QString &entry : list)
            if (entry.size() > maxLength)
                return tr("An entry of %1 is %2 characters long; the limit is %3.")
                    .arg(labelText())
                    .arg(entry.size())
                    .arg(maxLength);
        break;
    }
    case Type::Time:
        if (!(s.*std::get<QTime NotificationSettings::*>(member)).isValid())
            return timeProblem(QString());
        break;
    case Type::Bool:
    case Type::Int:
    case Type::Text:
    case Type::Choice: {
        const QString t = text(s);
        if (maxLength > 0 && t.size() > maxLength)
            return tr("%1 is %2 characters long; the limit is %3.")
                .arg(labelText())
                .arg(t.size())
                .arg(maxLength);
        break;
    }
    }
    return rule ? rule(s) : QString();
}

} // namespace hcm
