#pragma once

#include "jobs/asyncjobservice.h"

#include <QAbstractTableModel>
#include <QTimer>
#include <QWidget>

class QTableView;

namespace hcm::ui {

// Registered workers with their heartbeats. Updated in place: rows are keyed by worker id.
class WorkerTableModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        IdColumn,
        HostColumn,
        PidColumn,
        StateColumn,
        RunningColumn,
        StartedColumn,
        HeartbeatColumn,
        VersionColumn,
        ColumnCount
    };

    explicit WorkerTableModel(QObject *parent = nullptr);
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void setWorkers(const QList<WorkerInfo> &workers, qint64 nowMs);
    // A worker whose heartbeat is older than this is shown as lost.
    void setStaleAfterMs(qint64 ms) { m_staleAfterMs = ms; }

private:
    QString state(const WorkerInfo &w) const;
    QList<WorkerInfo> m_workers;
    qint64 m_now = 0;
    qint64 m_staleAfterMs = 90'000;
};

class WorkersPage final : public QWidget {
    Q_OBJECT
public:
    explicit WorkersPage(AsyncJobService *service, QWidget *parent = nullptr);
    WorkerTableModel *model() const { return m_model; }
    void refresh();

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    AsyncJobService *m_service;
    WorkerTableModel *m_model;
    QTableView *m_table;
    QTimer m_timer;
    quint64 m_request = 0;
};

} // namespace hcm::ui
