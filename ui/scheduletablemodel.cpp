#include "scheduletablemodel.h"

#include "schedules/cronexpression.h"
#include "ui/statusicons.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QLocale>
#include <QSet>

namespace hcm::ui {

namespace {

QString localText(qint64 ms)
{
    if (ms <= 0)
        return QStringLiteral("—");
    return QLocale().toString(QDateTime::fromMSecsSinceEpoch(ms), QLocale::ShortFormat);
}

bool sameRow(const Schedule &a, const Schedule &b)
{
    return a.toJson() == b.toJson();
}

} // namespace

ScheduleTableModel::ScheduleTableModel(QObject *parent)
    : TableModel(parent)
{
    // In Column order; TableModel translates them when the header is drawn.
    static constexpr const char *titles[] = {
        QT_TR_NOOP("Name"),     QT_TR_NOOP("Type"),     QT_TR_NOOP("When"),   QT_TR_NOOP("Time zone"),
        QT_TR_NOOP("Next run"), QT_TR_NOOP("Last run"), QT_TR_NOOP("Enabled")};
    static_assert(std::size(titles) == ColumnCount);
    setColumnTitles(titles);
}

void ScheduleTableModel::setSchedules(const QList<Schedule> &schedules)
{
    QSet<qint64> wanted;
    for (const Schedule &s : schedules)
        wanted.insert(s.id);
    for (int r = int(m_rows.size()) - 1; r >= 0; --r) {
        if (!wanted.contains(m_rows.at(r).id)) {
            beginRemoveRows({}, r, r);
            m_rows.removeAt(r);
            endRemoveRows();
        }
    }
    for (int i = 0; i < schedules.size(); ++i) {
        const Schedule &s = schedules.at(i);
        if (i < m_rows.size() && m_rows.at(i).id == s.id) {
            if (!sameRow(m_rows.at(i), s)) {
                m_rows[i] = s;
                emit dataChanged(index(i, 0), index(i, columnCount() - 1));
            }
            continue;
        }
        // Elsewhere (renamed: its place in the order changed): out from there, in here.
        for (int j = i + 1; j < m_rows.size(); ++j) {
            if (m_rows.at(j).id == s.id) {
                beginRemoveRows({}, j, j);
                m_rows.removeAt(j);
                endRemoveRows();
                break;
            }
        }
        beginInsertRows({}, i, i);
        m_rows.insert(i, s);
        endInsertRows();
    }
}

const Schedule *ScheduleTableModel::scheduleAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? &m_rows.at(row) : nullptr;
}

int ScheduleTableModel::rowOf(qint64 id) const
{
    for (int r = 0; r < m_rows.size(); ++r)
        if (m_rows.at(r).id == id)
            return r;
    return -1;
}

int ScheduleTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant ScheduleTableModel::data(const QModelIndex &index, int role) const
{
    const Schedule *s = scheduleAt(index.row());
    if (!s)
        return {};
    if (role == IdRole)
        return s->id;
    switch (index.column()) {
    case Name:
        if (role == Qt::DisplayRole || role == RawRole)
            return s->name;
        break;
    case Type:
        if (role == Qt::DisplayRole || role == RawRole)
            return s->jobType;
        break;
    case When:
        if (role == Qt::DisplayRole) {
            const auto cron = CronExpression::parse(s->cron);
            return cron ? QStringLiteral("%1 — %2").arg(s->cron, cron->describe()) : s->cron;
        }
        if (role == RawRole)
            return s->cron;
        break;
    case Zone:
        if (role == Qt::DisplayRole || role == RawRole)
            return s->timeZone;
        break;
    case NextRun:
        if (role == Qt::DisplayRole)
            return s->enabled ? localText(s->nextRunAt) : tr("off");
        if (role == RawRole)
            return s->nextRunAt;
        break;
    case LastRun:
        if (role == Qt::DisplayRole) {
            if (s->lastRunAt <= 0)
                return tr("never");
            return s->lastJobStatus
                       ? tr("%1 (%2)").arg(localText(s->lastRunAt), displayName(*s->lastJobStatus))
                       : localText(s->lastRunAt);
        }
        if (role == Qt::DecorationRole && s->lastJobStatus)
            return statusIcon(*s->lastJobStatus);
        if (role == RawRole)
            return s->lastRunAt;
        break;
    case Enabled:
        if (role == Qt::CheckStateRole)
            return s->enabled ? Qt::Checked : Qt::Unchecked;
        if (role == Qt::DisplayRole)
            return s->enabled ? tr("on") : tr("off");
        if (role == RawRole)
            return s->enabled;
        break;
    default:
        break;
    }
    if (role == Qt::ToolTipRole && index.column() == When)
        return tr("Times in %1").arg(s->timeZone);
    return {};
}

QVariant ScheduleTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {}; // no row numbers
    return TableModel::headerData(section, orientation, role);
}

Qt::ItemFlags ScheduleTableModel::flags(const QModelIndex &index) const
{
    Qt::ItemFlags f = TableModel::flags(index);
    if (index.column() == Enabled)
        f |= Qt::ItemIsUserCheckable;
    return f;
}

bool ScheduleTableModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    const Schedule *s = scheduleAt(index.row());
    if (!s || index.column() != Enabled || role != Qt::CheckStateRole)
        return false;
    const bool enabled = value.toInt() == Qt::Checked;
    if (enabled != s->enabled)
        emit enabledToggled(s->id, enabled);
    return false; // the row changes when the database did (the next refresh)
}

} // namespace hcm::ui
