#include "notificationsform.h"

#include "ui/channeltestwidget.h"
#include "ui/secretfieldwidget.h"
#include "ui/statusicons.h"
#include "ui/wrappedlabel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCompleter>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QPushButton>
#include <QSpinBox>
#include <QTimeEdit>
#include <QTimeZone>
#include <QToolButton>

#include <limits>

namespace hcm::ui {

namespace {

const QString kTimeFormat = QStringLiteral("HH:mm");

int defaultPort(const QString &security)
{
    if (security == QLatin1String("tls"))
        return 465;
    if (security == QLatin1String("none"))
        return 25;
    return 587;
}

int channelIndex(NotifyChannel channel)
{
    return int(channel);
}

// The inline error under a field. Its line is always there, empty while the field is fine, so a message
// appearing or going never moves the fields under the mouse. A message longer than the line is elided;
// the whole of it is the tooltip (and the field's accessible description).
class ErrorLine final : public QLabel {
public:
    ErrorLine()
    {
        setObjectName(QStringLiteral("fieldError"));
        setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
        setFixedHeight(fontMetrics().height());
    }
    // As wide as the field column, whatever the message: a long one is elided, never widens the form.
    QSize sizeHint() const override { return {0, fontMetrics().height()}; }
    QSize minimumSizeHint() const override { return sizeHint(); }

protected:
    void changeEvent(QEvent *event) override
    {
        QLabel::changeEvent(event);
        if (event->type() == QEvent::FontChange)
            setFixedHeight(fontMetrics().height());
    }
    void paintEvent(QPaintEvent *) override
    {
        QPainter p(this);
        p.setPen(palette().color(QPalette::WindowText));
        const QString line = QString(text()).replace(u'\n', QLatin1String("; "));
        p.drawText(contentsRect(), Qt::AlignLeft | Qt::AlignVCenter,
                   fontMetrics().elidedText(line, Qt::ElideRight, contentsRect().width()));
    }
};

// Tab leaves a time field like any other field; its hours and minutes are a Left / Right apart.
class TimeField final : public QTimeEdit {
public:
    using QTimeEdit::QTimeEdit;

protected:
    bool focusNextPrevChild(bool next) override { return QWidget::focusNextPrevChild(next); }
};

} // namespace

NotificationsForm::NotificationsForm(QWidget *parent)
    : NotificationsForm(NotificationSettings::fields(), parent)
{}

NotificationsForm::NotificationsForm(QList<SettingsField> fields, QWidget *parent)
    : QWidget(parent)
    , m_fields(std::move(fields))
{
    setObjectName(QStringLiteral("notificationsForm"));
    m_leftGroups = {buildEmail(), buildSms()};
    m_rightGroups = {buildSlack(), buildEvents(), buildQuietHours(), buildDelivery()};
    addUnplacedFields();
    auto *columns = new QHBoxLayout(this);
    columns->setContentsMargins(0, 0, 0, 0);
    columns->setSpacing(16);
    for (QBoxLayout *&column : m_columns) {
        column = new QVBoxLayout;
        column->setSpacing(12);
        columns->addLayout(column, 1);
    }
    alignLabels();
    arrangeColumns(false);
    setSettings(NotificationSettings{});
}

NotificationsForm::~NotificationsForm() = default;

// --- building -------------------------------------------------------------------------------------

QFormLayout *NotificationsForm::newForm(QGroupBox *group)
{
    auto *form = new QFormLayout(group);
    form->setLabelAlignment(Qt::AlignRight | Qt::AlignVCenter);
    form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);
    form->setRowWrapPolicy(QFormLayout::DontWrapRows);
    form->setHorizontalSpacing(10);
    form->setVerticalSpacing(6);
    return form;
}

QLabel *NotificationsForm::rowLabel(const QString &text)
{
    auto *label = new QLabel(text);
    label->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    m_rowLabels.append(label);
    return label;
}

QLabel *NotificationsForm::addErrorRow(QFormLayout *form)
{
    auto *error = new ErrorLine;
    QPalette pal = error->palette();
    pal.setColor(QPalette::WindowText, readableOn(statusColor(JobStatus::Failed), palette()));
    error->setPalette(pal);
    form->addRow(QString(), error);
    return error;
}

