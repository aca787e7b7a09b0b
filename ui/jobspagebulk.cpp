// The jobs page: bulk actions on everything the filter selects (Select All, Retry/Cancel/Delete all, delete
// older than), with their confirmation, progress and result.

#include "jobspage.h"

#include "auth/permissions.h"
#include "db/dbthread.h"
#include "jobs/jobtablemodel.h"
#include "ui/statusfiltermodel.h"

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
    // Every job of the filter, also those past the rows the table shows (JobTableModel::rowCap).
    const qint64 n = qMax<qint64>(m_model->rowCount(), m_model->total());
    if (m_model->totalIsLowerBound()) {
        emit statusMessage(
            tr("Selected all of the more than %1 jobs that match the filter; Cancel, Retry and "
               "Delete act on every one of them.")
                .arg(QLocale().toString(n)),
            8000);
        return;
    }
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
        latest->track(m_service->previewBulk(BulkAction::Delete, filter, *cutoff, m_actor), dialog,
                      [preview, ok, cutoff](const Result<qint64> &n) {
                          if (!n) {
                              preview->setText(n.error().message);
                              return;
                          }
                          const qint64 count = n.value();
                          const QString when = QLocale().toString(QDateTime::fromMSecsSinceEpoch(*cutoff),
                                                                  QLocale::ShortFormat);
                          preview->setText(
                              count == 1
                                  ? tr("1 finished job that matches the filter finished before %1. Deleting "
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
    whenReady(bulk, this,
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

} // namespace hcm::ui
