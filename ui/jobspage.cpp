#include "jobspage.h"

#include "auth/permissions.h"

#include "jobs/jobnotifier.h"
#include "jobs/jobrules.h"
#include "jobs/jobtablemodel.h"
#include "jobs/jobtypes.h"
#include "ui/jobdetailsdialog.h"
#include "ui/jobdetailsview.h"
#include "ui/newjobdialog.h"
#include "ui/statusdelegate.h"
#include "ui/statusfiltermodel.h"
#include "ui/statusicons.h"
#include "ui/throughputchart.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenu>
#include <QMessageBox>
#include <QScrollBar>
#include <QSettings>
#include <QShortcut>
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
    connect(JobNotifier::instance(), &JobNotifier::jobsChanged, this, [this] {
        if (!m_changeCoalescer.isActive())
            m_changeCoalescer.start();
    });
    // Changes from other processes arrive with the model's periodic refresh; counts follow it.
    connect(m_model, &JobTableModel::windowApplied, this, [this] {
        requestCounts();
        loadVisibleRows();
        onCurrentChanged();
        emit databaseOk();
    });
    connect(m_model, &JobTableModel::errorOccurred, this, &JobsPage::databaseError);
    connect(m_model, &JobTableModel::pausedTypesChanged, this, &JobsPage::updatePauseControls);
    connect(m_service, &AsyncJobService::pauseChanged, this, [this](quint64 request, const PauseChange &c) {
        if (m_pendingActions.remove(request) == 0)
            return;
        const QString what = c.type == kAllJobTypes ? tr("Every job type") : c.type;
        if (!c.changed)
            emit statusMessage(
                c.paused ? tr("%1 was paused already.").arg(what) : tr("%1 was not paused.").arg(what), 5000);
        else
            emit statusMessage(c.paused ? tr("%1 paused: queued jobs wait, running ones finish.").arg(what)
                                        : tr("%1 resumed.").arg(what),
                               5000);
        refresh();
    });
    connect(m_service, &AsyncJobService::countsReady, this,
            [this](quint64 request, const StatusCounts &counts) {
                if (request < m_countsFrom || request <= m_countsShown)
                    return; // counted another type or search, or older than what is shown
                m_countsShown = request;
                m_statusModel->setCounts(counts);
                emit countsChanged(counts);
            });
    connect(m_service, &AsyncJobService::jobReady, this, [this](quint64 request, const Job &job) {
        if (request != m_detailsRequest)
            return;
        m_details->setJob(job);
        m_detailsUpdatedAt = job.updatedAt;
        m_deliveriesRequest = m_service->fetchDeliveries(job.id);
    });
    connect(m_service, &AsyncJobService::deliveriesReady, this,
            [this](quint64 request, qint64 jobId, const QList<DeliveryRecord> &deliveries) {
                if (request == m_deliveriesRequest)
                    m_details->setDeliveries(jobId, deliveries);
            });
    connect(m_service, &AsyncJobService::throughputReady, this, [this](quint64 request, const Throughput &t) {
        if (request != m_throughputRequest)
            return;
        m_chart->setData(t);
        emit throughputChanged(t);
    });
    connect(m_service, &AsyncJobService::actionFinished, this, &JobsPage::onActionFinished);
    connect(m_service, &AsyncJobService::requestFailed, this,
            [this](quint64 request, const QString &message) {
                if (m_pendingActions.remove(request) > 0) {
                    auto *box = new QMessageBox(QMessageBox::Warning, tr("Action failed"), message,
                                                QMessageBox::Ok, this);
                    box->setAttribute(Qt::WA_DeleteOnClose);
                    box->open();
                } else if (request == m_detailsRequest) {
                    m_details->clear();
                } else if (request == m_deliveriesRequest) {
                    m_details->setDeliveriesError(m_details->jobId(), message);
                }
            });

    m_throughputTimer.setInterval(10'000);
    connect(&m_throughputTimer, &QTimer::timeout, this,
            [this] { m_throughputRequest = m_service->fetchThroughput(60); });
    m_throughputTimer.start();
    m_throughputRequest = m_service->fetchThroughput(60);
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
    QList<int> widths{80, 110, 150, 80, 80, 150, 150, 90, 140, 200};
    // The Status column fits its longest texts in this language and font ("Scheduled in 1440 min"), with
    // the 16 px status icon and the item margins.
    const QFontMetrics metrics = m_table->fontMetrics();
    for (const QString &text : JobTableModel::widestStatusTexts())
        widths[JobTableModel::StatusColumn] =
            qMax(widths.at(JobTableModel::StatusColumn), metrics.horizontalAdvance(text) + 16 + 24);
    for (int c = 0; c < widths.size(); ++c)
        header->resizeSection(c, widths.at(c));
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

    // Keyboard: Enter opens the details, Delete asks to cancel.
    for (const auto key : {Qt::Key_Return, Qt::Key_Enter}) {
        auto *open = new QShortcut(QKeySequence(key), m_table, nullptr, nullptr, Qt::WidgetShortcut);
        connect(open, &QShortcut::activated, this, [this] {
            if (const qint64 id = m_model->jobIdAt(m_table->currentIndex().row()))
                openDetails(id);
        });
    }
    auto *del = new QShortcut(QKeySequence::Delete, m_table, nullptr, nullptr, Qt::WidgetShortcut);
    connect(del, &QShortcut::activated, this, [this] {
        const QList<qint64> ids = selectedJobIds();
        if (!ids.isEmpty())
            confirm(tr("Cancel %n selected job(s)?", nullptr, int(ids.size())), tr("Cancel Jobs"),
                    [this, ids] { requestCancel(ids); });
    });

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
    // Enabled only while the filter is on, so that Escape is not taken from anything else meanwhile.
    m_clearScheduleShortcut =
        new QShortcut(QKeySequence(Qt::Key_Escape), this, nullptr, nullptr, Qt::WidgetWithChildrenShortcut);
    m_clearScheduleShortcut->setEnabled(false);
    connect(m_clearScheduleShortcut, &QShortcut::activated, this, &JobsPage::clearScheduleFilter);

    auto *centre = new QWidget;
    auto *centreLayout = new QVBoxLayout(centre);
    centreLayout->setContentsMargins(0, 0, 0, 0);
    auto *bar = new QHBoxLayout;
    bar->addWidget(newButton);
    bar->addWidget(m_scheduleChip);
    bar->addWidget(m_search, 1);
    bar->addWidget(refreshButton);
    centreLayout->addLayout(bar);
    centreLayout->addWidget(m_table, 1);

    // Right: details of the current job.
    m_details = new JobDetailsView;
    m_details->setObjectName(QStringLiteral("detailsPanel"));

    m_splitter = new QSplitter(Qt::Horizontal);
    m_splitter->setObjectName(QStringLiteral("jobsSplitter"));
    m_splitter->addWidget(left);
    m_splitter->addWidget(centre);
    m_splitter->addWidget(m_details);
    m_splitter->setStretchFactor(0, 0);
    m_splitter->setStretchFactor(1, 1);
    m_splitter->setStretchFactor(2, 0);
    m_splitter->setSizes({260, 860, 400});
    m_splitter->setChildrenCollapsible(false);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_splitter);
}

