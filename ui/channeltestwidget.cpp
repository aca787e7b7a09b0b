#include "channeltestwidget.h"

#include "auth/permissions.h"
#include "db/dbthread.h"

#include "ui/statusicons.h"
#include "ui/wrappedlabel.h"
#include "worker/notify/notificationservice.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QStyle>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace hcm::ui {

namespace {

QString buttonText(NotifyChannel channel)
{
    switch (channel) {
    case NotifyChannel::Email:
        return ChannelTestWidget::tr("Send test email");
    case NotifyChannel::Sms:
        return ChannelTestWidget::tr("Send test SMS");
    case NotifyChannel::Slack:
        return ChannelTestWidget::tr("Send test Slack message");
    }
    return {};
}

QString latencyText(qint64 ms)
{
    //: latency of a delivery in milliseconds
    return ChannelTestWidget::tr("%1 ms").arg(QLocale().toString(ms));
}

} // namespace

ChannelTestWidget::ChannelTestWidget(NotifyChannel channel, QWidget *parent)
    : QWidget(parent)
    , m_channel(channel)
{
    qRegisterMetaType<TestSendOutcome>();
    setObjectName(QStringLiteral("%1Test").arg(toString(channel)));
    auto *row = new QHBoxLayout;
    row->setContentsMargins(0, 0, 0, 0);
    row->setSpacing(6);
    if (channel != NotifyChannel::Slack) {
        m_recipient = new QLineEdit(this);
        m_recipient->setObjectName(QStringLiteral("testRecipient"));
        m_recipient->setAccessibleName(channel == NotifyChannel::Email ? tr("Test email recipient")
                                                                       : tr("Test SMS recipient"));
        m_recipient->setClearButtonEnabled(true);
        m_recipient->setToolTip(channel == NotifyChannel::Email
                                    ? tr("Send the test message to this address instead of the first admin "
                                         "recipient")
                                    : tr("Send the test message to this number instead of the first SMS "
                                         "recipient"));
        connect(m_recipient, &QLineEdit::returnPressed, this, &ChannelTestWidget::send);
        row->addWidget(m_recipient, 1);
    } else {
        row->addStretch(1);
    }
    // Created after the recipient: the focus chain follows creation, and Tab goes as the row reads, to the
    // recipient first, then the button that sends to it (setTabOrder() does not survive the reparenting
    // into the form).
    m_button = new QPushButton(icon("action-send"), buttonText(channel), this);
    m_button->setObjectName(QStringLiteral("testButton"));
    m_button->setEnabled(false);
    row->addWidget(m_button);

    m_resultRow = new QWidget(this);
    m_resultRow->setObjectName(QStringLiteral("testResultRow"));
    auto *resultLayout = new QGridLayout(m_resultRow);
    resultLayout->setContentsMargins(0, 2, 0, 0);
    resultLayout->setHorizontalSpacing(6);
    resultLayout->setVerticalSpacing(0);
    m_resultIcon = new QLabel(m_resultRow);
    m_result = new WrappedLabel(m_resultRow);
    m_result->setObjectName(QStringLiteral("testResult"));
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_detail = new WrappedLabel(m_resultRow);
    m_detail->setObjectName(QStringLiteral("testDetail"));
    m_detail->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_detail->setForegroundRole(QPalette::PlaceholderText);
    resultLayout->addWidget(m_resultIcon, 0, 0, Qt::AlignTop);
    resultLayout->addWidget(m_result, 0, 1);
    resultLayout->addWidget(m_detail, 1, 1);
    resultLayout->setColumnStretch(1, 1);
    m_resultRow->hide();

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addLayout(row);
    layout->addWidget(m_resultRow);

    connect(m_button, &QPushButton::clicked, this, &ChannelTestWidget::send);
}

void ChannelTestWidget::setService(const DbConfig &config, const Actor &actor)
{
    m_config = config;
    m_actor = actor;
    // A Viewer may not send test messages: the button says which role may.
    m_hasService = isAllowed(actor.role, Permission::SendTestMessages);
    m_button->setEnabled(m_hasService && !m_busy);
    if (!m_hasService)
        m_button->setToolTip(permissionRequirement(Permission::SendTestMessages));
}

