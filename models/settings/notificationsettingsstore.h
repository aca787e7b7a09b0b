#pragma once

#include "common/clock.h"
#include "common/error.h"
#include "db/dbconfig.h"
#include "jobs/job.h"
#include "settings/notificationsettings.h"
#include "settings/secretbox.h"

#include <QCoreApplication>
#include <QMap>
#include <QStringList>

#include <memory>

namespace hcm {

// What save() did. On a conflict (another admin saved after the caller loaded), `conflictFields`
// lists the keys that differ between what the caller loaded and what is stored now, and nothing is
// written. On invalid input, `fieldErrors` holds one message per field key, and nothing is written.
struct SettingsSaveResult {
    bool ok = false;
    int version = 0; // the stored version after a successful save
    Error error;     // when !ok: Invalid, Conflict, Database, Io
    QStringList conflictFields;
    QMap<QString, QString> fieldErrors;

    explicit operator bool() const { return ok; }
};

// What rekey() did.
struct SettingsRekeyResult {
    int reencrypted = 0;    // secrets decrypted with the old key and encrypted with the new one
    int alreadyCurrent = 0; // secrets the new key opened already: left as they were
    int version = 0;        // the stored version afterwards (unchanged when nothing was re-encrypted)
};

// All SQL about the notification settings row. Secrets are encrypted with SecretBox before they
// reach the database and decrypted only for delivery. Each call uses the calling thread's connection.
class NotificationSettingsStore final {
    Q_DECLARE_TR_FUNCTIONS(hcm::NotificationSettingsStore)

public:
    explicit NotificationSettingsStore(DbConfig config, std::shared_ptr<Clock> clock = Clock::system());

    // The stored settings; secrets only as "set" or not (no key needed).
    Result<NotificationSettings> load();
    // The same with the secrets decrypted into SecretField::plaintext, for the channels. Fails with a
    // clear sentence when the key is missing or is not the one that encrypted them.
    Result<NotificationSettings> loadForDelivery();

    // Writes `settings` if the stored version is still `expectedVersion` (optimistic concurrency), in
    // one BEGIN IMMEDIATE transaction; the version goes up by one. Secrets follow their SecretField
    // change: kept, replaced (encrypted; the key file is created when missing) or cleared. A secret is
    // written only with a key that opens every secret already stored (but those the same save clears):
    // the secrets never end up under two keys, which would leave every program holding one of them
    // unable to send. Otherwise nothing is written and the error names the key in use. A save that
    // switches digests off (digest_frequency to immediate) schedules the alerts still waiting for a digest
    // to go out now (DigestStore::flush).
    SettingsSaveResult save(const NotificationSettings &settings, int expectedVersion, const Actor &actor);

    // Re-encrypts the stored secrets from `oldKey` to `newKey` in one BEGIN IMMEDIATE transaction (the
    // version goes up by one when a secret changed). Every stored secret must open with `oldKey`, or
    // already with `newKey` (then it stays as it is); otherwise nothing is written. Secrets are never
    // logged.
    Result<SettingsRekeyResult> rekey(const SecretBox &oldKey, const SecretBox &newKey, const Actor &actor);

private:
    // The key to encrypt new secrets with; creates the key file only when no stored secret needs another.
    Result<SecretBox> openKeyForWriting(const NotificationSettings &settings);

    DbConfig m_config;
    std::shared_ptr<Clock> m_clock;
};

} // namespace hcm
