#include "jobservice.h"

#include "auth/auditstore.h"
#include "auth/permissions.h"
#include "common/logcategories.h"
#include "db/writegroup.h"
#include "jobs/jobnotifier.h"
#include "jobs/jobrules.h"
#include "jobs/jobtypes.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

namespace hcm {

namespace {

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::JobService)
};

// Line and column of a byte offset in the JSON text, for an error a person can find.
QPair<int, int> lineAndColumn(const QByteArray &text, int offset)
{
    int line = 1;
    int column = 1;
    for (int i = 0; i < offset && i < text.size(); ++i) {
        if (text.at(i) == '\n') {
            ++line;
            column = 1;
        } else if ((static_cast<unsigned char>(text.at(i)) & 0xC0) != 0x80) {
            ++column;
        }
    }
    return {line, column};
}

// Every id refused with the same sentence: the actor may not take the action.
QList<JobActionResult> refusedAll(const QList<qint64> &ids, const Error &error)
{
    QList<JobActionResult> out;
    out.reserve(ids.size());
    for (qint64 id : ids)
        out.append(JobActionResult{id, false, error.message, JobStatus::Queued});
    return out;
}

// The audit row of a per-job action: one row with every id it changed (a bulk action is one row).
JobActionAudit auditOf(const Actor &actor, const QString &action)
{
    return [actor, action](QSqlDatabase &d, const QList<JobActionResult> &results) {
        QList<qint64> ids;
        QJsonArray running;
        for (const auto &r : results) {
            if (!r.ok)
                continue;
            ids.append(r.id);
            if (action == QLatin1String("jobs.cancel") && r.status == JobStatus::Processing)
                running.append(QString::number(r.id));
        }
        QJsonObject diff;
        if (!running.isEmpty())
            diff.insert(QStringLiteral("cancel_requested"), running); // running: the worker stops them
        return AuditStore::append(
            d, AuditEntry::of(actor, action, QStringLiteral("job"), AuditEntry::ids(ids), diff));
    };
}

QList<qint64> changedIds(const QList<JobActionResult> &results)
{
    QList<qint64> ids;
    for (const auto &r : results)
        if (r.ok)
            ids.append(r.id);
    return ids;
}

} // namespace

JobService::JobService(JobStore store)
    : m_store(std::move(store))
{}

Status JobService::validate(const NewJob &job)
{
    return validate(job, Clock::system()->nowMs());
}

Status JobService::validate(const NewJob &job, qint64 nowMs)
{
    const JobTypeInfo *type = JobTypeCatalog::instance().find(job.type);
    if (!type) {
        return Error{Error::Code::Invalid,
                     Tr::tr("Unknown job type \"%1\". Known types: %2.")
                         .arg(job.type, JobTypeCatalog::instance().names().join(QLatin1String(", ")))};
    }
    const qsizetype size = QJsonDocument(job.payload).toJson(QJsonDocument::Compact).size();
    if (size > kMaxPayloadBytes) {
        return Error{Error::Code::Invalid, Tr::tr("The payload is %1 KiB; the limit is %2 KiB.")
                                               .arg((size + 1023) / 1024)
                                               .arg(kMaxPayloadBytes / 1024)};
    }
    if (type->validatePayload) {
        if (const QString why = type->validatePayload(job.payload); !why.isEmpty())
            return Error{Error::Code::Invalid, Tr::tr("Invalid payload for %1: %2.").arg(job.type, why)};
    }
    if (job.maxRetries < 0 || job.maxRetries > kMaxRetriesLimit) {
        return Error{Error::Code::Invalid, Tr::tr("max_retries must be from 0 to %1; %2 was given.")
                                               .arg(kMaxRetriesLimit)
                                               .arg(job.maxRetries)};
    }
    if (job.runAt && *job.runAt < 0)
        return Error{Error::Code::Invalid, Tr::tr("The start time is before 1970.")};
    if (job.runAt) {
        const QDateTime now = QDateTime::fromMSecsSinceEpoch(nowMs, Qt::UTC);
        const QDateTime latest = now.addYears(kMaxScheduleYears);
        if (*job.runAt > latest.toMSecsSinceEpoch()) {
            return Error{
                Error::Code::Invalid,
                Tr::tr("The start time %1 is more than %2 years ahead; the latest allowed now is %3.")
                    .arg(isoUtc(*job.runAt))
                    .arg(kMaxScheduleYears)
                    .arg(isoUtc(latest.toMSecsSinceEpoch()))};
        }
    }
    return {};
}

