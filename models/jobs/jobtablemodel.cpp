#include "jobtablemodel.h"

#include "jobs/jobnotifier.h"
#include "jobs/jobrules.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QLocale>
#include <QSet>

#include <utility>

namespace hcm {

namespace {

// What each column sorts by, in the columns' order (the duration sorts by the end; the error column
// has no order of its own and sorts by ID).
constexpr JobSortColumn kSortColumns[] = {
    JobSortColumn::Id,       JobSortColumn::Type,      JobSortColumn::Status,    JobSortColumn::Priority,
    JobSortColumn::Attempts, JobSortColumn::CreatedAt, JobSortColumn::StartedAt, JobSortColumn::CompletedAt,
    JobSortColumn::Worker,   JobSortColumn::Id};
static_assert(std::size(kSortColumns) == JobTableModel::ColumnCount);

JobSortColumn sortColumnFor(int column)
{
    return column >= 0 && column < JobTableModel::ColumnCount ? kSortColumns[column] : JobSortColumn::Id;
}

// Everything the table shows: a row is repainted only when one of these changed.
bool sameContent(const Job &a, const Job &b)
{
    return a.status == b.status && a.updatedAt == b.updatedAt && a.progress == b.progress &&
           a.cancelRequested == b.cancelRequested && a.attempts == b.attempts &&
           a.retryCount == b.retryCount && a.runAt == b.runAt && a.workerId == b.workerId &&
           a.errorMessage == b.errorMessage && a.startedAt == b.startedAt && a.completedAt == b.completedAt &&
           a.priority == b.priority;
}

} // namespace

QString JobTableModel::timeText(qint64 ms)
{
    if (ms <= 0)
        return {};
    return QLocale().toString(QDateTime::fromMSecsSinceEpoch(ms), QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

JobTableModel::JobTableModel(AsyncJobService *service, std::shared_ptr<Clock> clock, QObject *parent)
    : TableModel(parent)
    , m_service(service)
    , m_clock(std::move(clock))
{
    // In Column order; TableModel translates them when the header is drawn.
    static constexpr const char *titles[] = {
        QT_TR_NOOP("ID"),       QT_TR_NOOP("Type"),    QT_TR_NOOP("Status"),  QT_TR_NOOP("Priority"),
        QT_TR_NOOP("Attempts"), QT_TR_NOOP("Created"), QT_TR_NOOP("Started"), QT_TR_NOOP("Duration"),
        QT_TR_NOOP("Worker"),   QT_TR_NOOP("Error")};
    static_assert(std::size(titles) == ColumnCount);
    setColumnTitles(titles);
    m_coalesceTimer.setSingleShot(true);
    m_coalesceTimer.setInterval(50);
    connect(&m_coalesceTimer, &QTimer::timeout, this, &JobTableModel::refreshNow);
    m_refreshTimer.setInterval(1000);
    // The poll reads the window and the maintained counts (index reads); a filter's counted total is
    // counted again only after a change notification (on SQLite other processes send none: there the
    // poll counts too).
    m_recountOnPoll = service->config().isSqlite();
    connect(&m_refreshTimer, &QTimer::timeout, this, [this] {
        if (m_recountOnPoll)
            m_knownTotal.reset();
        scheduleRefresh();
    });
    connect(JobNotifier::instance(), &JobNotifier::jobsChanged, this, [this] { m_knownTotal.reset(); });
    m_refreshTimer.start();
    m_filter.limit = m_windowSize;
    request(0);
}

int JobTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_total);
}

QVariant JobTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Job *job = jobAt(index.row());
    if (!job) {
        // Not in the window: a placeholder until the view asks for this part (ensureLoaded).
        if (role == Qt::DisplayRole && index.column() == IdColumn)
            return QStringLiteral("…");
        if (role == LoadedRole)
            return false;
        if (role == JobIdRole)
            return qint64(0);
        return {};
    }
    switch (role) {
    case Qt::DisplayRole:
        return display(*job, index.column());
    case Qt::ToolTipRole:
        if (index.column() == ErrorColumn && !job->errorMessage.isEmpty())
            return job->errorDetail().display();
        if (index.column() == StatusColumn) {
            if (const PausedType *pause = pauseOf(*job))
                return pausedText(*pause);
            return statusText(*job, m_clock->nowMs());
        }
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == IdColumn || index.column() == AttemptsColumn ||
            index.column() == DurationColumn)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case JobIdRole:
        return job->id;
    case StatusRole:
        return int(job->status);
    case RawValueRole:
        return raw(*job, index.column());
    case CancelRequestedRole:
        return job->cancelRequested;
    case RetryingRole:
        return job->status == JobStatus::Queued && job->retryCount > 0;
    case LoadedRole:
        return true;
    case PausedRole:
        return pauseOf(*job) != nullptr;
    default:
        return {};
    }
}

