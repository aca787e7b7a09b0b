#pragma once

#include <QCoreApplication>
#include <QHash>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>
#include <QTime>
#include <QTimeZone>
#include <QVariant>

#include <optional>
#include <variant>

namespace hcm {

enum class SmtpSecurity { None, StartTls, Tls };
enum class DigestFrequency { Immediate, Hourly, Daily };
enum class NotifyChannel { Email, Sms, Slack };

QString toString(SmtpSecurity security); // "none", "starttls", "tls" (as stored)
std::optional<SmtpSecurity> smtpSecurityFromString(const QString &text);
QString toString(DigestFrequency digest); // "immediate", "hourly", "daily"
std::optional<DigestFrequency> digestFromString(const QString &text);
QString toString(NotifyChannel channel); // "email", "sms", "slack"
std::optional<NotifyChannel> notifyChannelFromString(const QString &text);

// A write-only secret (SMTP password, Twilio token, Slack webhook URL). What the form sees is only
// whether one is stored; it can replace or clear it. The plaintext is filled in only by
// NotificationSettingsStore::loadForDelivery(), for the channels, and is never shown or logged.
struct SecretField {
    enum class Change { Keep, Replace, Clear };

    bool isSet = false; // a value is stored (as loaded)
    Change change = Change::Keep;
    QString replacement; // the new plaintext, with Change::Replace
    QString plaintext;   // the stored plaintext, only after loadForDelivery()

    void replace(const QString &value)
    {
        change = Change::Replace;
        replacement = value;
    }
    void clear()
    {
        change = Change::Clear;
        replacement.clear();
    }
    // Whether a value will be stored after saving.
    bool willBeSet() const
    {
        return change == Change::Replace ? !replacement.isEmpty() : change == Change::Keep && isSet;
    }
    // The value the channels use: the replacement when one is pending, else the decrypted one.
    QString value() const
    {
        return change == Change::Replace ? replacement : change == Change::Clear ? QString() : plaintext;
    }
};

struct SettingsField;

// The organisation-wide notification settings: one row of notification_settings. A plain value: the
// GUI form edits a copy and hands it to NotificationSettingsStore::save() with the version it loaded.
//
// Every field has a key (the column name without the _enc suffix of secrets), used for field-keyed
// validation errors, for conflict reports and by `hcmctl settings set KEY=VALUE`.
struct NotificationSettings {
    Q_DECLARE_TR_FUNCTIONS(hcm::NotificationSettings)

public:
    int version = 0; // 0: never loaded

    // Email (SMTP)
    bool emailEnabled = false;
    QString smtpHost;
    int smtpPort = 587;
    SmtpSecurity smtpSecurity = SmtpSecurity::StartTls;
    QString smtpUsername;
    SecretField smtpPassword;
    QString emailFromAddress;
    QString emailFromName;
    QString emailReplyTo;
    QStringList emailRecipients; // admin recipients of alerts

    // SMS (Twilio)
    bool smsEnabled = false;
    QString smsProvider = QStringLiteral("twilio");
    QString twilioAccountSid;
    SecretField twilioAuthToken;
    QString smsFromNumber;     // E.164
    QStringList smsRecipients; // E.164
    QString twilioBaseUrl = QStringLiteral("https://api.twilio.com");

    // Slack (incoming webhook)
    bool slackEnabled = false;
    SecretField slackWebhookUrl;
    QString slackChannel;

    // Events that raise an alert
    bool notifyJobFailed = true; // failed after its last retry
    bool notifyJobSucceeded = false;
    bool notifyJobRetried = false;
    bool notifyWorkerLost = true;

    // Quiet hours delay alerts to their end; they never drop them.
    bool quietHoursEnabled = false;
    QTime quietHoursStart = QTime(22, 0);               // stored as HH:mm; null when no valid time was given
    QTime quietHoursEnd = QTime(7, 0);                  // before start: the period spans midnight
    QString quietHoursTimeZone = QStringLiteral("UTC"); // IANA id

    DigestFrequency digestFrequency = DigestFrequency::Immediate;
    // An extra CA certificate file (PEM) trusted for SMTP and HTTPS besides the system's: for private CAs.
    // Verification stays on.
    QString tlsCaFile;

