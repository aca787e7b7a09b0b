#pragma once

#include "jobs/jobstore.h"

namespace hcm {

// How a registered worker is doing, judged from its registry row.
enum class WorkerState { Running, Lost, Stopped };

// Workers send a heartbeat every lease/3 (10 s with the default 30 s lease). Three default leases
// without one means the process is gone or cut off; its jobs are requeued when their leases expire.
inline constexpr qint64 kWorkerLostAfterMs = 90'000;

inline WorkerState workerState(const WorkerInfo &worker, qint64 nowMs,
                               qint64 lostAfterMs = kWorkerLostAfterMs)
{
    if (worker.stoppedAt > 0)
        return WorkerState::Stopped;
    return nowMs - worker.heartbeatAt > lostAfterMs ? WorkerState::Lost : WorkerState::Running;
}

} // namespace hcm
