// hcmctl's commands on recurring schedules: add, list, show, edit, enable, disable, run, delete. Every
// change goes through ScheduleService, the one place where a schedule changes.

#include "ctlcommands.h"

#include "jobs/jobservice.h"
#include "schedules/cronexpression.h"
#include "schedules/scheduleservice.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimeZone>

#include <algorithm>

namespace hcm::ctl {

namespace {

QCommandLineOption option(const char *name, const char *description, const char *valueName)
{
    return QCommandLineOption(QString::fromLatin1(name), Ctl::tr(description), Ctl::tr(valueName));
}

// The options of add and edit: what a schedule is made of.
QList<QCommandLineOption> fieldOptions(bool edit)
{
    QList<QCommandLineOption> list{
        option("type", QT_TRANSLATE_NOOP("hcm::ctl", "The job type; \"hcmctl jobs types\" lists them."),
               QT_TRANSLATE_NOOP("hcm::ctl", "TYPE")),
        option("cron",
               QT_TRANSLATE_NOOP("hcm::ctl", "When: a cron expression such as \"0 3 * * *\" or @daily."),
               QT_TRANSLATE_NOOP("hcm::ctl", "EXPR")),
        option(
            "zone",
            QT_TRANSLATE_NOOP("hcm::ctl", "The IANA time zone of the expression (default: this machine's)."),
            QT_TRANSLATE_NOOP("hcm::ctl", "ZONE")),
        option("payload", QT_TRANSLATE_NOOP("hcm::ctl", "The payload of every job, a JSON object."),
               QT_TRANSLATE_NOOP("hcm::ctl", "JSON")),
        option("priority", QT_TRANSLATE_NOOP("hcm::ctl", "low, normal (default), high or critical."),
               QT_TRANSLATE_NOOP("hcm::ctl", "PRIORITY")),
        option("max-retries", QT_TRANSLATE_NOOP("hcm::ctl", "Retries after a failure, 0 to 25 (default 3)."),
               QT_TRANSLATE_NOOP("hcm::ctl", "N")),
        option(
            "overlap",
            QT_TRANSLATE_NOOP("hcm::ctl",
                              "skip (default: no job while the previous one is queued or running) or allow."),
            QT_TRANSLATE_NOOP("hcm::ctl", "POLICY")),
        option("missed",
               QT_TRANSLATE_NOOP("hcm::ctl",
                                 "run_once (default: one job for slots missed while no worker ran) or skip."),
               QT_TRANSLATE_NOOP("hcm::ctl", "POLICY")),
    };
    if (edit)
        list << option("name", QT_TRANSLATE_NOOP("hcm::ctl", "A new name."),
                       QT_TRANSLATE_NOOP("hcm::ctl", "NAME"));
    else
        list << QCommandLineOption(QStringLiteral("disabled"), Ctl::tr("Create it switched off."));
    return list;
}

QString systemZone()
{
    const QByteArray zone = QTimeZone::systemTimeZoneId();
    return zone.isEmpty() || !QTimeZone::isTimeZoneIdAvailable(zone) ? QStringLiteral("UTC")
                                                                     : QString::fromLatin1(zone);
}

// Applies the options that are set to `s`; on a bad value prints it and returns the exit code.
int applyOptions(Context &ctx, Schedule &s, bool edit)
{
    const auto value = [&](const char *name) { return ctx.parser.value(QString::fromLatin1(name)); };
    const auto isSet = [&](const char *name) { return ctx.parser.isSet(QString::fromLatin1(name)); };
    if (edit && isSet("name"))
        s.name = value("name");
    if (isSet("type"))
        s.jobType = value("type").trimmed();
    if (isSet("cron"))
        s.cron = value("cron");
    if (isSet("zone"))
        s.timeZone = value("zone").trimmed();
    // The job fields are read as a job's are, with the same messages.
    auto job = JobService::parse(
        s.jobType.isEmpty() ? QStringLiteral("cleanup") : s.jobType,
        isSet("priority") ? value("priority") : toString(s.priority),
        isSet("payload") ? value("payload")
                         : QString::fromUtf8(QJsonDocument(s.payload).toJson(QJsonDocument::Compact)),
        isSet("max-retries") ? value("max-retries") : QString::number(s.maxRetries), QString());
    if (!job && !s.jobType.isEmpty()) {
        return ctx.fail(job.error().message);
    }
    if (job) {
        s.priority = job->priority;
        s.payload = job->payload;
        s.maxRetries = job->maxRetries;
    }
    if (isSet("overlap")) {
        const auto p = overlapPolicyFromString(value("overlap").trimmed());
        if (!p) {
            return ctx.usage(
                Ctl::tr("Unknown overlap policy \"%1\": use skip or allow.").arg(value("overlap")));
        }
        s.overlap = *p;
    }
    if (isSet("missed")) {
        const auto p = missedPolicyFromString(value("missed").trimmed());
        if (!p) {
            ctx.usage(
                Ctl::tr("Unknown missed-run policy \"%1\": use run_once or skip.").arg(value("missed")));
            return ExitUsage;
        }
        s.missed = *p;
    }
    return ExitOk;
}

QString lastRunText(const Schedule &s)
{
    if (s.lastRunAt <= 0)
        return QStringLiteral("-");
    QString text = localTime(s.lastRunAt);
    if (s.lastJobId > 0)
        text += QStringLiteral(" (%1%2)").arg(
            Job::publicId(s.lastJobId),
            s.lastJobStatus ? QStringLiteral(", ") + toString(*s.lastJobStatus) : QString());
    return text;
}

QString describe(const Schedule &s)
{
    const auto cron = CronExpression::parse(s.cron);
    return cron ? cron->describe() : cron.error().message;
}

int printSchedule(Context &ctx, const Schedule &s)
{
    const auto cron = CronExpression::parse(s.cron);
    const QTimeZone zone(s.timeZone.toUtf8());
    QList<qint64> next;
    if (cron && zone.isValid() && s.enabled)
        next = cron->nextRuns(qMax<qint64>(s.nextRunAt - 1, QDateTime::currentMSecsSinceEpoch()), zone, 5);
    if (ctx.json) {
        QJsonObject o = s.toJson();
        QJsonArray runs;
        for (qint64 t : std::as_const(next))
            runs.append(isoUtc(t));
        o.insert(QStringLiteral("next_runs"), runs);
        printJson(ctx.out, o);
        return ExitOk;
    }
    const QList<QPair<QString, QString>> rows{
        {Ctl::tr("id"), QString::number(s.id)},
        {Ctl::tr("name"), s.name},
        {Ctl::tr("type"), s.jobType},
        {Ctl::tr("when"), QStringLiteral("%1  (%2)").arg(s.cron, describe(s))},
        {Ctl::tr("zone"), s.timeZone},
        {Ctl::tr("enabled"), s.enabled ? Ctl::tr("yes") : Ctl::tr("no")},
        {Ctl::tr("priority"), toString(s.priority)},
        {Ctl::tr("max retries"), QString::number(s.maxRetries)},
        {Ctl::tr("payload"), QString::fromUtf8(QJsonDocument(s.payload).toJson(QJsonDocument::Compact))},
        {Ctl::tr("overlap"), toString(s.overlap)},
        {Ctl::tr("missed runs"), toString(s.missed)},
        {Ctl::tr("next run"), localTime(s.nextRunAt)},
        {Ctl::tr("last run"), lastRunText(s)},
        {Ctl::tr("created"), QStringLiteral("%1 %2").arg(localTime(s.createdAt), s.createdBy)},
        {Ctl::tr("updated"), QStringLiteral("%1 %2").arg(localTime(s.updatedAt), s.updatedBy)},
    };
    // The names are as wide as the longest in the current language, plus one space.
    qsizetype width = 0;
    for (const auto &row : rows)
        width = std::max(width, row.first.size() + 2);
    for (const auto &[key, value] : rows)
        ctx.out << QString(key + QLatin1Char(':')).leftJustified(width) << value << '\n';
    if (!next.isEmpty()) {
        ctx.out << Ctl::tr("next runs (%1, and local time):").arg(s.timeZone) << '\n';
        for (qint64 t : std::as_const(next))
            ctx.out << QStringLiteral("  ")
                    << QDateTime::fromMSecsSinceEpoch(t, zone).toString(QStringLiteral("yyyy-MM-dd HH:mm t"))
                    << QStringLiteral("   ") << localTime(t) << '\n';
    }
    ctx.out.flush();
    return ExitOk;
}

int addCommand(Context &ctx)
{
    Schedule s;
    s.name = ctx.args.value(0);
    s.timeZone = systemZone();
    s.enabled = !ctx.parser.isSet(QStringLiteral("disabled"));
    if (!ctx.parser.isSet(QStringLiteral("type")) || !ctx.parser.isSet(QStringLiteral("cron")))
        return ctx.usage(Ctl::tr("A schedule needs --type and --cron."));
    if (const int rc = applyOptions(ctx, s, false); rc != ExitOk)
        return rc;
    ScheduleService service{ScheduleStore(ctx.config)};
    auto id = service.add(s, ctx.actor);
    if (!id)
        return ctx.fail(id.error().message);
    auto created = service.get(*id);
    if (!created)
        return ctx.fail(created.error().message);
    if (ctx.json)
        return printSchedule(ctx, *created);
    ctx.out << *id << Qt::endl;
    return ExitOk;
}

int listCommand(Context &ctx)
{
    ScheduleService service{ScheduleStore(ctx.config)};
    auto all = service.list();
    if (!all)
        return ctx.fail(all.error().message);
    if (ctx.json) {
        QJsonArray array;
        for (const Schedule &s : *all)
            array.append(s.toJson());
        printJson(ctx.out, array);
        return ExitOk;
    }
    QList<QStringList> rows;
    for (const Schedule &s : *all)
        rows.append({QString::number(s.id), s.name, s.jobType, s.cron, oneLine(describe(s), 40), s.timeZone,
                     s.enabled ? Ctl::tr("yes") : Ctl::tr("no"),
                     s.enabled ? localTime(s.nextRunAt) : QStringLiteral("-"), lastRunText(s)});
    if (rows.isEmpty()) {
        ctx.out << Ctl::tr("No schedules.") << Qt::endl;
        return ExitOk;
    }
    printTable(ctx.out,
               {Ctl::tr("ID"), Ctl::tr("NAME"), Ctl::tr("TYPE"), Ctl::tr("CRON"), Ctl::tr("WHEN"),
                Ctl::tr("ZONE"), Ctl::tr("ENABLED"), Ctl::tr("NEXT RUN"), Ctl::tr("LAST RUN")},
               rows);
    return ExitOk;
}

int showCommand(Context &ctx)
{
    ScheduleService service{ScheduleStore(ctx.config)};
    auto s = service.find(ctx.args.value(0));
    if (!s)
        return ctx.fail(s.error().message);
    return printSchedule(ctx, *s);
}

int editCommand(Context &ctx)
{
    ScheduleService service{ScheduleStore(ctx.config)};
    auto s = service.find(ctx.args.value(0));
    if (!s)
        return ctx.fail(s.error().message);
    Schedule changed = *s;
    if (const int rc = applyOptions(ctx, changed, true); rc != ExitOk)
        return rc;
    if (auto st = service.edit(changed, ctx.actor); !st)
        return ctx.fail(st.error().message);
    auto after = service.get(changed.id);
    if (!after)
        return ctx.fail(after.error().message);
    if (ctx.json)
        return printSchedule(ctx, *after);
    return ExitOk;
}

int setEnabled(Context &ctx, bool enabled)
{
    ScheduleService service{ScheduleStore(ctx.config)};
    auto s = service.find(ctx.args.value(0));
    if (!s)
        return ctx.fail(s.error().message);
    if (auto st = service.setEnabled(s->id, enabled, ctx.actor); !st)
        return ctx.fail(st.error().message);
    if (ctx.json) {
        auto after = service.get(s->id);
        if (!after)
            return ctx.fail(after.error().message);
        return printSchedule(ctx, *after);
    }
    return ExitOk;
}

int runCommand(Context &ctx)
{
    ScheduleService service{ScheduleStore(ctx.config)};
    auto s = service.find(ctx.args.value(0));
    if (!s)
        return ctx.fail(s.error().message);
    auto job = service.runNow(s->id, ctx.actor);
    if (!job)
        return ctx.fail(job.error().message);
    if (ctx.json)
        printJson(ctx.out, QJsonObject{{QStringLiteral("schedule_id"), s->id},
                                       {QStringLiteral("job_id"), Job::publicId(*job)}});
    else
        ctx.out << Job::publicId(*job) << Qt::endl;
    return ExitOk;
}

int deleteCommand(Context &ctx)
{
    ScheduleService service{ScheduleStore(ctx.config)};
    auto s = service.find(ctx.args.value(0));
    if (!s)
        return ctx.fail(s.error().message);
    if (auto st = service.remove(s->id, ctx.actor); !st)
        return ctx.fail(st.error().message);
    if (ctx.json)
        printJson(ctx.out, QJsonObject{{QStringLiteral("deleted"), s->id}});
    return ExitOk;
}

QList<QCommandLineOption> none()
{
    return {};
}

} // namespace

QList<Command> scheduleCommands()
{
    const char *target = QT_TRANSLATE_NOOP("hcm::ctl", "ID|NAME");
    const char *targetHelp = QT_TRANSLATE_NOOP("hcm::ctl", "The schedule's id or name.");
    const auto db = Command::Db::OpenAndMigrate;
    const QString group = QStringLiteral("schedules");
    return {
        {group, QStringLiteral("add"), QT_TRANSLATE_NOOP("hcm::ctl", "NAME"),
         QT_TRANSLATE_NOOP("hcm::ctl", "A unique name."),
         QT_TRANSLATE_NOOP("hcm::ctl", "Creates a recurring schedule and prints its id."), 1, 1, db,
         [] { return fieldOptions(false); }, addCommand},
        {group, QStringLiteral("list"), "", "",
         QT_TRANSLATE_NOOP("hcm::ctl", "Lists the schedules with their next and last run."), 0, 0, db, none,
         listCommand},
        {group, QStringLiteral("show"), target, targetHelp,
         QT_TRANSLATE_NOOP("hcm::ctl", "Shows one schedule and its next five run times."), 1, 1, db, none,
         showCommand},
        {group, QStringLiteral("edit"), target, targetHelp,
         QT_TRANSLATE_NOOP("hcm::ctl", "Changes the fields given; the next run is computed again."), 1, 1, db,
         [] { return fieldOptions(true); }, editCommand},
        {group, QStringLiteral("enable"), target, targetHelp,
         QT_TRANSLATE_NOOP("hcm::ctl", "Switches a schedule on; its next run counts from now."), 1, 1, db,
         none, [](Context &ctx) { return setEnabled(ctx, true); }},
        {group, QStringLiteral("disable"), target, targetHelp,
         QT_TRANSLATE_NOOP("hcm::ctl", "Switches a schedule off at once, in every worker."), 1, 1, db, none,
         [](Context &ctx) { return setEnabled(ctx, false); }},
        {group, QStringLiteral("run"), target, targetHelp,
         QT_TRANSLATE_NOOP("hcm::ctl", "Makes one job of the schedule now and prints its id."), 1, 1, db,
         none, runCommand},
        {group, QStringLiteral("delete"), target, targetHelp,
         QT_TRANSLATE_NOOP("hcm::ctl", "Deletes a schedule (its jobs stay)."), 1, 1, db, none, deleteCommand},
    };
}

} // namespace hcm::ctl
