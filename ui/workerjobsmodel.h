#pragma once

#include "common/tablemodel.h"
#include "jobs/jobstore.h"

namespace hcm::ui {

// The jobs of one worker on the workers page: those it holds (processing under its id) and its
// recent attempts that did not complete. Rows are keyed by (job id, attempt), so a held job that the
// reaper requeues stays the same row and only changes: "Running" becomes "Lost". Updated in place
// (rows move, arrive and leave), never reset.
class WorkerJobsModel final : public TableModel {
    Q_OBJECT
public:
    enum Column {
        JobColumn,
        TypeColumn,
        StatusColumn,
        AttemptColumn,
        StartedColumn,
        EndedColumn,
        OutcomeColumn,
        ErrorColumn,
        ColumnCount
    };
    enum Role {
        JobIdRole = Qt::UserRole + 1, // qint64
        HeldRole,                     // bool: the worker holds the job now
        OutcomeRole,                  // the stored outcome ("lost"), empty while held
        StatusRole,                   // int(JobStatus) of the job now
    };

    explicit WorkerJobsModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    // Shows `jobs` (of jobs.workerId); a different worker replaces every row, the same one is updated.
    void setJobs(const WorkerJobs &jobs, qint64 nowMs);
    void clear();

    QString workerId() const { return m_workerId; }
    qint64 jobIdAt(int row) const;
    int heldCount() const;
    // The row of this attempt of the job, or -1.
    int rowOf(qint64 jobId, int attempt) const;

    // An attempt's stored outcome ("timed_out") in words.
    static QString outcomeText(const QString &outcome);

private:
    struct Row {
        Job job;         // held: the whole row; an attempt: id, type and status now
        JobAttempt last; // held: attempt number and start; an attempt: as stored
        bool held = false;
        QPair<qint64, int> key() const { return {job.id, last.attempt}; }
    };

    QVariant display(const Row &r, int column) const;
    QString endedText(const Row &r) const;

    QString m_workerId;
    QList<Row> m_rows;
    qint64 m_now = 0;
};

} // namespace hcm::ui
