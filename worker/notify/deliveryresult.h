#pragma once

#include <QString>
#include <QStringList>

namespace hcm {

// How one delivery through a channel ended. `error` is a sentence a person can act on; `providerResponse`
// is what the provider said (SMTP reply, HTTP status and body), for the delivery log.
struct DeliveryResult {
    bool ok = false;
    QString providerResponse;
    QString error;
    bool retryable = true; // false: configuration or credentials are wrong; retrying cannot help
    qint64 latencyMs = 0;
    // SMTP only
    QString messageId;
    QStringList accepted; // recipients the server accepted
};

// Timeouts and trust shared by every channel.
struct ChannelOptions {
    int connectTimeoutMs = 10'000;
    int totalTimeoutMs = 60'000;
    QString caFile; // an extra trusted CA (PEM), in addition to the system's; verification stays on
};

} // namespace hcm
