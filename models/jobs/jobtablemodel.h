#pragma once

#include "common/clock.h"
#include "common/tablemodel.h"
#include "jobs/asyncjobservice.h"

#include <QHash>
#include <QTimer>

#include <memory>
#include <optional>

namespace hcm {

// The live job table: a window of a filtered, sorted job list, fed by AsyncJobService's thread.
//
// rowCount() is the size of the filtered list up to rowCap() (100,000 by default): the first rows of the
// list in its order. Beyond them an admin narrows the filter, searches or reverses the order; a view keeps
// per-row state (QHeaderView: an entry per row, shifted by every insertion at the top), which at ten
// million rows made every update of the page stall for tens of milliseconds and cost 300 MB. total() is
// the whole list's size. Only a window of rows around what the view shows (ensureLoaded) is held, rows
// outside it show a placeholder, so the jobs never sit in memory.
// Filtering and sorting happen in SQL. A refresh never resets the model: the new window is diffed against the
// old by job id into removeRows / moveRows / insertRows and row-ranged dataChanged, so selection, current row
// and scroll position survive. Refresh requests are coalesced by a short single-shot timer: a burst of job
// changes costs one query and one update.
class JobTableModel final : public TableModel {
    Q_OBJECT
public:
    enum Column {
        IdColumn,
        TypeColumn,
        StatusColumn,
        PriorityColumn,
        AttemptsColumn,
        CreatedColumn,
        StartedColumn,
        DurationColumn,
        WorkerColumn,
        ErrorColumn,
        ColumnCount
    };
    Q_ENUM(Column)
    enum Role {
        JobIdRole = Qt::UserRole + 1, // qint64 id, 0 for a row not loaded yet
        StatusRole,                   // int(JobStatus)
        RawValueRole,                 // the column's underlying value (numbers, times in ms)
        CancelRequestedRole,          // bool
        RetryingRole,                 // bool: queued, waiting for its next attempt
        LoadedRole,                   // bool: false while the row's window is being fetched
        PausedRole,                   // bool: queued, and its type is paused
    };

    JobTableModel(AsyncJobService *service, std::shared_ptr<Clock> clock = Clock::system(),
                  QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

    // A new filter is a new list: the model resets once and loads the first window.
    // scheduleId 0: jobs of every schedule and none.
    void setFilter(const QList<JobStatus> &statuses, const QString &type, const QString &search,
                   qint64 scheduleId = 0);
    const JobFilter &filter() const { return m_filter; }

    // Asks for a refresh of the current window; coalesced (see setCoalesceInterval).
    void scheduleRefresh();
    // Refreshes now, without waiting for the coalescing timer (tests call it instead of sleeping); while a
    // window is being read, right after its answer.
    void refreshNow();
    // Periodic refresh for changes made by other processes (default 1000 ms; 0 turns it off).
    void setRefreshInterval(int ms);
    int refreshInterval() const { return m_refreshTimer.interval(); }
    void setCoalesceInterval(int ms) { m_coalesceTimer.setInterval(ms); }
    // Rows per window (default 300).
    void setWindowSize(int rows) { m_windowSize = qMax(20, rows); }
    // Makes sure the window covers rows first..last: the view calls it with its visible rows whenever
    // it scrolls or resizes. data() itself never queries (it returns placeholders outside the window).
    void ensureLoaded(int first, int last);

    qint64 jobIdAt(int row) const;
    int rowOfJob(qint64 id) const;   // -1 when not in the loaded window
    const Job *jobAt(int row) const; // nullptr when not loaded
    bool isLoading() const { return m_loading; }
    // The last window's total was counted from rows (JobWindow::counted), not maintained or reused.
    bool lastWindowCounted() const { return m_lastWindowCounted; }
    // The size of the whole filtered list (rowCount() shows at most rowCap() of it).
    qint64 total() const { return m_listTotal; }
    // The list is longer than the rows shown: rowCount() == rowCap() < total().
    bool isCapped() const
    {
        return m_listTotal > m_total || (m_total >= m_rowCap && m_knownTotal && m_knownTotal->lowerBound);
    }
    static constexpr int kDefaultRowCap = 100'000;
    int rowCap() const { return m_rowCap; }
    // Rows the view shows at most (tests make it small); applies from the next window.
    void setRowCap(int rows) { m_rowCap = qMax(1, rows); }
    // The filter's rows were counted up to JobStatsStore::kCountLimit and there are more: total() is
    // that limit ("more than 100,000").
    bool totalIsLowerBound() const { return m_knownTotal && m_knownTotal->lowerBound; }
    // The paused job types as of the last window (JobWindow::paused).
    const QList<PausedType> &pausedTypes() const { return m_paused; }
    // The pause that holds this job back: its type's or every type's; nullptr when it may run.
    const PausedType *pauseOf(const Job &job) const;
    // "Paused by alice at 10:15:32; its jobs wait until the type is resumed."
    static QString pausedText(const PausedType &pause);

    // Formatting shared with the details view.
    static QString statusText(const Job &job, qint64 nowMs);
    // The texts of every status in the current language (without the times of "Retrying in …" and
    // "Scheduled …", whose rows widen the column while in view): what the Status column fits at least.
    static QStringList widestStatusTexts();
    static QString durationText(qint64 ms);
    // The Error column: the job's error in the reader's language when the programs made it (JobError),
    // a provider's text as it is; on one line.
    static QString errorText(const Job &job);
    // A moment as the tables show it, in local time ("2026-01-07 10:15:32"); empty for 0.
    static QString timeText(qint64 ms);

signals:
    // A window was applied (first load, refresh or scroll).
    void windowApplied();
    // The paused job types changed (read with a window).
    void pausedTypesChanged();
    void errorOccurred(const QString &message);

private:
    void request(int offset);
    void applyWindow(const JobWindow &window);
    void resizeTo(qint64 total);
    void emitChanged(const QList<int> &rows);
    QVariant display(const Job &job, int column) const;
    QVariant raw(const Job &job, int column) const;

    AsyncJobService *m_service;
    std::shared_ptr<Clock> m_clock;
    JobFilter m_filter;
    int m_windowSize = 300;
    qint64 m_total = 0;     // rows the view sees (at most m_rowCap)
    qint64 m_listTotal = 0; // rows of the whole filtered list, as of the last window
    int m_rowCap = kDefaultRowCap;
    int m_offset = 0;                   // first row of the loaded window
    QList<Job> m_rows;                  // the loaded window
    QList<PausedType> m_paused;         // the paused job types with the window
    QHash<qint64, int> m_rowOf;         // job id → index in m_rows
    Latest<Result<JobWindow>> m_window; // the window request we wait for
    bool m_loading = false;             // until its answer is applied
    bool m_refreshAfterLoad = false;    // a refresh was asked for while a window was being read
    bool m_lastWindowCounted = false;
    // A filter the maintained counts cannot answer is counted once (bounded) when it is set and again
    // after a change notification; refreshes in between (the poll, scrolling) reuse this total.
    std::optional<KnownTotal> m_knownTotal;
    bool m_recountOnPoll = false; // SQLite: other processes' changes arrive only with the poll
    int m_wantedOffset = 0;
    bool m_loadedOnce = false;
    QTimer m_coalesceTimer;
    QTimer m_refreshTimer;
};

} // namespace hcm