Result<QJsonObject> JobService::parsePayload(const QString &json)
{
    const QByteArray bytes = json.trimmed().toUtf8();
    if (bytes.isEmpty())
        return QJsonObject{};
    if (bytes.size() > kMaxPayloadBytes) {
        return Error{Error::Code::Invalid, Tr::tr("The payload is %1 KiB; the limit is %2 KiB.")
                                               .arg((bytes.size() + 1023) / 1024)
                                               .arg(kMaxPayloadBytes / 1024)};
    }
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &err);
    if (err.error != QJsonParseError::NoError && !bytes.startsWith('{') && !bytes.startsWith('[')) {
        // QJsonDocument takes only objects and arrays: a lone value is valid JSON of the wrong kind.
        QJsonParseError inner;
        QJsonDocument::fromJson('[' + bytes + ']', &inner);
        if (inner.error == QJsonParseError::NoError)
            return Error{Error::Code::Invalid,
                         Tr::tr("The payload must be a JSON object ({…}), not a single value.")};
    }
    if (err.error != QJsonParseError::NoError) {
        const auto [line, column] = lineAndColumn(bytes, err.offset);
        return Error{Error::Code::Invalid, Tr::tr("The payload is not valid JSON: %1 at line %2, column %3.")
                                               .arg(err.errorString())
                                               .arg(line)
                                               .arg(column)};
    }
    if (!doc.isObject()) {
        return Error{Error::Code::Invalid, Tr::tr("The payload must be a JSON object ({…}), not an array.")};
    }
    return doc.object();
}

Result<qint64> JobService::parseTime(const QString &text)
{
    const QString t = text.trimmed();
    QDateTime dt = QDateTime::fromString(t, Qt::ISODateWithMs);
    if (!dt.isValid())
        dt = QDateTime::fromString(t, Qt::ISODate);
    if (!dt.isValid()) {
        return Error{
            Error::Code::Invalid,
            Tr::tr("\"%1\" is not a date and time; use ISO 8601, for example 2026-01-07T10:15:00Z.").arg(t)};
    }
    return dt.toMSecsSinceEpoch();
}

Result<NewJob> JobService::parse(const QString &type, const QString &priority, const QString &payloadJson,
                                 const QString &maxRetries, const QString &runAt)
{
    NewJob job;
    job.type = type.trimmed();
    if (!priority.trimmed().isEmpty()) {
        const auto p = jobPriorityFromString(priority.trimmed());
        if (!p) {
            return Error{Error::Code::Invalid,
                         Tr::tr("Unknown priority \"%1\": use low, normal, high or critical.")
                             .arg(priority.trimmed())};
        }
        job.priority = *p;
    }
    auto payload = parsePayload(payloadJson);
    if (!payload)
        return payload.error();
    job.payload = payload.value();
    if (!maxRetries.trimmed().isEmpty()) {
        bool ok = false;
        job.maxRetries = maxRetries.trimmed().toInt(&ok);
        if (!ok) {
            return Error{Error::Code::Invalid,
                         Tr::tr("max_retries must be a whole number from 0 to %1; \"%2\" was given.")
                             .arg(kMaxRetriesLimit)
                             .arg(maxRetries.trimmed())};
        }
    }
    if (!runAt.trimmed().isEmpty()) {
        auto t = parseTime(runAt);
        if (!t)
            return t.error();
        job.runAt = t.value();
    }
    if (auto st = validate(job); !st)
        return st.error();
    return job;
}

Result<qint64> JobService::enqueue(const NewJob &job, const Actor &actor)
{
    auto ids = enqueueMany({job}, actor);
    if (!ids)
        return ids.error();
    return ids->first();
}

