#include "schedules/scheduleservice.h"

#include "auth/auditstore.h"

#include "jobs/jobnotifier.h"
#include "jobs/jobservice.h"
#include "schedules/cronexpression.h"
#include "schedules/schedulenotifier.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QTimeZone>

namespace hcm {

namespace {

// What a schedule's audit diff leaves out: bookkeeping, not the definition a person changed.
const QStringList kScheduleDiffIgnored{QStringLiteral("id"),          QStringLiteral("description"),
                                       QStringLiteral("next_run_at"), QStringLiteral("last_run_at"),
                                       QStringLiteral("last_job_id"), QStringLiteral("last_job_status"),
                                       QStringLiteral("created_at"),  QStringLiteral("created_by"),
                                       QStringLiteral("updated_at"),  QStringLiteral("updated_by")};

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::ScheduleService)
};

} // namespace

ScheduleService::ScheduleService(ScheduleStore store)
    : m_store(std::move(store))
{}

Status ScheduleService::validate(const Schedule &s)
{
    if (s.name.trimmed().isEmpty())
        return Error{Error::Code::Invalid, Tr::tr("The schedule needs a name.")};
    if (s.name != s.name.trimmed())
        return Error{Error::Code::Invalid, Tr::tr("The name must not start or end with a space.")};
    if (s.name.size() > kMaxNameLength)
        return Error{
            Error::Code::Invalid,
            Tr::tr("The name has %1 characters; the limit is %2.").arg(s.name.size()).arg(kMaxNameLength)};
    NewJob job;
    job.type = s.jobType;
    job.payload = s.payload;
    job.priority = s.priority;
    job.maxRetries = s.maxRetries;
    if (auto st = JobService::validate(job); !st)
        return st;
    if (const auto cron = CronExpression::parse(s.cron); !cron)
        return Error{Error::Code::Invalid, Tr::tr("Invalid cron expression: %1.").arg(cron.error().message)};
    if (s.timeZone.isEmpty() || !QTimeZone::isTimeZoneIdAvailable(s.timeZone.toUtf8()))
        return Error{Error::Code::Invalid,
                     Tr::tr("Unknown time zone \"%1\": use an IANA name such as Europe/Berlin or UTC.")
                         .arg(s.timeZone)};
    return {};
}

Status ScheduleService::checkNameFree(const Schedule &s) const
{
    const auto existing = m_store.findByName(s.name);
    if (!existing)
        return existing.error();
    if (existing->has_value() && existing->value().id != s.id)
        return Error{Error::Code::Conflict, Tr::tr("A schedule named \"%1\" exists already.").arg(s.name)};
    return {};
}

Status ScheduleService::computeNextRun(Schedule &s) const
{
    s.nextRunAt = 0;
    if (!s.enabled)
        return {};
    const auto now = m_store.now();
    if (!now)
        return now.error();
    const auto cron = CronExpression::parse(s.cron);
    const auto next = cron->nextAfter(*now, QTimeZone(s.timeZone.toUtf8()));
    s.nextRunAt = next.value_or(0);
    return {};
}

Result<qint64> ScheduleService::add(Schedule s, const Actor &actor)
{
    if (auto st = authorizeAndAudit(m_store.config(), actor, Permission::ManageSchedules,
                                    QStringLiteral("schedule"), {});
        !st)
        return st.error();
    s.cron = s.cron.simplified();
    if (auto st = validate(s); !st)
        return st.error();
    s.id = 0;
    if (auto st = checkNameFree(s); !st)
        return st.error();
    if (auto st = computeNextRun(s); !st)
        return st.error();
    auto id = m_store.insert(s, actor.name, [&](QSqlDatabase &d, qint64 newId) {
        return AuditStore::append(d, AuditEntry::of(actor, QStringLiteral("schedules.add"),
                                                    QStringLiteral("schedule"), {QString::number(newId)},
                                                    jsonDiff({}, s.toJson(), kScheduleDiffIgnored)));
    });
    if (id)
        emit ScheduleNotifier::instance()->schedulesChanged();
    return id;
}

