#include "notifyhandler.h"

#include "common/logcategories.h"
#include "settings/digeststore.h"
#include "settings/notificationsettingsstore.h"
#include "worker/notify/alert.h"
#include "worker/notify/alertdigest.h"
#include "worker/notify/notificationservice.h"

#include <QHostInfo>
#include <QJsonArray>

namespace hcm {

namespace {

HandlerResult failed(const QStringList &failures, bool retryable)
{
    // Deliveries that failed for good are not retried forever; the rest get the job's backoff.
    // The failures are the providers' texts, passed on as they are.
    return HandlerResult::failure(
        JobError::make("notify.deliveries_failed",
                       {{QStringLiteral("count"), int(failures.size())},
                        {QStringLiteral("failures"), failures.join(QLatin1String("; "))}}),
        retryable);
}

} // namespace

NotifyHandler::Outcome NotifyHandler::deliverEverywhere(JobContext &ctx, const NotificationSettings &s,
                                                        const QString &subject, const QString &text,
                                                        const QString &shortText, const DeliveryRecord &base)
{
    Outcome out;
    NotificationService service(ctx.env().db, ctx.env().clock);
    QSet<QString> done;
    if (auto d = DeliveryStore(ctx.env().db, ctx.env().clock).deliveredBy(ctx.jobId()); d)
        done = d.value();
    for (NotifyChannel channel : {NotifyChannel::Email, NotifyChannel::Sms, NotifyChannel::Slack}) {
        if (!s.isChannelEnabled(channel))
            continue;
        if (ctx.isStopRequested()) {
            out.stopped = true;
            return out;
        }
        if (const QString missing = NotificationService::missingSetup(s, channel); !missing.isEmpty()) {
            out.failures.append(missing);
            continue;
        }
        QStringList recipients;
        for (const QString &r : NotificationService::recipientsOf(s, channel)) {
            if (done.contains(toString(channel) + QLatin1Char('|') + r))
                ++out.skipped;
            else
                recipients.append(r);
        }
        if (recipients.isEmpty())
            continue;
        const auto records = service.deliver(
            s, channel, recipients, subject, text, shortText, base, [&ctx] { return ctx.isStopRequested(); },
            &out.retryable);
        for (const DeliveryRecord &r : records) {
            if (r.delivered)
                ++out.delivered;
            else
                out.failures.append(QStringLiteral("%1 to %2: %3").arg(r.channel, r.recipient, r.error));
        }
    }
    return out;
}

HandlerResult NotifyHandler::run(JobContext &ctx)
{
    auto settings = NotificationSettingsStore(ctx.env().db, ctx.env().clock).loadForDelivery();
    if (!settings)
        return HandlerResult::failure(settings.error().message);
    const NotificationSettings &s = settings.value();
    if (ctx.payload().contains(DigestStore::payloadKey()))
        return runDigest(ctx, s);

    const Alert alert = Alert::fromPayload(ctx.payload());
    DeliveryRecord base;
    base.jobId = ctx.jobId();
    base.sourceJobId = alert.jobId;
    base.event = alert.event;
    base.createdBy = QStringLiteral("job:%1").arg(ctx.jobId());
    const Outcome out = deliverEverywhere(ctx, s, alert.subject(), alert.text(), alert.shortText(), base);
    if (out.stopped)
        return HandlerResult::failure(JobError::make("notify.stopped"));
    if (!out.failures.isEmpty())
        return failed(out.failures, out.retryable);
    return HandlerResult::success(QJsonObject{{QStringLiteral("event"), alert.event},
                                              {QStringLiteral("delivered"), out.delivered},
                                              {QStringLiteral("already_delivered"), out.skipped}});
}

HandlerResult NotifyHandler::runDigest(JobContext &ctx, const NotificationSettings &s)
{
    const qint64 dueAt = qint64(ctx.payload().value(DigestStore::payloadKey()).toDouble());
    const QString frequency = ctx.payload().value(QStringLiteral("frequency")).toString();
    DigestStore store(ctx.env().db, ctx.env().clock);
    auto claim = store.claim(dueAt, ctx.jobId(), frequency);
    if (!claim)
        return HandlerResult::failure(claim.error().message);
    QJsonObject result{{QStringLiteral("digest_due_at"), isoUtc(dueAt)}};
    if (claim->duplicate) {
        // A leftover of two schedulers racing: the registered job sends this digest.
        qCInfo(lcNotify).noquote() << "digest job" << Job::publicId(ctx.jobId())
                                   << "stands down:" << Job::publicId(claim->ownerJobId)
                                   << "delivers the digest due at" << isoUtc(dueAt);
        result.insert(QStringLiteral("delivered_by"), Job::publicId(claim->ownerJobId));
        return HandlerResult::success(result);
    }

    AlertDigest digest;
    digest.frequency = frequency;
    digest.zone = s.timeZone();
    digest.dueAt = dueAt;
    digest.reportedAt = ctx.env().clock->nowMs();
    digest.reportedBy = QHostInfo::localHostName();
    QList<qint64> ids;
    for (const DigestItem &item : claim->items) {
        Alert a;
        a.event = item.event;
        a.jobId = item.sourceJobId;
        a.jobType = item.jobType;
        a.error = item.error;
        a.retryCount = item.retryCount;
        a.maxRetries = item.maxRetries;
        a.runAt = item.nextRunAt;
        digest.alerts.append(a);
        digest.raisedAt.append(item.createdAt);
        ids.append(item.id);
    }
    result.insert(QStringLiteral("alerts"), int(ids.size()));
    result.insert(QStringLiteral("taken_over"), claim->adopted);
    if (ids.isEmpty()) {
        // Everything it was to carry went out with an earlier digest (or a flush): nothing to send.
        if (auto st = store.markDelivered(dueAt, ctx.jobId(), {}); !st)
            return HandlerResult::failure(st.error().message);
        result.insert(QStringLiteral("delivered"), 0);
        return HandlerResult::success(result);
    }

    DeliveryRecord base;
    base.jobId = ctx.jobId();
    base.event = QStringLiteral("digest");
    base.createdBy = QStringLiteral("job:%1").arg(ctx.jobId());
    const Outcome out = deliverEverywhere(ctx, s, digest.subject(), digest.text(), digest.shortText(), base);
    if (out.stopped || !out.failures.isEmpty()) {
        // The alerts keep waiting: this job retries with backoff, and a later digest may take them over.
        if (auto st = store.markFailed(dueAt, ctx.jobId()); !st)
            qCWarning(lcNotify).noquote() << "cannot mark the digest failed:" << st.error().message;
        if (out.stopped)
            return HandlerResult::failure(JobError::make("notify.stopped"));
        return failed(out.failures, out.retryable);
    }
    if (auto st = store.markDelivered(dueAt, ctx.jobId(), ids); !st)
        return HandlerResult::failure(
            st.error().message); // delivered, not recorded: a retry skips the reached
    QJsonObject counts;
    for (const QString &event : Alert::events())
        if (const int n = digest.count(event); n > 0)
            counts.insert(event, n);
    result.insert(QStringLiteral("events"), counts);
    result.insert(QStringLiteral("delivered"), out.delivered);
    result.insert(QStringLiteral("already_delivered"), out.skipped);
    qCInfo(lcNotify).noquote() << "digest due at" << isoUtc(dueAt) << "with" << ids.size()
                               << "alerts delivered by" << Job::publicId(ctx.jobId());
    return HandlerResult::success(result);
}

} // namespace hcm
