// Alerts and digests through a real WorkerPool against real servers (tests/notifytestbase.h): an alert
// on a job's final failure, quiet hours, no alert about a failed alert, and alert digests (hourly and
// daily, quiet hours, scheduling races, retries, switching them off) on SQLite and PostgreSQL with a
// manual clock.

#include "notifytestbase.h"

#include "db/database.h"
#include "jobs/jobservice.h"
#include "settings/deliverystore.h"
#include "settings/digeststore.h"
#include "settings/notificationsettingsstore.h"
#include "worker/notify/alertdigest.h"
#include "worker/notify/jobalerts.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlQuery>
#include <QtTest>

#include <latch>
#include <thread>
#include <vector>

using namespace hcm;
using namespace hcm::test::notify;

class TestNotifyAlerts : public hcm::test::NotifyTestBase {
    Q_OBJECT

private slots:
    void alertOnFinalFailure();
    void quietHoursDelayAlerts();
    void noAlertAboutFailedAlert();
    void lostWorkerToldFromRetry_data() { test::addBackendRows(); }
    void lostWorkerToldFromRetry();
    void digestText();
    void digestHourlyOneEmail_data() { test::addBackendRows(); }
    void digestHourlyOneEmail();
    void digestQuietHours_data() { test::addBackendRows(); }
    void digestQuietHours();
    void digestScheduledOnce_data() { test::addBackendRows(); }
    void digestScheduledOnce();
    void digestFailedDeliveryRetried_data() { test::addBackendRows(); }
    void digestFailedDeliveryRetried();
    void digestSwitchToImmediate_data() { test::addBackendRows(); }
    void digestSwitchToImmediate();
    void digestRunAgainKeepsItsCount_data() { test::addBackendRows(); }
    void digestRunAgainKeepsItsCount();
    void digestUnavailableAlertsSentOneByOne_data() { test::addBackendRows(); }
    void digestUnavailableAlertsSentOneByOne();
};

void TestNotifyAlerts::alertOnFinalFailure()
{
    configure([](NotificationSettings &s) {
        s.emailEnabled = true;
        s.slackEnabled = true;
        s.notifyJobFailed = true;
    });
    const int mail = messageCount() + 1;
    const int req = m_http.requestCount() + 1;
    JobService service{JobStore(m_db->config())};
    NewJob job;
    job.type = QStringLiteral("test.fail");
    job.maxRetries = 0;
    job.payload = QJsonObject{{QStringLiteral("message"), QStringLiteral("disk full")}};
    auto id = service.enqueue(job, test::adminActor(QStringLiteral("tester")));
    QVERIFY(id);
    auto pool = startPool();
    JobFilter notifies;
    notifies.type = QStringLiteral("notify");
    notifies.statuses = {JobStatus::Completed};
    QTRY_COMPARE_WITH_TIMEOUT(service.count(notifies).value(), qint64(1), 30000);
    pool->stopAndWait(5000);

    const QString publicId = Job::publicId(id.value());
    const QJsonObject email = waitForMessage(mail);
    QVERIFY2(email.value(QLatin1String("subject"))
                 .toString()
                 .contains(publicId + QStringLiteral(" (test.fail) failed")),
             qPrintable(email.value(QLatin1String("subject")).toString()));
    QVERIFY(email.value(QLatin1String("body")).toString().contains(QLatin1String("Error: disk full")));
    QCOMPARE(email.value(QLatin1String("rcpt_tos")).toVariant().toStringList(),
             QStringList{QStringLiteral("admin@example.com")});
    const QJsonObject slack = m_http.waitForRequest(req);
    QCOMPARE(slack.value(QLatin1String("path")).toString(), kWebhookPath);
    QVERIFY(slack.value(QLatin1String("body")).toString().contains(publicId));

    auto deliveries = DeliveryStore(m_db->config()).forJob(id.value());
    QVERIFY(deliveries);
    QCOMPARE(deliveries->size(), 2);
    for (const DeliveryRecord &d : deliveries.value()) {
        QVERIFY2(d.delivered, qPrintable(d.error));
        QCOMPARE(d.event, QStringLiteral("job_failed"));
        QCOMPARE(d.sourceJobId, id.value());
    }
    QCOMPARE(service.count(notifyJobs()).value(), qint64(1));
}

