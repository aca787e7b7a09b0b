#include "jobspage.h"

#include "auth/permissions.h"

#include "jobs/jobnotifier.h"
#include "jobs/jobrules.h"
#include "jobs/jobstatsstore.h"
#include "jobs/jobtablemodel.h"
#include "jobs/jobtypes.h"
#include "ui/jobdetailsdialog.h"
#include "ui/jobdetailsview.h"
#include "ui/newjobdialog.h"
#include "ui/statusdelegate.h"
#include "ui/statusfiltermodel.h"
#include "ui/statusicons.h"
#include "ui/tablefit.h"
#include "ui/throughputchart.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDateTime>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QHeaderView>
#include <QItemSelection>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QLocale>
#include <QMenu>
#include <QMessageBox>
#include <QProgressDialog>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollBar>
#include <QSettings>
#include <QShortcut>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

namespace hcm::ui {

namespace {

// The permission a job action of the context menu needs (models/auth/permissions.cpp).
Permission permissionFor(JobAction action)
{
    switch (action) {
    case JobAction::Cancel:
        return Permission::CancelJobs;
    case JobAction::RetryNow:
        return Permission::RetryJobs;
    case JobAction::Delete:
        return Permission::DeleteJobs;
    case JobAction::Duplicate:
        return Permission::CreateJobs;
    }
    return Permission::CreateJobs;
}

} // namespace

JobsPage::JobsPage(AsyncJobService *service, Actor actor, QWidget *parent)
    : QWidget(parent)
    , m_service(service)
    , m_actor(std::move(actor))
{
    m_model = new JobTableModel(m_service, Clock::system(), this);
    m_statusModel = new StatusFilterModel(this);
    buildUi();

    m_searchDebounce.setSingleShot(true);
    m_searchDebounce.setInterval(250);
    connect(&m_searchDebounce, &QTimer::timeout, this, &JobsPage::applyFilter);

    // Changes from this process (the in-process worker, our own actions) arrive as notifications and
    // are coalesced: a burst of thousands costs one query and one repaint.
    m_changeCoalescer.setSingleShot(true);
    m_changeCoalescer.setInterval(50);
    connect(&m_changeCoalescer, &QTimer::timeout, this, &JobsPage::refresh);
    // On PostgreSQL other processes' changes arrive here too (the main window's NotificationListener);
    // the chart and the status bar follow the window they cause (see windowApplied below).
    connect(JobNotifier::instance(), &JobNotifier::jobsChanged, this, [this] {
        m_countsStale = true;
        if (!m_changeCoalescer.isActive())
            m_changeCoalescer.start();
    });
    // The model's periodic refresh is the safety net (and, on SQLite, how other processes' changes
    // arrive); counts follow every window. While the view is scrolled down, the rows the admin looks at stay
    // in place when jobs arrive above them: the top visible job is the anchor of each update.
    connect(m_model, &QAbstractItemModel::rowsAboutToBeInserted, this, &JobsPage::captureScrollAnchor);
    connect(m_model, &QAbstractItemModel::rowsAboutToBeRemoved, this, &JobsPage::captureScrollAnchor);
    connect(m_model, &QAbstractItemModel::rowsAboutToBeMoved, this, &JobsPage::captureScrollAnchor);
    connect(m_model, &JobTableModel::windowApplied, this, [this] {
        restoreScrollAnchor();
        requestCounts();
        requestThroughput();
        loadVisibleRows();
        selectCreatedJob();
        onCurrentChanged();
        updateActions();
        updateEmptyState();
        emit databaseOk();
    });
    connect(m_model, &JobTableModel::errorOccurred, this, &JobsPage::databaseError);
    connect(m_model, &JobTableModel::pausedTypesChanged, this, &JobsPage::updatePauseControls);
    // The chart and jobs/min follow the table: asked again with every applied window (the worker thread
    // answers only the newest request, m_throughput), and every few seconds while nothing changes, as the
    // minutes move on.
    m_throughputTimer.setInterval(5'000);
    connect(&m_throughputTimer, &QTimer::timeout, this, &JobsPage::requestThroughput);
    m_throughputTimer.start();
    requestThroughput();
}

void JobsPage::buildUi()
{
    // Left: status filters.
    m_statusList = new QListView;
    m_statusList->setObjectName(QStringLiteral("statusList"));
    m_statusList->setAccessibleName(tr("Status filter"));
    m_statusList->setModel(m_statusModel);
    m_statusList->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_statusList->setSelectionMode(QAbstractItemView::SingleSelection);
    m_statusList->setCurrentIndex(m_statusModel->index(0));
    m_statusList->setSpacing(1);
    connect(m_statusList->selectionModel(), &QItemSelectionModel::currentChanged, this,
            &JobsPage::applyFilter);

    m_typeCombo = new QComboBox;
    m_typeCombo->setObjectName(QStringLiteral("typeCombo"));
    m_typeCombo->addItem(tr("All types"), QString());
    for (const JobTypeInfo &t : JobTypeCatalog::instance().types(true))
        m_typeCombo->addItem(t.name, t.name);
    connect(m_typeCombo, &QComboBox::currentIndexChanged, this, &JobsPage::applyFilter);
    m_pauseButton = new QToolButton;
    m_pauseButton->setObjectName(QStringLiteral("pauseTypeButton"));
    connect(m_typeCombo, &QComboBox::currentIndexChanged, this, &JobsPage::updatePauseControls);
    connect(m_pauseButton, &QToolButton::clicked, this, [this] {
        const QString type = m_typeCombo->currentData().toString();
        const QString target = type.isEmpty() ? kAllJobTypes : type;
        const PausedType *pause = PausedTypeStore::pauseOf(m_model->pausedTypes(), target);
        requestPause(target, !(pause && pause->type == target));
    });

    auto *left = new QWidget;
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    auto *statusLabel = new QLabel(tr("&Status"));
    statusLabel->setBuddy(m_statusList);
    auto *typeLabel = new QLabel(tr("&Type"));
    typeLabel->setBuddy(m_typeCombo);
    leftLayout->addWidget(statusLabel);
    leftLayout->addWidget(m_statusList, 1);
    leftLayout->addWidget(typeLabel);
    auto *typeRow = new QHBoxLayout;
    typeRow->addWidget(m_typeCombo, 1);
    typeRow->addWidget(m_pauseButton);
    leftLayout->addLayout(typeRow);
    updatePauseControls();
    m_chart = new ThroughputChart;
    m_chart->setObjectName(QStringLiteral("throughputChart"));
    auto *chartLabel = new QLabel(tr("Last hour"));
    leftLayout->addSpacing(8);
    leftLayout->addWidget(chartLabel);
    leftLayout->addWidget(m_chart);

    // Centre: search and table.
    m_search = new QLineEdit;
    m_search->setObjectName(QStringLiteral("searchEdit"));
    m_search->setAccessibleName(tr("Search jobs"));
    m_search->setPlaceholderText(tr("Search by ID, type or error text"));
    m_search->setClearButtonEnabled(true);
    connect(m_search, &QLineEdit::textChanged, this, [this] { m_searchDebounce.start(); });

    auto *newButton = new QToolButton;
    newButton->setObjectName(QStringLiteral("newJobButton"));
    newButton->setIcon(icon("action-new"));
    newButton->setText(tr("New Job…"));
    newButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    connect(newButton, &QToolButton::clicked, this, &JobsPage::newJob);
    if (!isAllowed(m_actor.role, Permission::CreateJobs)) {
        newButton->setEnabled(false);
        newButton->setToolTip(permissionRequirement(Permission::CreateJobs));
    }
    auto *refreshButton = new QToolButton;
    refreshButton->setIcon(icon("action-refresh"));
    refreshButton->setToolTip(tr("Refresh now (F5)"));
    refreshButton->setAccessibleName(tr("Refresh"));
    connect(refreshButton, &QToolButton::clicked, this, &JobsPage::refresh);

    m_table = new QTableView;
    m_table->setObjectName(QStringLiteral("jobTable"));
    m_table->setAccessibleName(tr("Jobs"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(JobTableModel::IdColumn, Qt::DescendingOrder);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->setContextMenuPolicy(Qt::CustomContextMenu);
    m_table->setItemDelegateForColumn(JobTableModel::StatusColumn, new StatusDelegate(m_table));
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 8);
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    QHeaderView *header = m_table->horizontalHeader();
    // Interactive sections with sensible widths: ResizeToContents would measure every row on each
    // layout.
    header->setSectionResizeMode(QHeaderView::Interactive);
    header->setStretchLastSection(true);
    setDefaultColumnWidths();
    connect(m_table, &QTableView::customContextMenuRequested, this, [this](const QPoint &pos) {
        const QList<qint64> ids = selectedJobIds();
        if (ids.isEmpty())
            return;
        createContextMenu(ids)->popup(m_table->viewport()->mapToGlobal(pos));
    });
    connect(m_table, &QTableView::doubleClicked, this, [this](const QModelIndex &index) {
        if (const qint64 id = m_model->jobIdAt(index.row()))
            openDetails(id);
    });
    connect(m_table->verticalScrollBar(), &QScrollBar::valueChanged, this, &JobsPage::loadVisibleRows);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &JobsPage::onCurrentChanged);

    // Tab moves to the next widget; the arrows move between rows.
    m_table->setTabKeyNavigation(false);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &JobsPage::updateActions);
    buildActions();

    // The schedule filter ("Show Jobs" on the schedules page): a chip, cleared by its button or Escape.
    m_scheduleChip = new QWidget;
    m_scheduleChip->setObjectName(QStringLiteral("scheduleChip"));
    auto *chipLayout = new QHBoxLayout(m_scheduleChip);
    chipLayout->setContentsMargins(0, 0, 0, 0);
    m_scheduleLabel = new QLabel;
    m_scheduleLabel->setObjectName(QStringLiteral("scheduleFilterLabel"));
    auto *clearSchedule = new QToolButton;
    clearSchedule->setObjectName(QStringLiteral("clearScheduleFilter"));
    clearSchedule->setText(QStringLiteral("✕"));
    clearSchedule->setToolTip(tr("Show the jobs of every schedule (Esc)"));
    clearSchedule->setAccessibleName(tr("Clear schedule filter"));
    clearSchedule->setAutoRaise(true);
    connect(clearSchedule, &QToolButton::clicked, this, &JobsPage::clearScheduleFilter);
    chipLayout->addWidget(m_scheduleLabel);
    chipLayout->addWidget(clearSchedule);
    m_scheduleChip->hide();
    // Escape clears the search first, then the schedule filter. Enabled only while one of them is set,
    // so that Escape is not taken from anything else meanwhile.
    m_clearScheduleShortcut =
        new QShortcut(QKeySequence(Qt::Key_Escape), this, nullptr, nullptr, Qt::WidgetWithChildrenShortcut);
    m_clearScheduleShortcut->setEnabled(false);
    connect(m_clearScheduleShortcut, &QShortcut::activated, this, [this] {
        if (!m_search->text().isEmpty()) {
            m_search->clear();
            applyFilter();
        } else {
            clearScheduleFilter();
        }
    });
    connect(m_search, &QLineEdit::textChanged, this, [this](const QString &text) {
        m_clearScheduleShortcut->setEnabled(!text.isEmpty() || m_scheduleId != 0);
    });

    // Instead of rows when nothing matches: which filters are active and how to clear them.
    m_emptyLabel = new QLabel;
    m_emptyLabel->setObjectName(QStringLiteral("emptyStateLabel"));
    m_emptyLabel->setWordWrap(true);
    m_emptyLabel->setTextFormat(Qt::RichText);
    m_emptyLabel->setTextInteractionFlags(Qt::LinksAccessibleByMouse | Qt::LinksAccessibleByKeyboard);
    m_emptyLabel->setAccessibleName(tr("No matching jobs"));
    m_emptyLabel->hide();
    connect(m_emptyLabel, &QLabel::linkActivated, this, [this](const QString &link) {
        if (link == QLatin1String("clear"))
            clearFilters();
        else if (link == QLatin1String("new"))
            newJob();
    });

    auto *centre = new QWidget;
    auto *centreLayout = new QVBoxLayout(centre);
    centreLayout->setContentsMargins(0, 0, 0, 0);
    auto *bar = new QHBoxLayout;
    bar->addWidget(newButton);
    bar->addWidget(m_scheduleChip);
    bar->addWidget(m_search, 1);
    bar->addWidget(refreshButton);
    centreLayout->addLayout(bar);
    centreLayout->addWidget(m_emptyLabel);
    centreLayout->addWidget(m_table, 1);

    // Right: details of the current job.
    m_details = new JobDetailsView;
    m_details->setObjectName(QStringLiteral("detailsPanel"));

    // The table gets the room: the details pane is hidden while no job is selected, and on a narrow
    // page it sits below the table instead of beside it. Both splitters remember their sizes.
    m_centreSplitter = new QSplitter(Qt::Vertical);
    m_centreSplitter->setObjectName(QStringLiteral("jobsCentreSplitter"));
    m_centreSplitter->addWidget(centre);
    m_centreSplitter->setChildrenCollapsible(false);
    m_splitter = new QSplitter(Qt::Horizontal);
    m_splitter->setObjectName(QStringLiteral("jobsSplitter"));
    m_splitter->addWidget(left);
    m_splitter->addWidget(m_centreSplitter);
    m_splitter->setStretchFactor(0, 0);
    m_splitter->setStretchFactor(1, 1);
    m_splitter->setChildrenCollapsible(false);
    m_details->hide();
    // The left column as narrow as its texts allow: the status list's longest row and the chart's legend.
    left->setMinimumWidth(left->minimumSizeHint().width());
    m_leftWidth = qMax(left->minimumSizeHint().width(), statusColumnWidth());
    placeDetails();
    connect(m_splitter, &QSplitter::splitterMoved, this, &JobsPage::rememberPaneSizes);
    connect(m_centreSplitter, &QSplitter::splitterMoved, this, &JobsPage::rememberPaneSizes);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_splitter);
}

