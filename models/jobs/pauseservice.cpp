#include "pauseservice.h"

#include "auth/auditstore.h"
#include "common/logcategories.h"
#include "jobs/jobnotifier.h"
#include "jobs/jobtypes.h"

#include <QCoreApplication>

namespace hcm {

namespace {

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::PauseService)
};

} // namespace

PauseService::PauseService(DbConfig config, std::shared_ptr<Clock> clock)
    : m_store(std::move(config), std::move(clock))
{}

Result<PauseChange> PauseService::setPaused(const QString &type, bool paused, const Actor &actor)
{
    if (auto st = authorizeAndAudit(m_store.config(), actor, Permission::PauseJobTypes,
                                    QStringLiteral("job_type"), {type});
        !st)
        return st.error();
    if (type != kAllJobTypes && !JobTypeCatalog::instance().find(type)) {
        return Error{Error::Code::Invalid,
                     Tr::tr("Unknown job type \"%1\". Known types: %2.")
                         .arg(type, JobTypeCatalog::instance().names().join(QLatin1String(", ")))};
    }
    if (!paused && type != kAllJobTypes) {
        // Resuming one type while every type is paused would change nothing: say so instead.
        auto now = m_store.list();
        if (!now)
            return now.error();
        const PausedType *held = PausedTypeStore::pauseOf(now.value(), type);
        if (held && held->isAll()) {
            return Error{Error::Code::Conflict,
                         Tr::tr("Every job type is paused (by %1 at %2), %3 included: resume all types.")
                             .arg(held->pausedBy, isoUtc(held->pausedAt), type)};
        }
    }
    auto changed =
        m_store.setPaused(type, paused, actor.name,
                          auditWriter(AuditEntry::of(
                              actor, paused ? QStringLiteral("jobs.pause") : QStringLiteral("jobs.resume"),
                              QStringLiteral("job_type"), {type})));
    if (!changed)
        return changed.error();
    auto now = m_store.list();
    if (!now)
        return now.error();
    if (changed.value()) {
        const QString what =
            type == kAllJobTypes ? QStringLiteral("all job types") : QStringLiteral("job type ") + type;
        qCInfo(lcJobs).noquote() << what << (paused ? "paused by" : "resumed by") << actor.name;
        // This process's pools read the paused types again (a resume claims at once); views refresh.
        emit JobNotifier::instance()->pausedTypesChanged();
        emit JobNotifier::instance()->jobsChanged({});
    }
    return PauseChange{type, paused, changed.value(), now.value()};
}

} // namespace hcm
