#include "auth/asyncuserservice.h"

namespace hcm {

AsyncUserService::AsyncUserService(DbConfig config, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_db(QStringLiteral("users"))
{
    qRegisterMetaType<hcm::User>();
    qRegisterMetaType<QList<hcm::User>>();
}

QFuture<Result<QList<User>>> AsyncUserService::fetchAll()
{
    return m_db.run([config = m_config] { return UserService(config).list(); });
}

QFuture<Result<User>> AsyncUserService::add(const QString &name, Role role, const QString &displayName,
                                            const Actor &actor)
{
    return m_db.run([config = m_config, name, role, displayName, actor] {
        return UserService(config).add(name, role, displayName, actor);
    });
}

QFuture<Result<User>> AsyncUserService::setRole(const QString &name, Role role, const Actor &actor)
{
    return m_db.run(
        [config = m_config, name, role, actor] { return UserService(config).setRole(name, role, actor); });
}

QFuture<Result<User>> AsyncUserService::setDisabled(const QString &name, bool disabled, const Actor &actor)
{
    return m_db.run([config = m_config, name, disabled, actor] {
        return UserService(config).setDisabled(name, disabled, actor);
    });
}

} // namespace hcm
