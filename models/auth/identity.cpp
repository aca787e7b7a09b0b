#include "auth/identity.h"

#include "auth/userstore.h"
#include "db/database.h"

#include <QCoreApplication>
#include <QSqlQuery>

#include <pwd.h>
#include <unistd.h>

namespace hcm {

namespace {

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::Identity)
};

Result<Identity> resolvePostgres(const DbConfig &config)
{
    auto conn = Database::connection(config);
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    // pg_has_role fails for a role that does not exist: each is asked only when it does. The owner
    // of the schema's tables (who migrates) and superusers are system administrators.
    const QString member = QStringLiteral("CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '%1') "
                                          "THEN pg_has_role(current_user, '%1', 'MEMBER') ELSE false END");
    const QString sql =
        QStringLiteral("SELECT current_user, %1, %2, %3, "
                       "COALESCE((SELECT pg_has_role(current_user, tableowner, 'MEMBER') FROM pg_tables "
                       "WHERE schemaname = current_schema() AND tablename = 'schema_migrations'), false), "
                       "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user)")
            .arg(member.arg(groupRoleName(Role::SystemAdmin)), member.arg(groupRoleName(Role::Operator)),
                 member.arg(groupRoleName(Role::Viewer)));
    if (!q.exec(sql) || !q.next())
        return Database::error(q.lastError(), Tr::tr("finding the role of this login"));
    Identity id;
    id.name = q.value(0).toString();
    if (q.value(1).toBool() || q.value(4).toBool() || q.value(5).toBool())
        id.role = Role::SystemAdmin;
    else if (q.value(2).toBool())
        id.role = Role::Operator;
    else if (q.value(3).toBool())
        id.role = Role::Viewer;
    else
        return Error{
            Error::Code::Forbidden,
            Tr::tr("The database login \"%1\" is in none of the groups hcm_admin, hcm_operator and "
                   "hcm_viewer, so it may do nothing here. A system administrator runs, for example, "
                   "GRANT hcm_viewer TO %1; (see docs/postgresql.md, \"Adding a person\").")
                .arg(id.name)};
    return id;
}

} // namespace

QString osUserName()
{
    if (const passwd *pw = ::getpwuid(::geteuid()); pw && pw->pw_name && *pw->pw_name)
        return QString::fromLocal8Bit(pw->pw_name);
    const QString user = qEnvironmentVariable("USER");
    return user.isEmpty() ? QStringLiteral("uid%1").arg(::geteuid()) : user;
}

QString Identity::signedInText() const
{
    return Tr::tr("Signed in as %1 — %2")
        .arg(displayName.isEmpty() ? name : displayName, roleDisplayName(role));
}

Result<Identity> resolveIdentity(const DbConfig &config)
{
    Identity id;
    if (config.isPostgres()) {
        auto pg = resolvePostgres(config);
        if (!pg)
            return pg.error();
        id = pg.value();
    } else {
        id.name = osUserName();
    }
    auto user = UserService(config).find(id.name);
    if (!user)
        return user.error();
    if (!user->has_value()) {
        if (config.isPostgres())
            return id; // the group membership says it all; a users row only adds a display name
        return Error{Error::Code::Forbidden,
                     Tr::tr("The user \"%1\" has no account in %2. A system administrator of this database "
                            "runs: hcmctl --db %2 users add %1 --role viewer (or operator, systemadmin).")
                         .arg(id.name, config.sqlitePath)};
    }
    const User &u = user->value();
    if (u.disabled)
        return Error{Error::Code::Forbidden,
                     Tr::tr("The account \"%1\" is disabled. A system administrator of this database can "
                            "enable it again: hcmctl users enable %1.")
                         .arg(id.name)};
    id.displayName = u.displayName;
    if (!config.isPostgres())
        id.role = u.role;
    return id;
}

} // namespace hcm
