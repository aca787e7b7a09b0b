#include "tokentablemodel.h"

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

bool sameToken(const ApiToken &a, const ApiToken &b)
{
    return a.id == b.id && a.name == b.name && a.userName == b.userName && a.expiresAt == b.expiresAt &&
           a.revokedAt == b.revokedAt && a.revokedBy == b.revokedBy && a.lastUsedAt == b.lastUsedAt &&
           a.lastUsedAddress == b.lastUsedAddress && a.createdAt == b.createdAt;
}

} // namespace

int TokenTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_tokens.size());
}

int TokenTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

Qt::ItemFlags TokenTableModel::flags(const QModelIndex &index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemNeverHasChildren;
}

QVariant TokenTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Name:
        return tr("Token");
    case User:
        return tr("User");
    case Prefix:
        //: The first characters of an API token, which tell tokens apart (the token itself is never shown)
        return tr("Begins With");
    case Created:
        return tr("Created");
    case Expires:
        return tr("Expires");
    case LastUsed:
        return tr("Last Used");
    case LastAddress:
        return tr("Last Client");
    case State:
        return tr("State");
    default:
        return {};
    }
}

QVariant TokenTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ApiToken &t = m_tokens.at(index.row());
    if (role == IdRole)
        return t.id;
    if (role == Qt::ToolTipRole && index.column() == State && t.revokedAt > 0)
        return tr("Revoked by %1 on %2").arg(t.revokedBy, timeText(t.revokedAt));
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Name:
        return t.name;
    case User:
        return t.userName;
    case Prefix:
        return QString(t.prefix + QStringLiteral("…"));
    case Created:
        return timeText(t.createdAt);
    case Expires:
        return t.expiresAt > 0 ? timeText(t.expiresAt) : tr("Never");
    case LastUsed:
        return t.lastUsedAt > 0 ? timeText(t.lastUsedAt) : tr("Never");
    case LastAddress:
        return t.lastUsedAddress;
    case State:
        if (t.revokedAt > 0)
            return tr("Revoked %1").arg(timeText(t.revokedAt));
        if (t.expiresAt > 0 && t.expiresAt <= QDateTime::currentMSecsSinceEpoch())
            return tr("Expired");
        return tr("Active");
    default:
        return {};
    }
}

void TokenTableModel::setTokens(QList<ApiToken> tokens)
{
    std::sort(tokens.begin(), tokens.end(), [](const ApiToken &a, const ApiToken &b) { return a.id > b.id; });
    // Both lists are sorted by id, descending: one merge pass removes, inserts and updates in place.
    int i = 0;
    for (const ApiToken &t : std::as_const(tokens)) {
        while (i < m_tokens.size() && m_tokens.at(i).id > t.id) {
            beginRemoveRows({}, i, i);
            m_tokens.removeAt(i);
            endRemoveRows();
        }
        if (i < m_tokens.size() && m_tokens.at(i).id == t.id) {
            if (!sameToken(m_tokens.at(i), t)) {
                m_tokens[i] = t;
                emit dataChanged(index(i, 0), index(i, columnCount() - 1));
            }
        } else {
            beginInsertRows({}, i, i);
            m_tokens.insert(i, t);
            endInsertRows();
        }
        ++i;
    }
    if (i < m_tokens.size()) {
        beginRemoveRows({}, i, int(m_tokens.size()) - 1);
        m_tokens.remove(i, m_tokens.size() - i);
        endRemoveRows();
    }
}

const ApiToken *TokenTableModel::tokenAt(int row) const
{
    return row >= 0 && row < m_tokens.size() ? &m_tokens.at(row) : nullptr;
}

int TokenTableModel::rowOf(qint64 id) const
{
    for (int i = 0; i < m_tokens.size(); ++i) {
        if (m_tokens.at(i).id == id)
            return i;
    }
    return -1;
}

} // namespace hcm::ui