    QString updatedBy;
    qint64 updatedAt = 0;

    // Fingerprints of every field as loaded (set by the store): a save that meets a newer version reports
    // the fields that changed since then. Empty for a value that was not loaded.
    QHash<QString, QString> loadedFingerprints;

    // Every field, in form order: the one table that parsing, validation, storage, JSON and the form's
    // binding are derived from (see SettingsField below and docs/architecture.md).
    static const QList<SettingsField> &fields();
    // The field with `key`; nullptr for an unknown key.
    static const SettingsField *field(const QString &key);
    // Every field key, in form order, and the secret keys among them.
    static const QStringList &fieldKeys();
    static const QStringList &secretKeys();
    static bool isSecretKey(const QString &key);
    static bool isKnownKey(const QString &key);
    // A field's name for people ("SMTP port").
    static QString fieldLabel(const QString &key);

    // The longest value a field takes: characters of a text field, characters of each entry of a list
    // (email_recipients, sms_recipients), bytes (UTF-8) of a secret; 0 for a field that is no free text
    // (a switch, a number, a choice). validate() enforces them, so every writer (the form, hcmctl, the
    // store) does; readers of untrusted input (hcmctl's standard input) stop reading beyond them.
    static int maxLength(const QString &key);
    // The most entries a recipient list holds.
    static constexpr int kMaxListEntries = 50;
    // The largest extra CA certificate file read (a few PEM certificates are a few KiB).
    static constexpr qint64 kMaxCaFileBytes = 1024 * 1024;

    SecretField *secret(const QString &key);
    const SecretField *secret(const QString &key) const;

    // A field as text ("true", "587", "a@x.org,b@x.org"); a secret as "set" or "unset".
    QString text(const QString &key) const;
    // Sets a non-secret field from text as a person types it; returns an error sentence or "".
    QString setText(const QString &key, const QString &text);
    // Sets a field from a JSON value as the HTTP API receives it (a secret: a string replaces it, null or
    // "" clears it, "set" keeps it); returns an error sentence or "".
    QString setJson(const QString &key, const QJsonValue &value);

    // Field-keyed errors (empty: valid). Checks formats, what an enabled channel needs, and that SMTP
    // credentials never travel unencrypted to another machine (smtp_security "none" with a user name or
    // password is refused unless the server is a loopback address).
    QMap<QString, QString> validate() const;

    // Everything but secret values: secrets appear as "set" / "unset". The shape of `hcmctl settings
    // show --json` and of GET /api/system/notification-settings.
    QJsonObject toJson() const;

    // What the store compares to find conflicting fields: the field's text, or for a secret a digest
    // of its stored ciphertext (set by the store).
    QHash<QString, QString> fingerprints() const;

    // Quiet hours: the end of the quiet period containing `utcMs`, or 0 when `utcMs` is not quiet
    // (or quiet hours are disabled or invalid).
    qint64 quietUntil(qint64 utcMs) const;

    // The time zone of quiet hours and digests (quietHoursTimeZone; UTC when it is not valid).
    QTimeZone timeZone() const;
    // Daily digests go out at this hour of the day, in timeZone().
    static constexpr int kDailyDigestHour = 8;
    // When the digest that collects an alert raised at `utcMs` goes out: the top of the next hour
    // (hourly) or the next 08:00 (daily), strictly after `utcMs`, in timeZone(); moved to the end of
    // quiet hours when it falls into them. 0 with DigestFrequency::Immediate.
    qint64 nextDigestAt(qint64 utcMs) const;

    bool isChannelEnabled(NotifyChannel channel) const;

    // Whether `host` is this machine by its literal form: localhost, 127.0.0.0/8 or ::1 (no name
    // lookup). Only there may SMTP credentials travel without TLS.
    static bool isLoopbackHost(const QString &host);

