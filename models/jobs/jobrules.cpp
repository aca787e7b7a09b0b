#include "jobrules.h"

#include <QCoreApplication>

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

} // namespace hcm
