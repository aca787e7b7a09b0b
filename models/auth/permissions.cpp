#include "auth/permissions.h"

#include <QCoreApplication>

namespace hcm {

namespace {

struct PermissionRow {
    Permission permission;
    Role minimum;
    const char *key;
    const char *description; // completes "<Role> may not …"
};

// The permission table: the only place that says which role may do what.
constexpr PermissionRow kPermissions[] = {
    {Permission::ReadJobs, Role::Viewer, "jobs.read", QT_TRANSLATE_NOOP("hcm::Permission", "read jobs")},
    {Permission::CreateJobs, Role::Operator, "jobs.create",
     QT_TRANSLATE_NOOP("hcm::Permission", "create jobs")},
    {Permission::CancelJobs, Role::Operator, "jobs.cancel",
     QT_TRANSLATE_NOOP("hcm::Permission", "cancel jobs")},
    {Permission::RetryJobs, Role::Operator, "jobs.retry", QT_TRANSLATE_NOOP("hcm::Permission", "retry jobs")},
    {Permission::DeleteJobs, Role::Operator, "jobs.delete",
     QT_TRANSLATE_NOOP("hcm::Permission", "delete jobs")},
    {Permission::PauseJobTypes, Role::Operator, "jobs.pause",
     QT_TRANSLATE_NOOP("hcm::Permission", "pause or resume job types")},
    {Permission::ImportJobs, Role::SystemAdmin, "jobs.import",
     QT_TRANSLATE_NOOP("hcm::Permission", "import jobs")},
    {Permission::ReadWorkers, Role::Viewer, "workers.read",
     QT_TRANSLATE_NOOP("hcm::Permission", "read workers")},
    {Permission::ManageWorkers, Role::SystemAdmin, "workers.manage",
     QT_TRANSLATE_NOOP("hcm::Permission", "drain or remove workers")},
    {Permission::ReadSchedules, Role::Viewer, "schedules.read",
     QT_TRANSLATE_NOOP("hcm::Permission", "read schedules")},
    {Permission::RunSchedules, Role::Operator, "schedules.run",
     QT_TRANSLATE_NOOP("hcm::Permission", "run schedules now")},
    {Permission::ManageSchedules, Role::SystemAdmin, "schedules.manage",
     QT_TRANSLATE_NOOP("hcm::Permission", "change schedules")},
    {Permission::ReadSettings, Role::Viewer, "settings.read",
     QT_TRANSLATE_NOOP("hcm::Permission", "read notification settings")},
    {Permission::WriteSettings, Role::SystemAdmin, "settings.write",
     QT_TRANSLATE_NOOP("hcm::Permission", "change notification settings")},
    {Permission::SendTestMessages, Role::Operator, "settings.test",
     QT_TRANSLATE_NOOP("hcm::Permission", "send test messages")},
    {Permission::ReadAudit, Role::SystemAdmin, "audit.read",
     QT_TRANSLATE_NOOP("hcm::Permission", "read the audit trail")},
    {Permission::ManageUsers, Role::SystemAdmin, "users.manage",
     QT_TRANSLATE_NOOP("hcm::Permission", "manage users")},
    {Permission::ManageTokens, Role::SystemAdmin, "tokens.manage",
     QT_TRANSLATE_NOOP("hcm::Permission", "manage API tokens")},
};

const PermissionRow &row(Permission permission)
{
    for (const PermissionRow &r : kPermissions) {
        if (r.permission == permission)
            return r;
    }
    Q_UNREACHABLE();
    return kPermissions[0];
}

} // namespace

Role minimumRole(Permission permission)
{
    return row(permission).minimum;
}

bool isAllowed(Role role, Permission permission)
{
    return static_cast<int>(role) >= static_cast<int>(minimumRole(permission));
}

Status authorize(const Actor &actor, Permission permission)
{
    if (isAllowed(actor.role, permission))
        return {};
    return Error{Error::Code::Forbidden,
                 QCoreApplication::translate("hcm::Permission", "%1 may not %2 (needs the %3 role).")
                     .arg(roleDisplayName(actor.role), permissionDescription(permission),
                          roleDisplayName(minimumRole(permission)))};
}

QString permissionDescription(Permission permission)
{
    return QCoreApplication::translate("hcm::Permission", row(permission).description);
}

QString permissionRequirement(Permission permission)
{
    return QCoreApplication::translate("hcm::Permission", "Needs the %1 role")
        .arg(roleDisplayName(minimumRole(permission)));
}

QString permissionKey(Permission permission)
{
    return QString::fromLatin1(row(permission).key);
}

} // namespace hcm
