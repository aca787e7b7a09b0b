// Notification settings: the value type's validation, the store (round trip, optimistic concurrency,
// secrets encrypted with libsodium, wrong or missing keys), the delivery log, quiet hours, and the
// hcmctl settings commands (the real binary).
// Over 800 lines on purpose: one suite per component, so that its shared fixtures (databases of both
// backends, servers, processes) are set up once; each test function is self-contained.

#include "testutil.h"

#include "auth/auditstore.h"
#include "db/database.h"
#include "jobs/jobservice.h"
#include "settings/deliverystore.h"
#include "settings/notificationsettingsstore.h"
#include "settings/ratelimiter.h"
#include "settings/secretbox.h"

#include <QDateTime>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMutex>
#include <QProcess>
#include <QScopeGuard>
#include <QSqlQuery>
#include <QTimeZone>
#include <QtTest>

#include <atomic>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

using namespace hcm;

namespace {

const Actor kAlice = test::adminActor(QStringLiteral("alice"));
const Actor kBob = test::adminActor(QStringLiteral("bob"));

// QVERIFY2 evaluates its message even on success: never call error() on a good Result there.
template<typename T> QByteArray why(const Result<T> &r)
{
    return r ? QByteArray("ok") : r.error().message.toUtf8();
}

// A new key file at `path` (random key, mode 0600).
QString writeKeyFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return {};
    f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    f.write(SecretBox::generateKeyText().toLatin1() + '\n');
    return path;
}

// The stored ciphertext columns, to check that a refused call changed none of them.
QString secretColumns(const DbConfig &config)
{
    auto db = Database::connection(config);
    QSqlQuery q(db.value());
    if (!q.exec(
            QStringLiteral("SELECT version, smtp_password_enc, twilio_auth_token_enc, slack_webhook_url_enc "
                           "FROM notification_settings WHERE id = 1")) ||
        !q.next())
        return QStringLiteral("unreadable");
    return QStringList{q.value(0).toString(), q.value(1).toString(), q.value(2).toString(),
                       q.value(3).toString()}
        .join(QLatin1Char('|'));
}

// A real CA certificate in `dir` (ca.pem, its key ca.key), made by the openssl CLI; "" when that failed.
QString makeCaCertificate(const QTemporaryDir &dir)
{
    const QString cert = dir.filePath(QStringLiteral("ca.pem"));
    QProcess openssl;
    openssl.start(QStringLiteral("openssl"),
                  {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                   QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                   QStringLiteral("ec_paramgen_curve:P-256"), QStringLiteral("-nodes"),
                   QStringLiteral("-keyout"), dir.filePath(QStringLiteral("ca.key")), QStringLiteral("-out"),
                   cert, QStringLiteral("-subj"), QStringLiteral("/CN=hcm test CA"), QStringLiteral("-days"),
                   QStringLiteral("2")});
    return openssl.waitForFinished(60000) && openssl.exitCode() == 0 ? cert : QString();
}

// Sets every field of the table in `s` to its example (tls_ca_file: `caFile`, a real certificate), a
// secret as a replacement; "" or the first field that refused its example, with the reason.
QString setEveryFieldToItsExample(NotificationSettings &s, const QString &caFile)
{
    for (const SettingsField &f : NotificationSettings::fields()) {
        const QString example =
            f.name() == QLatin1String("tls_ca_file") ? caFile : QString::fromUtf8(f.example);
        if (f.isSecret())
            f.secret(s).replace(example);
        else if (const QString problem = f.parse(s, example); !problem.isEmpty())
            return f.name() + QStringLiteral(": ") + problem;
    }
    return {};
}

qint64 utc(const char *iso)
{
    return QDateTime::fromString(QString::fromLatin1(iso), Qt::ISODate).toMSecsSinceEpoch();
}

} // namespace

class TestSettings : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void defaultsAndRoundTrip();
    void everyFieldRoundTrips_data();
    void everyFieldRoundTrips();
    void validation_data();
    void validation();
    void concurrentSaveConflict();
    void secretsKeepReplaceClear();
    void keyFileCreatedPrivate();
    void wrongOrMissingKey();
    void keyFromEnvironment();
    void secretNeedsTheStoredKey_data();
    void secretNeedsTheStoredKey();
    void rekey_data();
    void rekey();
    void lengthLimits_data();
    void lengthLimits();
    void providerAddresses();
    void caFile();
    void quietUntil_data();
    void quietUntil();
    void nextDigestAt_data();
    void nextDigestAt();
    void deliveriesForJob();
    void notifyPayloadValidation_data();
    void notifyPayloadValidation();
    void hcmctlSettings();
    void rateLimiterRace_data();
    void rateLimiterRace();

private:
    using Ctl = test::ProgramRun;
    // hcmctl on the test database; the environment carries HCM_SECRET_KEY_FILE.
    Ctl ctl(const QStringList &args, const QByteArray &input = {});

    std::unique_ptr<test::TempDatabase> m_db;
    std::unique_ptr<QTemporaryDir> m_keyDir;
};

void TestSettings::init()
{
    m_db = std::make_unique<test::TempDatabase>();
    QVERIFY(m_db->isValid());
    m_keyDir = std::make_unique<QTemporaryDir>();
    qputenv("HCM_SECRET_KEY_FILE", QFile::encodeName(m_keyDir->filePath(QStringLiteral("secret.key"))));
    qunsetenv("HCM_SECRET_KEY");
}

void TestSettings::cleanup()
{
    m_db.reset();
    m_keyDir.reset();
}

TestSettings::Ctl TestSettings::ctl(const QStringList &args, const QByteArray &input)
{
    return test::runHcmctl(*m_db, args, input);
}

void TestSettings::defaultsAndRoundTrip()
{
    NotificationSettingsStore store(m_db->config());
    auto loaded = store.load();
    QVERIFY2(loaded, why(loaded).constData());
    NotificationSettings s = loaded.value();
    QCOMPARE(s.version, 1);
    QVERIFY(!s.emailEnabled && !s.smsEnabled && !s.slackEnabled);
    QVERIFY(s.notifyJobFailed && s.notifyWorkerLost);
    QCOMPARE(s.smtpPort, 587);
    QVERIFY(!s.smtpPassword.isSet);

    // Every field away from its default: the field table's examples (smtp_port 465, smtp_password
    // "pässwörd", twilio_auth_token "tok", …).
    QTemporaryDir dir;
    const QString ca = makeCaCertificate(dir);
    QVERIFY(!ca.isEmpty());
    QCOMPARE(setEveryFieldToItsExample(s, ca), QString());
    const SettingsSaveResult r = store.save(s, s.version, kAlice);
    QVERIFY2(r.ok, qPrintable(r.error.message));
    QCOMPARE(r.version, 2);

    auto again = store.load();
    QVERIFY(again);
    const NotificationSettings &t = again.value();
    QCOMPARE(t.version, 2);
    QCOMPARE(t.updatedBy, kAlice.name);
    QVERIFY(t.updatedAt > 0);
    for (const QString &key : NotificationSettings::fieldKeys())
        QCOMPARE(t.text(key), s.text(key));
    QVERIFY(t.smtpPassword.isSet && t.twilioAuthToken.isSet && t.slackWebhookUrl.isSet);
    QVERIFY(t.smtpPassword.plaintext.isEmpty()); // load() never decrypts

    auto full = store.loadForDelivery();
    QVERIFY2(full, why(full).constData());
    QCOMPARE(full->smtpPassword.value(), QStringLiteral("pässwörd"));
    QCOMPARE(full->twilioAuthToken.value(), QStringLiteral("tok"));
    QCOMPARE(full->slackWebhookUrl.value(), QStringLiteral("https://hooks.slack.com/services/T/B/X"));
    const QJsonObject json = t.toJson();
    QCOMPARE(json.value(QLatin1String("smtp_password")).toString(), QStringLiteral("set"));
    QCOMPARE(json.value(QLatin1String("smtp_port")).toInt(), 465);
}

// The field table drives everything: every field of it, set to its example, goes through the store (with
// its secrets encrypted), the audit diff, the JSON of hcmctl and the HTTP API, and text as hcmctl takes
// it, and comes back the same. None keeps its default, so a field that some path forgot fails here.
void TestSettings::everyFieldRoundTrips_data()
{
    test::addBackendRows();
}