void JobsPage::applyFilter()
{
    const int row = m_statusList->currentIndex().isValid() ? m_statusList->currentIndex().row() : 0;
    m_model->setFilter(m_statusModel->statusesAt(row), m_typeCombo->currentData().toString(),
                       m_search->text().trimmed(), m_scheduleId);
    requestCounts();
}

void JobsPage::setScheduleFilter(qint64 id, const QString &name)
{
    m_scheduleId = qMax<qint64>(0, id);
    //: The jobs page shows only the jobs of this schedule; %1 is its name or "#7".
    m_scheduleLabel->setText(tr("Schedule: %1").arg(name.isEmpty() ? QStringLiteral("#%1").arg(id) : name));
    m_scheduleChip->setVisible(m_scheduleId != 0);
    m_clearScheduleShortcut->setEnabled(m_scheduleId != 0);
    applyFilter();
}

void JobsPage::requestCounts()
{
    const JobFilter &filter = m_model->filter();
    const QString key = filter.type + QLatin1Char('\n') + filter.search + QLatin1Char('\n') +
                        QString::number(filter.scheduleId);
    const quint64 request = m_service->fetchCounts(filter);
    if (key != m_countsKey || m_countsFrom == 0) {
        m_countsKey = key;
        m_countsFrom = request;
    }
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
    QList<int> rows;
    for (const QModelIndex &index : m_table->selectionModel()->selectedRows())
        rows << index.row();
    std::sort(rows.begin(), rows.end());
    QList<qint64> ids;
    for (int row : std::as_const(rows))
        if (const qint64 id = m_model->jobIdAt(row))
            ids << id;
    return ids;
}

