// hcmctl's commands on single jobs: enqueue, list, show, cancel, retry, delete; pausing job types; import.

#include "ctlcommands.h"

#include "common/clock.h"
#include "jobs/jobimport.h"
#include "jobs/jobservice.h"
#include "jobs/pauseservice.h"
#include "schedules/schedulestore.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace hcm::ctl {

namespace {

// Status as a person reads it: "cancelling", "retrying in 3 min" on top of the stored status.
QString statusText(const Job &job)
{
    if (job.status == JobStatus::Processing && job.cancelRequested)
        return Ctl::tr("cancelling");
    const qint64 now = Clock::system()->nowMs();
    if (job.status == JobStatus::Queued && job.retryCount > 0 && job.runAt > now) {
        const qint64 minutes = (job.runAt - now + 59'999) / 60'000;
        return Ctl::tr("retrying in %1 min").arg(minutes);
    }
    return toString(job.status);
}

QString attemptsText(const Job &job)
{
    return QStringLiteral("%1/%2").arg(job.attempts).arg(job.maxRetries + 1);
}

QString prettyJson(const QJsonValue &value, const QString &indent)
{
    if (!value.isObject() && !value.isArray())
        return indent + Ctl::tr("(none)");
    if ((value.isObject() && value.toObject().isEmpty()) || (value.isArray() && value.toArray().isEmpty()))
        return indent + (value.isObject() ? QStringLiteral("{}") : QStringLiteral("[]"));
    const QJsonDocument doc =
        value.isObject() ? QJsonDocument(value.toObject()) : QJsonDocument(value.toArray());
    QStringList lines =
        QString::fromUtf8(doc.toJson(QJsonDocument::Indented)).trimmed().split(QLatin1Char('\n'));
    for (QString &l : lines)
        l.prepend(indent);
    return lines.join(QLatin1Char('\n'));
}

// Reads the ids of cancel/retry/delete; a wrong one is a usage error and nothing is done.
bool parseIds(Context &ctx, QList<qint64> &ids)
{
    for (const QString &text : std::as_const(ctx.args)) {
        const auto id = Job::parseId(text);
        if (!id) {
            ctx.usage(Ctl::tr("\"%1\" is not a job id; write job_12 or 12.").arg(text));
            return false;
        }
        ids.append(*id);
    }
    return true;
}

// The --payload text: inline JSON, "@FILE" for a file's content, or "-" for standard input (a command
// line argument cannot hold a large payload). A file or standard input is read up to the payload limit
// and no further: /dev/zero or a huge file is refused without being read.
bool payloadText(Context &ctx, QString &text)
{
    text = ctx.parser.value(QStringLiteral("payload"));
    QFile file;
    const bool fromStdin = text == QLatin1String("-");
    const QString path = text.mid(1);
    if (fromStdin) {
        if (!file.open(stdin, QIODevice::ReadOnly)) {
            ctx.fail(Ctl::tr("Cannot read the payload from standard input: %1").arg(file.errorString()));
            return false;
        }
    } else if (text.startsWith(QLatin1Char('@'))) {
        file.setFileName(path);
        if (!file.open(QIODevice::ReadOnly)) {
            ctx.fail(Ctl::tr("Cannot read the payload file %1: %2").arg(path, file.errorString()));
            return false;
        }
    } else {
        return true;
    }
    const qint64 limit = JobService::kMaxPayloadBytes;
    const LimitedInput in = readLimited(file, limit);
    if (!in.error.isEmpty()) {
        ctx.fail(fromStdin ? Ctl::tr("Cannot read the payload from standard input: %1").arg(in.error)
                           : Ctl::tr("Cannot read the payload file %1: %2").arg(path, in.error));
        return false;
    }
    if (in.tooLong) {
        ctx.fail(fromStdin ? Ctl::tr("The payload on standard input is larger than the limit of %1 KiB (%2 "
                                     "bytes); nothing was enqueued.")
                                 .arg(limit / 1024)
                                 .arg(limit)
                           : Ctl::tr("The payload file %1 is larger than the limit of %2 KiB (%3 bytes); "
                                     "nothing was enqueued.")
                                 .arg(path)
                                 .arg(limit / 1024)
                                 .arg(limit));
        return false;
    }
    text = QString::fromUtf8(in.data);
    return true;
}

} // namespace

int jobsEnqueueCommand(Context &ctx)
{
    QString payload;
    if (!payloadText(ctx, payload))
        return ExitFailed;
    auto job = JobService::parse(ctx.args.value(0), ctx.parser.value(QStringLiteral("priority")), payload,
                                 ctx.parser.value(QStringLiteral("max-retries")),
                                 ctx.parser.value(QStringLiteral("run-at")));
    if (!job)
        return ctx.fail(job.error().message);
    JobService service{JobStore(ctx.config)};
    auto id = service.enqueue(job.value(), ctx.actor);
    if (!id)
        return ctx.fail(id.error().message);
    if (!ctx.json) {
        ctx.out << Job::publicId(id.value()) << Qt::endl;
        return ExitOk;
    }
    auto created = service.get(id.value());
    if (!created)
        return ctx.fail(created.error().message);
    printJson(ctx.out, created->toJson());
    return ExitOk;
}

namespace {

// Builds the filter of `jobs list` from its options; ExitOk, or the exit code of the error it printed.
int listFilter(Context &ctx, JobFilter &filter)
{
    filter.limit = 50;
    if (ctx.parser.isSet(QStringLiteral("status"))) {
        const QStringList names =
            ctx.parser.value(QStringLiteral("status")).split(QLatin1Char(','), Qt::SkipEmptyParts);
        for (const QString &name : names) {
            const auto status = jobStatusFromString(name.trimmed());
            if (!status) {
                ctx.usage(
                    Ctl::tr("Unknown status \"%1\": use queued, processing, completed, failed or cancelled.")
                        .arg(name.trimmed()));
                return ExitUsage;
            }
            filter.statuses.append(*status);
        }
    }
    filter.type = ctx.parser.value(QStringLiteral("type")).trimmed();
    filter.search = ctx.parser.value(QStringLiteral("search"));
    if (ctx.parser.isSet(QStringLiteral("schedule"))) {
        const QString key = ctx.parser.value(QStringLiteral("schedule")).trimmed();
        bool isNumber = false;
        const qint64 id = key.toLongLong(&isNumber);
        if (isNumber && id > 0) {
            // An id is taken as is: the jobs of a deleted schedule keep its id.
            filter.scheduleId = id;
        } else if (key.isEmpty() || isNumber) {
            ctx.usage(Ctl::tr("\"%1\" is not a schedule; write its id or its name.").arg(key));
            return ExitUsage;
        } else {
            const auto found = ScheduleStore(ctx.config).findByName(key);
            if (!found) {
                return ctx.fail(found.error().message);
            }
            if (!found->has_value()) {
                return ctx.fail(Ctl::tr("There is no schedule named \"%1\".").arg(key));
            }
            filter.scheduleId = found->value().id;
        }
    }
    if (!ctx.intOption(QStringLiteral("limit"), 1, filter.limit) ||
        !ctx.intOption(QStringLiteral("offset"), 0, filter.offset))
        return ExitUsage;
    if (ctx.parser.isSet(QStringLiteral("sort"))) {
        static const QList<QPair<QString, JobSortColumn>> columns = {
            {QStringLiteral("id"), JobSortColumn::Id},
            {QStringLiteral("created"), JobSortColumn::CreatedAt},
            {QStringLiteral("status"), JobSortColumn::Status},
            {QStringLiteral("type"), JobSortColumn::Type},
            {QStringLiteral("priority"), JobSortColumn::Priority},
        };
        const QString key = ctx.parser.value(QStringLiteral("sort")).trimmed().toLower();
        const auto it =
            std::find_if(columns.begin(), columns.end(), [&](const auto &c) { return c.first == key; });
        if (it == columns.end()) {
            ctx.usage(
                Ctl::tr("Unknown sort column \"%1\": use id, created, status, type or priority.").arg(key));
            return ExitUsage;
        }
        filter.sort = it->second;
    }
    filter.order = ctx.parser.isSet(QStringLiteral("asc")) ? Qt::AscendingOrder : Qt::DescendingOrder;
    return ExitOk;
}

} // namespace

int jobsListCommand(Context &ctx)
{
    JobFilter filter;
    if (const int rc = listFilter(ctx, filter); rc != ExitOk)
        return rc;
    JobService service{JobStore(ctx.config)};
    auto jobs = service.list(filter);
    if (!jobs)
        return ctx.fail(jobs.error().message);
    if (ctx.json) {
        QJsonArray array;
        for (const Job &job : jobs.value())
            array.append(job.toJson());
        printJson(ctx.out, array);
        return ExitOk;
    }
    auto total = service.count(filter);
    if (!total)
        return ctx.fail(total.error().message);
    QList<QStringList> rows;
    for (const Job &job : jobs.value()) {
        rows.append({job.publicId(), job.type, statusText(job), toString(job.priority), attemptsText(job),
                     localTime(job.createdAt), oneLine(job.errorMessage, 60)});
    }
    if (!rows.isEmpty()) {
        printTable(ctx.out,
                   {Ctl::tr("ID"), Ctl::tr("TYPE"), Ctl::tr("STATUS"), Ctl::tr("PRIORITY"),
                    Ctl::tr("ATTEMPTS"), Ctl::tr("CREATED"), Ctl::tr("ERROR")},
                   rows);
    }
    ctx.out << Ctl::tr("%1 of %2 jobs").arg(rows.size()).arg(total.value()) << Qt::endl;
    return ExitOk;
}

int jobsShowCommand(Context &ctx)
{
    const auto id = Job::parseId(ctx.args.value(0));
    if (!id)
        return ctx.usage(Ctl::tr("\"%1\" is not a job id; write job_12 or 12.").arg(ctx.args.value(0)));
    JobService service{JobStore(ctx.config)};
    auto job = service.get(*id);
    if (!job)
        return ctx.fail(job.error().message);
    const Job &j = job.value();
    if (ctx.json) {
        printJson(ctx.out, j.toJson(true));
        return ExitOk;
    }
    QString status = toString(j.status);
    if (statusText(j) != status)
        status += QStringLiteral(" (") + statusText(j) + QLatin1Char(')');
    const QList<QPair<QString, QString>> fields = {
        {Ctl::tr("ID"), j.publicId()},
        {Ctl::tr("Type"), j.type},
        {Ctl::tr("Status"), status},
        {Ctl::tr("Priority"), toString(j.priority)},
        {Ctl::tr("Retries"), Ctl::tr("%1 of %2 used").arg(j.retryCount).arg(j.maxRetries)},
        {Ctl::tr("Attempts"), QString::number(j.attempts)},
        {Ctl::tr("Created"), localTime(j.createdAt)},
        {Ctl::tr("Created by"), j.createdBy.isEmpty() ? QStringLiteral("-") : j.createdBy},
        {Ctl::tr("Run at"), localTime(j.runAt)},
        {Ctl::tr("Started"), localTime(j.startedAt)},
        {Ctl::tr("Completed"), localTime(j.completedAt)},
        {Ctl::tr("Worker"), j.workerId.isEmpty() ? QStringLiteral("-") : j.workerId},
        {Ctl::tr("Progress"),
         j.progress >= 0 ? QStringLiteral("%1%").arg(qRound(j.progress * 100)) : QStringLiteral("-")},
        {Ctl::tr("Error"), j.errorMessage.isEmpty() ? QStringLiteral("-") : j.errorMessage},
    };
    qsizetype width = 0;
    for (const auto &f : fields)
        width = std::max(width, f.first.size() + 1);
    for (const auto &f : fields)
        ctx.out << QString(f.first + QLatin1Char(':')).leftJustified(width + 1) << f.second << '\n';
    ctx.out << Ctl::tr("Payload:") << '\n' << prettyJson(j.payload, QStringLiteral("  ")) << '\n';
    ctx.out << Ctl::tr("Result:") << '\n' << prettyJson(j.result, QStringLiteral("  ")) << '\n';
    ctx.out << Ctl::tr("Attempt history:") << '\n';
    if (j.attemptList.isEmpty()) {
        ctx.out << QStringLiteral("  ") << Ctl::tr("(no finished attempts)") << '\n';
    } else {
        QList<QStringList> rows;
        for (const JobAttempt &a : j.attemptList) {
            rows.append({QString::number(a.attempt), a.workerId.isEmpty() ? QStringLiteral("-") : a.workerId,
                         localTime(a.startedAt), localTime(a.finishedAt), a.outcome,
                         a.error.isEmpty() ? QStringLiteral("-") : oneLine(a.error, 200)});
        }
        QString table;
        QTextStream ts(&table);
        printTable(ts,
                   {Ctl::tr("ATTEMPT"), Ctl::tr("WORKER"), Ctl::tr("STARTED"), Ctl::tr("FINISHED"),
                    Ctl::tr("OUTCOME"), Ctl::tr("ERROR")},
                   rows);
        ts.flush();
        for (const QString &l : table.split(QLatin1Char('\n'), Qt::SkipEmptyParts))
            ctx.out << QStringLiteral("  ") << l << '\n';
    }
    ctx.out.flush();
    return ExitOk;
}

namespace {

enum class Action { Cancel, Retry, Delete };

// cancel, retry and delete share their shape: one line per id, errors on stderr, exit 1 if any failed.
int jobsAction(Context &ctx, Action action)
{
    QList<qint64> ids;
    if (!parseIds(ctx, ids))
        return ExitUsage;
    JobService service{JobStore(ctx.config)};
    const QList<JobActionResult> results = action == Action::Cancel  ? service.cancel(ids, ctx.actor)
                                           : action == Action::Retry ? service.retryNow(ids, ctx.actor)
                                                                     : service.deleteFinished(ids, ctx.actor);
    bool allOk = true;
    QJsonArray array;
    for (const JobActionResult &r : results) {
        const QString id = Job::publicId(r.id);
        QString outcome;
        if (r.ok) {
            switch (action) {
            case Action::Cancel:
                outcome = r.status == JobStatus::Processing ? Ctl::tr("cancellation requested (running)")
                                                            : Ctl::tr("cancelled");
                break;
            case Action::Retry:
                outcome = Ctl::tr("queued for retry");
                break;
            case Action::Delete:
                outcome = Ctl::tr("deleted");
                break;
            }
            if (!ctx.json)
                ctx.out << id << QStringLiteral(": ") << outcome << '\n';
        } else {
            allOk = false;
            // The store's messages usually start with the id already.
            ctx.fail(r.message.startsWith(id) ? r.message : id + QStringLiteral(": ") + r.message);
        }
        array.append(QJsonObject{
            {QStringLiteral("id"), id},
            {QStringLiteral("ok"), r.ok},
            {QStringLiteral("status"), !r.ok                      ? QJsonValue(QJsonValue::Null)
                                       : action == Action::Delete ? QJsonValue(QStringLiteral("deleted"))
                                                                  : QJsonValue(toString(r.status))},
            {QStringLiteral("error"), r.ok ? QJsonValue(QJsonValue::Null) : QJsonValue(r.message)}});
    }
    if (ctx.json)
        printJson(ctx.out, array);
    ctx.out.flush();
    return allOk ? ExitOk : ExitFailed;
}

} // namespace

int jobsCancelCommand(Context &ctx)
{
    return jobsAction(ctx, Action::Cancel);
}

int jobsRetryCommand(Context &ctx)
{
    return jobsAction(ctx, Action::Retry);
}

int jobsDeleteCommand(Context &ctx)
{
    return jobsAction(ctx, Action::Delete);
}

namespace {

// pause and resume: TYPE or --all, one of them.
int pauseOrResume(Context &ctx, bool pause)
{
    const bool all = ctx.parser.isSet(QStringLiteral("all"));
    if (all == !ctx.args.isEmpty())
        return ctx.usage(all ? Ctl::tr("Give a job type or --all, not both.")
                             : Ctl::tr("Give the job type to %1, or --all.")
                                   .arg(pause ? Ctl::tr("pause") : Ctl::tr("resume")));
    const QString type = all ? kAllJobTypes : ctx.args.first().trimmed();
    if (type == kAllJobTypes && !all)
        return ctx.usage(
            Ctl::tr("Write --all to %1 every job type.").arg(pause ? Ctl::tr("pause") : Ctl::tr("resume")));
    auto change = PauseService(ctx.config).setPaused(type, pause, ctx.actor);
    if (!change)
        return ctx.fail(change.error().message);
    if (ctx.json) {
        QJsonArray paused;
        for (const PausedType &p : change->pausedNow)
            paused.append(p.toJson());
        printJson(ctx.out, QJsonObject{{QStringLiteral("type"), type},
                                       {QStringLiteral("paused"), pause},
                                       {QStringLiteral("changed"), change->changed},
                                       {QStringLiteral("paused_types"), paused}});
        return ExitOk;
    }
    const QString what = all ? Ctl::tr("every job type") : type;
    if (!change->changed) {
        const PausedType *held = PausedTypeStore::pauseOf(change->pausedNow, type);
        ctx.out << (pause && held ? Ctl::tr("%1 was paused already (by %2 at %3)")
                                        .arg(what, held->pausedBy, localTime(held->pausedAt))
                                  : Ctl::tr("%1 was not paused").arg(what))
                << '\n';
    } else {
        ctx.out << (pause ? Ctl::tr("%1 paused: queued jobs wait, running ones finish; resume with "
                                    "\"hcmctl jobs resume %2\"")
                                .arg(what, all ? QStringLiteral("--all") : type)
                          : Ctl::tr("%1 resumed").arg(what))
                << '\n';
    }
    ctx.out.flush();
    return ExitOk;
}

} // namespace

int jobsPauseCommand(Context &ctx)
{
    return pauseOrResume(ctx, true);
}

int jobsResumeCommand(Context &ctx)
{
    return pauseOrResume(ctx, false);
}

bool pausedTypesOutput(Context &ctx, QJsonObject *json)
{
    auto paused = PauseService(ctx.config).pausedTypes();
    if (!paused) {
        ctx.fail(paused.error().message);
        return false;
    }
    if (json) {
        QJsonArray array;
        for (const PausedType &p : paused.value())
            array.append(p.toJson());
        json->insert(QStringLiteral("paused_types"), array);
        return true;
    }
    for (const PausedType &p : paused.value())
        ctx.out << Ctl::tr("paused: %1 (by %2 at %3)")
                       .arg(p.isAll() ? Ctl::tr("every job type") : p.type, p.pausedBy, localTime(p.pausedAt))
                << '\n';
    ctx.out.flush();
    return true;
}

// Jobs from JSON lines (a file, or - for standard input), all or nothing: see JobImport.
int jobsImportCommand(Context &ctx)
{
    const QString path = ctx.args.value(0);
    QFile file;
    const bool fromStdin = path == QLatin1String("-");
    if (fromStdin ? !file.open(stdin, QIODevice::ReadOnly)
                  : (file.setFileName(path), !file.open(QIODevice::ReadOnly))) {
        return ctx.fail(fromStdin ? Ctl::tr("Cannot read standard input: %1").arg(file.errorString())
                                  : Ctl::tr("Cannot read %1: %2").arg(path, file.errorString()));
    }
    auto report = JobImport(ctx.config).run(file, ctx.actor);
    if (!report)
        return ctx.fail(report.error().message + QLatin1Char(' ') + Ctl::tr("Nothing was imported."));
    const JobImportReport &r = report.value();
    if (!r.errors.isEmpty()) {
        for (const QString &error : r.errors)
            ctx.err << "hcmctl: " << error << '\n';
        if (r.unreported > 0)
            ctx.err << "hcmctl: " << Ctl::tr("%n more line(s) with errors", nullptr, int(r.unreported))
                    << '\n';
        ctx.err << "hcmctl: "
                << Ctl::tr("Nothing was imported: %n line(s) of %1 have errors.", nullptr, int(r.badLines))
                       .arg(r.lines)
                << Qt::endl;
        return ExitFailed;
    }
    if (ctx.json) {
        QJsonObject byStatus;
        for (int i = 0; i < kJobStatusCount; ++i)
            byStatus.insert(toString(static_cast<JobStatus>(i)), r.byStatus[i]);
        printJson(ctx.out, QJsonObject{{QStringLiteral("imported"), r.imported},
                                       {QStringLiteral("lines"), r.lines},
                                       {QStringLiteral("by_status"), byStatus}});
        return ExitOk;
    }
    QStringList parts;
    for (int i = 0; i < kJobStatusCount; ++i) {
        if (r.byStatus[i] > 0)
            parts.append(QStringLiteral("%1 %2").arg(r.byStatus[i]).arg(toString(static_cast<JobStatus>(i))));
    }
    ctx.out << Ctl::tr("Imported %n job(s)", nullptr, int(r.imported))
            << (parts.isEmpty() ? QString()
                                : QStringLiteral(" (") + parts.join(QStringLiteral(", ")) + QLatin1Char(')'))
            << '.' << Qt::endl;
    return ExitOk;
}

} // namespace hcm::ctl
