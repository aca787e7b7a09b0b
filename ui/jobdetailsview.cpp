#include "jobdetailsview.h"

#include "jobs/jobrules.h"
#include "jobs/jobtablemodel.h"
#include "jobs/retrypolicy.h"
#include "ui/deliverylogview.h"
#include "ui/retrytimeline.h"
#include "ui/statusicons.h"
#include "ui/tablefit.h"

#include <QCoreApplication>
#include <QEvent>
#include <QFontDatabase>
#include <QGridLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QScrollArea>
#include <QScrollBar>
#include <QStackedWidget>
#include <QStyle>
#include <QTableWidget>
#include <QVBoxLayout>

namespace hcm::ui {

namespace {

// How a finished attempt looks: its words and the status whose icon and colour it borrows.
struct OutcomeLook {
    QString text;
    JobStatus status;
};

OutcomeLook outcomeLook(const QString &outcome)
{
    if (outcome == QLatin1String("completed"))
        return {JobDetailsView::tr("Completed"), JobStatus::Completed};
    if (outcome == QLatin1String("timed_out"))
        return {JobDetailsView::tr("Timed out"), JobStatus::Failed};
    //: the worker running the attempt stopped responding
    if (outcome == QLatin1String("lost"))
        return {JobDetailsView::tr("Lost"), JobStatus::Failed};
    if (outcome == QLatin1String("cancelled"))
        return {JobDetailsView::tr("Cancelled"), JobStatus::Cancelled};
    //: stopped by a worker shutdown, requeued without spending a retry
    if (outcome == QLatin1String("interrupted"))
        return {JobDetailsView::tr("Interrupted"), JobStatus::Cancelled};
    //: claimed by a worker that died before the job started; requeued without spending a retry
    if (outcome == QLatin1String("not_started"))
        return {JobDetailsView::tr("Not started"), JobStatus::Cancelled};
    return {JobDetailsView::tr("Failed"), JobStatus::Failed};
}

QString prettyJson(const QJsonValue &value)
{
    if (value.isObject() && value.toObject().isEmpty())
        return QStringLiteral("{}");
    if (value.isObject())
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Indented)).trimmed();
    if (value.isArray())
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Indented)).trimmed();
    return {};
}

// An invalid colour gives the widget back its inherited palette (and dark theme changes).
void setTextColor(QWidget *w, const QColor &color)
{
    if (!color.isValid()) {
        w->setPalette(QPalette());
        return;
    }
    QPalette pal = w->parentWidget()->palette();
    pal.setColor(QPalette::WindowText, color);
    w->setPalette(pal);
}

QLabel *selectableLabel(QWidget *parent, const QString &objectName, bool wrap = false)
{
    auto *label = new QLabel(parent);
    label->setObjectName(objectName);
    label->setWordWrap(wrap);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    return label;
}

QString clockText(qint64 ms)
{
    return QLocale().toString(QDateTime::fromMSecsSinceEpoch(ms), QStringLiteral("HH:mm:ss"));
}

// Sizes a read-only editor to its text, within a few lines and a dozen.
void fitHeight(QPlainTextEdit *edit)
{
    const int lines = qBound(2, int(edit->document()->blockCount()), 12);
    const int frame = 2 * edit->frameWidth() + int(edit->document()->documentMargin() * 2);
    edit->setFixedHeight(lines * edit->fontMetrics().lineSpacing() + frame + 2);
}

// "nightly-cleanup (#7)": the name from the job's creator ("schedule:nightly-cleanup" for the jobs of a
// slot), so that no query runs on the GUI thread; "#7" for the jobs of "Run Now", created by a person.
QString scheduleText(const Job &j)
{
    if (j.scheduleId <= 0)
        return {};
    const QString id = QStringLiteral("#%1").arg(j.scheduleId);
    static const QLatin1String prefix("schedule:");
    if (j.createdBy.startsWith(prefix) && j.createdBy.size() > prefix.size())
        //: A job's schedule: %1 its name, %2 its id ("#7")
        return JobDetailsView::tr("%1 (%2)").arg(j.createdBy.mid(prefix.size()), id);
    return id;
}

} // namespace

