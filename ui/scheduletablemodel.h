#pragma once

#include "common/tablemodel.h"
#include "schedules/schedule.h"

#include <QList>

namespace hcm::ui {

// The schedules as the Schedules page shows them. setSchedules() diffs the new list (sorted by name)
// into removed, inserted and changed rows: a refresh never resets the model, so selection and scroll
// position survive it. The Enabled column is a check box; checking it asks for the change through
// enabledToggled (the model changes when the database did).
class ScheduleTableModel final : public TableModel {
    Q_OBJECT
public:
    enum Column { Name, Type, When, Zone, NextRun, LastRun, Enabled, ColumnCount };
    enum Role { IdRole = Qt::UserRole + 1, RawRole };

    explicit ScheduleTableModel(QObject *parent = nullptr);

    void setSchedules(const QList<Schedule> &schedules);
    const Schedule *scheduleAt(int row) const;
    int rowOf(qint64 id) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;

signals:
    void enabledToggled(qint64 id, bool enabled);

private:
    QList<Schedule> m_rows;
};

} // namespace hcm::ui
