// The cron parser and next-run computation, table-driven: calendar edge cases, steps, names, the
// day-of-month/day-of-week OR rule, daylight-saving rows in four zones, every error message, and the
// plain-words description.

#include "common/clock.h"
#include "schedules/cronexpression.h"

#include <QDateTime>
#include <QTimeZone>
#include <QtTest>

using namespace hcm;

namespace {

qint64 utc(const char *iso)
{
    const QDateTime t = QDateTime::fromString(QLatin1String(iso), Qt::ISODateWithMs);
    if (!t.isValid())
        qFatal("bad time in a test row: %s", iso);
    return t.toMSecsSinceEpoch();
}

QString iso(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, QTimeZone::utc()).toString(Qt::ISODate);
}

} // namespace

class TstCron : public QObject {
    Q_OBJECT

private slots:
    void zonesExist_data();
    void zonesExist();
    void nextRun_data();
    void nextRun();
    void errors_data();
    void errors();
    void describe_data();
    void describe();
    void nextRunsThroughManualClock();
};

void TstCron::zonesExist_data()
{
    QTest::addColumn<QByteArray>("zone");
    for (const char *z : {"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"})
        QTest::newRow(z) << QByteArray(z);
}

// The DST rows below need these zones in the system's tz database (Debian: tzdata).
void TstCron::zonesExist()
{
    QFETCH(QByteArray, zone);
    QVERIFY(QTimeZone::isTimeZoneIdAvailable(zone));
    QVERIFY(QTimeZone(zone).isValid());
}

