#pragma once

#include "common/clock.h"
#include "common/error.h"
#include "db/dbconfig.h"
#include "jobs/job.h"
#include "settings/notificationsettings.h"

#include <QCoreApplication>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <functional>
#include <memory>
#include <optional>

namespace hcm {

// One alert waiting for its digest: a row of notification_digest_items.
struct DigestItem {
    qint64 id = 0;
    qint64 digestDueAt = 0; // the digest that will carry it
    QString event;          // job_failed, job_succeeded, job_retried, worker_lost
    qint64 sourceJobId = 0;
    QString jobType;
    QString error;
    int retryCount = 0;
    int maxRetries = 0;
    qint64 nextRunAt = 0; // job_retried: when the next attempt is due
    qint64 createdAt = 0; // when the alert was raised
    qint64 deliveredAt = 0;
};

// A row of notification_digests: one per delivery time.
struct DigestInfo {
    qint64 dueAt = 0;
    qint64 jobId = 0; // the notify job that delivers it
    QString frequency;
    QString state; // scheduled, sending, failed, delivered
    int itemCount = 0;
    qint64 createdAt = 0;
    qint64 updatedAt = 0;
};

// What the job delivering a digest is to send (DigestStore::claim).
struct DigestClaim {
    bool duplicate = false; // another job delivers this digest: send nothing
    qint64 ownerJobId = 0;
    QList<DigestItem> items; // oldest first
    int adopted = 0;         // items taken over from other digests that were still waiting
};

// All SQL about alert digests (digest_frequency hourly or daily): alerts wait in
// notification_digest_items; notification_digests has one row per delivery time and names the one
// notify job that delivers it.
//
// Exactly one job per delivery time, however many processes collect alerts at once: the scheduler
// enqueues a job first, then registers it in one transaction with the alerts; the primary key on due_at
// lets one registration win, and the others withdraw their job. A job is only ever registered after it
// is committed, so a registered digest always has its job; a job left over by a crash between the two
// steps finds another job named in the row and sends nothing. Alerts join a digest only while it has
// not started (a row lock, FOR SHARE, against the FOR UPDATE of the job that starts it); later ones go
// to the next delivery time. Each call uses the calling thread's connection.
class DigestStore final {
    Q_DECLARE_TR_FUNCTIONS(hcm::DigestStore)

public:
    // The same retry budget as single alerts (JobAlerts): 2, 4, 8, 16, 32 minutes.
    static constexpr int kJobMaxRetries = 5;
    // A digest marked "sending" for longer than this lost its worker: a later digest takes its alerts.
    static constexpr qint64 kStaleSendingMs = 15 * 60'000;
    // Delivered alerts and digests are kept this long (the job details show them), then pruned.
    static constexpr qint64 kRetentionMs = 30LL * 24 * 3'600'000;

    explicit DigestStore(DbConfig config, std::shared_ptr<Clock> clock = Clock::system());

    // The notify job that delivers the digest due at `dueAt`.
    static NewJob digestJob(qint64 dueAt, const QString &frequency);
    // The payload key that tells a digest job from a single alert.
    static const QString &payloadKey();

    struct Scheduled {
        qint64 dueAt = 0;
        qint64 jobId = 0;     // the job that delivers it
        bool created = false; // this call scheduled it
    };
    // Adds `items` to the digest due at `dueAt`, scheduling its job when there is none yet. When that
    // digest has already started, the items go to the one due at `later(dueAt)` (and so on). `items` may
    // be empty: then only a digest is scheduled (it takes every alert still waiting when it starts).
    // Items are refused (Error::Code::Conflict) once the stored settings say digest_frequency=immediate:
    // the caller then sends them one by one.
    Result<Scheduled> collect(const QList<DigestItem> &items, qint64 dueAt, const QString &frequency,
                              const std::function<qint64(qint64)> &later, const Actor &actor);
    // When the settings leave digest mode: a digest due at `at` that takes every waiting alert, unless
    // none waits (then nothing is scheduled and the result is empty).
    Result<std::optional<Scheduled>> flush(qint64 at, const Actor &actor);

    // For job `jobId`, which delivers the digest due at `dueAt`: marks it sending and returns its alerts.
    // On its first run the digest also takes over the alerts of every other digest that has not started,
    // failed, or lost its worker, so that everything waiting goes out now. A job that is not the one
    // registered for `dueAt` gets `duplicate`.
    Result<DigestClaim> claim(qint64 dueAt, qint64 jobId, const QString &frequency);
    // After a delivery to every channel: the items are delivered, the digest too. Prunes old rows.
    Status markDelivered(qint64 dueAt, qint64 jobId, const QList<qint64> &itemIds);
    // After a failed attempt: the items keep waiting (the job retries; a later digest may take them).
    Status markFailed(qint64 dueAt, qint64 jobId);

    // Alerts not delivered yet, oldest first.
    Result<QList<DigestItem>> pending();
    Result<std::optional<DigestInfo>> digest(qint64 dueAt);
    Result<QList<DigestInfo>> digests();

private:
    enum class AddOutcome { Added, NoDigest, Started, Off };
    Result<std::pair<AddOutcome, qint64>> addIfOpen(qint64 dueAt, const QList<DigestItem> &items,
                                                    qint64 newJobId, const QString &frequency);
    void withdraw(qint64 jobId, const Actor &actor);

    DbConfig m_config;
    std::shared_ptr<Clock> m_clock;
};

} // namespace hcm
