#include "jobrules.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QLocale>

namespace hcm {

QString JobRules::whyNot(JobAction action, JobStatus status, bool cancelRequested)
{
    switch (action) {
    case JobAction::Cancel:
        if (status == JobStatus::Processing && cancelRequested)
            return tr("cancellation was already requested; the worker is stopping the job");
        if (isFinished(status))
            return tr("the job is already %1; finished jobs cannot be cancelled").arg(toString(status));
        return {};
    case JobAction::RetryNow:
        if (status == JobStatus::Processing)
            return tr("the job is running now");
        if (status == JobStatus::Completed)
            return tr("the job completed; duplicate it to run it again");
        return {}; // failed, cancelled, and queued jobs waiting for their next attempt
    case JobAction::Delete:
        if (!isFinished(status))
            return tr("only finished jobs can be deleted; this one is %1").arg(toString(status));
        return {};
    case JobAction::Duplicate:
        return {};
    }
    return {};
}

QString JobRules::attemptsText(const Job &job)
{
    // Attempts of the current budget: the running or finished one counts once the job left the queue.
    const int budgeted = job.retryCount + (job.status == JobStatus::Queued ? 0 : 1);
    if (job.attempts > budgeted)
        //: attempts of a job whose count exceeds its retry budget (after a manual retry)
        return tr("%n in all", nullptr, job.attempts);
    //: attempts started "of" the most possible (1 + retries)
    return tr("%1 of %2").arg(job.attempts).arg(job.maxRetries + 1);
}

QString JobRules::endOfAttemptsText(const Job &job)
{
    //: the end mark of the retry timeline of a failed job
    return retriesExhausted(job) ? tr("no retries left") : tr("not retryable");
}

QString JobRules::finishedAtLabel(JobStatus status)
{
    switch (status) {
    case JobStatus::Completed:
        return tr("Completed:");
    case JobStatus::Failed:
        return tr("Failed:");
    case JobStatus::Cancelled:
        return tr("Cancelled:");
    case JobStatus::Queued:
    case JobStatus::Processing:
        break;
    }
    return tr("Finished:");
}

QString JobRules::errorHeading(JobStatus status)
{
    if (status == JobStatus::Failed)
        return tr("Error");
    //: heading of the message that says who cancelled a job and when
    if (status == JobStatus::Cancelled)
        return tr("Reason");
    return tr("Last error");
}

QString JobRules::relativeTime(qint64 targetMs, qint64 nowMs)
{
    const qint64 delta = targetMs - nowMs;
    if (delta <= 0)
        return tr("due now");
    if (delta < 60'000)
        return tr("in under a minute");
    const qint64 minutes = (delta + 30'000) / 60'000; // to the nearest minute
    if (minutes < 60)
        return tr("in %n min", nullptr, int(minutes));
    if (minutes < 24 * 60) {
        if (minutes % 60 == 0)
            return tr("in %n h", nullptr, int(minutes / 60));
        //: %1 hours, %2 minutes
        return tr("in %1 h %2 min").arg(minutes / 60).arg(minutes % 60);
    }
    //: a time a day or more away; %1 is its date and time
    return tr("on %1").arg(
        QLocale().toString(QDateTime::fromMSecsSinceEpoch(targetMs), QLocale::ShortFormat));
}

} // namespace hcm