bool JobsPage::isLoaded(qint64 id) const
{
    return m_model->rowOfJob(id) >= 0;
}

QMenu *JobsPage::createContextMenu(const QList<qint64> &ids)
{
    auto *menu = new QMenu(this);
    menu->setObjectName(QStringLiteral("jobContextMenu"));
    menu->setAttribute(Qt::WA_DeleteOnClose);
    menu->setToolTipsVisible(true);

    // The statuses of the chosen jobs decide which actions apply; the actions act on ids, not rows.
    QList<const Job *> jobs;
    for (qint64 id : ids)
        if (const Job *job = m_model->jobAt(m_model->rowOfJob(id)))
            jobs << job;
    const auto applies = [&](JobAction action, QString *why) {
        int ok = 0;
        QString reason;
        for (const Job *job : std::as_const(jobs)) {
            const QString w = JobRules::whyNot(action, job->status, job->cancelRequested);
            if (w.isEmpty())
                ++ok;
            else if (reason.isEmpty())
                reason = w;
        }
        if (ok == 0 && why)
            *why = jobs.size() == 1 ? tr("Not possible: %1.").arg(reason)
                                    : tr("Not possible for any selected job: %1.").arg(reason);
        return ok > 0;
    };
    const auto idsWhere = [&](JobAction action) {
        QList<qint64> out;
        for (const Job *job : std::as_const(jobs))
            if (JobRules::allows(action, job->status, job->cancelRequested))
                out << job->id;
        return out;
    };
    const int n = int(ids.size());
    const auto add = [&](const char *iconName, const QString &text, JobAction rule, auto slot) {
        QAction *a = menu->addAction(icon(iconName), text);
        QString why;
        // The role first: an action it may not take is disabled with the role it needs.
        const Permission needs = permissionFor(rule);
        const bool allowed = isAllowed(m_actor.role, needs);
        const bool enabled = allowed && applies(rule, &why);
        a->setEnabled(enabled);
        if (!allowed)
            a->setToolTip(permissionRequirement(needs));
        else if (!enabled)
            a->setToolTip(why);
        const QList<qint64> targets = idsWhere(rule);
        connect(a, &QAction::triggered, this, [this, slot, targets] { (this->*slot)(targets); });
        return a;
    };

    QAction *cancel = add("action-cancel", n == 1 ? tr("&Cancel") : tr("&Cancel %n Jobs", nullptr, n),
                          JobAction::Cancel, &JobsPage::requestCancel);
    cancel->setObjectName(QStringLiteral("cancelAction"));
    QAction *retry = add("action-retry", n == 1 ? tr("&Retry Now") : tr("&Retry %n Jobs Now", nullptr, n),
                         JobAction::RetryNow, &JobsPage::requestRetry);
    retry->setObjectName(QStringLiteral("retryAction"));
    QAction *dup =
        add("action-duplicate", n == 1 ? tr("D&uplicate as New Job…") : tr("D&uplicate %n Jobs", nullptr, n),
            JobAction::Duplicate, &JobsPage::duplicate);
    dup->setObjectName(QStringLiteral("duplicateAction"));
    menu->addSeparator();

    QAction *details = menu->addAction(icon("action-details"), tr("Show &Details"));
    details->setObjectName(QStringLiteral("detailsAction"));
    details->setEnabled(n == 1);
    if (n != 1)
        details->setToolTip(tr("Select a single job to see its details."));
    const qint64 first = ids.first();
    connect(details, &QAction::triggered, this, [this, first] { openDetails(first); });

    QAction *copyId =
        menu->addAction(icon("action-copy"), n == 1 ? tr("Copy &ID") : tr("Copy %n &IDs", nullptr, n));
    copyId->setObjectName(QStringLiteral("copyIdAction"));
    connect(copyId, &QAction::triggered, this, [this, ids] {
        QStringList text;
        for (qint64 id : ids)
            text << Job::publicId(id);
        copyToClipboard(text.join(QLatin1Char('\n')), tr("ID"));
    });
    QAction *copyPayload = menu->addAction(icon("action-copy"), tr("Copy &Payload"));
    copyPayload->setObjectName(QStringLiteral("copyPayloadAction"));
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
                       JobAction::Delete, &JobsPage::requestDelete);
    del->setObjectName(QStringLiteral("deleteAction"));
    return menu;
}

