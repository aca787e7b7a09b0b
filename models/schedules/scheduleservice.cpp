#include "schedules/scheduleservice.h"

#include "jobs/jobnotifier.h"
#include "jobs/jobservice.h"
#include "schedules/cronexpression.h"
#include "schedules/schedulenotifier.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QTimeZone>

namespace hcm {

namespace {

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
    s.cron = s.cron.simplified();
    if (auto st = validate(s); !st)
        return st.error();
    s.id = 0;
    if (auto st = checkNameFree(s); !st)
        return st.error();
    if (auto st = computeNextRun(s); !st)
        return st.error();
    auto id = m_store.insert(s, actor.name);
    if (id)
        emit ScheduleNotifier::instance()->schedulesChanged();
    return id;
}

Status ScheduleService::edit(Schedule s, const Actor &actor)
{
    s.cron = s.cron.simplified();
    if (auto st = validate(s); !st)
        return st;
    if (auto existing = m_store.get(s.id); !existing)
        return existing.error();
    if (auto st = checkNameFree(s); !st)
        return st;
    if (auto st = computeNextRun(s); !st)
        return st;
    auto st = m_store.update(s, actor.name);
    if (st)
        emit ScheduleNotifier::instance()->schedulesChanged();
    return st;
}

Status ScheduleService::setEnabled(qint64 id, bool enabled, const Actor &actor)
{
    auto s = m_store.get(id);
    if (!s)
        return s.error();
    if (s->enabled == enabled)
        return {};
    Schedule changed = s.value();
    changed.enabled = enabled;
    if (auto st = computeNextRun(changed); !st)
        return st;
    auto st = m_store.update(changed, actor.name);
    if (st)
        emit ScheduleNotifier::instance()->schedulesChanged();
    return st;
}

Status ScheduleService::remove(qint64 id, const Actor &actor)
{
    Q_UNUSED(actor) // for the audit trail
    auto st = m_store.remove(id);
    if (st)
        emit ScheduleNotifier::instance()->schedulesChanged();
    return st;
}

Result<qint64> ScheduleService::runNow(qint64 id, const Actor &actor)
{
    auto jobId = m_store.runNow(id, actor.name);
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
