#include "jobnotifier.h"

namespace hcm {

JobNotifier *JobNotifier::instance()
{
    // Lives as long as the process; has no parent and no thread affinity needs (signals only).
    static JobNotifier *notifier = [] {
        qRegisterMetaType<QList<qint64>>("QList<qint64>");
        return new JobNotifier;
    }();
    return notifier;
}

} // namespace hcm
