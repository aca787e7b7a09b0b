#include "auth/userstore.h"

#include "auth/auditstore.h"
#include "auth/permissions.h"
#include "common/logcategories.h"
#include "db/database.h"
#include "db/dialect.h"

#include <QCoreApplication>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSqlDriver>
#include <QSqlQuery>

#include <functional>

namespace hcm {

namespace {

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::UserService)
};

constexpr char kColumns[] =
    "name, display_name, role, disabled, created_at, created_by, updated_at, updated_by";

User userFrom(const QSqlQuery &q)
{
    User u;
    u.name = q.value(0).toString();
    u.displayName = q.value(1).toString();
    roleFromString(q.value(2).toString(), &u.role);
    u.disabled = q.value(3).toBool();
    u.createdAt = q.value(4).toLongLong();
    u.createdBy = q.value(5).toString();
    u.updatedAt = q.value(6).toLongLong();
    u.updatedBy = q.value(7).toString();
    return u;
}

Result<std::optional<User>> findIn(QSqlDatabase &db, const QString &name, bool forUpdate)
{
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT %1 FROM users WHERE name = ?%2")
                  .arg(QLatin1String(kColumns), forUpdate && db.driverName() != QLatin1String("QSQLITE")
                                                    ? QStringLiteral(" FOR UPDATE")
                                                    : QString()));
    q.addBindValue(name);
    if (!q.exec())
        return Database::error(q.lastError(), Tr::tr("reading the user %1").arg(name));
    if (!q.next())
        return std::optional<User>{};
    return std::optional<User>{userFrom(q)};
}

// The enabled system administrators other than `name`, locked on PostgreSQL so that two admins
// demoting each other at once cannot leave none.
Result<qint64> otherAdmins(QSqlDatabase &db, const QString &name)
{
    QSqlQuery q(db);
    const bool pg = db.driverName() != QLatin1String("QSQLITE");
    q.prepare(
        pg ? QStringLiteral("SELECT count(*) FROM (SELECT name FROM users WHERE role = 'systemadmin' AND "
                            "NOT disabled AND name <> ? FOR UPDATE) AS admins")
           : QStringLiteral("SELECT count(*) FROM users WHERE role = 'systemadmin' AND disabled = 0 "
                            "AND name <> ?"));
    q.addBindValue(name);
    if (!q.exec() || !q.next())
        return Database::error(q.lastError(), Tr::tr("counting the system administrators"));
    return q.value(0).toLongLong();
}

// PostgreSQL: the login gets the group role of `role` and loses the others, in the caller's
// transaction (GRANT and REVOKE of roles are transactional).
Status applyGroupRole(QSqlDatabase &db, const QString &name, std::optional<Role> role)
{
    QSqlQuery q(db);
    const QString who = db.driver()->escapeIdentifier(name, QSqlDriver::TableName);
    for (Role r : {Role::Viewer, Role::Operator, Role::SystemAdmin}) {
        const QString group = groupRoleName(r);
        const QString sql = role && *role == r ? QStringLiteral("GRANT %1 TO %2").arg(group, who)
                                               : QStringLiteral("REVOKE %1 FROM %2").arg(group, who);
        if (!q.exec(sql)) {
            Error e = Database::error(q.lastError(), Tr::tr("giving %1 the role %2").arg(name, group));
            e.message +=
                QLatin1Char(' ') +
                Tr::tr("Changing roles on PostgreSQL needs a login with CREATEROLE or ADMIN OPTION on "
                       "the group roles, and the login %1 must exist (CREATE ROLE %1 LOGIN;).")
                    .arg(name);
            return e;
        }
    }
    return {};
}

QJsonObject change(const QJsonValue &oldValue, const QJsonValue &newValue)
{
    return QJsonObject{{QStringLiteral("old"), oldValue}, {QStringLiteral("new"), newValue}};
}

// One change to an existing user's role or state, in one transaction: checks the right, locks the row,
// leaves an unchanged user as it is, keeps an enabled system administrator, writes the row (and the
// PostgreSQL group role), the audit entry and the log line.
struct UserChange {
    QString action;    // the audit entry's action
    QString notFound;  // the error when there is no such user
    QString lastAdmin; // the error when no enabled system administrator would be left
    QString updating;  // the context of a failed UPDATE
    std::function<void(User &)> apply;
    std::function<QJsonObject(const User &before, const User &after)> diff;
    std::function<QString(const User &before, const User &after)> logged; // after "<actor> "
};