Result<qint64> JobService::enqueue(const NewJob &job, const Actor &actor,
                                   const JobInsertAudit &alsoInTransaction)
{
    auto ids = enqueueAudited({job}, actor, {}, alsoInTransaction);
    if (!ids)
        return ids.error();
    return ids->first();
}

Result<QList<qint64>> JobService::enqueueMany(const QList<NewJob> &jobs, const Actor &actor)
{
    return enqueueAudited(jobs, actor, {});
}

Result<QList<qint64>> JobService::enqueueAudited(const QList<NewJob> &jobs, const Actor &actor,
                                                 const QJsonObject &facts,
                                                 const JobInsertAudit &alsoInTransaction)
{
    if (auto st = authorizeAndAudit(m_store.config(), actor, Permission::CreateJobs, QStringLiteral("job"));
        !st)
        return st.error();
    const qint64 now = m_store.clock()->nowMs();
    for (qsizetype i = 0; i < jobs.size(); ++i) {
        if (auto st = validate(jobs.at(i), now); !st) {
            if (jobs.size() == 1)
                return st.error();
            return Error{st.error().code,
                         Tr::tr("Job %1 of %2: %3").arg(i + 1).arg(jobs.size()).arg(st.error().message)};
        }
    }
    // A person's enqueue is audited (one row per call, every id); the program's own jobs (alerts,
    // digests, schedules) are not: they are the queue's routine.
    JobInsertAudit audit;
    if (!isSystemActor(actor)) {
        audit = [&](QSqlDatabase &d, const QList<qint64> &ids) {
            QJsonObject diff = facts;
            QStringList types;
            for (const NewJob &job : jobs)
                if (!types.contains(job.type))
                    types.append(job.type);
            diff.insert(QStringLiteral("job_type"), types.join(QLatin1String(", ")));
            if (jobs.size() == 1) {
                diff.insert(QStringLiteral("priority"), toString(jobs.first().priority));
                diff.insert(QStringLiteral("max_retries"), jobs.first().maxRetries);
                if (jobs.first().runAt)
                    diff.insert(QStringLiteral("run_at"), isoUtc(*jobs.first().runAt));
            }
            return AuditStore::append(d, AuditEntry::of(actor, QStringLiteral("jobs.create"),
                                                        QStringLiteral("job"), AuditEntry::ids(ids), diff));
        };
    }
    if (alsoInTransaction) {
        // The caller's part last: the API's create counts itself against the rate limit there, which on
        // PostgreSQL locks a row every create of the token waits for until the commit.
        audit = [ours = std::move(audit), theirs = alsoInTransaction](QSqlDatabase &d,
                                                                      const QList<qint64> &ids) {
            if (ours) {
                if (auto st = ours(d, ids); !st)
                    return st;
            }
            return theirs(d, ids);
        };
    }
    auto ids = m_store.insert(jobs, actor.name, audit);
    if (!ids)
        return ids.error();
    qCDebug(lcJobs) << actor.name << "enqueued" << ids->size() << "jobs";
    // Inside a group commit the jobs are visible to the workers only once the group has committed.
    WriteGroup::afterCommit([list = ids.value()] {
        emit JobNotifier::instance()->jobsEnqueued(int(list.size()));
        emit JobNotifier::instance()->jobsChanged(list);
    });
    return ids;
}

QList<JobActionResult> JobService::cancel(const QList<qint64> &ids, const Actor &actor)
{
    if (auto st = authorizeAndAudit(m_store.config(), actor, Permission::CancelJobs, QStringLiteral("job"),
                                    AuditEntry::ids(ids));
        !st)
        return refusedAll(ids, st.error());
    const auto results = m_store.cancel(ids, actor.name, auditOf(actor, QStringLiteral("jobs.cancel")));
    QList<qint64> running;
    for (const auto &r : results)
        if (r.ok && r.status == JobStatus::Processing)
            running.append(r.id);
    if (!running.isEmpty())
        emit JobNotifier::instance()->cancelRequested(running);
    if (const auto changed = changedIds(results); !changed.isEmpty()) {
        qCInfo(lcJobs) << actor.name << "cancelled" << changed;
        emit JobNotifier::instance()->jobsChanged(changed);
    }
    return results;
}

