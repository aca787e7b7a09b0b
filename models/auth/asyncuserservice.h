#pragma once

#include "auth/userstore.h"
#include "db/dbthread.h"

#include <QFuture>
#include <QList>
#include <QObject>

namespace hcm {

// The GUI's access to the users of the database (UserService): every read and change runs on a thread
// of its own with its own connection and answers through the QFuture it returns. The service decides
// what is allowed (ManageUsers, the last system administrator); a refusal is the future's error.
class AsyncUserService final : public QObject {
    Q_OBJECT
public:
    explicit AsyncUserService(DbConfig config, QObject *parent = nullptr);
    Q_DISABLE_COPY_MOVE(AsyncUserService)

    QFuture<Result<QList<User>>> fetchAll();
    QFuture<Result<User>> add(const QString &name, Role role, const QString &displayName, const Actor &actor);
    QFuture<Result<User>> setRole(const QString &name, Role role, const Actor &actor);
    QFuture<Result<User>> setDisabled(const QString &name, bool disabled, const Actor &actor);

private:
    DbConfig m_config;
    DbThread m_db;
};

} // namespace hcm
