#pragma once

#include "jobs/job.h"
#include "jobs/joberror.h"

#include <QJsonObject>
#include <QMetaType>
#include <QString>

#include <optional>

namespace hcm {

// What a due slot does while the schedule's previous job is still queued or running.
enum class OverlapPolicy { Skip, Allow };
// What a slot found late (all schedulers were down) does: make one job now, or nothing.
enum class MissedPolicy { RunOnce, Skip };

QString toString(OverlapPolicy policy); // "skip", "allow"
QString toString(MissedPolicy policy);  // "run_once", "skip"
std::optional<OverlapPolicy> overlapPolicyFromString(const QString &text);
std::optional<MissedPolicy> missedPolicyFromString(const QString &text);

// One row of `schedules` (migration 011).
struct Schedule {
    qint64 id = 0;
    QString name;
    QString jobType;
    QJsonObject payload;
    JobPriority priority = JobPriority::Normal;
    int maxRetries = 3;
    QString cron;
    QString timeZone; // IANA id
    bool enabled = true;
    OverlapPolicy overlap = OverlapPolicy::Skip;
    MissedPolicy missed = MissedPolicy::RunOnce;
    qint64 nextRunAt = 0; // UTC ms; 0 when disabled or not computed yet
    qint64 lastRunAt = 0;
    qint64 lastJobId = 0;
    std::optional<JobStatus> lastJobStatus; // of last_job_id, when that job still exists
    qint64 createdAt = 0;
    QString createdBy;
    qint64 updatedAt = 0;
    QString updatedBy;

    // The shape of `hcmctl schedules --json`: snake_case keys, times in ISO 8601.
    QJsonObject toJson() const;
};

// One job a schedule made, for its history.
struct ScheduleRun {
    qint64 jobId = 0;
    JobStatus status = JobStatus::Queued;
    qint64 createdAt = 0;
    qint64 completedAt = 0;
    JobError error; // shown with display(): in the reader's language when the programs made it
};

} // namespace hcm

Q_DECLARE_METATYPE(hcm::Schedule)
Q_DECLARE_METATYPE(hcm::ScheduleRun)
