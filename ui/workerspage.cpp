#include "workerspage.h"

#include "common/clock.h"
#include "jobs/jobnotifier.h"
#include "jobs/jobtablemodel.h"
#include "ui/jobdetailsdialog.h"
#include "ui/pausedtypesbar.h"
#include "ui/statusicons.h"
#include "ui/tablefit.h"
#include "ui/workerjobsmodel.h"

#include <QClipboard>
#include <QDateTime>
#include <QFont>
#include <QGuiApplication>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QMenu>
#include <QShortcut>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace hcm::ui {

namespace {

void setUpTable(QTableView *table, const QList<int> &widths)
{
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setSelectionMode(QAbstractItemView::SingleSelection);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setAlternatingRowColors(true);
    table->setWordWrap(false);
    table->verticalHeader()->hide();
    table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 8);
    table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    // Interactive sections with set widths: ResizeToContents measures every row on each layout.
    QHeaderView *header = table->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::Interactive);
    header->setStretchLastSection(true);
    for (int c = 0; c < widths.size(); ++c)
        header->resizeSection(c, widths.at(c));
}

} // namespace

// ---- WorkerTableModel ------------------------------------------------------------------------------

WorkerTableModel::WorkerTableModel(QObject *parent)
    : TableModel(parent)
{
    // In Column order; TableModel translates them when the header is drawn.
    static constexpr const char *titles[] = {
        QT_TR_NOOP("Worker"),         QT_TR_NOOP("Host"),    QT_TR_NOOP("PID"),
        QT_TR_NOOP("State"),          QT_TR_NOOP("Running"), QT_TR_NOOP("Started"),
        QT_TR_NOOP("Last heartbeat"), QT_TR_NOOP("Version")};
    static_assert(std::size(titles) == ColumnCount);
    setColumnTitles(titles);
}

int WorkerTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_workers.size());
}

QString WorkerTableModel::stateText(const WorkerInfo &w) const
{
    switch (stateOf(w)) {
    case WorkerState::Stopped:
        return tr("Stopped");
    case WorkerState::Lost:
        return tr("Lost (no heartbeat for %1)").arg(JobTableModel::durationText(m_now - w.heartbeatAt));
    case WorkerState::Running:
        break;
    }
    return tr("Running");
}

QVariant WorkerTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const WorkerInfo &w = m_workers.at(index.row());
    const WorkerState state = stateOf(w);
    switch (role) {
    case StateRole:
        return int(state);
    case WorkerIdRole:
        return w.id;
    case Qt::DecorationRole:
        if (index.column() != StateColumn)
            return {};
        switch (state) {
        case WorkerState::Running:
            return statusIcon(JobStatus::Processing);
        case WorkerState::Lost:
            return statusIcon(JobStatus::Failed);
        case WorkerState::Stopped:
            return statusIcon(JobStatus::Cancelled);
        }
        return {};
    case Qt::ForegroundRole:
        if (index.column() == StateColumn && state == WorkerState::Lost)
            return statusColor(JobStatus::Failed);
        return {};
    case Qt::FontRole:
        if (state == WorkerState::Lost && (index.column() == StateColumn || index.column() == IdColumn)) {
            QFont bold;
            bold.setBold(true);
            return bold;
        }
        return {};
    case Qt::ToolTipRole:
        if (index.column() == StateColumn && state == WorkerState::Lost) {
            return tr("No heartbeat since %1. The jobs it holds return to the queue when their leases "
                      "expire; select the worker to see them.")
                .arg(JobTableModel::timeText(w.heartbeatAt));
        }
        if (index.column() == StateColumn && state == WorkerState::Running) {
            //: %1 a duration ("1 min 40 s")
            return tr("Shown as lost after %1 without a heartbeat.")
                .arg(JobTableModel::durationText(workerLostAfterMs(w)));
        }
        return {};
    case Qt::DisplayRole:
        break;
    default:
        return {};
    }
    switch (index.column()) {
    case IdColumn:
        return w.id;
    case HostColumn:
        return w.host;
    case PidColumn:
        return w.pid;
    case StateColumn:
        return stateText(w);
    case RunningColumn:
        //: running jobs "of" the worker's concurrency
        return tr("%1 of %2").arg(w.running).arg(w.concurrency);
    case StartedColumn:
        return JobTableModel::timeText(w.startedAt);
    case HeartbeatColumn:
        return w.stoppedAt > 0
                   ? QString()
                   : tr("%1 ago").arg(JobTableModel::durationText(qMax<qint64>(0, m_now - w.heartbeatAt)));
    case VersionColumn:
        return w.version;
    default:
        return {};
    }
}

