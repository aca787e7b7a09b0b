#pragma once

#include "common/clock.h"
#include "common/error.h"
#include "db/dbconfig.h"
#include "jobs/job.h"
#include "settings/deliverystore.h"
#include "settings/notificationsettings.h"
#include "worker/notify/deliveryresult.h"

#include <QCoreApplication>
#include <QList>
#include <QSet>

#include <functional>
#include <memory>
#include <optional>

namespace hcm {

// Delivery through the channels, with every attempt logged in notification_deliveries. Used by the
// settings page's test buttons, `hcmctl notify test` and the notify job handler. Calls block until
// the provider answers (or times out): a GUI calls them from a worker thread (QtConcurrent::run).
class NotificationService final {
    Q_DECLARE_TR_FUNCTIONS(hcm::NotificationService)

public:
    static constexpr int kTestSendsPerMinute = 5;

    explicit NotificationService(DbConfig config, std::shared_ptr<Clock> clock = Clock::system(),
                                 ChannelOptions options = {});

    // Really delivers a test message on `channel` to `recipient` (an address, an E.164 number; ignored
    // for Slack), or to the configured recipients when it is empty. Uses the stored settings, or
    // `draft` (the form's unsaved values; secrets it keeps come from the store). At most
    // kTestSendsPerMinute per minute across every process. The records tell per recipient whether it
    // was delivered, the provider's answer and the latency; the Result fails only when nothing was
    // attempted (not set up, rate limit, key problem).
    Result<QList<DeliveryRecord>> sendTest(NotifyChannel channel, const QString &recipient,
                                           const Actor &actor,
                                           const std::optional<NotificationSettings> &draft = std::nullopt);

    // Delivers to every configured recipient of `channel` except those in `skip` ("channel|recipient"),
    // and logs each attempt with `base`'s job ids, event and actor. `retryable` is set false when a
    // failure cannot be helped by retrying.
    QList<DeliveryRecord> deliver(const NotificationSettings &settings, NotifyChannel channel,
                                  const QStringList &recipients, const QString &subject, const QString &text,
                                  const QString &shortText, const DeliveryRecord &base,
                                  const std::function<bool()> &cancelled = {}, bool *retryable = nullptr);

    // Why `channel` cannot deliver with `settings` (empty: it can).
    static QString missingSetup(const NotificationSettings &settings, NotifyChannel channel);
    static QStringList recipientsOf(const NotificationSettings &settings, NotifyChannel channel);

    const ChannelOptions &options() const { return m_options; }

private:
    DbConfig m_config;
    std::shared_ptr<Clock> m_clock;
    ChannelOptions m_options;
};

} // namespace hcm
