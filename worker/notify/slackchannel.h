#pragma once

#include "worker/notify/deliveryresult.h"

#include <QCoreApplication>
#include <QString>

#include <functional>

namespace hcm {

// Posts a message to a Slack incoming webhook: POST {"text": …, "channel": …} as application/json.
// Slack answers "ok" or a short error code in the body ("invalid_token", "channel_not_found").
class SlackChannel final {
    Q_DECLARE_TR_FUNCTIONS(hcm::SlackChannel)

public:
    SlackChannel(QString webhookUrl, QString channel, ChannelOptions options);

    DeliveryResult send(const QString &text, const std::function<bool()> &cancelled = {});

private:
    QString m_webhookUrl; // a secret: never logged
    QString m_channel;
    ChannelOptions m_options;
};

} // namespace hcm
