#pragma once

#include "jobs/job.h"

#include <QCoreApplication>
#include <QString>

namespace hcm {

// Which action applies to a job in which state, and in words why not. Used by the store for its error
// messages and by the UI to disable menu entries with a tooltip that says why.
enum class JobAction { Cancel, RetryNow, Delete, Duplicate };

class JobRules final {
    Q_DECLARE_TR_FUNCTIONS(hcm::JobRules)

public:
    JobRules() = delete;
    // An empty string when `action` applies to a job with this status; otherwise the reason it does not.
    static QString whyNot(JobAction action, JobStatus status, bool cancelRequested = false);
    static bool allows(JobAction action, JobStatus status, bool cancelRequested = false)
    {
        return whyNot(action, status, cancelRequested).isEmpty();
    }

    // What the details of a job may say about it, so each label is true for the state it describes.
    // "Attempts:" as "2 of 4" while every attempt was one of the automatic budget; "5 in all" once a
    // manual retry (which restores the budget) or an interrupted attempt (which spends none) made the
    // count exceed it.
    static QString attemptsText(const Job &job);
    // The automatic retries are used up (a failed job with retries left stopped because its error is
    // not retryable).
    static bool retriesExhausted(const Job &job) { return job.retryCount >= job.maxRetries; }
    // Why a failed job's attempts ended: "no retries left" or "not retryable".
    static QString endOfAttemptsText(const Job &job);
    // The label of the time a job finished: "Completed:", "Failed:", "Cancelled:" ("Finished:" for a job
    // that has not finished, whose time is empty).
    static QString finishedAtLabel(JobStatus status);
    // The heading of the job's error message: "Error" for a failed job, "Reason" for a cancelled one,
    // "Last error" (an earlier attempt's) otherwise.
    static QString errorHeading(JobStatus status);

    // A time relative to now for people: "due now", "in under a minute", "in 4 min", "in 2 h 5 min", and a
    // date for times a day or more away ("on 03.01.2099 10:00"). Minutes are rounded to the nearest; the jobs
    // table and the details use this one function, so they agree.
    static QString relativeTime(qint64 targetMs, qint64 nowMs);
};

} // namespace hcm