QVariant JobTableModel::display(const Job &job, int column) const
{
    switch (column) {
    case IdColumn:
        return job.publicId();
    case TypeColumn:
        return job.type;
    case StatusColumn:
        if (pauseOf(job))
            //: a queued job whose type is paused: it waits until the type is resumed
            return tr("Paused");
        return statusText(job, m_clock->nowMs());
    case PriorityColumn:
        return displayName(job.priority);
    case AttemptsColumn:
        //: attempts started "of" the most possible (1 + retries)
        return tr("%1 of %2").arg(job.attempts).arg(job.maxRetries + 1);
    case CreatedColumn:
        return timeText(job.createdAt);
    case StartedColumn:
        return timeText(job.startedAt);
    case DurationColumn:
        if (job.startedAt <= 0)
            return {};
        if (job.status == JobStatus::Processing)
            return durationText(qMax<qint64>(0, m_clock->nowMs() - job.startedAt));
        if (job.completedAt > 0)
            return durationText(qMax<qint64>(0, job.completedAt - job.startedAt));
        return {};
    case WorkerColumn:
        return job.workerId;
    case ErrorColumn:
        return errorText(job);
    default:
        return {};
    }
}

QString JobTableModel::errorText(const Job &job)
{
    QString e = job.errorDetail().display();
    e.replace(QLatin1Char('\n'), QLatin1Char(' '));
    return e;
}

QVariant JobTableModel::raw(const Job &job, int column) const
{
    switch (column) {
    case IdColumn:
        return job.id;
    case TypeColumn:
        return job.type;
    case StatusColumn:
        return int(job.status);
    case PriorityColumn:
        return int(job.priority);
    case AttemptsColumn:
        return job.attempts;
    case CreatedColumn:
        return job.createdAt;
    case StartedColumn:
        return job.startedAt;
    case DurationColumn:
        return job.completedAt > 0 && job.startedAt > 0 ? job.completedAt - job.startedAt : qint64(-1);
    case WorkerColumn:
        return job.workerId;
    case ErrorColumn:
        return job.errorMessage;
    default:
        return {};
    }
}

QStringList JobTableModel::widestStatusTexts()
{
    // "Retrying in 4 min" and "Scheduled on …" are as long as their times make them: the column grows
    // for them while they are in view (fitColumnToContent).
    QStringList out{tr("Cancelling…"), tr("Processing %1%").arg(100), tr("Paused")};
    for (int s = 0; s < kJobStatusCount; ++s)
        out << displayName(JobStatus(s));
    return out;
}

QString JobTableModel::statusText(const Job &job, qint64 nowMs)
{
    if (job.status == JobStatus::Processing && job.cancelRequested)
        return tr("Cancelling…");
    if (job.status == JobStatus::Queued && job.runAt > nowMs) {
        const QString when = JobRules::relativeTime(job.runAt, nowMs);
        if (job.retryCount > 0)
            //: %1 is when: "in 4 min", "on 03.01.2099 10:00"
            return tr("Retrying %1").arg(when);
        //: %1 is when: "in 4 min", "on 03.01.2099 10:00"
        return tr("Scheduled %1").arg(when);
    }
    if (job.status == JobStatus::Processing && job.progress >= 0)
        return tr("Processing %1%").arg(int(job.progress * 100));
    return displayName(job.status);
}