void TestNotifyAlerts::quietHoursDelayAlerts()
{
    configure([](NotificationSettings &s) {
        s.slackEnabled = true;
        s.quietHoursEnabled = true;
        s.quietHoursStart = QTime(22, 0);
        s.quietHoursEnd = QTime(7, 0);
        s.quietHoursTimeZone = QStringLiteral("Europe/Berlin");
    });
    auto clock = std::make_shared<ManualClock>(
        QDateTime::fromString(QStringLiteral("2024-01-10T23:30:00Z"), Qt::ISODate).toMSecsSinceEpoch());
    JobAlerts alerts(m_db->config(), clock);
    JobTransition failed;
    failed.id = 42;
    failed.type = QStringLiteral("db_optimize");
    failed.status = JobStatus::Failed;
    failed.error = QStringLiteral("disk full");
    const QList<qint64> ids = alerts.handle({failed});
    QCOMPARE(ids.size(), 1);
    const Job notify = JobStore(m_db->config()).get(ids.first()).value();
    QCOMPARE(notify.type, QStringLiteral("notify"));
    QCOMPARE_ENUM(notify.status, JobStatus::Queued);                            // delayed, not dropped
    QCOMPARE(isoUtc(notify.runAt), QStringLiteral("2024-01-11T06:00:00.000Z")); // 07:00 in Berlin
    QCOMPARE(notify.payload.value(QLatin1String("job_id")).toInteger(), 42);
}