void ChannelTestWidget::setDraftProvider(std::function<NotificationSettings()> provider)
{
    m_draft = std::move(provider);
}

void ChannelTestWidget::setDefaultRecipient(const QString &recipient)
{
    m_defaultRecipient = recipient;
    if (!m_recipient)
        return;
    if (recipient.isEmpty())
        m_recipient->setPlaceholderText(m_channel == NotifyChannel::Email
                                            ? tr("Recipient address")
                                            : tr("Recipient number (+14155550123)"));
    else
        //: placeholder of the test recipient field; %1 is the first configured recipient
        m_recipient->setPlaceholderText(tr("%1 (default)").arg(recipient));
}

QString ChannelTestWidget::resultText() const
{
    return m_resultRow->isHidden() ? QString() : m_result->text();
}

void ChannelTestWidget::send()
{
    if (m_busy || !m_hasService)
        return;
    m_busy = true;
    m_button->setEnabled(false);
    m_button->setText(tr("Sending…"));
    //: shown while a test message is on its way
    showLine("status-processing", tr("Sending a test message…"), {}, QColor());

    std::optional<NotificationSettings> draft;
    if (m_draft)
        draft = m_draft();
    QString recipient = m_recipient ? m_recipient->text().trimmed() : QString();
    if (recipient.isEmpty() && m_channel != NotifyChannel::Slack)
        recipient = m_defaultRecipient;
    whenReady(QtConcurrent::run([config = m_config, channel = m_channel, recipient, actor = m_actor, draft] {
                  // Blocks until the provider answers: this is a pool thread with its own connection.
                  TestSendOutcome out;
                  auto result = NotificationService(config).sendTest(channel, recipient, actor, draft);
                  if (!result) {
                      out.error = result.error().message;
                      return out;
                  }
                  out.attempted = true;
                  out.records = std::move(result).value();
                  return out;
              }),
              this, [this](const TestSendOutcome &outcome) {
                  m_busy = false;
                  m_button->setText(buttonText(m_channel));
                  m_button->setEnabled(m_hasService);
                  showOutcome(outcome);
                  emit finished(outcome);
              });
}

void ChannelTestWidget::showOutcome(const TestSendOutcome &outcome)
{
    const QColor failed = statusColor(JobStatus::Failed);
    if (!outcome.attempted) {
        // The service's sentence as is: "Too many test messages: at most 5 per minute. …"
        showLine("status-failed", outcome.error, {}, failed);
        return;
    }
    QStringList lines;
    QStringList details;
    bool allDelivered = !outcome.records.isEmpty();
    for (const DeliveryRecord &d : outcome.records) {
        const QString to = d.recipient.isEmpty() ? toString(m_channel) : d.recipient;
        if (d.delivered)
            //: %1 recipient, %2 latency ("38 ms")
            lines << tr("Delivered to %1 in %2.").arg(to, latencyText(d.latencyMs));
        else
            //: %1 recipient, %2 latency, %3 the reason
            lines << tr("Failed for %1 after %2: %3").arg(to, latencyText(d.latencyMs), d.error);
        allDelivered = allDelivered && d.delivered;
        if (!d.providerResponse.isEmpty())
            //: the provider's answer to a test message ("250 2.0.0 Ok: queued")
            details << tr("Response: %1").arg(d.providerResponse.simplified());
    }
    showLine(allDelivered ? "status-completed" : "status-failed", lines.join(u'\n'), details.join(u'\n'),
             allDelivered ? statusColor(JobStatus::Completed) : failed);
}

void ChannelTestWidget::showLine(const char *iconName, const QString &text, const QString &detail,
                                 const QColor &color)
{
    const int size = style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, this);
    m_resultIcon->setPixmap(icon(iconName).pixmap(QSize(size, size), devicePixelRatioF()));
    m_result->setText(text);
    QPalette pal;
    if (color.isValid()) {
        pal = m_result->palette();
        pal.setColor(QPalette::WindowText, readableOn(color, palette()));
    }
    m_result->setPalette(pal);
    m_detail->setText(detail);
    m_detail->setVisible(!detail.isEmpty());
    m_resultRow->show();
}

} // namespace hcm::ui