Status ScheduleService::edit(Schedule s, const Actor &actor)
{
    if (auto st = authorizeAndAudit(m_store.config(), actor, Permission::ManageSchedules,
                                    QStringLiteral("schedule"), {QString::number(s.id)});
        !st)
        return st;
    s.cron = s.cron.simplified();
    if (auto st = validate(s); !st)
        return st;
    auto existing = m_store.get(s.id);
    if (!existing)
        return existing.error();
    if (auto st = checkNameFree(s); !st)
        return st;
    if (auto st = computeNextRun(s); !st)
        return st;
    auto st = m_store.update(
        s, actor.name,
        auditWriter(AuditEntry::of(actor, QStringLiteral("schedules.edit"), QStringLiteral("schedule"),
                                   {QString::number(s.id)},
                                   jsonDiff(existing->toJson(), s.toJson(), kScheduleDiffIgnored))));
    if (st)
        emit ScheduleNotifier::instance()->schedulesChanged();
    return st;
}

Status ScheduleService::setEnabled(qint64 id, bool enabled, const Actor &actor)
{
    if (auto st = authorizeAndAudit(m_store.config(), actor, Permission::ManageSchedules,
                                    QStringLiteral("schedule"), {QString::number(id)});
        !st)
        return st;
    auto s = m_store.get(id);
    if (!s)
        return s.error();
    if (s->enabled == enabled)
        return {};
    Schedule changed = s.value();
    changed.enabled = enabled;
    if (auto st = computeNextRun(changed); !st)
        return st;
    auto st = m_store.update(
        changed, actor.name,
        auditWriter(AuditEntry::of(
            actor, enabled ? QStringLiteral("schedules.enable") : QStringLiteral("schedules.disable"),
            QStringLiteral("schedule"), {QString::number(id)},
            jsonDiff(s->toJson(), changed.toJson(), kScheduleDiffIgnored))));
    if (st)
        emit ScheduleNotifier::instance()->schedulesChanged();
    return st;
}

Status ScheduleService::remove(qint64 id, const Actor &actor)
{
    if (auto st = authorizeAndAudit(m_store.config(), actor, Permission::ManageSchedules,
                                    QStringLiteral("schedule"), {QString::number(id)});
        !st)
        return st;
    auto before = m_store.get(id);
    if (!before)
        return before.error();
    auto st =
        m_store.remove(id, auditWriter(AuditEntry::of(actor, QStringLiteral("schedules.remove"),
                                                      QStringLiteral("schedule"), {QString::number(id)},
                                                      jsonDiff(before->toJson(), {}, kScheduleDiffIgnored))));
    if (st)
        emit ScheduleNotifier::instance()->schedulesChanged();
    return st;
}

Result<qint64> ScheduleService::runNow(qint64 id, const Actor &actor)
{
    if (auto st = authorizeAndAudit(m_store.config(), actor, Permission::RunSchedules,
                                    QStringLiteral("schedule"), {QString::number(id)});
        !st)
        return st.error();
    auto jobId = m_store.runNow(id, actor.name, [&](QSqlDatabase &d, qint64 job) {
        return AuditStore::append(
            d, AuditEntry::of(actor, QStringLiteral("schedules.run"), QStringLiteral("schedule"),
                              {QString::number(id)},
                              QJsonObject{{QStringLiteral("job_id"), QString::number(job)}}));
    });
    if (jobId) {
        emit JobNotifier::instance()->jobsEnqueued(1);
        emit JobNotifier::instance()->jobsChanged({*jobId});
        emit ScheduleNotifier::instance()->schedulesChanged();
    }
    return jobId;
}

void ScheduleService::showNextRun(Schedule &s, qint64 now) const
{
    if (!s.enabled || s.nextRunAt > 0)
        return;
    if (const auto cron = CronExpression::parse(s.cron)) {
        const QTimeZone zone(s.timeZone.toUtf8());
        if (zone.isValid())
            s.nextRunAt = cron->nextAfter(now, zone).value_or(0);
    }
}

Result<QList<Schedule>> ScheduleService::list() const
{
    auto all = m_store.list();
    if (!all)
        return all;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (Schedule &s : all.value())
        showNextRun(s, now);
    return all;
}

Result<Schedule> ScheduleService::get(qint64 id) const
{
    auto s = m_store.get(id);
    if (s)
        showNextRun(s.value(), QDateTime::currentMSecsSinceEpoch());
    return s;
}

Result<Schedule> ScheduleService::find(const QString &idOrName) const
{
    bool isNumber = false;
    const qint64 id = idOrName.toLongLong(&isNumber);
    if (isNumber && id > 0)
        return get(id);
    const auto found = m_store.findByName(idOrName);
    if (!found)
        return found.error();
    if (!found->has_value())
        return Error{Error::Code::NotFound, Tr::tr("There is no schedule named \"%1\".").arg(idOrName)};
    Schedule s = found->value();
    showNextRun(s, QDateTime::currentMSecsSinceEpoch());
    return s;
}

} // namespace hcm
