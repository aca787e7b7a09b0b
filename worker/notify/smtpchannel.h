#pragma once

#include "settings/notificationsettings.h"
#include "worker/notify/deliveryresult.h"

#include <QCoreApplication>
#include <QString>
#include <QStringList>

#include <functional>

namespace hcm {

struct SmtpConfig {
    QString host;
    int port = 587;
    SmtpSecurity security = SmtpSecurity::StartTls;
    QString username;
    QString password; // never logged
    QString fromAddress;
    QString fromName;
    QString replyTo;
    ChannelOptions options;

    // From the stored settings (with the password decrypted by loadForDelivery()).
    static SmtpConfig fromSettings(const NotificationSettings &settings, const ChannelOptions &base = {});
    bool isConfigured() const { return !host.isEmpty() && !fromAddress.isEmpty(); }
};

// Sends email through libcurl's SMTP client: STARTTLS (required, never optional) or implicit TLS,
// AUTH PLAIN/LOGIN as the server offers, certificate and host name verification always on, connect
// and total timeouts. Blocking; safe to use from any thread (one instance per call).
class SmtpChannel final {
    Q_DECLARE_TR_FUNCTIONS(hcm::SmtpChannel)

public:
    explicit SmtpChannel(SmtpConfig config);

    // `cancelled` is polled while the transfer runs; returning true aborts it.
    DeliveryResult send(const QStringList &to, const QString &subject, const QString &body,
                        const std::function<bool()> &cancelled = {});

private:
    SmtpConfig m_config;
};

} // namespace hcm