void WorkerTableModel::setWorkers(const QList<WorkerInfo> &workers, qint64 nowMs)
{
    m_now = nowMs;
    // Remove workers that are gone, update the others in place, append newcomers.
    QSet<QString> incoming;
    for (const auto &w : workers)
        incoming.insert(w.id);
    for (int i = int(m_workers.size()) - 1; i >= 0; --i) {
        if (!incoming.contains(m_workers.at(i).id)) {
            beginRemoveRows({}, i, i);
            m_workers.removeAt(i);
            endRemoveRows();
        }
    }
    for (const WorkerInfo &w : workers) {
        auto it = std::find_if(m_workers.begin(), m_workers.end(),
                               [&](const WorkerInfo &o) { return o.id == w.id; });
        if (it != m_workers.end()) {
            *it = w;
        } else {
            beginInsertRows({}, int(m_workers.size()), int(m_workers.size()));
            m_workers.append(w);
            endInsertRows();
        }
    }
    // Ages and states move with time: every row may have changed.
    if (!m_workers.isEmpty())
        emit dataChanged(index(0, 0), index(int(m_workers.size()) - 1, columnCount() - 1));
}

QString WorkerTableModel::workerIdAt(int row) const
{
    return row >= 0 && row < m_workers.size() ? m_workers.at(row).id : QString();
}

int WorkerTableModel::rowOfWorker(const QString &id) const
{
    for (int i = 0; i < m_workers.size(); ++i) {
        if (m_workers.at(i).id == id)
            return i;
    }
    return -1;
}

const WorkerInfo *WorkerTableModel::worker(const QString &id) const
{
    const int row = rowOfWorker(id);
    return row >= 0 ? &m_workers.at(row) : nullptr;
}

// ---- WorkersPage -----------------------------------------------------------------------------------

WorkersPage::WorkersPage(AsyncJobService *service, QWidget *parent)
    : QWidget(parent)
    , m_service(service)
    , m_model(new WorkerTableModel(this))
    , m_jobsModel(new WorkerJobsModel(this))
    , m_table(new QTableView)
    , m_jobsTable(new QTableView)
    , m_jobsTitle(new QLabel)
    , m_splitter(new QSplitter(Qt::Vertical))
    , m_pausedBar(new PausedTypesBar(service, Actor{QStringLiteral("admin:local")}))
{
    m_table->setObjectName(QStringLiteral("workerTable"));
    m_table->setAccessibleName(tr("Workers"));
    m_table->setModel(m_model);
    setUpTable(m_table, {});
    fitWorkerColumns();

    m_jobsTable->setObjectName(QStringLiteral("workerJobsTable"));
    m_jobsTable->setAccessibleName(tr("Jobs of the selected worker"));
    m_jobsTable->setModel(m_jobsModel);
    m_jobsTable->setContextMenuPolicy(Qt::CustomContextMenu);
    setUpTable(m_jobsTable, {80, 110, 150, 65, 150, 190, 140});
    connect(m_jobsTable, &QTableView::doubleClicked, this, [this](const QModelIndex &index) {
        if (const qint64 id = m_jobsModel->jobIdAt(index.row()))
            openDetails(id);
    });
    for (const auto key : {Qt::Key_Return, Qt::Key_Enter}) {
        auto *open = new QShortcut(QKeySequence(key), m_jobsTable, nullptr, nullptr, Qt::WidgetShortcut);
        connect(open, &QShortcut::activated, this, [this] {
            if (const qint64 id = m_jobsModel->jobIdAt(m_jobsTable->currentIndex().row()))
                openDetails(id);
        });
    }
    connect(m_jobsTable, &QTableView::customContextMenuRequested, this, [this](const QPoint &pos) {
        const QModelIndex index = m_jobsTable->indexAt(pos);
        if (!index.isValid())
            return;
        createJobMenu(index.row())->popup(m_jobsTable->viewport()->mapToGlobal(pos));
    });

    auto *hint =
        new QLabel(tr("Workers register when they start and send a heartbeat every few seconds. A worker "
                      "without a heartbeat is lost: its running jobs return to the queue when their "
                      "lease expires. Select a worker to see its jobs."));
    hint->setWordWrap(true);

    m_jobsTitle->setObjectName(QStringLiteral("workerJobsTitle"));
    m_jobsTitle->setWordWrap(true);
    m_jobsTitle->setTextFormat(Qt::RichText);
    auto *jobsPanel = new QWidget;
    auto *jobsLayout = new QVBoxLayout(jobsPanel);
    jobsLayout->setContentsMargins(0, 6, 0, 0);
    jobsLayout->addWidget(m_jobsTitle);
    jobsLayout->addWidget(m_jobsTable, 1);

    m_splitter->setObjectName(QStringLiteral("workersSplitter"));
    m_splitter->setChildrenCollapsible(false);
    m_splitter->addWidget(m_table);
    m_splitter->addWidget(jobsPanel);
    m_splitter->setStretchFactor(0, 2);
    m_splitter->setStretchFactor(1, 3);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(hint);
    layout->addWidget(m_pausedBar);
    layout->addWidget(m_splitter, 1);

    m_timer.setInterval(2000);
    connect(&m_timer, &QTimer::timeout, this, &WorkersPage::refresh);
    m_changeCoalescer.setSingleShot(true);
    m_changeCoalescer.setInterval(250);
    connect(&m_changeCoalescer, &QTimer::timeout, this, &WorkersPage::fetchJobs);
    // Claims, outcomes and rescues change what a worker holds: reload its jobs soon, not at the next
    // tick. (JobNotifier emits from any thread; these arrive queued.)
    connect(JobNotifier::instance(), &JobNotifier::jobsChanged, this, [this] {
        if (isVisible() && !m_selectedWorker.isEmpty())
            m_changeCoalescer.start();
    });
    // The selected row, not the current one: a table that gets the focus makes its first row current
    // without anyone choosing it.
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &WorkersPage::onSelectedWorkerChanged);
    updateTitle();
}

