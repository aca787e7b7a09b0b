// The jobs page: its layout, the live table and its scroll anchor, the selection, saved state. The filter
// bar, the job actions, the bulk actions and the details pane are in jobspage*.cpp next to this file.

#include "jobspage.h"

#include "auth/permissions.h"
#include "jobs/jobnotifier.h"
#include "jobs/jobtablemodel.h"
#include "jobs/jobtypes.h"
#include "ui/jobdetailsview.h"
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
        updateRowCapNotice();
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
    homeEndMoveBetweenRows(m_table);
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

    // The table shows the first JobTableModel::rowCap() rows of a longer list: say so, and how to reach
    // the others.
    m_capLabel = new QLabel;
    m_capLabel->setObjectName(QStringLiteral("rowCapLabel"));
    m_capLabel->setWordWrap(true);
    m_capLabel->hide();

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
    centreLayout->addWidget(m_capLabel);

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
    // Status: from the texts it usually shows; a longer one in view (a date far ahead) widens it.
    fitColumnToContent(
        m_table, JobTableModel::StatusColumn,
        columnWidthFor(m_table, JobTableModel::StatusColumn, JobTableModel::widestStatusTexts(), true) + 8);
    header->setMinimumSectionSize(
        qMin(header->minimumSectionSize(), m_table->fontMetrics().averageCharWidth() * 4));
}

} // namespace hcm::ui
