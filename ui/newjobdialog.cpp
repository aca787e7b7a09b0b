#include "newjobdialog.h"

#include "db/dbthread.h"
#include "jobs/jobtypes.h"
#include "jobs/retrypolicy.h"
#include "ui/statusicons.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QStyle>
#include <QVBoxLayout>

namespace hcm::ui {

namespace {

QString prettyJson(const QJsonObject &object)
{
    if (object.isEmpty())
        return QStringLiteral("{}");
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Indented)).trimmed();
}

// Status colours are chosen for light backgrounds; on a dark palette they need more light.
QColor readable(QColor color, const QPalette &palette)
{
    return palette.color(QPalette::Window).lightness() < 128 ? color.lighter(170) : color;
}

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

    m_validateTimer.setSingleShot(true);
    m_validateTimer.setInterval(150);
    connect(&m_validateTimer, &QTimer::timeout, this, &NewJobDialog::validateNow);

    onTypeChanged();
    validateNow();
}

void NewJobDialog::changeEvent(QEvent *event)
{
    QDialog::changeEvent(event);
    // The message colours depend on how dark the palette is.
    if (m_validationLabel &&
        (event->type() == QEvent::PaletteChange || event->type() == QEvent::ApplicationPaletteChange))
        showValidation(m_valid ? QString() : m_validationLabel->text());
}

void NewJobDialog::buildForm()
{
    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setRowWrapPolicy(QFormLayout::DontWrapRows);
    form->setLabelAlignment(Qt::AlignRight | Qt::AlignVCenter);

    m_typeCombo = new QComboBox(this);
    m_typeCombo->setObjectName(QStringLiteral("typeCombo"));
    for (const JobTypeInfo &info : JobTypeCatalog::instance().types())
        m_typeCombo->addItem(info.name, info.name);
    form->addRow(tr("&Type:"), m_typeCombo);

    m_typeDescription = new QLabel(this);
    m_typeDescription->setObjectName(QStringLiteral("typeDescription"));
    m_typeDescription->setWordWrap(true);
    m_typeDescription->setForegroundRole(QPalette::PlaceholderText);
    form->addRow(QString(), m_typeDescription);

    m_priorityCombo = new QComboBox(this);
    m_priorityCombo->setObjectName(QStringLiteral("priorityCombo"));
    for (JobPriority p : {JobPriority::Low, JobPriority::Normal, JobPriority::High, JobPriority::Critical})
        m_priorityCombo->addItem(displayName(p), int(p));
    m_priorityCombo->setCurrentIndex(m_priorityCombo->findData(int(JobPriority::Normal)));
    form->addRow(tr("&Priority:"), m_priorityCombo);

    m_payloadEdit = new QPlainTextEdit(this);
    m_payloadEdit->setObjectName(QStringLiteral("payloadEdit"));
    m_payloadEdit->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_payloadEdit->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_payloadEdit->setTabChangesFocus(true);
    m_payloadEdit->setMinimumHeight(m_payloadEdit->fontMetrics().lineSpacing() * 7);
    //: accessible name of the JSON editor
    m_payloadEdit->setAccessibleName(tr("Payload (JSON)"));
    form->addRow(tr("Pay&load:"), m_payloadEdit);

    auto *validationRow = new QHBoxLayout;
    validationRow->setSpacing(6);
    m_validationIcon = new QLabel(this);
    m_validationIcon->setObjectName(QStringLiteral("validationIcon"));
    m_validationIcon->setAlignment(Qt::AlignTop);
    m_validationLabel = new QLabel(this);
    m_validationLabel->setObjectName(QStringLiteral("validationLabel"));
    m_validationLabel->setWordWrap(true);
    m_validationLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    validationRow->addWidget(m_validationIcon, 0, Qt::AlignTop);
    validationRow->addWidget(m_validationLabel, 1);
    form->addRow(QString(), validationRow);

    m_maxRetriesSpin = new QSpinBox(this);
    m_maxRetriesSpin->setObjectName(QStringLiteral("maxRetriesSpin"));
    m_maxRetriesSpin->setRange(0, JobService::kMaxRetriesLimit);
    m_maxRetriesSpin->setValue(3);
    m_retriesHint = new QLabel(this);
    m_retriesHint->setForegroundRole(QPalette::PlaceholderText);
    auto *retriesRow = new QHBoxLayout;
    retriesRow->addWidget(m_maxRetriesSpin);
    retriesRow->addWidget(m_retriesHint, 1);
    // A row whose field is a layout gets no buddy from QFormLayout: make the label here.
    auto *retriesLabel = new QLabel(tr("Max &retries:"), this);
    retriesLabel->setBuddy(m_maxRetriesSpin);
    form->addRow(retriesLabel, retriesRow);

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

    connect(m_typeCombo, &QComboBox::currentIndexChanged, this, &NewJobDialog::onTypeChanged);
    connect(m_payloadEdit, &QPlainTextEdit::textChanged, this, &NewJobDialog::onPayloadEdited);
    connect(m_maxRetriesSpin, &QSpinBox::valueChanged, this, &NewJobDialog::validateNow);
    connect(m_startLaterCheck, &QCheckBox::toggled, m_startEdit, &QWidget::setEnabled);
    connect(m_startLaterCheck, &QCheckBox::toggled, this, &NewJobDialog::validateNow);
    resize(520, sizeHint().height());
}

