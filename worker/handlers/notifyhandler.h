#pragma once

#include "worker/jobhandler.h"

#include <QCoreApplication>

namespace hcm {

struct DeliveryRecord;
struct NotificationSettings;

// notify: delivers one alert (see JobAlerts) or one digest of alerts (see DigestStore) to every enabled
// channel and recipient, logging each attempt in notification_deliveries. A retry skips the recipients
// already reached. Fails (and so is retried with backoff) when any delivery failed; a digest's alerts
// keep waiting until it succeeds.
class NotifyHandler final : public JobHandler {
    Q_DECLARE_TR_FUNCTIONS(hcm::NotifyHandler)

public:
    HandlerResult run(JobContext &ctx) override;

private:
    struct Outcome {
        int delivered = 0;
        int skipped = 0; // reached by an earlier attempt
        QStringList failures;
        bool retryable = true;
        bool stopped = false;
    };
    static Outcome deliverEverywhere(JobContext &ctx, const NotificationSettings &settings,
                                     const QString &subject, const QString &text, const QString &shortText,
                                     const DeliveryRecord &base);
    static HandlerResult runDigest(JobContext &ctx, const NotificationSettings &settings);
};

} // namespace hcm