void TestSettings::everyFieldRoundTrips()
{
    HCM_TEMP_DATABASE_OF_ROW(db);
    QTemporaryDir dir;
    const QString ca = makeCaCertificate(dir);
    QVERIFY(!ca.isEmpty());
    NotificationSettingsStore store(db.config());
    const NotificationSettings defaults = store.load().value();
    NotificationSettings s = defaults;
    QSet<QString> keys;
    QSet<QString> labels;
    for (const SettingsField &f : NotificationSettings::fields()) {
        // The row is whole: a unique key and label, a member of its type, choices for a choice.
        QVERIFY2(!keys.contains(f.name()) && !labels.contains(f.labelText()), f.key);
        keys.insert(f.name());
        labels.insert(f.labelText());
        QVERIFY2(!f.labelText().isEmpty(), f.key);
        QCOMPARE(NotificationSettings::field(f.name()), &f);
        using T = SettingsField::Type;
        const std::size_t memberType[] = {0, 1, 2, 0, 3, 4, 5}; // Type → the alternative of Member
        if (f.type == T::Choice)
            QVERIFY2(!f.choices.isEmpty() && f.getChoice && f.setChoice, f.key);
        else
            QVERIFY2(f.member.index() == memberType[int(f.type)], f.key);
    }
    QCOMPARE(setEveryFieldToItsExample(s, ca), QString());
    // Every field left its default, but a secret (its text is "unset" until saved) and a field with one
    // valid value.
    for (const SettingsField &f : NotificationSettings::fields())
        QVERIFY2(f.text(s) != f.text(defaults) || f.isSecret() || f.choices.size() == 1, f.key);
    const QMap<QString, QString> invalid = s.validate();
    QVERIFY2(invalid.isEmpty(), qPrintable(invalid.keys().join(QLatin1Char(','))));
    const SettingsSaveResult r = store.save(s, s.version, kAlice);
    QVERIFY2(r.ok, qPrintable(r.error.message));

    auto stored = store.load();
    auto delivered = store.loadForDelivery();
    QVERIFY2(stored && delivered, why(delivered).constData());
    const QJsonObject json = stored->toJson();
    const Ctl show =
        test::runHcmctl(db, {QStringLiteral("--json"), QStringLiteral("settings"), QStringLiteral("show")});
    QVERIFY2(show.code == 0, show.describe().constData());
    const QJsonObject shown = show.json().object();
    AuditFilter writes;
    writes.action = QStringLiteral("settings.write");
    auto audited = AuditStore(db.config()).list(writes);
    QVERIFY(audited && !audited->isEmpty());
    const QJsonObject diff = audited->first().diff;
    QCOMPARE(audited->first().action, QStringLiteral("settings.write"));
    QCOMPARE(json.size(), NotificationSettings::fields().size() + 3); // and version, updated_by, updated_at
    for (const SettingsField &f : NotificationSettings::fields()) {
        const QString key = f.name();
        // Storage: the value, or for a secret its plaintext through the encryption.
        QCOMPARE(stored->text(key), s.text(key));
        if (f.isSecret()) {
            QCOMPARE(stored->text(key), QStringLiteral("set"));
            QCOMPARE(delivered->secret(key)->value(), s.secret(key)->replacement);
            QCOMPARE(diff.value(key).toString(), QStringLiteral("changed"));
        } else if (s.text(key) == defaults.text(key)) {
            QVERIFY(!diff.contains(key)); // the field with one valid value
        } else {
            QCOMPARE(diff.value(key).toObject(), (QJsonObject{{QStringLiteral("old"), defaults.text(key)},
                                                              {QStringLiteral("new"), s.text(key)}}));
        }
        // JSON: hcmctl shows what the value gives; the API's PUT reads it back (a secret "set" keeps it).
        QVERIFY2(json.contains(key), f.key);
        QCOMPARE(shown.value(key), json.value(key));
        NotificationSettings fromJson = f.isSecret() ? stored.value() : defaults;
        QCOMPARE(fromJson.setJson(key, json.value(key)), QString());
        QCOMPARE(fromJson.text(key), s.text(key));
        if (f.isSecret()) {
            QCOMPARE(fromJson.setJson(key, QJsonValue()), QString()); // null clears a secret
            QCOMPARE(fromJson.text(key), QStringLiteral("unset"));
        }
        // Text, as hcmctl settings set takes it.
        if (!f.isSecret()) {
            NotificationSettings fromText = defaults;
            QCOMPARE(fromText.setText(key, s.text(key)), QString());
            QCOMPARE(fromText.text(key), s.text(key));
        }
    }
}

void TestSettings::validation_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::addColumn<bool>("valid");
    // Set before `key`: other fields ("smtp_host=…;smtp_username=…") and a new SMTP password.
    QTest::addColumn<QString>("others");
    QTest::addColumn<bool>("password");
    auto row = [](const char *name, const char *key, const char *value, bool valid, const char *others = "",
                  bool password = false) {
        QTest::newRow(name) << QString::fromLatin1(key) << QString::fromUtf8(value) << valid
                            << QString::fromUtf8(others) << password;
    };
    row("port ok", "smtp_port", "465", true);
    row("port 0", "smtp_port", "0", false);
    row("port 65536", "smtp_port", "65536", false);
    row("port 65535", "smtp_port", "65535", true);
    row("from ok", "email_from_address", "hcm@example.com", true);
    row("from no at", "email_from_address", "hcm.example.com", false);
    row("from no domain dot", "email_from_address", "hcm@localhost", false);
    row("reply-to bad", "email_reply_to", "a b@example.com", false);
    row("recipients ok", "email_recipients", "a@example.com, b@example.org", true);
    row("recipients one bad", "email_recipients", "a@example.com,nope", false);
    row("sms from e164", "sms_from_number", "+14155550123", true);
    row("sms from no plus", "sms_from_number", "14155550123", false);
    row("sms from leading zero", "sms_from_number", "+04155550123", false);
    row("sms from too long", "sms_from_number", "+1234567890123456", false);
    row("sms recipients bad", "sms_recipients", "+14155550123,555-1234", false);
    row("sid ok", "twilio_account_sid", "AC0123456789abcdef0123456789abcdef", true);
    row("sid bad", "twilio_account_sid", "XY123", false);
    row("twilio base http", "twilio_base_url", "http://api.twilio.com", false);
    row("twilio base https", "twilio_base_url", "https://api.twilio.com", true);
    row("twilio base not twilio", "twilio_base_url", "https://127.0.0.1:8443", false);
    row("quiet start ok", "quiet_hours_start", "23:59", true);
    row("quiet start 24h", "quiet_hours_start", "24:00", false);
    row("quiet start no colon", "quiet_hours_start", "2200", false);
    row("quiet end 7:00", "quiet_hours_end", "7:00", false);
    row("zone ok", "quiet_hours_timezone", "America/New_York", true);
    row("zone bad", "quiet_hours_timezone", "Mars/Olympus", false);
    row("slack channel ok", "slack_channel", "#ops-alerts", true);
    row("slack channel bad", "slack_channel", "two words", false);
    row("smtp host bad", "smtp_host", "smtp example.com", false);
    row("ca file relative", "tls_ca_file", "certs/ca.pem", false);
    row("smtp host ipv6", "smtp_host", "2001:db8::25", true);
    row("smtp host ipv6 bracketed", "smtp_host", "[2001:db8::25]", true);
    row("smtp host ipv6 mapped", "smtp_host", "::ffff:192.0.2.25", true);
    row("smtp host colons only", "smtp_host", ":::", false);
    row("smtp host too few groups", "smtp_host", "1:2:3", false);
    row("smtp host ipv6 bad digit", "smtp_host", "[2001:db8::zz]", false);
    row("smtp host with a port", "smtp_host", "mail.example.com:587", false);

    // SMTP credentials never cross the network unencrypted; a relay on this machine may do without TLS.
    const char *remote = "smtp_host=mail.example.com;smtp_username=mailer";
    row("none with credentials", "smtp_security", "none", false, remote, true);
    row("none with password only", "smtp_security", "none", false, "smtp_host=mail.example.com", true);
    row("none with credentials, no host", "smtp_security", "none", false, "smtp_username=mailer", true);
    row("none without credentials", "smtp_security", "none", true, "smtp_host=mail.example.com");
    row("starttls with credentials", "smtp_security", "starttls", true, remote, true);
    row("tls with credentials", "smtp_security", "tls", true, remote, true);
    row("none to localhost", "smtp_security", "none", true, "smtp_host=localhost;smtp_username=mailer", true);
    row("none to LocalHost", "smtp_security", "none", true, "smtp_host=LocalHost;smtp_username=u", true);
    row("none to 127.0.0.1", "smtp_security", "none", true, "smtp_host=127.0.0.1;smtp_username=mailer", true);
    row("none to 127.8.9.10", "smtp_security", "none", true, "smtp_host=127.8.9.10;smtp_username=mailer",
        true);
    row("none to ::1", "smtp_security", "none", true, "smtp_host=::1;smtp_username=mailer", true);
    row("none to [::1]", "smtp_security", "none", true, "smtp_host=[::1];smtp_username=mailer", true);
    row("none to 0:0:0:0:0:0:0:1", "smtp_security", "none", true,
        "smtp_host=0:0:0:0:0:0:0:1;smtp_username=mailer", true);
    row("none to 128.0.0.1", "smtp_security", "none", false, "smtp_host=128.0.0.1;smtp_username=mailer",
        true);
    row("none to 127.0.0.1.example.com", "smtp_security", "none", false,
        "smtp_host=127.0.0.1.example.com;smtp_username=mailer", true);
    row("none to localhost.example.com", "smtp_security", "none", false,
        "smtp_host=localhost.example.com;smtp_username=mailer", true);
    row("none to ::2", "smtp_security", "none", false, "smtp_host=::2;smtp_username=mailer", true);
    row("none to 10.0.0.1", "smtp_security", "none", false, "smtp_host=10.0.0.1;smtp_username=mailer", true);
}

