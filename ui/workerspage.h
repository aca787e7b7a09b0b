#pragma once

#include "common/tablemodel.h"
#include "jobs/asyncjobservice.h"
#include "jobs/workerstate.h"

#include <QTimer>
#include <QWidget>

class QLabel;
class QMenu;
class QSplitter;
class QTableView;

namespace hcm::ui {

class PausedTypesBar;
class WorkerJobsModel;

// Registered workers with their heartbeats. Updated in place: rows are keyed by worker id.
class WorkerTableModel final : public TableModel {
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
    enum Role {
        StateRole = Qt::UserRole + 1, // int(WorkerState)
        WorkerIdRole,
    };

    explicit WorkerTableModel(QObject *parent = nullptr);
    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    void setWorkers(const QList<WorkerInfo> &workers, qint64 nowMs);

    QString workerIdAt(int row) const;
    int rowOfWorker(const QString &id) const;
    // The worker and its state as of the last refresh; nullptr when it is not listed.
    const WorkerInfo *worker(const QString &id) const;
    // Lost after three of the worker's own leases without a heartbeat (workerLostAfterMs).
    WorkerState stateOf(const WorkerInfo &w) const { return workerState(w, m_now); }
    qint64 now() const { return m_now; }

private:
    QString stateText(const WorkerInfo &w) const;
    QList<WorkerInfo> m_workers;
    qint64 m_now = 0;
};

// The workers page: the registered workers (a lost one marked at once) and, for the selected one,
// the jobs it holds and its recent attempts that did not complete; a job opens in the details
// dialog. Every query goes through AsyncJobService; both tables update in place.
class WorkersPage final : public QWidget {
    Q_OBJECT
public:
    explicit WorkersPage(AsyncJobService *service, QWidget *parent = nullptr);

    WorkerTableModel *model() const { return m_model; }
    WorkerJobsModel *jobsModel() const { return m_jobsModel; }
    QTableView *workerTable() const { return m_table; }
    QTableView *jobsTable() const { return m_jobsTable; }
    QLabel *jobsTitle() const { return m_jobsTitle; }
    // The "Paused types" line with its Resume buttons.
    PausedTypesBar *pausedBar() const { return m_pausedBar; }
    // Who resumes paused types from this page.
    void setActor(const Actor &actor);
    // The selected worker's id, empty when none.
    QString selectedWorker() const { return m_selectedWorker; }
    // The context menu for the job in `row` of the jobs table (a fresh menu, deleted on close).
    QMenu *createJobMenu(int row);

    void setRefreshInterval(int ms);

public slots:
    void refresh();
    void selectWorker(const QString &id);
    // Opens the job in the details dialog (non-modal; it follows the job's changes).
    void openDetails(qint64 jobId);

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    void fitWorkerColumns();
    void onSelectedWorkerChanged();
    void onWorkersReady(const QList<WorkerInfo> &workers);
    void onWorkerJobsReady(const WorkerJobs &jobs);
    void fetchJobs();
    void updateTitle();

    AsyncJobService *m_service;
    WorkerTableModel *m_model;
    WorkerJobsModel *m_jobsModel;
    QTableView *m_table;
    QTableView *m_jobsTable;
    QLabel *m_jobsTitle;
    QSplitter *m_splitter;
    PausedTypesBar *m_pausedBar;
    QTimer m_timer;
    QTimer m_changeCoalescer; // job changes reported by JobNotifier, a burst as one reload
    Actor m_actor;            // for the job details it opens
    QString m_selectedWorker;
    QString m_workersError;                      // the last list of workers failed to load
    QString m_jobsError;                         // the selected worker's jobs failed to load
    Latest<Result<QList<WorkerInfo>>> m_workers; // only the newest list and jobs are shown
    Latest<Result<WorkerJobs>> m_jobs;
    bool m_jobsLoaded = false;
};

} // namespace hcm::ui
