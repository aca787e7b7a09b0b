#include "twiliochannel.h"

#include "common/logcategories.h"
#include "settings/notificationsettings.h"
#include "worker/notify/httpexchange.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>

namespace hcm {

namespace {

QByteArray formField(const char *key, const QString &value)
{
    // '+' must become %2B: in a form body a bare '+' means a space.
    return QByteArray(key) + '=' + QUrl::toPercentEncoding(value);
}

} // namespace

TwilioChannel::TwilioChannel(QString baseUrl, QString accountSid, QString authToken, QString fromNumber,
                             ChannelOptions options)
    : m_baseUrl(std::move(baseUrl))
    , m_accountSid(std::move(accountSid))
    , m_authToken(std::move(authToken))
    , m_from(std::move(fromNumber))
    , m_options(std::move(options))
{}

DeliveryResult TwilioChannel::send(const QString &to, const QString &text,
                                   const std::function<bool()> &cancelled)
{
    DeliveryResult result;
    // Checked here too, in the process that holds the token: the stored address may have been written by a
    // program that allowed custom provider addresses, or directly in the database.
    if (const QString why = NotificationSettings::twilioBaseUrlProblem(m_baseUrl); !why.isEmpty()) {
        result.error = why;
        result.retryable = false;
        qCWarning(lcNotify).noquote() << "SMS not sent:" << why;
        return result;
    }
    QString base = m_baseUrl;
    while (base.endsWith(QLatin1Char('/')))
        base.chop(1);
    const QUrl url(base + QStringLiteral("/2010-04-01/Accounts/%1/Messages.json").arg(m_accountSid),
                   QUrl::StrictMode);
    if (!url.isValid() || url.scheme() != QLatin1String("https")) {
        result.error = tr("The Twilio API address %1 is not an https:// URL.").arg(m_baseUrl);
        result.retryable = false;
        return result;
    }
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader,
                      QStringLiteral("application/x-www-form-urlencoded"));
    request.setRawHeader("Authorization",
                         "Basic " + (m_accountSid + QLatin1Char(':') + m_authToken).toUtf8().toBase64());
    request.setRawHeader("Accept", "application/json");
    const QByteArray body =
        formField("To", to) + '&' + formField("From", m_from) + '&' + formField("Body", text);
    const HttpResponse r = HttpExchange::post(request, body, m_options, cancelled);
    result.latencyMs = r.latencyMs;
    if (r.status == 0) {
        result.error = r.error;
        result.providerResponse = r.error;
        result.retryable = !r.tlsUntrusted;
        qCWarning(lcNotify).noquote() << "SMS delivery failed:" << result.error;
        return result;
    }
    const QJsonObject json = QJsonDocument::fromJson(r.body).object();
    result.providerResponse =
        QStringLiteral("HTTP %1 %2").arg(r.status).arg(QString::fromUtf8(r.body.left(1000)));
    if (r.status >= 200 && r.status < 300) {
        result.ok = true;
        result.messageId = json.value(QStringLiteral("sid")).toString();
        result.accepted = {to};
        qCInfo(lcNotify).noquote() << "SMS" << result.messageId << "accepted by Twilio";
        return result;
    }
    const int code = json.value(QStringLiteral("code")).toInt();
    const QString message = json.value(QStringLiteral("message")).toString();
    QString hint;
    switch (code) {
    case 20003:
        hint = tr(" The account SID or auth token is wrong.");
        break;
    case 20404:
        hint = tr(" Check the account SID.");
        break;
    case 21211:
    case 21614:
        hint = tr(" Check the recipient number %1.").arg(to);
        break;
    case 21606:
    case 21659:
    case 21212:
        hint = tr(" The sender number %1 is not one of your Twilio numbers.").arg(m_from);
        break;
    case 21408:
        hint = tr(" Enable SMS to that country in the Twilio console (geo permissions).");
        break;
    default:
        break;
    }
    if (message.isEmpty())
        result.error = tr("Twilio answered HTTP %1 without an error message.").arg(r.status);
    else
        result.error = tr("Twilio says: %1 (error %2).%3").arg(message).arg(code).arg(hint);
    result.retryable = r.status == 429 || r.status >= 500;
    qCWarning(lcNotify).noquote() << "SMS delivery failed:" << result.error;
    return result;
}

} // namespace hcm
