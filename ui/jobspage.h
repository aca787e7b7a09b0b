#pragma once

#include "jobs/asyncjobservice.h"
#include "jobs/jobrules.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QTimer>
#include <QWidget>

class QAction;
class QComboBox;
class QLabel;
class QLineEdit;
class QListView;
class QMenu;
class QProgressDialog;
class QSettings;
class QShortcut;
class QSplitter;
class QTableView;
class QToolButton;

namespace hcm {
class JobTableModel;
}

namespace hcm::ui {

class JobDetailsView;
class StatusFilterModel;
class ThroughputChart;

// The jobs page: status filters with live counts, type filter, search, the live job table with its
// context menu, a details panel and the throughput chart. Every query goes through AsyncJobService.
// Implemented in parts: jobspage.cpp (layout, table, state), jobspagefilters.cpp (the filter bar),
// jobspageactions.cpp (job actions and menus), jobspagebulk.cpp (bulk actions), jobspagedetails.cpp
// (the details pane).
class JobsPage final : public QWidget {
    Q_OBJECT
public:
    JobsPage(AsyncJobService *service, Actor actor, QWidget *parent = nullptr);

    JobTableModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    QListView *statusList() const { return m_statusList; }
    QComboBox *typeCombo() const { return m_typeCombo; }
    // Pauses or resumes the type chosen in the type filter ("All types": every type).
    QToolButton *pauseButton() const { return m_pauseButton; }
    StatusFilterModel *statusModel() const { return m_statusModel; }
    // "Schedule: <name> ✕" above the table while the list shows one schedule's jobs.
    QWidget *scheduleChip() const { return m_scheduleChip; }
    qint64 scheduleFilter() const { return m_scheduleId; }

    // Job ids of the selected rows, in row order (rows not loaded yet are left out).
    QList<qint64> selectedJobIds() const;
    // The context menu for these jobs (a fresh menu, deleted on close); exposed for tests.
    QMenu *createContextMenu(const QList<qint64> &ids);
    // The job actions for the main window's Job menu, with their shortcuts: the same entries as the
    // context menu, acting on the selected jobs and enabled by the same rules (JobRules). Their
    // shortcuts work while the jobs table has focus (Ctrl+N anywhere in the window). Null entries are
    // separators.
    QList<QAction *> jobActions() const { return m_jobActions; }
    // Rows selected (loaded or not) and whether that is every row: after Select All, Cancel, Retry and
    // Delete act on everything the filter selects, through the bulk actions.
    qint64 selectedRowCount() const;
    bool allRowsSelected() const;
    bool everyRowSelected() const; // all rows, some of them not loaded
    // The result of the last bulk action ("Retried 1,234 jobs."), also shown in the status bar.
    QString lastBulkResult() const { return m_lastBulkResult; }
    // Bulk actions on everything the filter selects: asks (with the count), then runs them in the
    // database in batches with a progress dialog and a result line. Delete asks for an age first,
    // unless every row is selected (then every finished job that matches).
    void requestBulk(BulkAction action, bool everySelected = false);
    void selectAllJobs();
    QAction *newJobAction() const { return m_newAction; }
    // The line shown instead of rows when nothing matches (which filters are active, how to clear them).
    QLabel *emptyStateLabel() const { return m_emptyLabel; }
    QLabel *rowCapLabel() const { return m_capLabel; }
    QLineEdit *searchEdit() const { return m_search; }
    // Clears status, type, search and schedule filters.
    void clearFilters();

    // On a page narrower than this the details pane sits below the table.
    static constexpr int kDetailsBesideMinWidth = 1150;
    // True while the details pane is below the table (narrow page); it is hidden while no job is chosen.
    bool detailsBelow() const;
    JobDetailsView *detailsPane() const { return m_details; }
    QSplitter *splitter() const { return m_splitter; }
    QSplitter *centreSplitter() const { return m_centreSplitter; }

