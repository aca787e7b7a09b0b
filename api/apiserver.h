#pragma once

#include "api/httpserver.h"
#include "common/clock.h"
#include "common/error.h"
#include "db/dbconfig.h"

#include <QHash>
#include <QObject>
#include <QThreadPool>

#include <atomic>
#include <memory>

namespace hcm::api {

// Requests per minute per token, by endpoint class (docs/api.md). A token's own limit (hcmctl tokens
// create --rate-limit) replaces all of them for that token.
struct RateLimits {
    int read = 20;          // every GET
    int create = 20;        // POST background-jobs
    int cancel = 20;        // POST background-jobs/{id}/cancel
    int settingsWrite = 10; // PUT notification-settings
    int testEmail = 5;      // POST notification-settings/test-email

    // "read=60,create=100": sets the classes named; an error sentence, or "" when it parsed.
    QString parse(const QString &text);
    int forClass(const QString &name) const;
};

// The HTTP API of hcm-worker: the seven endpoints of docs/api.md on an HttpServer. Requests are framed
// on the calling (main) thread, which never runs SQL; everything that needs the database (the token,
// the rate limit, the call itself) runs on a pool of `threads` threads with one connection each, and
// the answer is handed back to the connection when it is ready. On SQLite the pool's writes go to the
// database's writer thread (WriteGroup), which commits those of the moment together.
class ApiServer final : public QObject {
    Q_OBJECT

public:
    struct Options {
        DbConfig db;
        QHostAddress address = QHostAddress::LocalHost;
        quint16 port = 2000;
        std::optional<QSslConfiguration> tls;
        HttpServer::Limits limits;
        RateLimits rates;
        int threads = 8;
        int maxQueuedRequests = 2000; // more waiting for a pool thread are answered 503
        std::shared_ptr<Clock> clock = Clock::system();
    };

    explicit ApiServer(Options options, QObject *parent = nullptr);
    ~ApiServer() override;

    Status start();
    // Waits for the requests being answered.
    void stop();
    quint16 port() const;

    // Parses "ADDR:PORT", "ADDR", ":PORT" or "[v6]:PORT" (defaults 127.0.0.1 and 2000).
    static Status parseAddress(const QString &text, QHostAddress *address, quint16 *port);

private:
    void handle(HttpRequest &&request, const HttpResponder &responder);

    Options m_options;
    HttpServer *m_http = nullptr;
    QThreadPool m_pool;
    std::atomic<int> m_queued{0};
    std::atomic<qint64> m_requests{0};
};

} // namespace hcm::api