void TestSettings::validation()
{
    QFETCH(QString, key);
    QFETCH(QString, value);
    QFETCH(bool, valid);
    QFETCH(QString, others);
    QFETCH(bool, password);
    NotificationSettings s;
    for (const QString &pair : others.split(QLatin1Char(';'), Qt::SkipEmptyParts))
        QCOMPARE(s.setText(pair.section(QLatin1Char('='), 0, 0), pair.section(QLatin1Char('='), 1)),
                 QString());
    if (password)
        s.smtpPassword.replace(QStringLiteral("pw"));
    // A time is checked as it is read (a QTime holds no wrong text), with the message validate() gave.
    if (const QString parseError = s.setText(key, value); !parseError.isEmpty()) {
        QVERIFY2(!valid, qPrintable(parseError));
        QCOMPARE(NotificationSettings::field(key)->type, SettingsField::Type::Time);
        QCOMPARE(parseError,
                 QStringLiteral("\"%1\" is not a time of day as HH:mm (%2).")
                     .arg(value, key == QLatin1String("quiet_hours_start") ? QStringLiteral("22:00")
                                                                           : QStringLiteral("07:00")));
        QVERIFY2(s.validate().isEmpty(), qPrintable(s.validate().keys().join(QLatin1Char(','))));
        return;
    }
    const QMap<QString, QString> errors = s.validate();
    QCOMPARE(errors.contains(key), !valid);
    if (valid)
        QVERIFY2(errors.isEmpty(), qPrintable(errors.keys().join(QLatin1Char(','))));
    else
        QCOMPARE(errors.size(), 1); // the error is keyed by the field, nothing else complains
    if (!valid && key == QLatin1String("smtp_security")) {
        // It says what is wrong and what to do about it.
        QVERIFY2(
            errors.value(key).startsWith(
                QLatin1String("Without encryption the SMTP user name and password")) &&
                errors.value(key).contains(QLatin1String("Choose STARTTLS or TLS, or clear the user name "
                                                         "and password")),
            qPrintable(errors.value(key)));
        if (!s.smtpHost.isEmpty())
            QVERIFY(errors.value(key).contains(s.smtpHost));
    }

    // The store refuses an invalid value and writes nothing.
    NotificationSettingsStore store(m_db->config());
    const SettingsSaveResult r = store.save(s, 1, kAlice);
    QVERIFY2(r.ok == valid, qPrintable(r.error.message));
    if (!valid) {
        QCOMPARE(r.error.code, Error::Code::Invalid);
        QVERIFY(r.fieldErrors.contains(key));
        QCOMPARE(store.load()->version, 1);
    }
}

void TestSettings::concurrentSaveConflict()
{
    NotificationSettingsStore store(m_db->config());
    NotificationSettings alice = store.load().value();
    NotificationSettings bob = store.load().value();

    bob.smtpPort = 2525;
    bob.slackWebhookUrl.replace(QStringLiteral("https://hooks.slack.com/services/B"));
    QVERIFY(store.save(bob, bob.version, kBob).ok);

    alice.smtpHost = QStringLiteral("mail.example.com");
    const SettingsSaveResult r = store.save(alice, alice.version, kAlice);
    QVERIFY(!r.ok);
    QCOMPARE(r.error.code, Error::Code::Conflict);
    QCOMPARE(r.conflictFields,
             (QStringList{QStringLiteral("smtp_port"), QStringLiteral("slack_webhook_url")}));
    QVERIFY2(r.error.message.contains(QLatin1String("bob")) &&
                 r.error.message.contains(QLatin1String("SMTP port")),
             qPrintable(r.error.message));

    // Nothing was overwritten: Bob's save stands.
    const NotificationSettings now = store.load().value();
    QCOMPARE(now.version, 2);
    QCOMPARE(now.smtpPort, 2525);
    QCOMPARE(now.smtpHost, QString());
    QCOMPARE(now.updatedBy, kBob.name);

    // After reloading, Alice's change goes through.
    NotificationSettings retry = now;
    retry.smtpHost = QStringLiteral("mail.example.com");
    QVERIFY(store.save(retry, retry.version, kAlice).ok);
    QCOMPARE(store.load()->smtpHost, QStringLiteral("mail.example.com"));
}

void TestSettings::secretsKeepReplaceClear()
{
    NotificationSettingsStore store(m_db->config());
    NotificationSettings s = store.load().value();
    s.slackWebhookUrl.replace(QStringLiteral("https://hooks.slack.com/services/one"));
    QVERIFY(store.save(s, s.version, kAlice).ok);

    s = store.load().value(); // Keep: saving other fields leaves the secret alone
    s.slackChannel = QStringLiteral("#ops");
    QVERIFY(store.save(s, s.version, kAlice).ok);
    QCOMPARE(store.loadForDelivery()->slackWebhookUrl.value(),
             QStringLiteral("https://hooks.slack.com/services/one"));

    s = store.load().value();
    s.slackWebhookUrl.clear();
    QVERIFY(store.save(s, s.version, kAlice).ok);
    QVERIFY(!store.load()->slackWebhookUrl.isSet);
    QCOMPARE(test::rowCount(m_db->config(), QStringLiteral("notification_settings"),
                            QStringLiteral("slack_webhook_url_enc IS NULL")),
             1);
}

void TestSettings::keyFileCreatedPrivate()
{
    const QString keyFile = SecretBox::keyFilePath();
    QVERIFY(!QFile::exists(keyFile));
    NotificationSettingsStore store(m_db->config());
    NotificationSettings s = store.load().value();
    s.smtpUsername = QStringLiteral("u");
    s.smtpPassword.replace(QStringLiteral("p"));
    QVERIFY(store.save(s, s.version, kAlice).ok);
    QVERIFY(QFile::exists(keyFile));
    QCOMPARE(QFile::permissions(keyFile) & ~(QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                             QFileDevice::ReadUser | QFileDevice::WriteUser),
             QFileDevice::Permissions());
}