void JobsPage::applyFilter()
{
    const int row = m_statusList->currentIndex().isValid() ? m_statusList->currentIndex().row() : 0;
    m_model->setFilter(m_statusModel->statusesAt(row), m_typeCombo->currentData().toString(),
                       m_search->text().trimmed(), m_scheduleId);
    requestCounts();
    requestThroughput();
}

void JobsPage::setScheduleFilter(qint64 id, const QString &name)
{
    m_scheduleId = qMax<qint64>(0, id);
    //: The jobs page shows only the jobs of this schedule; %1 is its name or "#7".
    m_scheduleLabel->setText(tr("Schedule: %1").arg(name.isEmpty() ? QStringLiteral("#%1").arg(id) : name));
    m_scheduleChip->setVisible(m_scheduleId != 0);
    m_clearScheduleShortcut->setEnabled(m_scheduleId != 0 || !m_search->text().isEmpty());
    applyFilter();
}

void JobsPage::requestThroughput()
{
    // Of the type the filter shows (the chart follows the type filter).
    m_throughput.track(m_service->fetchThroughput(60, m_typeCombo->currentData().toString()))
        .then(this, [this](const Result<Throughput> &t) {
            if (!t)
                return;
            m_chart->setData(t.value());
            emit throughputChanged(t.value());
        });
}

