#include "usertablemodel.h"

#include <QDateTime>
#include <QLocale>

#include <algorithm>

namespace hcm::ui {

namespace {

QString timeText(qint64 ms)
{
    if (ms <= 0)
        return {};
    return QLocale().toString(QDateTime::fromMSecsSinceEpoch(ms), QStringLiteral("yyyy-MM-dd HH:mm"));
}

bool sameUser(const User &a, const User &b)
{
    return a.name == b.name && a.displayName == b.displayName && a.role == b.role &&
           a.disabled == b.disabled && a.createdAt == b.createdAt && a.createdBy == b.createdBy &&
           a.updatedAt == b.updatedAt && a.updatedBy == b.updatedBy;
}

} // namespace

int UserTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_users.size());
}

int UserTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

Qt::ItemFlags UserTableModel::flags(const QModelIndex &index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemNeverHasChildren;
}

QVariant UserTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Name:
        return tr("User");
    case DisplayName:
        return tr("Display Name");
    case RoleColumn:
        return tr("Role");
    case Disabled:
        return tr("Disabled");
    case Created:
        return tr("Created");
    case CreatedBy:
        return tr("Created By");
    case Updated:
        return tr("Updated");
    case UpdatedBy:
        return tr("Updated By");
    default:
        return {};
    }
}

QVariant UserTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const User &u = m_users.at(index.row());
    if (role == NameRole)
        return u.name;
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Name:
        return u.name;
    case DisplayName:
        return u.displayName;
    case RoleColumn:
        return roleDisplayName(u.role);
    case Disabled:
        return u.disabled ? tr("Disabled") : QString();
    case Created:
        return timeText(u.createdAt);
    case CreatedBy:
        return u.createdBy;
    case Updated:
        return timeText(u.updatedAt);
    case UpdatedBy:
        return u.updatedBy;
    default:
        return {};
    }
}

void UserTableModel::setUsers(QList<User> users)
{
    std::sort(users.begin(), users.end(), [](const User &a, const User &b) { return a.name < b.name; });
    // Both lists are sorted by name: one merge pass removes, inserts and updates in place.
    int i = 0;
    for (const User &u : std::as_const(users)) {
        while (i < m_users.size() && m_users.at(i).name < u.name) {
            beginRemoveRows({}, i, i);
            m_users.removeAt(i);
            endRemoveRows();
        }
        if (i < m_users.size() && m_users.at(i).name == u.name) {
            if (!sameUser(m_users.at(i), u)) {
                m_users[i] = u;
                emit dataChanged(index(i, 0), index(i, columnCount() - 1));
            }
        } else {
            beginInsertRows({}, i, i);
            m_users.insert(i, u);
            endInsertRows();
        }
        ++i;
    }
    if (i < m_users.size()) {
        beginRemoveRows({}, i, int(m_users.size()) - 1);
        m_users.remove(i, m_users.size() - i);
        endRemoveRows();
    }
}

const User *UserTableModel::userAt(int row) const
{
    return row >= 0 && row < m_users.size() ? &m_users.at(row) : nullptr;
}

int UserTableModel::rowOf(const QString &name) const
{
    for (int i = 0; i < m_users.size(); ++i) {
        if (m_users.at(i).name == name)
            return i;
    }
    return -1;
}

} // namespace hcm::ui