void TestSettings::wrongOrMissingKey()
{
    NotificationSettingsStore store(m_db->config());
    NotificationSettings s = store.load().value();
    s.smtpUsername = QStringLiteral("u");
    s.smtpPassword.replace(QStringLiteral("correct horse"));
    QVERIFY(store.save(s, s.version, kAlice).ok);
    const QString keyFile = SecretBox::keyFilePath();

    // Another key: a clear error, never garbage.
    qputenv("HCM_SECRET_KEY_FILE", QFile::encodeName(m_keyDir->filePath(QStringLiteral("other.key"))));
    QVERIFY(SecretBox::open(true));
    auto wrong = store.loadForDelivery();
    QVERIFY(!wrong);
    QVERIFY2(wrong.error().message.contains(QLatin1String("different key")),
             qPrintable(wrong.error().message));
    QVERIFY(store.load()); // reading without secrets still works

    // No key at all.
    qputenv("HCM_SECRET_KEY_FILE", QFile::encodeName(m_keyDir->filePath(QStringLiteral("missing.key"))));
    auto missing = store.loadForDelivery();
    QVERIFY(!missing);
    QVERIFY2(missing.error().message.contains(QLatin1String("does not exist")),
             qPrintable(missing.error().message));
    QVERIFY(
        !QFile::exists(m_keyDir->filePath(QStringLiteral("missing.key")))); // decrypting never creates one

    // A damaged key file.
    QFile bad(m_keyDir->filePath(QStringLiteral("bad.key")));
    QVERIFY(bad.open(QIODevice::WriteOnly));
    bad.write("not a key\n");
    bad.close();
    qputenv("HCM_SECRET_KEY_FILE", QFile::encodeName(bad.fileName()));
    auto damaged = store.loadForDelivery();
    QVERIFY(!damaged);
    QVERIFY2(damaged.error().message.contains(QLatin1String("not valid")),
             qPrintable(damaged.error().message));

    // Altered ciphertext with the right key.
    qputenv("HCM_SECRET_KEY_FILE", QFile::encodeName(keyFile));
    QCOMPARE(store.loadForDelivery()->smtpPassword.value(), QStringLiteral("correct horse"));
    auto db = Database::connection(m_db->config());
    QSqlQuery q(db.value());
    QVERIFY(
        q.exec(QStringLiteral("UPDATE notification_settings SET smtp_password_enc = "
                              "substr(smtp_password_enc, 1, length(smtp_password_enc) - 6) || 'AAAAAA'")));
    auto altered = store.loadForDelivery();
    QVERIFY(!altered);
    QVERIFY2(altered.error().message.contains(QLatin1String("cannot be decrypted")),
             qPrintable(altered.error().message));
}

void TestSettings::keyFromEnvironment()
{
    const QString key = SecretBox::generateKeyText();
    qputenv("HCM_SECRET_KEY", key.toLatin1());
    NotificationSettingsStore store(m_db->config());
    NotificationSettings s = store.load().value();
    s.twilioAuthToken.replace(QStringLiteral("env-token"));
    QVERIFY(store.save(s, s.version, kAlice).ok);
    QVERIFY(!QFile::exists(SecretBox::keyFilePath())); // no file when the key comes from the environment
    QCOMPARE(store.loadForDelivery()->twilioAuthToken.value(), QStringLiteral("env-token"));
    qputenv("HCM_SECRET_KEY", "short");
    auto bad = store.loadForDelivery();
    QVERIFY(!bad);
    QVERIFY2(bad.error().message.contains(QLatin1String("HCM_SECRET_KEY")), qPrintable(bad.error().message));
    qunsetenv("HCM_SECRET_KEY");
}

void TestSettings::quietUntil_data()
{
    QTest::addColumn<QString>("start");
    QTest::addColumn<QString>("end");
    QTest::addColumn<QString>("zone");
    QTest::addColumn<qint64>("now");
    QTest::addColumn<qint64>("until");
    QTest::newRow("before midnight") << "22:00"
                                     << "07:00"
                                     << "UTC" << utc("2024-01-10T23:30:00Z") << utc("2024-01-11T07:00:00Z");
    QTest::newRow("after midnight") << "22:00"
                                    << "07:00"
                                    << "UTC" << utc("2024-01-11T03:00:00Z") << utc("2024-01-11T07:00:00Z");
    QTest::newRow("daytime") << "22:00"
                             << "07:00"
                             << "UTC" << utc("2024-01-11T12:00:00Z") << qint64(0);
    QTest::newRow("at the end") << "22:00"
                                << "07:00"
                                << "UTC" << utc("2024-01-11T07:00:00Z") << qint64(0);
    QTest::newRow("same day") << "12:00"
                              << "13:30"
                              << "UTC" << utc("2024-01-11T12:10:00Z") << utc("2024-01-11T13:30:00Z");
    QTest::newRow("berlin") << "22:00"
                            << "07:00"
                            << "Europe/Berlin" << utc("2024-01-10T22:30:00Z") << utc("2024-01-11T06:00:00Z");
    QTest::newRow("new york summer") << "22:00"
                                     << "07:00"
                                     << "America/New_York" << utc("2024-07-01T03:00:00Z")
                                     << utc("2024-07-01T11:00:00Z");
}

void TestSettings::quietUntil()
{
    QFETCH(QString, start);
    QFETCH(QString, end);
    QFETCH(QString, zone);
    QFETCH(qint64, now);
    QFETCH(qint64, until);
    NotificationSettings s;
    s.quietHoursEnabled = true;
    s.quietHoursStart = QTime::fromString(start, QStringLiteral("HH:mm"));
    s.quietHoursEnd = QTime::fromString(end, QStringLiteral("HH:mm"));
    s.quietHoursTimeZone = zone;
    QCOMPARE(isoUtc(s.quietUntil(now)), isoUtc(until));
    s.quietHoursEnabled = false;
    QCOMPARE(s.quietUntil(now), qint64(0));
}

void TestSettings::nextDigestAt_data()
{
    QTest::addColumn<QString>("frequency");
    QTest::addColumn<QString>("zone");
    QTest::addColumn<QString>("quiet"); // "22:00-07:00", or empty for none
    QTest::addColumn<qint64>("now");
    QTest::addColumn<qint64>("due");
    auto row = [](const char *name, const char *frequency, const char *zone, const char *quiet,
                  const char *now, const char *due) {
        QTest::newRow(name) << QString::fromLatin1(frequency) << QString::fromLatin1(zone)
                            << QString::fromLatin1(quiet) << utc(now) << (*due ? utc(due) : qint64(0));
    };
    row("immediate", "immediate", "UTC", "", "2024-01-10T10:20:00Z", "");
    row("hourly", "hourly", "UTC", "", "2024-01-10T10:20:00Z", "2024-01-10T11:00:00Z");
    row("hourly on the hour", "hourly", "UTC", "", "2024-01-10T11:00:00Z", "2024-01-10T12:00:00Z");
    row("hourly just before", "hourly", "UTC", "", "2024-01-10T10:59:59Z", "2024-01-10T11:00:00Z");
    row("hourly at midnight", "hourly", "UTC", "", "2024-12-31T23:30:00Z", "2025-01-01T00:00:00Z");
    // Kolkata is UTC+05:30: its full hours are at half past in UTC.
    row("hourly kolkata", "hourly", "Asia/Kolkata", "", "2024-01-10T10:20:00Z", "2024-01-10T10:30:00Z");
    row("hourly kolkata after", "hourly", "Asia/Kolkata", "", "2024-01-10T10:40:00Z", "2024-01-10T11:30:00Z");
    // Berlin springs forward at 01:00 UTC (02:00 CET becomes 03:00 CEST), falls back at 01:00 UTC.
    row("hourly spring forward", "hourly", "Europe/Berlin", "", "2024-03-31T00:30:00Z",
        "2024-03-31T01:00:00Z");
    row("hourly fall back", "hourly", "Europe/Berlin", "", "2024-10-27T00:30:00Z", "2024-10-27T01:00:00Z");
    // Kathmandu is UTC+05:45: a quarter past in UTC.
    row("hourly kathmandu", "hourly", "Asia/Kathmandu", "", "2024-01-10T10:20:00Z", "2024-01-10T11:15:00Z");
    // Lord Howe Island moves its clocks by half an hour (UTC+10:30 / +11). Springing forward, 02:00
    // becomes 02:30 at 15:30 UTC: the next full hour is 03:00, 16:00 UTC. Falling back, 02:00 becomes
    // 01:30 at 15:00 UTC: the next full hour is 02:00 of the repeated half hour, 15:30 UTC.
    row("hourly lord howe spring forward", "hourly", "Australia/Lord_Howe", "", "2024-10-05T15:10:00Z",
        "2024-10-05T16:00:00Z");
    row("hourly lord howe fall back", "hourly", "Australia/Lord_Howe", "", "2024-04-06T14:40:00Z",
        "2024-04-06T15:30:00Z");
    row("hourly quiet", "hourly", "UTC", "22:00-07:00", "2024-01-10T21:30:00Z", "2024-01-11T07:00:00Z");
    row("hourly quiet after midnight", "hourly", "UTC", "22:00-07:00", "2024-01-11T03:10:00Z",
        "2024-01-11T07:00:00Z");
    row("hourly quiet ends on the hour", "hourly", "UTC", "22:00-07:00", "2024-01-11T06:10:00Z",
        "2024-01-11T07:00:00Z");
    row("hourly after quiet", "hourly", "UTC", "22:00-07:00", "2024-01-11T07:10:00Z", "2024-01-11T08:00:00Z");
    row("daily before 08:00", "daily", "UTC", "", "2024-01-10T07:59:00Z", "2024-01-10T08:00:00Z");
    row("daily at 08:00", "daily", "UTC", "", "2024-01-10T08:00:00Z", "2024-01-11T08:00:00Z");
    row("daily afternoon", "daily", "UTC", "", "2024-01-10T15:00:00Z", "2024-01-11T08:00:00Z");
    row("daily month end", "daily", "UTC", "", "2024-02-29T09:00:00Z", "2024-03-01T08:00:00Z");
    // 08:00 local: 07:00 UTC in Berlin's winter, 06:00 in its summer.
    row("daily berlin winter", "daily", "Europe/Berlin", "", "2024-01-10T06:00:00Z", "2024-01-10T07:00:00Z");
    row("daily berlin summer", "daily", "Europe/Berlin", "", "2024-07-10T06:30:00Z", "2024-07-11T06:00:00Z");
    // The night New York springs forward: the same 08:00 is 12:00 UTC, not 13:00.
    row("daily new york dst", "daily", "America/New_York", "", "2024-03-10T05:00:00Z",
        "2024-03-10T12:00:00Z");
    row("daily tokyo next day", "daily", "Asia/Tokyo", "", "2024-01-10T00:00:00Z", "2024-01-10T23:00:00Z");
    row("daily quiet until 09:30", "daily", "Europe/Berlin", "22:00-09:30", "2024-01-10T12:00:00Z",
        "2024-01-11T08:30:00Z");
    row("daily quiet elsewhere", "daily", "Europe/Berlin", "12:00-13:00", "2024-01-10T12:00:00Z",
        "2024-01-11T07:00:00Z");
}

