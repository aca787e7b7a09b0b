#include "api/httpserver.h"

#include "common/logcategories.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QMutex>
#include <QPointer>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTimer>
#include <QUrl>

#include <sys/socket.h>

namespace hcm::api {

QByteArray HttpRequest::header(const QByteArray &lowerName) const
{
    for (const auto &h : headers)
        if (h.first == lowerName)
            return h.second;
    return {};
}

bool HttpRequest::hasHeader(const QByteArray &lowerName) const
{
    for (const auto &h : headers)
        if (h.first == lowerName)
            return true;
    return false;
}

void HttpResponse::setHeader(const QByteArray &name, const QByteArray &value)
{
    for (auto &h : headers) {
        if (h.first.compare(name, Qt::CaseInsensitive) == 0) {
            h.second = value;
            return;
        }
    }
    headers.append({name, value});
}

// The connection a responder answers: cleared (under the mutex) when the connection goes away, so a
// pool thread never posts to a deleted object.
struct HttpResponder::Link {
    QMutex mutex;
    HttpConnection *connection = nullptr;
};

namespace {

QByteArray errorBody(const QString &detail)
{
    return QByteArrayLiteral("{\"detail\":\"") + detail.toUtf8().replace('\\', "\\\\").replace('"', "\\\"") +
           QByteArrayLiteral("\",\"errors\":[]}");
}

HttpResponse errorResponse(int status, const QString &detail)
{
    HttpResponse r;
    r.status = status;
    r.body = errorBody(detail);
    return r;
}

bool isToken(const QByteArray &text)
{
    if (text.isEmpty())
        return false;
    for (char c : text) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
        if (!ok)
            return false;
    }
    return true;
}

} // namespace

// One client connection: reads and frames requests, enforces the limits, hands each complete request
// to the handler and writes the answers in request order. Lives on the server's thread.
class HttpConnection final : public QObject {
public:
    HttpConnection(HttpServer *server, QTcpSocket *socket)
        : QObject(server)
        , m_server(server)
        , m_socket(socket)
        , m_link(std::make_shared<HttpResponder::Link>())
    {
        m_link->connection = this;
        socket->setParent(this);
        // Bytes wait in the kernel while a request is being answered: a client that pipelines or
        // floods cannot grow our memory beyond this and the limits of one request.
        socket->setReadBufferSize(64 * 1024);
        m_peer = socket->peerAddress();
        if (m_peer.protocol() == QAbstractSocket::IPv6Protocol) {
            bool isV4 = false;
            const quint32 v4 = m_peer.toIPv4Address(&isV4);
            if (isV4)
                m_peer = QHostAddress(v4);
        }
        m_deadline = QDeadlineTimer(server->m_limits.headerTimeoutMs);
        connect(socket, &QTcpSocket::readyRead, this, &HttpConnection::process);
        connect(socket, &QTcpSocket::disconnected, this, &HttpConnection::close);
        connect(socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError e) {
            if (e != QAbstractSocket::RemoteHostClosedError)
                qCDebug(lcApp) << "API connection error:" << m_socket->errorString();
            close();
        });
        if (auto *ssl = qobject_cast<QSslSocket *>(socket)) {
            connect(ssl, &QSslSocket::sslErrors, this, [this] { close(); });
            connect(ssl, &QSslSocket::encrypted, this, &HttpConnection::process);
        }
    }

    ~HttpConnection() override
    {
        QMutexLocker lock(&m_link->mutex);
        m_link->connection = nullptr;
    }

    // Called from the responder (queued onto this thread).
    void deliver(HttpResponse response)
    {
        if (m_closing || !m_pending)
            return;
        m_pending = false;
        write(response, m_keepAlive);
        if (!m_keepAlive) {
            shutdown();
            return;
        }
        resetForNextRequest();
        process();
    }

    // The sweep: a connection past its deadline is answered 408 (or closed quietly when idle).
    void checkDeadline()
    {
        if (m_closing || m_pending || !m_deadline.hasExpired())
            return;
        if (m_state == State::Idle && m_buffer.isEmpty()) {
            shutdown();
            return;
        }
        reject(408,
               QCoreApplication::translate("hcm::api::HttpServer", "The request was not received in time."));
    }

    void close()
    {
        if (m_closed)
            return;
        m_closed = true;
        m_closing = true;
        m_server->m_live.removeOne(this);
        --m_server->m_connections;
        {
            QMutexLocker lock(&m_link->mutex);
            m_link->connection = nullptr;
        }
        deleteLater();
    }

