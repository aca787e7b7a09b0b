#include "jobcontext.h"

#include <QThread>

namespace hcm {

bool JobContext::sleepFor(int ms)
{
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!isStopRequested()) {
        const auto left =
            std::chrono::ceil<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return true;
        QThread::msleep(static_cast<unsigned long>(qMin<qint64>(left.count(), 20)));
    }
    return false;
}

} // namespace hcm