const PausedType *JobTableModel::pauseOf(const Job &job) const
{
    if (job.status != JobStatus::Queued || m_paused.isEmpty())
        return nullptr;
    return PausedTypeStore::pauseOf(m_paused, job.type);
}

QString JobTableModel::pausedText(const PausedType &pause)
{
    if (pause.isAll())
        return tr("Paused: every job type was paused by %1 at %2. Queued jobs wait until it is resumed.")
            .arg(pause.pausedBy, timeText(pause.pausedAt));
    return tr("Paused: %1 was paused by %2 at %3. Its queued jobs wait until it is resumed.")
        .arg(pause.type, pause.pausedBy, timeText(pause.pausedAt));
}

QString JobTableModel::durationText(qint64 ms)
{
    if (ms < 1000)
        return tr("%1 ms").arg(ms);
    if (ms < 60'000)
        return tr("%1 s").arg(QLocale().toString(double(ms) / 1000.0, 'f', 1));
    const qint64 s = ms / 1000;
    if (s < 3600)
        return tr("%1 min %2 s").arg(s / 60).arg(s % 60);
    return tr("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60);
}

void JobTableModel::sort(int column, Qt::SortOrder order)
{
    if (column < 0 || column >= ColumnCount || column == ErrorColumn)
        return;
    const JobSortColumn key = sortColumnFor(column);
    if (key == m_filter.sort && order == m_filter.order)
        return;
    m_filter.sort = key;
    m_filter.order = order;
    // A new order is a new list; row positions mean nothing across it.
    beginResetModel();
    m_rows.clear();
    m_rowOf.clear();
    m_total = 0;
    m_listTotal = 0;
    m_offset = 0;
    m_loadedOnce = false;
    endResetModel();
    request(0);
}

void JobTableModel::setFilter(const QList<JobStatus> &statuses, const QString &type, const QString &search,
                              qint64 scheduleId)
{
    if (statuses == m_filter.statuses && type == m_filter.type && search == m_filter.search &&
        scheduleId == m_filter.scheduleId)
        return;
    m_filter.statuses = statuses;
    m_filter.type = type;
    m_filter.search = search;
    m_filter.scheduleId = scheduleId;
    m_knownTotal.reset();
    beginResetModel();
    m_rows.clear();
    m_rowOf.clear();
    m_total = 0;
    m_listTotal = 0;
    m_offset = 0;
    m_loadedOnce = false;
    endResetModel();
    request(0);
}

void JobTableModel::scheduleRefresh()
{
    if (!m_coalesceTimer.isActive())
        m_coalesceTimer.start();
}

void JobTableModel::refreshNow()
{
    m_coalesceTimer.stop();
    // A refresh does not supersede the window being read: when a read takes longer than the poll (a
    // search over ten million jobs takes seconds) each poll dropped the answer on its way, and no answer
    // was ever shown. It is read once that answer is applied.
    if (m_loading) {
        m_refreshAfterLoad = true;
        return;
    }
    request(m_offset);
}

void JobTableModel::setRefreshInterval(int ms)
{
    if (ms <= 0) {
        m_refreshTimer.stop();
        return;
    }
    m_refreshTimer.start(ms);
}

void JobTableModel::ensureLoaded(int first, int last)
{
    first = qBound(0, first, qMax(0, m_rowCap - 1));
    last = qBound(first, last, qMax(0, m_rowCap - 1));
    if (first >= m_offset && last < m_offset + m_rows.size())
        return;
    if (m_loading && m_wantedOffset <= first && last < m_wantedOffset + m_windowSize)
        return;
    // Put the visible rows in the window's first third: views scroll both ways.
    const int offset = qMax(0, first - (m_windowSize - (last - first + 1)) / 3);
    request(offset);
}

void JobTableModel::request(int offset)
{
    JobFilter f = m_filter;
    f.offset = offset;
    f.limit = m_windowSize;
    m_wantedOffset = offset;
    m_loading = true;
    // Only the newest window matters: a filter change or a scroll supersedes the one asked before.
    m_window.track(m_service->fetchWindow(f, m_knownTotal), this, [this](const Result<JobWindow> &window) {
        m_loading = false;
        const bool again = std::exchange(m_refreshAfterLoad, false);
        if (!window) {
            emit errorOccurred(window.error().message);
            return; // the poll tries again
        }
        applyWindow(window.value());
        emit windowApplied();
        // Changes that came during the read; unless a reader of windowApplied asked for a newer window.
        if (again && !m_loading)
            request(m_offset);
    });
}

void JobTableModel::resizeTo(qint64 total)
{
    total = qMin<qint64>(total, m_rowCap);
    if (total > m_total) {
        beginInsertRows({}, int(m_total), int(total - 1));
        m_total = total;
        endInsertRows();
    } else if (total < m_total) {
        beginRemoveRows({}, int(total), int(m_total - 1));
        m_total = total;
        endRemoveRows();
    }
}

void JobTableModel::emitChanged(const QList<int> &rows)
{
    if (rows.isEmpty())
        return;
    // One signal per contiguous run; one range for everything when most rows changed.
    const int last = columnCount() - 1;
    if (rows.size() > m_rows.size() / 2) {
        const int lo = *std::min_element(rows.begin(), rows.end());
        const int hi = *std::max_element(rows.begin(), rows.end());
        emit dataChanged(index(lo, 0), index(hi, last));
        return;
    }
    QList<int> sorted = rows;
    std::sort(sorted.begin(), sorted.end());
    int start = sorted.first();
    int prev = start;
    for (qsizetype i = 1; i <= sorted.size(); ++i) {
        if (i < sorted.size() && sorted.at(i) == prev + 1) {
            prev = sorted.at(i);
            continue;
        }
        emit dataChanged(index(start, 0), index(prev, last));
        if (i < sorted.size())
            start = prev = sorted.at(i);
    }
}

void JobTableModel::applyWindow(const JobWindow &window)
{
    m_lastWindowCounted = window.counted;
    if (window.counted || m_knownTotal)
        m_knownTotal = KnownTotal{window.total, window.totalIsLowerBound};
    if (window.paused.size() != m_paused.size() ||
        !std::equal(window.paused.cbegin(), window.paused.cend(), m_paused.cbegin(),
                    [](const PausedType &a, const PausedType &b) {
                        return a.type == b.type && a.pausedBy == b.pausedBy && a.pausedAt == b.pausedAt;
                    })) {
        m_paused = window.paused;
        // The status of every loaded queued row may read differently now: one ranged change.
        if (!m_rows.isEmpty())
            emit dataChanged(index(m_offset, StatusColumn),
                             index(m_offset + int(m_rows.size()) - 1, StatusColumn));
        emit pausedTypesChanged();
    }
    m_listTotal = window.total;
    const int offset = window.filter.offset;
    // Rows past the cap are not shown (the window may reach beyond it).
    const QList<Job> target =
        offset + window.rows.size() > m_rowCap ? window.rows.mid(0, qMax(0, m_rowCap - offset)) : window.rows;

    if (offset > 0 && target.isEmpty() && window.total <= offset) {
        // The list shrank below our window: drop the missing tail and load the real end.
        m_rows.clear();
        m_rowOf.clear();
        resizeTo(window.total);
        m_offset = int(window.total);
        if (window.total > 0)
            request(int(qMax<qint64>(0, window.total - m_windowSize)));
        return;
    }

    if (!m_loadedOnce || offset != m_offset) {
        // First load or a scroll to another window: rows change content, not identity.
        const int oldStart = m_offset;
        const int oldEnd = m_offset + int(m_rows.size());
        m_offset = offset;
        m_rows = target;
        m_rowOf.clear();
        for (int i = 0; i < m_rows.size(); ++i)
            m_rowOf.insert(m_rows.at(i).id, i);
        resizeTo(qMax<qint64>(window.total, offset + target.size()));
        m_loadedOnce = true;
        const int last = columnCount() - 1;
        const int count = rowCount();
        // Rows of the old window now show placeholders; they are off screen (the view asked for the new
        // window), so they are not announced: a repaint would only ask for the old window again.
        Q_UNUSED(oldStart)
        Q_UNUSED(oldEnd)
        if (!m_rows.isEmpty())
            emit dataChanged(index(m_offset, 0), index(qMin(m_offset + int(m_rows.size()), count) - 1, last));
        return;
    }

    // Same window, newer content: diff by job id.
    QSet<qint64> targetIds;
    targetIds.reserve(target.size());
    for (const Job &j : target)
        targetIds.insert(j.id);

    // 1. Rows that left the window, removed from the bottom up in contiguous runs.
    for (int i = int(m_rows.size()) - 1; i >= 0;) {
        if (targetIds.contains(m_rows.at(i).id)) {
            --i;
            continue;
        }
        int first = i;
        while (first > 0 && !targetIds.contains(m_rows.at(first - 1).id))
            --first;
        beginRemoveRows({}, m_offset + first, m_offset + i);
        m_rows.remove(first, i - first + 1);
        m_total -= i - first + 1;
        endRemoveRows();
        i = first - 1;
    }
    m_rowOf.clear();
    for (int i = 0; i < m_rows.size(); ++i)
        m_rowOf.insert(m_rows.at(i).id, i);

    // 2. Walk the target order: keep, move or insert each row.
    QList<int> changed;
    for (int i = 0; i < target.size(); ++i) {
        const Job &want = target.at(i);
        if (i < m_rows.size() && m_rows.at(i).id == want.id) {
            if (!sameContent(m_rows.at(i), want)) {
                m_rows[i] = want;
                changed.append(m_offset + i);
            }
            continue;
        }
        const int from = m_rowOf.value(want.id, -1);
        int last = i; // the last target row this step placed
        if (from > i) {
            beginMoveRows({}, m_offset + from, m_offset + from, {}, m_offset + i);
            m_rows.move(from, i);
            endMoveRows();
            m_rows[i] = want;
            changed.append(m_offset + i);
        } else if (from < 0) {
            // A run of new rows (jobs enqueued at the top of the list) in one insertion: each insertion
            // makes the view's header shift its entry per row, milliseconds at millions of rows.
            int end = i + 1;
            while (end < target.size() && !m_rowOf.contains(target.at(end).id))
                ++end;
            beginInsertRows({}, m_offset + i, m_offset + end - 1);
            m_rows.insert(i, end - i, Job{});
            for (int k = i; k < end; ++k)
                m_rows[k] = target.at(k);
            m_total += end - i;
            endInsertRows();
            last = end - 1;
        } else {
            beginInsertRows({}, m_offset + i, m_offset + i);
            m_rows.insert(i, want);
            ++m_total;
            endInsertRows();
        }
        // Positions after i shifted: re-index the tail (windows are small).
        for (int k = i; k < m_rows.size(); ++k)
            m_rowOf.insert(m_rows.at(k).id, k);
        i = last;
    }

    // 3. The rest of the list beyond the window grows or shrinks at the end.
    resizeTo(qMax<qint64>(window.total, m_offset + m_rows.size()));
    emitChanged(changed);
}

qint64 JobTableModel::jobIdAt(int row) const
{
    const Job *job = jobAt(row);
    return job ? job->id : 0;
}

int JobTableModel::rowOfJob(qint64 id) const
{
    const int i = m_rowOf.value(id, -1);
    return i < 0 ? -1 : m_offset + i;
}

const Job *JobTableModel::jobAt(int row) const
{
    const int i = row - m_offset;
    if (i < 0 || i >= m_rows.size())
        return nullptr;
    return &m_rows.at(i);
}

} // namespace hcm