Result<User> changeUser(const DbConfig &config, const QString &name, const Actor &actor, const UserChange &c)
{
    if (auto st = authorizeAndAudit(config, actor, Permission::ManageUsers, QStringLiteral("user"), {name});
        !st)
        return st.error();
    auto conn = Database::connection(config);
    if (!conn)
        return conn.error();
    QSqlDatabase db = conn.value();
    Transaction tx(db);
    if (auto st = tx.begin(); !st)
        return st.error();
    auto existing = findIn(db, name, true);
    if (!existing)
        return existing.error();
    if (!existing->has_value())
        return Error{Error::Code::NotFound, c.notFound};
    const User before = existing->value();
    User wanted = before;
    c.apply(wanted);
    if (wanted.role == before.role && wanted.disabled == before.disabled)
        return before;
    const auto activeAdmin = [](const User &u) { return u.role == Role::SystemAdmin && !u.disabled; };
    if (activeAdmin(before) && !activeAdmin(wanted)) {
        auto others = otherAdmins(db, name);
        if (!others)
            return others.error();
        if (others.value() == 0)
            return Error{Error::Code::Conflict, c.lastAdmin};
    }
    QSqlQuery q(db);
    q.prepare(QStringLiteral("UPDATE users SET role = ?, disabled = ?, updated_at = %1, updated_by = ? "
                             "WHERE name = ?")
                  .arg(Dialect::of(config).nowMs()));
    q.addBindValue(roleToString(wanted.role));
    q.addBindValue(wanted.disabled);
    q.addBindValue(actor.name);
    q.addBindValue(name);
    if (!q.exec())
        return Database::error(q.lastError(), c.updating);
    if (config.isPostgres()) {
        // A disabled login keeps no group role: psql gives it nothing either.
        if (auto st =
                applyGroupRole(db, name, wanted.disabled ? std::nullopt : std::optional<Role>(wanted.role));
            !st)
            return st.error();
    }
    if (auto st = AuditStore::append(
            db, AuditEntry::of(actor, c.action, QStringLiteral("user"), {name}, c.diff(before, wanted)));
        !st)
        return st.error();
    auto after = findIn(db, name, false);
    if (!after)
        return after.error();
    if (auto st = tx.commit(); !st)
        return st.error();
    qCInfo(lcAuth).noquote() << actor.name << c.logged(before, after->value());
    return after->value();
}

} // namespace

QString groupRoleName(Role role)
{
    switch (role) {
    case Role::Viewer:
        return QStringLiteral("hcm_viewer");
    case Role::Operator:
        return QStringLiteral("hcm_operator");
    case Role::SystemAdmin:
        return QStringLiteral("hcm_admin");
    }
    return QStringLiteral("hcm_viewer");
}

UserService::UserService(DbConfig config)
    : m_config(std::move(config))
{}

QString UserService::nameProblem(const QString &name)
{
    if (name.isEmpty())
        return Tr::tr("The user name is empty.");
    if (name.size() > kMaxNameLength)
        return Tr::tr("The user name is %1 characters long; the limit is %2.")
            .arg(name.size())
            .arg(kMaxNameLength);
    static const QRegularExpression valid(QStringLiteral("^[A-Za-z0-9._@-]+$"));
    if (!valid.match(name).hasMatch())
        return Tr::tr("The user name \"%1\" may contain only letters, digits and . _ - @.").arg(name);
    return {};
}

Result<QList<User>> UserService::list()
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    if (!q.exec(QStringLiteral("SELECT %1 FROM users ORDER BY name").arg(QLatin1String(kColumns))))
        return Database::error(q.lastError(), Tr::tr("reading the users"));
    QList<User> out;
    while (q.next())
        out.append(userFrom(q));
    return out;
}

Result<std::optional<User>> UserService::find(const QString &name)
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlDatabase db = conn.value();
    return findIn(db, name, false);
}

