// The job details on real widgets (offscreen), given jobs in the states that used to be described
// wrongly: every label true for the state (a manually retried job, a cancelled one), relative times the
// same in the table and the details and far ones as dates, tables as tall as their rows (no row under a
// scroll bar, no column cut off) and the retry timeline's words whole in German.

#include "testutil.h"

#include "common/clock.h"
#include "jobs/jobtablemodel.h"
#include "ui/jobdetailsview.h"
#include "ui/retrytimeline.h"

#include <QApplication>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QScrollBar>
#include <QTableWidget>
#include <QTranslator>
#include <QtTest>

using namespace hcm;
using namespace hcm::test;
using namespace hcm::ui;

namespace {

constexpr qint64 kNow = 1'780'000'000'000; // 2026-05-28

JobAttempt attempt(int n, const QString &outcome, const QString &error = {})
{
    const qint64 start = kNow - 3'600'000 + n * 60'000;
    return JobAttempt{42, n, QStringLiteral("worker-host-1"), start, start + 1500, outcome, error};
}

Job baseJob()
{
    Job j;
    j.id = 42;
    j.type = QStringLiteral("email_send");
    j.createdAt = kNow - 7'200'000;
    j.runAt = j.createdAt;
    j.createdBy = QStringLiteral("admin:alice");
    return j;
}

QStringList visibleLabelTexts(QWidget *root)
{
    QStringList out;
    for (QLabel *l : root->findChildren<QLabel *>())
        if (l->isVisible())
            out << l->text();
    return out;
}

// German for a few messages of the job error catalogue, as the translation will hold them: a real
// QTranslator the application asks, like the one loaded from hcm_de.qm.
class GermanJobErrors final : public QTranslator {
public:
    QString translate(const char *context, const char *source, const char *, int) const override
    {
        if (qstrcmp(context, "hcm::JobErrors") != 0)
            return {};
        static const QHash<QByteArray, QString> german{
            {"Cannot open the log folder %1: %2.",
             QStringLiteral("Der Log-Ordner %1 lässt sich nicht öffnen: %2.")},
            {"Timed out after %1 s, the limit for %2 jobs: %3",
             QStringLiteral("Nach %1 s abgebrochen, der Grenze für %2-Jobs: %3")},
            {"Stopped after %1 ms of %2 ms.", QStringLiteral("Nach %1 ms von %2 ms angehalten.")},
        };
        return german.value(source);
    }
    bool isEmpty() const override { return false; }
};

} // namespace

class TestGuiJobDetails : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void manualRetryOfNonRetryableJob();
    void cancelledJobLabels();
    void relativeTimesAgreeAndFarOnesAreDates();
    void tablesShowEveryRowAndColumn();
    void timelineWordsWholeInGerman();
    void scheduleLineOnlyForScheduledJobs();
    void relativeTimesTickEverySecond();
    void errorsInTheReadersLanguage();

private:
    std::unique_ptr<JobDetailsView> openView(const Job &job, int width);
    std::shared_ptr<ManualClock> m_clock;
    std::unique_ptr<QTranslator> m_translator;
};

void TestGuiJobDetails::init()
{
    m_clock = std::make_shared<ManualClock>(kNow);
}

void TestGuiJobDetails::cleanup()
{
    if (m_translator) {
        QCoreApplication::removeTranslator(m_translator.get());
        m_translator.reset();
    }
}

std::unique_ptr<JobDetailsView> TestGuiJobDetails::openView(const Job &job, int width)
{
    auto view = std::make_unique<JobDetailsView>();
    view->setClock(m_clock);
    view->resize(width, 900);
    view->setJob(job);
    view->show();
    if (!QTest::qWaitForWindowExposed(view.get()))
        qWarning("not exposed");
    settleLayout();
    return view;
}

