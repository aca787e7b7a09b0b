#pragma once

#include <QObject>

namespace hcm {

// The in-process signal of a schedule change (added, edited, switched on or off, deleted, run now):
// schedulers re-read their next wake-up at once, schedule lists refresh. Other processes learn of it
// through NOTIFY hcm_schedules (PostgreSQL) or PRAGMA data_version (SQLite).
class ScheduleNotifier final : public QObject {
    Q_OBJECT
public:
    static ScheduleNotifier *instance();

signals:
    void schedulesChanged();

private:
    ScheduleNotifier() = default;
};

// The LISTEN/NOTIFY channel of schedule changes (PostgreSQL).
inline constexpr char kScheduleChannel[] = "hcm_schedules";

} // namespace hcm
