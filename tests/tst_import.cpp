// Importing job history: `hcmctl jobs import` (the real program) and plain SQL through the view
// background_jobs, on SQLite and PostgreSQL. Counts must equal a GROUP BY afterwards; a bad line is
// reported with its number and nothing is written; on PostgreSQL an INSERT ... SELECT of finished rows
// through the view does the same work per row at 2,000 and at 8,000 rows (buffers touched, not time).

#include "testutil.h"

#include "db/database.h"
#include "jobs/jobstatsstore.h"
#include "jobs/jobtypes.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSqlError>
#include <QSqlQuery>
#include <QtTest>

using namespace hcm;

namespace {

using Run = test::ProgramRun;

std::array<qint64, kJobStatusCount> groupBy(const DbConfig &config)
{
    std::array<qint64, kJobStatusCount> out{};
    auto db = Database::connection(config);
    if (!db)
        return out;
    QSqlQuery q(db.value());
    if (!q.exec(QStringLiteral("SELECT status, COUNT(*) FROM background_jobs GROUP BY status")))
        qWarning("GROUP BY failed: %s", qPrintable(q.lastError().text()));
    while (q.next()) {
        if (const auto st = jobStatusFromString(q.value(0).toString()))
            out[static_cast<int>(*st)] = q.value(1).toLongLong();
    }
    return out;
}

QString countsText(const std::array<qint64, kJobStatusCount> &c)
{
    QStringList parts;
    for (int i = 0; i < kJobStatusCount; ++i)
        parts.append(QStringLiteral("%1=%2").arg(toString(static_cast<JobStatus>(i))).arg(c[i]));
    return parts.join(QLatin1Char(' '));
}

qint64 scalar(const DbConfig &config, const QString &sql)
{
    auto db = Database::connection(config);
    if (!db)
        return -1;
    QSqlQuery q(db.value());
    if (!q.exec(sql) || !q.next()) {
        qWarning("%s: %s", qPrintable(sql), qPrintable(q.lastError().text()));
        return -1;
    }
    return q.value(0).toLongLong();
}

QByteArray line(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n';
}

// The numbers 1..n as a FROM item named g, in either dialect.
QString numbers(const test::TempDatabase &db, int n)
{
    return db.isPostgres() ? QStringLiteral("generate_series(1, %1) AS g").arg(n)
                           : QStringLiteral("(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s "
                                            "WHERE g < %1) SELECT g FROM s)")
                                 .arg(n);
}

// An INSERT ... SELECT through background_jobs of `n` finished rows (completed, failed, cancelled in
// turn; two job types) with ids `firstId` + g, or new ids when `firstId` is negative.
QString insertFinished(const test::TempDatabase &db, int n, qint64 firstId = -1)
{
    return QStringLiteral(
               "INSERT INTO background_jobs (%1job_type, status, payload, attempts, run_at, created_at, "
               "started_at, completed_at, updated_at, created_by) SELECT %2CASE g % 2 WHEN 0 THEN "
               "'legacy.export' ELSE 'legacy.mail' END, CASE g % 3 WHEN 0 THEN 'completed' WHEN 1 "
               "THEN 'failed' ELSE 'cancelled' END, '{}', 1, 1700000000000 + g, 1700000000000 + g, "
               "1700000000000 + g, 1700000001000 + g, 1700000001000 + g, 'import' FROM %3")
        .arg(firstId >= 0 ? QStringLiteral("id, ") : QString(),
             firstId >= 0 ? QStringLiteral("%1 + g, ").arg(firstId) : QString(), numbers(db, n));
}

QJsonObject finishedJob(const QString &status, const QJsonValue &id = {})
{
    QJsonObject o{{QStringLiteral("job_type"), QStringLiteral("legacy.export")},
                  {QStringLiteral("status"), status},
                  {QStringLiteral("priority"), QStringLiteral("low")},
                  {QStringLiteral("payload"), QJsonObject{{QStringLiteral("file"), QStringLiteral("a.csv")}}},
                  {QStringLiteral("created_at"), QStringLiteral("2025-03-01T08:00:00.000Z")},
                  {QStringLiteral("started_at"), QStringLiteral("2025-03-01T08:00:01.000Z")},
                  {QStringLiteral("completed_at"), QStringLiteral("2025-03-01T08:00:09.500Z")},
                  {QStringLiteral("attempts"), 2},
                  {QStringLiteral("retry_count"), 1}};
    if (!id.isUndefined())
        o.insert(QStringLiteral("id"), id);
    return o;
}

} // namespace

