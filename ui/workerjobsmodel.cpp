#include "workerjobsmodel.h"

#include "jobs/jobtablemodel.h"
#include "ui/statusicons.h"

#include <QSet>

namespace hcm::ui {

namespace {

// The status whose icon and colour an outcome borrows.
JobStatus outcomeStatus(const QString &outcome)
{
    if (outcome == QLatin1String("completed"))
        return JobStatus::Completed;
    if (outcome == QLatin1String("cancelled") || outcome == QLatin1String("interrupted") ||
        outcome == QLatin1String("not_started"))
        return JobStatus::Cancelled;
    return JobStatus::Failed;
}

} // namespace

WorkerJobsModel::WorkerJobsModel(QObject *parent)
    : TableModel(parent)
{
    // In Column order; TableModel translates them when the header is drawn.
    static constexpr const char *titles[] = {
        QT_TR_NOOP("Job"), QT_TR_NOOP("Type"),
        //: the job's status now (an attempt's job may have been requeued since)
        QT_TR_NOOP("Job status"), QT_TR_NOOP("Attempt"), QT_TR_NOOP("Started"),
        //: when the attempt ended, or when the lease of a held job expires
        QT_TR_NOOP("Ended / lease"), QT_TR_NOOP("Attempt outcome"), QT_TR_NOOP("Error")};
    static_assert(std::size(titles) == ColumnCount);
    setColumnTitles(titles);
}

int WorkerJobsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QString WorkerJobsModel::outcomeText(const QString &outcome)
{
    if (outcome == QLatin1String("completed"))
        return tr("Completed");
    if (outcome == QLatin1String("timed_out"))
        return tr("Timed out");
    //: the worker running the attempt stopped responding; the reaper took the job back
    if (outcome == QLatin1String("lost"))
        return tr("Lost");
    if (outcome == QLatin1String("cancelled"))
        return tr("Cancelled");
    //: stopped by a worker shutdown, requeued without spending a retry
    if (outcome == QLatin1String("interrupted"))
        return tr("Interrupted");
    //: claimed by a worker that died before the job started; requeued without spending a retry
    if (outcome == QLatin1String("not_started"))
        return tr("Not started");
    return tr("Failed");
}

QString WorkerJobsModel::endedText(const Row &r) const
{
    if (!r.held)
        return JobTableModel::timeText(r.last.finishedAt);
    if (r.job.leaseExpiresAt <= 0)
        return {};
    const qint64 left = r.job.leaseExpiresAt - m_now;
    if (left >= 0)
        return tr("lease expires in %1").arg(JobTableModel::durationText(left));
    //: the lease ran out: the next reaper pass requeues the job
    return tr("lease expired %1 ago").arg(JobTableModel::durationText(-left));
}

QVariant WorkerJobsModel::display(const Row &r, int column) const
{
    switch (column) {
    case JobColumn:
        return r.job.publicId();
    case TypeColumn:
        return r.job.type;
    case StatusColumn:
        return JobTableModel::statusText(r.job, m_now);
    case AttemptColumn:
        return r.last.attempt;
    case StartedColumn:
        return JobTableModel::timeText(r.last.startedAt);
    case EndedColumn:
        return endedText(r);
    case OutcomeColumn:
        return r.held ? tr("Running") : outcomeText(r.last.outcome);
    case ErrorColumn:
        return r.held ? QString() : r.last.errorDetail().display().simplified();
    default:
        return {};
    }
}

QVariant WorkerJobsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return display(r, index.column());
    case Qt::ToolTipRole:
        if (index.column() == ErrorColumn && !r.held)
            return r.last.errorDetail().display();
        if (index.column() == JobColumn)
            return tr("Double-click to open the details of %1.").arg(r.job.publicId());
        return {};
    case Qt::DecorationRole:
        if (index.column() == StatusColumn)
            return statusIcon(r.job.status, r.job.status == JobStatus::Queued && r.job.retryCount > 0 &&
                                                r.job.runAt > m_now);
        if (index.column() == OutcomeColumn)
            return statusIcon(r.held ? JobStatus::Processing : outcomeStatus(r.last.outcome));
        return {};
    case Qt::ForegroundRole:
        if (index.column() == OutcomeColumn && !r.held)
            return statusColor(outcomeStatus(r.last.outcome));
        return {};
    case JobIdRole:
        return r.job.id;
    case HeldRole:
        return r.held;
    case OutcomeRole:
        return r.held ? QString() : r.last.outcome;
    case StatusRole:
        return int(r.job.status);
    default:
        return {};
    }
}

