#pragma once

#include "jobs/asyncjobservice.h"
#include "worker/workerpool.h"

#include <QMainWindow>
#include <QPointer>

#include <functional>

class QLabel;
class QListWidget;
class QMessageBox;
class QStackedWidget;

namespace hcm::ui {

class JobsPage;
class NotificationsPage;
class SchedulesPage;
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
        bool runWorker = true;
        WorkerPool::Options worker; // used when runWorker
        int refreshIntervalMs = 1000;
    };

    enum Page { JobsPageIndex, WorkersPageIndex, NotificationsPageIndex, SchedulesPageIndex };

    explicit MainWindow(Options options, QWidget *parent = nullptr);
    ~MainWindow() override;

    JobsPage *jobsPage() const { return m_jobsPage; }
    WorkersPage *workersPage() const { return m_workersPage; }
    NotificationsPage *notificationsPage() const { return m_notificationsPage; }
    SchedulesPage *schedulesPage() const { return m_schedulesPage; }
    int currentPage() const;
    // The "unsaved changes" question while it is open (leaving the notification settings page or
    // closing the window with unsaved changes).
    QMessageBox *unsavedChangesBox() const;
    AsyncJobService *service() const { return m_service; }
    WorkerPool *workerPool() const { return m_pool; }
    void setWorkerEnabled(bool enabled);
    void showPage(int index);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void buildMenus();
    void buildStatusBar();
    void updateWorkerLabel();
    void stopPools(int graceMs);
    void restoreSettings();
    void saveSettings() const;
    void onNavigationChanged(int row);
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
    QPointer<QMessageBox> m_unsavedBox;
    std::function<void()> m_afterSave;
    bool m_closeConfirmed = false;
    QLabel *m_dbLabel = nullptr;
    QLabel *m_connectionLabel = nullptr;
    QLabel *m_workerLabel = nullptr;
    QLabel *m_rateLabel = nullptr;
    QAction *m_workerAction = nullptr;
    int m_running = 0;
};

} // namespace hcm::ui
