#include "schedulespage.h"

#include "auth/permissions.h"

#include "jobs/jobnotifier.h"
#include "jobs/jobtypes.h"
#include "schedules/asyncscheduleservice.h"
#include "schedules/schedulenotifier.h"
#include "ui/scheduledialog.h"
#include "ui/scheduletablemodel.h"
#include "ui/statusicons.h"
#include "ui/tablefit.h"

#include <QDateTime>
#include <QDialog>
#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QMenu>
#include <QMessageBox>
#include <QMetaMethod>
#include <QPushButton>
#include <QTableView>
#include <QTimeZone>
#include <QTimer>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace hcm::ui {

SchedulesPage::SchedulesPage(const DbConfig &config, const Actor &actor, QWidget *parent)
    : QWidget(parent)
    , m_service(new AsyncScheduleService(config, this))
    , m_actor(actor)
{
    setObjectName(QStringLiteral("schedulesPage"));
    m_model = new ScheduleTableModel(this);
    m_view = new QTableView;
    m_view->setObjectName(QStringLiteral("schedules"));
    setUpRowTable(m_view, m_model, false);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    fitColumns();
    connect(m_view, &QWidget::customContextMenuRequested, this, &SchedulesPage::showMenu);
    connect(m_view, &QAbstractItemView::doubleClicked, this, [this](const QModelIndex &index) {
        if (index.column() != ScheduleTableModel::Enabled)
            editSchedule(index.data(ScheduleTableModel::IdRole).toLongLong());
    });
    connect(m_model, &ScheduleTableModel::enabledToggled, this, &SchedulesPage::setEnabled);

    auto *add = new QPushButton(icon("action-new"), tr("&New Schedule…"));
    if (!isAllowed(m_actor.role, Permission::ManageSchedules)) {
        add->setEnabled(false);
        add->setToolTip(permissionRequirement(Permission::ManageSchedules));
    }
    add->setObjectName(QStringLiteral("newSchedule"));
    connect(add, &QPushButton::clicked, this, &SchedulesPage::newSchedule);
    m_message = new QLabel;
    m_message->setObjectName(QStringLiteral("message"));
    auto *top = new QHBoxLayout;
    top->addWidget(add);
    top->addWidget(m_message, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_view, 1);

    connect(ScheduleNotifier::instance(), &ScheduleNotifier::schedulesChanged, this, &SchedulesPage::refresh);
    // Last runs show their job's status: a job change may change it. Bursts become one read.
    auto *coalesce = new QTimer(this);
    coalesce->setSingleShot(true);
    coalesce->setInterval(250);
    connect(coalesce, &QTimer::timeout, this, &SchedulesPage::refresh);
    connect(JobNotifier::instance(), &JobNotifier::jobsChanged, coalesce, qOverload<>(&QTimer::start));
    m_refresh = new QTimer(this);
    m_refresh->setInterval(5000);
    connect(m_refresh, &QTimer::timeout, this, &SchedulesPage::refresh);
    m_refresh->start();
    refresh();
}

SchedulesPage::~SchedulesPage() = default;

ScheduleDialog *SchedulesPage::openDialog() const
{
    return m_dialog.data();
}

void SchedulesPage::fitColumns()
{
    // From the texts of the current language; "When" (the cron line and its description) takes what is
    // left, so that every column fits a 1000 px window.
    QStringList types;
    for (const JobTypeInfo &t : JobTypeCatalog::instance().types(false))
        types << t.name;
    const QString time =
        QLocale().toString(QDateTime(QDate(2026, 12, 28), QTime(22, 58)), QStringLiteral("yyyy-MM-dd HH:mm"));
    struct Sample {
        int column;
        QStringList texts;
        bool icon = false;
    };
    const QList<Sample> samples{
        {ScheduleTableModel::Name, {QStringLiteral("Nightly cleanup")}},
        {ScheduleTableModel::Type, types},
        {ScheduleTableModel::Zone, {QStringLiteral("Europe/Berlin")}},
        {ScheduleTableModel::NextRun, {time}},
        {ScheduleTableModel::LastRun,
         {QStringLiteral("%1 (%2)").arg(time, displayName(JobStatus::Completed))},
         true},
        {ScheduleTableModel::Enabled, {}},
    };
    QHeaderView *header = m_view->horizontalHeader();
    for (const Sample &s : samples)
        header->resizeSection(s.column, columnWidthFor(m_view, s.column, s.texts, s.icon));
    header->setSectionResizeMode(ScheduleTableModel::When, QHeaderView::Stretch);
}

void SchedulesPage::refresh()
{
    m_list.track(m_service->fetchAll(), this, [this](const Result<QList<Schedule>> &all) {
        if (all)
            m_model->setSchedules(all.value());
        else
            m_message->setText(all.error().message);
    });
}

