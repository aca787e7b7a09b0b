// The job widgets against a real SQLite file and AsyncJobService's thread: the new-job dialog (live
// validation, enqueue, inline failure), the details view and dialog (attempts, predicted retries,
// reload on change, deleted job), the throughput chart. Also renders their screenshots
// (testutil.h: screenshotPath).

#include "testutil.h"

#include "db/database.h"
#include "jobs/asyncjobservice.h"
#include "jobs/jobservice.h"
#include "jobs/jobtypes.h"
#include "ui/jobdetailsdialog.h"
#include "ui/jobdetailsview.h"
#include "ui/newjobdialog.h"
#include "ui/statusicons.h"
#include "ui/throughputchart.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QDialogButtonBox>
#include <QJsonDocument>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableWidget>
#include <QtTest>

#include <cmath>

using namespace hcm;
using namespace hcm::test;
using namespace hcm::ui;

namespace {

const Actor kActor = test::adminActor(QStringLiteral("alice"));
const QString kWorker = QStringLiteral("worker-a1f3");

template<typename T> T *child(QWidget *parent, const char *name)
{
    T *w = parent->findChild<T *>(QString::fromLatin1(name));
    if (!w)
        qWarning("no child %s", name);
    return w;
}

QPushButton *okButton(QWidget *dialog)
{
    return child<QDialogButtonBox>(dialog, "buttonBox")->button(QDialogButtonBox::Ok);
}

void setType(QWidget *dialog, const QString &type)
{
    auto *combo = child<QComboBox>(dialog, "typeCombo");
    combo->setCurrentIndex(combo->findData(type));
}

void typePayload(NewJobDialog &dialog, const QString &text)
{
    auto *edit = child<QPlainTextEdit>(&dialog, "payloadEdit");
    edit->selectAll();
    QTest::keyClick(edit, Qt::Key_Delete);
    // keyClicks takes printable characters only: new lines are Return key presses.
    const QStringList lines = text.split(u'\n');
    for (qsizetype i = 0; i < lines.size(); ++i) {
        if (i > 0)
            QTest::keyClick(edit, Qt::Key_Return);
        QTest::keyClicks(edit, lines.at(i));
    }
}

QJsonObject parsedPayload(QWidget *dialog)
{
    return QJsonDocument::fromJson(child<QPlainTextEdit>(dialog, "payloadEdit")->toPlainText().toUtf8())
        .object();
}

// A cache_flush job that failed twice and waits for its third attempt, the way a worker leaves it.
// Returns its id; `clock` is left 30 s after the second failure.
qint64 retryingJob(const DbConfig &config, const std::shared_ptr<ManualClock> &clock)
{
    JobService service{JobStore(config, clock)};
    const qint64 id = service
                          .enqueue(NewJob{QStringLiteral("cache_flush"), JobPriority::High,
                                          QJsonObject{{QStringLiteral("action"), QStringLiteral("expired")},
                                                      {QStringLiteral("max_age_seconds"), 86400}},
                                          3, std::nullopt},
                                   kActor)
                          .value();
    const QStringList errors = {
        QStringLiteral("cannot remove /var/cache/hcm/tiles/0042.bin: Permission denied"),
        QStringLiteral("cannot remove /var/cache/hcm/tiles/0042.bin: Device or resource busy"),
    };
    for (int i = 0; i < 2; ++i) {
        clock->advanceMs(i == 0 ? 1'500 : 2 * 60'000 + 900);
        auto claimed = service.store().claim(kWorker, 1, 60'000, {QStringLiteral("cache_flush")});
        if (!claimed || claimed->size() != 1)
            return 0;
        const qint64 started = clock->nowMs();
        clock->advanceMs(i == 0 ? 1'240 : 3'870);
        JobOutcome o{id,
                     claimed->first().attempt,
                     JobOutcome::Kind::Failed,
                     {},
                     errors.at(i),
                     true,
                     started,
                     clock->nowMs()};
        if (!service.store().finish(kWorker, {o}))
            return 0;
    }
    clock->advanceMs(30'000);
    return id;
}

qint64 nowRoundedToMinute()
{
    return QDateTime::currentMSecsSinceEpoch() / 60'000 * 60'000;
}

} // namespace

class TestGuiWidgets : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // QSettings writes into a test location
        QCoreApplication::setOrganizationName(QStringLiteral("hcm-tests"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_gui_widgets"));
        (void)QSqlDatabase::drivers();
        QApplication::setFont(QFont(QStringLiteral("DejaVu Sans"), 9));
    }
    void cleanup() { Database::closeThreadConnections(); }

    void newJobDialogCreatesJob()
    {
        TempDatabase tdb;
        AsyncJobService service{JobStore(tdb.config())};
        NewJobDialog dialog(&service, kActor);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));

        setType(&dialog, QStringLiteral("cache_flush"));
        child<QComboBox>(&dialog, "priorityCombo")->setCurrentIndex(2); // high
        typePayload(dialog, QStringLiteral(R"({"action": "expired", "max_age_seconds": 3600})"));
        child<QSpinBox>(&dialog, "maxRetriesSpin")->setValue(5);
        QTRY_COMPARE(child<QLabel>(&dialog, "validationLabel")->text(), QStringLiteral("Payload is valid"));
        QVERIFY(okButton(&dialog)->isEnabled());

        QSignalSpy created(&dialog, &NewJobDialog::jobCreated);
        QTest::mouseClick(okButton(&dialog), Qt::LeftButton);
        QVERIFY(dialog.isSubmitting());
        QVERIFY(!child<QPlainTextEdit>(&dialog, "payloadEdit")->isEnabled());
        QVERIFY(created.wait(5000));
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        QVERIFY(!dialog.isVisible());

        const qint64 id = created.first().first().toLongLong();
        auto job = JobStore(tdb.config()).get(id);
        QVERIFY(job.ok());
        QCOMPARE(job->type, QStringLiteral("cache_flush"));
        QCOMPARE_ENUM(job->priority, JobPriority::High);
        QCOMPARE(job->payload.value(QStringLiteral("action")).toString(), QStringLiteral("expired"));
        QCOMPARE(job->payload.value(QStringLiteral("max_age_seconds")).toInt(), 3600);
        QCOMPARE(job->maxRetries, 5);
        QCOMPARE(job->createdBy, kActor.name);
        QCOMPARE_ENUM(job->status, JobStatus::Queued);
    }

