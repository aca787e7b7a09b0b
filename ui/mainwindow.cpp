#include "mainwindow.h"

#include "auth/permissions.h"
#include "common/logcategories.h"
#include "jobs/jobtablemodel.h"
#include "ui/auditpage.h"
#include "ui/jobspage.h"
#include "ui/notificationspage.h"
#include "ui/schedulespage.h"
#include "ui/statusicons.h"
#include "ui/userspage.h"
#include "ui/workerspage.h"
#include "worker/jobhandler.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDialog>
#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScreen>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QStyle>
#include <QVBoxLayout>

namespace hcm::ui {

MainWindow::MainWindow(Options options, QWidget *parent)
    : QMainWindow(parent)
    , m_options(std::move(options))
{
    setWindowTitle(tr("HCM Admin"));
    setWindowIcon(icon("app"));
    setObjectName(QStringLiteral("mainWindow"));
    m_service = new AsyncJobService(JobStore(m_options.db), this);
    if (m_options.db.isPostgres())
        m_listener = NotificationListener::acquire(m_options.db); // connects on its own thread
    else
        m_sqliteWatcher = SqliteChangeWatcher::acquire(m_options.db); // watches on its own thread

    m_nav = new QListWidget;
    m_nav->setObjectName(QStringLiteral("navigation"));
    m_nav->setAccessibleName(tr("Pages"));
    m_nav->setIconSize(QSize(24, 24));
    m_nav->setFrameShape(QFrame::NoFrame);
    m_nav->addItem(new QListWidgetItem(icon("page-jobs"), tr("Jobs")));
    m_nav->addItem(new QListWidgetItem(icon("page-workers"), tr("Workers")));
    m_nav->addItem(new QListWidgetItem(icon("page-notifications"), tr("Notifications")));
    m_pages = new QStackedWidget;
    m_jobsPage = new JobsPage(m_service, m_options.actor);
    m_jobsPage->setRefreshInterval(m_options.refreshIntervalMs);
    m_workersPage = new WorkersPage(m_service);
    m_workersPage->setActor(m_options.actor);
    m_pages->addWidget(m_jobsPage);
    m_pages->addWidget(m_workersPage);
    m_notificationsPage = new NotificationsPage(m_options.db, m_options.actor);
    m_pages->addWidget(m_notificationsPage);
    m_nav->addItem(new QListWidgetItem(icon("page-schedules"), tr("Schedules")));
    m_schedulesPage = new SchedulesPage(m_options.db, m_options.actor);
    m_pages->addWidget(m_schedulesPage);
    connect(m_schedulesPage, &SchedulesPage::showJobsRequested, this, [this](qint64 id, const QString &name) {
        m_jobsPage->setScheduleFilter(id, name);
        showPage(0);
    });
    addAuthPages();
    fitNavigationWidth();
    connect(m_nav, &QListWidget::currentRowChanged, this, &MainWindow::onNavigationChanged);
    // A save the unsaved-changes question asked for: go on when it worked, stay when it did not.
    connect(m_notificationsPage, &NotificationsPage::saved, this, [this] {
        if (auto proceed = std::exchange(m_afterSave, {}))
            proceed();
    });
    connect(m_notificationsPage, &NotificationsPage::saveFailed, this, [this] { m_afterSave = {}; });
    m_nav->setCurrentRow(0);

    auto *central = new QWidget;
    auto *layout = new QHBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(m_nav);
    layout->addWidget(m_pages, 1);
    setCentralWidget(central);

    buildMenus();
    connect(m_pages, &QStackedWidget::currentChanged, this, &MainWindow::onPageChanged);
    onPageChanged(m_pages->currentIndex());
    buildStatusBar();
    restoreSettings();
    setWorkerEnabled(m_options.runWorker && m_options.db.isSqlite());
}

MainWindow::~MainWindow()
{
    stopPools(0);
}

void MainWindow::addAuthPages()
{
    // Audit and Users: created only for the roles that may use them; the others see the entry disabled,
    // with the role it needs, and an empty page in its place.
    const auto add = [this](const char *iconName, const QString &title, Permission permission, auto make) {
        auto *item = new QListWidgetItem(icon(iconName), title);
        QWidget *page = nullptr;
        if (isAllowed(m_options.actor.role, permission)) {
            page = make();
        } else {
            item->setFlags(item->flags() & ~(Qt::ItemIsEnabled | Qt::ItemIsSelectable));
            item->setToolTip(permissionRequirement(permission));
            auto *label = new QLabel(permissionRequirement(permission));
            label->setAlignment(Qt::AlignCenter);
            page = label;
        }
        m_nav->addItem(item);
        m_pages->addWidget(page);
    };
    add("page-audit", tr("Audit"), Permission::ReadAudit,
        [this] { return m_auditPage = new AuditPage(m_options.db, m_options.actor); });
    add("page-users", tr("Users"), Permission::ManageUsers,
        [this] { return m_usersPage = new UsersPage(m_options.db, m_options.actor); });
}

void MainWindow::buildMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_jobsPage->newJobAction());
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    quit->setMenuRole(QAction::QuitRole);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    QAction *jobs = view->addAction(icon("page-jobs"), tr("&Jobs"), this, [this] { showPage(0); });
    jobs->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_1));
    QAction *workers = view->addAction(icon("page-workers"), tr("&Workers"), this, [this] { showPage(1); });
    workers->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_2));
    QAction *notifications = view->addAction(icon("page-notifications"), tr("&Notifications"), this,
                                             [this] { showPage(NotificationsPageIndex); });
    notifications->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_3));
    // Schedules, Audit and Users: Ctrl+4 to Ctrl+6, disabled with the same reason as their entry in the
    // navigation for a role that may not use them.
    const struct {
        const char *icon;
        QString text;
        int page;
    } more[] = {{"page-schedules", tr("&Schedules"), SchedulesPageIndex},
                {"page-audit", tr("&Audit"), AuditPageIndex},
                {"page-users", tr("&Users"), UsersPageIndex}};
    for (const auto &m : more) {
        const int page = m.page;
        QAction *a = view->addAction(icon(m.icon), m.text, this, [this, page] { showPage(page); });
        a->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + page)));
        if (const QListWidgetItem *item = m_nav->item(page); item && !(item->flags() & Qt::ItemIsEnabled)) {
            a->setEnabled(false);
            a->setToolTip(item->toolTip());
        }
    }
    view->setToolTipsVisible(true);
    view->addSeparator();
    QAction *refresh =
        view->addAction(icon("action-refresh"), tr("&Refresh"), m_jobsPage, &JobsPage::refresh);
    // F5 only: on some desktops QKeySequence::Refresh is Ctrl+R too, the key of "Retry Now".
    refresh->setShortcut(QKeySequence(Qt::Key_F5));

    // Every action of the jobs table's context menu, with its key; enabled by the same rules.
    m_jobMenu = menuBar()->addMenu(tr("&Job"));
    m_jobMenu->setObjectName(QStringLiteral("jobMenu"));
    m_jobMenu->setToolTipsVisible(true);
    for (QAction *a : m_jobsPage->jobActions()) {
        if (a)
            m_jobMenu->addAction(a);
        else
            m_jobMenu->addSeparator();
    }

    QMenu *worker = menuBar()->addMenu(tr("&Worker"));
    m_workerAction = worker->addAction(tr("&Run Jobs in This Window"));
    m_workerAction->setObjectName(QStringLiteral("workerAction"));
    m_workerAction->setCheckable(true);
    m_workerAction->setToolTip(tr("Runs queued jobs inside HCM Admin. Turn it off when dedicated hcm-worker "
                                  "processes serve this database."));
    connect(m_workerAction, &QAction::toggled, this, &MainWindow::setWorkerEnabled);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About HCM Admin"), this, [this] {
        auto *box = new QMessageBox(
            QMessageBox::Information, tr("About HCM Admin"),
            tr("<b>HCM Admin %1</b><p>Background jobs and notification settings of the HCM "
               "system.</p><p>Database: %2</p>")
                .arg(QApplication::applicationVersion(), m_options.db.displayName().toHtmlEscaped()),
            QMessageBox::Ok, this);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    });
}

