#pragma once

#include "jobs/asyncjobservice.h"

#include <QAbstractListModel>

namespace hcm::ui {

// The status filter list of the jobs page: "All" and one row per status, each with its live count.
// Counts arrive from AsyncJobService (never queried on the GUI thread); an update changes only the
// rows whose count changed.
class StatusFilterModel final : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role { StatusesRole = Qt::UserRole + 1, CountRole };

    explicit StatusFilterModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    void setCounts(const StatusCounts &counts);
    // The statuses a row filters by (empty for "All").
    QList<JobStatus> statusesAt(int row) const;
    qint64 countAt(int row) const;

private:
    StatusCounts m_counts;
    bool m_known = false;
};

} // namespace hcm::ui
