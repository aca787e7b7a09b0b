#include "usertablemodel.h"

#include <QDateTime>
#include <QLocale>

#include <functional>

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

UserTableModel::UserTableModel(QObject *parent)
    : TableModel(parent)
{
    // In Column order; TableModel translates them when the header is drawn.
    static constexpr const char *titles[] = {
        QT_TR_NOOP("User"),    QT_TR_NOOP("Display Name"), QT_TR_NOOP("Role"),    QT_TR_NOOP("Disabled"),
        QT_TR_NOOP("Created"), QT_TR_NOOP("Created By"),   QT_TR_NOOP("Updated"), QT_TR_NOOP("Updated By")};
    static_assert(std::size(titles) == ColumnCount);
    setColumnTitles(titles);
}

int UserTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_users.size());
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
    mergeRows(m_users, std::move(users), &User::name, std::less<>(), sameUser);
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