void MainWindow::buildStatusBar()
{
    m_dbLabel = new QLabel(m_options.db.displayName());
    m_dbLabel->setObjectName(QStringLiteral("dbLabel"));
    m_connectionLabel = new QLabel(tr("Connecting…"));
    m_connectionLabel->setObjectName(QStringLiteral("connectionLabel"));
    m_workerLabel = new QLabel;
    m_workerLabel->setObjectName(QStringLiteral("workerLabel"));
    m_rateLabel = new QLabel;
    m_rateLabel->setObjectName(QStringLiteral("rateLabel"));
    statusBar()->addPermanentWidget(m_rateLabel);
    statusBar()->addPermanentWidget(m_workerLabel);
    statusBar()->addPermanentWidget(m_connectionLabel);
    statusBar()->addPermanentWidget(m_dbLabel);
    m_userLabel = new QLabel(
        m_options.signedInText.isEmpty()
            ? tr("Signed in as %1 — %2").arg(m_options.actor.name, roleDisplayName(m_options.actor.role))
            : m_options.signedInText);
    m_userLabel->setObjectName(QStringLiteral("signedInLabel"));
    statusBar()->addPermanentWidget(m_userLabel);
    connect(m_jobsPage, &JobsPage::statusMessage, statusBar(), &QStatusBar::showMessage);
    connect(m_notificationsPage, &NotificationsPage::statusMessage, statusBar(), &QStatusBar::showMessage);
    connect(m_jobsPage, &JobsPage::databaseOk, this, [this] {
        m_connectionLabel->setText(tr("Connected"));
        m_connectionLabel->setToolTip({});
        m_connectionLabel->setStyleSheet({});
    });
    connect(m_jobsPage, &JobsPage::databaseError, this, [this](const QString &message) {
        m_connectionLabel->setText(tr("Database error"));
        m_connectionLabel->setToolTip(message);
        m_connectionLabel->setStyleSheet(QStringLiteral("color: #b91c1c; font-weight: bold"));
        statusBar()->showMessage(message, 10'000);
    });
    connect(m_jobsPage, &JobsPage::throughputChanged, this, [this](const Throughput &t) {
        // Jobs completed in the 60 seconds up to the last change, of the type the jobs page filters by.
        const int n = int(qMin<qint64>(t.completedLastMinute, std::numeric_limits<int>::max()));
        //: jobs completed in the last 60 seconds
        m_rateLabel->setText(n == 1 ? tr("1 job/min") : tr("%n jobs/min", nullptr, n));
        m_rateLabel->setToolTip(t.type.isEmpty()
                                    ? tr("Jobs completed in the last 60 seconds")
                                    : tr("%1 jobs completed in the last 60 seconds").arg(t.type));
    });
    updateWorkerLabel();
}

void MainWindow::setWorkerEnabled(bool enabled)
{
    if (enabled && (m_draining || m_drained))
        enabled = false; // closing: no new worker
    if (m_workerAction && m_workerAction->isChecked() != enabled) {
        const QSignalBlocker block(m_workerAction);
        m_workerAction->setChecked(enabled);
    }
    if (enabled && !m_pool) {
        WorkerPool::Options o = m_options.worker;
        o.env.db = m_options.db;
        m_pool = new WorkerPool(o, HandlerRegistry::standard(), this);
        connect(m_pool, &WorkerPool::runningChanged, this, [this](int running, int) {
            m_running = running;
            updateWorkerLabel();
        });
        connect(m_pool, &WorkerPool::stateChanged, this, &MainWindow::updateWorkerLabel);
        WorkerPool *pool = m_pool;
        connect(pool, &WorkerPool::errorOccurred, this, [this, pool](const QString &message) {
            if (pool->state() == WorkerPool::State::Starting) // it could not register, and stops next
                statusBar()->showMessage(tr("The worker could not start: %1").arg(message), 15'000);
            else
                statusBar()->showMessage(message, 10'000);
        });
        // Turning the worker off and closing the window disconnect the pool before stopping it: a pool
        // that stops while connected here is one whose start failed.
        connect(pool, &WorkerPool::stopped, this, [this, pool] {
            if (m_pool != pool)
                return;
            m_pool = nullptr;
            pool->deleteLater(); // it is emitting this signal
            const QSignalBlocker block(m_workerAction);
            m_workerAction->setChecked(false);
            updateWorkerLabel();
        });
        // Returns at once: registering happens in the pool's thread and reports back through signals.
        pool->start();
    } else if (!enabled && m_pool) {
        retirePool(std::exchange(m_pool, nullptr));
    }
    updateWorkerLabel();
}

void MainWindow::retirePool(WorkerPool *pool)
{
    // Graceful: running jobs finish (or return to the queue after the grace period). The window only
    // waits for its stopped(); closing meanwhile waits for it too (see closeEvent()).
    disconnect(pool, nullptr, this, nullptr);
    m_stoppingPools.append(pool);
    connect(pool, &WorkerPool::runningChanged, this, &MainWindow::updateDrainStatus);
    connect(pool, &WorkerPool::stopped, this, [this, pool] {
        m_stoppingPools.removeAll(pool);
        pool->deleteLater(); // it is emitting this signal
        updateWorkerLabel();
        if (m_draining && m_stoppingPools.isEmpty()) {
            m_draining = false;
            m_drained = true;
            m_drainTimer.stop();
            if (m_drainDialog)
                m_drainDialog->hide();
            emit drained();
            close();
        }
    });
    pool->stop();
}

void MainWindow::updateWorkerLabel()
{
    if (!m_workerLabel)
        return;
    if (!m_pool && !m_stoppingPools.isEmpty()) {
        m_workerLabel->setText(tr("Worker stopping…"));
        m_workerLabel->setToolTip(tr("The in-process worker lets its running jobs finish, then stops."));
        return;
    }
    if (!m_pool) {
        m_workerLabel->setText(tr("Worker off"));
        m_workerLabel->setToolTip(tr("Jobs run only in hcm-worker processes."));
        return;
    }
    if (m_pool->state() == WorkerPool::State::Starting) {
        m_workerLabel->setText(tr("Worker starting…"));
        m_workerLabel->setToolTip(
            tr("In-process worker %1: registering with the database").arg(m_pool->workerId()));
        return;
    }
    const int capacity = m_pool->concurrency();
    const int running = m_pool->runningJobs();
    Q_UNUSED(m_running)
    m_workerLabel->setText(tr("Worker running %1/%2").arg(running).arg(capacity));
    m_workerLabel->setToolTip(
        tr("In-process worker %1: %2 of %3 threads busy").arg(m_pool->workerId()).arg(running).arg(capacity));
}

void MainWindow::showPage(int index)
{
    m_nav->setCurrentRow(index);
}

QMessageBox *MainWindow::unsavedChangesBox() const
{
    return m_unsavedBox;
}

int MainWindow::currentPage() const
{
    return m_pages->currentIndex();
}

void MainWindow::onNavigationChanged(int row)
{
    if (row < 0 || row == m_pages->currentIndex())
        return;
    if (m_pages->currentWidget() == m_notificationsPage && m_notificationsPage->isDirty()) {
        // Stay on the page until the admin has decided.
        {
            const QSignalBlocker block(m_nav);
            m_nav->setCurrentRow(m_pages->currentIndex());
        }
        askAboutUnsavedChanges([this, row] {
            m_pages->setCurrentIndex(row);
            const QSignalBlocker block(m_nav);
            m_nav->setCurrentRow(row);
        });
        return;
    }
    m_pages->setCurrentIndex(row);
}

void MainWindow::fitNavigationWidth()
{
    // As wide as the longest page name in the current language ("Benachrichtigungen"), with its icon:
    // never cut, never scrolled sideways.
    int widest = 0;
    for (int i = 0; i < m_nav->count(); ++i)
        widest = qMax(widest, m_nav->fontMetrics().horizontalAdvance(m_nav->item(i)->text()));
    const int iconAndMargins =
        m_nav->iconSize().width() + 3 * m_nav->style()->pixelMetric(QStyle::PM_FocusFrameHMargin) + 24;
    m_nav->setFixedWidth(qMax(120, widest + iconAndMargins + 2 * m_nav->frameWidth()));
    m_nav->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
}

void MainWindow::changeEvent(QEvent *event)
{
    QMainWindow::changeEvent(event);
    if (event->type() == QEvent::FontChange && m_nav)
        fitNavigationWidth();
}

void MainWindow::onPageChanged(int index)
{
    // The Job menu acts on the jobs table's selection: only while that table is shown.
    if (m_jobMenu)
        m_jobMenu->menuAction()->setEnabled(index == JobsPageIndex);
}

void MainWindow::askAboutUnsavedChanges(std::function<void()> proceed)
{
    if (m_unsavedBox) {
        m_unsavedBox->raise();
        return;
    }
    auto *box = new QMessageBox(QMessageBox::Question, tr("Unsaved Changes"),
                                tr("The notification settings have unsaved changes."),
                                QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, this);
    box->setObjectName(QStringLiteral("unsavedChangesBox"));
    box->setInformativeText(tr("Do you want to save them?"));
    box->setDefaultButton(QMessageBox::Save);
    box->setEscapeButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    m_unsavedBox = box;
    connect(box, &QMessageBox::finished, this, [this, box, proceed = std::move(proceed)] {
        m_unsavedBox.clear(); // answered: the next question may come before this box is deleted
        switch (box->standardButton(box->clickedButton())) {
        case QMessageBox::Save:
            // Goes on in the page's saved() signal; a failed save (invalid, conflict) stays here.
            m_afterSave = proceed;
            m_notificationsPage->save();
            break;
        case QMessageBox::Discard:
            m_notificationsPage->revert();
            proceed();
            break;
        default:
            break;
        }
    });
    box->open();
}

void MainWindow::restoreSettings()
{
    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray())) {
        // The first start: a roomy window, never larger than the screen's free area (a small laptop
        // screen, a 1000×650 remote desktop).
        QSize size(1400, 820);
        if (const QScreen *s = screen())
            size = size.boundedTo(s->availableGeometry().size());
        resize(size);
    }
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    m_jobsPage->restoreState(settings);
}

void MainWindow::saveSettings() const
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    m_jobsPage->saveState(settings);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (!m_closeConfirmed && m_notificationsPage->isDirty()) {
        event->ignore();
        showPage(NotificationsPageIndex);
        askAboutUnsavedChanges([this] {
            m_closeConfirmed = true;
            close();
        });
        return;
    }
    // The in-process worker drains first; the window closes itself when it has (see shutDown()).
    if (!m_drained) {
        const bool again = m_draining;
        beginDrain();
        if (!m_drained) {
            event->ignore();
            if (again && m_drainDialog) { // closed once more while waiting: show what it waits for
                m_drainDialog->show();
                m_drainDialog->raise();
            }
            return;
        }
    }
    event->accept();
}