// A job a schedule made names it ("Schedule: nightly-cleanup (#7)", the name from its creator, no query);
// one of "Run now" (created by a person) shows the id; a job of no schedule has no such line.
void TestGuiJobDetails::scheduleLineOnlyForScheduledJobs()
{
    Job j = baseJob();
    j.scheduleId = 7;
    j.createdBy = QStringLiteral("schedule:nightly-cleanup");
    auto view = openView(j, 600);
    QStringList texts = visibleLabelTexts(view.get());
    QVERIFY2(texts.contains(QStringLiteral("Schedule:")), qPrintable(texts.join(u'|')));
    QVERIFY2(texts.contains(QStringLiteral("nightly-cleanup (#7)")), qPrintable(texts.join(u'|')));

    j.createdBy = QStringLiteral("admin");
    view->setJob(j);
    settleLayout();
    texts = visibleLabelTexts(view.get());
    QVERIFY2(texts.contains(QStringLiteral("#7")), qPrintable(texts.join(u'|')));

    j.scheduleId = 0;
    view->setJob(j);
    settleLayout();
    texts = visibleLabelTexts(view.get());
    QVERIFY2(!texts.contains(QStringLiteral("Schedule:")), qPrintable(texts.join(u'|')));
}

// Failed with an error that is not retryable, retried by hand, failed again: two attempts, no automatic
// retry spent. It is not "2 of 4" attempts, and retries are left, so not "no retries left".
void TestGuiJobDetails::manualRetryOfNonRetryableJob()
{
    Job j = baseJob();
    j.status = JobStatus::Failed;
    j.attempts = 2;
    j.retryCount = 0;
    j.maxRetries = 3;
    j.startedAt = kNow - 120'000;
    j.completedAt = kNow - 118'000;
    j.errorMessage = QStringLiteral("400 Bad Request: the address is malformed");
    j.attemptList = {attempt(1, QStringLiteral("failed"), j.errorMessage),
                     attempt(2, QStringLiteral("failed"), j.errorMessage)};
    auto view = openView(j, 600);
    QCOMPARE(view->findChild<QLabel *>(QStringLiteral("field1"))->text(), QStringLiteral("2 in all"));
    QCOMPARE(view->findChild<QLabel *>(QStringLiteral("field2"))->text(), QStringLiteral("0 of 3"));
    const QStringList timeline = view->timelineTexts();
    QVERIFY2(!timeline.contains(QStringLiteral("no retries left")), qPrintable(timeline.join(u'|')));
    QVERIFY2(timeline.contains(QStringLiteral("not retryable")), qPrintable(timeline.join(u'|')));
    const QStringList texts = visibleLabelTexts(view.get());
    QVERIFY(texts.contains(QStringLiteral("Failed:")));
    QVERIFY(!texts.contains(QStringLiteral("Completed:")));
    QVERIFY(texts.contains(QStringLiteral("Failed without retrying (the error is not retryable).")));

    // Out of retries the same job says so.
    j.retryCount = 3;
    j.attempts = 4;
    view->setJob(j);
    QCOMPARE(view->findChild<QLabel *>(QStringLiteral("field1"))->text(), QStringLiteral("4 of 4"));
    QVERIFY(view->timelineTexts().contains(QStringLiteral("no retries left")));
}

// A cancelled job did not complete and has no error: its time is "Cancelled:", the note is its reason.
void TestGuiJobDetails::cancelledJobLabels()
{
    Job j = baseJob();
    j.status = JobStatus::Cancelled;
    j.completedAt = kNow - 60'000;
    j.errorMessage = QStringLiteral("Cancelled by admin:alice before it ran.");
    auto view = openView(j, 600);
    const QStringList texts = visibleLabelTexts(view.get());
    QVERIFY2(texts.contains(QStringLiteral("Cancelled:")), qPrintable(texts.join(u'|')));
    QVERIFY(!texts.contains(QStringLiteral("Completed:")));
    QVERIFY(!texts.contains(QStringLiteral("Last error")));
    QVERIFY(!texts.contains(QStringLiteral("Error")));
    QVERIFY(texts.contains(QStringLiteral("Reason")));
    QVERIFY(texts.contains(j.errorMessage));

    // Completed: "Completed:"; queued: no finish time to name.
    j.status = JobStatus::Completed;
    j.errorMessage.clear();
    view->setJob(j);
    QVERIFY(visibleLabelTexts(view.get()).contains(QStringLiteral("Completed:")));
}

