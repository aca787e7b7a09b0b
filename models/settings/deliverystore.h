#pragma once

#include "common/clock.h"
#include "common/error.h"
#include "db/dbconfig.h"

#include <QCoreApplication>
#include <QJsonObject>
#include <QList>
#include <QSet>
#include <QString>
#include <QVariantList>

#include <memory>

namespace hcm {

// One delivery attempt: a row of notification_deliveries.
struct DeliveryRecord {
    qint64 id = 0;
    qint64 jobId = 0;       // the job that delivered (notify, email_send); 0 for a test send
    qint64 sourceJobId = 0; // the job an alert is about; 0 when none
    QString channel;        // email, sms, slack
    QString recipient;
    QString event; // job_failed, job_succeeded, job_retried, worker_lost, digest, test, email
    bool delivered = false;
    QString providerResponse; // the provider's final answer (SMTP reply, HTTP status and body)
    QString error;            // the sentence for people, when not delivered
    qint64 latencyMs = 0;
    qint64 createdAt = 0;
    QString createdBy;

    QJsonObject toJson() const;
};

// All SQL about notification_deliveries. Cheap to copy; each call uses the calling thread's connection.
class DeliveryStore final {
    Q_DECLARE_TR_FUNCTIONS(hcm::DeliveryStore)

public:
    explicit DeliveryStore(DbConfig config, std::shared_ptr<Clock> clock = Clock::system());

    Result<qint64> log(DeliveryRecord record);
    // Every delivery made by job `jobId` or about it (an alert's source job, or a job among the alerts
    // of a digest), oldest first: what the jobs page shows for a job.
    Result<QList<DeliveryRecord>> forJob(qint64 jobId);
    Result<QList<DeliveryRecord>> recent(int limit = 100);
    // "channel|recipient" of the deliveries job `jobId` already made successfully: a retried alert
    // does not deliver twice to the same place.
    Result<QSet<QString>> deliveredBy(qint64 jobId);

private:
    // The deliveries that `rest` (WHERE, ORDER BY, LIMIT of the common SELECT) picks, with `binds`.
    Result<QList<DeliveryRecord>> select(const QString &rest, const QVariantList &binds);

    DbConfig m_config;
    std::shared_ptr<Clock> m_clock;
};

} // namespace hcm
