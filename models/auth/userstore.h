#pragma once

#include "auth/actor.h"
#include "common/error.h"
#include "db/dbconfig.h"

#include <QList>
#include <QMetaType>

#include <optional>

namespace hcm {

// A row of `users` (migration 015).
struct User {
    QString name;
    QString displayName;
    Role role = Role::Viewer;
    bool disabled = false;
    qint64 createdAt = 0;
    QString createdBy;
    qint64 updatedAt = 0;
    QString updatedBy;
};

// The people of this database and their roles. Every change needs Permission::ManageUsers, is written
// with its audit row in one transaction, and keeps at least one enabled system administrator: the last
// one cannot be demoted or disabled (Error::Code::Conflict, nothing written). On PostgreSQL a role
// change also grants the matching group role (hcm_admin, hcm_operator, hcm_viewer) and revokes the
// others in the same transaction, which needs CREATEROLE or ADMIN OPTION on them.
class UserService final {
public:
    static constexpr int kMaxNameLength = 63; // PostgreSQL's identifier limit

    explicit UserService(DbConfig config);

    Result<QList<User>> list();
    Result<std::optional<User>> find(const QString &name);

    Result<User> add(const QString &name, Role role, const QString &displayName, const Actor &actor);
    Result<User> setRole(const QString &name, Role role, const Actor &actor);
    Result<User> setDisabled(const QString &name, bool disabled, const Actor &actor);

    // A user name a person may type: letters, digits, '.', '_', '-', '@'; 1 to kMaxNameLength
    // characters. Empty when valid, else the reason.
    static QString nameProblem(const QString &name);

private:
    DbConfig m_config;
};

// The group role of the permission table that gives `role` on PostgreSQL: "hcm_viewer" …
QString groupRoleName(Role role);

} // namespace hcm

Q_DECLARE_METATYPE(hcm::User)