void WorkerJobsModel::setJobs(const WorkerJobs &jobs, qint64 nowMs)
{
    m_now = nowMs;
    if (jobs.workerId != m_workerId) {
        clear();
        m_workerId = jobs.workerId;
    }
    // The rows wanted, in order: held jobs (oldest claim first), then attempts (newest first). An
    // attempt that is also held (a restarted worker with the same id) shows once, as held.
    QList<Row> incoming;
    QSet<QPair<qint64, int>> keys;
    for (const Job &job : jobs.held) {
        Row r{job, JobAttempt{job.id, job.attempts, jobs.workerId, job.startedAt, 0, {}, {}}, true};
        if (!keys.contains(r.key())) {
            keys.insert(r.key());
            incoming.append(r);
        }
    }
    for (const WorkerAttempt &a : jobs.attempts) {
        Job job;
        job.id = a.attempt.jobId;
        job.type = a.jobType;
        job.status = a.jobStatus;
        job.runAt = a.jobRunAt;
        job.retryCount = a.jobRetryCount;
        Row r{job, a.attempt, false};
        if (!keys.contains(r.key())) {
            keys.insert(r.key());
            incoming.append(r);
        }
    }

    // Leavers go first; then each wanted row is updated where it is, moved up from further down, or
    // inserted. Afterwards the rows are exactly `incoming`, and a selected row has followed its key.
    for (int i = int(m_rows.size()) - 1; i >= 0; --i) {
        if (!keys.contains(m_rows.at(i).key())) {
            beginRemoveRows({}, i, i);
            m_rows.removeAt(i);
            endRemoveRows();
        }
    }
    for (int i = 0; i < incoming.size(); ++i) {
        const auto key = incoming.at(i).key();
        if (i < m_rows.size() && m_rows.at(i).key() == key) {
            m_rows[i] = incoming.at(i);
            continue;
        }
        int from = -1;
        for (int j = i + 1; j < m_rows.size(); ++j) {
            if (m_rows.at(j).key() == key) {
                from = j;
                break;
            }
        }
        if (from >= 0) {
            beginMoveRows({}, from, from, {}, i);
            m_rows.move(from, i);
            endMoveRows();
            m_rows[i] = incoming.at(i);
        } else {
            beginInsertRows({}, i, i);
            m_rows.insert(i, incoming.at(i));
            endInsertRows();
        }
    }
    // Lease countdowns and statuses move with time: every row may have changed.
    if (!m_rows.isEmpty())
        emit dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
}

void WorkerJobsModel::clear()
{
    if (!m_rows.isEmpty()) {
        beginRemoveRows({}, 0, int(m_rows.size()) - 1);
        m_rows.clear();
        endRemoveRows();
    }
    m_workerId.clear();
}

qint64 WorkerJobsModel::jobIdAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows.at(row).job.id : 0;
}

int WorkerJobsModel::heldCount() const
{
    return int(std::count_if(m_rows.cbegin(), m_rows.cend(), [](const Row &r) { return r.held; }));
}

int WorkerJobsModel::rowOf(qint64 jobId, int attempt) const
{
    for (int i = 0; i < m_rows.size(); ++i) {
        if (m_rows.at(i).key() == qMakePair(jobId, attempt))
            return i;
    }
    return -1;
}

} // namespace hcm::ui
