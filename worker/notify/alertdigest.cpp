#include "alertdigest.h"

#include "common/clock.h"

#include <algorithm>

namespace hcm {

namespace {

// Counts as the subject and the SMS say them: "3 jobs failed". One is spelled out on its own so that
// English reads right without a translation; translations give every plural form of the %n text.
QString shortCount(const QString &event, int n)
{
    if (event == QLatin1String("job_failed"))
        return n == 1 ? AlertDigest::tr("1 job failed") : AlertDigest::tr("%n jobs failed", nullptr, n);
    if (event == QLatin1String("job_succeeded"))
        return n == 1 ? AlertDigest::tr("1 job completed") : AlertDigest::tr("%n jobs completed", nullptr, n);
    if (event == QLatin1String("job_retried"))
        return n == 1 ? AlertDigest::tr("1 job retried") : AlertDigest::tr("%n jobs retried", nullptr, n);
    if (event == QLatin1String("worker_lost"))
        return n == 1 ? AlertDigest::tr("1 worker lost") : AlertDigest::tr("%n workers lost", nullptr, n);
    return n == 1 ? AlertDigest::tr("1 other alert") : AlertDigest::tr("%n other alerts", nullptr, n);
}

// Counts as the body says them.
QString longCount(const QString &event, int n)
{
    if (event == QLatin1String("job_failed"))
        return n == 1 ? AlertDigest::tr("1 job failed after its last retry")
                      : AlertDigest::tr("%n jobs failed after their last retry", nullptr, n);
    if (event == QLatin1String("job_succeeded"))
        return n == 1 ? AlertDigest::tr("1 job completed") : AlertDigest::tr("%n jobs completed", nullptr, n);
    if (event == QLatin1String("job_retried"))
        return n == 1 ? AlertDigest::tr("1 job failed and will be retried")
                      : AlertDigest::tr("%n jobs failed and will be retried", nullptr, n);
    if (event == QLatin1String("worker_lost"))
        return n == 1 ? AlertDigest::tr("1 job lost its worker")
                      : AlertDigest::tr("%n jobs lost their worker", nullptr, n);
    return n == 1 ? AlertDigest::tr("1 other alert") : AlertDigest::tr("%n other alerts", nullptr, n);
}

// The events present, in the order of Alert::events(), unknown ones last.
QStringList presentEvents(const AlertDigest &d)
{
    QStringList out;
    for (const QString &e : Alert::events())
        if (d.count(e) > 0)
            out.append(e);
    for (const Alert &a : d.alerts)
        if (!out.contains(a.event))
            out.append(a.event);
    return out;
}

} // namespace

int AlertDigest::count(const QString &event) const
{
    int n = 0;
    for (const Alert &a : alerts)
        n += a.event == event ? 1 : 0;
    return n;
}

QString AlertDigest::subject() const
{
    QStringList parts;
    for (const QString &e : presentEvents(*this))
        parts.append(shortCount(e, count(e)));
    //: the subject of a digest email; %1 lists the counts ("3 jobs failed, 1 job retried")
    return tr("[HCM] Alert digest: %1").arg(parts.join(QLatin1String(", ")));
}

QString AlertDigest::text() const
{
    const QString format = QStringLiteral("yyyy-MM-dd HH:mm");
    auto local = [&](qint64 ms) { return QDateTime::fromMSecsSinceEpoch(ms, zone).toString(format); };
    const qint64 first = raisedAt.isEmpty() ? dueAt : raisedAt.first();
    QStringList lines;
    lines << subject();
    lines << QString();
    const int n = int(alerts.size());
    const QString from = local(first);
    // Until the digest's time, or later when it took over alerts of a digest not due yet.
    qint64 last = dueAt;
    for (const qint64 t : raisedAt)
        last = std::max(last, t);
    const QString to = local(last);
    const QString zoneName = QString::fromUtf8(zone.id());
    //: %1 and %2 local times, %3 the time zone
    if (frequency == QLatin1String("hourly"))
        lines << (n == 1 ? tr("1 alert from %1 to %2 (%3), collected for the hourly digest:")
                         : tr("%n alerts from %1 to %2 (%3), collected for the hourly digest:", nullptr, n))
                     .arg(from, to, zoneName);
    else if (frequency == QLatin1String("daily"))
        lines << (n == 1 ? tr("1 alert from %1 to %2 (%3), collected for the daily digest:")
                         : tr("%n alerts from %1 to %2 (%3), collected for the daily digest:", nullptr, n))
                     .arg(from, to, zoneName);
    else
        lines << (n == 1 ? tr("1 alert from %1 to %2 (%3) that was waiting for a digest:")
                         : tr("%n alerts from %1 to %2 (%3) that were waiting for a digest:", nullptr, n))
                     .arg(from, to, zoneName);
    for (const QString &e : presentEvents(*this))
        lines << QStringLiteral("  - ") + longCount(e, count(e));
    lines << QString();
    const int listed = int(qMin<qsizetype>(alerts.size(), kListed));
    for (int i = 0; i < listed; ++i) {
        const Alert &a = alerts.at(i);
        lines << local(raisedAt.value(i, dueAt)) + QStringLiteral("  ") + a.summary();
        if (!a.error.isEmpty()) {
            QString error = a.error.simplified();
            if (error.size() > 300)
                error = error.left(299) + QChar(0x2026);
            lines << QStringLiteral("      ") + tr("Error: %1").arg(error);
        }
        if (a.event == QLatin1String("job_retried") && a.runAt > 0)
            lines << QStringLiteral("      ") + tr("Next attempt: %1").arg(local(a.runAt));
    }
    if (alerts.size() > listed)
        lines << tr("… and %n more (the jobs page lists them all).", nullptr, int(alerts.size() - listed));
    lines << QString();
    lines << tr("Reported by %1 at %2.").arg(reportedBy, isoUtc(reportedAt));
    return lines.join(QLatin1Char('\n'));
}

QString AlertDigest::shortText() const
{
    QString t = subject();
    if (!alerts.isEmpty()) {
        const Alert &last = alerts.last();
        t += QStringLiteral(". ") + tr("Latest: %1").arg(last.summary());
        if (!last.error.isEmpty())
            t += QStringLiteral(": ") + last.error.simplified();
    }
    if (t.size() > 160)
        t = t.left(159) + QChar(0x2026);
    return t;
}

} // namespace hcm
