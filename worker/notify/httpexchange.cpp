#include "httpexchange.h"

#include "settings/notificationsettings.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QTimer>

#include <memory>

namespace hcm {

HttpResponse HttpExchange::post(QNetworkRequest request, const QByteArray &body,
                                const ChannelOptions &options, const std::function<bool()> &cancelled)
{
    HttpResponse response;
    QElapsedTimer timer;
    timer.start();
    const QString host = request.url().host();

    if (!options.caFile.isEmpty()) {
        // Missing, unreadable, not PEM: said as such (Qt would only find no certificate in it).
        if (const QString why = NotificationSettings::caFileProblem(options.caFile); !why.isEmpty()) {
            response.error = why;
            return response;
        }
        const QList<QSslCertificate> extra = QSslCertificate::fromPath(options.caFile, QSsl::Pem);
        if (extra.isEmpty()) {
            response.error = tr("The extra trusted CA file %1 holds no PEM certificate.").arg(options.caFile);
            return response;
        }
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.addCaCertificates(extra);
        request.setSslConfiguration(tls);
    }
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::NoLessSafeRedirectPolicy);

    QNetworkAccessManager manager;
    QEventLoop loop;
    std::unique_ptr<QNetworkReply> reply(manager.post(request, body));
    QStringList sslErrors;
    QObject::connect(reply.get(), &QNetworkReply::sslErrors, reply.get(),
                     [&](const QList<QSslError> &errors) {
                         for (const QSslError &e : errors)
                             sslErrors.append(e.errorString());
                     });
    bool timedOut = false;
    bool wasCancelled = false;
    QTimer deadline;
    deadline.setSingleShot(true);
    QObject::connect(&deadline, &QTimer::timeout, &loop, [&] {
        timedOut = true;
        reply->abort();
    });
    deadline.start(options.totalTimeoutMs);
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (cancelled && cancelled()) {
            wasCancelled = true;
            reply->abort();
        }
    });
    if (cancelled)
        poll.start(50);
    QObject::connect(reply.get(), &QNetworkReply::finished, &loop, &QEventLoop::quit);
    if (!reply->isFinished())
        loop.exec(QEventLoop::ExcludeUserInputEvents);
    deadline.stop();
    poll.stop();

    response.latencyMs = timer.elapsed();
    response.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    response.body = reply->readAll();
    response.contentType = reply->header(QNetworkRequest::ContentTypeHeader).toString();
    if (response.status > 0)
        return response;
    if (timedOut)
        response.error = tr("%1 did not answer within %2 s.").arg(host).arg(options.totalTimeoutMs / 1000.0);
    else if (wasCancelled)
        response.error = tr("The request to %1 was cancelled.").arg(host);
    else if (!sslErrors.isEmpty() || reply->error() == QNetworkReply::SslHandshakeFailedError) {
        response.tlsUntrusted = true;
        response.error =
            tr("The certificate of %1 is not trusted (%2). Install the issuing CA on this machine, or name "
               "its file as the extra trusted CA in the notification settings.")
                .arg(host, sslErrors.isEmpty() ? reply->errorString() : sslErrors.join(QLatin1String("; ")));
    } else if (reply->error() == QNetworkReply::HostNotFoundError)
        response.error = tr("The host name %1 could not be resolved.").arg(host);
    else if (reply->error() == QNetworkReply::ConnectionRefusedError)
        response.error = tr("%1 refused the connection.").arg(host);
    else {
        // Qt's error strings can quote the whole URL, and a webhook URL is a secret: keep only the host.
        QString why = reply->errorString();
        why.replace(request.url().toString(), host);
        why.replace(request.url().path(), QStringLiteral("/…"));
        response.error = tr("The request to %1 failed: %2").arg(host, why);
    }
    return response;
}

} // namespace hcm
