#include "jobfieldsform.h"

#include "jobs/jobservice.h"
#include "jobs/jobtypes.h"
#include "jobs/retrypolicy.h"
#include "ui/statusicons.h"

#include <QComboBox>
#include <QCoreApplication>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QPlainTextEdit>
#include <QSpinBox>
#include <QStyle>

namespace hcm::ui {

namespace {

QString prettyJson(const QJsonObject &object)
{
    if (object.isEmpty())
        return QStringLiteral("{}");
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Indented)).trimmed();
}

} // namespace

// The texts of this form were the new-job dialog's before both dialogs shared them: they keep its
// translation context ("hcm::ui::NewJobDialog", spelt out for lupdate), so the translations made for it
// apply.

JobFieldsForm::JobFieldsForm(QWidget *owner, bool includeTestTypes)
    : QObject(owner)
    , m_owner(owner)
    , m_includeTestTypes(includeTestTypes)
{
    m_validateTimer.setSingleShot(true);
    m_validateTimer.setInterval(150);
    connect(&m_validateTimer, &QTimer::timeout, this, &JobFieldsForm::edited);
}

void JobFieldsForm::addTypeRows(QFormLayout *form, const QString &label)
{
    m_typeCombo = new QComboBox(m_owner);
    m_typeCombo->setObjectName(QStringLiteral("typeCombo"));
    for (const JobTypeInfo &info :
         JobTypeCatalog::instance().types(m_includeTestTypes && JobTypeCatalog::testTypesEnabled()))
        m_typeCombo->addItem(info.name, info.name);
    form->addRow(label, m_typeCombo);

    m_typeDescription = new QLabel(m_owner);
    m_typeDescription->setObjectName(QStringLiteral("typeDescription"));
    m_typeDescription->setWordWrap(true);
    m_typeDescription->setForegroundRole(QPalette::PlaceholderText);
    form->addRow(QString(), m_typeDescription);
}

void JobFieldsForm::addPriorityRow(QFormLayout *form, const QString &label)
{
    m_priorityCombo = new QComboBox(m_owner);
    m_priorityCombo->setObjectName(QStringLiteral("priorityCombo"));
    for (JobPriority p : {JobPriority::Low, JobPriority::Normal, JobPriority::High, JobPriority::Critical})
        m_priorityCombo->addItem(displayName(p), int(p));
    m_priorityCombo->setCurrentIndex(m_priorityCombo->findData(int(JobPriority::Normal)));
    form->addRow(label, m_priorityCombo);
}

void JobFieldsForm::addPayloadRows(QFormLayout *form, const QString &label)
{
    m_payloadEdit = new QPlainTextEdit(m_owner);
    m_payloadEdit->setObjectName(QStringLiteral("payloadEdit"));
    m_payloadEdit->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_payloadEdit->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_payloadEdit->setTabChangesFocus(true);
    m_payloadEdit->setMinimumHeight(m_payloadEdit->fontMetrics().lineSpacing() * 7);
    //: accessible name of the JSON editor
    m_payloadEdit->setAccessibleName(QCoreApplication::translate("hcm::ui::NewJobDialog", "Payload (JSON)"));
    form->addRow(label, m_payloadEdit);

    auto *validationRow = new QHBoxLayout;
    validationRow->setSpacing(6);
    m_validationIcon = new QLabel(m_owner);
    m_validationIcon->setObjectName(QStringLiteral("validationIcon"));
    m_validationIcon->setAlignment(Qt::AlignTop);
    m_validationLabel = new QLabel(m_owner);
    m_validationLabel->setObjectName(QStringLiteral("validationLabel"));
    m_validationLabel->setWordWrap(true);
    m_validationLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    validationRow->addWidget(m_validationIcon, 0, Qt::AlignTop);
    validationRow->addWidget(m_validationLabel, 1);
    form->addRow(QString(), validationRow);
    connect(m_payloadEdit, &QPlainTextEdit::textChanged, this, &JobFieldsForm::onPayloadEdited);
}

void JobFieldsForm::addRetriesRow(QFormLayout *form, const QString &label)
{
    m_maxRetriesSpin = new QSpinBox(m_owner);
    m_maxRetriesSpin->setObjectName(QStringLiteral("maxRetriesSpin"));
    m_maxRetriesSpin->setRange(0, JobService::kMaxRetriesLimit);
    m_maxRetriesSpin->setValue(3);
    m_retriesHint = new QLabel(m_owner);
    m_retriesHint->setObjectName(QStringLiteral("retriesHint"));
    m_retriesHint->setForegroundRole(QPalette::PlaceholderText);
    auto *retriesRow = new QHBoxLayout;
    retriesRow->addWidget(m_maxRetriesSpin);
    retriesRow->addWidget(m_retriesHint, 1);
    // A row whose field is a layout gets no buddy from QFormLayout: make the label here.
    auto *retriesLabel = new QLabel(label, m_owner);
    retriesLabel->setBuddy(m_maxRetriesSpin);
    form->addRow(retriesLabel, retriesRow);
    connect(m_maxRetriesSpin, &QSpinBox::valueChanged, this, &JobFieldsForm::updateRetriesHint);
    connect(m_maxRetriesSpin, &QSpinBox::valueChanged, this, &JobFieldsForm::edited);
}