void TestSettings::nextDigestAt()
{
    QFETCH(QString, frequency);
    QFETCH(QString, zone);
    QFETCH(QString, quiet);
    QFETCH(qint64, now);
    QFETCH(qint64, due);
    NotificationSettings s;
    QCOMPARE(s.setText(QStringLiteral("digest_frequency"), frequency), QString());
    s.quietHoursTimeZone = zone;
    if (!quiet.isEmpty()) {
        s.quietHoursEnabled = true;
        s.quietHoursStart = QTime::fromString(quiet.section(QLatin1Char('-'), 0, 0), QStringLiteral("HH:mm"));
        s.quietHoursEnd = QTime::fromString(quiet.section(QLatin1Char('-'), 1), QStringLiteral("HH:mm"));
    }
    QVERIFY(s.validate().isEmpty());
    QCOMPARE(isoUtc(s.nextDigestAt(now)), isoUtc(due));
    if (due > 0) {
        QVERIFY(due > now);
        QCOMPARE(s.quietUntil(due), qint64(0)); // never inside quiet hours
    }
    if (due > 0 && quiet.isEmpty()) {
        // What the clock on the wall shows then: a full hour, 08:00 for daily digests.
        const QTime local = QDateTime::fromMSecsSinceEpoch(due, QTimeZone(zone.toUtf8())).time();
        QCOMPARE(local.minute(), 0);
        QCOMPARE(local.second(), 0);
        if (frequency == QLatin1String("daily"))
            QCOMPARE(local.hour(), NotificationSettings::kDailyDigestHour);
    }
}

void TestSettings::deliveriesForJob()
{
    DeliveryStore store(m_db->config());
    DeliveryRecord r;
    r.jobId = 7;
    r.sourceJobId = 3;
    r.channel = QStringLiteral("email");
    r.recipient = QStringLiteral("a@example.com");
    r.event = QStringLiteral("job_failed");
    r.delivered = true;
    r.providerResponse = QStringLiteral("250 ok");
    r.latencyMs = 12;
    r.createdBy = QStringLiteral("job:7");
    QVERIFY(store.log(r));
    r.channel = QStringLiteral("slack");
    r.recipient = QStringLiteral("#ops");
    r.delivered = false;
    r.error = QStringLiteral("Slack says: invalid_token (HTTP 403).");
    QVERIFY(store.log(r));
    r.jobId = 9;
    r.sourceJobId = 4;
    QVERIFY(store.log(r));

    for (qint64 id : {qint64(3), qint64(7)}) {
        auto rows = store.forJob(id);
        QVERIFY(rows);
        QCOMPARE(rows->size(), 2);
        QCOMPARE(rows->at(0).channel, QStringLiteral("email"));
        QVERIFY(rows->at(0).delivered);
        QCOMPARE(rows->at(1).error, QStringLiteral("Slack says: invalid_token (HTTP 403)."));
    }
    QCOMPARE(store.deliveredBy(7).value(), (QSet<QString>{QStringLiteral("email|a@example.com")}));
    QCOMPARE(store.forJob(5)->size(), 0);
}

void TestSettings::notifyPayloadValidation_data()
{
    QTest::addColumn<QString>("payload");
    QTest::addColumn<bool>("valid");
    QTest::newRow("ok") << R"({"event":"job_failed","job_id":3,"job_type":"db_optimize","error":"x"})"
                        << true;
    QTest::newRow("bad event") << R"({"event":"job_exploded","job_id":3,"job_type":"x"})" << false;
    QTest::newRow("no job id") << R"({"event":"job_failed","job_type":"x"})" << false;
    QTest::newRow("unknown key") << R"({"event":"job_failed","job_id":3,"job_type":"x","channels":[]})"
                                 << false;
    QTest::newRow("error not text") << R"({"event":"job_failed","job_id":3,"job_type":"x","error":5})"
                                    << false;
    QTest::newRow("digest") << R"({"digest_due_at":1704880800000,"frequency":"hourly"})" << true;
    QTest::newRow("digest flush") << R"({"digest_due_at":1704880800000,"frequency":"immediate"})" << true;
    QTest::newRow("digest no frequency") << R"({"digest_due_at":1704880800000})" << false;
    QTest::newRow("digest bad frequency")
        << R"({"digest_due_at":1704880800000,"frequency":"weekly"})" << false;
    QTest::newRow("digest bad time") << R"({"digest_due_at":"soon","frequency":"daily"})" << false;
    QTest::newRow("digest and alert")
        << R"({"digest_due_at":1704880800000,"frequency":"daily","job_id":3})" << false;
}

void TestSettings::notifyPayloadValidation()
{
    QFETCH(QString, payload);
    QFETCH(bool, valid);
    NewJob job;
    job.type = QStringLiteral("notify");
    job.payload = QJsonDocument::fromJson(payload.toUtf8()).object();
    const Status st = JobService::validate(job);
    QVERIFY2(st.ok() == valid, st.ok() ? "accepted" : qPrintable(st.error().message));
}

