#include "slackchannel.h"

#include "common/logcategories.h"
#include "settings/notificationsettings.h"
#include "worker/notify/httpexchange.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>

namespace hcm {

SlackChannel::SlackChannel(QString webhookUrl, QString channel, ChannelOptions options)
    : m_webhookUrl(std::move(webhookUrl))
    , m_channel(std::move(channel))
    , m_options(std::move(options))
{}

DeliveryResult SlackChannel::send(const QString &text, const std::function<bool()> &cancelled)
{
    DeliveryResult result;
    const QUrl url(m_webhookUrl, QUrl::StrictMode);
    // Checked here too, in the process that sends: the stored URL may have been written by a program that
    // allowed custom provider addresses.
    if (const QString why = NotificationSettings::slackWebhookUrlProblem(m_webhookUrl); !why.isEmpty()) {
        result.error = why + QLatin1Char(' ') + tr("Set it again in the notification settings.");
        result.retryable = false;
        qCWarning(lcNotify).noquote() << "Slack message not sent:" << why;
        return result;
    }
    QJsonObject payload{{QStringLiteral("text"), text}};
    if (!m_channel.isEmpty())
        payload.insert(QStringLiteral("channel"), m_channel);
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    const HttpResponse r = HttpExchange::post(request, QJsonDocument(payload).toJson(QJsonDocument::Compact),
                                              m_options, cancelled);
    result.latencyMs = r.latencyMs;
    const QString body = QString::fromUtf8(r.body).trimmed();
    if (r.status == 0) {
        result.error = r.error;
        result.retryable = !r.tlsUntrusted;
        result.providerResponse = r.error;
    } else {
        result.providerResponse = QStringLiteral("HTTP %1 %2").arg(r.status).arg(body.left(500));
        if (r.status >= 200 && r.status < 300) {
            result.ok = true;
        } else {
            const QString code = body.isEmpty() ? QStringLiteral("HTTP %1").arg(r.status) : body.left(200);
            QString hint;
            if (code == QLatin1String("invalid_token") || code == QLatin1String("no_service") ||
                code == QLatin1String("no_team") || r.status == 404)
                hint = tr(" The webhook URL is no longer valid: create a new incoming webhook in Slack and "
                          "set it here.");
            else if (code == QLatin1String("channel_not_found") ||
                     code == QLatin1String("channel_is_archived"))
                hint = tr(" Check the Slack channel setting.");
            else if (code == QLatin1String("action_prohibited") ||
                     code == QLatin1String("posting_to_general_channel_denied"))
                hint = tr(" A Slack administrator restricted posting to that channel.");
            result.error = tr("Slack says: %1 (HTTP %2).%3").arg(code).arg(r.status).arg(hint);
            // 429 and 5xx are temporary; 4xx means the webhook or the channel is wrong.
            result.retryable = r.status == 429 || r.status >= 500;
        }
    }
    if (result.ok)
        qCInfo(lcNotify) << "Slack message delivered in" << result.latencyMs << "ms";
    else
        qCWarning(lcNotify).noquote() << "Slack delivery failed:" << result.error;
    return result;
}

} // namespace hcm