QList<JobActionResult> JobService::retryNow(const QList<qint64> &ids, const Actor &actor)
{
    if (auto st = authorizeAndAudit(m_store.config(), actor, Permission::RetryJobs, QStringLiteral("job"),
                                    AuditEntry::ids(ids));
        !st)
        return refusedAll(ids, st.error());
    const auto results = m_store.retryNow(ids, actor.name, auditOf(actor, QStringLiteral("jobs.retry")));
    if (const auto changed = changedIds(results); !changed.isEmpty()) {
        qCInfo(lcJobs) << actor.name << "retried" << changed;
        emit JobNotifier::instance()->jobsEnqueued(int(changed.size()));
        emit JobNotifier::instance()->jobsChanged(changed);
    }
    return results;
}

QList<JobActionResult> JobService::deleteFinished(const QList<qint64> &ids, const Actor &actor)
{
    if (auto st = authorizeAndAudit(m_store.config(), actor, Permission::DeleteJobs, QStringLiteral("job"),
                                    AuditEntry::ids(ids));
        !st)
        return refusedAll(ids, st.error());
    const auto results = m_store.deleteFinished(ids, auditOf(actor, QStringLiteral("jobs.delete")));
    if (const auto changed = changedIds(results); !changed.isEmpty()) {
        qCInfo(lcJobs) << actor.name << "deleted" << changed;
        emit JobNotifier::instance()->jobsChanged(changed);
    }
    return results;
}

JobFilter JobService::bulkFilter(BulkAction action, JobFilter filter)
{
    QList<JobStatus> applies;
    switch (action) {
    case BulkAction::Retry:
        applies = {JobStatus::Failed};
        break;
    case BulkAction::Cancel:
        applies = {JobStatus::Queued};
        break;
    case BulkAction::Delete:
        applies = {JobStatus::Completed, JobStatus::Failed, JobStatus::Cancelled};
        break;
    }
    // The statuses asked for that the action applies to; none asked for: the action's own ("retry all
    // failed", "cancel all queued"). Asked only for others: nothing matches.
    QList<JobStatus> statuses;
    if (filter.statuses.isEmpty()) {
        statuses = applies;
    } else {
        const JobAction rule = action == BulkAction::Retry    ? JobAction::RetryNow
                               : action == BulkAction::Cancel ? JobAction::Cancel
                                                              : JobAction::Delete;
        for (JobStatus st : std::as_const(filter.statuses))
            if (JobRules::allows(rule, st) && !statuses.contains(st))
                statuses << st;
    }
    filter.statuses = statuses;
    filter.offset = 0;
    return filter;
}

namespace {

Permission permissionOf(BulkAction action)
{
    switch (action) {
    case BulkAction::Retry:
        return Permission::RetryJobs;
    case BulkAction::Cancel:
        return Permission::CancelJobs;
    case BulkAction::Delete:
        break;
    }
    return Permission::DeleteJobs;
}

} // namespace

Result<qint64> JobService::previewBulk(BulkAction action, const JobFilter &filter, qint64 finishedBefore,
                                       const Actor &actor)
{
    if (auto st = authorize(actor, Permission::ReadJobs); !st)
        return st.error();
    const JobFilter f = bulkFilter(action, filter);
    if (f.statuses.isEmpty())
        return qint64(0);
    auto n = m_store.countMatching(f, action == BulkAction::Delete ? finishedBefore : 0);
    if (!n)
        return n.error();
    return n->count;
}

Result<BulkResult> JobService::retryMatching(const JobFilter &filter, const Actor &actor,
                                             const BulkProgress &progress)
{
    if (auto st = authorizeAndAudit(m_store.config(), actor, Permission::RetryJobs, QStringLiteral("job"));
        !st)
        return st.error();
    return runBulk(BulkAction::Retry, filter, 0, actor, progress);
}