void JobsPage::confirm(const QString &text, const QString &okText, std::function<void()> onAccept)
{
    auto *box = new QMessageBox(QMessageBox::Question, tr("Confirm"), text, QMessageBox::NoButton, this);
    box->setObjectName(QStringLiteral("confirmBox"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    QPushButton *ok = box->addButton(okText, QMessageBox::AcceptRole);
    box->addButton(QMessageBox::Cancel);
    box->setDefaultButton(ok);
    connect(box, &QMessageBox::accepted, this, [onAccept = std::move(onAccept)] { onAccept(); });
    box->open();
}

void JobsPage::requestCancel(const QList<qint64> &ids)
{
    if (ids.isEmpty())
        return;
    const auto run = [this, ids] { m_pendingActions.insert(m_service->cancel(ids, m_actor), tr("Cancel")); };
    if (ids.size() > 1)
        confirm(tr("Cancel %n jobs? Queued jobs stop at once; running jobs are asked to stop.", nullptr,
                   int(ids.size())),
                tr("Cancel %n Jobs", nullptr, int(ids.size())), run);
    else
        run();
}

void JobsPage::requestRetry(const QList<qint64> &ids)
{
    if (ids.isEmpty())
        return;
    const auto run = [this, ids] { m_pendingActions.insert(m_service->retryNow(ids, m_actor), tr("Retry")); };
    if (ids.size() > 1)
        confirm(tr("Retry %n jobs now?", nullptr, int(ids.size())),
                tr("Retry %n Jobs", nullptr, int(ids.size())), run);
    else
        run();
}

void JobsPage::requestDelete(const QList<qint64> &ids)
{
    if (ids.isEmpty())
        return;
    // Deleting loses the job's history: always ask, with the count.
    confirm(tr("Delete %n finished job(s) and their attempt history? This cannot be undone.", nullptr,
               int(ids.size())),
            tr("Delete"),
            [this, ids] { m_pendingActions.insert(m_service->deleteFinished(ids, m_actor), tr("Delete")); });
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
            });
            dialog->open();
            return;
        }
    }
    const auto run = [this, ids] {
        m_pendingActions.insert(m_service->duplicate(ids, m_actor), tr("Duplicate"));
    };
    if (ids.size() > 1)
        confirm(tr("Create %n new jobs as copies of the selected ones?", nullptr, int(ids.size())),
                tr("Duplicate %n Jobs", nullptr, int(ids.size())), run);
    else
        run();
}

void JobsPage::requestPause(const QString &type, bool pause)
{
    const auto run = [this, type, pause] {
        m_pendingActions.insert(m_service->setPaused(type, pause, m_actor),
                                pause ? tr("Pause") : tr("Resume"));
    };
    if (type == kAllJobTypes && pause)
        confirm(tr("Pause every job type? Queued and new jobs wait until you resume; running jobs finish."),
                tr("Pause All Types"), run);
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

void JobsPage::onActionFinished(quint64 request, const QList<JobActionResult> &results,
                                const QList<qint64> &created)
{
    const QString what = m_pendingActions.take(request);
    if (what.isEmpty())
        return;
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
        refresh();
    });
    dialog->open();
}

void JobsPage::openDetails(qint64 id)
{
    auto *dialog = new JobDetailsDialog(m_service, id, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
}

void JobsPage::onCurrentChanged()
{
    const QModelIndex current = m_table->currentIndex();
    const Job *job = current.isValid() ? m_model->jobAt(current.row()) : nullptr;
    if (!job) {
        if (!current.isValid()) {
            m_details->clear();
            m_detailsUpdatedAt = -1;
        }
        return;
    }
    // Reload the details only when the job changed (the table row carries its updated_at).
    if (job->id == m_details->jobId() && job->updatedAt == m_detailsUpdatedAt)
        return;
    m_detailsUpdatedAt = job->updatedAt;
    m_detailsRequest = m_service->fetchJob(job->id);
}

void JobsPage::saveState(QSettings &settings) const
{
    settings.setValue(QStringLiteral("jobs/header"), m_table->horizontalHeader()->saveState());
    settings.setValue(QStringLiteral("jobs/splitter"), m_splitter->saveState());
}

void JobsPage::restoreState(const QSettings &settings)
{
    m_table->horizontalHeader()->restoreState(settings.value(QStringLiteral("jobs/header")).toByteArray());
    m_splitter->restoreState(settings.value(QStringLiteral("jobs/splitter")).toByteArray());
}

} // namespace hcm::ui
