#include "mimemessage.h"

#include <QDateTime>
#include <QLocale>
#include <QRandomGenerator>
#include <QTimeZone>

namespace hcm {

namespace {

bool isAscii(const QString &s)
{
    for (QChar c : s)
        if (c.unicode() > 126 || (c.unicode() < 32 && c != QLatin1Char('\t')))
            return false;
    return true;
}

// Header text on one line: a CR or LF in a subject or name would inject headers.
QString oneLine(const QString &s)
{
    QString out = s;
    out.replace(QLatin1String("\r\n"), QLatin1String(" "));
    out.replace(QLatin1Char('\r'), QLatin1Char(' '));
    out.replace(QLatin1Char('\n'), QLatin1Char(' '));
    return out;
}

QByteArray mailbox(const QString &name, const QString &address)
{
    const QString n = oneLine(name).trimmed();
    if (n.isEmpty())
        return address.toUtf8();
    QByteArray display;
    if (isAscii(n)) {
        QString quoted = n;
        quoted.replace(QLatin1Char('\\'), QLatin1String("\\\\"));
        quoted.replace(QLatin1Char('"'), QLatin1String("\\\""));
        display = '"' + quoted.toUtf8() + '"';
    } else {
        display = MimeMessage::encodeHeaderText(n);
    }
    return display + " <" + address.toUtf8() + '>';
}

QString rfc5322Date(qint64 ms)
{
    const QDateTime t = QDateTime::fromMSecsSinceEpoch(ms, QTimeZone::utc());
    return QLocale::c().toString(t, QStringLiteral("ddd, dd MMM yyyy HH:mm:ss")) + QStringLiteral(" +0000");
}

} // namespace

QByteArray MimeMessage::encodeHeaderText(const QString &text)
{
    const QString t = oneLine(text);
    if (isAscii(t))
        return t.toUtf8();
    // An encoded word is at most 75 characters: "=?UTF-8?B?" + base64 + "?=" leaves 63 for base64,
    // i.e. 45 bytes. Split between characters, never inside a UTF-8 sequence or a surrogate pair.
    QList<QByteArray> words;
    QByteArray chunk;
    for (qsizetype i = 0; i < t.size(); ++i) {
        qsizetype len = (t.at(i).isHighSurrogate() && i + 1 < t.size()) ? 2 : 1;
        const QByteArray piece = t.mid(i, len).toUtf8();
        i += len - 1;
        if (chunk.size() + piece.size() > 45) {
            words.append(chunk);
            chunk.clear();
        }
        chunk += piece;
    }
    if (!chunk.isEmpty())
        words.append(chunk);
    QByteArray out;
    for (const QByteArray &w : std::as_const(words)) {
        if (!out.isEmpty())
            out += "\r\n ";
        out += "=?UTF-8?B?" + w.toBase64() + "?=";
    }
    return out;
}

QByteArray MimeMessage::quotedPrintable(const QByteArray &utf8)
{
    static const char hex[] = "0123456789ABCDEF";
    QByteArray out;
    const QList<QByteArray> lines = utf8.split('\n');
    for (qsizetype li = 0; li < lines.size(); ++li) {
        QByteArray line = lines.at(li);
        if (line.endsWith('\r'))
            line.chop(1);
        int col = 0;
        for (qsizetype i = 0; i < line.size(); ++i) {
            const auto c = static_cast<unsigned char>(line.at(i));
            const bool last = i == line.size() - 1;
            QByteArray enc;
            if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last))
                enc = QByteArray(1, char(c));
            else
                enc = QByteArray("=") + hex[c >> 4] + hex[c & 15];
            if (col + enc.size() > 75) {
                out += "=\r\n";
                col = 0;
            }
            out += enc;
            col += int(enc.size());
        }
        if (li + 1 < lines.size())
            out += "\r\n";
    }
    return out;
}

QString MimeMessage::messageId() const
{
    if (m_messageId.isEmpty()) {
        QString domain = fromAddress.section(QLatin1Char('@'), 1);
        if (domain.isEmpty())
            domain = QStringLiteral("hcm-admin.invalid");
        const quint64 a = QRandomGenerator::system()->generate64();
        const quint64 b = QRandomGenerator::system()->generate64();
        m_messageId = QStringLiteral("<%1.%2@%3>")
                          .arg(a, 16, 16, QLatin1Char('0'))
                          .arg(b, 16, 16, QLatin1Char('0'))
                          .arg(domain);
    }
    return m_messageId;
}

QByteArray MimeMessage::toBytes() const
{
    QByteArray m;
    m += "From: " + mailbox(fromName, fromAddress) + "\r\n";
    m += "To: " + to.join(QStringLiteral(", ")).toUtf8() + "\r\n";
    if (!replyTo.isEmpty())
        m += "Reply-To: " + replyTo.toUtf8() + "\r\n";
    m += "Subject: " + encodeHeaderText(subject) + "\r\n";
    m +=
        "Date: " + rfc5322Date(dateMs > 0 ? dateMs : QDateTime::currentMSecsSinceEpoch()).toLatin1() + "\r\n";
    m += "Message-ID: " + messageId().toUtf8() + "\r\n";
    m += "MIME-Version: 1.0\r\n";
    m += "Content-Type: text/plain; charset=UTF-8\r\n";
    QByteArray text = body.toUtf8();
    text.replace("\r\n", "\n");
    bool plain = isAscii(QString(body).remove(QLatin1Char('\n')).remove(QLatin1Char('\r')));
    for (const QByteArray &line : text.split('\n'))
        plain = plain && line.size() <= 998;
    if (plain) {
        m += "Content-Transfer-Encoding: 7bit\r\n\r\n";
        text.replace("\n", "\r\n");
        m += text;
    } else {
        m += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
        m += quotedPrintable(text);
    }
    if (!m.endsWith("\r\n"))
        m += "\r\n";
    return m;
}

} // namespace hcm