// The jobs table's status and the details say the same at the same moment, rounded the same way; a job
// due in 2099 shows its date, not 3790740 minutes.
void TestGuiJobDetails::relativeTimesAgreeAndFarOnesAreDates()
{
    Job j = baseJob();
    j.status = JobStatus::Queued;
    j.retryCount = 1;
    j.attempts = 1;
    j.runAt = kNow + 61'000; // 1 min 1 s: one minute away, in both places
    auto view = openView(j, 600);
    QCOMPARE(JobTableModel::statusText(j, kNow), QStringLiteral("Retrying in 1 min"));
    QCOMPARE(view->findChild<QLabel *>(QStringLiteral("statusLabel"))->text(),
             QStringLiteral("Retrying in 1 min"));
    QVERIFY2(
        view->findChild<QLabel *>(QStringLiteral("field5"))->text().endsWith(QStringLiteral("(in 1 min)")),
        qPrintable(view->findChild<QLabel *>(QStringLiteral("field5"))->text()));
    QVERIFY(view->timelineTexts().contains(QStringLiteral("next attempt in 1 min")));

    j.runAt = kNow + 119'000; // 1 min 59 s
    view->setJob(j);
    QCOMPARE(JobTableModel::statusText(j, kNow), QStringLiteral("Retrying in 2 min"));
    QVERIFY(
        view->findChild<QLabel *>(QStringLiteral("field5"))->text().endsWith(QStringLiteral("(in 2 min)")));

    j.runAt = kNow + 20'000; // not yet due: never "Retrying due now"
    view->setJob(j);
    QCOMPARE(JobTableModel::statusText(j, kNow), QStringLiteral("Retrying in under a minute"));
    QVERIFY(view->findChild<QLabel *>(QStringLiteral("field5"))
                ->text()
                .endsWith(QStringLiteral("(in under a minute)")));

    j.retryCount = 0;
    j.attempts = 0;
    const QDateTime far(QDate(2099, 3, 1), QTime(9, 30));
    j.runAt = far.toMSecsSinceEpoch();
    view->setJob(j);
    const QString date = QLocale().toString(far, QLocale::ShortFormat);
    QCOMPARE(JobTableModel::statusText(j, kNow), QStringLiteral("Scheduled on %1").arg(date));
    QVERIFY2(view->findChild<QLabel *>(QStringLiteral("field5"))
                 ->text()
                 .endsWith(QStringLiteral("(on %1)").arg(date)),
             qPrintable(view->findChild<QLabel *>(QStringLiteral("field5"))->text()));
    QVERIFY(
        !view->findChild<QLabel *>(QStringLiteral("retrySummary"))->text().contains(QStringLiteral(" min")));
}

// In the narrow side pane and in the dialog, every row of the attempts and the notifications is above
// any scroll bar, and every column but the stretching last one is as wide as its content and reachable.
void TestGuiJobDetails::tablesShowEveryRowAndColumn()
{
    Job j = baseJob();
    j.status = JobStatus::Completed;
    j.attempts = 2;
    j.retryCount = 1;
    j.startedAt = kNow - 100'000;
    j.completedAt = kNow - 98'000;
    j.attemptList = {attempt(1, QStringLiteral("failed"), QStringLiteral("SMTP 451 4.7.0 try again later")),
                     attempt(2, QStringLiteral("completed"))};
    for (const int width : {380, 700}) {
        auto view = openView(j, width);
        DeliveryRecord d;
        d.jobId = j.id;
        d.channel = QStringLiteral("email");
        d.recipient = QStringLiteral("payroll-oncall@northwind-hr.example.com");
        d.event = QStringLiteral("job_succeeded");
        d.delivered = true;
        d.latencyMs = 38;
        d.createdAt = kNow - 90'000;
        d.providerResponse =
            QStringLiteral("250 2.0.0 Ok: queued as 4F2A91C0B3 by mail.northwind-hr.example.com");
        view->setDeliveries(j.id, {d});
        settleLayout();
        for (const QString &name : {QStringLiteral("attemptsTable"), QStringLiteral("deliveriesTable")}) {
            auto *table = view->findChild<QTableWidget *>(name);
            QVERIFY(table && table->isVisible());
            const QString where = QStringLiteral("%1 at %2 px").arg(name).arg(width);
            int rows = 0;
            for (int r = 0; r < table->rowCount(); ++r)
                rows += table->rowHeight(r);
            QVERIFY2(table->viewport()->height() >= rows,
                     qPrintable(QStringLiteral("%1: rows %2 px, visible %3 px")
                                    .arg(where)
                                    .arg(rows)
                                    .arg(table->viewport()->height())));
            const bool scrolls = table->horizontalScrollBar()->isVisible();
            for (int c = 0; c < table->columnCount() - 1; ++c) {
                for (int r = 0; r < table->rowCount(); ++r) {
                    const QTableWidgetItem *item = table->item(r, c);
                    const int need = table->fontMetrics().horizontalAdvance(item->text()) +
                                     (item->icon().isNull() ? 0 : table->iconSize().width());
                    QVERIFY2(table->columnWidth(c) >= need,
                             qPrintable(QStringLiteral("%1: \"%2\" needs %3 px, has %4")
                                            .arg(where, item->text())
                                            .arg(need)
                                            .arg(table->columnWidth(c))));
                }
                const int right = table->columnViewportPosition(c) + table->columnWidth(c);
                QVERIFY2(scrolls || right <= table->viewport()->width(),
                         qPrintable(QStringLiteral("%1: column %2 ends at %3 of %4 and cannot be scrolled to")
                                        .arg(where)
                                        .arg(c)
                                        .arg(right)
                                        .arg(table->viewport()->width())));
            }
        }
    }
}

