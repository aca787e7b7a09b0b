#include "secretbox.h"

#include "common/logcategories.h"
#include "common/privatefiles.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMutex>
#include <QStandardPaths>

#include <sodium.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hcm {

namespace {

QMutex g_defaultMutex;
QString g_defaultKeyFile;

const QLatin1String kPrefix("v1:");

QString keyIdOf(const QByteArray &key)
{
    unsigned char digest[8];
    static const char context[] = "hcm secret key id";
    crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char *>(key.constData()),
                       size_t(key.size()), reinterpret_cast<const unsigned char *>(context),
                       sizeof context - 1);
    return QString::fromLatin1(QByteArray(reinterpret_cast<const char *>(digest), sizeof digest).toHex());
}

Result<QByteArray> decodeKey(const QByteArray &text, const QString &source)
{
    const auto decoded =
        QByteArray::fromBase64Encoding(text.trimmed(), QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.size() != SecretBox::kKeyBytes) {
        return Error{Error::Code::Invalid,
                     SecretBox::tr("The secret key in %1 is not valid: it must be %2 random bytes written in "
                                   "base64 (44 characters).")
                         .arg(source)
                         .arg(SecretBox::kKeyBytes)};
    }
    return decoded.decoded;
}

// Writes a new key to `path` with mode 0600, atomically: two processes starting at once end up with
// the same key (the loser of the link() race reads the winner's file).
Status createKeyFile(const QString &path)
{
    const QFileInfo info(path);
    if (!PrivateFiles::makeDirectory(info.absolutePath()).ok()) // 0700 whatever the umask
        return Error{Error::Code::Io, SecretBox::tr("Cannot create the folder %1 for the secret key file.")
                                          .arg(QDir::toNativeSeparators(info.absolutePath()))};
    QByteArray key(SecretBox::kKeyBytes, Qt::Uninitialized);
    randombytes_buf(key.data(), size_t(key.size()));
    const QByteArray text = key.toBase64() + '\n';
    sodium_memzero(key.data(), size_t(key.size()));
    const QByteArray tmp = QFile::encodeName(path + QStringLiteral(".%1.tmp").arg(::getpid()));
    const int fd = ::open(tmp.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return Error{Error::Code::Io,
                     SecretBox::tr("Cannot create the secret key file %1: %2")
                         .arg(QDir::toNativeSeparators(path), QString::fromLocal8Bit(std::strerror(errno)))};
    const bool written =
        ::write(fd, text.constData(), size_t(text.size())) == text.size() && ::fsync(fd) == 0;
    ::close(fd);
    const QByteArray target = QFile::encodeName(path);
    const bool linked = written && (::link(tmp.constData(), target.constData()) == 0 || errno == EEXIST);
    ::unlink(tmp.constData());
    if (!linked)
        return Error{
            Error::Code::Io,
            SecretBox::tr("Cannot write the secret key file %1.").arg(QDir::toNativeSeparators(path))};
    qCInfo(lcNotify).noquote() << "created the secret key file" << QDir::toNativeSeparators(path);
    return {};
}

} // namespace

bool SecretBox::initSodium()
{
    static const bool ok = sodium_init() >= 0;
    return ok;
}

SecretBox::SecretBox(QByteArray key, QString source)
    : m_key(std::move(key))
    , m_keyId(keyIdOf(m_key))
    , m_source(std::move(source))
{}

QString SecretBox::keyFilePath()
{
    if (const QString env = qEnvironmentVariable("HCM_SECRET_KEY_FILE"); !env.isEmpty())
        return QFileInfo(env).absoluteFilePath();
    {
        QMutexLocker lock(&g_defaultMutex);
        if (!g_defaultKeyFile.isEmpty())
            return g_defaultKeyFile;
    }
    QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    if (dir.isEmpty())
        dir = QDir::homePath() + QLatin1String("/.local/share/hcm-admin");
    return dir + QLatin1String("/secret.key");
}

void SecretBox::setDefaultKeyFile(const QString &path)
{
    QMutexLocker lock(&g_defaultMutex);
    g_defaultKeyFile = path.isEmpty() ? QString() : QFileInfo(path).absoluteFilePath();
}

QString SecretBox::generateKeyText()
{
    initSodium();
    QByteArray key(kKeyBytes, Qt::Uninitialized);
    randombytes_buf(key.data(), size_t(key.size()));
    const QString text = QString::fromLatin1(key.toBase64());
    sodium_memzero(key.data(), size_t(key.size()));
    return text;
}

