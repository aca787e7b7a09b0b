#pragma once

#include "api/tokenstore.h"

#include "common/tablemodel.h"

namespace hcm::ui {

// The API tokens of the database for the Users page, newest first. Never holds a token itself: only
// what ApiTokenStore::list returns (prefix, name, user, times, last use). setTokens() applies a fresh
// list as row removals, insertions and dataChanged of the rows that changed, never a reset.
class TokenTableModel final : public TableModel {
    Q_OBJECT
public:
    enum Column { Name, User, Prefix, Created, Expires, LastUsed, LastAddress, State, ColumnCount };
    Q_ENUM(Column)
    enum Role { IdRole = Qt::UserRole + 1 };

    explicit TokenTableModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    void setTokens(QList<ApiToken> tokens);
    const ApiToken *tokenAt(int row) const;
    int rowOf(qint64 id) const;

private:
    QList<ApiToken> m_tokens; // id descending
};

} // namespace hcm::ui
