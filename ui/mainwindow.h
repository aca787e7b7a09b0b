#pragma once

#include "db/notificationlistener.h"
#include "db/sqlitechangewatcher.h"
#include "jobs/asyncjobservice.h"
#include "worker/workerpool.h"

#include <QElapsedTimer>
#include <QMainWindow>
#include <QPointer>
#include <QTimer>

#include <functional>
#include <memory>

class QDialog;
class QLabel;
class QListWidget;
class QMenu;
class QPushButton;
class QMessageBox;
class QStackedWidget;

namespace hcm::ui {

class AuditPage;
class JobsPage;
class NotificationsPage;
class SchedulesPage;
class UsersPage;
class WorkersPage;

// The desktop console: pages on the left (Jobs, Workers, Notifications), menus with shortcuts, a status bar
// with the database, connection, worker and throughput state. On the embedded SQLite database it runs a
// worker pool in-process (toggle in the Worker menu, --no-worker to start without).
class MainWindow final : public QMainWindow {
    Q_OBJECT
public:
    struct Options {
        DbConfig db;
        Actor actor;
        // "Signed in as alice — Operator" for the status bar (Identity::signedInText); made from
        // `actor` when empty.
        QString signedInText;
        bool runWorker = true;
        WorkerPool::Options worker; // used when runWorker
        int refreshIntervalMs = 1000;
    };

    enum Page {
        JobsPageIndex,
        WorkersPageIndex,
        NotificationsPageIndex,
        SchedulesPageIndex,
        AuditPageIndex,
        UsersPageIndex
    };

    explicit MainWindow(Options options, QWidget *parent = nullptr);
    ~MainWindow() override;

    JobsPage *jobsPage() const { return m_jobsPage; }
    QMenu *jobMenu() const { return m_jobMenu; }
    QListWidget *navigation() const { return m_nav; }
    WorkersPage *workersPage() const { return m_workersPage; }
    NotificationsPage *notificationsPage() const { return m_notificationsPage; }
    SchedulesPage *schedulesPage() const { return m_schedulesPage; }
    // nullptr for a role without Permission::ReadAudit / ManageUsers: their entries are disabled.
    AuditPage *auditPage() const { return m_auditPage; }
    UsersPage *usersPage() const { return m_usersPage; }
    int currentPage() const;
    // The "unsaved changes" question while it is open (leaving the notification settings page or
    // closing the window with unsaved changes).
    QMessageBox *unsavedChangesBox() const;
    AsyncJobService *service() const { return m_service; }
    WorkerPool *workerPool() const { return m_pool; }
    void setWorkerEnabled(bool enabled);
    void showPage(int index);

    // Closing drains the in-process worker first, as SIGTERM does for hcm-worker: it stops claiming,
    // running jobs get the grace period (Options::worker.graceMs), the rest go back to the queue, and
    // the worker is marked stopped. The window stays open meanwhile, shows what it waits for in a small
    // non-modal dialog with "Stop Now", and closes itself once every pool has stopped. Nothing blocks.
    // shutDown() is close() for SIGTERM and the end of the session: it asks nothing (unsaved
    // notification settings are dropped).
    void shutDown();
    // Stops waiting: running jobs are asked to stop and return to the queue without spending a retry.
    void stopNow();
    bool isDraining() const { return m_draining; }
    QDialog *drainDialog() const { return m_drainDialog; }
    void saveSettings() const;

signals:
    // Every pool of the window has stopped after a close; the window closes next.
    void drained();

protected:
    void closeEvent(QCloseEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void buildMenus();
    void buildStatusBar();
    void updateWorkerLabel();
    void stopPools(int graceMs);
    void retirePool(WorkerPool *pool);
    void beginDrain();
    void updateDrainStatus();
    void restoreSettings();
    void onNavigationChanged(int row);
    void onPageChanged(int index);
    void fitNavigationWidth();
    void addAuthPages();
    // Asks Save / Discard / Cancel about the notification settings' unsaved changes (open(), not exec());
    // `proceed` runs after a successful save or a discard, not after Cancel or a failed save.
    void askAboutUnsavedChanges(std::function<void()> proceed);

    Options m_options;
    AsyncJobService *m_service = nullptr;
    WorkerPool *m_pool = nullptr;
    QList<QPointer<WorkerPool>> m_stoppingPools; // switched off, still finishing their jobs
    QListWidget *m_nav = nullptr;
    QStackedWidget *m_pages = nullptr;
    JobsPage *m_jobsPage = nullptr;
    WorkersPage *m_workersPage = nullptr;
    NotificationsPage *m_notificationsPage = nullptr;
    SchedulesPage *m_schedulesPage = nullptr;
    AuditPage *m_auditPage = nullptr;
    UsersPage *m_usersPage = nullptr;
    QPointer<QMessageBox> m_unsavedBox;
    std::function<void()> m_afterSave;
    bool m_closeConfirmed = false;
    QLabel *m_dbLabel = nullptr;
    QLabel *m_userLabel = nullptr;
    QLabel *m_connectionLabel = nullptr;
    QLabel *m_workerLabel = nullptr;
    QLabel *m_rateLabel = nullptr;
    QAction *m_workerAction = nullptr;
    QMenu *m_jobMenu = nullptr;
    int m_running = 0;
    bool m_draining = false; // closing: waiting for the pools to stop
    bool m_drained = false;  // every pool stopped: the window may close
    bool m_stopNowRequested = false;
    QDialog *m_drainDialog = nullptr;
    QLabel *m_drainLabel = nullptr;
    QLabel *m_drainDetail = nullptr;
    QPushButton *m_stopNowButton = nullptr;
    QTimer m_drainTimer;
    // PostgreSQL: LISTEN for other processes' changes (workers, hcmctl, other windows); they reach the
    // pages through JobNotifier within a few milliseconds, and the pages' polls are only a safety net.
    std::shared_ptr<hcm::NotificationListener> m_listener;
    // SQLite: other processes' commits (hcm-worker, hcmctl, the API) reach the pages as jobsChanged.
    std::shared_ptr<hcm::SqliteChangeWatcher> m_sqliteWatcher;
    QElapsedTimer m_drainClock;
};

} // namespace hcm::ui
