// The jobs page: the filter bar (statuses with their counts, type, search, the schedule chip, the pause
// button) and the line shown when nothing matches.

#include "jobspage.h"

#include "auth/permissions.h"
#include "jobs/jobstatsstore.h"
#include "jobs/jobtablemodel.h"
#include "jobs/jobtypes.h"
#include "ui/statusfiltermodel.h"
#include "ui/statusicons.h"
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
    // Of the type the filter shows (the chart follows the type filter). Every answer of that type is
    // shown: when a read takes longer than the windows that ask for it, dropping the older ones would
    // leave the chart without any.
    const QString type = m_typeCombo->currentData().toString();
    m_throughput.track(m_service->fetchThroughput(60, type), this, [this, type](const Result<Throughput> &t) {
        if (!t || type != m_typeCombo->currentData().toString())
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
    m_counts.track(m_service->fetchCounts(filter), this, [this, request](const Result<StatusCounts> &counts) {
        if (!counts || request < m_countsFrom || request <= m_countsShown)
            return; // counted another type or search, or older than what is shown
        m_countsShown = request;
        m_statusModel->setCounts(counts.value());
        updateBulkActions();
        emit countsChanged(counts.value());
    });
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

void JobsPage::updateRowCapNotice()
{
    if (!m_model->isCapped()) {
        m_capLabel->hide();
        return;
    }
    const QLocale locale;
    const QString shown = locale.toString(m_model->rowCount());
    const QString total = locale.toString(m_model->total());
    m_capLabel->setText(
        m_model->totalIsLowerBound()
            //: below the jobs table; %1 the rows shown (100,000), %2 the counted limit
            ? tr("Showing the first %1 of more than %2 jobs. To reach the others, narrow the filter, search, "
                 "or reverse the order (click a column header).")
                  .arg(shown, total)
            //: below the jobs table; %1 the rows shown (100,000), %2 all jobs of the filter
            : tr("Showing the first %1 of %2 jobs. To reach the others, narrow the filter, search, or "
                 "reverse the order (click a column header).")
                  .arg(shown, total));
    m_capLabel->show();
}

} // namespace hcm::ui