void MainWindow::shutDown()
{
    m_closeConfirmed = true;
    if (m_unsavedBox)
        m_unsavedBox->close(); // answered with nothing: the changes are dropped
    close();
}

void MainWindow::beginDrain()
{
    if (m_draining || m_drained)
        return;
    saveSettings();
    m_workerAction->setEnabled(false);
    if (m_pool)
        retirePool(std::exchange(m_pool, nullptr));
    updateWorkerLabel();
    if (m_stoppingPools.isEmpty()) {
        m_drained = true;
        emit drained();
        return;
    }
    m_draining = true;
    m_drainClock.start();
    qCInfo(lcApp) << "closing: waiting up to" << m_options.worker.graceMs << "ms for"
                  << m_stoppingPools.size() << "worker pools to drain";

    if (!m_drainDialog) {
        m_drainDialog = new QDialog(this);
        m_drainDialog->setObjectName(QStringLiteral("drainDialog"));
        m_drainDialog->setWindowTitle(tr("Closing HCM Admin"));
        m_drainDialog->setModal(false);
        m_drainLabel = new QLabel;
        m_drainLabel->setObjectName(QStringLiteral("drainLabel"));
        m_drainDetail = new QLabel;
        m_drainDetail->setObjectName(QStringLiteral("drainDetail"));
        m_drainDetail->setWordWrap(true);
        auto *busy = new QProgressBar;
        busy->setRange(0, 0);
        busy->setTextVisible(false);
        auto *buttons = new QDialogButtonBox;
        m_stopNowButton = buttons->addButton(tr("Stop Now"), QDialogButtonBox::DestructiveRole);
        m_stopNowButton->setObjectName(QStringLiteral("stopNowButton"));
        m_stopNowButton->setToolTip(
            tr("Asks the running jobs to stop; they go back to the queue without spending a retry."));
        connect(m_stopNowButton, &QPushButton::clicked, this, &MainWindow::stopNow);
        auto *layout = new QVBoxLayout(m_drainDialog);
        layout->addWidget(m_drainLabel);
        layout->addWidget(busy);
        layout->addWidget(m_drainDetail);
        layout->addWidget(buttons);
        // The window cannot close before the worker has stopped: closing this dialog hides it only.
        connect(&m_drainTimer, &QTimer::timeout, this, &MainWindow::updateDrainStatus);
    }
    m_drainTimer.start(250);
    updateDrainStatus();
    m_drainDialog->show();
}