    void newJobDialogStartLater()
    {
        TempDatabase tdb;
        AsyncJobService service{JobStore(tdb.config())};
        NewJobDialog dialog(&service, kActor);
        auto *edit = child<QDateTimeEdit>(&dialog, "startEdit");
        QVERIFY(!edit->isEnabled());
        child<QCheckBox>(&dialog, "startLaterCheck")->setChecked(true);
        QVERIFY(edit->isEnabled());
        const QDateTime when = QDateTime::currentDateTime().addSecs(3600);
        edit->setDateTime(when);
        auto job = dialog.currentJob();
        QVERIFY(job.ok());
        QVERIFY(job->runAt.has_value());
        QVERIFY(std::abs(*job->runAt - when.toMSecsSinceEpoch()) < 60'000);
    }

    void invalidJsonDisablesOk()
    {
        TempDatabase tdb;
        AsyncJobService service{JobStore(tdb.config())};
        NewJobDialog dialog(&service, kActor);
        dialog.show();
        setType(&dialog, QStringLiteral("cache_flush"));
        QVERIFY(okButton(&dialog)->isEnabled());
        typePayload(dialog, QStringLiteral(R"({"action" "full"})"));
        auto *label = child<QLabel>(&dialog, "validationLabel");
        QTRY_VERIFY(label->text().contains(QStringLiteral("not valid JSON")));
        QVERIFY2(label->text().contains(QStringLiteral("line 1, column ")), qPrintable(label->text()));
        QVERIFY(!okButton(&dialog)->isEnabled());
        // Enter is refused too: nothing is sent.
        dialog.accept();
        QVERIFY(!dialog.isSubmitting());
        QVERIFY(dialog.isVisible());

        // A multi-line payload reports the line of the mistake.
        typePayload(dialog, QStringLiteral("{\n  \"action\": full\n}"));
        QTRY_VERIFY2(label->text().contains(QStringLiteral("line 2, column ")), qPrintable(label->text()));
    }

    void typeRuleErrorIsShown()
    {
        TempDatabase tdb;
        AsyncJobService service{JobStore(tdb.config())};
        NewJobDialog dialog(&service, kActor);
        setType(&dialog, QStringLiteral("cache_flush"));
        typePayload(dialog, QStringLiteral(R"({"action":"most"})"));
        dialog.validateNow();
        const QString text = child<QLabel>(&dialog, "validationLabel")->text();
        QVERIFY2(text.contains(QStringLiteral(R"(payload field "action" must be one of: full, expired)")),
                 qPrintable(text));
        QVERIFY(!okButton(&dialog)->isEnabled());
    }

    void changingTypeRefillsTemplate()
    {
        TempDatabase tdb;
        AsyncJobService service{JobStore(tdb.config())};
        NewJobDialog dialog(&service, kActor);
        setType(&dialog, QStringLiteral("cache_flush"));
        QCOMPARE(parsedPayload(&dialog),
                 JobTypeCatalog::instance().find(QStringLiteral("cache_flush"))->payloadTemplate);
        setType(&dialog, QStringLiteral("db_optimize"));
        QCOMPARE(parsedPayload(&dialog),
                 JobTypeCatalog::instance().find(QStringLiteral("db_optimize"))->payloadTemplate);
        QVERIFY(!child<QLabel>(&dialog, "typeDescription")->text().isEmpty());

        // An edited payload is the user's: a change of type keeps it.
        typePayload(dialog, QStringLiteral(R"({"mode": "analyze"})"));
        setType(&dialog, QStringLiteral("log_rotate"));
        QCOMPARE(parsedPayload(&dialog), (QJsonObject{{QStringLiteral("mode"), QStringLiteral("analyze")}}));
    }

    void prefillFillsTheForm()
    {
        TempDatabase tdb;
        AsyncJobService service{JobStore(tdb.config())};
        NewJobDialog dialog(&service, kActor);
        const qint64 later = QDateTime::currentMSecsSinceEpoch() + 2 * 3600'000;
        dialog.prefill(NewJob{QStringLiteral("log_rotate"), JobPriority::Critical,
                              QJsonObject{{QStringLiteral("keep"), 9}}, 7, later});
        QCOMPARE(child<QComboBox>(&dialog, "typeCombo")->currentData().toString(),
                 QStringLiteral("log_rotate"));
        QCOMPARE(child<QComboBox>(&dialog, "priorityCombo")->currentData().toInt(),
                 int(JobPriority::Critical));
        QCOMPARE(parsedPayload(&dialog), (QJsonObject{{QStringLiteral("keep"), 9}}));
        QCOMPARE(child<QSpinBox>(&dialog, "maxRetriesSpin")->value(), 7);
        QVERIFY(child<QCheckBox>(&dialog, "startLaterCheck")->isChecked());
        QVERIFY(std::abs(child<QDateTimeEdit>(&dialog, "startEdit")->dateTime().toMSecsSinceEpoch() - later) <
                60'000);
        QVERIFY(okButton(&dialog)->isEnabled());
        auto job = dialog.currentJob();
        QVERIFY(job.ok());
        QCOMPARE(job->maxRetries, 7);
    }

    void enqueueFailureStaysOpen()
    {
        TempDatabase tdb;
        AsyncJobService service{JobStore(tdb.config())};
        NewJobDialog dialog(&service, kActor);
        dialog.show();
        // Make the insert fail in the database, after the form has validated.
        auto db = Database::connection(tdb.config());
        QVERIFY(db.ok());
        QVERIFY(QSqlQuery(db.value()).exec(QStringLiteral("DROP TABLE job_attempts")));
        QVERIFY(QSqlQuery(db.value()).exec(QStringLiteral("DROP TABLE background_jobs")));
        QSignalSpy created(&dialog, &NewJobDialog::jobCreated);
        QTest::mouseClick(okButton(&dialog), Qt::LeftButton);
        QVERIFY(dialog.isSubmitting());
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.isSubmitting(), 5000);
        QCOMPARE(created.count(), 0);
        QVERIFY(dialog.isVisible());
        QVERIFY(!dialog.isSubmitting());
        auto *message = child<QLabel>(&dialog, "submitLabel");
        QVERIFY(message->isVisible());
        QVERIFY(message->text().startsWith(QStringLiteral("Could not create the job")));
        QVERIFY(okButton(&dialog)->isEnabled());
        QVERIFY(child<QPlainTextEdit>(&dialog, "payloadEdit")->isEnabled());
    }

    void newJobDialogScreenshot()
    {
        TempDatabase tdb;
        AsyncJobService service{JobStore(tdb.config())};
        NewJobDialog dialog(&service, kActor);
        setType(&dialog, QStringLiteral("cache_flush"));
        typePayload(dialog,
                    QStringLiteral("{\n    \"action\": \"expired\",\n    \"max_age_seconds\": 86400\n}"));
        child<QComboBox>(&dialog, "priorityCombo")->setCurrentIndex(2);
        dialog.validateNow();
        dialog.resize(540, dialog.sizeHint().height());
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        // No text cursor in the picture.
        child<QPlainTextEdit>(&dialog, "payloadEdit")->setCursorWidth(0);
        settleLayout();
        settleLayout();
        QVERIFY(dialog.grab().save(screenshotPath(QStringLiteral("new-job-dialog.png"))));
    }

    void detailsViewShowsAttemptsAndPredictsRetries()
    {
        TempDatabase tdb;
        auto clock = std::make_shared<ManualClock>(nowRoundedToMinute());
        const qint64 id = retryingJob(tdb.config(), clock);
        QVERIFY(id > 0);
        auto job = JobStore(tdb.config(), clock).get(id);
        QVERIFY(job.ok());
        QCOMPARE(job->attemptList.size(), 2);
        QCOMPARE(job->retryCount, 2);

        JobDetailsView view;
        view.setClock(clock);
        view.setJob(job.value());
        QCOMPARE(view.jobId(), id);
        QVERIFY(child<QLabel>(&view, "titleLabel")->text().contains(Job::publicId(id)));
        QVERIFY(child<QLabel>(&view, "titleLabel")->text().contains(QStringLiteral("cache_flush")));
        QCOMPARE(child<QLabel>(&view, "statusLabel")->text(), QStringLiteral("Retrying in 4 min"));
        QVERIFY(child<QPlainTextEdit>(&view, "payloadView")
                    ->toPlainText()
                    .contains(QStringLiteral("\"expired\"")));
        auto *table = child<QTableWidget>(&view, "attemptsTable");
        QCOMPARE(table->rowCount(), 2);
        QCOMPARE(table->item(0, 5)->text(), QStringLiteral("Failed"));
        QCOMPARE(table->item(1, 1)->text(), kWorker);
        QVERIFY(table->item(1, 6)->text().contains(QStringLiteral("busy")));
        QVERIFY(child<QLabel>(&view, "errorLabel")->text().contains(QStringLiteral("busy")));

        // Attempt 3 is due in 4 minutes (2^2 after the second failure), attempt 4 8 minutes after it.
        const QStringList timeline = view.timelineTexts();
        QVERIFY2(timeline.contains(QStringLiteral("next attempt in 4 min")), qPrintable(timeline.join(u'|')));
        QVERIFY2(timeline.contains(QStringLiteral("then in 12 min")), qPrintable(timeline.join(u'|')));
        QVERIFY(child<QLabel>(&view, "retrySummary")->text().contains(QStringLiteral("in 4 min")));

        // The third attempt succeeds: a result, no prediction.
        clock->advanceMs(4 * 60'000);
        JobStore store(tdb.config(), clock);
        auto claimed = store.claim(kWorker, 1, 60'000, {QStringLiteral("cache_flush")});
        QVERIFY(claimed.ok() && claimed->size() == 1);
        QVERIFY(store
                    .finish(kWorker, {JobOutcome{id,
                                                 3,
                                                 JobOutcome::Kind::Completed,
                                                 QJsonObject{{QStringLiteral("rows_removed"), 118}},
                                                 {},
                                                 true,
                                                 clock->nowMs(),
                                                 clock->nowMs() + 800}})
                    .ok());
        view.setJob(store.get(id).value());
        QVERIFY(child<QPlainTextEdit>(&view, "resultView")
                    ->toPlainText()
                    .contains(QStringLiteral("\"rows_removed\": 118")));
        QCOMPARE(child<QTableWidget>(&view, "attemptsTable")->rowCount(), 3);
        for (const QString &t : view.timelineTexts())
            QVERIFY2(!t.contains(QStringLiteral("next attempt")), qPrintable(t));
    }

    void detailsViewFailedJobHasNoRetriesLeft()
    {
        Job job;
        job.id = 77;
        job.type = QStringLiteral("email_send");
        job.status = JobStatus::Failed;
        job.maxRetries = 0;
        job.attempts = 1;
        job.errorMessage = QStringLiteral("SMTP is not configured");
        job.attemptList = {
            JobAttempt{77, 1, kWorker, 1000, 2000, QStringLiteral("failed"), job.errorMessage}};
        JobDetailsView view;
        view.setJob(job);
        QVERIFY(view.timelineTexts().contains(QStringLiteral("no retries left")));
        QCOMPARE(child<QLabel>(&view, "statusLabel")->text(), QStringLiteral("Failed"));
    }

    void detailsDialogLoadsAndFollowsChanges()
    {
        TempDatabase tdb;
        AsyncJobService service{JobStore(tdb.config())};
        JobService direct{JobStore(tdb.config())};
        const qint64 id =
            direct
                .enqueue(NewJob{QStringLiteral("db_optimize"), JobPriority::Normal,
                                QJsonObject{{QStringLiteral("mode"), QStringLiteral("analyze")}}, 3,
                                QDateTime::currentMSecsSinceEpoch() + 600'000},
                         kActor)
                .value();
        auto *dialog = new JobDetailsDialog(&service, id);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        QPointer<JobDetailsDialog> guard(dialog);
        dialog->show();
        QCOMPARE(child<QLabel>(dialog, "messageLabel")->text(), QStringLiteral("Loading…"));
        QSignalSpy loaded(dialog, &JobDetailsDialog::loaded);
        QVERIFY(loaded.wait(5000));
        QCOMPARE(dialog->view()->jobId(), id);
        QVERIFY(child<QLabel>(dialog, "statusLabel")->text().startsWith(QStringLiteral("Scheduled in")));

        // JobService announces the cancel on JobNotifier; the dialog reloads on its own.
        QVERIFY(direct.cancel({id}, kActor).first().ok);
        QTRY_COMPARE_WITH_TIMEOUT(child<QLabel>(dialog, "statusLabel")->text(), QStringLiteral("Cancelled"),
                                  5000);
        QCOMPARE_ENUM(dialog->view()->job().status, JobStatus::Cancelled);

        // Deleted: the message is shown instead of the job.
        QVERIFY(direct.deleteFinished({id}, kActor).first().ok);
        auto *message = child<QLabel>(dialog, "messageLabel");
        QTRY_COMPARE_WITH_TIMEOUT(message->text(), QStringLiteral("%1 does not exist").arg(Job::publicId(id)),
                                  5000);
        QVERIFY(message->isVisible());

        dialog->close();
        QTRY_VERIFY(guard.isNull());
        QVERIFY(QSettings().contains(QStringLiteral("JobDetailsDialog/geometry")));
    }

    void detailsDialogScreenshot()
    {
        TempDatabase tdb;
        auto clock = std::make_shared<ManualClock>(nowRoundedToMinute() - 6 * 60'000);
        const qint64 id = retryingJob(tdb.config(), clock);
        QVERIFY(id > 0);
        AsyncJobService service{JobStore(tdb.config(), clock)};
        JobDetailsDialog dialog(&service, id);
        dialog.view()->setClock(clock);
        dialog.resize(540, 720);
        dialog.show();
        QSignalSpy loaded(&dialog, &JobDetailsDialog::loaded);
        QVERIFY(loaded.wait(5000));
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        settleLayout();
        QVERIFY(dialog.grab().save(screenshotPath(QStringLiteral("job-details.png"))));
    }

    void throughputChartPaints()
    {
        ThroughputChart chart;
        chart.resize(chart.sizeHint());
        Throughput empty;
        empty.firstMinuteMs = nowRoundedToMinute() - 59 * 60'000;
        empty.completed = QList<int>(60, 0);
        empty.failed = QList<int>(60, 0);
        chart.setData(empty);
        QVERIFY(!chart.grab().isNull());
        chart.setData(Throughput{}); // no buckets at all
        QVERIFY(!chart.grab().isNull());

        Throughput full = empty;
        qint64 failedTotal = 0;
        for (int i = 0; i < 60; ++i) {
            full.completed[i] = 18 + int(14 * std::sin(i / 7.0) + 9 * std::sin(i / 2.3)) + (i > 40 ? 10 : 0);
            full.failed[i] = (i % 11 == 3) ? 3 : (i % 7 == 0 ? 1 : 0);
            failedTotal += full.failed[i];
        }
        full.completed[59] = 6; // the current minute has just started
        chart.setData(full);
        QCOMPARE(chart.totalFailed(), failedTotal);
        const QImage image = chart.grab().toImage();
        int green = 0;
        int red = 0;
        for (int y = 0; y < image.height(); ++y) {
            for (int x = 0; x < image.width(); ++x) {
                const QRgb px = image.pixel(x, y);
                green += px == statusColor(JobStatus::Completed).rgb();
                red += px == statusColor(JobStatus::Failed).rgb();
            }
        }
        QVERIFY2(green > 1000, qPrintable(QString::number(green)));
        QVERIFY(red > 10);

        chart.resize(520, 160);
        QVERIFY(chart.grab().save(screenshotPath(QStringLiteral("throughput-chart.png"))));
    }
};

QTEST_MAIN(TestGuiWidgets)
#include "tst_gui_widgets.moc"
