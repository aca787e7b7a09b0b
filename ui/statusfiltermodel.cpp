#include "statusfiltermodel.h"

#include "ui/statusicons.h"

#include <QLocale>

namespace hcm::ui {

StatusFilterModel::StatusFilterModel(QObject *parent)
    : QAbstractListModel(parent)
{}

int StatusFilterModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : kJobStatusCount + 1;
}

QList<JobStatus> StatusFilterModel::statusesAt(int row) const
{
    if (row <= 0 || row > kJobStatusCount)
        return {};
    return {JobStatus(row - 1)};
}

qint64 StatusFilterModel::countAt(int row) const
{
    if (row == 0)
        return m_counts.all();
    if (row > kJobStatusCount)
        return 0;
    return m_counts.byStatus[size_t(row - 1)];
}

QVariant StatusFilterModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int row = index.row();
    switch (role) {
    case Qt::DisplayRole: {
        const QString name = row == 0 ? tr("All") : displayName(JobStatus(row - 1));
        if (!m_known)
            return name;
        // A bounded count (a search over millions of jobs) past its limit: the rows read, not all.
        if (m_counts.partial()) {
            if (row == 0)
                //: status filter entry when there are more jobs than were counted: "All (more than 100,000)"
                return tr("%1 (more than %2)").arg(name, QLocale().toString(m_counts.limit));
            //: status filter entry when only part of the jobs was counted: "Failed (at least 1,234)"
            return tr("%1 (at least %2)").arg(name, QLocale().toString(countAt(row)));
        }
        //: status filter entry: "Queued (1,234)"
        return tr("%1 (%2)").arg(name, QLocale().toString(countAt(row)));
    }
    case Qt::DecorationRole:
        return row == 0 ? allStatusesIcon() : statusIcon(JobStatus(row - 1));
    case Qt::ToolTipRole:
        return row == 0 ? tr("Jobs of every status")
                        : tr("Only %1 jobs").arg(displayName(JobStatus(row - 1)).toLower());
    case CountRole:
        return countAt(row);
    case StatusesRole: {
        QVariantList list;
        for (JobStatus s : statusesAt(row))
            list << int(s);
        return list;
    }
    default:
        return {};
    }
}

void StatusFilterModel::setCounts(const StatusCounts &counts)
{
    const bool first = !m_known;
    QList<int> changed;
    for (int row = 0; row < rowCount(); ++row) {
        const qint64 before = countAt(row);
        const qint64 after = row == 0 ? counts.all() : counts.byStatus[size_t(row - 1)];
        if (first || before != after || counts.limit != m_counts.limit)
            changed << row;
    }
    m_counts = counts;
    m_known = true;
    for (int row : std::as_const(changed))
        emit dataChanged(index(row), index(row), {Qt::DisplayRole, CountRole});
}

} // namespace hcm::ui