void WorkersPage::setRefreshInterval(int ms)
{
    m_timer.setInterval(qMax(50, ms));
}

void WorkersPage::setActor(const Actor &actor)
{
    m_actor = actor;
    m_pausedBar->setActor(actor);
}

void WorkersPage::refresh()
{
    m_workers.track(m_service->fetchWorkers(), this, [this](const Result<QList<WorkerInfo>> &workers) {
        if (!workers) {
            m_workersError =
                workers.error().message; // the list of workers itself: say so where the admin looks
            updateTitle();
            return;
        }
        onWorkersReady(workers.value());
    });
    m_pausedBar->refresh(); // another process may have paused or resumed a type
    fetchJobs();
}

void WorkersPage::fetchJobs()
{
    if (m_selectedWorker.isEmpty())
        return;
    m_jobs.track(m_service->fetchWorkerJobs(m_selectedWorker), this, [this](const Result<WorkerJobs> &jobs) {
        if (!jobs) {
            m_jobsError = jobs.error().message;
            updateTitle();
            return;
        }
        onWorkerJobsReady(jobs.value());
    });
}

void WorkersPage::selectWorker(const QString &id)
{
    const int row = m_model->rowOfWorker(id);
    if (row >= 0)
        m_table->selectRow(row);
}

void WorkersPage::onSelectedWorkerChanged()
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    const QString id = rows.isEmpty() ? QString() : m_model->workerIdAt(rows.first().row());
    if (id == m_selectedWorker)
        return;
    m_selectedWorker = id;
    m_jobsError.clear();
    m_jobsLoaded = false;
    m_jobsModel->clear();
    m_jobs.cancel();
    updateTitle();
    fetchJobs();
}

void WorkersPage::onWorkersReady(const QList<WorkerInfo> &workers)
{
    m_workersError.clear();
    m_model->setWorkers(workers, Clock::system()->nowMs());
    // The selection follows its row (removals are row removals); a vanished worker clears it.
    onSelectedWorkerChanged();
    updateTitle();
}

void WorkersPage::onWorkerJobsReady(const WorkerJobs &jobs)
{
    if (jobs.workerId != m_selectedWorker)
        return;
    m_jobsError.clear();
    m_jobsLoaded = true;
    m_jobsModel->setJobs(jobs, Clock::system()->nowMs());
    updateTitle();
}

