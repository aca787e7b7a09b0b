#pragma once

#include "worker/notify/deliveryresult.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QNetworkRequest>
#include <QString>

#include <functional>

namespace hcm {

struct HttpResponse {
    int status = 0; // 0: no HTTP answer
    QByteArray body;
    QString contentType;
    QString error; // a sentence when there was no HTTP answer (TLS, network, timeout)
    bool tlsUntrusted = false;
    qint64 latencyMs = 0;
};

// One blocking HTTPS POST through QNetworkAccessManager, for channels that run on handler threads: the
// manager and a QEventLoop are created in the calling thread and gone when it returns. TLS is verified
// (SSL errors are never ignored); an extra CA file can be trusted besides the system's.
class HttpExchange final {
    Q_DECLARE_TR_FUNCTIONS(hcm::HttpExchange)

public:
    static HttpResponse post(QNetworkRequest request, const QByteArray &body, const ChannelOptions &options,
                             const std::function<bool()> &cancelled = {});
};

} // namespace hcm