// "#1 fehlgeschlagen" is longer than "#1 failed": the timeline is as wide as the words of the language
// it shows, never "#1 fehl…".
void TestGuiJobDetails::timelineWordsWholeInGerman()
{
    QLocale::setDefault(QLocale(QLocale::German, QLocale::Germany));
    m_translator = std::make_unique<QTranslator>();
    QVERIFY(m_translator->load(QStringLiteral(":/i18n/hcm_de.qm")));
    QCoreApplication::installTranslator(m_translator.get());

    Job j = baseJob();
    j.status = JobStatus::Queued;
    j.attempts = 3;
    j.retryCount = 3;
    j.maxRetries = 8;
    j.runAt = kNow + 240'000;
    j.attemptList = {attempt(1, QStringLiteral("failed")), attempt(2, QStringLiteral("timed_out")),
                     attempt(3, QStringLiteral("failed"))};
    auto view = openView(j, 420);
    auto *timeline = view->findChild<RetryTimeline *>();
    QVERIFY(timeline && timeline->isVisible());
    const QList<TimelineEntry> entries = timeline->entries();
    QVERIFY(entries.size() >= 6);
    QVERIFY2(entries.first().top.contains(QStringLiteral("fehlgeschlagen")), qPrintable(entries.first().top));
    QFont bold = timeline->font();
    bold.setBold(true);
    const double slot = double(timeline->width()) / double(entries.size());
    for (const TimelineEntry &e : entries) {
        QVERIFY2(QFontMetrics(bold).horizontalAdvance(e.top) <= slot - 6,
                 qPrintable(QStringLiteral("\"%1\" in %2 px").arg(e.top).arg(slot)));
        QVERIFY2(timeline->fontMetrics().horizontalAdvance(e.bottom) <= slot - 6,
                 qPrintable(QStringLiteral("\"%1\" in %2 px").arg(e.bottom).arg(slot)));
    }
    QLocale::setDefault(QLocale::c());
}