void WorkersPage::updateTitle()
{
    QString text;
    const WorkerInfo *w = m_selectedWorker.isEmpty() ? nullptr : m_model->worker(m_selectedWorker);
    if (!w) {
        text = tr("Select a worker to see the jobs it holds and its recent attempts that did not complete.");
    } else {
        const QString name = QStringLiteral("<b>%1</b>").arg(w->id.toHtmlEscaped());
        const QString host = w->host.toHtmlEscaped();
        switch (m_model->stateOf(*w)) {
        case WorkerState::Lost:
            //: %1 worker id, %2 host, %3 the word "lost" (highlighted), %4 a duration ("4 min 10 s")
            text = tr("%1 on %2 is %3: no heartbeat for %4.")
                       .arg(name, host,
                            QStringLiteral("<span style=\"color:#b91c1c\"><b>%1</b></span>")
                                //: a worker's state: no heartbeat any more
                                .arg(tr("lost").toHtmlEscaped()),
                            JobTableModel::durationText(m_model->now() - w->heartbeatAt));
            break;
        case WorkerState::Stopped:
            text = tr("%1 on %2 stopped at %3.").arg(name, host, JobTableModel::timeText(w->stoppedAt));
            break;
        case WorkerState::Running:
            text = tr("%1 on %2 is running.").arg(name, host);
            break;
        }
        if (!m_jobsLoaded) {
            text += QLatin1Char(' ') + tr("Loading its jobs…");
        } else {
            const int held = m_jobsModel->heldCount();
            const int others = m_jobsModel->rowCount() - held;
            text += QLatin1Char(' ');
            const bool lost = m_model->stateOf(*w) == WorkerState::Lost;
            if (held == 0)
                text += tr("It holds no jobs.");
            else if (lost && held == 1)
                text += tr("It still holds 1 job; it returns to the queue when its lease expires.");
            else if (lost)
                text += tr("It still holds %n jobs; each returns to the queue when its lease expires.",
                           nullptr, held);
            else if (held == 1)
                text += tr("It holds 1 job.");
            else
                text += tr("It holds %n jobs.", nullptr, held);
            if (others == 1)
                text += QLatin1Char(' ') + tr("Below, its latest attempt that did not complete.");
            else if (others > 1)
                text += QLatin1Char(' ') +
                        tr("Below, its latest %n attempts that did not complete.", nullptr, others);
            text += QLatin1Char(' ') + tr("Double-click a job to open its details.");
        }
    }
    QStringList errors{m_workersError, m_jobsError};
    errors.removeAll(QString());
    errors.removeDuplicates(); // a database that is down fails both the same way
    for (const QString &error : std::as_const(errors)) {
        text += QStringLiteral("<br><span style=\"color:#b91c1c\">%1</span>")
                    .arg(tr("Could not load: %1").arg(error).toHtmlEscaped());
    }
    m_jobsTitle->setText(text);
}

QMenu *WorkersPage::createJobMenu(int row)
{
    auto *menu = new QMenu(this);
    menu->setObjectName(QStringLiteral("workerJobMenu"));
    menu->setAttribute(Qt::WA_DeleteOnClose);
    const qint64 id = m_jobsModel->jobIdAt(row);
    QAction *details = menu->addAction(icon("action-details"), tr("Show &Details"));
    details->setObjectName(QStringLiteral("detailsAction"));
    connect(details, &QAction::triggered, this, [this, id] { openDetails(id); });
    QAction *copy = menu->addAction(icon("action-copy"), tr("Copy &ID"));
    copy->setObjectName(QStringLiteral("copyIdAction"));
    connect(copy, &QAction::triggered, this,
            [id] { QGuiApplication::clipboard()->setText(Job::publicId(id)); });
    return menu;
}

void WorkersPage::openDetails(qint64 jobId)
{
    if (jobId <= 0)
        return;
    auto *dialog = new JobDetailsDialog(m_service, jobId, this);
    dialog->setActor(m_actor);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
}

void WorkersPage::fitWorkerColumns()
{
    // From the texts of the current language: the table fits a 1000 px window with Last heartbeat in
    // view. A longer "Lost (…)" is elided; its tooltip says it whole.
    const QString time =
        JobTableModel::timeText(QDateTime(QDate(2026, 12, 28), QTime(22, 58, 58)).toMSecsSinceEpoch());
    const QList<QPair<int, QStringList>> samples{
        {WorkerTableModel::IdColumn, {QStringLiteral("hcm-worker@app01:42110")}},
        {WorkerTableModel::HostColumn, {QStringLiteral("app01")}},
        {WorkerTableModel::PidColumn, {QStringLiteral("4194304")}},
        //: as in the Running column: running jobs "of" the worker's threads
        {WorkerTableModel::RunningColumn, {tr("%1 of %2").arg(16).arg(16)}},
        {WorkerTableModel::StartedColumn, {time}},
        {WorkerTableModel::HeartbeatColumn, {tr("%1 ago").arg(JobTableModel::durationText(59'000))}},
    };
    for (const auto &[column, texts] : samples)
        m_table->horizontalHeader()->resizeSection(column, columnWidthFor(m_table, column, texts));
    // State: "Running" and "Stopped"; a "Lost (no heartbeat for …)" in view widens it (in German it
    // pushed Last heartbeat out of a 1000 px window while every worker ran).
    fitColumnToContent(
        m_table, WorkerTableModel::StateColumn,
        columnWidthFor(m_table, WorkerTableModel::StateColumn, {tr("Running"), tr("Stopped")}, true));
}

void WorkersPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refresh();
    m_timer.start();
}

void WorkersPage::hideEvent(QHideEvent *event)
{
    m_timer.stop();
    m_changeCoalescer.stop();
    QWidget::hideEvent(event);
}

} // namespace hcm::ui