    void saveState(QSettings &settings) const;
    void restoreState(const QSettings &settings);
    void setRefreshInterval(int ms);

public slots:
    void refresh();
    void newJob();
    void openDetails(qint64 id);
    void requestCancel(const QList<qint64> &ids);
    void requestRetry(const QList<qint64> &ids);
    void requestDelete(const QList<qint64> &ids);
    void duplicate(const QList<qint64> &ids);
    // Pauses or resumes a job type (kAllJobTypes: every type; pausing all asks first).
    void requestPause(const QString &type, bool pause);
    // Shows only the jobs schedule id made (0: every job again); name labels the chip (empty: "#id").
    void setScheduleFilter(qint64 id, const QString &name = {});
    void clearScheduleFilter() { setScheduleFilter(0); }

signals:
    void statusMessage(const QString &message, int timeoutMs);
    void countsChanged(const hcm::StatusCounts &counts);
    void throughputChanged(const hcm::Throughput &throughput);
    void databaseError(const QString &message);
    void databaseOk();

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    void buildUi();
    void setDefaultColumnWidths();
    int statusColumnWidth() const;
    void placeDetails();
    void applyPaneSizes();
    void rememberPaneSizes();
    void setDetailsShown(bool shown);
    void captureScrollAnchor();
    void restoreScrollAnchor();
    void applyFilter();
    void requestCounts();
    void requestThroughput();
    void loadVisibleRows();
    void onCurrentChanged();
    void runAction(QFuture<JobActions> action, const QString &what);
    void onActionFinished(const QString &what, const QList<JobActionResult> &results,
                          const QList<qint64> &created);
    void showActionFailed(const QString &message);
    // One confirmation policy: what cannot be undone (cancel, delete) is asked once, for one job as for
    // many; the buttons say what happens ("Cancel Jobs") and what the other choice keeps ("Keep Jobs").
    void confirm(const QString &text, const QString &okText, const QString &keepText,
                 std::function<void()> onAccept);
    void buildActions();
    void updateActions();
    void updateEmptyState();
    void updateRowCapNotice();
    void updateBulkActions();
    qint64 countOf(BulkAction action) const;
    void askDeleteOlderThan();
    void startBulk(BulkAction action, const JobFilter &filter, qint64 finishedBefore);
    void onBulkFinished(BulkAction action, const BulkResult &result);
    void selectCreatedJob();
    // Which of `jobs` `action` applies to; `why` says why none when it is empty.
    QList<qint64> targetsOf(JobAction action, const QList<const Job *> &jobs, QString *why) const;
    QList<const Job *> loadedJobs(const QList<qint64> &ids) const;
    void copyToClipboard(const QString &text, const QString &what);
    bool isLoaded(qint64 id) const;
    void updatePauseControls();
    void addPauseActions(QMenu *menu, const QList<const Job *> &jobs);

    AsyncJobService *m_service;
    Actor m_actor;
    JobTableModel *m_model = nullptr;
    StatusFilterModel *m_statusModel = nullptr;
    QListView *m_statusList = nullptr;
    QComboBox *m_typeCombo = nullptr;
    QToolButton *m_pauseButton = nullptr;
    QLineEdit *m_search = nullptr;
    QWidget *m_scheduleChip = nullptr;
    QLabel *m_scheduleLabel = nullptr;
    QShortcut *m_clearScheduleShortcut = nullptr;
    qint64 m_scheduleId = 0;
    QTableView *m_table = nullptr;
    JobDetailsView *m_details = nullptr;
    ThroughputChart *m_chart = nullptr;

public:
    ThroughputChart *chart() const { return m_chart; }

private:
    QSplitter *m_splitter = nullptr;       // left column | centre (| details when wide)
    QSplitter *m_centreSplitter = nullptr; // search and table (/ details when narrow)
    int m_leftWidth = 190;
    int m_detailsWidth = 340;
    int m_detailsHeight = 260;
    QLabel *m_emptyLabel = nullptr;
    QLabel *m_capLabel = nullptr; // below the table while it shows only the first rows of the list
    QAction *m_newAction = nullptr;
    QAction *m_detailsAction = nullptr;
    QAction *m_cancelAction = nullptr;
    QAction *m_retryAction = nullptr;
    QAction *m_duplicateAction = nullptr;
    QAction *m_copyIdAction = nullptr;
    QAction *m_copyPayloadAction = nullptr;
    QAction *m_deleteAction = nullptr;
    QAction *m_selectAllAction = nullptr;
    QAction *m_retryAllAction = nullptr;
    QAction *m_cancelAllAction = nullptr;
    QAction *m_deleteOldAction = nullptr;
    QList<QAction *> m_jobActions;
    QString m_lastBulkResult;
    qint64 m_anchorJob = 0; // the top visible job before an update moved rows, 0: none
    int m_anchorRow = -1;
    qint64 m_selectAfterRefresh = 0; // a job created here: selected and shown once the table has it
    QTimer m_searchDebounce;
    QTimer m_changeCoalescer;
    QTimer m_throughputTimer;
    // Counts requests: every answer newer than the one shown is shown, as long as it counted the type
    // and search of the current filter (statuses do not change the counts). Answering only the newest
    // request dropped every answer that arrived after a refresh of the rows had asked again: while
    // filters changed, the list could go without counts.
    QString m_countsKey;       // type, search and schedule of the requests since m_countsFrom
    quint64 m_countsAsked = 0; // numbers the counts requests of this page
    quint64 m_countsFrom = 0;  // first request for m_countsKey
    // A filter the maintained counts cannot answer is counted (bounded) when it changes and after a
    // change notification, not at every poll.
    bool m_countsStale = true;
    // The chart follows change notifications, at most once a second: a change within the second after a
    // read is read at its end.
    quint64 m_countsShown = 0; // request whose answer the status list shows
    // Requests whose older answers are useless once a newer one is asked (another job chosen, the chart
    // read again). Counts skip only a request that has not started (see above).
    Latest<Result<StatusCounts>> m_counts{Supersede::SkipQueued};
    Latest<Result<Job>> m_detailsJob;
    Latest<Result<QList<DeliveryRecord>>> m_deliveries;
    Latest<Result<Throughput>> m_throughput{Supersede::SkipQueued};
    qint64 m_detailsUpdatedAt = -1;
};

} // namespace hcm::ui