// The pane's relative times move on with the clock within a tick (they froze for 30 s), as the table's
// do, and only the time-dependent texts change (the attempts table keeps its selection).
void TestGuiJobDetails::relativeTimesTickEverySecond()
{
    Job j = baseJob();
    j.status = JobStatus::Queued;
    j.runAt = kNow + 5 * 60'000;
    auto view = openView(j, 600);
    auto *status = view->findChild<QLabel *>(QStringLiteral("statusLabel"));
    QVERIFY(status);
    QCOMPARE(status->text(), QStringLiteral("Scheduled in 5 min"));
    m_clock->advanceMs(2 * 60'000);
    QTRY_COMPARE_WITH_TIMEOUT(status->text(), QStringLiteral("Scheduled in 3 min"),
                              3 * JobDetailsView::kTickMs);
    m_clock->advanceMs(60'000);
    QTRY_COMPARE_WITH_TIMEOUT(status->text(), QStringLiteral("Scheduled in 2 min"),
                              3 * JobDetailsView::kTickMs);
}

QTEST_MAIN(TestGuiJobDetails)
// Messages the programs made are stored in English with a code and arguments and shown in the reader's
// language (nested ones too: the handler's message inside the worker's); a provider's text and a row
// without a code are shown as they are. The same in the error section, the attempts table, its
// tooltips and the jobs table.
void TestGuiJobDetails::errorsInTheReadersLanguage()
{
    GermanJobErrors german;
    QCoreApplication::installTranslator(&german);
    const auto uninstall = qScopeGuard([&] { QCoreApplication::removeTranslator(&german); });

    const JobError sleep = JobError::make(
        "test.sleep_stopped", {{QStringLiteral("elapsed_ms"), 1000}, {QStringLiteral("ms"), 60000}});
    const JobError timedOut =
        JobError::make("worker.timed_out", {{QStringLiteral("seconds"), 1},
                                            {QStringLiteral("type"), QStringLiteral("log_rotate")},
                                            {QStringLiteral("reason"), sleep.toArgument()}});
    QCOMPARE(timedOut.text,
             QStringLiteral("Timed out after 1 s, the limit for log_rotate jobs: Stopped after 1000 ms "
                            "of 60000 ms."));
    const JobError folder = JobError::make("log_rotate.open_folder",
                                           {{QStringLiteral("folder"), QStringLiteral("/var/log/hcm")},
                                            {QStringLiteral("reason"), QStringLiteral("Permission denied")}});
    const QString provider = QStringLiteral("the SMTP server rejected the user name or password (535 5.7.8)");

    Job j = baseJob();
    j.type = QStringLiteral("log_rotate");
    j.status = JobStatus::Failed;
    j.attempts = 3;
    j.retryCount = 2;
    j.maxRetries = 2;
    j.completedAt = kNow - 60'000;
    j.errorMessage = folder.text;
    j.errorCode = folder.code;
    j.errorArgs = folder.args;
    JobAttempt first = attempt(1, QStringLiteral("timed_out"), timedOut.text);
    first.errorCode = timedOut.code;
    first.errorArgs = timedOut.args;
    JobAttempt second = attempt(2, QStringLiteral("failed"), provider); // a provider's text: no code
    JobAttempt third = attempt(3, QStringLiteral("failed"), folder.text);
    third.errorCode = folder.code;
    third.errorArgs = folder.args;
    j.attemptList = {first, second, third};

    auto view = openView(j, 700);
    auto *error = view->findChild<QLabel *>(QStringLiteral("errorLabel"));
    QVERIFY(error);
    QCOMPARE(error->text(),
             QStringLiteral("Der Log-Ordner /var/log/hcm lässt sich nicht öffnen: Permission denied."));
    auto *table = view->findChild<QTableWidget *>(QStringLiteral("attemptsTable"));
    QVERIFY(table);
    QCOMPARE(table->rowCount(), 3);
    const int errorColumn = table->columnCount() - 1;
    QCOMPARE(
        table->item(0, errorColumn)->text(),
        QStringLiteral(
            "Nach 1 s abgebrochen, der Grenze für log_rotate-Jobs: Nach 1000 ms von 60000 ms angehalten."));
    QVERIFY(table->item(0, 0)->toolTip().endsWith(QStringLiteral("Nach 1000 ms von 60000 ms angehalten.")));
    QCOMPARE(table->item(1, errorColumn)->text(), provider);
    QCOMPARE(table->item(2, errorColumn)->text(),
             QStringLiteral("Der Log-Ordner /var/log/hcm lässt sich nicht öffnen: Permission denied."));

    // The jobs table's Error column and its tooltip.
    QCOMPARE(JobTableModel::errorText(j),
             QStringLiteral("Der Log-Ordner /var/log/hcm lässt sich nicht öffnen: Permission denied."));

    // A row without a code (an older program wrote it) and a code this program does not know (a newer
    // one wrote it): the stored text.
    Job old = j;
    old.errorCode.clear();
    old.errorArgs = {};
    view->setJob(old);
    QCOMPARE(error->text(), folder.text);
    Job newer = j;
    newer.errorCode = QStringLiteral("log_rotate.something_new");
    view->setJob(newer);
    QCOMPARE(error->text(), folder.text);
}

#include "tst_gui_jobdetails.moc"