Result<BulkResult> JobService::cancelMatching(const JobFilter &filter, const Actor &actor,
                                              const BulkProgress &progress)
{
    if (auto st = authorizeAndAudit(m_store.config(), actor, Permission::CancelJobs, QStringLiteral("job"));
        !st)
        return st.error();
    return runBulk(BulkAction::Cancel, filter, 0, actor, progress);
}

Result<BulkResult> JobService::deleteFinishedMatching(const JobFilter &filter, qint64 finishedBefore,
                                                      const Actor &actor, const BulkProgress &progress)
{
    if (auto st = authorizeAndAudit(m_store.config(), actor, Permission::DeleteJobs, QStringLiteral("job"));
        !st)
        return st.error();
    return runBulk(BulkAction::Delete, filter, finishedBefore, actor, progress);
}

Result<BulkResult> JobService::runBulk(BulkAction action, const JobFilter &filter, qint64 finishedBefore,
                                       const Actor &actor, const BulkProgress &progress)
{
    if (auto st = authorizeAndAudit(m_store.config(), actor, permissionOf(action), QStringLiteral("job"));
        !st)
        return st.error();
    const JobFilter f = bulkFilter(action, filter);
    BulkResult result;
    if (f.statuses.isEmpty())
        return result;
    const qint64 before = action == BulkAction::Delete ? finishedBefore : 0;
    auto match = m_store.countMatching(f, before);
    if (!match)
        return match.error();
    result.matched = match->count;
    qint64 after = 0;
    qint64 done = 0;
    while (done < result.matched) {
        auto ids = m_store.matchingIds(f, after, match->maxId, kBulkBatch, before);
        if (!ids)
            return Error{ids.error().code, Tr::tr("%1 (after %n job(s) had been changed)", nullptr,
                                                  int(qMin<qint64>(result.changed, INT_MAX)))
                                               .arg(ids.error().message)};
        if (ids->isEmpty())
            break;
        after = ids->last();
        QList<JobActionResult> results;
        switch (action) {
        case BulkAction::Retry:
            results = m_store.retryNow(ids.value(), actor.name, auditOf(actor, QStringLiteral("jobs.retry")));
            break;
        case BulkAction::Cancel:
            results = m_store.cancel(ids.value(), actor.name, auditOf(actor, QStringLiteral("jobs.cancel")));
            break;
        case BulkAction::Delete:
            results = m_store.deleteFinished(ids.value(), auditOf(actor, QStringLiteral("jobs.delete")));
            break;
        }
        QList<qint64> running;
        for (const JobActionResult &r : std::as_const(results)) {
            if (r.ok) {
                ++result.changed;
                if (action == BulkAction::Cancel && r.status == JobStatus::Processing)
                    running << r.id;
            } else {
                ++result.refused;
                if (result.firstRefusal.isEmpty())
                    result.firstRefusal = r.message;
            }
        }
        if (const QList<qint64> changed = changedIds(results); !changed.isEmpty()) {
            if (!running.isEmpty())
                emit JobNotifier::instance()->cancelRequested(running);
            if (action == BulkAction::Retry)
                emit JobNotifier::instance()->jobsEnqueued(int(changed.size()));
            emit JobNotifier::instance()->jobsChanged(changed);
        }
        done += ids->size();
        if (progress && !progress(done, result.matched)) {
            result.stopped = true;
            break;
        }
    }
    qCInfo(lcJobs) << actor.name << "bulk" << int(action) << "changed" << result.changed << "of"
                   << result.matched << "refused" << result.refused;
    return result;
}

Result<qint64> JobService::duplicate(qint64 id, const Actor &actor)
{
    if (auto st = authorizeAndAudit(m_store.config(), actor, Permission::CreateJobs, QStringLiteral("job"),
                                    {QString::number(id)});
        !st)
        return st.error();
    auto job = m_store.get(id, false);
    if (!job)
        return job.error();
    NewJob copy;
    copy.type = job->type;
    copy.priority = job->priority;
    copy.payload = job->payload;
    copy.maxRetries = job->maxRetries;
    auto ids =
        enqueueAudited({copy}, actor, QJsonObject{{QStringLiteral("duplicate_of"), QString::number(id)}});
    if (!ids)
        return ids.error();
    return ids->first();
}

} // namespace hcm
