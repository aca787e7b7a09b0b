#include "api/asynctokenservice.h"

namespace hcm {

AsyncTokenService::AsyncTokenService(DbConfig config, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_db(QStringLiteral("tokens"))
{
    qRegisterMetaType<hcm::ApiToken>();
    qRegisterMetaType<QList<hcm::ApiToken>>();
}

QFuture<Result<QList<ApiToken>>> AsyncTokenService::fetchAll(const Actor &actor)
{
    return m_db.run([config = m_config, actor] { return ApiTokenStore(config).list(actor); });
}

QFuture<Result<CreatedApiToken>> AsyncTokenService::create(const QString &userName, const QString &name,
                                                           qint64 expiresAt, const Actor &actor)
{
    return m_db.run([config = m_config, userName, name, expiresAt, actor] {
        return ApiTokenStore(config).create(userName, name, expiresAt, actor);
    });
}

QFuture<Status> AsyncTokenService::revoke(qint64 id, const Actor &actor)
{
    return m_db.run([config = m_config, id, actor] { return ApiTokenStore(config).revoke(id, actor); });
}

} // namespace hcm