void SchedulesPage::showMenu(const QPoint &pos)
{
    const QModelIndex index = m_view->indexAt(pos);
    const Schedule *s = m_model->scheduleAt(index.row());
    auto *menu = new QMenu(this);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    // An action the role may not take is shown disabled, with the role it needs.
    const auto guard = [this](QAction *a, Permission needs) {
        if (!isAllowed(m_actor.role, needs)) {
            a->setEnabled(false);
            a->setToolTip(permissionRequirement(needs));
        }
    };
    if (s) {
        const qint64 id = s->id; // stable: a refresh may move rows while the menu is open
        const QString name = s->name;
        const bool enabled = s->enabled;
        guard(menu->addAction(icon("action-send"), tr("&Run Now"), this, [this, id] { runNow(id); }),
              Permission::RunSchedules);
        guard(menu->addAction(icon("action-open"), tr("&Edit…"), this, [this, id] { editSchedule(id); }),
              Permission::ManageSchedules);
        guard(menu->addAction(icon("action-duplicate"), tr("D&uplicate…"), this,
                              [this, id] { duplicateSchedule(id); }),
              Permission::ManageSchedules);
        guard(menu->addAction(enabled ? tr("&Disable") : tr("E&nable"), this,
                              [this, id, enabled] { setEnabled(id, !enabled); }),
              Permission::ManageSchedules);
        menu->addAction(icon("action-details"), tr("Show &Jobs"), this, [this, id, name] {
            // In the main window the jobs page shows them, filtered; alone, the page opens its dialog.
            if (isSignalConnected(QMetaMethod::fromSignal(&SchedulesPage::showJobsRequested)))
                emit showJobsRequested(id, name);
            else
                showJobs(id);
        });
        menu->addSeparator();
        guard(
            menu->addAction(icon("action-delete"), tr("De&lete…"), this, [this, id] { deleteSchedule(id); }),
            Permission::ManageSchedules);
    } else {
        guard(menu->addAction(icon("action-new"), tr("&New Schedule…"), this, &SchedulesPage::newSchedule),
              Permission::ManageSchedules);
    }
    menu->setToolTipsVisible(true);
    menu->popup(m_view->viewport()->mapToGlobal(pos));
}

void SchedulesPage::newSchedule()
{
    Schedule s;
    s.jobType = QStringLiteral("cleanup");
    s.cron = QStringLiteral("0 3 * * *");
    const QByteArray zone = QTimeZone::systemTimeZoneId();
    s.timeZone = QTimeZone::isTimeZoneIdAvailable(zone) ? QString::fromLatin1(zone) : QStringLiteral("UTC");
    openEditor(s);
}

void SchedulesPage::editSchedule(qint64 id)
{
    if (const Schedule *s = m_model->scheduleAt(m_model->rowOf(id)))
        openEditor(*s);
}

void SchedulesPage::duplicateSchedule(qint64 id)
{
    const Schedule *s = m_model->scheduleAt(m_model->rowOf(id));
    if (!s)
        return;
    Schedule copy = *s;
    copy.id = 0;
    //: the name of a duplicated schedule
    copy.name = tr("%1 (copy)").arg(s->name);
    openEditor(copy);
}

void SchedulesPage::openEditor(const Schedule &initial)
{
    if (m_dialog)
        return;
    m_dialog = new ScheduleDialog(initial, this);
    m_dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_dialog, &QDialog::accepted, this, [this] {
        const Schedule s = m_dialog->schedule();
        if (s.id > 0)
            finishAction(m_service->edit(s, m_actor));
        else
            finishAction(m_service->add(s, m_actor));
    });
    m_dialog->open();
}

void SchedulesPage::runNow(qint64 id)
{
    finishAction(m_service->runNow(id, m_actor));
}

void SchedulesPage::setEnabled(qint64 id, bool enabled)
{
    finishAction(m_service->setEnabled(id, enabled, m_actor));
}

void SchedulesPage::deleteSchedule(qint64 id)
{
    const Schedule *s = m_model->scheduleAt(m_model->rowOf(id));
    if (!s)
        return;
    auto *box = new QMessageBox(QMessageBox::Question, tr("Delete Schedule"),
                                tr("Delete the schedule \"%1\"? The jobs it made stay.").arg(s->name),
                                QMessageBox::Yes | QMessageBox::Cancel, this);
    box->setObjectName(QStringLiteral("confirmDelete"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::accepted, this, [this, id] { finishAction(m_service->remove(id, m_actor)); });
    box->open();
}

QDialog *SchedulesPage::jobsDialog() const
{
    return m_jobsDialog.data();
}

void SchedulesPage::showJobs(qint64 id)
{
    const Schedule *s = m_model->scheduleAt(m_model->rowOf(id));
    if (!s)
        return;
    if (m_jobsDialog)
        m_jobsDialog->close();
    auto *dialog = new QDialog(this);
    dialog->setObjectName(QStringLiteral("scheduleJobs"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Jobs of %1").arg(s->name));
    auto *list = new QTreeWidget;
    list->setObjectName(QStringLiteral("jobs"));
    list->setRootIsDecorated(false);
    list->setHeaderLabels({tr("Job"), tr("Status"), tr("Created"), tr("Finished"), tr("Error")});
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    auto *layout = new QVBoxLayout(dialog);
    layout->addWidget(list);
    layout->addWidget(buttons);
    dialog->resize(640, 360);
    const auto when = [](qint64 ms) {
        return ms > 0 ? QLocale().toString(QDateTime::fromMSecsSinceEpoch(ms), QLocale::ShortFormat)
                      : QString();
    };
    m_jobsDialog = dialog;
    whenReady(m_service->fetchJobs(id), list, [this, list, when](const Result<QList<ScheduleRun>> &jobs) {
        if (!jobs) {
            m_message->setText(jobs.error().message);
            return;
        }
        list->clear();
        for (const ScheduleRun &r : jobs.value()) {
            auto *item =
                new QTreeWidgetItem(list, {Job::publicId(r.jobId), displayName(r.status), when(r.createdAt),
                                           when(r.completedAt), r.error.display()});
            item->setIcon(1, statusIcon(r.status));
        }
    });
    dialog->open();
}

template<typename T> void SchedulesPage::finishAction(QFuture<T> change)
{
    whenReady(change, this, [this](const T &done) {
        m_message->setText(done.ok() ? QString() : done.error().message);
        refresh();
    });
}

} // namespace hcm::ui
