#pragma once

#include "worker/notify/deliveryresult.h"

#include <QCoreApplication>
#include <QString>

#include <functional>

namespace hcm {

// Sends one SMS through Twilio's Messages API: POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json
// with HTTP Basic auth (SID:token) and a form body (To, From, Body). Twilio's JSON errors ({code,
// message}) become sentences.
class TwilioChannel final {
    Q_DECLARE_TR_FUNCTIONS(hcm::TwilioChannel)

public:
    TwilioChannel(QString baseUrl, QString accountSid, QString authToken, QString fromNumber,
                  ChannelOptions options);

    DeliveryResult send(const QString &to, const QString &text, const std::function<bool()> &cancelled = {});

private:
    QString m_baseUrl;
    QString m_accountSid;
    QString m_authToken; // a secret: never logged
    QString m_from;
    ChannelOptions m_options;
};

} // namespace hcm