void TstCron::nextRun_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<QByteArray>("zone");
    QTest::addColumn<qint64>("after");
    QTest::addColumn<qint64>("expected");

    const auto row = [](const char *name, const char *expr, const char *zone, const char *after,
                        const char *expected) {
        QTest::newRow(name) << QString::fromLatin1(expr) << QByteArray(zone) << utc(after) << utc(expected);
    };
    // Steps, ranges, lists (UTC). 2026-01-01 is a Thursday.
    row("every minute", "* * * * *", "UTC", "2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z");
    row("every minute, mid-minute", "* * * * *", "UTC", "2026-01-01T00:00:30Z", "2026-01-01T00:01:00Z");
    row("*/15 from the hour", "*/15 * * * *", "UTC", "2026-01-01T00:00:00Z", "2026-01-01T00:15:00Z");
    row("*/15 from :44", "*/15 * * * *", "UTC", "2026-01-01T00:44:00Z", "2026-01-01T00:45:00Z");
    row("*/15 from :45", "*/15 * * * *", "UTC", "2026-01-01T00:45:00Z", "2026-01-01T01:00:00Z");
    row("1-5/2 from :01", "1-5/2 * * * *", "UTC", "2026-01-01T00:01:00Z", "2026-01-01T00:03:00Z");
    row("1-5/2 from :05", "1-5/2 * * * *", "UTC", "2026-01-01T00:05:00Z", "2026-01-01T01:01:00Z");
    row("10/20 from :30", "10/20 * * * *", "UTC", "2026-01-01T00:30:00Z", "2026-01-01T00:50:00Z");
    row("10/20 from :50", "10/20 * * * *", "UTC", "2026-01-01T00:50:00Z", "2026-01-01T01:10:00Z");
    row("list 5,10,50", "5,10,50 * * * *", "UTC", "2026-01-01T00:10:00Z", "2026-01-01T00:50:00Z");
    row("hours 8-18/4", "0 8-18/4 * * *", "UTC", "2026-01-01T08:00:00Z", "2026-01-01T12:00:00Z");
    row("hours 8-18/4 wraps to next day", "0 8-18/4 * * *", "UTC", "2026-01-01T16:00:00Z",
        "2026-01-02T08:00:00Z");
    row("*/6 hours", "0 */6 * * *", "UTC", "2026-01-01T05:59:00Z", "2026-01-01T06:00:00Z");
    row("daily 03:00 at 03:00", "0 3 * * *", "UTC", "2026-01-01T03:00:00Z", "2026-01-02T03:00:00Z");
    row("daily 03:00 just before", "0 3 * * *", "UTC", "2026-01-01T02:59:59.999Z", "2026-01-01T03:00:00Z");
    row("extra whitespace", "  0   3 * * *  ", "UTC", "2026-01-01T00:00:00Z", "2026-01-01T03:00:00Z");
    row("last minute of the year", "59 23 31 12 *", "UTC", "2026-01-01T00:00:00Z", "2026-12-31T23:59:00Z");
    row("new year", "0 0 1 1 *", "UTC", "2026-12-31T23:59:59.999Z", "2027-01-01T00:00:00Z");
    // Macros.
    row("@daily", "@daily", "UTC", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z");
    row("@midnight", "@midnight", "UTC", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z");
    row("@hourly", "@hourly", "UTC", "2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z");
    row("@weekly is Sunday", "@weekly", "UTC", "2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z");
    row("@monthly", "@monthly", "UTC", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z");
    row("@yearly", "@yearly", "UTC", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
    row("@annually", "@ANNUALLY", "UTC", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
    // Calendar edges.
    row("Feb 29 waits for a leap year", "0 0 29 2 *", "UTC", "2026-01-01T00:00:00Z", "2028-02-29T00:00:00Z");
    row("Feb 29 to the next leap year", "0 0 29 2 *", "UTC", "2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z");
    row("Feb 28-29 in a common year", "0 0 28-29 2 *", "UTC", "2027-02-28T00:00:00Z", "2028-02-28T00:00:00Z");
    row("31st skips February", "0 0 31 * *", "UTC", "2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z");
    row("31st skips April", "0 0 31 * *", "UTC", "2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z");
    row("30th skips February", "0 12 30 * *", "UTC", "2026-01-30T12:00:00Z", "2026-03-30T12:00:00Z");
    row("whole month of February", "0 0 * 2 *", "UTC", "2026-02-28T00:00:00Z", "2027-02-01T00:00:00Z");
    row("day 15", "0 0 15 * *", "UTC", "2026-01-01T00:00:00Z", "2026-01-15T00:00:00Z");
    // Names.
    row("MON-FRI skips the weekend", "0 9 * * MON-FRI", "UTC", "2026-01-02T09:00:00Z",
        "2026-01-05T09:00:00Z");
    row("mon-fri lower case", "0 9 * * mon-fri", "UTC", "2026-01-02T09:00:00Z", "2026-01-05T09:00:00Z");
    row("1-5 as numbers", "0 9 * * 1-5", "UTC", "2026-01-02T09:00:00Z", "2026-01-05T09:00:00Z");
    row("weekday 7 is Sunday", "0 0 * * 7", "UTC", "2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z");
    row("weekday 0 is Sunday", "0 0 * * 0", "UTC", "2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z");
    row("SAT,SUN", "0 0 * * SAT,SUN", "UTC", "2026-01-01T00:00:00Z", "2026-01-03T00:00:00Z");
    row("Wednesday", "0 0 * * 3", "UTC", "2026-01-01T00:00:00Z", "2026-01-07T00:00:00Z");
    row("JAN,JUL", "0 0 1 JAN,JUL *", "UTC", "2026-01-01T00:00:00Z", "2026-07-01T00:00:00Z");
    row("jun-aug", "0 0 1 jun-aug *", "UTC", "2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z");
    // Both day fields restricted: either matches.
    row("13th or Friday: a Friday", "0 0 13 * FRI", "UTC", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z");
    row("13th or Friday: next Friday", "0 0 13 * FRI", "UTC", "2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z");
    row("13th or Friday: the 13th (a Tuesday)", "0 0 13 * FRI", "UTC", "2026-01-09T00:00:00Z",
        "2026-01-13T00:00:00Z");
    row("1st or Monday: a Monday", "0 0 1 * MON", "UTC", "2026-01-01T00:00:00Z", "2026-01-05T00:00:00Z");
    row("1st or Monday: the 1st (a Sunday)", "0 0 1 * MON", "UTC", "2026-01-26T00:00:00Z",
        "2026-02-01T00:00:00Z");
    row("Feb 29 or Monday in February", "0 0 29 2 1", "UTC", "2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z");
    // A day-of-month starting with '*' is not restricted (classic cron): both must match.
    row("*/2 and Monday: odd Monday", "0 0 */2 * MON", "UTC", "2026-01-01T00:00:00Z", "2026-01-05T00:00:00Z");
    row("*/2 and Monday: skips the 12th", "0 0 */2 * MON", "UTC", "2026-01-05T00:00:00Z",
        "2026-01-19T00:00:00Z");
    // Zones without daylight saving.
    row("Kathmandu +05:45", "0 3 * * *", "Asia/Kathmandu", "2026-01-01T00:00:00Z", "2026-01-01T21:15:00Z");
    row("Kathmandu quarter hours", "*/15 * * * *", "Asia/Kathmandu", "2026-01-01T00:00:00Z",
        "2026-01-01T00:15:00Z");
    // 1986-01-01 00:00 +05:30 became 00:15 +05:45: 00:05 does not exist and runs at 00:15.
    row("Kathmandu 1986 gap", "5 0 1 1 *", "Asia/Kathmandu", "1985-12-31T12:00:00Z", "1985-12-31T18:30:00Z");
    row("Lord Howe summer +11", "0 3 * * *", "Australia/Lord_Howe", "2026-01-01T00:00:00Z",
        "2026-01-01T16:00:00Z");
    // Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z); 2026-10-25 03:00 CEST -> 02:00 CET
    // (01:00Z).
    row("Berlin 02:30 on spring-forward day", "30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z",
        "2026-03-29T01:00:00Z");
    row("Berlin 02:30 the day after", "30 2 * * *", "Europe/Berlin", "2026-03-29T01:00:00Z",
        "2026-03-30T00:30:00Z");
    row("Berlin 03:00 on spring-forward day", "0 3 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z",
        "2026-03-29T01:00:00Z");
    row("Berlin */15 into the gap", "*/15 * * * *", "Europe/Berlin", "2026-03-29T00:50:00Z",
        "2026-03-29T01:00:00Z");
    row("Berlin */15 gap runs once", "*/15 * * * *", "Europe/Berlin", "2026-03-29T01:00:00Z",
        "2026-03-29T01:15:00Z");
    row("Berlin 02:30 on fall-back day, first", "30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z",
        "2026-10-25T00:30:00Z");
    row("Berlin 02:30 on fall-back day, not twice", "30 2 * * *", "Europe/Berlin", "2026-10-25T00:30:00Z",
        "2026-10-26T01:30:00Z");
    row("Berlin */30 skips the repeated hour", "*/30 * * * *", "Europe/Berlin", "2026-10-25T00:30:00Z",
        "2026-10-25T02:00:00Z");
    row("Berlin 02:00 from inside the repeat", "0 2 * * *", "Europe/Berlin", "2026-10-25T01:30:00Z",
        "2026-10-26T01:00:00Z");
    // America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z); 2026-11-01 02:00 EDT -> 01:00 EST
    // (06:00Z).
    row("New York 02:30 on spring-forward day", "30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z",
        "2026-03-08T07:00:00Z");
    row("New York 02:30 the day after", "30 2 * * *", "America/New_York", "2026-03-08T07:00:00Z",
        "2026-03-09T06:30:00Z");
    row("New York 01:30 on fall-back day, first", "30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z",
        "2026-11-01T05:30:00Z");
    row("New York 01:30 on fall-back day, not twice", "30 1 * * *", "America/New_York",
        "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z");
    row("New York hourly skips the repeated 01:00", "0 * * * *", "America/New_York", "2026-11-01T05:00:00Z",
        "2026-11-01T07:00:00Z");
    // Australia/Lord_Howe shifts by 30 minutes: 2026-10-04 02:00 +10:30 -> 02:30 +11 (15:30Z on the 3rd);
    // 2026-04-05 02:00 +11 -> 01:30 +10:30 (15:00Z on the 4th).
    row("Lord Howe 02:15 in the gap", "15 2 * * *", "Australia/Lord_Howe", "2026-10-03T00:00:00Z",
        "2026-10-03T15:30:00Z");
    row("Lord Howe 02:00 is the gap's start", "0 2 * * *", "Australia/Lord_Howe", "2026-10-03T00:00:00Z",
        "2026-10-03T15:30:00Z");
    row("Lord Howe 02:30 the gap's end", "30 2 * * *", "Australia/Lord_Howe", "2026-10-03T00:00:00Z",
        "2026-10-03T15:30:00Z");
    row("Lord Howe 01:45 on fall-back day, first", "45 1 * * *", "Australia/Lord_Howe",
        "2026-04-04T00:00:00Z", "2026-04-04T14:45:00Z");
    row("Lord Howe 01:45 on fall-back day, not twice", "45 1 * * *", "Australia/Lord_Howe",
        "2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z");
}

void TstCron::nextRun()
{
    QFETCH(QString, expression);
    QFETCH(QByteArray, zone);
    QFETCH(qint64, after);
    QFETCH(qint64, expected);
    const auto cron = CronExpression::parse(expression);
    QVERIFY2(cron.ok(), cron.ok() ? "" : qPrintable(cron.error().message));
    const QTimeZone tz(zone);
    QVERIFY(tz.isValid());
    const auto next = cron->nextAfter(after, tz);
    QVERIFY(next.has_value());
    QCOMPARE(iso(*next), iso(expected));
}

void TstCron::errors_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<QString>("message");
    const auto row = [](const char *expr, const QString &message) {
        QTest::newRow(expr) << QString::fromLatin1(expr) << message;
    };
    row("", QStringLiteral("the expression is empty"));
    row("   ", QStringLiteral("the expression is empty"));
    row("* * * *", QStringLiteral("expected 5 fields (minute hour day-of-month month day-of-week), got 4"));
    row("* * * * * *",
        QStringLiteral("expected 5 fields (minute hour day-of-month month day-of-week), got 6"));
    row("60 * * * *", QStringLiteral("minute: 60 is out of range 0–59"));
    row("* 24 * * *", QStringLiteral("hour: 24 is out of range 0–23"));
    row("0 0 32 * *", QStringLiteral("day-of-month: 32 is out of range 1–31"));
    row("0 0 0 * *", QStringLiteral("day-of-month: 0 is out of range 1–31"));
    row("0 0 * 13 *", QStringLiteral("month: 13 is out of range 1–12"));
    row("0 0 * * 8", QStringLiteral("day-of-week: 8 is out of range 0–7"));
    row("0 0 * FOO *", QStringLiteral("month: 'FOO' is neither a number nor a name (JAN–DEC)"));
    row("0 0 * * FUN", QStringLiteral("day-of-week: 'FUN' is neither a number nor a name (SUN–SAT)"));
    row("x * * * *", QStringLiteral("minute: 'x' is not a number"));
    row("-5 * * * *", QStringLiteral("minute: '-5' is not a number"));
    row("1- * * * *", QStringLiteral("minute: a value is missing"));
    row("0 0 L * *", QStringLiteral("day-of-month: 'L' is not a number"));
    row("0 0 ? * *", QStringLiteral("day-of-month: '?' is not a number"));
    row("5-1 * * * *", QStringLiteral("minute: range 5-1 runs backwards (5 is after 1)"));
    row("0 0 * * FRI-MON", QStringLiteral("day-of-week: range FRI-MON runs backwards (5 is after 1)"));
    row("*/0 * * * *", QStringLiteral("minute: step 0 must be at least 1"));
    row("*/a * * * *", QStringLiteral("minute: step 'a' is not a number"));
    row("*/60 * * * *", QStringLiteral("minute: step 60 is larger than the range 0–59"));
    row("1,,2 * * * *", QStringLiteral("minute: empty item in the list '1,,2'"));
    row("@often",
        QStringLiteral("unknown macro @often (known: @yearly, @annually, @monthly, @weekly, @daily, "
                       "@midnight, @hourly)"));
    row("0 0 30 2 *",
        QStringLiteral("day-of-month: 30 does not occur in month 2, so the expression never runs"));
    row("0 0 31 4,6 *",
        QStringLiteral("day-of-month: 31 does not occur in month 4,6, so the expression never runs"));
}

void TstCron::errors()
{
    QFETCH(QString, expression);
    QFETCH(QString, message);
    const auto cron = CronExpression::parse(expression);
    QVERIFY(!cron.ok());
    QCOMPARE(cron.error().code, Error::Code::Invalid);
    QCOMPARE(cron.error().message, message);
}

void TstCron::describe_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<QString>("words");
    const auto row = [](const char *expr, const char *words) {
        QTest::newRow(expr) << QString::fromLatin1(expr) << QString::fromLatin1(words);
    };
    row("0 3 * * *", "At 03:00, every day");
    row("30 3 * * *", "At 03:30, every day");
    row("*/15 * * * *", "Every 15 minutes, every day");
    row("* * * * *", "Every minute, every day");
    row("@hourly", "Every hour, every day");
    row("5 * * * *", "At minute 5 past every hour, every day");
    row("0 9 * * MON-FRI", "At 09:00, on Monday through Friday");
    row("0 9 * * 5-7", "At 09:00, on Friday through Sunday");
    row("0 9 * * 0,6", "At 09:00, on Saturday and Sunday");
    row("0 8,17 * * SAT,SUN", "At 08:00 and 17:00, on Saturday and Sunday");
    row("0 0 1 * *", "At 00:00, on day 1 of the month");
    row("0 0 13 * FRI", "At 00:00, on day 13 of the month or on Friday");
    row("30 2 1 JAN,JUL *", "At 02:30, on day 1 of the month, in January and July");
    row("0 */2 * * *", "At minute 0 past every 2 hours, every day");
}

void TstCron::describe()
{
    QFETCH(QString, expression);
    QFETCH(QString, words);
    const auto cron = CronExpression::parse(expression);
    QVERIFY2(cron.ok(), cron.ok() ? "" : qPrintable(cron.error().message));
    QCOMPARE(cron->describe(), words);
}

// A daily 02:30 schedule in Berlin driven day by day by a manual clock across both transitions of 2026:
// exactly one run per local day, the spring-forward one at 03:00 CEST, the fall-back one at the first
// 02:30.
void TstCron::nextRunsThroughManualClock()
{
    const auto cron = CronExpression::parse(QStringLiteral("30 2 * * *"));
    QVERIFY(cron.ok());
    const QTimeZone berlin("Europe/Berlin");
    ManualClock clock(utc("2026-01-01T00:00:00Z"));
    QMap<QDate, int> runsPerDay;
    while (clock.nowMs() < utc("2027-01-01T00:00:00Z")) {
        const auto next = cron->nextAfter(clock.nowMs(), berlin);
        QVERIFY(next.has_value());
        QVERIFY(*next > clock.nowMs());
        clock.setMs(*next);
        const QDateTime local = QDateTime::fromMSecsSinceEpoch(*next, berlin);
        ++runsPerDay[local.date()];
        if (local.date() == QDate(2026, 3, 29))
            QCOMPARE(local.time(), QTime(3, 0));
        else if (local.date().year() == 2026)
            QCOMPARE(local.time(), QTime(2, 30));
    }
    QCOMPARE(runsPerDay.value(QDate(2026, 3, 29)), 1);
    QCOMPARE(runsPerDay.value(QDate(2026, 10, 25)), 1);
    QCOMPARE(runsPerDay.size(), 366); // 365 days of 2026 and the first run of 2027
    for (auto it = runsPerDay.cbegin(); it != runsPerDay.cend(); ++it)
        QCOMPARE(it.value(), 1);
    const auto five = cron->nextRuns(utc("2026-03-27T00:00:00Z"), berlin, 5);
    QCOMPARE(five.size(), 5);
    QCOMPARE(iso(five[2]), iso(utc("2026-03-29T01:00:00Z")));
}

QTEST_GUILESS_MAIN(TstCron)
#include "tst_cron.moc"