void JobFieldsForm::start()
{
    connect(m_typeCombo, &QComboBox::currentIndexChanged, this, &JobFieldsForm::onTypeChanged);
    updateRetriesHint();
    onTypeChanged();
}

QString JobFieldsForm::currentType() const
{
    return m_typeCombo->currentData().toString();
}

void JobFieldsForm::onTypeChanged()
{
    const JobTypeInfo *info = JobTypeCatalog::instance().find(currentType());
    m_typeDescription->setText(info ? info->description() : QString());
    const QString templateText = info ? prettyJson(info->payloadTemplate) : QStringLiteral("{}");
    // Only text the user has not touched is replaced: an edited payload survives a change of type.
    const QString current = m_payloadEdit->toPlainText().trimmed();
    if (current.isEmpty() || current == m_templateText.trimmed())
        setPayloadText(templateText);
    m_templateText = templateText;
    emit edited();
}

void JobFieldsForm::setPayloadText(const QString &text)
{
    m_settingPayload = true;
    m_payloadEdit->setPlainText(text);
    m_settingPayload = false;
    m_validateTimer.stop();
}

void JobFieldsForm::onPayloadEdited()
{
    if (!m_settingPayload)
        m_validateTimer.start();
}

Result<NewJob> JobFieldsForm::job() const
{
    auto payload = JobService::parsePayload(m_payloadEdit->toPlainText());
    if (!payload)
        return payload.error();
    NewJob job;
    job.type = currentType();
    job.priority = static_cast<JobPriority>(m_priorityCombo->currentData().toInt());
    job.payload = payload.value();
    job.maxRetries = m_maxRetriesSpin->value();
    return job;
}

void JobFieldsForm::ensureType(const QString &type)
{
    if (!type.isEmpty() && m_typeCombo->findData(type) < 0)
        m_typeCombo->addItem(type, type);
}

void JobFieldsForm::setJob(const NewJob &job, bool withPayload)
{
    const int typeIndex = m_typeCombo->findData(job.type);
    if (typeIndex >= 0)
        m_typeCombo->setCurrentIndex(typeIndex);
    m_priorityCombo->setCurrentIndex(m_priorityCombo->findData(int(job.priority)));
    if (withPayload)
        setPayloadText(prettyJson(job.payload));
    m_maxRetriesSpin->setValue(qBound(0, job.maxRetries, JobService::kMaxRetriesLimit));
}

void JobFieldsForm::updateRetriesHint()
{
    const int retries = m_maxRetriesSpin->value();
    QStringList delays;
    const RetryPolicy policy;
    for (int n = 1; n <= qMin(retries, 4); ++n)
        delays << QString::number(policy.delayMs(n) / 60'000);
    if (retries > 4)
        delays << QStringLiteral("…");
    if (retries == 0) {
        m_retriesHint->setText(
            QCoreApplication::translate("hcm::ui::NewJobDialog", "one attempt, no retries"));
        return;
    }
    const int attempts = retries + 1; // lupdate reads only a plain name as the count
    //: %1 is a list of minutes between failed attempts, e.g. "2, 4, 8"
    const QString hint = QCoreApplication::translate("hcm::ui::NewJobDialog",
                                                     "up to %n attempts; backoff %1 min", nullptr, attempts);
    m_retriesHint->setText(hint.arg(delays.join(QLatin1String(", "))));
}

void JobFieldsForm::showValidation(const QString &error)
{
    m_valid = error.isEmpty();
    const bool failed = !m_valid;
    const QColor color =
        readableOn(statusColor(failed ? JobStatus::Failed : JobStatus::Completed), m_owner->palette());
    QPalette pal = m_validationLabel->palette();
    pal.setColor(QPalette::WindowText, color);
    m_validationLabel->setPalette(pal);
    m_validationLabel->setText(
        failed ? error : QCoreApplication::translate("hcm::ui::NewJobDialog", "Payload is valid"));
    const int size = m_owner->style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, m_owner);
    m_validationIcon->setPixmap(statusIcon(failed ? JobStatus::Failed : JobStatus::Completed)
                                    .pixmap(QSize(size, size), m_owner->devicePixelRatioF()));
}

QString JobFieldsForm::validationText() const
{
    return m_validationLabel->text();
}

void JobFieldsForm::refreshColors()
{
    if (m_validationLabel)
        showValidation(m_valid ? QString() : m_validationLabel->text());
}

void JobFieldsForm::setEnabled(bool enabled)
{
    for (QWidget *w : {static_cast<QWidget *>(m_typeCombo), static_cast<QWidget *>(m_priorityCombo),
                       static_cast<QWidget *>(m_payloadEdit), static_cast<QWidget *>(m_maxRetriesSpin)})
        w->setEnabled(enabled);
}

} // namespace hcm::ui
