#pragma once

#include <QDateTime>
#include <QtGlobal>

#include <atomic>
#include <memory>

namespace hcm {

// Source of "now" for everything that schedules: retries, leases, run_at. Tests inject a ManualClock
// so a backoff of 2, 4 and 8 minutes can be checked without waiting. Times are UTC milliseconds since
// the Unix epoch, the unit every timestamp column uses.
class Clock {
public:
    virtual ~Clock() = default;
    virtual qint64 nowMs() const = 0;

    static std::shared_ptr<Clock> system();
};

class SystemClock final : public Clock {
public:
    qint64 nowMs() const override { return QDateTime::currentMSecsSinceEpoch(); }
};

// A clock that only moves when told to. Thread-safe.
class ManualClock final : public Clock {
public:
    explicit ManualClock(qint64 startMs = 1'700'000'000'000)
        : m_now(startMs)
    {}
    qint64 nowMs() const override { return m_now.load(); }
    void setMs(qint64 ms) { m_now.store(ms); }
    void advanceMs(qint64 ms) { m_now.fetch_add(ms); }

private:
    std::atomic<qint64> m_now;
};

inline std::shared_ptr<Clock> Clock::system()
{
    static const auto clock = std::make_shared<SystemClock>();
    return clock;
}

// ISO 8601 in UTC with millisecond precision ("2026-01-07T10:15:32.123Z"); empty for 0 (unset).
QString isoUtc(qint64 ms);

} // namespace hcm
