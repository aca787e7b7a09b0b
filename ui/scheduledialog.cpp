#include "scheduledialog.h"

#include "jobs/jobservice.h"
#include "jobs/jobtypes.h"
#include "schedules/cronexpression.h"
#include "schedules/scheduleservice.h"
#include "ui/jobfieldsform.h"
#include "ui/statusicons.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTimeZone>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace hcm::ui {

ScheduleDialog::ScheduleDialog(const Schedule &initial, QWidget *parent)
    : QDialog(parent)
    , m_initial(initial)
{
    setObjectName(QStringLiteral("scheduleDialog"));
    setWindowTitle(initial.id > 0 ? tr("Edit Schedule") : tr("New Schedule"));

    // Every widget is made with its parent, in the order of the rows: the tab order.
    auto *form = new QFormLayout;
    m_name = new QLineEdit(initial.name, this);
    m_name->setObjectName(QStringLiteral("name"));
    form->addRow(tr("&Name:"), m_name);
    m_fields = new JobFieldsForm(this, true);
    m_fields->addTypeRows(form, tr("Job &type:"));
    m_fields->typeCombo()->setObjectName(QStringLiteral("type"));
    m_fields->ensureType(initial.jobType);
    m_cron = new QLineEdit(initial.cron, this);
    m_cron->setObjectName(QStringLiteral("cron"));
    //: placeholder of the cron expression field
    m_cron->setPlaceholderText(tr("minute hour day-of-month month day-of-week, e.g. 0 3 * * *"));
    form->addRow(tr("&Cron expression:"), m_cron);
    m_cronInfo = new QLabel(this);
    m_cronInfo->setObjectName(QStringLiteral("cronInfo"));
    m_cronInfo->setWordWrap(true);
    form->addRow(QString(), m_cronInfo);
    m_zone = new QComboBox(this);
    m_zone->setObjectName(QStringLiteral("zone"));
    m_zone->setEditable(true);
    m_zone->setInsertPolicy(QComboBox::NoInsert);
    for (const QByteArray &id : QTimeZone::availableTimeZoneIds())
        m_zone->addItem(QString::fromLatin1(id));
    m_zone->setCurrentText(initial.timeZone);
    form->addRow(tr("Time &zone:"), m_zone);
    m_fields->addPayloadRows(form, tr("&Payload:"));
    m_fields->payloadEdit()->setObjectName(QStringLiteral("payload"));
    // Shorter than in the new-job dialog: the run preview needs the room.
    const int payloadLine = m_fields->payloadEdit()->fontMetrics().lineSpacing();
    m_fields->payloadEdit()->setMinimumHeight(payloadLine * 5);
    m_fields->payloadEdit()->setMaximumHeight(payloadLine * 8);
    m_fields->addPriorityRow(form, tr("P&riority:"));
    m_fields->addRetriesRow(form, tr("Max retr&ies:"));
    m_fields->start();
    NewJob fields;
    fields.type = initial.jobType;
    fields.priority = initial.priority;
    fields.payload = initial.payload;
    fields.maxRetries = initial.maxRetries;
    // A new schedule without a payload keeps the type's template, as a new job does.
    m_fields->setJob(fields, initial.id > 0 || !initial.payload.isEmpty());
    m_overlap = new QComboBox(this);
    m_overlap->addItem(tr("Skip while the previous job is queued or running"), toString(OverlapPolicy::Skip));
    m_overlap->addItem(tr("Allow"), toString(OverlapPolicy::Allow));
    m_overlap->setCurrentIndex(m_overlap->findData(toString(initial.overlap)));
    form->addRow(tr("&Overlap:"), m_overlap);
    m_missed = new QComboBox(this);
    m_missed->addItem(tr("Run once when the workers are back"), toString(MissedPolicy::RunOnce));
    m_missed->addItem(tr("Skip"), toString(MissedPolicy::Skip));
    m_missed->setCurrentIndex(m_missed->findData(toString(initial.missed)));
    form->addRow(tr("&Missed runs:"), m_missed);
    m_enabled = new QCheckBox(tr("Enabled"), this);
    m_enabled->setChecked(initial.enabled);
    form->addRow(QString(), m_enabled);
    m_preview = new QTreeWidget(this);
    m_preview->setObjectName(QStringLiteral("preview"));
    m_preview->setRootIsDecorated(false);
    m_preview->setHeaderLabels({tr("In the schedule's zone"), tr("Local time")});
    m_preview->setMaximumHeight(130);
    m_preview->header()->setSectionResizeMode(QHeaderView::ResizeToContents); // five rows
    form->addRow(tr("Next runs:"), m_preview);
    m_problem = new QLabel(this);
    m_problem->setObjectName(QStringLiteral("problem"));
    m_problem->setWordWrap(true);
    QPalette warn = m_problem->palette();
    warn.setColor(QPalette::WindowText, readableOn(QColor(0xc0, 0x1c, 0x28), palette()));
    m_problem->setPalette(warn);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_problem);
    layout->addWidget(m_buttons);

    connect(m_name, &QLineEdit::textChanged, this, &ScheduleDialog::revalidate);
    connect(m_cron, &QLineEdit::textChanged, this, &ScheduleDialog::revalidate);
    connect(m_zone, &QComboBox::currentTextChanged, this, &ScheduleDialog::revalidate);
    // The type, the retries and the payload after a typing pause; and the payload at once, so that OK
    // is never on for a payload that does not parse.
    connect(m_fields, &JobFieldsForm::edited, this, &ScheduleDialog::revalidate);
    connect(m_fields->payloadEdit(), &QPlainTextEdit::textChanged, this, &ScheduleDialog::revalidate);
    connect(m_enabled, &QCheckBox::toggled, this, &ScheduleDialog::revalidate);
    revalidate();
    setMinimumWidth(620);
}

