#include "schedules/cronexpression.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QStringList>

#include <algorithm>
#include <functional>

namespace hcm {

namespace {

// The context of the messages here and of the QT_TRANSLATE_NOOP names below.
struct Tr {
    Q_DECLARE_TR_FUNCTIONS(CronExpression)
};

const char *const kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
const char *const kWeekdayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

const char *const kMonthWords[] = {
    QT_TRANSLATE_NOOP("CronExpression", "January"),   QT_TRANSLATE_NOOP("CronExpression", "February"),
    QT_TRANSLATE_NOOP("CronExpression", "March"),     QT_TRANSLATE_NOOP("CronExpression", "April"),
    QT_TRANSLATE_NOOP("CronExpression", "May"),       QT_TRANSLATE_NOOP("CronExpression", "June"),
    QT_TRANSLATE_NOOP("CronExpression", "July"),      QT_TRANSLATE_NOOP("CronExpression", "August"),
    QT_TRANSLATE_NOOP("CronExpression", "September"), QT_TRANSLATE_NOOP("CronExpression", "October"),
    QT_TRANSLATE_NOOP("CronExpression", "November"),  QT_TRANSLATE_NOOP("CronExpression", "December")};
const char *const kWeekdayWords[] = {
    QT_TRANSLATE_NOOP("CronExpression", "Sunday"),   QT_TRANSLATE_NOOP("CronExpression", "Monday"),
    QT_TRANSLATE_NOOP("CronExpression", "Tuesday"),  QT_TRANSLATE_NOOP("CronExpression", "Wednesday"),
    QT_TRANSLATE_NOOP("CronExpression", "Thursday"), QT_TRANSLATE_NOOP("CronExpression", "Friday"),
    QT_TRANSLATE_NOOP("CronExpression", "Saturday")};

struct FieldSpec {
    const char *name; // as the error messages name the field
    int min;
    int max;
    const char *const *names; // or nullptr
    int nameCount;
    int nameBase; // the value of names[0]
};

const FieldSpec kFields[5] = {
    {QT_TRANSLATE_NOOP("CronExpression", "minute"), 0, 59, nullptr, 0, 0},
    {QT_TRANSLATE_NOOP("CronExpression", "hour"), 0, 23, nullptr, 0, 0},
    {QT_TRANSLATE_NOOP("CronExpression", "day-of-month"), 1, 31, nullptr, 0, 0},
    {QT_TRANSLATE_NOOP("CronExpression", "month"), 1, 12, kMonthNames, 12, 1},
    // 7 is Sunday too, as in every cron since Vixie's.
    {QT_TRANSLATE_NOOP("CronExpression", "day-of-week"), 0, 7, kWeekdayNames, 7, 0},
};

Error fieldError(const FieldSpec &spec, const QString &why)
{
    return Error{Error::Code::Invalid, Tr::tr("%1: %2").arg(Tr::tr(spec.name), why)};
}

// One value: a number or (months, weekdays) a three-letter name.
Result<int> parseValue(const FieldSpec &spec, const QString &text)
{
    if (text.isEmpty())
        return fieldError(spec, Tr::tr("a value is missing"));
    bool isNumber = false;
    const int number = text.toInt(&isNumber);
    if (isNumber && text.at(0).isDigit()) {
        if (number < spec.min || number > spec.max)
            return fieldError(spec,
                              Tr::tr("%1 is out of range %2–%3").arg(number).arg(spec.min).arg(spec.max));
        return number;
    }
    if (spec.names) {
        for (int i = 0; i < spec.nameCount; ++i) {
            if (text.compare(QLatin1String(spec.names[i]), Qt::CaseInsensitive) == 0)
                return spec.nameBase + i;
        }
        return fieldError(spec, Tr::tr("'%1' is neither a number nor a name (%2–%3)")
                                    .arg(text, QLatin1String(spec.names[0]),
                                         QLatin1String(spec.names[spec.nameCount - 1])));
    }
    return fieldError(spec, Tr::tr("'%1' is not a number").arg(text));
}

// One field into `bits` (bit i = value i). A field is a comma-separated list of items; an item is
// "*", a value, or a range "a-b", each optionally followed by "/step". "a/step" runs from a to the end.
template<size_t N> Status parseField(const FieldSpec &spec, const QString &text, std::bitset<N> &bits)
{
    const QStringList items = text.split(QLatin1Char(','));
    for (const QString &item : items) {
        if (item.isEmpty())
            return fieldError(spec, Tr::tr("empty item in the list '%1'").arg(text));
        QString range = item;
        int step = 1;
        bool hasStep = false;
        if (const qsizetype slash = item.indexOf(QLatin1Char('/')); slash >= 0) {
            range = item.left(slash);
            const QString stepText = item.mid(slash + 1);
            bool ok = false;
            step = stepText.toInt(&ok);
            if (!ok || stepText.isEmpty() || !stepText.at(0).isDigit())
                return fieldError(spec, Tr::tr("step '%1' is not a number").arg(stepText));
            if (step < 1)
                return fieldError(spec, Tr::tr("step %1 must be at least 1").arg(step));
            if (step > spec.max - spec.min)
                return fieldError(
                    spec,
                    Tr::tr("step %1 is larger than the range %2–%3").arg(step).arg(spec.min).arg(spec.max));
            hasStep = true;
        }
        int low = spec.min;
        int high = spec.max;
        if (range == QLatin1String("*")) {
            // the whole range
        } else if (const qsizetype dash = range.indexOf(QLatin1Char('-')); dash > 0) {
            const auto first = parseValue(spec, range.left(dash));
            if (!first)
                return first.error();
            const auto last = parseValue(spec, range.mid(dash + 1));
            if (!last)
                return last.error();
            low = *first;
            high = *last;
            if (low > high)
                return fieldError(
                    spec, Tr::tr("range %1 runs backwards (%2 is after %3)").arg(range).arg(low).arg(high));
        } else {
            const auto value = parseValue(spec, range);
            if (!value)
                return value.error();
            low = *value;
            high = hasStep ? spec.max : *value;
        }
        for (int v = low; v <= high; v += step)
            bits.set(spec.max == 7 && v == 7 ? 0 : size_t(v)); // day-of-week 7 is Sunday
    }
    return {};
}

int daysInMonthMax(int month) // in any year: February has 29 in leap years
{
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return days[month - 1];
}

// Consecutive runs of set bits in [from, to] as "a", "a–b" parts, named by `word`.
template<size_t N>
QStringList runs(const std::bitset<N> &bits, int from, int to, const std::function<QString(int)> &word)
{
    QStringList parts;
    int v = from;
    while (v <= to) {
        if (!bits.test(size_t(v))) {
            ++v;
            continue;
        }
        int end = v;
        while (end + 1 <= to && bits.test(size_t(end + 1)))
            ++end;
        if (end - v >= 2)
            parts << Tr::tr("%1 through %2").arg(word(v), word(end));
        else if (end == v)
            parts << word(v);
        else
            parts << word(v) << word(end);
        v = end + 1;
    }
    return parts;
}

QString joinWords(const QStringList &parts)
{
    if (parts.size() <= 1)
        return parts.value(0);
    return Tr::tr("%1 and %2").arg(parts.mid(0, parts.size() - 1).join(QLatin1String(", ")), parts.last());
}

// "*/n" over the whole field, or 0.
int wholeStep(const QString &field)
{
    if (!field.startsWith(QLatin1String("*/")))
        return 0;
    bool ok = false;
    const int step = field.mid(2).toInt(&ok);
    return ok ? step : 0;
}

qint64 offsetAtMs(const QTimeZone &zone, qint64 utcMs)
{
    return qint64(zone.offsetFromUtc(QDateTime::fromMSecsSinceEpoch(utcMs, QTimeZone::utc()))) * 1000;
}

} // namespace

qint64 wallTimeToUtcMs(const QDate &date, const QTime &time, const QTimeZone &zone)
{
    const qint64 wall = QDateTime(date, time, QTimeZone::utc()).toMSecsSinceEpoch();
    constexpr qint64 kDay = 86'400'000;
    // Every offset in force within a day of this instant: a wall time maps to at most two of them.
    const qint64 offsets[] = {offsetAtMs(zone, wall - kDay), offsetAtMs(zone, wall),
                              offsetAtMs(zone, wall + kDay)};
    std::optional<qint64> best;
    for (qint64 offset : offsets) {
        const qint64 utc = wall - offset;
        if (offsetAtMs(zone, utc) == offset && (!best || utc < *best))
            best = utc; // the first occurrence of a repeated time
    }
    if (best)
        return *best;
    // In a gap: the first valid instant after it is the transition itself. Between `low` (wall read
    // with the later, larger offset: still before the transition) and `high` (after it), find it.
    qint64 low = wall - std::max({offsets[0], offsets[1], offsets[2]});
    qint64 high = wall - std::min({offsets[0], offsets[1], offsets[2]});
    const qint64 before = offsetAtMs(zone, low);
    while (high - low > 1000) {
        const qint64 mid = low + (high - low) / 2;
        if (offsetAtMs(zone, mid) == before)
            low = mid;
        else
            high = mid;
    }
    // Transitions fall on whole seconds: the one multiple of 1000 in (low, high].
    const qint64 floorSeconds = low >= 0 ? low / 1000 : -((-low + 999) / 1000);
    return (floorSeconds + 1) * 1000;
}

Result<CronExpression> CronExpression::parse(const QString &input)
{
    const QString text = input.simplified();
    if (text.isEmpty())
        return Error{Error::Code::Invalid, Tr::tr("the expression is empty")};
    QString expanded = text;
    if (text.startsWith(QLatin1Char('@'))) {
        const QString macro = text.toLower();
        if (macro == QLatin1String("@yearly") || macro == QLatin1String("@annually"))
            expanded = QStringLiteral("0 0 1 1 *");
        else if (macro == QLatin1String("@monthly"))
            expanded = QStringLiteral("0 0 1 * *");
        else if (macro == QLatin1String("@weekly"))
            expanded = QStringLiteral("0 0 * * 0");
        else if (macro == QLatin1String("@daily") || macro == QLatin1String("@midnight"))
            expanded = QStringLiteral("0 0 * * *");
        else if (macro == QLatin1String("@hourly"))
            expanded = QStringLiteral("0 * * * *");
        else
            return Error{Error::Code::Invalid,
                         Tr::tr("unknown macro %1 (known: @yearly, @annually, @monthly, @weekly, @daily, "
                                "@midnight, @hourly)")
                             .arg(text)};
    }
    const QStringList fields = expanded.split(QLatin1Char(' '));
    if (fields.size() != 5)
        return Error{Error::Code::Invalid,
                     Tr::tr("expected 5 fields (minute hour day-of-month month day-of-week), got %1")
                         .arg(fields.size())};
    CronExpression e;
    Status s = parseField(kFields[0], fields[0], e.m_minutes);
    if (s)
        s = parseField(kFields[1], fields[1], e.m_hours);
    if (s)
        s = parseField(kFields[2], fields[2], e.m_days);
    if (s)
        s = parseField(kFields[3], fields[3], e.m_months);
    if (s)
        s = parseField(kFields[4], fields[4], e.m_weekdays);
    if (!s)
        return s.error();
    for (int i = 0; i < 5; ++i)
        e.m_fieldText[i] = fields[i];
    e.m_daysStar = fields[2].startsWith(QLatin1Char('*'));
    e.m_weekdaysStar = fields[4].startsWith(QLatin1Char('*'));

    // A day-of-month that no chosen month has never runs (unless the weekday field adds days).
    if (e.m_weekdaysStar || e.m_daysStar) {
        bool someDay = false;
        for (int m = 1; m <= 12 && !someDay; ++m) {
            if (!e.m_months.test(size_t(m)))
                continue;
            for (int d = 1; d <= daysInMonthMax(m) && !someDay; ++d)
                someDay = e.m_days.test(size_t(d));
        }
        if (!someDay)
            return Error{Error::Code::Invalid,
                         Tr::tr("day-of-month: %1 does not occur in month %2, so the expression never runs")
                             .arg(fields[2], fields[3])};
    }
    e.m_text = text;
    e.m_valid = true;
    return e;
}

bool CronExpression::matchesDate(const QDate &date) const
{
    if (!m_months.test(size_t(date.month())))
        return false;
    const bool day = m_days.test(size_t(date.day()));
    const bool weekday = m_weekdays.test(size_t(date.dayOfWeek() % 7));
    if (!m_daysStar && !m_weekdaysStar)
        return day || weekday;
    return day && weekday;
}

std::optional<qint64> CronExpression::nextAfter(qint64 afterMs, const QTimeZone &zone) const
{
    if (!m_valid || !zone.isValid())
        return std::nullopt;
    const QDateTime afterLocal = QDateTime::fromMSecsSinceEpoch(afterMs, zone);
    QDate date = afterLocal.date();
    // A wall time earlier than the wall time of `afterMs` maps to an instant at or before it (a gap
    // maps forward only to its own end; a repeated time maps to its first occurrence), so the search
    // starts at the current wall minute of the first day.
    const int firstMinuteOfDay = afterLocal.time().hour() * 60 + afterLocal.time().minute();
    bool firstDay = true;
    for (int i = 0; i < 366 * 8 + 2; ++i, date = date.addDays(1), firstDay = false) {
        if (!m_months.test(size_t(date.month()))) {
            date = QDate(date.year(), date.month(), 1).addMonths(1).addDays(-1);
            continue;
        }
        if (!matchesDate(date))
            continue;
        for (int h = 0; h < 24; ++h) {
            if (!m_hours.test(size_t(h)) || (firstDay && h * 60 + 59 < firstMinuteOfDay))
                continue;
            for (int m = 0; m < 60; ++m) {
                if (!m_minutes.test(size_t(m)) || (firstDay && h * 60 + m < firstMinuteOfDay))
                    continue;
                const qint64 utc = wallTimeToUtcMs(date, QTime(h, m), zone);
                if (utc > afterMs)
                    return utc;
            }
        }
    }
    return std::nullopt;
}

QList<qint64> CronExpression::nextRuns(qint64 afterMs, const QTimeZone &zone, int count) const
{
    QList<qint64> out;
    qint64 t = afterMs;
    while (out.size() < count) {
        const auto next = nextAfter(t, zone);
        if (!next)
            break;
        out << *next;
        t = *next;
    }
    return out;
}

QString CronExpression::describe() const
{
    if (!m_valid)
        return {};
    const auto number = [](int v) { return QString::number(v); };
    const auto two = [](int v) { return QStringLiteral("%1").arg(v, 2, 10, QLatin1Char('0')); };
    const bool allMinutes = m_minutes.all();
    const bool allHours = m_hours.all();
    const size_t minuteCount = m_minutes.count();
    const size_t hourCount = m_hours.count();

    QString time;
    if (allMinutes && allHours) {
        time = Tr::tr("Every minute");
    } else if (allHours && wholeStep(m_fieldText[0]) > 0) {
        time = Tr::tr("Every %1 minutes").arg(wholeStep(m_fieldText[0]));
    } else if (allMinutes) {
        time = Tr::tr("Every minute during hour %1").arg(joinWords(runs(m_hours, 0, 23, number)));
    } else if (allHours) {
        time = minuteCount == 1 && m_minutes.test(0)
                   ? Tr::tr("Every hour")
                   : Tr::tr("At minute %1 past every hour").arg(joinWords(runs(m_minutes, 0, 59, number)));
    } else if (minuteCount * hourCount <= 6) {
        QStringList times;
        for (int h = 0; h < 24; ++h)
            for (int m = 0; m < 60; ++m)
                if (m_hours.test(size_t(h)) && m_minutes.test(size_t(m)))
                    times << two(h) + QLatin1Char(':') + two(m);
        time = Tr::tr("At %1").arg(joinWords(times));
    } else if (wholeStep(m_fieldText[1]) > 0) {
        time = Tr::tr("At minute %1 past every %2 hours")
                   .arg(joinWords(runs(m_minutes, 0, 59, number)))
                   .arg(wholeStep(m_fieldText[1]));
    } else {
        time = Tr::tr("At minute %1 past hour %2")
                   .arg(joinWords(runs(m_minutes, 0, 59, number)), joinWords(runs(m_hours, 0, 23, number)));
    }

    const auto weekdayWord = [](int v) { return Tr::tr(kWeekdayWords[v % 7]); };
    const auto monthWord = [](int v) { return Tr::tr(kMonthWords[v - 1]); };
    const bool allDays = m_days.count() == 31;
    const bool allWeekdays = m_weekdays.all();
    const QString dayList = joinWords(runs(m_days, 1, 31, number));
    // Monday first, Sunday last (7): "Saturday and Sunday" reads as one weekend.
    std::bitset<8> mondayFirst;
    for (int d = 1; d <= 7; ++d)
        mondayFirst.set(size_t(d), m_weekdays.test(size_t(d % 7)));
    const QString weekdayList = joinWords(runs(mondayFirst, 1, 7, weekdayWord));
    QString days;
    if (!m_daysStar && !m_weekdaysStar)
        days = Tr::tr("on day %1 of the month or on %2").arg(dayList, weekdayList);
    else if (allDays && allWeekdays)
        days = Tr::tr("every day");
    else if (allDays)
        days = Tr::tr("on %1").arg(weekdayList);
    else if (allWeekdays)
        days = Tr::tr("on day %1 of the month").arg(dayList);
    else
        days = Tr::tr("on day %1 of the month if it is a %2").arg(dayList, weekdayList);

    QString text = Tr::tr("%1, %2").arg(time, days);
    if (m_months.count() != 12)
        text = Tr::tr("%1, in %2").arg(text, joinWords(runs(m_months, 1, 12, monthWord)));
    return text;
}

} // namespace hcm
