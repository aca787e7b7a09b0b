#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QPair>
#include <QSslConfiguration>
#include <QString>
#include <QTcpServer>
#include <QUrlQuery>

#include <functional>
#include <memory>
#include <optional>

class QTimer;

namespace hcm::api {

// A complete request: the head parsed, the body read (at most Limits::maxBodyBytes).
struct HttpRequest {
    QByteArray method; // "GET", as sent
    QString path;      // percent-decoded path of the target, without the query
    QUrlQuery query;
    QList<QPair<QByteArray, QByteArray>> headers; // names in lower case
    QByteArray body;
    QString clientAddress;

    // The value of the first header `lowerName`; empty when absent.
    QByteArray header(const QByteArray &lowerName) const;
    bool hasHeader(const QByteArray &lowerName) const;
};

struct HttpResponse {
    int status = 200;
    QByteArray contentType = "application/json";
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;

    void setHeader(const QByteArray &name, const QByteArray &value);
};

class HttpConnection;

// Hands the answer of one request back to its connection, from any thread, once. When the client has
// gone meanwhile, the answer is dropped.
class HttpResponder final {
public:
    struct Link;
    explicit HttpResponder(std::shared_ptr<Link> link);
    void send(HttpResponse response) const;

private:
    std::shared_ptr<Link> m_link;
};

// A small HTTP/1.1 server (keep-alive, pipelining answered in order, optional TLS) whose every limit is
// enforced before the bytes it limits are read.
//
// Why not QHttpServer (Qt 6.4, Debian's qt6-httpserver): it reads a whole request, any size, into
// memory before a handler sees it, so a 1 MiB limit cannot answer 413 before the body arrives; it
// has no limit on the request head, no timeouts and no connection limit; and its asynchronous answers
// (a handler returning QFuture) are delivered through a continuation that holds the connection's raw
// QTcpSocket pointer and the request by reference, both deleted when the client disconnects first, so
// a client that hangs up before a slow answer would make the server write through a dangling pointer.
// The framing below is the part of HTTP/1.1 the API needs: a request line, header fields,
// Content-Length bodies (chunked request bodies are refused with 411), keep-alive.
class HttpServer final : public QObject {
    Q_OBJECT

public:
    struct Limits {
        qint64 maxBodyBytes = 1024 * 1024;
        int maxHeaderBytes = 16 * 1024;   // request line and header fields together
        int headerTimeoutMs = 10 * 1000;  // from the first byte of a request (or the TLS handshake)
        int requestTimeoutMs = 30 * 1000; // from the end of the head until the body is complete
        int idleTimeoutMs = 60 * 1000;    // a kept-alive connection without a request
        int maxConnections = 1000;        // more are answered 503 and closed
    };
    // Called on the server's thread for every complete request; answers through the responder, from
    // any thread, exactly once.
    using Handler = std::function<void(HttpRequest &&request, const HttpResponder &responder)>;

    HttpServer(Limits limits, Handler handler, QObject *parent = nullptr);
    ~HttpServer() override;

    // TLS for every connection from now on.
    void setTls(const QSslConfiguration &configuration);
    bool listen(const QHostAddress &address, quint16 port, QString *error);
    quint16 serverPort() const;
    int connectionCount() const { return m_connections; }

    static QByteArray reasonPhrase(int status);
    static QByteArray serialize(const HttpResponse &response, bool keepAlive);

private:
    friend class HttpConnection;
    class Listener;
    void accept(qintptr descriptor);
    void sweep();

    Limits m_limits;
    Handler m_handler;
    Listener *m_listener = nullptr;
    QTimer *m_sweepTimer = nullptr;
    std::optional<QSslConfiguration> m_tls;
    int m_connections = 0;
    QList<HttpConnection *> m_live;
};

} // namespace hcm::api