QLabel *NotificationsForm::addRow(QFormLayout *form, const QString &label, QWidget *field)
{
    QLabel *name = rowLabel(label);
    name->setBuddy(field->focusProxy() ? field->focusProxy() : field);
    form->addRow(name, field);
    return addErrorRow(form);
}

QLabel *NotificationsForm::addRow(QFormLayout *form, const QString &label, QLayout *field)
{
    form->addRow(rowLabel(label), field);
    return addErrorRow(form);
}

void NotificationsForm::addHint(QFormLayout *form, const QString &text)
{
    auto *hint = new WrappedLabel;
    hint->setText(text);
    hint->setObjectName(QStringLiteral("hint"));
    hint->setForegroundRole(QPalette::PlaceholderText);
    form->addRow(QString(), hint);
}

const SettingsField *NotificationsForm::field(const QString &key) const
{
    for (const SettingsField &f : m_fields)
        if (f.name() == key)
            return &f;
    return nullptr;
}

void NotificationsForm::bind(const QString &key, QWidget *editor)
{
    const SettingsField *f = field(key);
    Q_ASSERT_X(f && !f->isSecret(), "NotificationsForm::bind", qPrintable(key));
    editor->setObjectName(key);
    editor->setAccessibleName(f->labelText());
    Binding b{editor, {}, {}, nullptr, nullptr};
    using T = SettingsField::Type;
    if (auto *box = qobject_cast<QCheckBox *>(editor); box && f->type == T::Bool) {
        b.apply = [f, box](NotificationSettings &s) {
            f->setValue(s, box->isChecked());
            return QString();
        };
        b.show = [f, box](const NotificationSettings &s) { box->setChecked(std::get<bool>(f->value(s))); };
        connect(box, &QCheckBox::toggled, this, &NotificationsForm::changed);
    } else if (auto *spin = qobject_cast<QSpinBox *>(editor); spin && f->type == T::Int) {
        b.apply = [f, spin](NotificationSettings &s) {
            f->setValue(s, spin->value());
            return QString();
        };
        b.show = [f, spin](const NotificationSettings &s) { spin->setValue(std::get<int>(f->value(s))); };
        connect(spin, &QSpinBox::valueChanged, this, &NotificationsForm::changed);
    } else if (auto *time = qobject_cast<QTimeEdit *>(editor); time && f->type == T::Time) {
        b.apply = [f, time](NotificationSettings &s) {
            f->setValue(s, time->time());
            return QString();
        };
        b.show = [f, time](const NotificationSettings &s) { time->setTime(std::get<QTime>(f->value(s))); };
        connect(time, &QTimeEdit::timeChanged, this, &NotificationsForm::changed);
    } else if (auto *combo = qobject_cast<QComboBox *>(editor); combo && combo->isEditable()) {
        // Free text with suggestions (the time zone): read as typed.
        b.apply = [f, combo](NotificationSettings &s) { return f->parse(s, combo->currentText()); };
        b.show = [f, combo](const NotificationSettings &s) {
            const QString t = f->text(s);
            combo->setCurrentIndex(combo->findText(t));
            combo->setEditText(t);
        };
        connect(combo, &QComboBox::editTextChanged, this, &NotificationsForm::changed);
    } else if (combo) {
        // One of the field's choices, by its stored name.
        b.apply = [f, combo](NotificationSettings &s) {
            return f->parse(s, combo->currentData().toString());
        };
        b.show = [f, combo](const NotificationSettings &s) {
            const QString t = f->text(s);
            if (combo->findData(t) < 0)
                combo->addItem(t, t); // a value this version does not know: shown as is
            combo->setCurrentIndex(combo->findData(t));
        };
        connect(combo, &QComboBox::currentIndexChanged, this, &NotificationsForm::changed);
    } else if (auto *edit = qobject_cast<QLineEdit *>(editor)) {
        // Text as a person types it; lists are stored "a,b", people read and type "a, b".
        b.apply = [f, edit](NotificationSettings &s) { return f->parse(s, edit->text()); };
        b.show = [f, edit](const NotificationSettings &s) {
            const QString t = f->text(s);
            edit->setText(f->type == T::List ? QString(t).replace(u',', QLatin1String(", ")) : t);
        };
        connect(edit, &QLineEdit::textChanged, this, &NotificationsForm::changed);
    } else {
        qFatal("NotificationsForm: no binding of %s to a %s", qPrintable(key),
               editor->metaObject()->className());
    }
    m_bindings.insert(key, std::move(b));
}

