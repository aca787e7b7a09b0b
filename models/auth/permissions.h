#pragma once

#include "auth/actor.h"
#include "common/error.h"

namespace hcm {

// Everything a service call may need permission for. One row per call family; the table that says
// which role may do what is `minimumRole` in permissions.cpp, and nothing else decides it.
enum class Permission {
    ReadJobs,
    CreateJobs,
    CancelJobs,
    RetryJobs,
    DeleteJobs,
    PauseJobTypes,
    ImportJobs,
    ReadWorkers,
    ManageWorkers, // drain, forget
    ReadSchedules,
    RunSchedules,    // "run now"
    ManageSchedules, // add, edit, enable, remove
    ReadSettings,    // never secrets: they are write-only for everyone
    WriteSettings,   // save, rekey
    SendTestMessages,
    ReadAudit,
    ManageUsers,
    ManageTokens,
};

// The least role that holds `permission`.
Role minimumRole(Permission permission);
bool isAllowed(Role role, Permission permission);

// Ok, or Error::Code::Forbidden with a sentence a person can act on, e.g. "Viewer may not cancel
// jobs (needs the Operator role)." Changes nothing; the caller writes the refusal's audit row.
Status authorize(const Actor &actor, Permission permission);

// "cancel jobs", translated: the action in words, for messages and tooltips.
QString permissionDescription(Permission permission);
// "Needs the Operator role": for tooltips of disabled actions.
QString permissionRequirement(Permission permission);
// "jobs.cancel": the stable name used in the audit trail and the API's documentation.
QString permissionKey(Permission permission);

} // namespace hcm
