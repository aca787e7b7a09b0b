#pragma once

#include "jobs/job.h"

#include <QColor>
#include <QIcon>
#include <QPalette>

namespace hcm::ui {

// Icons and colours of job statuses, shared by the table, the filter list and the details view.
// Icons come from the resources (:/icons/status-*.svg).
QIcon statusIcon(JobStatus status, bool retrying = false);
QIcon allStatusesIcon();
QColor statusColor(JobStatus status, bool retrying = false);
QIcon icon(const char *name); // ":/icons/<name>.svg"
// `color` lightened when the palette is dark, so status colours stay readable in a dark theme.
QColor readableOn(const QColor &color, const QPalette &palette);
// The background of an input field whose value is invalid: the palette's base with a touch of red.
QColor invalidFieldBase(const QPalette &palette);

} // namespace hcm::ui