private:
    enum class State { Idle, Head, Body };

    void resetForNextRequest()
    {
        m_state = State::Idle;
        m_request = HttpRequest{};
        m_bodyLength = 0;
        m_deadline = QDeadlineTimer(m_server->m_limits.idleTimeoutMs);
    }

    void write(const HttpResponse &response, bool keepAlive)
    {
        m_socket->write(HttpServer::serialize(response, keepAlive));
    }

    // Answers with an error and closes: the rest of what the client sends is not read.
    // Answers with an error and closes without reading further requests. What the client is still
    // sending (the body of a 413) is read and dropped until it closes or for 2 s: closing a socket
    // with unread bytes makes the kernel reset the connection, and the client would lose the answer.
    void reject(int status, const QString &detail)
    {
        if (m_closing)
            return;
        write(errorResponse(status, detail), false);
        m_closing = true;
        m_lingering = true;
        m_hardClose = true;
        m_deadline = QDeadlineTimer(2000);
        connect(m_socket, &QTcpSocket::bytesWritten, this, [this] {
            if (m_socket->bytesToWrite() == 0)
                halfClose();
        });
        discardInput();
        if (m_socket->bytesToWrite() == 0 || !m_socket->flush())
            halfClose();
    }

    void discardInput()
    {
        m_discarded += m_socket->skip(m_socket->bytesAvailable());
        if (m_discarded > 16 * 1024 * 1024)
            abort();
    }

    void halfClose()
    {
        if (m_halfClosed || m_closed || m_socket->bytesToWrite() > 0)
            return;
        m_halfClosed = true;
        if (qobject_cast<QSslSocket *>(m_socket) || m_socket->socketDescriptor() < 0)
            m_socket->disconnectFromHost();
        else
            ::shutdown(int(m_socket->socketDescriptor()), SHUT_WR);
    }

    void shutdown()
    {
        m_closing = true;
        m_socket->disconnectFromHost();
        // A client that neither reads the answer nor closes is cut off by the sweep.
        m_deadline = QDeadlineTimer(2000);
        m_hardClose = true;
    }

public:
    bool hardCloseDue() const { return m_hardClose && m_deadline.hasExpired(); }
    void abort()
    {
        m_socket->abort();
        close();
    }