// A requeued job is "retried" after a failure and "worker lost" after its worker died: the hook tells
// them apart by the outcome of the job's latest attempt, read from the job store.
void TestNotifyAlerts::lostWorkerToldFromRetry()
{
    USE_BACKEND_ROW();
    configure([](NotificationSettings &s) {
        s.slackEnabled = true;
        s.notifyJobFailed = false;
        s.notifyJobRetried = true;
        s.notifyWorkerLost = true;
    });
    auto clock = std::make_shared<ManualClock>(utc("2024-01-10T12:00:00Z"));
    JobStore store(m_db->config(), clock);
    const QString type = QStringLiteral("test.fail");
    const QString worker = QStringLiteral("w1");
    auto ids =
        store.insert({NewJob{type, JobPriority::Normal, {}, 3, std::nullopt}}, QStringLiteral("tester"));
    QVERIFY(ids);
    const qint64 id = ids->first();
    JobAlerts alerts(m_db->config(), clock);
    const auto eventOf = [&](const QList<qint64> &notifyIds) {
        if (notifyIds.size() != 1)
            return QStringLiteral("%1 alerts").arg(notifyIds.size());
        return store.get(notifyIds.first())->payload.value(QLatin1String("event")).toString();
    };

    // A failure with retries left.
    auto claimed = store.claim(worker, 1, 60'000, {type});
    QVERIFY(claimed && claimed->size() == 1);
    auto report = store.finish(
        worker,
        {JobOutcome{
            id, claimed->first().attempt, JobOutcome::Kind::Failed, {}, QStringLiteral("disk full")}});
    QVERIFY(report && report->applied.size() == 1);
    QCOMPARE_ENUM(report->applied.first().status, JobStatus::Queued);
    QCOMPARE(eventOf(alerts.handle(report->applied)), QStringLiteral("job_retried"));

    // Due again after its backoff; its worker dies while the handler runs.
    clock->advanceMs(3 * 60'000);
    claimed = store.claim(worker, 1, 60'000, {type});
    QVERIFY(claimed && claimed->size() == 1);
    QVERIFY(store.queue().markStarted(worker, {{id, claimed->first().attempt}}, false));
    clock->advanceMs(61'000);
    auto reaped = store.queue().reapExpired();
    QVERIFY(reaped && reaped->size() == 1);
    QCOMPARE_ENUM(reaped->first().status, JobStatus::Queued);
    QCOMPARE(eventOf(alerts.handle(reaped.value())), QStringLiteral("worker_lost"));
}

void TestNotifyAlerts::noAlertAboutFailedAlert()
{
    configure([this](NotificationSettings &s) {
        s.slackEnabled = true;
        s.slackWebhookUrl.replace(webhookUrl(QStringLiteral("/services/down")));
    });
    m_http.respond(QStringLiteral("/services/down"), 500, QStringLiteral("internal_error"),
                   QStringLiteral("text/plain"));
    JobService service{JobStore(m_db->config())};
    NewJob job;
    job.type = QStringLiteral("notify");
    job.maxRetries = 0;
    job.payload = QJsonObject{{QStringLiteral("event"), QStringLiteral("job_failed")},
                              {QStringLiteral("job_id"), 7},
                              {QStringLiteral("job_type"), QStringLiteral("db_optimize")}};
    auto id = service.enqueue(job, test::adminActor(QStringLiteral("tester")));
    QVERIFY(id);
    auto pool = startPool();
    QTRY_COMPARE_WITH_TIMEOUT(toString(service.get(id.value())->status), toString(JobStatus::Failed), 30000);
    pool->stopAndWait(5000);
    QVERIFY2(service.get(id.value())
                 ->errorMessage.contains(QLatin1String("Slack says: internal_error (HTTP 500)")),
             qPrintable(service.get(id.value())->errorMessage));
    // The failed alert is logged, and no alert is raised about it.
    QCOMPARE(service.count(notifyJobs()).value(), qint64(1));
    auto deliveries = DeliveryStore(m_db->config()).forJob(id.value());
    QCOMPARE(deliveries->size(), 1);
    QVERIFY(!deliveries->first().delivered);
    QCOMPARE(deliveries->first().sourceJobId, qint64(7));
}

// The texts: counts per event, the alerts with their errors, at most 20 listed, an SMS within 160.
void TestNotifyAlerts::digestText()
{
    AlertDigest d;
    d.frequency = QStringLiteral("hourly");
    d.zone = QTimeZone("Europe/Berlin");
    d.dueAt = utc("2024-01-10T10:00:00Z");
    d.reportedAt = d.dueAt;
    d.reportedBy = QStringLiteral("hcm-host");
    for (int i = 0; i < 25; ++i) {
        Alert a;
        a.event = i < 22 ? QStringLiteral("job_failed") : QStringLiteral("job_retried");
        a.jobId = 100 + i;
        a.jobType = QStringLiteral("db_optimize");
        a.error = QStringLiteral("disk %1 full\nsee the log").arg(i);
        a.retryCount = i < 22 ? 3 : 1;
        a.maxRetries = 3;
        if (i >= 22)
            a.runAt = utc("2024-01-10T10:02:00Z");
        d.alerts.append(a);
        d.raisedAt.append(utc("2024-01-10T09:05:00Z") + i * 60'000);
    }
    QCOMPARE(d.count(QStringLiteral("job_failed")), 22);
    QCOMPARE(d.subject(), QStringLiteral("[HCM] Alert digest: 22 jobs failed, 3 jobs retried"));
    const QString text = d.text();
    QVERIFY2(
        text.contains(QLatin1String("25 alerts from 2024-01-10 10:05 to 2024-01-10 11:00 (Europe/Berlin), "
                                    "collected for the hourly digest:")),
        qPrintable(text));
    QVERIFY(text.contains(QLatin1String("  - 22 jobs failed after their last retry\n")));
    QVERIFY(text.contains(QLatin1String("  - 3 jobs failed and will be retried\n")));
    QVERIFY(text.contains(QLatin1String("2024-01-10 10:05  job_100 (db_optimize) failed after 3 retries\n"
                                        "      Error: disk 0 full see the log\n")));
    for (int i = 0; i < 20; ++i)
        QVERIFY2(text.contains(QStringLiteral("job_%1 (db_optimize)").arg(100 + i)), qPrintable(text));
    for (int i = 20; i < 25; ++i)
        QVERIFY2(!text.contains(QStringLiteral("job_%1 (db_optimize)").arg(100 + i)), qPrintable(text));
    QVERIFY(text.contains(QStringLiteral("… and 5 more (the jobs page lists them all).")));
    QVERIFY(text.endsWith(QLatin1String("Reported by hcm-host at 2024-01-10T10:00:00.000Z.")));
    // An alert taken over from a digest not due yet is younger than this digest's time: the period
    // reaches it rather than ending before it began.
    AlertDigest early = d;
    early.alerts = {d.alerts.first()};
    early.raisedAt = {d.dueAt + 90'000};
    QVERIFY2(early.text().contains(QLatin1String("1 alert from 2024-01-10 11:01 to 2024-01-10 11:01 "
                                                 "(Europe/Berlin), collected for the hourly digest:")),
             qPrintable(early.text()));
    const QString sms = d.shortText();
    QVERIFY2(sms.size() <= 160, qPrintable(sms));
    QVERIFY2(
        sms.startsWith(QLatin1String("[HCM] Alert digest: 22 jobs failed, 3 jobs retried. Latest: job_124")),
        qPrintable(sms));
}

// Hourly digest: three jobs fail, nothing is sent until the top of the hour, then one email holds all
// three, and the delivery log ties it to each job.
void TestNotifyAlerts::digestHourlyOneEmail()
{
    USE_BACKEND_ROW();
    configure([](NotificationSettings &s) {
        s.emailEnabled = true;
        s.notifyJobFailed = true;
        s.digestFrequency = DigestFrequency::Hourly;
        s.quietHoursTimeZone = QStringLiteral("Europe/Berlin");
    });
    auto clock = std::make_shared<ManualClock>(utc("2024-01-10T09:20:00Z")); // 10:20 in Berlin
    const int mail = messageCount() + 1;
    JobService service{JobStore(m_db->config(), clock)};
    QList<qint64> failing;
    for (int i = 1; i <= 3; ++i) {
        NewJob job;
        job.type = QStringLiteral("test.fail");
        job.maxRetries = 0;
        job.payload = QJsonObject{{QStringLiteral("message"), QStringLiteral("disk %1 full").arg(i)}};
        auto id = service.enqueue(job, test::adminActor(QStringLiteral("tester")));
        QVERIFY(id);
        failing.append(id.value());
    }
    auto pool = startPool(clock);
    DigestStore digests(m_db->config());
    QTRY_COMPARE_WITH_TIMEOUT(digests.pending()->size(), 3, 30000);

    // One digest job, due at 11:00 Berlin time; nothing sent meanwhile.
    QList<Job> notify = notifyJobList();
    QCOMPARE(notify.size(), 1);
    const Job digestJob = notify.first();
    QCOMPARE_ENUM(digestJob.status, JobStatus::Queued);
    QCOMPARE(isoUtc(digestJob.runAt), QStringLiteral("2024-01-10T10:00:00.000Z"));
    QCOMPARE(digestJob.payload.value(QLatin1String("digest_due_at")).toInteger(),
             utc("2024-01-10T10:00:00Z"));
    QCOMPARE(digestJob.payload.value(QLatin1String("frequency")).toString(), QStringLiteral("hourly"));
    for (const DigestItem &item : digests.pending().value())
        QCOMPARE(item.digestDueAt, utc("2024-01-10T10:00:00Z"));
    // The pool keeps running jobs that are due (so it did look at the queue), just not the digest.
    auto noop = service.enqueue(NewJob{QStringLiteral("test.noop"), JobPriority::Low, {}, 0, std::nullopt},
                                test::adminActor(QStringLiteral("tester")));
    QVERIFY(noop);
    QTRY_COMPARE_WITH_TIMEOUT(toString(service.get(noop.value())->status), toString(JobStatus::Completed),
                              30000);
    QCOMPARE(toString(service.get(digestJob.id)->status), toString(JobStatus::Queued));
    QCOMPARE(messageCount(), mail - 1);
    QCOMPARE(DeliveryStore(m_db->config()).recent(10)->size(), 0);

    // The top of the hour: one email with all three.
    clock->setMs(utc("2024-01-10T10:00:00Z"));
    QTRY_COMPARE_WITH_TIMEOUT(toString(service.get(digestJob.id)->status), toString(JobStatus::Completed),
                              30000);
    pool->stopAndWait(5000);
    const QJsonObject email = waitForMessage(mail);
    QCOMPARE(email.value(QLatin1String("subject")).toString(),
             QStringLiteral("[HCM] Alert digest: 3 jobs failed"));
    QCOMPARE(email.value(QLatin1String("rcpt_tos")).toVariant().toStringList(),
             QStringList{QStringLiteral("admin@example.com")});
    const QString body = email.value(QLatin1String("body")).toString();
    QVERIFY2(
        body.contains(QLatin1String("3 alerts from 2024-01-10 10:20 to 2024-01-10 11:00 (Europe/Berlin)")),
        qPrintable(body));
    for (int i = 0; i < 3; ++i) {
        QVERIFY2(body.contains(Job::publicId(failing.at(i)) +
                               QStringLiteral(" (test.fail) failed after 0 retries")),
                 qPrintable(body));
        QVERIFY(body.contains(QStringLiteral("Error: disk %1 full").arg(i + 1)));
    }
    QCOMPARE(messageCount(), mail); // one message, not three
    QCOMPARE(service.get(digestJob.id)->result.toObject().value(QLatin1String("alerts")).toInt(), 3);

    auto log = DeliveryStore(m_db->config()).recent(10);
    QCOMPARE(log->size(), 1);
    QCOMPARE(log->first().event, QStringLiteral("digest"));
    QCOMPARE(log->first().channel, QStringLiteral("email"));
    QCOMPARE(log->first().jobId, digestJob.id);
    QVERIFY(log->first().delivered);
    for (qint64 id : std::as_const(failing)) {
        auto about = DeliveryStore(m_db->config()).forJob(id);
        QVERIFY(about && about->size() == 1);
        QCOMPARE(about->first().id, log->first().id);
    }
    QCOMPARE(digests.pending()->size(), 0);
    QCOMPARE(digests.digest(utc("2024-01-10T10:00:00Z"))->value().state, QStringLiteral("delivered"));
    QCOMPARE(digests.digest(utc("2024-01-10T10:00:00Z"))->value().itemCount, 3);
    QCOMPARE(notifyJobList().size(), 1);
}

// A digest due in quiet hours goes out when they end; alerts raised meanwhile join the same digest.
void TestNotifyAlerts::digestQuietHours()
{
    USE_BACKEND_ROW();
    configure([](NotificationSettings &s) {
        s.slackEnabled = true;
        s.digestFrequency = DigestFrequency::Hourly;
        s.quietHoursEnabled = true;
        s.quietHoursStart = QTime(22, 0);
        s.quietHoursEnd = QTime(7, 0);
        s.quietHoursTimeZone = QStringLiteral("UTC");
    });
    auto clock = std::make_shared<ManualClock>(utc("2024-01-10T21:30:00Z"));
    JobAlerts alerts(m_db->config(), clock);
    const QList<qint64> first = alerts.handle({failedJob(61, QStringLiteral("disk full"))});
    QCOMPARE(first.size(), 1);
    // The top of the hour, 22:00, is quiet: 07:00 instead.
    QCOMPARE(isoUtc(JobStore(m_db->config()).get(first.first())->runAt),
             QStringLiteral("2024-01-11T07:00:00.000Z"));
    clock->setMs(utc("2024-01-11T02:10:00Z"));
    QCOMPARE(alerts.handle({failedJob(62, QStringLiteral("no route"))}), first);
    QCOMPARE(notifyJobList().size(), 1);
    DigestStore digests(m_db->config());
    QCOMPARE(digests.digests()->size(), 1);
    QCOMPARE(digests.pending()->size(), 2);

    const int req = m_http.requestCount() + 1;
    clock->setMs(utc("2024-01-11T06:59:59Z"));
    auto pool = startPool(clock);
    auto noop = JobService{JobStore(m_db->config(), clock)}.enqueue(
        NewJob{QStringLiteral("test.noop"), JobPriority::Low, {}, 0, std::nullopt},
        test::adminActor(QStringLiteral("tester")));
    QVERIFY(noop);
    QTRY_COMPARE_WITH_TIMEOUT(toString(JobStore(m_db->config()).get(noop.value())->status),
                              toString(JobStatus::Completed), 30000);
    QCOMPARE(m_http.requestCount(), req - 1); // still quiet
    clock->setMs(utc("2024-01-11T07:00:00Z"));
    QTRY_COMPARE_WITH_TIMEOUT(toString(JobStore(m_db->config()).get(first.first())->status),
                              toString(JobStatus::Completed), 30000);
    pool->stopAndWait(5000);
    const QJsonObject slack = m_http.waitForRequest(req);
    QCOMPARE(slack.value(QLatin1String("problems")).toArray(), QJsonArray());
    const QString text = QJsonDocument::fromJson(slack.value(QLatin1String("body")).toString().toUtf8())
                             .object()
                             .value(QLatin1String("text"))
                             .toString();
    QVERIFY2(text.startsWith(QLatin1String("[HCM] Alert digest: 2 jobs failed\n")), qPrintable(text));
    QVERIFY(text.contains(QLatin1String("job_61 (db_optimize)")) &&
            text.contains(QLatin1String("job_62 (db_optimize)")));
    QCOMPARE(m_http.requestCount(), req);
}

// Several workers (threads with their own connections) collect alerts for the same digest at once:
// exactly one digest and one job per delivery time. A job left over by a crashed scheduler sends
// nothing, and the first digest to run carries everything that waits, capped in the message.
void TestNotifyAlerts::digestScheduledOnce()
{
    USE_BACKEND_ROW();
    configure([](NotificationSettings &s) {
        s.slackEnabled = true;
        s.digestFrequency = DigestFrequency::Hourly;
    });
    constexpr int kThreads = 8;
    constexpr int kRounds = 3;
    auto clock = std::make_shared<ManualClock>(utc("2024-01-10T10:20:00Z"));
    QList<qint64> dueTimes;
    for (int round = 0; round < kRounds; ++round) {
        const qint64 due = utc("2024-01-10T11:00:00Z") + round * 3'600'000LL;
        dueTimes.append(due);
        std::latch start(kThreads);
        QList<qint64> got[kThreads];
        std::vector<std::thread> threads;
        for (int i = 0; i < kThreads; ++i) {
            threads.emplace_back([&, i] {
                JobAlerts alerts(m_db->config(), clock);
                (void)Database::connection(m_db->config());
                start.arrive_and_wait();
                got[i] =
                    alerts.handle({failedJob(1000 + round * 100 + i, QStringLiteral("error %1").arg(i))});
                Database::closeThreadConnections();
            });
        }
        for (std::thread &t : threads)
            t.join();
        auto row = DigestStore(m_db->config()).digest(due);
        QVERIFY2(row && row->has_value(), "no digest row");
        const qint64 owner = row->value().jobId;
        for (int i = 0; i < kThreads; ++i)
            QCOMPARE(got[i], QList<qint64>{owner}); // everyone was told the same job
        // Exactly one notify job per delivery time: the surplus ones were withdrawn.
        const QList<Job> jobs = notifyJobList();
        QCOMPARE(jobs.size(), round + 1);
        QCOMPARE(jobs.last().id, owner);
        QCOMPARE(jobs.last().payload.value(QLatin1String("digest_due_at")).toInteger(), due);
        QCOMPARE(DigestStore(m_db->config()).digests()->size(), round + 1);
        int waiting = 0;
        for (const DigestItem &item : DigestStore(m_db->config()).pending().value())
            waiting += item.digestDueAt == due ? 1 : 0;
        QCOMPARE(waiting, kThreads);
        clock->advanceMs(3'600'000);
    }

    // A scheduler that stopped between its job and its registration left a second job for 11:00.
    JobService service{JobStore(m_db->config(), clock)};
    auto leftover = service.enqueue(DigestStore::digestJob(dueTimes.first(), QStringLiteral("hourly")),
                                    Actor::system(QStringLiteral("alerts")));
    QVERIFY(leftover);
    const int req = m_http.requestCount() + 1;
    clock->setMs(dueTimes.last());
    auto pool = startPool(clock, 1);
    JobFilter done = notifyJobs();
    done.statuses = {JobStatus::Completed};
    QTRY_COMPARE_WITH_TIMEOUT(service.count(done).value(), qint64(kRounds + 1), 30000);
    pool->stopAndWait(5000);
    QCOMPARE(service.get(leftover.value())->result.toObject().value(QLatin1String("delivered_by")).toString(),
             Job::publicId(DigestStore(m_db->config()).digest(dueTimes.first())->value().jobId));
    // One Slack message with all 24 alerts: the first digest took over the ones not started yet.
    QCOMPARE(m_http.requestCount(), req);
    const QString text =
        QJsonDocument::fromJson(m_http.waitForRequest(req).value(QLatin1String("body")).toString().toUtf8())
            .object()
            .value(QLatin1String("text"))
            .toString();
    QVERIFY2(text.startsWith(QLatin1String("[HCM] Alert digest: 24 jobs failed\n")), qPrintable(text));
    QVERIFY(text.contains(QStringLiteral("… and 4 more (the jobs page lists them all).")));
    QCOMPARE(DigestStore(m_db->config()).pending()->size(), 0);
}

// Slack fails: the digest job is retried with backoff and its alerts keep waiting; alerts raised
// meanwhile go to the next digest; the retry delivers exactly the first ones.
void TestNotifyAlerts::digestFailedDeliveryRetried()
{
    USE_BACKEND_ROW();
    const QString path = QStringLiteral("/services/flaky");
    configure([&](NotificationSettings &s) {
        s.slackEnabled = true;
        s.slackWebhookUrl.replace(webhookUrl(path));
        s.digestFrequency = DigestFrequency::Hourly;
    });
    m_http.respond(path, 500, QStringLiteral("internal_error"), QStringLiteral("text/plain"));
    auto clock = std::make_shared<ManualClock>(utc("2024-01-10T10:20:00Z"));
    JobAlerts alerts(m_db->config(), clock);
    const QList<qint64> ids = alerts.handle(
        {failedJob(41, QStringLiteral("disk full")), failedJob(42, QStringLiteral("no space"))});
    QCOMPARE(ids.size(), 1);
    const qint64 digestJob = ids.first();
    DigestStore digests(m_db->config());
    JobStore jobs(m_db->config());

    const int req = m_http.requestCount() + 1;
    clock->setMs(utc("2024-01-10T11:00:00Z"));
    auto pool = startPool(clock, 1);
    QTRY_VERIFY_WITH_TIMEOUT(jobs.get(digestJob)->retryCount == 1, 30000);
    QCOMPARE_ENUM(jobs.get(digestJob)->status, JobStatus::Queued);
    QCOMPARE(isoUtc(jobs.get(digestJob)->runAt), QStringLiteral("2024-01-10T11:02:00.000Z")); // 2 minutes
    QVERIFY2(
        jobs.get(digestJob)->errorMessage.contains(QLatin1String("Slack says: internal_error (HTTP 500)")),
        qPrintable(jobs.get(digestJob)->errorMessage));
    QCOMPARE(digests.pending()->size(), 2); // nothing lost
    QCOMPARE(digests.digest(utc("2024-01-10T11:00:00Z"))->value().state, QStringLiteral("failed"));
    auto log = DeliveryStore(m_db->config()).forJob(digestJob);
    QCOMPARE(log->size(), 1);
    QVERIFY(!log->first().delivered);
    QCOMPARE(log->first().event, QStringLiteral("digest"));
    QCOMPARE(m_http.requestCount(), req);

    // Raised while the 11:00 digest is being retried: it waits for 12:00.
    clock->setMs(utc("2024-01-10T11:01:00Z"));
    const QList<qint64> later = alerts.handle({failedJob(43, QStringLiteral("late"))});
    QCOMPARE(later.size(), 1);
    QVERIFY(later.first() != digestJob);
    QCOMPARE(isoUtc(jobs.get(later.first())->runAt), QStringLiteral("2024-01-10T12:00:00.000Z"));

    // Slack is back: the retry delivers the two alerts it holds, and only those.
    m_http.respond(path, 200, QStringLiteral("ok"), QStringLiteral("text/html"));
    clock->setMs(utc("2024-01-10T11:02:00Z"));
    QTRY_COMPARE_WITH_TIMEOUT(toString(jobs.get(digestJob)->status), toString(JobStatus::Completed), 30000);
    const QString text = QJsonDocument::fromJson(
                             m_http.waitForRequest(req + 1).value(QLatin1String("body")).toString().toUtf8())
                             .object()
                             .value(QLatin1String("text"))
                             .toString();
    QVERIFY2(text.contains(QLatin1String("job_41 (db_optimize)")) &&
                 text.contains(QLatin1String("job_42 (db_optimize)")) &&
                 !text.contains(QLatin1String("job_43")),
             qPrintable(text));
    QCOMPARE(digests.pending()->size(), 1);
    QCOMPARE(digests.pending()->first().sourceJobId, qint64(43));
    log = DeliveryStore(m_db->config()).forJob(digestJob);
    QCOMPARE(log->size(), 2);
    QVERIFY(!log->at(0).delivered && log->at(1).delivered);

    clock->setMs(utc("2024-01-10T12:00:00Z"));
    QTRY_COMPARE_WITH_TIMEOUT(toString(jobs.get(later.first())->status), toString(JobStatus::Completed),
                              30000);
    pool->stopAndWait(5000);
    QCOMPARE(digests.pending()->size(), 0);
    QCOMPARE(m_http.requestCount(), req + 2);
}

// Daily at 08:00 Berlin time; switching to immediate sends what waits now, and the daily digest then
// finds nothing left to send.
void TestNotifyAlerts::digestSwitchToImmediate()
{
    USE_BACKEND_ROW();
    configure([](NotificationSettings &s) {
        s.emailEnabled = true;
        s.digestFrequency = DigestFrequency::Daily;
        s.quietHoursTimeZone = QStringLiteral("Europe/Berlin");
    });
    auto clock = std::make_shared<ManualClock>(utc("2024-07-10T10:20:00Z"));
    JobAlerts alerts(m_db->config(), clock);
    const QList<qint64> daily = alerts.handle({failedJob(51, QStringLiteral("disk full"))});
    QCOMPARE(daily.size(), 1);
    JobStore jobs(m_db->config());
    QCOMPARE(isoUtc(jobs.get(daily.first())->runAt),
             QStringLiteral("2024-07-11T06:00:00.000Z")); // 08:00 CEST

    NotificationSettingsStore store(m_db->config(), clock);
    NotificationSettings s = store.load().value();
    s.digestFrequency = DigestFrequency::Immediate;
    QVERIFY(store.save(s, s.version, test::adminActor(QStringLiteral("alice"))));
    QList<Job> notify = notifyJobList();
    QCOMPARE(notify.size(), 2);
    const Job flush = notify.last();
    QCOMPARE(flush.payload.value(QLatin1String("frequency")).toString(), QStringLiteral("immediate"));
    QCOMPARE(flush.runAt, clock->nowMs());
    QCOMPARE(flush.createdBy, QStringLiteral("alice"));

    // From now on, one alert is one notify job, also from the hook that read the settings a moment ago
    // (it keeps them for a second and still believes in daily digests): the digest refuses alerts once
    // the stored settings say immediate, so they cannot join the daily digest after the flush.
    const QList<qint64> now = alerts.handle({failedJob(52, QStringLiteral("late"))});
    QCOMPARE(now.size(), 1);
    QVERIFY(now.first() != daily.first() && now.first() != flush.id);
    QCOMPARE(jobs.get(now.first())->payload.value(QLatin1String("event")).toString(),
             QStringLiteral("job_failed"));
    DigestItem item;
    item.event = QStringLiteral("job_failed");
    item.sourceJobId = 53;
    item.jobType = QStringLiteral("cleanup");
    auto refused = DigestStore(m_db->config(), clock)
                       .collect(
                           {item}, utc("2024-07-11T06:00:00Z"), QStringLiteral("daily"),
                           [](qint64 t) { return t + 86'400'000; }, Actor::system(QStringLiteral("alerts")));
    QVERIFY(!refused);
    QCOMPARE(refused.error().code, Error::Code::Conflict);
    QCOMPARE(DigestStore(m_db->config()).pending()->size(), 1); // only job_51's, waiting for the flush
    QCOMPARE(notifyJobList().size(), 3); // the daily digest, the flush, the single alert: nothing added

    const int mail = messageCount() + 1;
    auto pool = startPool(clock, 1);
    QTRY_COMPARE_WITH_TIMEOUT(toString(jobs.get(flush.id)->status), toString(JobStatus::Completed), 30000);
    QTRY_COMPARE_WITH_TIMEOUT(toString(jobs.get(now.first())->status), toString(JobStatus::Completed), 30000);
    // Two emails: the flushed digest and the single alert, in either order.
    QJsonObject email;
    for (const int n : {mail, mail + 1}) {
        const QJsonObject m = waitForMessage(n);
        if (m.value(QLatin1String("subject")).toString().contains(QLatin1String("Alert digest")))
            email = m;
    }
    QCOMPARE(email.value(QLatin1String("subject")).toString(),
             QStringLiteral("[HCM] Alert digest: 1 job failed"));
    QVERIFY2(email.value(QLatin1String("body"))
                 .toString()
                 .contains(QLatin1String("1 alert from 2024-07-10 12:20 to 2024-07-10 12:20 (Europe/Berlin) "
                                         "that was waiting for a digest:")),
             qPrintable(email.value(QLatin1String("body")).toString()));
    QVERIFY(email.value(QLatin1String("body")).toString().contains(QLatin1String("job_51 (db_optimize)")));
    QVERIFY(!email.value(QLatin1String("body")).toString().contains(QLatin1String("job_52")));
    QCOMPARE(DigestStore(m_db->config()).pending()->size(), 0);
    QCOMPARE(jobs.get(flush.id)->result.toObject().value(QLatin1String("taken_over")).toInt(), 1);

    // The daily digest, when its time comes, has nothing left.
    clock->setMs(utc("2024-07-11T06:00:00Z"));
    QTRY_COMPARE_WITH_TIMEOUT(toString(jobs.get(daily.first())->status), toString(JobStatus::Completed),
                              30000);
    pool->stopAndWait(5000);
    QCOMPARE(jobs.get(daily.first())->result.toObject().value(QLatin1String("alerts")).toInt(), 0);
    QCOMPARE(messageCount(), mail + 1); // the flush and the single alert; nothing from the daily digest
}

// A digest job that runs again after its delivery (delivery is at least once: its worker may die before
// the outcome is written) finds nothing left and keeps the count of what it delivered.
void TestNotifyAlerts::digestRunAgainKeepsItsCount()
{
    USE_BACKEND_ROW();
    configure([](NotificationSettings &s) { s.digestFrequency = DigestFrequency::Hourly; });
    auto clock = std::make_shared<ManualClock>(utc("2024-01-10T10:20:00Z"));
    const qint64 due = utc("2024-01-10T11:00:00Z");
    DigestStore store(m_db->config(), clock);
    QList<DigestItem> items;
    for (int i = 0; i < 3; ++i) {
        DigestItem item;
        item.event = QStringLiteral("job_failed");
        item.sourceJobId = 81 + i;
        item.jobType = QStringLiteral("cleanup");
        items.append(item);
    }
    auto scheduled = store.collect(
        items, due, QStringLiteral("hourly"), [](qint64 t) { return t + 3'600'000; },
        Actor::system(QStringLiteral("alerts")));
    QVERIFY2(scheduled, why(scheduled).constData());
    const qint64 job = scheduled->jobId;

    clock->setMs(due);
    auto first = store.claim(due, job, QStringLiteral("hourly"));
    QVERIFY2(first, why(first).constData());
    QVERIFY(!first->duplicate);
    QCOMPARE(first->items.size(), 3);
    QList<qint64> ids;
    for (const DigestItem &item : std::as_const(first->items))
        ids.append(item.id);
    QVERIFY(store.markDelivered(due, job, ids));
    QCOMPARE(store.digest(due)->value().itemCount, 3);

    auto again = store.claim(due, job, QStringLiteral("hourly"));
    QVERIFY2(again, why(again).constData());
    QVERIFY(!again->duplicate);
    QCOMPARE(again->items.size(), 0);
    QVERIFY(store.markDelivered(due, job, {}));
    QCOMPARE(store.digest(due)->value().state, QStringLiteral("delivered"));
    QCOMPARE(store.digest(due)->value().itemCount, 3);
    QCOMPARE(store.pending()->size(), 0);
}

// When alerts cannot be collected for a digest (here its table is gone, as for a worker role that was
// never granted the digest tables), they are sent one by one instead of being lost, and the digest job
// that could not be registered is withdrawn.
void TestNotifyAlerts::digestUnavailableAlertsSentOneByOne()
{
    USE_BACKEND_ROW();
    configure([](NotificationSettings &s) {
        s.slackEnabled = true;
        s.digestFrequency = DigestFrequency::Hourly;
    });
    {
        auto db = Database::connection(m_db->config());
        QVERIFY(db);
        QSqlQuery q(db.value());
        QVERIFY2(q.exec(QStringLiteral("DROP TABLE notification_digest_items")),
                 qPrintable(q.lastError().text()));
    }
    auto clock = std::make_shared<ManualClock>(utc("2024-01-10T10:20:00Z"));
    const QList<qint64> ids =
        JobAlerts(m_db->config(), clock)
            .handle({failedJob(71, QStringLiteral("disk full")), failedJob(72, QStringLiteral("no route"))});
    QCOMPARE(ids.size(), 2);
    JobStore jobs(m_db->config());
    for (int i = 0; i < 2; ++i) {
        auto job = jobs.get(ids.at(i));
        QVERIFY(job);
        QCOMPARE(job->type, QStringLiteral("notify"));
        QCOMPARE(job->payload.value(QLatin1String("event")).toString(), QStringLiteral("job_failed"));
        QCOMPARE(job->payload.value(QLatin1String("job_id")).toInteger(), qint64(71 + i));
        QVERIFY(!job->payload.contains(DigestStore::payloadKey()));
    }
    QCOMPARE(notifyJobList().size(), 2);
}

QTEST_GUILESS_MAIN(TestNotifyAlerts)
#include "tst_notifyalerts.moc"