void NotificationsForm::setErrorLabel(const QString &key, QFormLayout *form, QLabel *error)
{
    Binding &b = m_bindings[key];
    b.error = error;
    b.form = form;
}

QLineEdit *NotificationsForm::lineEdit(const QString &key, const QString &placeholder)
{
    auto *edit = new QLineEdit;
    edit->setPlaceholderText(placeholder);
    bind(key, edit);
    return edit;
}

QCheckBox *NotificationsForm::checkBox(const QString &key, const QString &text)
{
    auto *box = new QCheckBox(text);
    bind(key, box);
    return box;
}

QComboBox *NotificationsForm::choice(const QString &key)
{
    auto *combo = new QComboBox;
    for (const SettingsField::Choice &c : field(key)->choices)
        combo->addItem(QCoreApplication::translate("hcm::ui::NotificationsForm", c.text),
                       QLatin1String(c.name));
    bind(key, combo);
    return combo;
}

QTimeEdit *NotificationsForm::timeEdit(const QString &key)
{
    auto *edit = new TimeField;
    edit->setDisplayFormat(kTimeFormat);
    bind(key, edit);
    return edit;
}

SecretFieldWidget *NotificationsForm::secret(const QString &key, const QString &placeholder)
{
    auto *w = new SecretFieldWidget;
    w->setObjectName(key);
    w->setAccessibleName(field(key)->labelText());
    w->setPlaceholderText(placeholder);
    m_secrets.insert(key, w);
    connect(w, &SecretFieldWidget::edited, this, &NotificationsForm::changed);
    return w;
}

QGroupBox *NotificationsForm::buildEmail()
{
    auto *group = new QGroupBox(tr("Email (SMTP)"), this);
    group->setObjectName(QStringLiteral("emailGroup"));
    QFormLayout *form = newForm(group);
    m_sectionForms.insert(int(SettingsField::Section::Email), form);
    form->addRow(checkBox(QStringLiteral("email_enabled"), tr("Send alerts by email")));

    QLineEdit *host = lineEdit(QStringLiteral("smtp_host"), tr("smtp.example.com"));
    setErrorLabel(QStringLiteral("smtp_host"), form, addRow(form, tr("Server:"), host));

    m_port = new QSpinBox;
    // Anything typed reaches validation, which names the valid range: a narrower range here would make
    // the spin box drop the digit that goes past it (99999 became 9999) without a word.
    m_port->setRange(0, std::numeric_limits<int>::max());
    m_port->setGroupSeparatorShown(false);
    m_port->setMinimumWidth(m_port->fontMetrics().horizontalAdvance(QStringLiteral("000000")) + 40);
    bind(QStringLiteral("smtp_port"), m_port);
    setErrorLabel(QStringLiteral("smtp_port"), form, addRow(form, tr("Port:"), m_port));

    m_security = choice(QStringLiteral("smtp_security"));
    // The usual port follows the security, unless someone chose another one.
    connect(m_security, &QComboBox::currentIndexChanged, this, [this] {
        const QString now = m_security->currentData().toString();
        if (!m_filling && m_port->value() == defaultPort(m_lastSecurity))
            m_port->setValue(defaultPort(now));
        m_lastSecurity = now;
    });
    setErrorLabel(QStringLiteral("smtp_security"), form, addRow(form, tr("Security:"), m_security));

    QLineEdit *user = lineEdit(QStringLiteral("smtp_username"), tr("Optional"));
    setErrorLabel(QStringLiteral("smtp_username"), form, addRow(form, tr("User name:"), user));
    SecretFieldWidget *password = secret(QStringLiteral("smtp_password"), tr("New password"));
    m_secretRows.insert(QStringLiteral("smtp_password"), addRow(form, tr("Password:"), password));

    QLineEdit *from = lineEdit(QStringLiteral("email_from_address"), tr("hcm-alerts@example.com"));
    setErrorLabel(QStringLiteral("email_from_address"), form, addRow(form, tr("From address:"), from));
    QLineEdit *fromName = lineEdit(QStringLiteral("email_from_name"), tr("HCM Admin"));
    setErrorLabel(QStringLiteral("email_from_name"), form, addRow(form, tr("From name:"), fromName));
    QLineEdit *replyTo = lineEdit(QStringLiteral("email_reply_to"), tr("Optional"));
    setErrorLabel(QStringLiteral("email_reply_to"), form, addRow(form, tr("Reply-to:"), replyTo));
    QLineEdit *recipients =
        lineEdit(QStringLiteral("email_recipients"), tr("ops@example.com, oncall@example.com"));
    recipients->setToolTip(tr("Addresses that receive alerts, separated by commas"));
    setErrorLabel(QStringLiteral("email_recipients"), form,
                  addRow(form, tr("Admin recipients:"), recipients));

    auto *test = new ChannelTestWidget(NotifyChannel::Email);
    m_tests[channelIndex(NotifyChannel::Email)] = test;
    form->setRowVisible(addRow(form, tr("Test:"), test), false); // a test has no field error
    return group;
}