QString NewJobDialog::currentType() const
{
    return m_typeCombo->currentData().toString();
}

void NewJobDialog::onTypeChanged()
{
    const JobTypeInfo *info = JobTypeCatalog::instance().find(currentType());
    m_typeDescription->setText(info ? info->description() : QString());
    const QString templateText = info ? prettyJson(info->payloadTemplate) : QStringLiteral("{}");
    // Only text the user has not touched is replaced: an edited payload survives a change of type.
    const QString current = m_payloadEdit->toPlainText().trimmed();
    if (current.isEmpty() || current == m_templateText.trimmed())
        setPayloadText(templateText);
    m_templateText = templateText;
    validateNow();
}

void NewJobDialog::setPayloadText(const QString &text)
{
    m_settingPayload = true;
    m_payloadEdit->setPlainText(text);
    m_settingPayload = false;
    m_validateTimer.stop();
}

void NewJobDialog::onPayloadEdited()
{
    if (!m_settingPayload)
        m_validateTimer.start();
}

Result<NewJob> NewJobDialog::currentJob() const
{
    auto payload = JobService::parsePayload(m_payloadEdit->toPlainText());
    if (!payload)
        return payload.error();
    NewJob job;
    job.type = currentType();
    job.priority = static_cast<JobPriority>(m_priorityCombo->currentData().toInt());
    job.payload = payload.value();
    job.maxRetries = m_maxRetriesSpin->value();
    if (m_startLaterCheck->isChecked())
        job.runAt = m_startEdit->dateTime().toMSecsSinceEpoch();
    if (auto st = JobService::validate(job); !st)
        return st.error();
    return job;
}

void NewJobDialog::validateNow()
{
    m_validateTimer.stop();
    const auto job = currentJob();
    showValidation(job ? QString() : job.error().message);

    const int retries = m_maxRetriesSpin->value();
    QStringList delays;
    const RetryPolicy policy;
    for (int n = 1; n <= qMin(retries, 4); ++n)
        delays << QString::number(policy.delayMs(n) / 60'000);
    if (retries > 4)
        delays << QStringLiteral("…");
    m_retriesHint->setText(retries == 0 ? tr("one attempt, no retries")
                                        //: %1 is a list of minutes between failed attempts, e.g. "2, 4, 8"
                                        : tr("up to %n attempts; backoff %1 min", nullptr, retries + 1)
                                              .arg(delays.join(QLatin1String(", "))));
}

void NewJobDialog::showValidation(const QString &error)
{
    m_valid = error.isEmpty();
    const bool failed = !m_valid;
    const QColor color = readable(statusColor(failed ? JobStatus::Failed : JobStatus::Completed), palette());
    QPalette pal = m_validationLabel->palette();
    pal.setColor(QPalette::WindowText, color);
    m_validationLabel->setPalette(pal);
    m_validationLabel->setText(failed ? error : tr("Payload is valid"));
    const int size = style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, this);
    m_validationIcon->setPixmap(statusIcon(failed ? JobStatus::Failed : JobStatus::Completed)
                                    .pixmap(QSize(size, size), devicePixelRatioF()));
    m_buttonBox->button(QDialogButtonBox::Ok)->setEnabled(m_valid && !isSubmitting());
}

void NewJobDialog::prefill(const NewJob &job)
{
    const int typeIndex = m_typeCombo->findData(job.type);
    if (typeIndex >= 0)
        m_typeCombo->setCurrentIndex(typeIndex);
    m_priorityCombo->setCurrentIndex(m_priorityCombo->findData(int(job.priority)));
    setPayloadText(prettyJson(job.payload));
    m_maxRetriesSpin->setValue(qBound(0, job.maxRetries, JobService::kMaxRetriesLimit));
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
    for (QWidget *w : {static_cast<QWidget *>(m_typeCombo), static_cast<QWidget *>(m_priorityCombo),
                       static_cast<QWidget *>(m_payloadEdit), static_cast<QWidget *>(m_maxRetriesSpin),
                       static_cast<QWidget *>(m_startLaterCheck)})
        w->setEnabled(!submitting);
    m_startEdit->setEnabled(!submitting && m_startLaterCheck->isChecked());
    QPushButton *ok = m_buttonBox->button(QDialogButtonBox::Ok);
    ok->setEnabled(!submitting && m_valid);
    ok->setText(submitting ? tr("Creating…") : tr("&Create job"));
    if (submitting)
        setCursor(Qt::BusyCursor);
    else
        unsetCursor();
}

void NewJobDialog::showSubmitError(const QString &message)
{
    QPalette pal = m_submitLabel->palette();
    pal.setColor(QPalette::WindowText, readable(statusColor(JobStatus::Failed), palette()));
    m_submitLabel->setPalette(pal);
    //: %1 is the database's or the service's reason
    m_submitLabel->setText(tr("Could not create the job: %1").arg(message));
    m_submitLabel->show();
}

} // namespace hcm::ui