JobDetailsView::JobDetailsView(QWidget *parent)
    : QWidget(parent)
    , m_clock(Clock::system())
{
    buildUi();
    // Every second, as the jobs table's rows: both show the same relative times ("in 4 min") and the
    // timeline's "now" moves on rather than freezing between refreshes.
    m_tick.setInterval(kTickMs);
    connect(&m_tick, &QTimer::timeout, this, &JobDetailsView::tick);
    clear();
}

JobDetailsView::~JobDetailsView() = default;

void JobDetailsView::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::ApplicationPaletteChange)
        refresh(); // the status colours depend on how dark the palette is
}

QLabel *JobDetailsView::addSection(const QString &title, QWidget *body)
{
    auto *heading = new QLabel(title, m_content);
    QFont f = heading->font();
    f.setBold(true);
    heading->setFont(f);
    heading->setContentsMargins(0, 8, 0, 0);
    auto *layout = static_cast<QVBoxLayout *>(m_content->layout());
    layout->addWidget(heading);
    layout->addWidget(body);
    return heading;
}

void JobDetailsView::buildUi()
{
    m_stack = new QStackedWidget(this);
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(m_stack);

    m_messageLabel = selectableLabel(m_stack, QStringLiteral("messageLabel"), true);
    m_messageLabel->setAlignment(Qt::AlignCenter);
    m_stack->addWidget(m_messageLabel);

    auto *scroll = new QScrollArea(m_stack);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_content = new QWidget(scroll);
    auto *layout = new QVBoxLayout(m_content);
    layout->setSpacing(4);
    scroll->setWidget(m_content);
    m_stack->addWidget(scroll);

    // Header: status icon, "job_12 · cache_flush", status text.
    auto *header = new QHBoxLayout;
    header->setSpacing(10);
    m_statusIcon = new QLabel(m_content);
    m_titleLabel = selectableLabel(m_content, QStringLiteral("titleLabel"));
    QFont titleFont = m_titleLabel->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.35);
    titleFont.setBold(true);
    m_titleLabel->setFont(titleFont);
    m_statusLabel = selectableLabel(m_content, QStringLiteral("statusLabel"));
    auto *titles = new QVBoxLayout;
    titles->setSpacing(0);
    titles->addWidget(m_titleLabel);
    titles->addWidget(m_statusLabel);
    header->addWidget(m_statusIcon, 0, Qt::AlignTop);
    header->addLayout(titles, 1);
    layout->addLayout(header);

    // One label/value pair per row: the panel is often narrow.
    auto *grid = new QGridLayout;
    grid->setHorizontalSpacing(12);
    grid->setVerticalSpacing(4);
    grid->setContentsMargins(0, 8, 0, 0);
    const QString names[FieldCount] = {
        tr("Priority:"), tr("Attempts:"),   tr("Retries used:"), tr("Duration:"),
        tr("Created:"),  tr("Run at:"),     tr("Started:"),      JobRules::finishedAtLabel(JobStatus::Queued),
        tr("Worker:"),   tr("Created by:"), tr("Schedule:")};
    for (int i = 0; i < FieldCount; ++i) {
        auto *name = new QLabel(names[i], m_content);
        name->setForegroundRole(QPalette::PlaceholderText);
        m_fieldNames[i] = name;
        m_fieldValues[i] = selectableLabel(m_content, QStringLiteral("field%1").arg(i));
        m_fieldValues[i]->setWordWrap(true);
        grid->addWidget(name, i, 0, Qt::AlignLeft | Qt::AlignTop);
        grid->addWidget(m_fieldValues[i], i, 1);
    }
    grid->setColumnStretch(1, 1);
    layout->addLayout(grid);

    m_errorLabel = selectableLabel(m_content, QStringLiteral("errorLabel"), true);
    m_errorHeading = addSection(tr("Error"), m_errorLabel);

    auto *retries = new QWidget(m_content);
    auto *retriesLayout = new QVBoxLayout(retries);
    retriesLayout->setContentsMargins(0, 0, 0, 0);
    m_retrySummary = selectableLabel(retries, QStringLiteral("retrySummary"), true);
    // The timeline is as wide as its words need; in a pane narrower than that it scrolls sideways on
    // its own (the bar's height is kept free so it covers nothing).
    m_timelineScroll = new QScrollArea(retries);
    m_timelineScroll->setObjectName(QStringLiteral("timelineScroll"));
    m_timelineScroll->setFrameShape(QFrame::NoFrame);
    m_timelineScroll->setWidgetResizable(true);
    m_timelineScroll->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_timelineScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    m_timeline = new RetryTimeline(m_timelineScroll);
    m_timelineScroll->setWidget(m_timeline);
    m_timelineScroll->setFixedHeight(m_timeline->sizeHint().height() +
                                     m_timelineScroll->horizontalScrollBar()->sizeHint().height());
    retriesLayout->addWidget(m_retrySummary);
    retriesLayout->addWidget(m_timelineScroll);
    addSection(tr("Retries"), retries);

    m_attemptsTable = new QTableWidget(0, 7, m_content);
    m_attemptsTable->setObjectName(QStringLiteral("attemptsTable"));
    m_attemptsTable->setAccessibleName(tr("Attempts"));
    m_attemptsTable->setHorizontalHeaderLabels(
        {tr("#"), tr("Worker"), tr("Started"), tr("Finished"), tr("Duration"), tr("Outcome"), tr("Error")});
    m_attemptsTable->verticalHeader()->hide();
    m_attemptsTable->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
    m_attemptsTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_attemptsTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_attemptsTable->setWordWrap(false);
    // Columns sized to their content: in a narrow pane the table scrolls sideways instead of cutting
    // them off ("Comple").
    m_attemptsTable->setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_attemptsTable->horizontalHeader()->setStretchLastSection(true);
    // Shown as #, Outcome, Started, Finished, Duration, Worker, Error: in the narrow side pane the
    // outcome is in view without scrolling ("Comple…" when it came after the worker's long name).
    m_attemptsTable->horizontalHeader()->moveSection(5, 1);
    m_attemptsTable->horizontalHeader()->moveSection(2, 5);
    m_attemptsTable->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    addSection(tr("Attempts"), m_attemptsTable);

    // The alerts about this job (or the messages it delivered), one row per recipient and attempt.
    m_deliveryLog = new DeliveryLogView(m_content);
    addSection(tr("Notifications"), m_deliveryLog);

    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    for (QPlainTextEdit **edit : {&m_payloadEdit, &m_resultEdit}) {
        *edit = new QPlainTextEdit(m_content);
        (*edit)->setReadOnly(true);
        (*edit)->setFont(mono);
        (*edit)->setLineWrapMode(QPlainTextEdit::NoWrap);
    }
    m_payloadEdit->setObjectName(QStringLiteral("payloadView"));
    m_payloadEdit->setAccessibleName(tr("Payload"));
    m_resultEdit->setObjectName(QStringLiteral("resultView"));
    m_resultEdit->setAccessibleName(tr("Result"));
    addSection(tr("Payload"), m_payloadEdit);
    addSection(tr("Result"), m_resultEdit);
    layout->addStretch(1);
}

