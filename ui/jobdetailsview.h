#pragma once

#include "common/clock.h"
#include "jobs/job.h"
#include "settings/deliverystore.h"

#include <QTimer>
#include <QWidget>

#include <memory>

class QGridLayout;
class QLabel;
class QPlainTextEdit;
class QScrollArea;
class QStackedWidget;
class QTableWidget;

namespace hcm::ui {

class DeliveryLogView;
class RetryTimeline;

// Everything about one job, read-only: header with status, a field grid, the error, payload and
// result as JSON, the attempts and a retry timeline with the predicted next attempts (RetryPolicy).
// It only displays a Job it is given; JobDetailsDialog does the loading. Relative times ("next
// attempt in 4 min") and the timeline's "now" tick every second (kTickMs).
class JobDetailsView final : public QWidget {
    Q_OBJECT
public:
    static constexpr int kTickMs = 1000;
    explicit JobDetailsView(QWidget *parent = nullptr);
    ~JobDetailsView() override;
    Q_DISABLE_COPY_MOVE(JobDetailsView)

    void setJob(const Job &job);
    // Shows no job: "No job selected."
    void clear();
    // Replaces the content with a message ("Loading…", "job_5 does not exist"); jobId() is kept.
    void showMessage(const QString &text, bool isError = false);

    qint64 jobId() const { return m_job.id; }
    const Job &job() const { return m_job; }
    // The clock that "now" comes from (tests use a ManualClock); the system clock by default.
    void setClock(std::shared_ptr<Clock> clock);

    // The notifications sent for job `jobId` (its alerts, or what it delivered itself), shown when it is
    // the job on display; other jobs' lists are ignored. Until they arrive the section says "Loading…".
    void setDeliveries(qint64 jobId, const QList<DeliveryRecord> &deliveries);
    void setDeliveriesError(qint64 jobId, const QString &message);
    const QList<DeliveryRecord> &deliveries() const;

    // The retry timeline as sentences, oldest first ("#1 failed at 10:02", "next attempt in 4 min"):
    // what the painted timeline shows, for tests and screen readers.
    QStringList timelineTexts() const;

    QSize sizeHint() const override { return {500, 700}; }

protected:
    void changeEvent(QEvent *event) override;

private:
    enum Field {
        Priority,
        Attempts,
        Retries,
        Duration,
        Created,
        RunAt,
        Started,
        Completed,
        Worker,
        CreatedBy,
        Schedule, // shown only for the jobs a schedule made
        FieldCount
    };

    void buildUi();
    void refresh();
    void tick();
    void fillAttempts();
    void fillTimeline();
    QLabel *addSection(const QString &title, QWidget *body);
    QString timeText(qint64 ms) const;
    QString relativeText(qint64 ms) const;

    std::shared_ptr<Clock> m_clock;
    Job m_job;
    QStackedWidget *m_stack = nullptr;
    QLabel *m_messageLabel = nullptr;
    QWidget *m_content = nullptr;
    QLabel *m_statusIcon = nullptr;
    QLabel *m_titleLabel = nullptr;
    QLabel *m_statusLabel = nullptr;
    QLabel *m_fieldNames[FieldCount] = {};
    QLabel *m_fieldValues[FieldCount] = {};
    QLabel *m_errorHeading = nullptr;
    QLabel *m_errorLabel = nullptr;
    QLabel *m_retrySummary = nullptr;
    RetryTimeline *m_timeline = nullptr;
    QScrollArea *m_timelineScroll = nullptr;
    QTableWidget *m_attemptsTable = nullptr;
    DeliveryLogView *m_deliveryLog = nullptr;
    QPlainTextEdit *m_payloadEdit = nullptr;
    QPlainTextEdit *m_resultEdit = nullptr;
    QTimer m_tick;
};

} // namespace hcm::ui
