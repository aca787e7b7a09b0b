#pragma once

#include "api/tokenstore.h"

#include <QList>
#include <QObject>
#include <QThread>

#include <functional>

namespace hcm {

// The GUI's access to the API tokens (ApiTokenStore): every read and change runs on a thread of its
// own with its own connection, results come back as queued signals. The store decides what is allowed
// (ManageTokens) and writes the audit rows; this class only carries its answers.
class AsyncTokenService final : public QObject {
    Q_OBJECT
public:
    explicit AsyncTokenService(DbConfig config, QObject *parent = nullptr);
    ~AsyncTokenService() override;
    Q_DISABLE_COPY_MOVE(AsyncTokenService)

    void fetchAll(const Actor &actor);
    // `expiresAt` 0: never.
    void create(const QString &userName, const QString &name, qint64 expiresAt, const Actor &actor);
    void revoke(qint64 id, const Actor &actor);

signals:
    void listReady(const QList<hcm::ApiToken> &tokens);
    void listFailed(const QString &message);
    // `token` is the secret, to be shown once and kept nowhere; empty when !ok (`message` says why).
    void createFinished(bool ok, const QString &message, const hcm::ApiToken &info, const QString &token);
    void revokeFinished(bool ok, const QString &message, qint64 id);

private:
    void post(std::function<void(ApiTokenStore &)> work);

    DbConfig m_config;
    QThread m_thread;
    QObject *m_context = nullptr; // lives in m_thread
};

} // namespace hcm