void JobDetailsView::setClock(std::shared_ptr<Clock> clock)
{
    m_clock = clock ? std::move(clock) : Clock::system();
    refresh();
}

void JobDetailsView::setJob(const Job &job)
{
    if (job.id != m_job.id) {
        // Another job: its notifications are on their way.
        m_deliveryLog->setLoading();
    }
    m_job = job;
    m_stack->setCurrentIndex(1);
    refresh();
    m_tick.start();
}

void JobDetailsView::clear()
{
    m_job = Job{};
    m_deliveryLog->setLoading();
    showMessage(tr("No job selected."));
}

void JobDetailsView::showMessage(const QString &text, bool isError)
{
    m_tick.stop();
    setTextColor(m_messageLabel, isError ? readableOn(statusColor(JobStatus::Failed), palette())
                                         : palette().color(QPalette::PlaceholderText));
    m_messageLabel->setText(text);
    m_stack->setCurrentIndex(0);
}

QString JobDetailsView::timeText(qint64 ms) const
{
    if (ms <= 0)
        return tr("—");
    return QLocale().toString(QDateTime::fromMSecsSinceEpoch(ms), QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

QString JobDetailsView::relativeText(qint64 ms) const
{
    return JobRules::relativeTime(ms, m_clock->nowMs());
}

void JobDetailsView::tick()
{
    // Only what depends on the time: the full refresh rebuilds the attempts table, which would lose
    // its selection and scroll position every second.
    if (m_job.id == 0)
        return;
    const Job &j = m_job;
    const qint64 now = m_clock->nowMs();
    m_statusLabel->setText(JobTableModel::statusText(j, now));
    if (j.startedAt > 0 && j.status == JobStatus::Processing)
        m_fieldValues[Duration]->setText(
            tr("%1 (running)").arg(JobTableModel::durationText(qMax<qint64>(0, now - j.startedAt))));
    if (j.status == JobStatus::Queued && j.runAt > now)
        m_fieldValues[RunAt]->setText(tr("%1 (%2)").arg(clockText(j.runAt), relativeText(j.runAt)));
    fillTimeline();
}

void JobDetailsView::refresh()
{
    if (m_job.id == 0)
        return;
    const Job &j = m_job;
    const qint64 now = m_clock->nowMs();
    const bool retrying = j.status == JobStatus::Queued && j.retryCount > 0;
    const int iconSize = style()->pixelMetric(QStyle::PM_LargeIconSize, nullptr, this);
    m_statusIcon->setPixmap(
        statusIcon(j.status, retrying).pixmap(QSize(iconSize, iconSize), devicePixelRatioF()));
    //: job id · job type
    m_titleLabel->setText(tr("%1 · %2").arg(j.publicId(), j.type));
    m_statusLabel->setText(JobTableModel::statusText(j, now));
    setTextColor(m_statusLabel, readableOn(statusColor(j.status, retrying), palette()));

    QString duration = tr("—");
    if (j.startedAt > 0 && j.status == JobStatus::Processing)
        duration = tr("%1 (running)").arg(JobTableModel::durationText(qMax<qint64>(0, now - j.startedAt)));
    else if (j.startedAt > 0 && j.completedAt > 0)
        duration = JobTableModel::durationText(qMax<qint64>(0, j.completedAt - j.startedAt));
    QString runAt = timeText(j.runAt);
    if (j.status == JobStatus::Queued && j.runAt > now)
        runAt = tr("%1 (%2)").arg(clockText(j.runAt), relativeText(j.runAt));
    const QString values[FieldCount] = {
        displayName(j.priority),
        JobRules::attemptsText(j),
        tr("%1 of %2").arg(j.retryCount).arg(j.maxRetries),
        duration,
        timeText(j.createdAt),
        runAt,
        timeText(j.startedAt),
        timeText(j.completedAt),
        j.workerId.isEmpty() ? tr("—") : j.workerId,
        j.createdBy.isEmpty() ? tr("—") : j.createdBy,
        scheduleText(j),
    };
    for (int i = 0; i < FieldCount; ++i)
        m_fieldValues[i]->setText(values[i]);
    m_fieldNames[Schedule]->setVisible(j.scheduleId > 0);
    m_fieldValues[Schedule]->setVisible(j.scheduleId > 0);
    m_fieldNames[Completed]->setText(JobRules::finishedAtLabel(j.status));

    m_errorHeading->setText(JobRules::errorHeading(j.status));
    m_errorLabel->setText(j.errorDetail().display());
    setTextColor(m_errorLabel, j.status == JobStatus::Failed
                                   ? readableOn(statusColor(JobStatus::Failed), palette())
                                   : QColor());
    m_errorHeading->setVisible(!j.errorMessage.isEmpty());
    m_errorLabel->setVisible(!j.errorMessage.isEmpty());

    fillTimeline();
    fillAttempts();

    const QString payload = prettyJson(j.payload);
    if (m_payloadEdit->toPlainText() != payload)
        m_payloadEdit->setPlainText(payload.isEmpty() ? QStringLiteral("{}") : payload);
    const QString result = prettyJson(j.result);
    m_resultEdit->setPlaceholderText(isFinished(j.status) ? tr("No result.") : tr("No result yet."));
    if (m_resultEdit->toPlainText() != result)
        m_resultEdit->setPlainText(result);
    fitHeight(m_payloadEdit);
    fitHeight(m_resultEdit);
}

void JobDetailsView::fillAttempts()
{
    const Job &j = m_job;
    QList<JobAttempt> rows = j.attemptList;
    const bool running = j.status == JobStatus::Processing && j.startedAt > 0;
    if (running)
        rows.append(JobAttempt{j.id, j.attempts, j.workerId, j.startedAt, 0, QString(), QString()});
    m_attemptsTable->setRowCount(int(rows.size()));
    const int iconSize = style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, this);
    m_attemptsTable->setIconSize(QSize(iconSize, iconSize));
    for (int r = 0; r < rows.size(); ++r) {
        const JobAttempt &a = rows.at(r);
        const bool isRunning = running && r == rows.size() - 1;
        const OutcomeLook look =
            isRunning ? OutcomeLook{tr("Running"), JobStatus::Processing} : outcomeLook(a.outcome);
        const qint64 end = isRunning ? m_clock->nowMs() : a.finishedAt;
        const QString error = a.errorDetail().display();
        const QString cells[] = {QString::number(a.attempt),
                                 a.workerId,
                                 a.startedAt > 0 ? clockText(a.startedAt) : QString(),
                                 a.finishedAt > 0 ? clockText(a.finishedAt) : QString(),
                                 a.startedAt > 0 && end > 0
                                     ? JobTableModel::durationText(qMax<qint64>(0, end - a.startedAt))
                                     : QString(),
                                 look.text,
                                 QString(error).replace(QLatin1Char('\n'), QLatin1Char(' '))};
        //: tooltip of an attempt's row: start and end with dates, then the error
        const QString tip =
            tr("%1 – %2\n%3").arg(timeText(a.startedAt), timeText(a.finishedAt), error).trimmed();
        for (int c = 0; c < 7; ++c) {
            auto *item = new QTableWidgetItem(cells[c]);
            item->setToolTip(tip);
            if (c == 0 || c == 4)
                item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            if (c == 5) {
                item->setIcon(statusIcon(look.status));
                item->setForeground(readableOn(statusColor(look.status), palette()));
            }
            m_attemptsTable->setItem(r, c, item);
        }
    }
    // A few dozen rows at most: measuring them leaves the error column all the room there is.
    for (int c = 0; c < 6; ++c)
        m_attemptsTable->resizeColumnToContents(c);
    if (rows.isEmpty()) {
        m_attemptsTable->hide();
    } else {
        m_attemptsTable->show();
        fitHeightToRows(m_attemptsTable, 6);
    }
}

void JobDetailsView::fillTimeline()
{
    const Job &j = m_job;
    const qint64 now = m_clock->nowMs();
    QList<TimelineEntry> entries;
    // The last few attempts; older ones are in the table.
    const qsizetype firstShown = qMax<qsizetype>(0, j.attemptList.size() - 3);
    for (qsizetype i = firstShown; i < j.attemptList.size(); ++i) {
        const JobAttempt &a = j.attemptList.at(i);
        const OutcomeLook look = outcomeLook(a.outcome);
        entries.append({TimelineEntry::Past, tr("#%1 %2").arg(a.attempt).arg(look.text.toLower()),
                        clockText(a.finishedAt), statusColor(look.status),
                        tr("#%1 %2 at %3").arg(a.attempt).arg(look.text.toLower(), clockText(a.finishedAt))});
    }
    const RetryPolicy policy;
    QList<qint64> predicted;
    QString summary;
    const QColor next = statusColor(JobStatus::Queued, true);
    switch (j.status) {
    case JobStatus::Processing:
        entries.append({TimelineEntry::Now, tr("#%1 running").arg(j.attempts),
                        tr("since %1").arg(clockText(j.startedAt)), statusColor(JobStatus::Processing),
                        tr("#%1 running since %2").arg(j.attempts).arg(clockText(j.startedAt))});
        predicted = policy.predictedRetries(now, j.retryCount, j.maxRetries);
        summary = predicted.isEmpty() ? tr("Attempt %1 is running; it is the last one.").arg(j.attempts)
                                      : tr("Attempt %1 is running. If it fails, the next attempt is %2.")
                                            .arg(j.attempts)
                                            .arg(relativeText(predicted.first()));
        break;
    case JobStatus::Queued:
        entries.append({TimelineEntry::Now, tr("now"), clockText(now), QColor(), tr("now")});
        predicted.append(j.runAt);
        if (j.retryCount > 0)
            predicted += policy.predictedRetries(qMax(j.runAt, now), j.retryCount, j.maxRetries);
        summary = j.retryCount > 0
                      ? tr("Retrying: the next attempt is %1 (at %2); retries left after it: %3.")
                            .arg(relativeText(j.runAt), clockText(j.runAt))
                            .arg(j.maxRetries - j.retryCount)
                      : tr("Waiting for a worker: the first attempt is %1.").arg(relativeText(j.runAt));
        break;
    case JobStatus::Failed:
        //: the end mark of the retry timeline of a failed job
        entries.append({TimelineEntry::End, tr("end"), JobRules::endOfAttemptsText(j),
                        statusColor(JobStatus::Failed), JobRules::endOfAttemptsText(j)});
        summary = JobRules::retriesExhausted(j)
                      //: %1 is the attempts: "4 of 4", "6 in all"
                      ? tr("No retries left; attempts: %1.").arg(JobRules::attemptsText(j))
                      : tr("Failed without retrying (the error is not retryable).");
        break;
    case JobStatus::Completed:
        summary = tr("Completed on attempt %1.").arg(j.attempts);
        break;
    case JobStatus::Cancelled:
        summary = tr("Cancelled: no further attempts.");
        break;
    }
    constexpr int kMaxPredicted = 3;
    for (qsizetype i = 0; i < predicted.size() && i < kMaxPredicted; ++i) {
        const int attempt = j.attempts + int(i) + 1;
        const QString when = relativeText(predicted.at(i));
        const bool more = i == kMaxPredicted - 1 && predicted.size() > kMaxPredicted;
        entries.append(
            {TimelineEntry::Next,
             more ? tr("#%1 … #%2").arg(attempt).arg(j.attempts + predicted.size()) : tr("#%1").arg(attempt),
             when, next,
             //: a predicted attempt of a failing job; %1 is "in 4 min"
             i == 0 ? tr("next attempt %1").arg(when) : tr("then %1").arg(when)});
    }
    m_retrySummary->setText(summary);
    m_timeline->setEntries(entries);
    // The scroll area sizes the timeline only when it lays itself out: the marks of the previous job
    // would otherwise keep their width ("#1 fehlgeschlag…" in slots made for two marks).
    QEvent relayout(QEvent::LayoutRequest);
    QCoreApplication::sendEvent(m_timelineScroll, &relayout);
    m_timelineScroll->setVisible(!entries.isEmpty());
}

void JobDetailsView::setDeliveries(qint64 jobId, const QList<DeliveryRecord> &deliveries)
{
    if (jobId == m_job.id && jobId != 0)
        m_deliveryLog->setDeliveries(deliveries);
}

void JobDetailsView::setDeliveriesError(qint64 jobId, const QString &message)
{
    if (jobId == m_job.id && jobId != 0)
        m_deliveryLog->setError(message);
}

const QList<DeliveryRecord> &JobDetailsView::deliveries() const
{
    return m_deliveryLog->deliveries();
}

QStringList JobDetailsView::timelineTexts() const
{
    QStringList out;
    for (const TimelineEntry &e : m_timeline->entries())
        out << e.sentence;
    return out;
}

} // namespace hcm::ui