    // Provider addresses. The Twilio auth token goes to twilio_base_url and the alerts to the Slack
    // webhook, so both must be https:// and belong to the provider (a host under twilio.com;
    // hooks.slack.com), unless HCM_ALLOW_CUSTOM_PROVIDER_URL=1 is set in the environment of the program
    // (for a stand-in in tests, or a proxy of one's own). validate() checks them when saving and the
    // channels again before sending, each in its own process.
    static bool customProviderUrlsAllowed();
    // Why `url` may not be used as the Twilio API address; empty when it may.
    static QString twilioBaseUrlProblem(const QString &url);
    // Why `url` may not be used as the Slack webhook; empty when it may. Never quotes the URL (a secret).
    static QString slackWebhookUrlProblem(const QString &url);
    // Why `path` is not a usable extra CA file (absolute, a readable file of at most kMaxCaFileBytes
    // holding at least one PEM certificate); empty when it is. Reads the file.
    static QString caFileProblem(const QString &path);
};

// A field's value as its type holds it: Bool, Int, Text and Choice (the stored name, "starttls"), Time,
// List. Secrets have none (SecretField).
using SettingsValue = std::variant<bool, int, QString, QTime, QStringList>;

// One row of the field table (NotificationSettings::fields()). Everything that reads or writes a field
// goes through its row: parse() and text() (hcmctl, conflicts, the audit diff), toJson() and setJson()
// (hcmctl --json, the HTTP API), toSql() and fromSql() (the store), value() and setValue() (the form's
// editors), check() (validation of the field on its own; rules between fields are in validate()).
struct SettingsField {
    Q_DECLARE_TR_FUNCTIONS(hcm::NotificationSettings)

public:
    enum class Type { Bool, Int, Text, Choice, Time, List, Secret };
    // The group of the settings form the field belongs to.
    enum class Section { Email, Sms, Slack, Events, QuietHours, Delivery };
    // One choice of a Choice field: its stored name ("starttls") and its text in the form.
    struct Choice {
        const char *name;
        const char *text; // QT_TRANSLATE_NOOP("hcm::ui::NotificationsForm", …)
    };
    using Member = std::variant<bool NotificationSettings::*, int NotificationSettings::*,
                                QString NotificationSettings::*, QTime NotificationSettings::*,
                                QStringList NotificationSettings::*, SecretField NotificationSettings::*>;

    const char *key; // the column (secrets: key + "_enc"), the JSON name, hcmctl's KEY
    Type type;
    Section section;
    const char *label; // QT_TRANSLATE_NOOP("hcm::NotificationSettings", …): errors, hcmctl, the form
    // The longest value: characters of a text field, of each entry of a list, bytes (UTF-8) of a secret;
    // 0: not free text (a switch, a number, a choice).
    int maxLength = 0;
    Member member{};
    // Int fields: the range parse() names when the text is no whole number.
    int minimum = 0;
    int maximum = 0;
    // Choice fields (their members are enums): the choices in form order, the names as error messages
    // list them, and the enum through its stored name (setChoice: false for an unknown name).
    QList<Choice> choices{};
    const char *choiceNames = "";
    QString (*getChoice)(const NotificationSettings &) = nullptr;
    bool (*setChoice)(NotificationSettings &, const QString &) = nullptr;
    // The field's own rule (nullptr: none): an error sentence or "". Runs after the length checks.
    QString (*rule)(const NotificationSettings &) = nullptr;
    // A valid value other than the default, as text (for secrets the plaintext): documentation, and
    // the tests that take every field through storage, JSON and the form.
    const char *example = "";

    QString name() const { return QLatin1String(key); }
    QString column() const;
    QString labelText() const;
    bool isSecret() const { return type == Type::Secret; }

    SettingsValue value(const NotificationSettings &s) const;
    void setValue(NotificationSettings &s, const SettingsValue &v) const;
    QString text(const NotificationSettings &s) const;
    QString parse(NotificationSettings &s, const QString &text) const;
    QJsonValue toJson(const NotificationSettings &s) const;
    QString setJson(NotificationSettings &s, const QJsonValue &v) const;
    QVariant toSql(const NotificationSettings &s) const;
    void fromSql(NotificationSettings &s, const QVariant &v) const;
    // Length limits, then rule().
    QString check(const NotificationSettings &s) const;

    SecretField &secret(NotificationSettings &s) const;
    const SecretField &secret(const NotificationSettings &s) const;

private:
    // `text` is not a time of day (Time fields).
    QString timeProblem(const QString &text) const;
};

} // namespace hcm
