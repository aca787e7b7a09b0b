#include "newjobdialog.h"

#include "db/dbthread.h"
#include "jobs/jobtypes.h"
#include "ui/jobfieldsform.h"
#include "ui/statusicons.h"

#include <QCheckBox>
#include <QDateTimeEdit>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace hcm::ui {

namespace {

QDateTime defaultStart()
{
    QDateTime t = QDateTime::currentDateTime().addSecs(5 * 60);
    t.setTime(QTime(t.time().hour(), t.time().minute()));
    return t;
}

} // namespace

NewJobDialog::NewJobDialog(AsyncJobService *service, Actor actor, QWidget *parent)
    : QDialog(parent)
    , m_service(service)
    , m_actor(std::move(actor))
{
    setWindowTitle(tr("New Job"));
    setWindowIcon(icon("action-new"));
    buildForm();

    connect(m_fields, &JobFieldsForm::edited, this, &NewJobDialog::validateNow);
    m_fields->start();
    validateNow();
}

void NewJobDialog::changeEvent(QEvent *event)
{
    QDialog::changeEvent(event);
    // The message colours depend on how dark the palette is.
    if (m_fields &&
        (event->type() == QEvent::PaletteChange || event->type() == QEvent::ApplicationPaletteChange))
        m_fields->refreshColors();
}

void NewJobDialog::buildForm()
{
    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setRowWrapPolicy(QFormLayout::DontWrapRows);
    form->setLabelAlignment(Qt::AlignRight | Qt::AlignVCenter);

    m_fields = new JobFieldsForm(this);
    m_fields->addTypeRows(form, tr("&Type:"));
    m_fields->addPriorityRow(form, tr("&Priority:"));
    m_fields->addPayloadRows(form, tr("Pay&load:"));
    m_fields->addRetriesRow(form, tr("Max &retries:"));

    m_startLaterCheck = new QCheckBox(tr("Start &later"), this);
    m_startLaterCheck->setObjectName(QStringLiteral("startLaterCheck"));
    m_startEdit = new QDateTimeEdit(defaultStart(), this);
    m_startEdit->setObjectName(QStringLiteral("startEdit"));
    m_startEdit->setAccessibleName(tr("Start time"));
    m_startEdit->setTimeSpec(Qt::LocalTime);
    m_startEdit->setCalendarPopup(true);
    m_startEdit->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm"));
    m_startEdit->setEnabled(false);
    auto *startRow = new QHBoxLayout;
    startRow->addWidget(m_startLaterCheck);
    startRow->addWidget(m_startEdit);
    startRow->addStretch(1);
    form->addRow(tr("Start:"), startRow);

    m_submitLabel = new QLabel(this);
    m_submitLabel->setObjectName(QStringLiteral("submitLabel"));
    m_submitLabel->setWordWrap(true);
    m_submitLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_submitLabel->hide();

    m_buttonBox = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_buttonBox->setObjectName(QStringLiteral("buttonBox"));
    QPushButton *ok = m_buttonBox->button(QDialogButtonBox::Ok);
    ok->setText(tr("&Create job"));
    ok->setIcon(icon("action-new"));
    connect(m_buttonBox, &QDialogButtonBox::accepted, this, &NewJobDialog::accept);
    connect(m_buttonBox, &QDialogButtonBox::rejected, this, &NewJobDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form, 1);
    layout->addWidget(m_submitLabel);
    layout->addWidget(m_buttonBox);

    connect(m_startLaterCheck, &QCheckBox::toggled, m_startEdit, &QWidget::setEnabled);
    connect(m_startLaterCheck, &QCheckBox::toggled, this, &NewJobDialog::validateNow);
    resize(520, sizeHint().height());
}

Result<NewJob> NewJobDialog::currentJob() const
{
    auto fields = m_fields->job();
    if (!fields)
        return fields.error();
    NewJob job = fields.value();
    if (m_startLaterCheck->isChecked())
        job.runAt = m_startEdit->dateTime().toMSecsSinceEpoch();
    if (auto st = JobService::validate(job); !st)
        return st.error();
    return job;
}

void NewJobDialog::validateNow()
{
    m_fields->cancelPendingValidation();
    const auto job = currentJob();
    showValidation(job ? QString() : job.error().message);
}

void NewJobDialog::showValidation(const QString &error)
{
    m_fields->showValidation(error);
    m_buttonBox->button(QDialogButtonBox::Ok)->setEnabled(m_fields->isValid() && !isSubmitting());
}

void NewJobDialog::prefill(const NewJob &job)
{
    m_fields->setJob(job);
    const bool later = job.runAt && *job.runAt > QDateTime::currentMSecsSinceEpoch();
    m_startLaterCheck->setChecked(later);
    m_startEdit->setDateTime(later ? QDateTime::fromMSecsSinceEpoch(*job.runAt).toLocalTime()
                                   : defaultStart());
    validateNow();
}

void NewJobDialog::accept()
{
    if (isSubmitting() || !m_service)
        return;
    const auto job = currentJob(); // the typing pause may not have run yet
    if (!job) {
        showValidation(job.error().message);
        return;
    }
    m_submitLabel->hide();
    setSubmitting(true);
    m_submitting = true;
    whenReady(m_service->enqueue(job.value(), m_actor), this, [this](const Result<qint64> &created) {
        m_submitting = false;
        setSubmitting(false);
        if (!created) {
            showSubmitError(created.error().message);
            return;
        }
        emit jobCreated(created.value());
        QDialog::accept();
    });
}

void NewJobDialog::setSubmitting(bool submitting)
{
    m_fields->setEnabled(!submitting);
    m_startLaterCheck->setEnabled(!submitting);
    m_startEdit->setEnabled(!submitting && m_startLaterCheck->isChecked());
    QPushButton *ok = m_buttonBox->button(QDialogButtonBox::Ok);
    ok->setEnabled(!submitting && m_fields->isValid());
    ok->setText(submitting ? tr("Creating…") : tr("&Create job"));
    if (submitting)
        setCursor(Qt::BusyCursor);
    else
        unsetCursor();
}

void NewJobDialog::showSubmitError(const QString &message)
{
    QPalette pal = m_submitLabel->palette();
    pal.setColor(QPalette::WindowText, readableOn(statusColor(JobStatus::Failed), palette()));
    m_submitLabel->setPalette(pal);
    //: %1 is the database's or the service's reason
    m_submitLabel->setText(tr("Could not create the job: %1").arg(message));
    m_submitLabel->show();
}

} // namespace hcm::ui
