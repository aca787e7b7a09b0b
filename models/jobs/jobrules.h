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
};

} // namespace hcm
