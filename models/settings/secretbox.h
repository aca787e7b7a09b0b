#pragma once

#include "common/error.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QString>

namespace hcm {

// Encrypts the notification secrets at rest with libsodium's secretbox (XSalsa20-Poly1305). Stored
// form: "v1:<key id>:<base64(nonce || ciphertext)>"; the key id (a digest of the key, not the key)
// lets a wrong key be reported as such instead of producing garbage.
//
// Where the key comes from, first match wins:
//   1. HCM_SECRET_KEY: the key itself, 32 bytes in base64 (servers, containers);
//   2. the key file: HCM_SECRET_KEY_FILE, else the path given to setDefaultKeyFile(), else
//      <AppDataLocation>/secret.key. Created with mode 0600 the first time a secret is saved.
class SecretBox final {
    Q_DECLARE_TR_FUNCTIONS(hcm::SecretBox)

public:
    static constexpr int kKeyBytes = 32;

    // The key of this process, per the rules above. With `createIfMissing`, a missing key file is
    // created (never when HCM_SECRET_KEY is set). Errors are sentences naming the file or variable.
    static Result<SecretBox> open(bool createIfMissing);
    static Result<SecretBox> fromKeyFile(const QString &path, bool createIfMissing);
    static Result<SecretBox> fromBase64(const QString &text, const QString &sourceName);

    // The key file used when HCM_SECRET_KEY is not set.
    static QString keyFilePath();
    // The default key file of this program (set at start-up, before threads run).
    static void setDefaultKeyFile(const QString &path);
    // A new random key as base64, for HCM_SECRET_KEY.
    static QString generateKeyText();

    QString encrypt(const QString &plaintext) const;
    // `what` names the secret in error messages ("the SMTP password").
    Result<QString> decrypt(const QString &stored, const QString &what) const;

    QString keyId() const { return m_keyId; }
    // Where the key came from, for messages: "key file /path" or "HCM_SECRET_KEY from the environment".
    QString source() const { return m_source; }

    static bool initSodium();

private:
    SecretBox(QByteArray key, QString source);

    QByteArray m_key;
    QString m_keyId;
    QString m_source;
};

} // namespace hcm
