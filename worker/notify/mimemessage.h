#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace hcm {

// A plain-text RFC 5322 email: From, To, Reply-To, Subject (RFC 2047 encoded-words when not ASCII),
// Date, Message-ID, MIME headers, and a UTF-8 body (7bit when it is plain ASCII, quoted-printable
// otherwise). Lines end with CRLF. Dot-stuffing is the SMTP client's job (libcurl does it).
class MimeMessage final {
public:
    QString fromAddress;
    QString fromName;
    QString replyTo;
    QStringList to;
    QString subject;
    QString body;
    qint64 dateMs = 0; // 0: now

    // "<random@domain-of-from>", created once per message.
    QString messageId() const;
    QByteArray toBytes() const;

    // "=?UTF-8?B?…?=" words of at most 75 characters, folded; ASCII text is returned as it is.
    static QByteArray encodeHeaderText(const QString &text);
    static QByteArray quotedPrintable(const QByteArray &utf8);

private:
    mutable QString m_messageId;
};

} // namespace hcm
