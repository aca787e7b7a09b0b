#pragma once

#include "auth/actor.h"
#include "jobs/asyncjobservice.h"

#include <QDialog>
#include <QPointer>
#include <QTimer>

class QPushButton;

namespace hcm::ui {

class AuditHistoryDialog;
class JobDetailsView;

// A non-modal window with the details of one job. It loads through AsyncJobService (showing
// "Loading…" until the answer arrives) and reloads when JobNotifier reports a change of its job,
// coalescing bursts with a 100 ms timer. A failed load (the job was deleted) is shown in the window.
// Its size is remembered across runs. Safe with WA_DeleteOnClose.
class JobDetailsDialog final : public QDialog {
    Q_OBJECT
public:
    JobDetailsDialog(AsyncJobService *service, qint64 jobId, QWidget *parent = nullptr);
    ~JobDetailsDialog() override;
    Q_DISABLE_COPY_MOVE(JobDetailsDialog)

    qint64 jobId() const { return m_jobId; }
    JobDetailsView *view() const { return m_view; }
    // Who looks: "History…" (the job's audit rows) needs Permission::ReadAudit; without an actor the
    // button is disabled with the reason in its tooltip.
    void setActor(const Actor &actor);
    QPushButton *historyButton() const { return m_historyButton; }
    // Opens the job's history (a window of its own); nullptr when the actor may not read the audit trail.
    AuditHistoryDialog *showHistory();

public slots:
    // Asks for the job again now (the notifier path waits for the coalescing timer).
    void reload();

signals:
    // A fresh copy of the job is shown.
    void loaded();
    // The job's notification deliveries are shown (they load after the job).
    void deliveriesLoaded();

protected:
    void done(int result) override;

private:
    void onJobsChanged(const QList<qint64> &ids);
    void loadDeliveries();
    void storeGeometry();

    QPointer<AsyncJobService> m_service;
    qint64 m_jobId;
    JobDetailsView *m_view = nullptr;
    QPushButton *m_historyButton = nullptr;
    QPointer<AuditHistoryDialog> m_history;
    bool m_mayReadAudit = false;
    QTimer m_reloadTimer;
    Latest<Result<Job>> m_job;
    Latest<Result<QList<DeliveryRecord>>> m_deliveries;
};

} // namespace hcm::ui
