// The jobs page: the job actions (context menu, Job menu and shortcuts), what they apply to, their
// confirmation and their results.

#include "jobspage.h"

#include "auth/permissions.h"
#include "db/dbthread.h"
#include "jobs/jobrules.h"
#include "jobs/jobtablemodel.h"
#include "jobs/jobtypes.h"
#include "ui/jobdetailsdialog.h"
#include "ui/newjobdialog.h"
#include "ui/statusicons.h"

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
        whenReady(
            m_service->setPaused(type, pause, m_actor), this, [this](const Result<PauseChange> &change) {
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
    whenReady(action, this,
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

} // namespace hcm::ui
