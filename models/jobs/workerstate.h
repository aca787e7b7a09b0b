#pragma once

#include "jobs/jobstore.h"

#include <algorithm>

namespace hcm {

// How a registered worker is doing, judged from its registry row.
enum class WorkerState { Running, Lost, Stopped };

// Workers send a heartbeat every lease/3. A worker silent for three of its own leases (nine heartbeats)
// is gone or cut off; its jobs are requeued when their leases expire. Workers registered by programs
// that did not record their lease are judged by three default (30 s) leases.
inline constexpr qint64 kWorkerLostAfterMs = 90'000;
inline constexpr int kWorkerLostAfterLeases = 3;
// Never sooner than this: the clock that judges (a desktop's) may be a few seconds off the one that
// stamped the heartbeat (the database server's).
inline constexpr qint64 kWorkerLostAfterMinMs = 10'000;

// How long `worker` may stay without a heartbeat before it is lost.
inline qint64 workerLostAfterMs(const WorkerInfo &worker)
{
    if (worker.leaseMs <= 0)
        return kWorkerLostAfterMs;
    return std::max(kWorkerLostAfterMinMs, kWorkerLostAfterLeases * worker.leaseMs);
}

inline WorkerState workerState(const WorkerInfo &worker, qint64 nowMs)
{
    if (worker.stoppedAt > 0)
        return WorkerState::Stopped;
    return nowMs - worker.heartbeatAt > workerLostAfterMs(worker) ? WorkerState::Lost : WorkerState::Running;
}

} // namespace hcm