class TestImport : public QObject {
    Q_OBJECT

private slots:
    void initTestCase_data() { test::addBackendRows(); }
    void initTestCase() { JobTypeCatalog::enableTestTypes(); }

    void importThroughHcmctl();
    void badLinesChangeNothing();
    void importOfManyBatches();
    void sqlInsertSelectThroughTheView();
    void finishedRowsThroughTheViewCountedPerStatement();
    void duplicateIdsThroughTheViewChangeNothing();
    void finishedRowsThroughTheViewCostTheSamePerRow();

private:
    void checkCounts(const test::TempDatabase &db);
};

// Maintained counts (where the database keeps them) and `hcmctl jobs counts` equal a GROUP BY.
void TestImport::checkCounts(const test::TempDatabase &db)
{
    const auto expected = groupBy(db.config());
    const QString mismatch = test::countsMismatch(db.config());
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    const Run r =
        test::runHcmctl(db, {QStringLiteral("--json"), QStringLiteral("jobs"), QStringLiteral("counts")});
    QVERIFY2(r.code == 0, r.describe().constData());
    const QJsonObject o = QJsonDocument::fromJson(r.out.toUtf8()).object();
    std::array<qint64, kJobStatusCount> shown{};
    for (int i = 0; i < kJobStatusCount; ++i)
        shown[i] = o.value(toString(static_cast<JobStatus>(i))).toInteger(-1);
    QCOMPARE(countsText(shown), countsText(expected));
}

