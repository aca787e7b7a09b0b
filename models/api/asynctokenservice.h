#pragma once

#include "api/tokenstore.h"
#include "db/dbthread.h"

#include <QFuture>
#include <QList>
#include <QObject>

namespace hcm {

// The GUI's access to the API tokens (ApiTokenStore): every read and change runs on a thread of its
// own with its own connection and answers through the QFuture it returns. The store decides what is
// allowed (ManageTokens) and writes the audit rows; a refusal is the future's error.
class AsyncTokenService final : public QObject {
    Q_OBJECT
public:
    explicit AsyncTokenService(DbConfig config, QObject *parent = nullptr);
    Q_DISABLE_COPY_MOVE(AsyncTokenService)

    QFuture<Result<QList<ApiToken>>> fetchAll(const Actor &actor);
    // `expiresAt` 0: never. The answer's `token` is the secret, to be shown once and kept nowhere.
    QFuture<Result<CreatedApiToken>> create(const QString &userName, const QString &name, qint64 expiresAt,
                                            const Actor &actor);
    QFuture<Status> revoke(qint64 id, const Actor &actor);

private:
    DbConfig m_config;
    DbThread m_db;
};

} // namespace hcm
