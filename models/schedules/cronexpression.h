#pragma once

#include "common/error.h"

#include <QList>
#include <QString>
#include <QTimeZone>

#include <bitset>
#include <optional>

namespace hcm {

// A classic five-field cron expression (minute hour day-of-month month day-of-week) with lists
// ("1,15"), ranges ("1-5"), steps ("*/15", "1-5/2", "10/20"), month and weekday names ("JAN", "MON"),
// and the macros @yearly (@annually), @monthly, @weekly, @daily (@midnight) and @hourly.
//
// Day-of-month and day-of-week combine as classic cron does: when both fields are restricted (neither
// starts with '*'), a day matches when EITHER matches; otherwise both must match.
//
// Next run times are computed in a time zone; the daylight-saving rule (docs/schedules.md):
// - a local time that does not exist (spring forward) runs once, at the first valid instant after the
//   gap (02:30 in Europe/Berlin on the last Sunday of March runs at 03:00 CEST);
// - a local time that occurs twice (fall back) runs once, at its first occurrence.
class CronExpression final {
public:
    CronExpression() = default;

    // Parses `text`; the error names the field and says why ("day-of-month: 32 is out of range 1–31").
    static Result<CronExpression> parse(const QString &text);

    bool isValid() const { return m_valid; }
    QString text() const { return m_text; }

    // Plain words, translated: "At 03:00, every day", "Every 15 minutes, Monday through Friday".
    QString describe() const;

    // The first run time strictly after `afterMs` (UTC ms) in `zone`, as UTC ms; nullopt when there is
    // none within eight years (cannot happen for an expression parse() accepted).
    std::optional<qint64> nextAfter(qint64 afterMs, const QTimeZone &zone) const;
    // The next `count` run times after `afterMs`.
    QList<qint64> nextRuns(qint64 afterMs, const QTimeZone &zone, int count) const;

    // Does the calendar day match (months, day-of-month and day-of-week with the classic rule)?
    bool matchesDate(const QDate &date) const;

private:
    std::bitset<60> m_minutes;
    std::bitset<24> m_hours;
    std::bitset<32> m_days;    // 1..31
    std::bitset<13> m_months;  // 1..12
    std::bitset<7> m_weekdays; // 0 = Sunday
    bool m_daysStar = true;
    bool m_weekdaysStar = true;
    bool m_valid = false;
    QString m_text;
    QString m_fieldText[5];
};

// The UTC instant of the wall-clock time `local` in `zone` under the rule above: a time in a gap maps
// to the end of the gap, a repeated time to its first occurrence.
qint64 wallTimeToUtcMs(const QDate &date, const QTime &time, const QTimeZone &zone);

} // namespace hcm
