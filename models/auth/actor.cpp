#include "auth/actor.h"

#include <QCoreApplication>

namespace hcm {

QString roleToString(Role role)
{
    switch (role) {
    case Role::Viewer:
        return QStringLiteral("viewer");
    case Role::Operator:
        return QStringLiteral("operator");
    case Role::SystemAdmin:
        return QStringLiteral("systemadmin");
    }
    return QStringLiteral("viewer");
}

bool roleFromString(const QString &text, Role *role)
{
    const QString t = text.trimmed().toLower();
    if (t == QLatin1String("viewer"))
        *role = Role::Viewer;
    else if (t == QLatin1String("operator"))
        *role = Role::Operator;
    else if (t == QLatin1String("systemadmin") || t == QLatin1String("admin"))
        *role = Role::SystemAdmin;
    else
        return false;
    return true;
}

QString roleDisplayName(Role role)
{
    switch (role) {
    case Role::Viewer:
        return QCoreApplication::translate("hcm::Role", "Viewer");
    case Role::Operator:
        return QCoreApplication::translate("hcm::Role", "Operator");
    case Role::SystemAdmin:
        return QCoreApplication::translate("hcm::Role", "System administrator");
    }
    return {};
}

QString interfaceToString(Interface via)
{
    switch (via) {
    case Interface::Gui:
        return QStringLiteral("gui");
    case Interface::Cli:
        return QStringLiteral("cli");
    case Interface::Api:
        return QStringLiteral("api");
    case Interface::Worker:
        return QStringLiteral("worker");
    case Interface::System:
        return QStringLiteral("system");
    }
    return QStringLiteral("system");
}

} // namespace hcm