void TestImport::importThroughHcmctl()
{
    HCM_TEMP_DATABASE(db);
    // A job enqueued before the import: its id must not be taken by the imported ones.
    const Run first =
        test::runHcmctl(db, {QStringLiteral("jobs"), QStringLiteral("enqueue"), QStringLiteral("cache_flush"),
                             QStringLiteral("--payload"), QStringLiteral("{\"action\": \"expired\"}")});
    QVERIFY2(first.code == 0, first.describe().constData());
    QCOMPARE(first.out.trimmed(), QStringLiteral("job_1"));

    QByteArray file;
    file += line(QJsonObject{
        {QStringLiteral("id"), QStringLiteral("job_40")},
        {QStringLiteral("job_type"), QStringLiteral("cache_flush")},
        {QStringLiteral("payload"), QJsonObject{{QStringLiteral("action"), QStringLiteral("full")}}},
        {QStringLiteral("status"), QStringLiteral("queued")},
        {QStringLiteral("priority"), QStringLiteral("high")},
        {QStringLiteral("max_retries"), 5}});
    QJsonObject completed = finishedJob(QStringLiteral("completed"), QStringLiteral("job_41"));
    completed.insert(QStringLiteral("result"), QJsonObject{{QStringLiteral("rows"), 12}});
    completed.insert(QStringLiteral("attempt_history"), QJsonArray{}); // as `jobs show --json` prints it
    file += line(completed);
    file += "\n"; // blank lines are skipped
    QJsonObject failed = finishedJob(QStringLiteral("failed"), 1000);
    // Text that JSON and SQL must escape, and text beyond ASCII, comes back as it went in.
    const QString awkward =
        QStringLiteral("disk full: \"/var\" isn't \\ writable\n\ttab \u00fc \U0001F600 \x01");
    failed.insert(QStringLiteral("error_message"), awkward);
    failed.insert(QStringLiteral("payload"), QJsonObject{{QStringLiteral("note"), awkward}});
    file += line(failed);
    file += line(finishedJob(QStringLiteral("cancelled"))); // no id: a new one
    QTemporaryDir dir;
    QFile f(dir.filePath(QStringLiteral("history.jsonl")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(file);
    f.close();

    Run r = test::runHcmctl(
        db, {QStringLiteral("--json"), QStringLiteral("jobs"), QStringLiteral("import"), f.fileName()});
    QVERIFY2(r.code == 0, r.describe().constData());
    const QJsonObject report = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(report.value(QStringLiteral("imported")).toInteger(), 4);
    QCOMPARE(report.value(QStringLiteral("lines")).toInteger(), 5);
    QCOMPARE(report.value(QStringLiteral("by_status")).toObject().value(QStringLiteral("failed")).toInteger(),
             1);

    r = test::runHcmctl(db, {QStringLiteral("--json"), QStringLiteral("jobs"), QStringLiteral("show"),
                             QStringLiteral("job_41")});
    QVERIFY2(r.code == 0, r.describe().constData());
    const QJsonObject shown = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(shown.value(QStringLiteral("status")).toString(), QStringLiteral("completed"));
    QCOMPARE(shown.value(QStringLiteral("job_type")).toString(), QStringLiteral("legacy.export"));
    QCOMPARE(shown.value(QStringLiteral("priority")).toString(), QStringLiteral("low"));
    QCOMPARE(shown.value(QStringLiteral("attempts")).toInt(), 2);
    QCOMPARE(shown.value(QStringLiteral("retry_count")).toInt(), 1);
    QCOMPARE(shown.value(QStringLiteral("completed_at")).toString(),
             QStringLiteral("2025-03-01T08:00:09.500Z"));
    QCOMPARE(shown.value(QStringLiteral("result")).toObject().value(QStringLiteral("rows")).toInt(), 12);
    QCOMPARE(shown.value(QStringLiteral("payload")).toObject().value(QStringLiteral("file")).toString(),
             QStringLiteral("a.csv"));
    r = test::runHcmctl(db, {QStringLiteral("--json"), QStringLiteral("jobs"), QStringLiteral("show"),
                             QStringLiteral("job_1000")});
    QVERIFY2(r.code == 0, r.describe().constData());
    const QJsonObject failedShown = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(failedShown.value(QStringLiteral("error_message")).toString(), awkward);
    QCOMPARE(failedShown.value(QStringLiteral("payload")).toObject().value(QStringLiteral("note")).toString(),
             awkward);

    // Standard input, a line as `jobs show --json` printed it, without its id: a new job.
    QJsonObject again = shown;
    again.remove(QStringLiteral("id"));
    r = test::runHcmctl(db, {QStringLiteral("jobs"), QStringLiteral("import"), QStringLiteral("-")},
                        line(again));
    QVERIFY2(r.code == 0, r.describe().constData());
    QVERIFY2(r.out.contains(QStringLiteral("1 completed")), r.describe().constData());

    // New jobs draw ids past the imported ones.
    r = test::runHcmctl(db, {QStringLiteral("jobs"), QStringLiteral("enqueue"), QStringLiteral("cache_flush"),
                             QStringLiteral("--payload"), QStringLiteral("{\"action\": \"expired\"}")});
    QVERIFY2(r.code == 0, r.describe().constData());
    QVERIFY2(Job::parseId(r.out.trimmed()).value_or(0) > 1000, r.describe().constData());

    QCOMPARE(test::rowCount(db.config(), QStringLiteral("background_jobs")), qint64(7));
    if (db.isPostgres()) {
        // Finished jobs live in the archive only; the queue holds the two queued ones plus job_1.
        QCOMPARE(scalar(db.config(), QStringLiteral("SELECT count(*) FROM job_queue")), qint64(3));
        QCOMPARE(scalar(db.config(), QStringLiteral("SELECT count(*) FROM job_archive")), qint64(4));
    }
    checkCounts(db);
}

void TestImport::badLinesChangeNothing()
{
    HCM_TEMP_DATABASE(db);
    QByteArray existing = line(finishedJob(QStringLiteral("completed"), QStringLiteral("job_7")));
    Run r = test::runHcmctl(db, {QStringLiteral("jobs"), QStringLiteral("import"), QStringLiteral("-")},
                            existing);
    QVERIFY2(r.code == 0, r.describe().constData());
    const QString before = test::snapshot(db.config());

    QByteArray input;
    input += line(finishedJob(QStringLiteral("completed"), QStringLiteral("job_8"))); // 1: fine
    input += line(finishedJob(QStringLiteral("completed"), QStringLiteral("job_7"))); // 2: in the db
    QJsonObject done = finishedJob(QStringLiteral("done"));
    input += line(done);                                          // 3
    input += "{\"job_type\": \"x\", \"status\": \"completed\"\n"; // 4: broken JSON
    QJsonObject extra = finishedJob(QStringLiteral("failed"));
    extra.insert(QStringLiteral("colour"), QStringLiteral("red"));
    input += line(extra);                                                          // 5
    input += line(finishedJob(QStringLiteral("processing")));                      // 6
    input += line(finishedJob(QStringLiteral("failed"), QStringLiteral("job_8"))); // 7: as line 1
    QJsonObject noEnd = finishedJob(QStringLiteral("failed"));
    noEnd.remove(QStringLiteral("completed_at"));
    input += line(noEnd); // 8
    QJsonObject badTime = finishedJob(QStringLiteral("completed"));
    badTime.insert(QStringLiteral("created_at"), QStringLiteral("yesterday"));
    input += line(badTime); // 9
    input += "[1, 2]\n";    // 10
    input += line(QJsonObject{{QStringLiteral("job_type"), QStringLiteral("no.such.type")},
                              {QStringLiteral("status"), QStringLiteral("queued")}}); // 11
    input += line(QJsonObject{{QStringLiteral("job_type"), QStringLiteral("cache_flush")},
                              {QStringLiteral("status"), QStringLiteral("queued")},
                              {QStringLiteral("payload"), QJsonObject{{QStringLiteral("action"), 5}}}}); // 12
    input += line(finishedJob(QStringLiteral("cancelled"))); // 13: fine
    input += QByteArray(1024 * 1024 + 10, 'x') + '\n';       // 14: too long, and the end of the reading
    input += line(finishedJob(QStringLiteral("done")));      // 15: not read

    r = test::runHcmctl(db, {QStringLiteral("jobs"), QStringLiteral("import"), QStringLiteral("-")}, input);
    QVERIFY2(!r.crashed, r.describe().constData());
    QCOMPARE(r.code, 1);
    const QStringList expected{
        QStringLiteral("hcmctl: line 2: job_7 exists already in the database"),
        QStringLiteral("hcmctl: line 3: unknown status \"done\""),
        QStringLiteral("hcmctl: line 4: not valid JSON"),
        QStringLiteral("hcmctl: line 5: unknown field \"colour\""),
        QStringLiteral("hcmctl: line 6: status \"processing\" cannot be imported"),
        QStringLiteral("hcmctl: line 7: job_8 is on line 1 already"),
        QStringLiteral("hcmctl: line 8: completed_at is missing"),
        QStringLiteral("hcmctl: line 9: created_at must be an ISO 8601 time"),
        QStringLiteral("hcmctl: line 10: expected one job, a JSON object, per line"),
        QStringLiteral("hcmctl: line 11: unknown job type \"no.such.type\" for a queued job"),
        QStringLiteral("hcmctl: line 12: the payload does not suit cache_flush:"),
        QStringLiteral("hcmctl: line 14: longer than 1 MiB; the rest of the input was not read"),
        QStringLiteral("hcmctl: Nothing was imported: 12 line(s) of 14 have errors.")};
    const QStringList lines = r.err.trimmed().split(QLatin1Char('\n'));
    QVERIFY2(lines.size() == expected.size(), r.describe().constData());
    for (int i = 0; i < expected.size(); ++i)
        QVERIFY2(lines.at(i).startsWith(expected.at(i)),
                 qPrintable(lines.at(i) + QStringLiteral(" / ") + expected.at(i)));
    QCOMPARE(test::snapshot(db.config()), before);

    // Endless input that is not job lines is refused without being read to its end: one line that never
    // ends (/dev/zero), or bad lines without end (here 1,500 of them).
    r = test::runHcmctl(db, {QStringLiteral("jobs"), QStringLiteral("import"), QStringLiteral("/dev/zero")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.startsWith(QStringLiteral("hcmctl: line 1: longer than 1 MiB")), r.describe().constData());
    QByteArray ys;
    for (int i = 0; i < 1500; ++i)
        ys += "y\n";
    r = test::runHcmctl(db, {QStringLiteral("jobs"), QStringLiteral("import"), QStringLiteral("-")}, ys);
    QCOMPARE(r.code, 1);
    QVERIFY2(
        r.err.contains(QStringLiteral("hcmctl: line 1001: reading stopped after 1000 lines with errors")),
        r.describe().constData());
    QVERIFY2(r.err.contains(QStringLiteral("hcmctl: 980 more line(s) with errors\n")),
             r.describe().constData());
    QVERIFY2(r.err.contains(QStringLiteral("Nothing was imported: 1000 line(s) of 1001 have errors.")),
             r.describe().constData());
    QCOMPARE(test::snapshot(db.config()), before);

    // A file that does not exist: a plain error, nothing written.
    r = test::runHcmctl(
        db, {QStringLiteral("jobs"), QStringLiteral("import"), QStringLiteral("/nonexistent/jobs.jsonl")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(QStringLiteral("Cannot read /nonexistent/jobs.jsonl")), r.describe().constData());
    QCOMPARE(test::snapshot(db.config()), before);
    checkCounts(db);
}

// An import longer than one batch (5,000 lines): every job comes in once, ids kept, counts exact. A
// second file whose second batch holds an id the database has is refused, naming the line, and leaves
// the first batch's jobs out as well.
void TestImport::importOfManyBatches()
{
    HCM_TEMP_DATABASE(db);
    QTemporaryDir dir;
    auto file = [&](const QString &name, qint64 firstId, int count, qint64 takenAt) {
        QFile f(dir.filePath(name));
        if (!f.open(QIODevice::WriteOnly))
            return QString();
        for (int i = 0; i < count; ++i) {
            const qint64 id = i + 1 == takenAt ? 1 : firstId + i;
            QJsonObject o = finishedJob(i % 3 == 0 ? QStringLiteral("failed") : QStringLiteral("completed"),
                                        Job::publicId(id));
            if (i % 1000 == 7) {
                o = QJsonObject{{QStringLiteral("id"), Job::publicId(id)},
                                {QStringLiteral("job_type"), QStringLiteral("cache_flush")},
                                {QStringLiteral("status"), QStringLiteral("queued")},
                                {QStringLiteral("payload"),
                                 QJsonObject{{QStringLiteral("action"), QStringLiteral("full")}}}};
            }
            f.write(line(o));
        }
        return f.fileName();
    };
    const QString first = file(QStringLiteral("first.jsonl"), 1, 12000, 0);
    Run r = test::runHcmctl(
        db, {QStringLiteral("--json"), QStringLiteral("jobs"), QStringLiteral("import"), first});
    QVERIFY2(r.code == 0, r.describe().constData());
    QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8()).object().value(QStringLiteral("imported")).toInteger(),
             12000);
    QCOMPARE(test::rowCount(db.config(), QStringLiteral("background_jobs")), qint64(12000));
    QCOMPARE(
        test::rowCount(db.config(), QStringLiteral("background_jobs"), QStringLiteral("status = 'queued'")),
        qint64(12));
    QCOMPARE(scalar(db.config(), QStringLiteral("SELECT max(id) FROM background_jobs")), qint64(12000));
    if (db.isPostgres()) {
        QCOMPARE(scalar(db.config(), QStringLiteral("SELECT count(*) FROM job_queue")), qint64(12));
        QCOMPARE(scalar(db.config(), QStringLiteral("SELECT count(*) FROM job_archive")), qint64(11988));
    }
    checkCounts(db);

    const QString before = test::snapshot(db.config());
    const QString second = file(QStringLiteral("second.jsonl"), 20001, 7000, 5500);
    r = test::runHcmctl(db, {QStringLiteral("jobs"), QStringLiteral("import"), second});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.startsWith(QStringLiteral("hcmctl: line 5500: job_1 exists already in the database\n")),
             r.describe().constData());
    QCOMPARE(test::snapshot(db.config()), before);
    checkCounts(db);
}

// An operator's import with SQL: INSERT INTO background_jobs ... SELECT, queued and finished rows mixed,
// 20,000 rows in one statement.
void TestImport::sqlInsertSelectThroughTheView()
{
    HCM_TEMP_DATABASE(db);
    const Run r =
        test::runHcmctl(db, {QStringLiteral("jobs"), QStringLiteral("enqueue"), QStringLiteral("cache_flush"),
                             QStringLiteral("--payload"), QStringLiteral("{\"action\": \"expired\"}")});
    QVERIFY2(r.code == 0, r.describe().constData());
    QString error;
    const QString numbers =
        db.isPostgres() ? QStringLiteral("generate_series(1, 20000) AS g")
                        : QStringLiteral("(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s "
                                         "WHERE g < 20000) SELECT g FROM s)");
    QVERIFY2(test::execSql(db.config(),
                           QStringLiteral(
                               "INSERT INTO background_jobs (job_type, status, payload, attempts, run_at, "
                               "created_at, started_at, completed_at, updated_at, created_by) "
                               "SELECT 'legacy.export', CASE g % 4 WHEN 0 THEN 'queued' WHEN 1 THEN "
                               "'completed' WHEN 2 THEN 'failed' ELSE 'cancelled' END, '{}', 1, "
                               "1700000000000 + g, 1700000000000 + g, 1700000000000 + g, CASE WHEN g % 4 = 0 "
                               "THEN NULL ELSE 1700000001000 + g END, 1700000001000 + g, 'import' FROM %1")
                               .arg(numbers),
                           &error),
             qPrintable(error));
    const auto counts = groupBy(db.config());
    QCOMPARE(counts[static_cast<int>(JobStatus::Queued)], qint64(5001));
    QCOMPARE(counts[static_cast<int>(JobStatus::Completed)], qint64(5000));
    QCOMPARE(counts[static_cast<int>(JobStatus::Failed)], qint64(5000));
    QCOMPARE(counts[static_cast<int>(JobStatus::Cancelled)], qint64(5000));
    QCOMPARE(scalar(db.config(), QStringLiteral("SELECT COUNT(DISTINCT id) FROM background_jobs")),
             qint64(20001));
    if (db.isPostgres()) {
        QCOMPARE(
            scalar(db.config(), QStringLiteral("SELECT count(*) FROM job_queue WHERE status <> 'queued'")),
            qint64(0));
        QCOMPARE(scalar(db.config(), QStringLiteral("SELECT count(*) FROM job_archive")), qint64(15000));
        // An explicit id either table holds is refused, for a finished row as for a queued one; an id the
        // sequence never gave is taken.
        const QString insert = QStringLiteral(
            "INSERT INTO background_jobs (id, job_type, status, run_at, created_at, completed_at, "
            "updated_at, created_by) VALUES (%1, 'x', '%2', 1, 1, 2, 2, 'import')");
        const qint64 queued = scalar(db.config(), QStringLiteral("SELECT min(id) FROM job_queue"));
        const qint64 archived = scalar(db.config(), QStringLiteral("SELECT min(id) FROM job_archive"));
        for (const QString &status : {QStringLiteral("completed"), QStringLiteral("queued")}) {
            for (const qint64 id : {queued, archived}) {
                QVERIFY2(!test::execSql(db.config(), insert.arg(id).arg(status), &error),
                         qPrintable(QStringLiteral("%1 %2").arg(id).arg(status)));
                QVERIFY2(error.contains(QStringLiteral("exists already")) ||
                             error.contains(QStringLiteral("duplicate key")),
                         qPrintable(error));
            }
        }
        QVERIFY2(test::execSql(db.config(), insert.arg(900000).arg(QStringLiteral("failed")), &error),
                 qPrintable(error));
        QCOMPARE(scalar(db.config(), QStringLiteral("SELECT count(*) FROM job_archive WHERE id = 900000")),
                 qint64(1));
        // An UPDATE through the view that finishes a queued job moves it to the archive, and one that
        // changes an archived job keeps it there.
        QVERIFY2(
            test::execSql(db.config(),
                          QStringLiteral("UPDATE background_jobs SET status = 'completed', completed_at = 5, "
                                         "updated_at = 5 WHERE id = %1")
                              .arg(queued),
                          &error),
            qPrintable(error));
        QVERIFY2(
            test::execSql(db.config(),
                          QStringLiteral("UPDATE background_jobs SET error_message = 'moved' WHERE id = %1")
                              .arg(archived),
                          &error),
            qPrintable(error));
        QCOMPARE(scalar(db.config(), QStringLiteral("SELECT count(*) FROM job_archive WHERE id IN (%1, %2)")
                                         .arg(queued)
                                         .arg(archived)),
                 qint64(2));
        QCOMPARE(scalar(db.config(), QStringLiteral("SELECT count(*) FROM job_queue WHERE id IN (%1, %2)")
                                         .arg(queued)
                                         .arg(archived)),
                 qint64(0));
        // RETURNING through the view still returns the finished rows it inserted.
        QCOMPARE(scalar(db.config(),
                        QStringLiteral("WITH ins AS (INSERT INTO background_jobs (job_type, status, run_at, "
                                       "created_at, completed_at, updated_at, created_by) SELECT 'x', "
                                       "'completed', 1, 1, 2, 2, 'import' FROM generate_series(1, 3) "
                                       "RETURNING id) SELECT count(*) FROM ins")),
                 qint64(3));
    }
    checkCounts(db);
}

// An INSERT ... SELECT of finished rows through the view: every row lands (on PostgreSQL in job_archive,
// none in job_queue), and the maintained counts get one delta per status and type for the statement
// (before 019, one per row: each row reached job_archive in an INSERT of its own, and job_archive's
// statement triggers counted it alone); the counts equal a GROUP BY.
void TestImport::finishedRowsThroughTheViewCountedPerStatement()
{
    HCM_TEMP_DATABASE(db);
    const qint64 deltasBefore =
        db.isPostgres() ? scalar(db.config(), QStringLiteral("SELECT count(*) FROM job_counts")) : 0;
    QString error;
    QVERIFY2(test::execSql(db.config(), insertFinished(db, 3000), &error), qPrintable(error));
    QCOMPARE(test::rowCount(db.config(), QStringLiteral("background_jobs")), qint64(3000));
    QCOMPARE(scalar(db.config(), QStringLiteral("SELECT COUNT(DISTINCT id) FROM background_jobs")),
             qint64(3000));
    if (db.isPostgres()) {
        QCOMPARE(scalar(db.config(), QStringLiteral("SELECT count(*) FROM job_archive")), qint64(3000));
        QCOMPARE(scalar(db.config(), QStringLiteral("SELECT count(*) FROM job_queue")), qint64(0));
        // 3 statuses x 2 types.
        const qint64 deltas =
            scalar(db.config(), QStringLiteral("SELECT count(*) FROM job_counts")) - deltasBefore;
        QVERIFY2(deltas <= 6, qPrintable(QStringLiteral("%1 job_counts rows for one statement").arg(deltas)));
    }
    checkCounts(db);

    // Two statements in one transaction: each moves its own rows, once.
    QVERIFY2(test::execSql(db.config(), QStringLiteral("BEGIN"), &error), qPrintable(error));
    QVERIFY2(test::execSql(db.config(), insertFinished(db, 500), &error), qPrintable(error));
    QVERIFY2(test::execSql(db.config(), insertFinished(db, 700), &error), qPrintable(error));
    QVERIFY2(test::execSql(db.config(), QStringLiteral("COMMIT"), &error), qPrintable(error));
    QCOMPARE(test::rowCount(db.config(), QStringLiteral("background_jobs")), qint64(4200));
    QCOMPARE(scalar(db.config(), QStringLiteral("SELECT COUNT(DISTINCT id) FROM background_jobs")),
             qint64(4200));
    checkCounts(db);

    if (db.isPostgres()) {
        // A migration that adds a column (to both tables and the view, as 011 and 018 did) while this
        // session holds the rows' temporary table: the next INSERT through the view still works.
        for (const QString &sql :
             {QStringLiteral("ALTER TABLE job_queue ADD COLUMN note TEXT"),
              QStringLiteral("ALTER TABLE job_archive ADD COLUMN note TEXT"),
              QStringLiteral("CREATE OR REPLACE VIEW background_jobs AS SELECT * FROM job_queue UNION ALL "
                             "SELECT * FROM job_archive")})
            QVERIFY2(test::execSql(db.config(), sql, &error), qPrintable(error));
        QVERIFY2(
            test::execSql(db.config(),
                          QStringLiteral("INSERT INTO background_jobs (job_type, status, run_at, created_at, "
                                         "completed_at, updated_at, created_by, note) VALUES ('x', "
                                         "'completed', 1, 1, 2, 2, 'import', 'kept')"),
                          &error),
            qPrintable(error));
        QCOMPARE(scalar(db.config(), QStringLiteral("SELECT count(*) FROM job_archive WHERE note = 'kept'")),
                 qint64(1));
    }
}

// Ids are kept, and an id that is taken (in either table, or twice in the statement, also by a queued
// row beside a finished one) fails the whole statement, naming the id (PostgreSQL; SQLite's primary key
// says "UNIQUE constraint failed"), and changes nothing. A statement that failed inside a savepoint
// leaves nothing behind for the next statement of the transaction.
void TestImport::duplicateIdsThroughTheViewChangeNothing()
{
    HCM_TEMP_DATABASE(db);
    const Run queued =
        test::runHcmctl(db, {QStringLiteral("jobs"), QStringLiteral("enqueue"), QStringLiteral("cache_flush"),
                             QStringLiteral("--payload"), QStringLiteral("{\"action\": \"expired\"}")});
    QVERIFY2(queued.code == 0, queued.describe().constData());
    const qint64 queuedId = Job::parseId(queued.out.trimmed()).value_or(0);
    QVERIFY(queuedId > 0 && queuedId < 1000);
    QString error;
    QVERIFY2(test::execSql(db.config(), insertFinished(db, 100, 1000), &error),
             qPrintable(error)); // 1001..1100
    const QString before = test::snapshot(db.config());
    const qint64 deltasBefore =
        db.isPostgres() ? scalar(db.config(), QStringLiteral("SELECT count(*) FROM job_counts")) : 0;

    auto refused = [&](const QString &sql, qint64 id) {
        QString why;
        if (test::execSql(db.config(), sql, &why))
            return QStringLiteral("accepted: %1").arg(sql);
        const QString expected = db.isPostgres() ? QStringLiteral("job %1 exists already").arg(id)
                                                 : QStringLiteral("UNIQUE constraint failed");
        if (!why.contains(expected))
            return QStringLiteral("expected \"%1\" in: %2").arg(expected, why);
        if (test::snapshot(db.config()) != before)
            return QStringLiteral("changed the jobs: %1").arg(sql);
        return QString();
    };
    // 2,000 finished rows, ids 100..2099: 1001..1100 are archived.
    QString problem = refused(insertFinished(db, 2000, 99), 1001);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    // Fresh ids but the queued job's first.
    problem = refused(insertFinished(db, 2000, queuedId - 1), queuedId);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    // One id twice in the statement, both rows finished.
    problem =
        refused(QStringLiteral("%1 UNION ALL SELECT 5000, 'legacy.export', 'failed', '{}', 1, 1, 1, 1, 2, 2, "
                               "'import'")
                    .arg(insertFinished(db, 500, 4999)),
                5000);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    // A queued row and a finished row with the same new id, in either order.
    for (const QString &order : {QStringLiteral("ASC"), QStringLiteral("DESC")}) {
        problem = refused(
            QStringLiteral(
                "INSERT INTO background_jobs (id, job_type, status, payload, run_at, created_at, "
                "completed_at, updated_at, created_by) SELECT 7000, 'cache_flush', s, "
                "'{\"action\": \"expired\"}', 1, 1, CASE s WHEN 'queued' THEN NULL ELSE 2 END, 2, "
                "'import' FROM (SELECT 'queued' AS s UNION ALL SELECT 'completed') AS t ORDER BY s %1")
                .arg(order),
            7000);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }
    if (db.isPostgres()) {
        QCOMPARE(scalar(db.config(), QStringLiteral("SELECT count(*) FROM job_counts")), deltasBefore);
    }

    // A refused statement inside a savepoint, then a good one: only the good one's rows come in.
    QVERIFY2(test::execSql(db.config(), QStringLiteral("BEGIN"), &error), qPrintable(error));
    QVERIFY2(test::execSql(db.config(), QStringLiteral("SAVEPOINT a"), &error), qPrintable(error));
    QVERIFY(!test::execSql(db.config(), insertFinished(db, 300, 950), &error)); // 951..1250
    QVERIFY2(test::execSql(db.config(), QStringLiteral("ROLLBACK TO SAVEPOINT a"), &error),
             qPrintable(error));
    QVERIFY2(test::execSql(db.config(), insertFinished(db, 10, 20000), &error), qPrintable(error));
    QVERIFY2(test::execSql(db.config(), QStringLiteral("COMMIT"), &error), qPrintable(error));
    QCOMPARE(test::rowCount(db.config(), QStringLiteral("background_jobs")), qint64(111));
    QCOMPARE(test::rowCount(db.config(), QStringLiteral("background_jobs"), QStringLiteral("id > 20000")),
             qint64(10));
    checkCounts(db);
}

// Each finished row's INSERT through the view used to run a DELETE over the partial index of finished
// rows in job_queue, stepping over every entry the statement's earlier rows had left dead there: the
// buffers touched per row grew with the row count (58 per row at 2,000 rows, 239 at 8,000). The work per
// row must be the same at both sizes. Counted are the block requests of the whole statement, its
// statement triggers included (where 019 moves the finished rows into job_archive), as the server's
// statistics for the open transaction give them (EXPLAIN's figures leave the AFTER triggers out).
void TestImport::finishedRowsThroughTheViewCostTheSamePerRow()
{
    HCM_TEMP_DATABASE(db);
    if (!db.isPostgres())
        QSKIP("PostgreSQL only: on SQLite background_jobs is a table");
    auto buffersPerRow = [&](int rows) -> double {
        auto conn = Database::connection(db.config());
        if (!conn)
            return -1;
        QSqlQuery q(conn.value());
        static const QString blocks =
            QStringLiteral("SELECT sum(pg_stat_get_xact_blocks_fetched(oid))::bigint FROM pg_class");
        if (!q.exec(QStringLiteral("BEGIN")) || !q.exec(blocks) || !q.next())
            return -1;
        const qint64 before = q.value(0).toLongLong();
        if (!q.exec(
                QStringLiteral("INSERT INTO background_jobs (job_type, status, run_at, created_at, "
                               "completed_at, updated_at, created_by) SELECT 'legacy.export', 'completed', "
                               "g, g, g, g, 'import' FROM generate_series(1, %1) AS g")
                    .arg(rows)) ||
            !q.exec(blocks) || !q.next()) {
            qWarning("%s", qPrintable(q.lastError().text()));
            return -1;
        }
        const qint64 after = q.value(0).toLongLong();
        q.finish();
        (void)q.exec(QStringLiteral("ROLLBACK"));
        return double(after - before) / rows;
    };
    // The session's first INSERT through the view sets up what the session keeps (committed here).
    QString error;
    QVERIFY2(test::execSql(db.config(), insertFinished(db, 10), &error), qPrintable(error));
    const double small = buffersPerRow(2000);
    const double large = buffersPerRow(8000);
    QVERIFY2(small > 0 && large > 0, "counting the blocks failed");
    qInfo("buffers per finished row through the view: %.1f at 2,000 rows, %.1f at 8,000 rows", small, large);
    QVERIFY2(
        large < small * 1.5,
        qPrintable(QStringLiteral("%1 buffers per row at 8,000 rows, %2 at 2,000").arg(large).arg(small)));
}

QTEST_GUILESS_MAIN(TestImport)
#include "tst_import.moc"