private:
    void process()
    {
        if (m_lingering)
            return discardInput();
        if (m_closing || m_pending)
            return;
        if (auto *ssl = qobject_cast<QSslSocket *>(m_socket); ssl && !ssl->isEncrypted())
            return;
        const HttpServer::Limits &limits = m_server->m_limits;
        for (;;) {
            if (m_state != State::Body) {
                // Read no more than fits into a head: what follows stays in the socket until needed.
                const qint64 room = limits.maxHeaderBytes + 4 - m_buffer.size();
                if (room > 0 && m_socket->bytesAvailable() > 0)
                    m_buffer.append(m_socket->read(room));
                if (m_buffer.isEmpty())
                    return;
                if (m_state == State::Idle) {
                    m_state = State::Head;
                    m_deadline = QDeadlineTimer(limits.headerTimeoutMs);
                }
                const qsizetype end = m_buffer.indexOf("\r\n\r\n");
                if (end < 0) {
                    if (m_buffer.size() > limits.maxHeaderBytes)
                        return reject(431,
                                      QCoreApplication::translate("hcm::api::HttpServer",
                                                                  "The request head is larger than %1 bytes.")
                                          .arg(limits.maxHeaderBytes));
                    return;
                }
                if (end + 4 > limits.maxHeaderBytes + 4)
                    return reject(431,
                                  QCoreApplication::translate("hcm::api::HttpServer",
                                                              "The request head is larger than %1 bytes.")
                                      .arg(limits.maxHeaderBytes));
                const QByteArray head = m_buffer.left(end);
                m_buffer.remove(0, end + 4);
                if (!parseHead(head))
                    return;
                if (m_bodyLength > limits.maxBodyBytes)
                    return reject(413,
                                  QCoreApplication::translate("hcm::api::HttpServer",
                                                              "The request body is larger than %1 bytes.")
                                      .arg(limits.maxBodyBytes));
                m_state = State::Body;
                m_deadline = QDeadlineTimer(limits.requestTimeoutMs);
                if (m_bodyLength > 0 &&
                    m_request.header("expect").compare("100-continue", Qt::CaseInsensitive) == 0 &&
                    m_buffer.isEmpty())
                    m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
            }
            // The body: exactly Content-Length bytes.
            const qint64 missing = m_bodyLength - m_buffer.size();
            if (missing > 0 && m_socket->bytesAvailable() > 0)
                m_buffer.append(m_socket->read(missing));
            if (m_buffer.size() < m_bodyLength)
                return;
            m_request.body = m_buffer.left(m_bodyLength);
            m_buffer.remove(0, m_bodyLength);
            m_pending = true;
            m_state = State::Idle;
            HttpRequest request = std::move(m_request);
            m_request = HttpRequest{};
            m_server->m_handler(std::move(request), HttpResponder(m_link));
            if (m_pending || m_closing)
                return; // answered later; the rest waits
        }
    }

    bool parseHead(const QByteArray &head)
    {
        const auto bad = [this](const QString &detail) {
            reject(400, detail);
            return false;
        };
        const QList<QByteArray> lines = head.split('\n');
        QByteArray requestLine = lines.value(0);
        if (requestLine.endsWith('\r'))
            requestLine.chop(1);
        const QList<QByteArray> parts = requestLine.split(' ');
        if (parts.size() != 3 || !isToken(parts.at(0)) || !parts.at(1).startsWith('/'))
            return bad(QCoreApplication::translate("hcm::api::HttpServer", "The request line is malformed."));
        const QByteArray &version = parts.at(2);
        if (version != "HTTP/1.1" && version != "HTTP/1.0") {
            reject(505, QCoreApplication::translate("hcm::api::HttpServer",
                                                    "Only HTTP/1.1 and HTTP/1.0 are served."));
            return false;
        }
        m_request.method = parts.at(0);
        const QUrl url(QString::fromLatin1(parts.at(1)), QUrl::StrictMode);
        if (!url.isValid() || !url.isRelative())
            return bad(
                QCoreApplication::translate("hcm::api::HttpServer", "The request target is malformed."));
        m_request.path = url.path(QUrl::FullyDecoded);
        m_request.query = QUrlQuery(url.query(QUrl::FullyEncoded));
        m_request.clientAddress = m_peer.toString();

        std::optional<qint64> length;
        for (qsizetype i = 1; i < lines.size(); ++i) {
            QByteArray line = lines.at(i);
            if (line.endsWith('\r'))
                line.chop(1);
            const qsizetype colon = line.indexOf(':');
            if (colon <= 0 || !isToken(line.left(colon)))
                return bad(
                    QCoreApplication::translate("hcm::api::HttpServer", "A header field is malformed."));
            const QByteArray name = line.left(colon).toLower();
            const QByteArray value = line.mid(colon + 1).trimmed();
            if (name == "content-length") {
                bool ok = value.size() <= 18 && !value.isEmpty();
                for (char c : value)
                    ok = ok && c >= '0' && c <= '9';
                const qint64 n = ok ? value.toLongLong(&ok) : -1;
                if (!ok || (length && *length != n))
                    return bad(
                        QCoreApplication::translate("hcm::api::HttpServer", "Content-Length is not valid."));
                length = n;
            } else if (name == "transfer-encoding") {
                reject(411,
                       QCoreApplication::translate(
                           "hcm::api::HttpServer",
                           "Send the body with Content-Length; chunked transfer encoding is not accepted."));
                return false;
            }
            m_request.headers.append({name, value});
        }
        m_bodyLength = length.value_or(0);
        const QByteArray connection = m_request.header("connection").toLower();
        m_keepAlive =
            version == "HTTP/1.1" ? !connection.contains("close") : connection.contains("keep-alive");
        return true;
    }

    HttpServer *m_server;
    QTcpSocket *m_socket;
    std::shared_ptr<HttpResponder::Link> m_link;
    QHostAddress m_peer;
    QByteArray m_buffer;
    HttpRequest m_request;
    State m_state = State::Idle;
    qint64 m_bodyLength = 0;
    QDeadlineTimer m_deadline;
    bool m_pending = false;
    bool m_keepAlive = true;
    bool m_closing = false;
    bool m_closed = false;
    bool m_hardClose = false;
    bool m_lingering = false;
    bool m_halfClosed = false;
    qint64 m_discarded = 0;
};

