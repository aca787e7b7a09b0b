#pragma once

#include "db/dbconfig.h"
#include "jobs/job.h"
#include "settings/deliverystore.h"
#include "settings/notificationsettings.h"

#include <QWidget>

#include <functional>

class QLabel;
class QLineEdit;
class QPushButton;

namespace hcm::ui {

// What a test send ended with: the delivery records, or why nothing was attempted.
struct TestSendOutcome {
    bool attempted = false;
    QString error; // when !attempted: not set up, rate limit, key problem
    QList<DeliveryRecord> records;
};

// "Send test email / SMS / Slack message" with an optional recipient and the outcome inline: delivered
// or failed per recipient, the provider's answer, the latency. The send runs
// NotificationService::sendTest on the thread pool with the form's current (possibly unsaved) values;
// the button shows the busy state and the window stays responsive.
class ChannelTestWidget final : public QWidget {
    Q_OBJECT
public:
    ChannelTestWidget(NotifyChannel channel, QWidget *parent = nullptr);
    Q_DISABLE_COPY_MOVE(ChannelTestWidget)

    // Where and as whom test messages are sent; without a database the button stays disabled.
    void setService(const DbConfig &config, const Actor &actor);
    // The settings to test with: the form's current values.
    void setDraftProvider(std::function<NotificationSettings()> provider);
    // Used when the recipient field is empty (the first configured recipient); shown as its placeholder.
    void setDefaultRecipient(const QString &recipient);

    NotifyChannel channel() const { return m_channel; }
    bool isBusy() const { return m_busy; }
    QPushButton *button() const { return m_button; }
    QLineEdit *recipientEdit() const { return m_recipient; }
    // The outcome as shown ("Delivered to admin@example.com in 38 ms"), empty before the first send.
    QString resultText() const;

public slots:
    void send();

signals:
    void finished(const hcm::ui::TestSendOutcome &outcome);

private:
    void showOutcome(const TestSendOutcome &outcome);
    void showLine(const char *iconName, const QString &text, const QString &detail, const QColor &color);

    NotifyChannel m_channel;
    DbConfig m_config;
    Actor m_actor;
    bool m_hasService = false;
    bool m_busy = false;
    std::function<NotificationSettings()> m_draft;
    QString m_defaultRecipient;
    QLineEdit *m_recipient = nullptr;
    QPushButton *m_button = nullptr;
    QWidget *m_resultRow = nullptr;
    QLabel *m_resultIcon = nullptr;
    QLabel *m_result = nullptr;
    QLabel *m_detail = nullptr;
};

} // namespace hcm::ui

Q_DECLARE_METATYPE(hcm::ui::TestSendOutcome)
