#include "auth/actor.h"

#include "common/enumnames.h"

#include <QCoreApplication>

namespace hcm {

namespace {
const char *const kRoleNames[] = {"viewer", "operator", "systemadmin"};
const char *const kRoleTitles[] = {QT_TRANSLATE_NOOP("hcm::Role", "Viewer"),
                                   QT_TRANSLATE_NOOP("hcm::Role", "Operator"),
                                   QT_TRANSLATE_NOOP("hcm::Role", "System administrator")};
static_assert(std::size(kRoleTitles) == std::size(kRoleNames));
constexpr EnumNames<Role> kRoles{kRoleNames, Role::Viewer};
constexpr EnumNames<Role> kRoleDisplay{kRoleTitles, Role::Viewer};
static_assert(static_cast<int>(Role::SystemAdmin) - static_cast<int>(Role::Viewer) + 1 ==
              int(std::size(kRoleNames)));

const char *const kInterfaceNames[] = {"gui", "cli", "api", "worker", "system"};
constexpr EnumNames<Interface> kInterfaces{kInterfaceNames};
static_assert(static_cast<size_t>(Interface::System) + 1 == std::size(kInterfaceNames));
} // namespace

QString roleToString(Role role)
{
    return kRoles.name(role, Role::Viewer);
}

bool roleFromString(const QString &text, Role *role)
{
    const QString t = text.trimmed();
    const std::optional<Role> r =
        t.compare(QLatin1String("admin"), Qt::CaseInsensitive) == 0 ? Role::SystemAdmin : kRoles.value(t);
    if (!r)
        return false;
    *role = *r;
    return true;
}

QString roleDisplayName(Role role)
{
    return QCoreApplication::translate("hcm::Role", kRoleDisplay.text(role));
}

QString interfaceToString(Interface via)
{
    return kInterfaces.name(via, Interface::System);
}

} // namespace hcm
