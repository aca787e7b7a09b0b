#pragma once

#include "auth/actor.h"
#include "jobs/joberror.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QMetaType>
#include <QString>

#include <optional>

namespace hcm {

enum class JobStatus { Queued, Processing, Completed, Failed, Cancelled };
inline constexpr int kJobStatusCount = 5;

enum class JobPriority { Low = 0, Normal = 1, High = 2, Critical = 3 };

QString toString(JobStatus status);    // "queued", as stored and in the API
QString displayName(JobStatus status); // translated, for people
std::optional<JobStatus> jobStatusFromString(const QString &text);
bool isFinished(JobStatus status); // completed, failed or cancelled

QString toString(JobPriority priority); // "low" … "critical"
QString displayName(JobPriority priority);
std::optional<JobPriority> jobPriorityFromString(const QString &text);

// One execution of a job, finished (a running attempt is the job row itself).
struct JobAttempt {
    qint64 jobId = 0;
    int attempt = 0;
    QString workerId;
    qint64 startedAt = 0;
    qint64 finishedAt = 0;
    QString outcome;     // completed, failed, cancelled, timed_out, lost, interrupted, not_started
    QString error;       // English (the API, hcmctl)
    QString errorCode{}; // the catalogue code of `error` (JobError), empty when it has none
    QJsonObject errorArgs{};

    JobError errorDetail() const { return JobError{errorCode, errorArgs, error}; }
    QJsonObject toJson() const;
};

struct Job {
    qint64 id = 0;
    QString type;
    JobStatus status = JobStatus::Queued;
    JobPriority priority = JobPriority::Normal;
    QJsonObject payload;
    QJsonValue result; // an object, or null
    QString errorMessage;
    int retryCount = 0;
    int maxRetries = 3;
    int attempts = 0;
    qint64 runAt = 0;
    qint64 createdAt = 0;
    qint64 startedAt = 0;
    qint64 completedAt = 0;
    qint64 updatedAt = 0;
    QString createdBy;
    QString workerId;
    qint64 leaseExpiresAt = 0;
    bool cancelRequested = false;
    double progress = -1;          // 0..1, or -1 when the handler reports none
    qint64 scheduleId = 0;         // the schedule that created the job, 0 when none
    QList<JobAttempt> attemptList; // filled by JobService::get
    QString errorCode{};           // the catalogue code of errorMessage (JobError), empty when it has none
    QJsonObject errorArgs{};

    // errorMessage with its code: display() shows it in the reader's language.
    JobError errorDetail() const { return JobError{errorCode, errorArgs, errorMessage}; }

    // "job_42": the id as the HTTP API and hcmctl --json show it.
    QString publicId() const { return publicId(id); }
    static QString publicId(qint64 id);
    // Accepts "job_42" and "42".
    static std::optional<qint64> parseId(const QString &text);

    // The API shape: id, job_type, status, priority, payload, result, error_message, retry_count,
    // max_retries, created_at, started_at, completed_at (+ run_at, attempts, worker_id, created_by,
    // schedule_id: a number, or null when no schedule created the job).
    QJsonObject toJson(bool withAttempts = false) const;
};

// What a caller asks for when creating a job. JobService validates it.
struct NewJob {
    QString type;
    JobPriority priority = JobPriority::Normal;
    QJsonObject payload;
    int maxRetries = 3;
    std::optional<qint64> runAt; // UTC ms; now when empty
};

} // namespace hcm

Q_DECLARE_METATYPE(hcm::Job)