Result<User> UserService::add(const QString &name, Role role, const QString &displayName, const Actor &actor)
{
    if (auto st = authorizeAndAudit(m_config, actor, Permission::ManageUsers, QStringLiteral("user"), {name});
        !st)
        return st.error();
    if (const QString why = nameProblem(name); !why.isEmpty())
        return Error{Error::Code::Invalid, why};
    if (displayName.size() > 200)
        return Error{
            Error::Code::Invalid,
            Tr::tr("The display name is %1 characters long; the limit is 200.").arg(displayName.size())};
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlDatabase db = conn.value();
    Transaction tx(db);
    if (auto st = tx.begin(); !st)
        return st.error();
    auto existing = findIn(db, name, true);
    if (!existing)
        return existing.error();
    if (existing->has_value())
        return Error{Error::Code::Conflict,
                     Tr::tr("The user \"%1\" exists already (%2%3); change it with set-role or enable.")
                         .arg(name, roleDisplayName(existing->value().role),
                              existing->value().disabled ? Tr::tr(", disabled") : QString())};
    QSqlQuery q(db);
    q.prepare(
        QStringLiteral("INSERT INTO users (name, display_name, role, created_at, created_by, updated_at, "
                       "updated_by) VALUES (?, ?, ?, %1, ?, %1, ?)")
            .arg(Dialect::of(m_config).nowMs()));
    q.addBindValue(name);
    q.addBindValue(displayName.isNull() ? QStringLiteral("") : displayName.trimmed()); // NOT NULL
    q.addBindValue(roleToString(role));
    q.addBindValue(actor.name);
    q.addBindValue(actor.name);
    if (!q.exec())
        return Database::error(q.lastError(), Tr::tr("adding the user %1").arg(name));
    if (m_config.isPostgres()) {
        if (auto st = applyGroupRole(db, name, role); !st)
            return st.error();
    }
    const QJsonObject diff{{QStringLiteral("role"), change(QJsonValue::Null, roleToString(role))},
                           {QStringLiteral("display_name"), change(QJsonValue::Null, displayName.trimmed())}};
    if (auto st = AuditStore::append(
            db, AuditEntry::of(actor, QStringLiteral("users.add"), QStringLiteral("user"), {name}, diff));
        !st)
        return st.error();
    auto added = findIn(db, name, false);
    if (!added)
        return added.error();
    if (auto st = tx.commit(); !st)
        return st.error();
    qCInfo(lcAuth).noquote() << actor.name << "added the user" << name << "as" << roleToString(role);
    return added->value();
}

Result<User> UserService::setRole(const QString &name, Role role, const Actor &actor)
{
    UserChange c;
    c.action = QStringLiteral("users.set_role");
    c.notFound = Tr::tr("There is no user \"%1\"; add it with: hcmctl users add %1 --role %2.")
                     .arg(name, roleToString(role));
    c.lastAdmin = Tr::tr("%1 is the last system administrator and cannot become %2: make someone else "
                         "a system administrator first.")
                      .arg(name, roleDisplayName(role));
    c.updating = Tr::tr("changing the role of %1").arg(name);
    c.apply = [role](User &u) { u.role = role; };
    c.diff = [](const User &before, const User &after) {
        return QJsonObject{
            {QStringLiteral("role"), change(roleToString(before.role), roleToString(after.role))}};
    };
    c.logged = [](const User &before, const User &after) {
        return QStringLiteral("changed the role of %1 from %2 to %3")
            .arg(after.name, roleToString(before.role), roleToString(after.role));
    };
    return changeUser(m_config, name, actor, c);
}

Result<User> UserService::setDisabled(const QString &name, bool disabled, const Actor &actor)
{
    UserChange c;
    c.action = disabled ? QStringLiteral("users.disable") : QStringLiteral("users.enable");
    c.notFound = Tr::tr("There is no user \"%1\".").arg(name);
    c.lastAdmin = Tr::tr("%1 is the last system administrator and cannot be disabled: make someone "
                         "else a system administrator first.")
                      .arg(name);
    c.updating = Tr::tr("changing the user %1").arg(name);
    c.apply = [disabled](User &u) { u.disabled = disabled; };
    c.diff = [](const User &before, const User &after) {
        return QJsonObject{{QStringLiteral("disabled"), change(before.disabled, after.disabled)}};
    };
    c.logged = [](const User &, const User &after) {
        return QStringLiteral("%1 the user %2").arg(after.disabled ? "disabled" : "enabled", after.name);
    };
    return changeUser(m_config, name, actor, c);
}

} // namespace hcm
