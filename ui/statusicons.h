#pragma once

#include "jobs/job.h"

#include <QColor>
#include <QIcon>

namespace hcm::ui {

// Icons and colours of job statuses, shared by the table, the filter list and the details view.
// Icons come from the resources (:/icons/status-*.svg).
QIcon statusIcon(JobStatus status, bool retrying = false);
QIcon allStatusesIcon();
QColor statusColor(JobStatus status, bool retrying = false);
QIcon icon(const char *name);  // ":/icons/<name>.svg"

} // namespace hcm::ui