QGroupBox *NotificationsForm::buildSms()
{
    auto *group = new QGroupBox(tr("SMS (Twilio)"), this);
    group->setObjectName(QStringLiteral("smsGroup"));
    QFormLayout *form = newForm(group);
    m_sectionForms.insert(int(SettingsField::Section::Sms), form);
    m_smsForm = form;
    form->addRow(checkBox(QStringLiteral("sms_enabled"), tr("Send alerts by SMS")));
    QComboBox *provider = choice(QStringLiteral("sms_provider"));
    setErrorLabel(QStringLiteral("sms_provider"), form, addRow(form, tr("Provider:"), provider));
    QLineEdit *sid =
        lineEdit(QStringLiteral("twilio_account_sid"), tr("AC followed by 32 hexadecimal digits"));
    setErrorLabel(QStringLiteral("twilio_account_sid"), form, addRow(form, tr("Account SID:"), sid));
    SecretFieldWidget *token = secret(QStringLiteral("twilio_auth_token"), tr("New auth token"));
    m_secretRows.insert(QStringLiteral("twilio_auth_token"), addRow(form, tr("Auth token:"), token));
    QLineEdit *fromNumber = lineEdit(QStringLiteral("sms_from_number"), tr("+14155550123"));
    setErrorLabel(QStringLiteral("sms_from_number"), form, addRow(form, tr("From number:"), fromNumber));
    QLineEdit *recipients = lineEdit(QStringLiteral("sms_recipients"), tr("+14155550123, +442071838750"));
    recipients->setToolTip(tr("Numbers in E.164 form that receive alerts, separated by commas"));
    setErrorLabel(QStringLiteral("sms_recipients"), form, addRow(form, tr("Recipients:"), recipients));

    // The API address only changes for a Twilio-compatible gateway: out of the way unless asked for.
    m_advancedButton = new QToolButton;
    m_advancedButton->setObjectName(QStringLiteral("advancedButton"));
    m_advancedButton->setText(tr("Advanced"));
    m_advancedButton->setCheckable(true);
    m_advancedButton->setAutoRaise(true);
    m_advancedButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_advancedButton->setArrowType(Qt::RightArrow);
    form->addRow(QString(), m_advancedButton);
    QLineEdit *api = lineEdit(QStringLiteral("twilio_base_url"), tr("https://api.twilio.com"));
    m_apiRow = api;
    QLabel *apiError = addRow(form, tr("API address:"), api);
    setErrorLabel(QStringLiteral("twilio_base_url"), form, apiError);
    form->setRowVisible(api, false);
    form->setRowVisible(apiError, false);
    connect(m_advancedButton, &QToolButton::toggled, this, [this, form, api, apiError](bool on) {
        m_advancedButton->setArrowType(on ? Qt::DownArrow : Qt::RightArrow);
        form->setRowVisible(api, on);
        form->setRowVisible(apiError, on);
    });

    auto *test = new ChannelTestWidget(NotifyChannel::Sms);
    m_tests[channelIndex(NotifyChannel::Sms)] = test;
    form->setRowVisible(addRow(form, tr("Test:"), test), false);
    return group;
}