Result<SecretBox> SecretBox::open(bool createIfMissing)
{
    if (qEnvironmentVariableIsSet("HCM_SECRET_KEY"))
        return fromBase64(qEnvironmentVariable("HCM_SECRET_KEY"), tr("HCM_SECRET_KEY from the environment"));
    return fromKeyFile(keyFilePath(), createIfMissing);
}

Result<SecretBox> SecretBox::fromBase64(const QString &text, const QString &sourceName)
{
    if (!initSodium())
        return Error{Error::Code::Io, tr("The encryption library (libsodium) could not be initialised.")};
    auto key = decodeKey(text.toLatin1(), sourceName);
    if (!key)
        return key.error();
    return SecretBox(key.value(), sourceName);
}

Result<SecretBox> SecretBox::fromKeyFile(const QString &path, bool createIfMissing)
{
    if (!initSodium())
        return Error{Error::Code::Io, tr("The encryption library (libsodium) could not be initialised.")};
    const QString shown = QDir::toNativeSeparators(path);
    if (!QFileInfo::exists(path)) {
        if (!createIfMissing) {
            return Error{
                Error::Code::NotFound,
                tr("The secret key file %1 does not exist, so the stored notification secrets cannot be "
                   "decrypted. Restore the key file (or set HCM_SECRET_KEY), or set the secrets again.")
                    .arg(shown)};
        }
        if (auto st = createKeyFile(path); !st)
            return st.error();
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error{Error::Code::Io,
                     tr("Cannot read the secret key file %1: %2").arg(shown, file.errorString())};
    if (file.permissions() &
        (QFileDevice::ReadGroup | QFileDevice::ReadOther | QFileDevice::WriteGroup | QFileDevice::WriteOther))
        qCWarning(lcNotify).noquote()
            << "the secret key file" << shown << "is readable by other users; chmod 600 it";
    QByteArray text = file.read(256);
    auto key = decodeKey(text, tr("the key file %1").arg(shown));
    sodium_memzero(text.data(), size_t(text.size()));
    if (!key)
        return key.error();
    return SecretBox(key.value(), tr("key file %1").arg(shown));
}

QString SecretBox::encrypt(const QString &plaintext) const
{
    QByteArray message = plaintext.toUtf8();
    QByteArray out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + message.size(),
                   Qt::Uninitialized);
    auto *nonce = reinterpret_cast<unsigned char *>(out.data());
    randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(
        nonce + crypto_secretbox_NONCEBYTES, reinterpret_cast<const unsigned char *>(message.constData()),
        size_t(message.size()), nonce, reinterpret_cast<const unsigned char *>(m_key.constData()));
    sodium_memzero(message.data(), size_t(message.size()));
    return kPrefix + m_keyId + QLatin1Char(':') + QString::fromLatin1(out.toBase64());
}

Result<QString> SecretBox::decrypt(const QString &stored, const QString &what) const
{
    const QStringList parts = stored.split(QLatin1Char(':'));
    const auto damaged =
        Error{Error::Code::Invalid,
              tr("The stored %1 is damaged (not in the expected format); set it again.").arg(what)};
    if (parts.size() != 3 || parts.at(0) != QLatin1String("v1"))
        return damaged;
    if (parts.at(1) != m_keyId) {
        return Error{
            Error::Code::Invalid,
            tr("The stored %1 was encrypted with a different key (key id %2) than the one in use (%3, key "
               "id %4). Restore the original key, or set the secret again.")
                .arg(what, parts.at(1), m_source, m_keyId)};
    }
    const auto decoded =
        QByteArray::fromBase64Encoding(parts.at(2).toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
    const qsizetype overhead = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
    if (!decoded || decoded.decoded.size() < overhead)
        return damaged;
    const QByteArray &box = decoded.decoded;
    QByteArray plain(box.size() - overhead, Qt::Uninitialized);
    const auto *nonce = reinterpret_cast<const unsigned char *>(box.constData());
    if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char *>(plain.data()),
                                   nonce + crypto_secretbox_NONCEBYTES,
                                   size_t(box.size() - crypto_secretbox_NONCEBYTES), nonce,
                                   reinterpret_cast<const unsigned char *>(m_key.constData())) != 0) {
        return Error{
            Error::Code::Invalid,
            tr("The stored %1 cannot be decrypted with the key from %2: it was altered or the key is wrong. "
               "Restore the original key, or set the secret again.")
                .arg(what, m_source)};
    }
    const QString text = QString::fromUtf8(plain);
    sodium_memzero(plain.data(), size_t(plain.size()));
    return text;
}

} // namespace hcm
