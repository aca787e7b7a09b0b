#include "tokentablemodel.h"

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

bool sameToken(const ApiToken &a, const ApiToken &b)
{
    return a.id == b.id && a.name == b.name && a.userName == b.userName && a.expiresAt == b.expiresAt &&
           a.revokedAt == b.revokedAt && a.revokedBy == b.revokedBy && a.lastUsedAt == b.lastUsedAt &&
           a.lastUsedAddress == b.lastUsedAddress && a.createdAt == b.createdAt;
}

} // namespace

TokenTableModel::TokenTableModel(QObject *parent)
    : TableModel(parent)
{
    // In Column order; TableModel translates them when the header is drawn.
    static constexpr const char *titles[] = {
        QT_TR_NOOP("Token"), QT_TR_NOOP("User"),
        //: The first characters of an API token, which tell tokens apart (the token itself is never shown)
        QT_TR_NOOP("Begins With"), QT_TR_NOOP("Created"), QT_TR_NOOP("Expires"), QT_TR_NOOP("Last Used"),
        QT_TR_NOOP("Last Client"), QT_TR_NOOP("State")};
    static_assert(std::size(titles) == ColumnCount);
    setColumnTitles(titles);
}

int TokenTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_tokens.size());
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
    mergeRows(m_tokens, std::move(tokens), &ApiToken::id, std::greater<>(), sameToken);
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
