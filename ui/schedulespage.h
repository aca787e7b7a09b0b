#pragma once

#include "jobs/job.h"
#include "schedules/asyncscheduleservice.h"
#include "schedules/schedule.h"

#include <QPointer>
#include <QWidget>

class QDialog;
class QLabel;
class QTableView;
class QTimer;

namespace hcm::ui {

class ScheduleDialog;
class ScheduleTableModel;

// The Schedules page: every schedule with its expression in plain words, zone, next run, last run with
// its job's status, and an enabled switch; a context menu runs, edits, duplicates, switches, deletes a
// schedule or shows its jobs. Reads and changes run on AsyncScheduleService's thread; the list refreshes
// on every schedule or job change in this process and every few seconds (other processes).
class SchedulesPage final : public QWidget {
    Q_OBJECT
public:
    SchedulesPage(const DbConfig &config, const Actor &actor, QWidget *parent = nullptr);
    ~SchedulesPage() override;

    QTableView *view() const { return m_view; }
    ScheduleTableModel *model() const { return m_model; }
    QLabel *messageLabel() const { return m_message; }
    // The dialog open now (New, Edit, Duplicate), or nullptr.
    ScheduleDialog *openDialog() const;
    // The dialog of showJobs while it is open, or nullptr.
    QDialog *jobsDialog() const;

    // The actions of the context menu, on the schedule of `id` (tests call them directly).
    void newSchedule();
    void editSchedule(qint64 id);
    void duplicateSchedule(qint64 id);
    void runNow(qint64 id);
    void setEnabled(qint64 id, bool enabled);
    void deleteSchedule(qint64 id); // asks first
    // The newest jobs the schedule made, in a dialog.
    void showJobs(qint64 id);
    void refresh();

signals:
    // "Show jobs" was chosen; when something listens (the main window shows the jobs page filtered by
    // the schedule), the page opens no dialog of its own.
    void showJobsRequested(qint64 scheduleId, const QString &name);

private:
    void fitColumns();
    void showMenu(const QPoint &pos);
    void openEditor(const Schedule &initial);
    // Shows a change's refusal (or clears the last one) and reads the list again.
    template<typename T> void finishAction(QFuture<T> change);

    AsyncScheduleService *m_service = nullptr;
    Latest<Result<QList<Schedule>>> m_list; // only the newest list is shown
    Actor m_actor;
    QTableView *m_view = nullptr;
    ScheduleTableModel *m_model = nullptr;
    QLabel *m_message = nullptr;
    QTimer *m_refresh = nullptr;
    QPointer<ScheduleDialog> m_dialog;
    QPointer<QDialog> m_jobsDialog;
};

} // namespace hcm::ui
