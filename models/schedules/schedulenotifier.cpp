#include "schedules/schedulenotifier.h"

namespace hcm {

ScheduleNotifier *ScheduleNotifier::instance()
{
    static ScheduleNotifier notifier;
    return &notifier;
}

} // namespace hcm