QGroupBox *NotificationsForm::buildSlack()
{
    auto *group = new QGroupBox(tr("Slack"), this);
    group->setObjectName(QStringLiteral("slackGroup"));
    QFormLayout *form = newForm(group);
    m_sectionForms.insert(int(SettingsField::Section::Slack), form);
    form->addRow(checkBox(QStringLiteral("slack_enabled"), tr("Send alerts to Slack")));
    SecretFieldWidget *webhook =
        secret(QStringLiteral("slack_webhook_url"), tr("https://hooks.slack.com/services/…"));
    m_secretRows.insert(QStringLiteral("slack_webhook_url"), addRow(form, tr("Webhook URL:"), webhook));
    QLineEdit *channel = lineEdit(QStringLiteral("slack_channel"), tr("#alerts (optional)"));
    setErrorLabel(QStringLiteral("slack_channel"), form, addRow(form, tr("Channel:"), channel));
    auto *test = new ChannelTestWidget(NotifyChannel::Slack);
    m_tests[channelIndex(NotifyChannel::Slack)] = test;
    form->setRowVisible(addRow(form, tr("Test:"), test), false);
    return group;
}

QGroupBox *NotificationsForm::buildEvents()
{
    auto *group = new QGroupBox(tr("Events"), this);
    group->setObjectName(QStringLiteral("eventsGroup"));
    QFormLayout *form = newForm(group);
    m_sectionForms.insert(int(SettingsField::Section::Events), form);
    form->addRow(new QLabel(tr("Send an alert when:")));
    form->addRow(checkBox(QStringLiteral("notify_job_failed"), tr("A job failed after its last retry")));
    form->addRow(checkBox(QStringLiteral("notify_job_succeeded"), tr("A job succeeded")));
    form->addRow(checkBox(QStringLiteral("notify_job_retried"), tr("A job is retried")));
    form->addRow(checkBox(QStringLiteral("notify_worker_lost"), tr("A worker stops responding")));
    return group;
}

QGroupBox *NotificationsForm::buildQuietHours()
{
    auto *group = new QGroupBox(tr("Quiet hours"), this);
    group->setObjectName(QStringLiteral("quietHoursGroup"));
    QFormLayout *form = newForm(group);
    m_sectionForms.insert(int(SettingsField::Section::QuietHours), form);
    form->addRow(checkBox(QStringLiteral("quiet_hours_enabled"), tr("Hold alerts during quiet hours")));

    QTimeEdit *start = timeEdit(QStringLiteral("quiet_hours_start"));
    QTimeEdit *end = timeEdit(QStringLiteral("quiet_hours_end"));
    auto *hours = new QHBoxLayout;
    hours->setSpacing(6);
    hours->addWidget(start);
    //: between the start and the end of quiet hours ("22:00 to 07:00")
    hours->addWidget(new QLabel(tr("to")));
    hours->addWidget(end);
    hours->addStretch(1);
    QLabel *hoursError = addRow(form, tr("From:"), hours);
    setErrorLabel(QStringLiteral("quiet_hours_start"), form, hoursError);
    setErrorLabel(QStringLiteral("quiet_hours_end"), form, hoursError);

    auto *zone = new QComboBox;
    zone->setEditable(true);
    zone->setInsertPolicy(QComboBox::NoInsert);
    zone->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    zone->setMinimumContentsLength(22);
    zone->setMaxVisibleItems(16);
    for (const QByteArray &id : QTimeZone::availableTimeZoneIds())
        zone->addItem(QString::fromUtf8(id));
    auto *completer = new QCompleter(zone->model(), zone);
    completer->setCaseSensitivity(Qt::CaseInsensitive);
    completer->setFilterMode(Qt::MatchContains);
    completer->setCompletionMode(QCompleter::PopupCompletion);
    zone->setCompleter(completer);
    bind(QStringLiteral("quiet_hours_timezone"), zone);
    // The typing part of the combo box is what a screen reader lands on.
    zone->lineEdit()->setAccessibleName(zone->accessibleName());
    setErrorLabel(QStringLiteral("quiet_hours_timezone"), form, addRow(form, tr("Time zone:"), zone));
    addHint(form, tr("Alerts raised during quiet hours are delivered when they end, never dropped."));
    return group;
}