void TestSettings::hcmctlSettings()
{
    // Invalid values: nothing is written, each error names its key.
    Ctl r =
        ctl({QStringLiteral("settings"), QStringLiteral("set"), QStringLiteral("smtp_host=mail.example.com"),
             QStringLiteral("smtp_port=99999"), QStringLiteral("quiet_hours_start=25:00")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(QLatin1String("smtp_port:")) &&
                 r.err.contains(QLatin1String("quiet_hours_start:")),
             qPrintable(r.err));
    QCOMPARE(NotificationSettingsStore(m_db->config()).load()->version, 1);

    // A secret on the command line is refused.
    r = ctl({QStringLiteral("settings"), QStringLiteral("set"), QStringLiteral("smtp_password=hunter2")});
    QCOMPARE(r.code, 2);
    QVERIFY(r.err.contains(QLatin1String("--secret-stdin")));

    // A secret from stdin, together with plain values.
    r = ctl({QStringLiteral("settings"), QStringLiteral("set"), QStringLiteral("smtp_host=mail.example.com"),
             QStringLiteral("smtp_username=mailer"), QStringLiteral("--secret-stdin"),
             QStringLiteral("smtp_password")},
            "hunter2-from-stdin\n");
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(NotificationSettingsStore(m_db->config()).loadForDelivery()->smtpPassword.value(),
             QStringLiteral("hunter2-from-stdin"));

    r = ctl({QStringLiteral("settings"), QStringLiteral("show")});
    QCOMPARE(r.code, 0);
    QVERIFY(!r.out.contains(QLatin1String("hunter2")));
    QVERIFY(r.out.contains(QLatin1String("mail.example.com")));
    r = ctl({QStringLiteral("--json"), QStringLiteral("settings"), QStringLiteral("show")});
    const QJsonObject json = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(json.value(QLatin1String("smtp_password")).toString(), QStringLiteral("set"));
    QCOMPARE(json.value(QLatin1String("slack_webhook_url")).toString(), QStringLiteral("unset"));
    QCOMPARE(json.value(QLatin1String("smtp_host")).toString(), QStringLiteral("mail.example.com"));
    QVERIFY(!r.out.contains(QLatin1String("hunter2")));

    // No encryption with credentials to another machine: refused, keyed by the field, nothing written.
    const int version = NotificationSettingsStore(m_db->config()).load()->version;
    r = ctl({QStringLiteral("settings"), QStringLiteral("set"), QStringLiteral("smtp_security=none")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(QLatin1String("hcmctl: smtp_security: Without encryption the SMTP user name and "
                                          "password would travel to mail.example.com")) &&
                 r.err.contains(QLatin1String("Choose STARTTLS or TLS")) &&
                 r.err.contains(QLatin1String("Nothing was saved.")),
             qPrintable(r.err));
    QCOMPARE(NotificationSettingsStore(m_db->config()).load()->version, version);
    QCOMPARE(toString(NotificationSettingsStore(m_db->config()).load()->smtpSecurity),
             QStringLiteral("starttls"));
    // A relay on this machine may do without TLS.
    r = ctl({QStringLiteral("settings"), QStringLiteral("set"), QStringLiteral("smtp_host=127.0.0.1"),
             QStringLiteral("smtp_security=none")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(toString(NotificationSettingsStore(m_db->config()).load()->smtpSecurity),
             QStringLiteral("none"));

    r = ctl({QStringLiteral("settings"), QStringLiteral("clear-secret"), QStringLiteral("smtp_password")});
    QCOMPARE(r.code, 1); // a user name without a password is invalid: nothing written
    QVERIFY(NotificationSettingsStore(m_db->config()).load()->smtpPassword.isSet);
    QCOMPARE(ctl({QStringLiteral("settings"), QStringLiteral("set"), QStringLiteral("smtp_username=")}).code,
             0);
    r = ctl({QStringLiteral("settings"), QStringLiteral("clear-secret"), QStringLiteral("smtp_password")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(!NotificationSettingsStore(m_db->config()).load()->smtpPassword.isSet);
    r = ctl({QStringLiteral("settings"), QStringLiteral("set"), QStringLiteral("smtp_username=x"),
             QStringLiteral("bogus=1")});
    QCOMPARE(r.code, 2);
}

void TestSettings::secretNeedsTheStoredKey_data()
{
    test::addBackendRows();
}

void TestSettings::secretNeedsTheStoredKey()
{
    HCM_TEMP_DATABASE_OF_ROW(db);
    const QString keyA = writeKeyFile(m_keyDir->filePath(QStringLiteral("a.key")));
    const QString keyB = writeKeyFile(m_keyDir->filePath(QStringLiteral("b.key")));
    const QString missing = m_keyDir->filePath(QStringLiteral("missing.key"));
    NotificationSettingsStore store(db.config());

    // No secret stored yet: any key may write the first one.
    qputenv("HCM_SECRET_KEY_FILE", QFile::encodeName(keyA));
    NotificationSettings s = store.load().value();
    s.smtpHost = QStringLiteral("mail.example.com");
    s.smtpUsername = QStringLiteral("mailer");
    s.smtpPassword.replace(QStringLiteral("correct horse"));
    s.slackWebhookUrl.replace(QStringLiteral("https://hooks.slack.com/services/T/B/one"));
    SettingsSaveResult r = store.save(s, s.version, kAlice);
    QVERIFY2(r.ok, qPrintable(r.error.message));
    const QString before = secretColumns(db.config());

    // Key B, from a file, from a missing file (never created), from the environment: refused, nothing
    // written.
    struct Case {
        const char *name;
        QByteArray file;
        QByteArray env;
        QString shows;
    };
    const QList<Case> cases{
        {"other key file", QFile::encodeName(keyB), {}, QStringLiteral("key file ") + keyB},
        {"missing key file", QFile::encodeName(missing), {}, QStringLiteral("key file ") + missing},
        {"environment", QFile::encodeName(keyA), SecretBox::generateKeyText().toLatin1(),
         QStringLiteral("HCM_SECRET_KEY from the environment")},
    };
    for (const Case &c : cases) {
        qputenv("HCM_SECRET_KEY_FILE", c.file);
        if (c.env.isEmpty())
            qunsetenv("HCM_SECRET_KEY");
        else
            qputenv("HCM_SECRET_KEY", c.env);
        NotificationSettings t = store.load().value();
        t.twilioAuthToken.replace(QStringLiteral("token-under-another-key"));
        r = store.save(t, t.version, kBob);
        QVERIFY2(!r.ok, c.name);
        QCOMPARE(r.error.code, Error::Code::Invalid);
        QVERIFY2(r.error.message.startsWith(QLatin1String("Nothing was saved: the ")) &&
                     r.error.message.contains(c.shows) &&
                     r.error.message.contains(QLatin1String("SMTP password")) &&
                     r.error.message.contains(QLatin1String("hcmctl settings rekey --old-key-file PATH")) &&
                     r.error.message.contains(QLatin1String("clear-secret")),
                 qPrintable(QLatin1String(c.name) + QLatin1String(": ") + r.error.message));
        QVERIFY(!r.error.message.contains(QLatin1String("correct horse")));
        QCOMPARE(secretColumns(db.config()), before);
        // Replacing the very secret the other key cannot open is refused as well.
        t = store.load().value();
        t.smtpPassword.replace(QStringLiteral("new password"));
        QVERIFY(!store.save(t, t.version, kBob).ok);
        QCOMPARE(secretColumns(db.config()), before);
    }
    qunsetenv("HCM_SECRET_KEY");
    QVERIFY(!QFile::exists(missing));

    // Key A still opens everything: saving with it works and nothing is mixed.
    qputenv("HCM_SECRET_KEY_FILE", QFile::encodeName(keyA));
    s = store.load().value();
    s.twilioAuthToken.replace(QStringLiteral("token-a"));
    s.slackWebhookUrl.clear();
    r = store.save(s, s.version, kAlice);
    QVERIFY2(r.ok, qPrintable(r.error.message));
    QCOMPARE(store.loadForDelivery()->twilioAuthToken.value(), QStringLiteral("token-a"));

    // Clearing every stored secret in the same save leaves nothing under key A: key B may then write.
    qputenv("HCM_SECRET_KEY_FILE", QFile::encodeName(keyB));
    s = store.load().value();
    s.smtpUsername.clear();
    s.smtpPassword.clear();
    s.twilioAuthToken.clear();
    s.slackWebhookUrl.replace(QStringLiteral("https://hooks.slack.com/services/T/B/two"));
    r = store.save(s, s.version, kBob);
    QVERIFY2(r.ok, qPrintable(r.error.message));
    const auto delivered = store.loadForDelivery();
    QVERIFY2(delivered, why(delivered).constData());
    QCOMPARE(delivered->slackWebhookUrl.value(), QStringLiteral("https://hooks.slack.com/services/T/B/two"));
}

void TestSettings::rekey_data()
{
    test::addBackendRows();
}

void TestSettings::rekey()
{
    HCM_TEMP_DATABASE_OF_ROW(db);
    auto keyA = SecretBox::fromKeyFile(writeKeyFile(m_keyDir->filePath(QStringLiteral("a.key"))), false);
    auto keyB = SecretBox::fromKeyFile(writeKeyFile(m_keyDir->filePath(QStringLiteral("b.key"))), false);
    auto keyC = SecretBox::fromKeyFile(writeKeyFile(m_keyDir->filePath(QStringLiteral("c.key"))), false);
    QVERIFY(keyA && keyB && keyC);
    NotificationSettingsStore store(db.config());

    // Nothing stored: nothing to do, nothing written.
    auto none = store.rekey(keyA.value(), keyB.value(), kAlice);
    QVERIFY2(none, why(none).constData());
    QCOMPARE(none->reencrypted, 0);
    QCOMPARE(none->version, 1);

    qputenv("HCM_SECRET_KEY_FILE", QFile::encodeName(m_keyDir->filePath(QStringLiteral("a.key"))));
    NotificationSettings s = store.load().value();
    s.smtpUsername = QStringLiteral("mailer");
    s.smtpPassword.replace(QStringLiteral("pässwörd"));
    s.twilioAuthToken.replace(QStringLiteral("tok"));
    QVERIFY(store.save(s, s.version, kAlice).ok);
    const QString underA = secretColumns(db.config());

    // The same key, a wrong old key: refused, nothing written.
    auto same = store.rekey(keyA.value(), keyA.value(), kAlice);
    QVERIFY(!same);
    QVERIFY2(same.error().message.contains(QLatin1String("same key")), qPrintable(same.error().message));
    auto wrong = store.rekey(keyC.value(), keyB.value(), kAlice);
    QVERIFY(!wrong);
    QCOMPARE(wrong.error().code, Error::Code::Invalid);
    QVERIFY2(wrong.error().message.startsWith(
                 QLatin1String("Nothing was re-encrypted: the stored SMTP password")) &&
                 wrong.error().message.contains(keyC->source()) &&
                 wrong.error().message.contains(keyB->source()),
             qPrintable(wrong.error().message));
    QCOMPARE(secretColumns(db.config()), underA);

    // A to B: both secrets, one version, readable with B only.
    auto moved = store.rekey(keyA.value(), keyB.value(), kBob);
    QVERIFY2(moved, why(moved).constData());
    QCOMPARE(moved->reencrypted, 2);
    QCOMPARE(moved->alreadyCurrent, 0);
    QCOMPARE(moved->version, 3);
    QCOMPARE(store.load()->updatedBy, kBob.name);
    auto withA = store.loadForDelivery();
    QVERIFY(!withA);
    QVERIFY2(withA.error().message.contains(QLatin1String("different key")),
             qPrintable(withA.error().message));
    qputenv("HCM_SECRET_KEY_FILE", QFile::encodeName(m_keyDir->filePath(QStringLiteral("b.key"))));
    auto withB = store.loadForDelivery();
    QVERIFY2(withB, why(withB).constData());
    QCOMPARE(withB->smtpPassword.value(), QStringLiteral("pässwörd"));
    QCOMPARE(withB->twilioAuthToken.value(), QStringLiteral("tok"));

    // Again: everything is under B already, nothing changes.
    const QString underB = secretColumns(db.config());
    auto again = store.rekey(keyA.value(), keyB.value(), kBob);
    QVERIFY2(again, why(again).constData());
    QCOMPARE(again->reencrypted, 0);
    QCOMPARE(again->alreadyCurrent, 2);
    QCOMPARE(secretColumns(db.config()), underB);

    // Settings left with secrets under two keys (as an unchecked writer could leave them) are repaired.
    {
        auto conn = Database::connection(db.config());
        QSqlQuery q(conn.value());
        QVERIFY(q.prepare(
            QStringLiteral("UPDATE notification_settings SET twilio_auth_token_enc = ? WHERE id = 1")));
        q.addBindValue(keyA->encrypt(QStringLiteral("tok-a")));
        QVERIFY(q.exec());
    }
    auto repaired = store.rekey(keyA.value(), keyB.value(), kBob);
    QVERIFY2(repaired, why(repaired).constData());
    QCOMPARE(repaired->reencrypted, 1);
    QCOMPARE(repaired->alreadyCurrent, 1);
    QCOMPARE(store.loadForDelivery()->twilioAuthToken.value(), QStringLiteral("tok-a"));
}

void TestSettings::lengthLimits_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("message");
    const auto row = [](const char *tag, const char *key, const QString &value, const QString &message) {
        QTest::newRow(tag) << QString::fromLatin1(key) << value << message;
    };
    // One character over the limit of every text field, named with its limit.
    for (const QString &key : NotificationSettings::fieldKeys()) {
        const int max = NotificationSettings::maxLength(key);
        if (max == 0 || NotificationSettings::isSecretKey(key) || key.endsWith(QLatin1String("_recipients")))
            continue;
        QTest::newRow(qPrintable(key))
            << key << QString(max + 1, QLatin1Char('a'))
            << QStringLiteral("is %1 characters long; the limit is %2.").arg(max + 1).arg(max);
    }
    row("120 KB host", "smtp_host", QString(120 * 1024, QLatin1Char('h')),
        QStringLiteral("SMTP server is 122880 characters long; the limit is 253."));
    QStringList many;
    for (int i = 0; i < 51; ++i)
        many.append(QStringLiteral("ops%1@example.com").arg(i));
    row("51 email recipients", "email_recipients", many.join(QLatin1Char(',')),
        QStringLiteral("Admin email recipients has 51 entries; the limit is 50."));
    row("long email recipient", "email_recipients",
        QString(250, QLatin1Char('x')) + QStringLiteral("@example.com"),
        QStringLiteral("An entry of Admin email recipients is 262 characters long; the limit is 254."));
    QStringList numbers;
    for (int i = 0; i < 51; ++i)
        numbers.append(QStringLiteral("+1415555%1").arg(1000 + i));
    row("51 sms recipients", "sms_recipients", numbers.join(QLatin1Char(',')),
        QStringLiteral("SMS recipients has 51 entries; the limit is 50."));
    row("smtp password", "smtp_password", QString(1025, QLatin1Char('p')),
        QStringLiteral("SMTP password is 1025 bytes long; the limit is 1024 bytes."));
    row("twilio token in UTF-8", "twilio_auth_token", QString(129, QChar(0x00e4)),
        QStringLiteral("Twilio auth token is 258 bytes long; the limit is 256 bytes."));
    row("slack webhook", "slack_webhook_url",
        QStringLiteral("https://hooks.slack.com/") + QString(2025, QLatin1Char('s')),
        QStringLiteral("Slack webhook URL is 2049 bytes long; the limit is 2048 bytes."));
}

void TestSettings::lengthLimits()
{
    QFETCH(QString, key);
    QFETCH(QString, value);
    QFETCH(QString, message);
    NotificationSettingsStore store(m_db->config());
    NotificationSettings s = store.load().value();
    if (NotificationSettings::isSecretKey(key)) {
        s.secret(key)->replace(value);
    } else if (const QString parseError = s.setText(key, value); !parseError.isEmpty()) {
        // A time is checked as it is read, with the message validate() gave.
        QCOMPARE(NotificationSettings::field(key)->type, SettingsField::Type::Time);
        QCOMPARE(parseError, NotificationSettings::fieldLabel(key) + QLatin1Char(' ') + message);
        return;
    }
    const QString before = test::snapshot(m_db->config()) + secretColumns(m_db->config());
    const SettingsSaveResult r = store.save(s, s.version, kAlice);
    QVERIFY(!r.ok);
    QCOMPARE(r.error.code, Error::Code::Invalid);
    QVERIFY(r.fieldErrors.contains(key));
    QVERIFY2(r.fieldErrors.value(key).contains(message), qPrintable(r.fieldErrors.value(key)));
    QVERIFY2(r.error.message.size() < 400, qPrintable(r.error.message.left(400))); // never quoted back
    QCOMPARE(test::snapshot(m_db->config()) + secretColumns(m_db->config()), before);
    QCOMPARE(store.load()->version, 1);

    // At the limit, the length is no longer what is wrong.
    if (NotificationSettings::isSecretKey(key) || key.endsWith(QLatin1String("_recipients")) ||
        value.size() != NotificationSettings::maxLength(key) + 1)
        return;
    NotificationSettings t = store.load().value();
    QCOMPARE(t.setText(key, value.left(NotificationSettings::maxLength(key))), QString());
    QVERIFY(!t.validate().value(key).contains(QLatin1String("the limit is")));
}

void TestSettings::providerAddresses()
{
    qunsetenv("HCM_ALLOW_CUSTOM_PROVIDER_URL");
    const auto restore = qScopeGuard([] { qunsetenv("HCM_ALLOW_CUSTOM_PROVIDER_URL"); });
    const auto twilio = [](const char *url) {
        NotificationSettings s;
        s.twilioBaseUrl = QString::fromLatin1(url);
        return s.validate().value(QStringLiteral("twilio_base_url"));
    };
    const auto slack = [](const char *url) {
        NotificationSettings s;
        s.slackWebhookUrl.replace(QString::fromLatin1(url));
        return s.validate().value(QStringLiteral("slack_webhook_url"));
    };
    QCOMPARE(twilio("https://api.twilio.com"), QString());
    QCOMPARE(twilio("https://api.dublin.ie1.twilio.com/"), QString());
    QCOMPARE(twilio("http://api.twilio.com"),
             QStringLiteral("The Twilio API address must be an https:// URL."));
    for (const char *bad :
         {"https://127.0.0.1:8443", "https://api.twilio.com.evil.example", "https://eviltwilio.com"}) {
        const QString e = twilio(bad);
        QVERIFY2(e.startsWith(QLatin1String("The Twilio API address must be on a host under twilio.com")) &&
                     e.contains(QUrl(QString::fromLatin1(bad)).host()) &&
                     e.contains(QLatin1String("HCM_ALLOW_CUSTOM_PROVIDER_URL=1")),
                 qPrintable(e));
    }
    QCOMPARE(slack("https://hooks.slack.com/services/T/B/X"), QString());
    QCOMPARE(slack("http://hooks.slack.com/services/T/B/X"),
             QStringLiteral("The Slack webhook URL must be an https:// URL."));
    for (const char *bad :
         {"https://127.0.0.1:8443/services/T/B/X", "https://hooks.slack.com.evil.example/services/X",
          "https://evil.example/hooks.slack.com"}) {
        const QString e = slack(bad);
        QVERIFY2(e.startsWith(QLatin1String("The Slack webhook URL must be a Slack incoming webhook")) &&
                     !e.contains(QLatin1String("evil")) && !e.contains(QLatin1String("127.0.0.1")),
                 qPrintable(e));
    }

    // The store refuses them too.
    NotificationSettingsStore store(m_db->config());
    NotificationSettings s = store.load().value();
    s.twilioBaseUrl = QStringLiteral("https://127.0.0.1:8443");
    const SettingsSaveResult r = store.save(s, s.version, kAlice);
    QVERIFY(!r.ok);
    QCOMPARE(r.fieldErrors.keys(), QStringList{QStringLiteral("twilio_base_url")});

    // With the explicit opt-in, a stand-in on this machine is accepted.
    qputenv("HCM_ALLOW_CUSTOM_PROVIDER_URL", "1");
    QCOMPARE(twilio("https://127.0.0.1:8443"), QString());
    QCOMPARE(slack("https://127.0.0.1:8443/services/T/B/X"), QString());
    QCOMPARE(twilio("http://127.0.0.1:8443"),
             QStringLiteral("The Twilio API address must be an https:// URL."));
    QVERIFY(store.save(s, s.version, kAlice).ok);
}

void TestSettings::caFile()
{
    QTemporaryDir dir;
    const auto write = [&](const char *name, const QByteArray &content) {
        QFile f(dir.filePath(QString::fromLatin1(name)));
        f.open(QIODevice::WriteOnly);
        f.write(content);
        return f.fileName();
    };
    const QString cert = makeCaCertificate(dir);
    QVERIFY(!cert.isEmpty());
    QFile pem(cert);
    QVERIFY(pem.open(QIODevice::ReadOnly));
    const QByteArray pemText = pem.readAll();
    const qsizetype bodyStart = pemText.indexOf('\n') + 1;
    const QByteArray body = pemText.mid(bodyStart, pemText.indexOf("-----END") - bodyStart);

    NotificationSettingsStore store(m_db->config());
    const auto problem = [&](const QString &path) {
        NotificationSettings s = store.load().value();
        s.tlsCaFile = path;
        const SettingsSaveResult r = store.save(s, s.version, kAlice);
        return r.ok ? QString() : r.fieldErrors.value(QStringLiteral("tls_ca_file"), r.error.message);
    };
    const QString missing = dir.filePath(QStringLiteral("nope.pem"));
    QCOMPARE(problem(missing), QStringLiteral("The CA certificate file %1 does not exist.").arg(missing));
    QCOMPARE(problem(dir.path()),
             QStringLiteral("%1 is not a file: give the PEM file of the CA certificate.").arg(dir.path()));
    const QString noPem = QStringLiteral("holds no PEM certificate");
    QVERIFY(problem(write("text.pem", "hello\n")).contains(noPem));
    QVERIFY(problem(write("key.pem", "-----BEGIN PRIVATE KEY-----\n" + body + "-----END PRIVATE KEY-----\n"))
                .contains(noPem));
    QVERIFY(problem(write("der.crt", QByteArray::fromBase64(body))).contains(noPem));
    QVERIFY(problem(write("broken.pem",
                          "-----BEGIN CERTIFICATE-----\n!!notbase64!!\n-----END CERTIFICATE-----\n"))
                .contains(noPem));
    const QString huge = problem(write("huge.pem", pemText + QByteArray(1024 * 1024, '#')));
    QVERIFY2(huge.contains(QLatin1String("is larger than 1024 KiB")), qPrintable(huge));
    QCOMPARE(store.load()->version, 1); // every one refused, nothing written

    QCOMPARE(problem(cert), QString());
    QCOMPARE(store.load()->tlsCaFile, cert);
    // A stored value is not checked again when other fields are saved (a worker may have a file this
    // machine lacks); changing it is.
    QVERIFY(QFile::remove(cert));
    NotificationSettings s = store.load().value();
    s.smtpPort = 2525;
    const SettingsSaveResult r = store.save(s, s.version, kAlice);
    QVERIFY2(r.ok, qPrintable(r.error.message));
    QVERIFY(problem(missing).contains(QLatin1String("does not exist")));
}

void TestSettings::rateLimiterRace_data()
{
    test::addBackendRows();
}

// Threads with their own connections (as separate processes would have) race for the slots of one
// bucket: exactly the allowed number get one, first from an empty window, then for the last free slot.
void TestSettings::rateLimiterRace()
{
    HCM_TEMP_DATABASE_OF_ROW(db);
    constexpr int kLimit = 5;
    auto clock = std::make_shared<ManualClock>(utc("2024-03-01T12:00:00Z"));
    const QString bucket = QStringLiteral("race");

    // Every thread takes one slot at the same moment; returns how many got one.
    auto race = [&](int threads, QStringList *refusals) {
        std::latch start(threads);
        std::atomic<int> granted{0};
        QMutex mutex;
        std::vector<std::thread> pool;
        for (int i = 0; i < threads; ++i) {
            pool.emplace_back([&] {
                RateLimiter limiter(db.config(), bucket, kLimit, 60'000, clock);
                (void)Database::connection(db.config()); // connect before the start line
                start.arrive_and_wait();
                const Status st = limiter.acquire(QStringLiteral("test messages"));
                if (st) {
                    ++granted;
                } else {
                    QMutexLocker lock(&mutex);
                    refusals->append(QString::number(int(st.error().code)) + QLatin1Char(' ') +
                                     st.error().message);
                }
                Database::closeThreadConnections();
            });
        }
        for (std::thread &t : pool)
            t.join();
        return granted.load();
    };

    QStringList refusals;
    QCOMPARE(race(12, &refusals), kLimit);
    QCOMPARE(refusals.size(), 12 - kLimit);
    for (const QString &r : std::as_const(refusals))
        QVERIFY2(r.startsWith(QString::number(int(Error::Code::Conflict)) +
                              QStringLiteral(" Too many test messages: at most 5 per minute.")),
                 qPrintable(r));
    QCOMPARE(test::rowCount(db.config(), QStringLiteral("rate_limit_events")), qint64(kLimit));

    // Half a minute later nothing is free yet; a minute after the first ones, all five slots are.
    clock->advanceMs(30'000);
    refusals.clear();
    QCOMPARE(race(4, &refusals), 0);
    clock->advanceMs(30'001);
    RateLimiter limiter(db.config(), bucket, kLimit, 60'000, clock);
    for (int i = 0; i < kLimit - 1; ++i)
        QVERIFY(limiter.acquire(QStringLiteral("test messages")));
    // One slot left: eight racers, one winner.
    refusals.clear();
    QCOMPARE(race(8, &refusals), 1);
    QCOMPARE(refusals.size(), 7);
    QCOMPARE(limiter.nextAllowedAt().value(), clock->nowMs() + 60'000);
    Database::closeThreadConnections();
}

QTEST_GUILESS_MAIN(TestSettings)
#include "tst_settings.moc"
