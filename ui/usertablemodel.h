#pragma once

#include "auth/userstore.h"
#include "common/tablemodel.h"

namespace hcm::ui {

// The users of the database for the Users page, ordered by name. setUsers() applies a fresh list as
// row removals, insertions and dataChanged of the rows that changed: never a reset, so the selection
// survives a refresh.
class UserTableModel final : public TableModel {
    Q_OBJECT
public:
    enum Column {
        Name,
        DisplayName,
        RoleColumn,
        Disabled,
        Created,
        CreatedBy,
        Updated,
        UpdatedBy,
        ColumnCount
    };
    Q_ENUM(Column)
    enum Role { NameRole = Qt::UserRole + 1 };

    explicit UserTableModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    void setUsers(QList<User> users);
    const User *userAt(int row) const;
    int rowOf(const QString &name) const;

private:
    QList<User> m_users;
};

} // namespace hcm::ui