QGroupBox *NotificationsForm::buildDelivery()
{
    auto *group = new QGroupBox(tr("Delivery"), this);
    group->setObjectName(QStringLiteral("deliveryGroup"));
    QFormLayout *form = newForm(group);
    m_sectionForms.insert(int(SettingsField::Section::Delivery), form);
    QComboBox *digest = choice(QStringLiteral("digest_frequency"));
    setErrorLabel(QStringLiteral("digest_frequency"), form, addRow(form, tr("Send:"), digest));
    //: %1 is the time of day of daily digests ("08:00")
    addHint(form,
            tr("A digest is one message per channel with every alert since the previous one: hourly at the "
               "top of each hour, daily at %1, in the time zone of quiet hours. One due during quiet hours "
               "goes out when they end.")
                .arg(QTime(NotificationSettings::kDailyDigestHour, 0).toString(kTimeFormat)));

    QLineEdit *ca = lineEdit(QStringLiteral("tls_ca_file"), tr("None: the system's certificates only"));
    auto *browse = new QPushButton(icon("action-open"), tr("Browse…"));
    browse->setObjectName(QStringLiteral("browseCaButton"));
    connect(browse, &QPushButton::clicked, this, [this, ca] {
        auto *dialog = new QFileDialog(window(), tr("Extra Trusted CA Certificate"), ca->text(),
                                       tr("PEM certificates (*.pem *.crt *.cer);;All files (*)"));
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->setFileMode(QFileDialog::ExistingFile);
        connect(dialog, &QFileDialog::fileSelected, ca, [ca](const QString &file) {
            ca->setText(file);
            ca->setFocus(Qt::OtherFocusReason);
        });
        dialog->open();
    });
    auto *caRow = new QHBoxLayout;
    caRow->setSpacing(6);
    caRow->addWidget(ca, 1);
    caRow->addWidget(browse);
    setErrorLabel(QStringLiteral("tls_ca_file"), form, addRow(form, tr("Trusted CA:"), caRow));
    addHint(form, tr("A PEM file trusted for SMTP and HTTPS besides the system's certificates, for a private "
                     "CA. Certificates are always verified."));
    return group;
}

void NotificationsForm::addUnplacedFields()
{
    using T = SettingsField::Type;
    for (const SettingsField &f : std::as_const(m_fields)) {
        const QString key = f.name();
        if (m_bindings.contains(key) || m_secrets.contains(key))
            continue;
        QFormLayout *form = m_sectionForms.value(int(f.section));
        //: the label of a field's row: "SMTP server:"
        const QString label = tr("%1:").arg(f.labelText());
        switch (f.type) {
        case T::Bool:
            form->addRow(checkBox(key, f.labelText()));
            break;
        case T::Int: {
            auto *spin = new QSpinBox;
            spin->setRange(std::numeric_limits<int>::min(), std::numeric_limits<int>::max());
            spin->setGroupSeparatorShown(false);
            bind(key, spin);
            setErrorLabel(key, form, addRow(form, label, spin));
            break;
        }
        case T::Choice:
            setErrorLabel(key, form, addRow(form, label, choice(key)));
            break;
        case T::Time:
            setErrorLabel(key, form, addRow(form, label, timeEdit(key)));
            break;
        case T::Text:
        case T::List:
            setErrorLabel(key, form,
                          addRow(form, label,
                                 f.choices.isEmpty() ? static_cast<QWidget *>(lineEdit(key))
                                                     : static_cast<QWidget *>(choice(key))));
            break;
        case T::Secret:
            m_secretRows.insert(key, addRow(form, label, secret(key, QString())));
            break;
        }
    }
}

// Every row label as wide as the widest, so the fields of stacked groups line up.
void NotificationsForm::alignLabels()
{
    int widest = 0;
    for (QLabel *label : std::as_const(m_rowLabels))
        widest = qMax(widest, label->sizeHint().width());
    for (QLabel *label : std::as_const(m_rowLabels))
        label->setMinimumWidth(widest);
}

void NotificationsForm::arrangeColumns(bool two)
{
    m_twoColumns = two;
    for (QBoxLayout *column : m_columns)
        while (QLayoutItem *item = column->takeAt(0))
            delete item; // the groups stay: only the layout items go
    for (QGroupBox *g : std::as_const(m_leftGroups))
        m_columns[0]->addWidget(g);
    for (QGroupBox *g : std::as_const(m_rightGroups))
        m_columns[two ? 1 : 0]->addWidget(g);
    m_columns[0]->addStretch(1);
    m_columns[1]->addStretch(1);
    static_cast<QBoxLayout *>(layout())->setStretch(1, two ? 1 : 0);
}

void NotificationsForm::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    const bool two = width() >= kTwoColumnWidth;
    if (two != m_twoColumns)
        arrangeColumns(two);
}

// --- values ---------------------------------------------------------------------------------------