void MainWindow::updateDrainStatus()
{
    if (!m_draining || !m_drainLabel)
        return;
    int running = 0;
    for (const QPointer<WorkerPool> &pool : std::as_const(m_stoppingPools)) {
        if (pool)
            running += pool->runningJobs();
    }
    if (m_stopNowRequested && running > 0)
        m_drainLabel->setText(running == 1 ? tr("Stopping 1 running job…")
                                           : tr("Stopping %n running jobs…", nullptr, running));
    else if (running > 0)
        m_drainLabel->setText(running == 1 ? tr("Waiting for 1 running job to finish…")
                                           : tr("Waiting for %n running jobs to finish…", nullptr, running));
    else
        m_drainLabel->setText(tr("Saving the results and stopping the worker…"));
    const qint64 left = qMax<qint64>(0, m_options.worker.graceMs - m_drainClock.elapsed());
    if (m_stopNowRequested || left == 0)
        m_drainDetail->setText(tr("Jobs that do not stop go back to the queue."));
    else
        m_drainDetail->setText(tr("Jobs still running in %1 are stopped and go back to the queue.")
                                   .arg(JobTableModel::durationText(left)));
}

void MainWindow::stopNow()
{
    if (!m_draining)
        return;
    m_stopNowRequested = true;
    if (m_stopNowButton)
        m_stopNowButton->setEnabled(false);
    for (const QPointer<WorkerPool> &pool : std::as_const(m_stoppingPools)) {
        if (pool)
            pool->stopWithin(0);
    }
    updateDrainStatus();
}

void MainWindow::stopPools(int graceMs)
{
    // Only when the window goes away without having drained (the application quit first, or the
    // window is deleted while open): jobs still running get `graceMs`, then go back to the queue. No
    // pool may outlive the window with its signals pointing here: shutdown() joins the dispatcher of each
    // pool (no event loop runs here: nothing queued reaches this half-destroyed window meanwhile).
    if (m_pool)
        m_pool->shutdown(graceMs);
    const QList<QPointer<WorkerPool>> stopping = std::exchange(m_stoppingPools, {});
    for (const QPointer<WorkerPool> &pool : stopping) {
        if (pool) {
            pool->shutdown(graceMs);
            delete pool;
        }
    }
}

} // namespace hcm::ui