HttpResponder::HttpResponder(std::shared_ptr<Link> link)
    : m_link(std::move(link))
{}

void HttpResponder::send(HttpResponse response) const
{
    QMutexLocker lock(&m_link->mutex);
    HttpConnection *connection = m_link->connection;
    if (!connection)
        return; // the client has gone
    // Queued: the connection is destroyed only on its own thread after clearing the link under this
    // mutex, and a queued call to an object deleted meanwhile is dropped by Qt.
    QMetaObject::invokeMethod(
        connection, [connection, r = std::move(response)]() mutable { connection->deliver(std::move(r)); },
        Qt::QueuedConnection);
}

class HttpServer::Listener final : public QTcpServer {
public:
    explicit Listener(HttpServer *server)
        : QTcpServer(server)
        , m_server(server)
    {}

protected:
    void incomingConnection(qintptr descriptor) override { m_server->accept(descriptor); }

private:
    HttpServer *m_server;
};

HttpServer::HttpServer(Limits limits, Handler handler, QObject *parent)
    : QObject(parent)
    , m_limits(limits)
    , m_handler(std::move(handler))
    , m_listener(new Listener(this))
    , m_sweepTimer(new QTimer(this))
{
    m_sweepTimer->setInterval(250);
    connect(m_sweepTimer, &QTimer::timeout, this, &HttpServer::sweep);
}

HttpServer::~HttpServer() = default;

void HttpServer::setTls(const QSslConfiguration &configuration)
{
    m_tls = configuration;
}

bool HttpServer::listen(const QHostAddress &address, quint16 port, QString *error)
{
    m_listener->setMaxPendingConnections(256);
    if (!m_listener->listen(address, port)) {
        if (error)
            *error = m_listener->errorString();
        return false;
    }
    m_sweepTimer->start();
    return true;
}

quint16 HttpServer::serverPort() const
{
    return m_listener->serverPort();
}

void HttpServer::accept(qintptr descriptor)
{
    QTcpSocket *socket = m_tls ? new QSslSocket : new QTcpSocket;
    if (!socket->setSocketDescriptor(descriptor)) {
        delete socket;
        return;
    }
    if (m_connections >= m_limits.maxConnections) {
        // Answered and closed at once, without reading the request.
        if (!m_tls) {
            HttpResponse r =
                errorResponse(503, QCoreApplication::translate("hcm::api::HttpServer",
                                                               "Too many connections; try again later."));
            r.setHeader("Retry-After", "1");
            socket->write(serialize(r, false));
            socket->disconnectFromHost();
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            QTimer::singleShot(2000, socket, [socket] {
                socket->abort();
                socket->deleteLater();
            });
        } else {
            socket->abort();
            socket->deleteLater();
        }
        qCWarning(lcApp) << "API connection refused: already" << m_connections << "connections";
        return;
    }
    if (m_tls) {
        auto *ssl = static_cast<QSslSocket *>(socket);
        ssl->setSslConfiguration(*m_tls);
        ssl->startServerEncryption();
    }
    ++m_connections;
    auto *connection = new HttpConnection(this, socket);
    m_live.append(connection);
}

void HttpServer::sweep()
{
    const QList<HttpConnection *> live = m_live;
    for (HttpConnection *c : live) {
        if (c->hardCloseDue())
            c->abort();
        else
            c->checkDeadline();
    }
}

QByteArray HttpServer::reasonPhrase(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Status";
    }
}

QByteArray HttpServer::serialize(const HttpResponse &response, bool keepAlive)
{
    QByteArray out;
    out.reserve(256 + response.body.size());
    out += "HTTP/1.1 " + QByteArray::number(response.status) + ' ' + reasonPhrase(response.status) + "\r\n";
    if (!response.body.isEmpty() || response.status != 204)
        out += "Content-Type: " + response.contentType + "\r\n";
    out += "Content-Length: " + QByteArray::number(response.body.size()) + "\r\n";
    for (const auto &h : response.headers)
        out += h.first + ": " + h.second + "\r\n";
    out += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    out += response.body;
    return out;
}

} // namespace hcm::api