void NotificationsForm::setSettings(const NotificationSettings &settings)
{
    m_base = settings;
    m_filling = true;
    for (auto it = m_bindings.cbegin(); it != m_bindings.cend(); ++it)
        it->show(settings);
    for (auto it = m_secrets.cbegin(); it != m_secrets.cend(); ++it)
        it.value()->setStored(field(it.key())->secret(settings).isSet);
    m_lastSecurity = toString(settings.smtpSecurity);
    // An API address other than Twilio's own is worth seeing.
    m_advancedButton->setChecked(settings.twilioBaseUrl != NotificationSettings{}.twilioBaseUrl);
    m_filling = false;
    const QStringList recipients = {settings.emailRecipients.value(0), settings.smsRecipients.value(0)};
    m_tests[channelIndex(NotifyChannel::Email)]->setDefaultRecipient(recipients.at(0));
    m_tests[channelIndex(NotifyChannel::Sms)]->setDefaultRecipient(recipients.at(1));
}

NotificationSettings NotificationsForm::settings(QMap<QString, QString> *parseErrors) const
{
    NotificationSettings s = m_base;
    for (auto it = m_bindings.cbegin(); it != m_bindings.cend(); ++it) {
        const QString error = it->apply(s);
        if (!error.isEmpty() && parseErrors)
            parseErrors->insert(it.key(), error);
    }
    for (auto it = m_secrets.cbegin(); it != m_secrets.cend(); ++it)
        it.value()->applyTo(field(it.key())->secret(s));
    return s;
}

void NotificationsForm::changed()
{
    if (m_filling)
        return;
    const NotificationSettings s = settings();
    m_tests[channelIndex(NotifyChannel::Email)]->setDefaultRecipient(s.emailRecipients.value(0));
    m_tests[channelIndex(NotifyChannel::Sms)]->setDefaultRecipient(s.smsRecipients.value(0));
    emit edited();
}

void NotificationsForm::setErrors(const QMap<QString, QString> &errors)
{
    m_errors = errors;
    // Rows shared by several keys (quiet hours start and end) show every message of their keys.
    QHash<QLabel *, QStringList> messages;
    for (auto it = m_bindings.cbegin(); it != m_bindings.cend(); ++it) {
        const QString message = errors.value(it.key());
        if (it->error) {
            if (!message.isEmpty() && !messages[it->error].contains(message))
                messages[it->error].append(message);
            else
                messages[it->error];
        }
        QPalette pal;
        if (!message.isEmpty()) {
            pal = it->editor->palette();
            pal.setColor(QPalette::Base, invalidFieldBase(palette()));
        }
        it->editor->setPalette(pal);
        it->editor->setAccessibleDescription(message);
        if (!message.isEmpty() && it.key() == QLatin1String("twilio_base_url"))
            m_advancedButton->setChecked(true); // an error nobody can see cannot be fixed
    }
    for (auto it = m_secrets.cbegin(); it != m_secrets.cend(); ++it) {
        const QString message = errors.value(it.key());
        it.value()->setInvalid(!message.isEmpty());
        auto *label = qobject_cast<QLabel *>(m_secretRows.value(it.key()));
        messages[label] = message.isEmpty() ? QStringList() : QStringList{message};
    }
    // Only the text changes: every error line keeps its place whether it has a message or not.
    for (auto it = messages.cbegin(); it != messages.cend(); ++it) {
        it.key()->setText(it->join(u'\n'));
        it.key()->setToolTip(it->join(u'\n'));
    }
}

QString NotificationsForm::errorText(const QString &key) const
{
    QLabel *label = m_bindings.contains(key) ? m_bindings.value(key).error
                                             : qobject_cast<QLabel *>(m_secretRows.value(key));
    if (!label || !m_errors.contains(key) || label->isHidden())
        return {};
    return m_errors.value(key);
}

QWidget *NotificationsForm::editor(const QString &key) const
{
    if (SecretFieldWidget *w = m_secrets.value(key))
        return w;
    return m_bindings.value(key).editor;
}

SecretFieldWidget *NotificationsForm::secretEditor(const QString &key) const
{
    return m_secrets.value(key);
}

ChannelTestWidget *NotificationsForm::testWidget(NotifyChannel channel) const
{
    return m_tests[channelIndex(channel)];
}

} // namespace hcm::ui