void ScheduleDialog::changeEvent(QEvent *event)
{
    QDialog::changeEvent(event);
    // The validation colours depend on how dark the palette is.
    if (m_fields &&
        (event->type() == QEvent::PaletteChange || event->type() == QEvent::ApplicationPaletteChange))
        m_fields->refreshColors();
}

Schedule ScheduleDialog::schedule() const
{
    Schedule s = m_initial;
    s.name = m_name->text();
    s.jobType = m_fields->currentType();
    s.cron = m_cron->text().simplified();
    s.timeZone = m_zone->currentText().trimmed();
    const auto fields = m_fields->job();
    s.payload = fields ? fields.value().payload : QJsonObject();
    s.priority = static_cast<JobPriority>(m_fields->priorityCombo()->currentData().toInt());
    s.maxRetries = m_fields->retriesSpin()->value();
    s.overlap = overlapPolicyFromString(m_overlap->currentData().toString()).value_or(OverlapPolicy::Skip);
    s.missed = missedPolicyFromString(m_missed->currentData().toString()).value_or(MissedPolicy::RunOnce);
    s.enabled = m_enabled->isChecked();
    return s;
}

QString ScheduleDialog::problem() const
{
    return m_problem->text();
}

void ScheduleDialog::revalidate()
{
    const auto cron = CronExpression::parse(m_cron->text());
    m_cronInfo->setText(cron ? cron->describe() : cron.error().message);
    QPalette p = m_cron->palette();
    p.setColor(QPalette::Base, cron ? palette().color(QPalette::Base) : invalidFieldBase(palette()));
    m_cron->setPalette(p);

    m_preview->clear();
    const QTimeZone zone(m_zone->currentText().trimmed().toUtf8());
    if (cron && zone.isValid()) {
        for (qint64 t : cron->nextRuns(QDateTime::currentMSecsSinceEpoch(), zone, 5)) {
            const QDateTime there = QDateTime::fromMSecsSinceEpoch(t, zone);
            const QDateTime here = QDateTime::fromMSecsSinceEpoch(t);
            new QTreeWidgetItem(m_preview,
                                {QLocale().toString(there, QStringLiteral("ddd yyyy-MM-dd HH:mm t")),
                                 QLocale().toString(here, QStringLiteral("ddd yyyy-MM-dd HH:mm t"))});
        }
    }

    // Under the payload: why the job fields would make no valid job (a JSON error names its line and
    // column), as in the new-job dialog.
    m_fields->cancelPendingValidation();
    QString fieldsError;
    const auto fields = m_fields->job();
    if (!fields)
        fieldsError = fields.error().message;
    else if (auto st = JobService::validate(fields.value()); !st)
        fieldsError = st.error().message;
    m_fields->showValidation(fieldsError);

    QString problem;
    if (!fields) {
        problem = fields.error().message;
    } else {
        if (auto st = ScheduleService::validate(schedule()); !st)
            problem = st.error().message;
    }
    m_problem->setText(problem);
    // Said once: a problem already shown under the payload is not repeated under the form.
    m_problem->setVisible(!problem.isEmpty() && problem != fieldsError);
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(problem.isEmpty());
}

} // namespace hcm::ui