void JobsPage::requestCounts()
{
    const JobFilter &filter = m_model->filter();
    const QString key = filter.type + QLatin1Char('\n') + filter.search + QLatin1Char('\n') +
                        QString::number(filter.scheduleId);
    // The maintained counts cost a read of a few rows: every window. A counted filter: when it changed
    // or after a change notification (SQLite: every window, other processes notify nothing).
    if (key == m_countsKey && !m_countsStale && m_service->config().isPostgres() &&
        !JobStatsStore(m_service->config()).maintainedAnswers(filter))
        return;
    m_countsStale = false;
    const quint64 request = ++m_countsAsked;
    if (key != m_countsKey || m_countsFrom == 0) {
        m_countsKey = key;
        m_countsFrom = request;
    }
    m_counts.track(m_service->fetchCounts(filter))
        .then(this, [this, request](const Result<StatusCounts> &counts) {
            if (!counts || request < m_countsFrom || request <= m_countsShown)
                return; // counted another type or search, or older than what is shown
            m_countsShown = request;
            m_statusModel->setCounts(counts.value());
            updateBulkActions();
            emit countsChanged(counts.value());
        });
}

void JobsPage::loadVisibleRows()
{
    if (m_model->rowCount() == 0)
        return;
    const int first = qMax(0, m_table->rowAt(0));
    int last = m_table->rowAt(m_table->viewport()->height() - 1);
    if (last < 0)
        last = m_model->rowCount() - 1;
    m_model->ensureLoaded(first, last);
}

void JobsPage::captureScrollAnchor()
{
    if (m_anchorJob != 0 || m_table->verticalScrollBar()->value() == 0)
        return; // captured for this update already, or at the top: new jobs show up there
    const int row = m_table->rowAt(0);
    if (const qint64 id = row >= 0 ? m_model->jobIdAt(row) : 0) {
        m_anchorJob = id;
        m_anchorRow = row;
    }
}

void JobsPage::restoreScrollAnchor()
{
    const qint64 id = std::exchange(m_anchorJob, 0);
    if (id == 0)
        return;
    const int row = m_model->rowOfJob(id);
    if (row < 0 || row == m_anchorRow)
        return;
    QScrollBar *bar = m_table->verticalScrollBar();
    const int step = m_table->verticalScrollMode() == QAbstractItemView::ScrollPerItem
                         ? 1
                         : m_table->verticalHeader()->defaultSectionSize();
    bar->setValue(bar->value() + (row - m_anchorRow) * step);
}

void JobsPage::refresh()
{
    m_model->refreshNow();
}

void JobsPage::setRefreshInterval(int ms)
{
    m_model->setRefreshInterval(ms);
}

QList<qint64> JobsPage::selectedJobIds() const
{
    // From the selection's ranges, not selectedRows(): after Select All on a million rows that would
    // build a million indexes. Only loaded rows have ids.
    QList<int> rows;
    for (const QItemSelectionRange &range : m_table->selectionModel()->selection()) {
        if (range.left() != 0)
            continue; // the same rows as the range that starts at the first column
        for (int row = range.top(); row <= range.bottom(); ++row)
            if (m_model->jobAt(row))
                rows << row;
    }
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    QList<qint64> ids;
    for (int row : std::as_const(rows))
        ids << m_model->jobIdAt(row);
    return ids;
}

qint64 JobsPage::selectedRowCount() const
{
    qint64 n = 0;
    for (const QItemSelectionRange &range : m_table->selectionModel()->selection())
        if (range.left() == 0)
            n += range.height();
    return n;
}

bool JobsPage::allRowsSelected() const
{
    return m_model->rowCount() > 0 && selectedRowCount() >= m_model->rowCount();
}

bool JobsPage::everyRowSelected() const
{
    // Only when some rows are not loaded: otherwise the ids of the selection are every job already.
    return allRowsSelected() && m_model->rowCount() > selectedJobIds().size();
}

void JobsPage::selectAllJobs()
{
    m_table->selectAll();
    const qint64 n = m_model->rowCount();
    emit statusMessage(n == 1 ? tr("Selected the 1 job that matches the filter.")
                              : tr("Selected all %1 jobs that match the filter; Cancel, Retry and Delete act "
                                   "on every one of them.")
                                    .arg(QLocale().toString(n)),
                       8000);
}

qint64 JobsPage::countOf(BulkAction action) const
{
    // The counts of the status list (this type, search and schedule) for the statuses the action
    // applies to within the status filter: what JobService::bulkFilter() selects.
    const int statusRow = m_statusList->currentIndex().isValid() ? m_statusList->currentIndex().row() : 0;
    JobFilter f;
    f.statuses = m_statusModel->statusesAt(statusRow);
    qint64 n = 0;
    for (JobStatus st : JobService::bulkFilter(action, f).statuses)
        n += m_statusModel->countAt(1 + int(st));
    return n;
}

void JobsPage::updateBulkActions()
{
    if (!m_retryAllAction)
        return;
    const QLocale locale;
    const QString type = m_model->filter().type;
    const qint64 failed = countOf(BulkAction::Retry);
    const qint64 queued = countOf(BulkAction::Cancel);
    const qint64 finished = countOf(BulkAction::Delete);
    //: a bulk action of the Job menu; %1 the number of jobs it acts on
    m_retryAllAction->setText(type.isEmpty()
                                  ? tr("Retry All Failed (%1)…").arg(locale.toString(failed))
                                  //: %1 a job type, %2 the number of jobs
                                  : tr("Retry All Failed %1 (%2)…").arg(type, locale.toString(failed)));
    m_retryAllAction->setEnabled(failed > 0);
    m_cancelAllAction->setText(type.isEmpty()
                                   ? tr("Cancel All Queued (%1)…").arg(locale.toString(queued))
                                   : tr("Cancel All Queued %1 (%2)…").arg(type, locale.toString(queued)));
    m_cancelAllAction->setEnabled(queued > 0);
    m_deleteOldAction->setEnabled(finished > 0);
    const QString scope = tr("every job that matches the filter, not only the loaded rows");
    m_retryAllAction->setToolTip(scope);
    m_cancelAllAction->setToolTip(scope);
    m_deleteOldAction->setToolTip(scope);
    // The role first: an action it may not take is disabled with the role it needs.
    const auto gate = [this](QAction *a, Permission needs) {
        if (!isAllowed(m_actor.role, needs)) {
            a->setEnabled(false);
            a->setToolTip(permissionRequirement(needs));
        }
    };
    gate(m_retryAllAction, Permission::RetryJobs);
    gate(m_cancelAllAction, Permission::CancelJobs);
    gate(m_deleteOldAction, Permission::DeleteJobs);
}

void JobsPage::requestBulk(BulkAction action, bool everySelected)
{
    const JobFilter filter = m_model->filter();
    if (action == BulkAction::Delete && !everySelected) {
        askDeleteOlderThan();
        return;
    }
    const qint64 n = countOf(action);
    if (n <= 0) {
        emit statusMessage(tr("No job that matches the filter can take this action."), 5000);
        return;
    }
    const QString count = QLocale().toString(n);
    const QString what = filter.type.isEmpty() ? QString() : QStringLiteral(" ") + filter.type;
    if (action == BulkAction::Delete)
        confirm(
            n == 1 ? tr("Delete the 1 finished%1 job that matches the filter and its attempt history? This "
                        "cannot be undone.")
                         .arg(what)
                   : tr("Delete all %1 finished%2 jobs that match the filter and their attempt history? This "
                        "cannot be undone.")
                         .arg(count, what),
            n == 1 ? tr("Delete Job") : tr("Delete Jobs"), n == 1 ? tr("Keep Job") : tr("Keep Jobs"),
            [this, filter] { startBulk(BulkAction::Delete, filter, 0); });
    else if (action == BulkAction::Retry)
        confirm(n == 1 ? tr("Retry the 1 failed%1 job that matches the filter now?").arg(what)
                       : tr("Retry all %1 failed%2 jobs that match the filter now?").arg(count, what),
                n == 1 ? tr("Retry Job") : tr("Retry Jobs"), n == 1 ? tr("Keep Job") : tr("Keep Jobs"),
                [this, filter] { startBulk(BulkAction::Retry, filter, 0); });
    else
        confirm(n == 1 ? tr("Cancel the 1 queued%1 job that matches the filter?").arg(what)
                       : tr("Cancel all %1 queued%2 jobs that match the filter?").arg(count, what),
                n == 1 ? tr("Cancel Job") : tr("Cancel Jobs"), n == 1 ? tr("Keep Job") : tr("Keep Jobs"),
                [this, filter] { startBulk(BulkAction::Cancel, filter, 0); });
}

