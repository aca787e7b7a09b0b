#include "scheduledialog.h"

#include "jobs/jobservice.h"
#include "jobs/jobtypes.h"
#include "schedules/cronexpression.h"
#include "schedules/scheduleservice.h"
#include "ui/statusicons.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QJsonDocument>
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

    m_name = new QLineEdit(initial.name);
    m_name->setObjectName(QStringLiteral("name"));
    m_type = new QComboBox;
    m_type->setObjectName(QStringLiteral("type"));
    for (const JobTypeInfo &t : JobTypeCatalog::instance().types(JobTypeCatalog::testTypesEnabled()))
        m_type->addItem(t.name, t.name);
    if (m_type->findData(initial.jobType) < 0 && !initial.jobType.isEmpty())
        m_type->addItem(initial.jobType, initial.jobType);
    m_type->setCurrentIndex(qMax(0, m_type->findData(initial.jobType)));
    m_cron = new QLineEdit(initial.cron);
    m_cron->setObjectName(QStringLiteral("cron"));
    //: placeholder of the cron expression field
    m_cron->setPlaceholderText(tr("minute hour day-of-month month day-of-week, e.g. 0 3 * * *"));
    m_cronInfo = new QLabel;
    m_cronInfo->setObjectName(QStringLiteral("cronInfo"));
    m_cronInfo->setWordWrap(true);
    m_zone = new QComboBox;
    m_zone->setObjectName(QStringLiteral("zone"));
    m_zone->setEditable(true);
    m_zone->setInsertPolicy(QComboBox::NoInsert);
    for (const QByteArray &id : QTimeZone::availableTimeZoneIds())
        m_zone->addItem(QString::fromLatin1(id));
    m_zone->setCurrentText(initial.timeZone);
    m_payload =
        new QPlainTextEdit(QString::fromUtf8(QJsonDocument(initial.payload).toJson(QJsonDocument::Compact)));
    m_payload->setObjectName(QStringLiteral("payload"));
    m_payload->setMaximumHeight(60);
    m_priority = new QComboBox;
    for (JobPriority p : {JobPriority::Low, JobPriority::Normal, JobPriority::High, JobPriority::Critical})
        m_priority->addItem(displayName(p), static_cast<int>(p));
    m_priority->setCurrentIndex(m_priority->findData(static_cast<int>(initial.priority)));
    m_retries = new QSpinBox;
    m_retries->setRange(0, JobService::kMaxRetriesLimit);
    m_retries->setValue(initial.maxRetries);
    m_overlap = new QComboBox;
    m_overlap->addItem(tr("Skip while the previous job is queued or running"), toString(OverlapPolicy::Skip));
    m_overlap->addItem(tr("Allow"), toString(OverlapPolicy::Allow));
    m_overlap->setCurrentIndex(m_overlap->findData(toString(initial.overlap)));
    m_missed = new QComboBox;
    m_missed->addItem(tr("Run once when the workers are back"), toString(MissedPolicy::RunOnce));
    m_missed->addItem(tr("Skip"), toString(MissedPolicy::Skip));
    m_missed->setCurrentIndex(m_missed->findData(toString(initial.missed)));
    m_enabled = new QCheckBox(tr("Enabled"));
    m_enabled->setChecked(initial.enabled);
    m_preview = new QTreeWidget;
    m_preview->setObjectName(QStringLiteral("preview"));
    m_preview->setRootIsDecorated(false);
    m_preview->setHeaderLabels({tr("In the schedule's zone"), tr("Local time")});
    m_preview->setMaximumHeight(130);
    m_preview->header()->setSectionResizeMode(QHeaderView::ResizeToContents); // five rows
    m_problem = new QLabel;
    m_problem->setObjectName(QStringLiteral("problem"));
    m_problem->setWordWrap(true);
    QPalette warn = m_problem->palette();
    warn.setColor(QPalette::WindowText, readableOn(QColor(0xc0, 0x1c, 0x28), palette()));
    m_problem->setPalette(warn);

    auto *form = new QFormLayout;
    form->addRow(tr("&Name:"), m_name);
    form->addRow(tr("Job &type:"), m_type);
    form->addRow(tr("&Cron expression:"), m_cron);
    form->addRow(QString(), m_cronInfo);
    form->addRow(tr("Time &zone:"), m_zone);
    form->addRow(tr("&Payload:"), m_payload);
    form->addRow(tr("P&riority:"), m_priority);
    form->addRow(tr("Max &retries:"), m_retries);
    form->addRow(tr("&Overlap:"), m_overlap);
    form->addRow(tr("&Missed runs:"), m_missed);
    form->addRow(QString(), m_enabled);
    form->addRow(tr("Next runs:"), m_preview);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_problem);
    layout->addWidget(m_buttons);

    connect(m_name, &QLineEdit::textChanged, this, &ScheduleDialog::revalidate);
    connect(m_cron, &QLineEdit::textChanged, this, &ScheduleDialog::revalidate);
    connect(m_zone, &QComboBox::currentTextChanged, this, &ScheduleDialog::revalidate);
    connect(m_type, &QComboBox::currentIndexChanged, this, &ScheduleDialog::revalidate);
    connect(m_payload, &QPlainTextEdit::textChanged, this, &ScheduleDialog::revalidate);
    connect(m_retries, &QSpinBox::valueChanged, this, &ScheduleDialog::revalidate);
    connect(m_enabled, &QCheckBox::toggled, this, &ScheduleDialog::revalidate);
    revalidate();
    setMinimumWidth(620);
}

Schedule ScheduleDialog::schedule() const
{
    Schedule s = m_initial;
    s.name = m_name->text();
    s.jobType = m_type->currentData().toString();
    s.cron = m_cron->text().simplified();
    s.timeZone = m_zone->currentText().trimmed();
    const auto payload = JobService::parsePayload(m_payload->toPlainText());
    s.payload = payload ? payload.value() : QJsonObject();
    s.priority = static_cast<JobPriority>(m_priority->currentData().toInt());
    s.maxRetries = m_retries->value();
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

    QString problem;
    const auto payload = JobService::parsePayload(m_payload->toPlainText());
    if (!payload) {
        problem = payload.error().message;
    } else {
        Schedule s = schedule();
        s.payload = payload.value();
        if (auto st = ScheduleService::validate(s); !st)
            problem = st.error().message;
    }
    m_problem->setText(problem);
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(problem.isEmpty());
}

} // namespace hcm::ui