void JobsPage::askDeleteOlderThan()
{
    auto *dialog = new QDialog(this);
    dialog->setObjectName(QStringLiteral("deleteOlderDialog"));
    dialog->setWindowTitle(tr("Delete Finished Jobs"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    auto *days = new QSpinBox;
    days->setObjectName(QStringLiteral("olderThanDays"));
    days->setRange(0, 3650);
    days->setValue(30);
    //: "Delete finished jobs older than [30] days"
    days->setSuffix(tr(" days"));
    days->setAccessibleName(tr("Older than"));
    auto *preview = new QLabel(tr("Counting…"));
    preview->setObjectName(QStringLiteral("deletePreview"));
    preview->setWordWrap(true);
    auto *buttons = new QDialogButtonBox;
    QPushButton *ok = buttons->addButton(tr("Delete Jobs"), QDialogButtonBox::AcceptRole);
    ok->setObjectName(QStringLiteral("confirmButton"));
    ok->setEnabled(false);
    buttons->addButton(tr("Keep Jobs"), QDialogButtonBox::RejectRole)
        ->setObjectName(QStringLiteral("keepButton"));
    auto *form = new QFormLayout;
    form->addRow(tr("Finished more than"), days);
    auto *layout = new QVBoxLayout(dialog);
    layout->addLayout(form);
    layout->addWidget(preview);
    layout->addWidget(buttons);
    const JobFilter filter = m_model->filter();
    auto cutoff = std::make_shared<qint64>(0);
    // Only the newest count is shown (the age changes as the admin types).
    auto latest = std::make_shared<Latest<Result<qint64>>>();
    const auto ask = [this, dialog, days, cutoff, latest, filter, preview, ok] {
        *cutoff = QDateTime::currentDateTime().addDays(-days->value()).toMSecsSinceEpoch();
        preview->setText(tr("Counting…"));
        ok->setEnabled(false);
        latest->track(m_service->previewBulk(BulkAction::Delete, filter, *cutoff, m_actor))
            .then(dialog, [preview, ok, cutoff](const Result<qint64> &n) {
                if (!n) {
                    preview->setText(n.error().message);
                    return;
                }
                const qint64 count = n.value();
                const QString when =
                    QLocale().toString(QDateTime::fromMSecsSinceEpoch(*cutoff), QLocale::ShortFormat);
                preview->setText(
                    count == 1 ? tr("1 finished job that matches the filter finished before %1. Deleting "
                                    "it removes its attempt history; this cannot be undone.")
                                     .arg(when)
                               : tr("%1 finished jobs that match the filter finished before %2. Deleting "
                                    "them removes their attempt history; this cannot be undone.")
                                     .arg(QLocale().toString(count), when));
                ok->setEnabled(count > 0);
                ok->setText(count == 1 ? tr("Delete Job") : tr("Delete Jobs"));
            });
    };
    connect(days, &QSpinBox::valueChanged, dialog, ask);
    connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    connect(buttons, &QDialogButtonBox::accepted, dialog, [this, dialog, filter, cutoff] {
        startBulk(BulkAction::Delete, filter, *cutoff);
        dialog->accept();
    });
    ask();
    dialog->open();
}

void JobsPage::startBulk(BulkAction action, const JobFilter &filter, qint64 finishedBefore)
{
    const StopFlag stop = makeStopFlag();
    QFuture<Result<BulkResult>> bulk = m_service->runBulk(action, filter, finishedBefore, m_actor, stop);
    auto *progress = new QProgressDialog(this);
    progress->setObjectName(QStringLiteral("bulkProgress"));
    progress->setAttribute(Qt::WA_DeleteOnClose);
    progress->setWindowTitle(action == BulkAction::Retry    ? tr("Retrying Jobs")
                             : action == BulkAction::Cancel ? tr("Cancelling Jobs")
                                                            : tr("Deleting Jobs"));
    progress->setLabelText(tr("Counting the jobs…"));
    progress->setCancelButtonText(tr("Stop"));
    progress->setAutoClose(false);
    progress->setAutoReset(false);
    progress->setMinimumDuration(300);
    progress->setRange(0, 0);
    // "Stop" ends the action after its current batch; what is done stays done.
    connect(progress, &QProgressDialog::canceled, this, [stop] { stop->store(true); });
    auto *watcher = new QFutureWatcher<Result<BulkResult>>(progress);
    connect(watcher, &QFutureWatcherBase::progressValueChanged, progress, [progress, watcher](int value) {
        const qint64 done = value;
        const qint64 total = watcher->progressMaximum();
        // Per mille: a million jobs do not fit QProgressBar's int steps everywhere.
        progress->setRange(0, 1000);
        progress->setValue(total > 0 ? int(done * 1000 / total) : 1000);
        progress->setLabelText(tr("%1 of %2 jobs…").arg(QLocale().toString(done), QLocale().toString(total)));
    });
    watcher->setFuture(bulk);
    bulk.then(this,
              [this, action, progress = QPointer<QProgressDialog>(progress)](const Result<BulkResult> &r) {
                  if (progress)
                      progress->close();
                  if (!r) {
                      m_lastBulkResult = r.error().message;
                      emit statusMessage(m_lastBulkResult, 15'000);
                      refresh();
                      return;
                  }
                  onBulkFinished(action, r.value());
              });
}

void JobsPage::onBulkFinished(BulkAction action, const BulkResult &result)
{
    const QLocale locale;
    QString line;
    switch (action) {
    case BulkAction::Retry:
        line = result.changed == 1 ? tr("Retried 1 job.")
                                   : tr("Retried %1 jobs.").arg(locale.toString(result.changed));
        break;
    case BulkAction::Cancel:
        line = result.changed == 1 ? tr("Cancelled 1 job.")
                                   : tr("Cancelled %1 jobs.").arg(locale.toString(result.changed));
        break;
    case BulkAction::Delete:
        line = result.changed == 1 ? tr("Deleted 1 job.")
                                   : tr("Deleted %1 jobs.").arg(locale.toString(result.changed));
        break;
    }
    if (result.refused > 0)
        //: %1 how many, %2 why the first of them could not be changed
        line += QLatin1Char(' ') + tr("%1 had changed meanwhile and were left alone (%2).")
                                       .arg(locale.toString(result.refused), result.firstRefusal);
    if (result.stopped)
        line += QLatin1Char(' ') + tr("Stopped before the end.");
    m_lastBulkResult = line;
    emit statusMessage(line, 15'000);
    refresh();
}

bool JobsPage::isLoaded(qint64 id) const
{
    return m_model->rowOfJob(id) >= 0;
}

QList<const Job *> JobsPage::loadedJobs(const QList<qint64> &ids) const
{
    QList<const Job *> jobs;
    for (qint64 id : ids)
        if (const Job *job = m_model->jobAt(m_model->rowOfJob(id)))
            jobs << job;
    return jobs;
}

QList<qint64> JobsPage::targetsOf(JobAction action, const QList<const Job *> &jobs, QString *why) const
{
    // The role first: an action it may not take is disabled with the role it needs.
    if (const Permission needs = permissionFor(action); !isAllowed(m_actor.role, needs)) {
        if (why)
            *why = permissionRequirement(needs);
        return {};
    }
    QList<qint64> out;
    QString reason;
    for (const Job *job : jobs) {
        const QString w = JobRules::whyNot(action, job->status, job->cancelRequested);
        if (w.isEmpty())
            out << job->id;
        else if (reason.isEmpty())
            reason = w;
    }
    if (why) {
        if (jobs.isEmpty())
            *why = tr("Select one or more jobs first.");
        else if (out.isEmpty())
            *why = jobs.size() == 1 ? tr("Not possible: %1.").arg(reason)
                                    : tr("Not possible for any selected job: %1.").arg(reason);
        else
            why->clear();
    }
    return out;
}

void JobsPage::buildActions()
{
    // Shortcuts of the job actions work while the table has focus: Delete in the search box deletes
    // text, not jobs. The same actions fill the window's Job menu, which shows their keys.
    const auto make = [this](const char *iconName, const QString &text, const QString &name,
                             const QList<QKeySequence> &keys) {
        auto *a = new QAction(icon(iconName), text, this);
        a->setObjectName(name);
        a->setShortcuts(keys);
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        m_table->addAction(a);
        return a;
    };
    m_newAction = new QAction(icon("action-new"), tr("&New Job…"), this);
    m_newAction->setObjectName(QStringLiteral("newJobAction"));
    m_newAction->setShortcut(QKeySequence::New);
    m_newAction->setShortcutContext(Qt::WindowShortcut);
    connect(m_newAction, &QAction::triggered, this, &JobsPage::newJob);
    addAction(m_newAction);
    if (!isAllowed(m_actor.role, Permission::CreateJobs)) {
        m_newAction->setEnabled(false);
        m_newAction->setToolTip(permissionRequirement(Permission::CreateJobs));
    }

    m_detailsAction = make("action-details", tr("Show &Details"), QStringLiteral("detailsAction"),
                           {QKeySequence(Qt::Key_Return), QKeySequence(Qt::Key_Enter)});
    connect(m_detailsAction, &QAction::triggered, this, [this] {
        const QList<qint64> ids = selectedJobIds();
        if (ids.size() == 1)
            openDetails(ids.first());
    });
    //: keyboard shortcut of "Cancel" in the Job menu; K as in "kill"
    m_cancelAction = make("action-cancel", tr("&Cancel"), QStringLiteral("cancelAction"),
                          {QKeySequence(Qt::CTRL | Qt::Key_K)});
    connect(m_cancelAction, &QAction::triggered, this, [this] {
        // After Select All: every job the filter selects, loaded or not (a bulk action).
        if (everyRowSelected())
            return requestBulk(BulkAction::Cancel, true);
        requestCancel(targetsOf(JobAction::Cancel, loadedJobs(selectedJobIds()), nullptr));
    });
    m_retryAction = make("action-retry", tr("&Retry Now"), QStringLiteral("retryAction"),
                         {QKeySequence(Qt::CTRL | Qt::Key_R)});
    connect(m_retryAction, &QAction::triggered, this, [this] {
        // After Select All: every job the filter selects, loaded or not (a bulk action).
        if (everyRowSelected())
            return requestBulk(BulkAction::Retry, true);
        requestRetry(targetsOf(JobAction::RetryNow, loadedJobs(selectedJobIds()), nullptr));
    });
    m_duplicateAction = make("action-duplicate", tr("D&uplicate as New Job…"),
                             QStringLiteral("duplicateAction"), {QKeySequence(Qt::CTRL | Qt::Key_D)});
    connect(m_duplicateAction, &QAction::triggered, this,
            [this] { duplicate(targetsOf(JobAction::Duplicate, loadedJobs(selectedJobIds()), nullptr)); });
    m_copyIdAction =
        make("action-copy", tr("Copy &ID"), QStringLiteral("copyIdAction"), {QKeySequence::Copy});
    connect(m_copyIdAction, &QAction::triggered, this, [this] {
        QStringList text;
        for (qint64 id : selectedJobIds())
            text << Job::publicId(id);
        if (!text.isEmpty())
            copyToClipboard(text.join(QLatin1Char('\n')), tr("ID"));
    });
    m_copyPayloadAction = make("action-copy", tr("Copy &Payload"), QStringLiteral("copyPayloadAction"),
                               {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C)});
    connect(m_copyPayloadAction, &QAction::triggered, this, [this] {
        const QList<const Job *> jobs = loadedJobs(selectedJobIds());
        if (jobs.size() == 1)
            copyToClipboard(
                QString::fromUtf8(QJsonDocument(jobs.first()->payload).toJson(QJsonDocument::Indented)),
                tr("payload"));
    });
    m_deleteAction =
        make("action-delete", tr("De&lete"), QStringLiteral("deleteAction"), {QKeySequence::Delete});
    connect(m_deleteAction, &QAction::triggered, this, [this] {
        // After Select All: every job the filter selects, loaded or not (a bulk action).
        if (everyRowSelected())
            return requestBulk(BulkAction::Delete, true);
        requestDelete(targetsOf(JobAction::Delete, loadedJobs(selectedJobIds()), nullptr));
    });
    m_selectAllAction = make("action-details", tr("Select &All"), QStringLiteral("selectAllAction"),
                             {QKeySequence::SelectAll});
    m_selectAllAction->setIcon({});
    connect(m_selectAllAction, &QAction::triggered, this, &JobsPage::selectAllJobs);
    // On everything that matches the filter, not only the loaded rows.
    m_retryAllAction = new QAction(icon("action-retry"), tr("Retry All Failed…"), this);
    m_retryAllAction->setObjectName(QStringLiteral("retryAllAction"));
    connect(m_retryAllAction, &QAction::triggered, this, [this] { requestBulk(BulkAction::Retry); });
    m_cancelAllAction = new QAction(icon("action-cancel"), tr("Cancel All Queued…"), this);
    m_cancelAllAction->setObjectName(QStringLiteral("cancelAllAction"));
    connect(m_cancelAllAction, &QAction::triggered, this, [this] { requestBulk(BulkAction::Cancel); });
    m_deleteOldAction = new QAction(icon("action-delete"), tr("Delete Finished Older Than…"), this);
    m_deleteOldAction->setObjectName(QStringLiteral("deleteOlderAction"));
    connect(m_deleteOldAction, &QAction::triggered, this, [this] { requestBulk(BulkAction::Delete); });
    m_jobActions = {
        m_newAction,       nullptr,        m_detailsAction, m_cancelAction,      m_retryAction,
        m_duplicateAction, nullptr,        m_copyIdAction,  m_copyPayloadAction, m_selectAllAction,
        nullptr,           m_deleteAction, nullptr,         m_retryAllAction,    m_cancelAllAction,
        m_deleteOldAction};
    updateBulkActions();
    updateActions();
}

void JobsPage::updateActions()
{
    if (!m_deleteAction)
        return;
    const QList<qint64> ids = selectedJobIds();
    const QList<const Job *> jobs = loadedJobs(ids);
    const int n = int(ids.size());
    const auto set = [&](QAction *a, JobAction rule) {
        QString why;
        const bool enabled = !targetsOf(rule, jobs, &why).isEmpty();
        a->setEnabled(enabled);
        a->setToolTip(enabled ? QString() : why);
        a->setStatusTip(enabled ? QString() : why);
    };
    set(m_cancelAction, JobAction::Cancel);
    set(m_retryAction, JobAction::RetryNow);
    set(m_duplicateAction, JobAction::Duplicate);
    set(m_deleteAction, JobAction::Delete);
    m_detailsAction->setEnabled(n == 1);
    m_detailsAction->setToolTip(n == 1 ? QString() : tr("Select a single job to see its details."));
    m_copyIdAction->setEnabled(n > 0);
    m_copyPayloadAction->setEnabled(jobs.size() == 1);
    m_copyPayloadAction->setToolTip(jobs.size() == 1 ? QString()
                                                     : tr("Select a single job to copy its payload."));
}

QMenu *JobsPage::createContextMenu(const QList<qint64> &ids)
{
    auto *menu = new QMenu(this);
    menu->setObjectName(QStringLiteral("jobContextMenu"));
    menu->setAttribute(Qt::WA_DeleteOnClose);
    menu->setToolTipsVisible(true);

    // The statuses of the chosen jobs decide which actions apply (the rules of the Job menu's actions);
    // the actions act on ids, not rows. Each shows the key of its Job menu twin.
    const QList<const Job *> jobs = loadedJobs(ids);
    const int n = int(ids.size());
    const auto keyOf = [](QAction *twin, QAction *a) {
        // Shown, and active only while this menu has focus (no clash with the table's shortcuts).
        a->setShortcuts(twin->shortcuts());
        a->setShortcutContext(Qt::WidgetShortcut);
    };
    const auto add = [&](const char *iconName, const QString &text, JobAction rule, auto slot,
                         QAction *twin) {
        QAction *a = menu->addAction(icon(iconName), text);
        QString why;
        const QList<qint64> targets = targetsOf(rule, jobs, &why);
        a->setEnabled(!targets.isEmpty());
        if (targets.isEmpty())
            a->setToolTip(why);
        keyOf(twin, a);
        connect(a, &QAction::triggered, this, [this, slot, targets] { (this->*slot)(targets); });
        return a;
    };

    QAction *cancel = add("action-cancel", n == 1 ? tr("&Cancel") : tr("&Cancel %n Jobs", nullptr, n),
                          JobAction::Cancel, &JobsPage::requestCancel, m_cancelAction);
    cancel->setObjectName(QStringLiteral("cancelAction"));
    QAction *retry = add("action-retry", n == 1 ? tr("&Retry Now") : tr("&Retry %n Jobs Now", nullptr, n),
                         JobAction::RetryNow, &JobsPage::requestRetry, m_retryAction);
    retry->setObjectName(QStringLiteral("retryAction"));
    QAction *dup =
        add("action-duplicate", n == 1 ? tr("D&uplicate as New Job…") : tr("D&uplicate %n Jobs", nullptr, n),
            JobAction::Duplicate, &JobsPage::duplicate, m_duplicateAction);
    dup->setObjectName(QStringLiteral("duplicateAction"));
    menu->addSeparator();

    QAction *details = menu->addAction(icon("action-details"), tr("Show &Details"));
    details->setObjectName(QStringLiteral("detailsAction"));
    details->setEnabled(n == 1);
    keyOf(m_detailsAction, details);
    if (n != 1)
        details->setToolTip(tr("Select a single job to see its details."));
    const qint64 first = ids.value(0);
    connect(details, &QAction::triggered, this, [this, first] { openDetails(first); });

    QAction *copyId =
        menu->addAction(icon("action-copy"), n == 1 ? tr("Copy &ID") : tr("Copy %n &IDs", nullptr, n));
    copyId->setObjectName(QStringLiteral("copyIdAction"));
    keyOf(m_copyIdAction, copyId);
    connect(copyId, &QAction::triggered, this, [this, ids] {
        QStringList text;
        for (qint64 id : ids)
            text << Job::publicId(id);
        copyToClipboard(text.join(QLatin1Char('\n')), tr("ID"));
    });
    QAction *copyPayload = menu->addAction(icon("action-copy"), tr("Copy &Payload"));
    copyPayload->setObjectName(QStringLiteral("copyPayloadAction"));
    keyOf(m_copyPayloadAction, copyPayload);
    copyPayload->setEnabled(jobs.size() == 1);
    if (jobs.size() != 1)
        copyPayload->setToolTip(tr("Select a single job to copy its payload."));
    if (jobs.size() == 1) {
        const QString payload =
            QString::fromUtf8(QJsonDocument(jobs.first()->payload).toJson(QJsonDocument::Indented));
        connect(copyPayload, &QAction::triggered, this,
                [this, payload] { copyToClipboard(payload, tr("payload")); });
    }
    addPauseActions(menu, jobs);
    menu->addSeparator();
    QAction *del = add("action-delete", n == 1 ? tr("De&lete") : tr("De&lete %n Jobs", nullptr, n),
                       JobAction::Delete, &JobsPage::requestDelete, m_deleteAction);
    del->setObjectName(QStringLiteral("deleteAction"));
    return menu;
}

void JobsPage::confirm(const QString &text, const QString &okText, const QString &keepText,
                       std::function<void()> onAccept)
{
    auto *box = new QMessageBox(QMessageBox::Question, tr("Confirm"), text, QMessageBox::NoButton, this);
    box->setObjectName(QStringLiteral("confirmBox"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    QPushButton *ok = box->addButton(okText, QMessageBox::AcceptRole);
    ok->setObjectName(QStringLiteral("confirmButton"));
    QPushButton *keep = box->addButton(keepText, QMessageBox::RejectRole);
    keep->setObjectName(QStringLiteral("keepButton"));
    box->setDefaultButton(ok);
    box->setEscapeButton(keep);
    connect(box, &QMessageBox::accepted, this, [onAccept = std::move(onAccept)] { onAccept(); });
    box->open();
}

void JobsPage::requestCancel(const QList<qint64> &ids)
{
    if (ids.isEmpty())
        return;
    const int n = int(ids.size());
    const QString text =
        n == 1 ? tr("Cancel %1? A queued job stops at once; a running job is asked to stop.")
                     .arg(Job::publicId(ids.first()))
               : tr("Cancel %n jobs? Queued jobs stop at once; running jobs are asked to stop.", nullptr, n);
    confirm(text, n == 1 ? tr("Cancel Job") : tr("Cancel Jobs"), n == 1 ? tr("Keep Job") : tr("Keep Jobs"),
            [this, ids] { runAction(m_service->cancel(ids, m_actor), tr("Cancel")); });
}

void JobsPage::requestRetry(const QList<qint64> &ids)
{
    // Retrying adds work that a cancel can take back: it is not asked, for one job as for many.
    if (ids.isEmpty())
        return;
    runAction(m_service->retryNow(ids, m_actor), tr("Retry"));
}

void JobsPage::requestDelete(const QList<qint64> &ids)
{
    if (ids.isEmpty())
        return;
    // Deleting loses the job's history: asked once, with the count.
    const int n = int(ids.size());
    const QString text =
        n == 1
            ? tr("Delete %1 and its attempt history? This cannot be undone.").arg(Job::publicId(ids.first()))
            : tr("Delete %n finished jobs and their attempt history? This cannot be undone.", nullptr, n);
    confirm(text, n == 1 ? tr("Delete Job") : tr("Delete Jobs"), n == 1 ? tr("Keep Job") : tr("Keep Jobs"),
            [this, ids] { runAction(m_service->deleteFinished(ids, m_actor), tr("Delete")); });
}

void JobsPage::duplicate(const QList<qint64> &ids)
{
    if (ids.size() == 1) {
        if (const Job *job = m_model->jobAt(m_model->rowOfJob(ids.first()))) {
            auto *dialog = new NewJobDialog(m_service, m_actor, this);
            dialog->setAttribute(Qt::WA_DeleteOnClose);
            dialog->prefill(NewJob{job->type, job->priority, job->payload, job->maxRetries, std::nullopt});
            connect(dialog, &NewJobDialog::jobCreated, this, [this](qint64 id) {
                emit statusMessage(tr("Created %1.").arg(Job::publicId(id)), 5000);
                m_selectAfterRefresh = id;
                refresh();
                m_table->scrollToTop();
            });
            dialog->open();
            return;
        }
    }
    // Copies add work that a cancel can take back: not asked (see requestRetry).
    if (!ids.isEmpty())
        runAction(m_service->duplicate(ids, m_actor), tr("Duplicate"));
}

void JobsPage::requestPause(const QString &type, bool pause)
{
    const auto run = [this, type, pause] {
        m_service->setPaused(type, pause, m_actor).then(this, [this](const Result<PauseChange> &change) {
            if (!change) {
                showActionFailed(change.error().message);
                return;
            }
            const PauseChange &c = change.value();
            const QString what = c.type == kAllJobTypes ? tr("Every job type") : c.type;
            if (!c.changed)
                emit statusMessage(c.paused ? tr("%1 was paused already.").arg(what)
                                            : tr("%1 was not paused.").arg(what),
                                   5000);
            else
                emit statusMessage(c.paused
                                       ? tr("%1 paused: queued jobs wait, running ones finish.").arg(what)
                                       : tr("%1 resumed.").arg(what),
                                   5000);
            refresh();
        });
    };
    if (type == kAllJobTypes && pause)
        confirm(tr("Pause every job type? Queued and new jobs wait until you resume; running jobs finish."),
                tr("Pause All Types"), tr("Keep Running"), run);
    else
        run();
}

void JobsPage::updatePauseControls()
{
    const QList<PausedType> &paused = m_model->pausedTypes();
    // The type filter marks paused types; its data stays the bare type name.
    for (int i = 1; i < m_typeCombo->count(); ++i) {
        const QString type = m_typeCombo->itemData(i).toString();
        const PausedType *pause = PausedTypeStore::pauseOf(paused, type);
        //: a job type in the type filter whose jobs are paused
        m_typeCombo->setItemText(i, pause ? tr("%1 (paused)").arg(type) : type);
        m_typeCombo->setItemData(i, pause ? JobTableModel::pausedText(*pause) : QString(), Qt::ToolTipRole);
    }
    const PausedType *all = PausedTypeStore::pauseOf(paused, kAllJobTypes);
    m_typeCombo->setItemText(0, all ? tr("All types (paused)") : tr("All types"));
    const QString type = m_typeCombo->currentData().toString();
    const QString target = type.isEmpty() ? kAllJobTypes : type;
    const PausedType *pause = PausedTypeStore::pauseOf(paused, target);
    const bool resumes = pause && pause->type == target;
    m_pauseButton->setIcon(icon(resumes ? "action-resume" : "action-pause"));
    if (type.isEmpty()) {
        m_pauseButton->setText(resumes ? tr("Resume All") : tr("Pause All"));
        m_pauseButton->setToolTip(resumes
                                      ? JobTableModel::pausedText(*pause)
                                      : tr("Pause every job type: queued jobs wait, running ones finish"));
    } else {
        m_pauseButton->setText(resumes ? tr("Resume") : tr("Pause"));
        m_pauseButton->setToolTip(resumes
                                      ? JobTableModel::pausedText(*pause)
                                      : tr("Pause %1: its queued jobs wait, running ones finish").arg(type));
    }
    // Resuming one type while every type is paused changes nothing: say so rather than offer it.
    m_pauseButton->setEnabled(!(pause && pause->isAll() && !resumes));
    if (!m_pauseButton->isEnabled())
        m_pauseButton->setToolTip(JobTableModel::pausedText(*pause));
    m_pauseButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    if (!isAllowed(m_actor.role, Permission::PauseJobTypes)) {
        m_pauseButton->setEnabled(false);
        m_pauseButton->setToolTip(permissionRequirement(Permission::PauseJobTypes));
    }
}

void JobsPage::addPauseActions(QMenu *menu, const QList<const Job *> &jobs)
{
    QStringList types;
    for (const Job *job : jobs)
        if (!types.contains(job->type))
            types << job->type;
    std::sort(types.begin(), types.end());
    if (types.isEmpty())
        return;
    menu->addSeparator();
    const QList<PausedType> &paused = m_model->pausedTypes();
    for (const QString &type : std::as_const(types).mid(0, 5)) {
        const PausedType *pause = PausedTypeStore::pauseOf(paused, type);
        const bool resumes = pause && pause->type == type;
        QAction *a =
            menu->addAction(icon(resumes ? "action-resume" : "action-pause"),
                            resumes ? tr("Resume Type “%1”").arg(type) : tr("Pause Type “%1”").arg(type));
        a->setObjectName(resumes ? QStringLiteral("resumeTypeAction") : QStringLiteral("pauseTypeAction"));
        a->setData(type);
        if (pause)
            a->setToolTip(JobTableModel::pausedText(*pause));
        else
            a->setToolTip(tr("Queued %1 jobs wait until resumed; running ones finish.").arg(type));
        if (pause && pause->isAll()) {
            a->setEnabled(false); // every type is paused: only "Resume All" helps
        }
        if (!isAllowed(m_actor.role, Permission::PauseJobTypes)) {
            a->setEnabled(false);
            a->setToolTip(permissionRequirement(Permission::PauseJobTypes));
        }
        connect(a, &QAction::triggered, this, [this, type, resumes] { requestPause(type, !resumes); });
    }
}

void JobsPage::runAction(QFuture<JobActions> action, const QString &what)
{
    action.then(this,
                [this, what](const JobActions &done) { onActionFinished(what, done.results, done.created); });
}

void JobsPage::showActionFailed(const QString &message)
{
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Action failed"), message, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void JobsPage::onActionFinished(const QString &what, const QList<JobActionResult> &results,
                                const QList<qint64> &created)
{
    QStringList failures;
    int ok = 0;
    for (const JobActionResult &r : results) {
        if (r.ok)
            ++ok;
        else
            failures << r.message;
    }
    if (!created.isEmpty())
        emit statusMessage(tr("Created %n job(s).", nullptr, int(created.size())), 5000);
    else
        emit statusMessage(tr("%1: done for %n job(s).", nullptr, ok).arg(what), 5000);
    if (!failures.isEmpty()) {
        auto *box = new QMessageBox(QMessageBox::Warning, tr("%1 not possible").arg(what),
                                    tr("%n job(s) could not be changed:", nullptr, int(failures.size())),
                                    QMessageBox::Ok, this);
        box->setObjectName(QStringLiteral("actionFailures"));
        box->setInformativeText(failures.mid(0, 10).join(QLatin1Char('\n')));
        if (failures.size() > 10)
            box->setDetailedText(failures.join(QLatin1Char('\n')));
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    }
    refresh();
}

void JobsPage::copyToClipboard(const QString &text, const QString &what)
{
    QGuiApplication::clipboard()->setText(text);
    emit statusMessage(tr("Copied the %1 to the clipboard.").arg(what), 3000);
}

void JobsPage::newJob()
{
    auto *dialog = new NewJobDialog(m_service, m_actor, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &NewJobDialog::jobCreated, this, [this](qint64 id) {
        emit statusMessage(tr("Created %1.").arg(Job::publicId(id)), 5000);
        // Selected and shown once the table has it (selectCreatedJob()).
        m_selectAfterRefresh = id;
        refresh();
        m_table->scrollToTop();
    });
    dialog->open();
}

void JobsPage::openDetails(qint64 id)
{
    auto *dialog = new JobDetailsDialog(m_service, id, this);
    dialog->setActor(m_actor);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
}

void JobsPage::selectCreatedJob()
{
    const qint64 id = std::exchange(m_selectAfterRefresh, 0);
    if (id == 0)
        return;
    const int row = m_model->rowOfJob(id);
    if (row < 0) {
        //: %1 is a job id such as job_12
        emit statusMessage(tr("Created %1. The current filters hide it.").arg(Job::publicId(id)), 8000);
        return;
    }
    m_table->selectionModel()->setCurrentIndex(m_model->index(row, 0), QItemSelectionModel::ClearAndSelect |
                                                                           QItemSelectionModel::Rows);
    m_table->scrollTo(m_model->index(row, 0));
}

void JobsPage::clearFilters()
{
    {
        const QSignalBlocker a(m_statusList->selectionModel());
        const QSignalBlocker b(m_typeCombo);
        const QSignalBlocker c(m_search);
        m_statusList->setCurrentIndex(m_statusModel->index(0));
        m_typeCombo->setCurrentIndex(0);
        m_search->clear();
    }
    updatePauseControls();
    m_scheduleId = 0;
    setScheduleFilter(0); // applies the filter
}

void JobsPage::updateEmptyState()
{
    if (m_model->rowCount() > 0 || m_model->isLoading()) {
        m_emptyLabel->hide();
        return;
    }
    QStringList active;
    const int statusRow = m_statusList->currentIndex().isValid() ? m_statusList->currentIndex().row() : 0;
    const QList<JobStatus> statuses = m_statusModel->statusesAt(statusRow);
    if (!statuses.isEmpty()) {
        QStringList names;
        for (JobStatus st : statuses)
            names << displayName(st);
        //: an active filter in "No jobs match …"
        active << tr("status “%1”").arg(names.join(QStringLiteral(", ")));
    }
    if (!m_model->filter().type.isEmpty())
        active << tr("type “%1”").arg(m_model->filter().type.toHtmlEscaped());
    if (!m_model->filter().search.isEmpty())
        active << tr("search “%1”").arg(m_model->filter().search.toHtmlEscaped());
    if (m_scheduleId != 0)
        active << m_scheduleLabel->text().toHtmlEscaped();
    if (active.isEmpty()) {
        m_emptyLabel->setText(tr("No jobs yet. <a href=\"new\">Create one</a> (Ctrl+N)."));
    } else {
        //: %1 lists the active filters, e.g. status “Failed”, type “email_send”
        m_emptyLabel->setText(tr("No jobs match %1. <a href=\"clear\">Clear all filters</a> "
                                 "(Esc clears the search).")
                                  .arg(QLocale().createSeparatedList(active)));
    }
    m_emptyLabel->setAccessibleDescription(
        m_emptyLabel->text().remove(QRegularExpression(QStringLiteral("<[^>]*>"))));
    m_emptyLabel->show();
}

void JobsPage::onCurrentChanged()
{
    const QModelIndex current = m_table->currentIndex();
    const Job *job = current.isValid() ? m_model->jobAt(current.row()) : nullptr;
    if (!job) {
        if (!current.isValid()) {
            m_details->clear();
            m_detailsUpdatedAt = -1;
            setDetailsShown(false);
        }
        return;
    }
    setDetailsShown(true);
    // Reload the details only when the job changed (the table row carries its updated_at).
    if (job->id == m_details->jobId() && job->updatedAt == m_detailsUpdatedAt)
        return;
    m_detailsUpdatedAt = job->updatedAt;
    m_detailsJob.track(m_service->fetchJob(job->id)).then(this, [this](const Result<Job> &loaded) {
        if (!loaded) {
            m_details->clear();
            return;
        }
        const Job &job = loaded.value();
        m_details->setJob(job);
        m_detailsUpdatedAt = job.updatedAt;
        const qint64 jobId = job.id;
        m_deliveries.track(m_service->fetchDeliveries(jobId))
            .then(this, [this, jobId](const Result<QList<DeliveryRecord>> &deliveries) {
                if (deliveries)
                    m_details->setDeliveries(jobId, deliveries.value());
                else
                    m_details->setDeliveriesError(m_details->jobId(), deliveries.error().message);
            });
    });
}

void JobsPage::saveState(QSettings &settings) const
{
    settings.setValue(QStringLiteral("jobs/header"), m_table->horizontalHeader()->saveState());
    settings.setValue(QStringLiteral("jobs/leftWidth"), m_leftWidth);
    settings.setValue(QStringLiteral("jobs/detailsWidth"), m_detailsWidth);
    settings.setValue(QStringLiteral("jobs/detailsHeight"), m_detailsHeight);
}

void JobsPage::restoreState(const QSettings &settings)
{
    m_table->horizontalHeader()->restoreState(settings.value(QStringLiteral("jobs/header")).toByteArray());
    m_leftWidth = qMax(m_splitter->widget(0)->minimumWidth(),
                       settings.value(QStringLiteral("jobs/leftWidth"), m_leftWidth).toInt());
    m_detailsWidth = qMax(200, settings.value(QStringLiteral("jobs/detailsWidth"), m_detailsWidth).toInt());
    m_detailsHeight =
        qMax(120, settings.value(QStringLiteral("jobs/detailsHeight"), m_detailsHeight).toInt());
    applyPaneSizes();
}

int JobsPage::statusColumnWidth() const
{
    int widest = 0;
    const QFontMetrics fm = m_statusList->fontMetrics();
    for (int row = 0; row < m_statusModel->rowCount(); ++row) {
        const QString name = m_statusModel->index(row).data().toString();
        // Room for a six-digit count in the current locale.
        widest = qMax(widest, fm.horizontalAdvance(name + QLocale().toString(999999)));
    }
    return widest + 16 + 6 + 2 * m_statusList->frameWidth() + 24;
}

void JobsPage::setDefaultColumnWidths()
{
    // From the texts of the current language and font, so that no column is cut and none wastes room;
    // the Error column (the last) takes what is left.
    QStringList types;
    for (const JobTypeInfo &t : JobTypeCatalog::instance().types(true))
        types << t.name;
    QStringList priorities;
    for (JobPriority p : {JobPriority::Low, JobPriority::Normal, JobPriority::High, JobPriority::Critical})
        priorities << displayName(p);
    const QString time =
        JobTableModel::timeText(QDateTime(QDate(2026, 12, 28), QTime(22, 58, 58)).toMSecsSinceEpoch());
    const QList<QPair<int, QStringList>> samples{
        {JobTableModel::IdColumn, {Job::publicId(999'999)}},
        {JobTableModel::TypeColumn, types},
        {JobTableModel::PriorityColumn, priorities},
        //: as in the Attempts column: attempts started "of" the most possible
        {JobTableModel::AttemptsColumn, {tr("%1 of %2").arg(26).arg(26)}},
        {JobTableModel::CreatedColumn, {time}},
        {JobTableModel::StartedColumn, {time}},
        {JobTableModel::DurationColumn, {JobTableModel::durationText(59 * 60'000 + 59'000)}},
        {JobTableModel::WorkerColumn, {QStringLiteral("hcm-worker@app01:42110")}},
        {JobTableModel::ErrorColumn, {QString(24, QLatin1Char('x'))}},
    };
    QHeaderView *header = m_table->horizontalHeader();
    for (const auto &[column, texts] : samples)
        header->resizeSection(column, columnWidthFor(m_table, column, texts));
    header->resizeSection(
        JobTableModel::StatusColumn,
        columnWidthFor(m_table, JobTableModel::StatusColumn, JobTableModel::widestStatusTexts(), true) + 8);
    header->setMinimumSectionSize(
        qMin(header->minimumSectionSize(), m_table->fontMetrics().averageCharWidth() * 4));
}

void JobsPage::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    placeDetails();
}

bool JobsPage::detailsBelow() const
{
    return m_details->parentWidget() == m_centreSplitter;
}

void JobsPage::placeDetails()
{
    // Beside the table when the page is wide enough for both; below it otherwise.
    const bool below = width() < kDetailsBesideMinWidth;
    QSplitter *target = below ? m_centreSplitter : m_splitter;
    if (m_details->parentWidget() != target) {
        const bool visible = !m_details->isHidden();
        target->addWidget(m_details);
        target->setStretchFactor(target->indexOf(m_details), 0);
        target->setCollapsible(target->indexOf(m_details), false);
        m_details->setVisible(visible);
    }
    applyPaneSizes();
}

void JobsPage::applyPaneSizes()
{
    const int total = qMax(m_splitter->width(), width());
    if (detailsBelow() || m_details->isHidden())
        m_splitter->setSizes({m_leftWidth, qMax(100, total - m_leftWidth)});
    else
        m_splitter->setSizes({m_leftWidth, qMax(100, total - m_leftWidth - m_detailsWidth), m_detailsWidth});
    if (detailsBelow() && !m_details->isHidden()) {
        const int height = qMax(m_centreSplitter->height(), 200);
        m_centreSplitter->setSizes({qMax(100, height - m_detailsHeight), m_detailsHeight});
    }
}

void JobsPage::rememberPaneSizes()
{
    const QList<int> sizes = m_splitter->sizes();
    m_leftWidth = sizes.value(0, m_leftWidth);
    if (!detailsBelow() && !m_details->isHidden() && sizes.size() > 2)
        m_detailsWidth = sizes.at(2);
    if (detailsBelow() && !m_details->isHidden())
        m_detailsHeight = m_centreSplitter->sizes().value(1, m_detailsHeight);
}

void JobsPage::setDetailsShown(bool shown)
{
    if (shown == !m_details->isHidden())
        return;
    m_details->setVisible(shown);
    applyPaneSizes();
    // The splitter lays a widget out again after it is shown: the sizes go on once that has happened.
    QTimer::singleShot(0, this, &JobsPage::applyPaneSizes);
}

} // namespace hcm::ui
