#include "ctlcommands.h"

#include "common/clock.h"
#include "db/database.h"
#include "db/migrator.h"
#include "jobs/jobservice.h"
#include "jobs/jobtypes.h"

#include <QDateTime>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>

#include <algorithm>

namespace hcm::ctl {

bool Context::intOption(const QString &name, int min, int &value)
{
    if (!parser.isSet(name))
        return true;
    bool ok = false;
    const QString text = parser.value(name).trimmed();
    const int v = text.toInt(&ok);
    if (!ok || v < min) {
        usage(tr("--%1 needs a whole number of at least %2; \"%3\" was given.").arg(name).arg(min).arg(text));
        return false;
    }
    value = v;
    return true;
}

int Context::fail(const QString &message)
{
    err << QStringLiteral("hcmctl: ") << message << Qt::endl;
    return ExitFailed;
}

int Context::usage(const QString &message)
{
    err << QStringLiteral("hcmctl: ") << message << '\n'
        << tr("Usage: hcmctl [--db PATH] [--json] %1").arg(synopsis) << '\n'
        << tr("Run \"hcmctl %1 --help\" for details.").arg(synopsis.section(QLatin1Char(' '), 0, 1)) << Qt::endl;
    return ExitUsage;
}

namespace {

// ---- formatting helpers ------------------------------------------------------------------------------

QString localTime(qint64 ms)
{
    if (ms <= 0)
        return QStringLiteral("-");
    return QDateTime::fromMSecsSinceEpoch(ms).toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

QString oneLine(const QString &text, int maxChars)
{
    QString s = text.simplified();
    if (s.size() > maxChars)
        s = s.left(maxChars - 1) + QChar(0x2026);
    return s;
}

void printJson(QTextStream &out, const QJsonValue &value)
{
    const QJsonDocument doc = value.isArray() ? QJsonDocument(value.toArray()) : QJsonDocument(value.toObject());
    out << QString::fromUtf8(doc.toJson(QJsonDocument::Indented));
    out.flush();
}

// Prints rows under headers in columns as wide as their widest cell (the last column is not padded).
void printTable(QTextStream &out, const QStringList &headers, const QList<QStringList> &rows)
{
    QList<qsizetype> widths;
    for (const QString &h : headers)
        widths.append(h.size());
    for (const QStringList &row : rows)
        for (qsizetype i = 0; i < row.size() && i < widths.size(); ++i)
            widths[i] = std::max(widths[i], row.at(i).size());
    const auto line = [&](const QStringList &cells) {
        QString text;
        for (qsizetype i = 0; i < cells.size(); ++i) {
            const bool last = i + 1 == cells.size();
            text += last ? cells.at(i) : cells.at(i).leftJustified(widths.at(i)) + QStringLiteral("  ");
        }
        out << text << '\n';
    };
    line(headers);
    for (const QStringList &row : rows)
        line(row);
}

// Status as a person reads it: "cancelling", "retrying in 3 min" on top of the stored status.
QString statusText(const Job &job)
{
    if (job.status == JobStatus::Processing && job.cancelRequested)
        return tr("cancelling");
    const qint64 now = Clock::system()->nowMs();
    if (job.status == JobStatus::Queued && job.retryCount > 0 && job.runAt > now) {
        const qint64 minutes = (job.runAt - now + 59'999) / 60'000;
        return tr("retrying in %1 min").arg(minutes);
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
        return indent + tr("(none)");
    const QJsonDocument doc = value.isObject() ? QJsonDocument(value.toObject()) : QJsonDocument(value.toArray());
    QStringList lines = QString::fromUtf8(doc.toJson(QJsonDocument::Indented)).trimmed().split(QLatin1Char('\n'));
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
            ctx.usage(tr("\"%1\" is not a job id; write job_12 or 12.").arg(text));
            return false;
        }
        ids.append(*id);
    }
    return true;
}

Actor actor()
{
    QString user = qEnvironmentVariable("USER");
    if (user.isEmpty())
        user = qEnvironmentVariable("USERNAME");
    if (user.isEmpty())
        user = QStringLiteral("unknown");
    return Actor{QStringLiteral("hcmctl:") + user};
}

QCommandLineOption valueOption(const char *name, const char *description, const char *valueName)
{
    return QCommandLineOption(QString::fromLatin1(name), tr(description), tr(valueName));
}

// ---- jobs --------------------------------------------------------------------------------------------

int jobsEnqueue(Context &ctx)
{
    auto job = JobService::parse(ctx.args.value(0), ctx.parser.value(QStringLiteral("priority")),
                                 ctx.parser.value(QStringLiteral("payload")),
                                 ctx.parser.value(QStringLiteral("max-retries")),
                                 ctx.parser.value(QStringLiteral("run-at")));
    if (!job)
        return ctx.fail(job.error().message);
    JobService service{JobStore(ctx.config)};
    auto id = service.enqueue(job.value(), actor());
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

// Builds the filter of `jobs list` from its options; false after a usage error.
bool listFilter(Context &ctx, JobFilter &filter)
{
    filter.limit = 50;
    if (ctx.parser.isSet(QStringLiteral("status"))) {
        const QStringList names = ctx.parser.value(QStringLiteral("status")).split(QLatin1Char(','), Qt::SkipEmptyParts);
        for (const QString &name : names) {
            const auto status = jobStatusFromString(name.trimmed());
            if (!status) {
                ctx.usage(tr("Unknown status \"%1\": use queued, processing, completed, failed or cancelled.")
                              .arg(name.trimmed()));
                return false;
            }
            filter.statuses.append(*status);
        }
    }
    filter.type = ctx.parser.value(QStringLiteral("type")).trimmed();
    filter.search = ctx.parser.value(QStringLiteral("search"));
    if (!ctx.intOption(QStringLiteral("limit"), 1, filter.limit) || !ctx.intOption(QStringLiteral("offset"), 0, filter.offset))
        return false;
    if (ctx.parser.isSet(QStringLiteral("sort"))) {
        static const QList<QPair<QString, JobSortColumn>> columns = {
            {QStringLiteral("id"), JobSortColumn::Id},         {QStringLiteral("created"), JobSortColumn::CreatedAt},
            {QStringLiteral("status"), JobSortColumn::Status}, {QStringLiteral("type"), JobSortColumn::Type},
            {QStringLiteral("priority"), JobSortColumn::Priority},
        };
        const QString key = ctx.parser.value(QStringLiteral("sort")).trimmed().toLower();
        const auto it = std::find_if(columns.begin(), columns.end(), [&](const auto &c) { return c.first == key; });
        if (it == columns.end()) {
            ctx.usage(tr("Unknown sort column \"%1\": use id, created, status, type or priority.").arg(key));
            return false;
        }
        filter.sort = it->second;
    }
    filter.order = ctx.parser.isSet(QStringLiteral("asc")) ? Qt::AscendingOrder : Qt::DescendingOrder;
    return true;
}

int jobsList(Context &ctx)
{
    JobFilter filter;
    if (!listFilter(ctx, filter))
        return ExitUsage;
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
                   {tr("ID"), tr("TYPE"), tr("STATUS"), tr("PRIORITY"), tr("ATTEMPTS"), tr("CREATED"), tr("ERROR")},
                   rows);
    }
    ctx.out << tr("%1 of %2 jobs").arg(rows.size()).arg(total.value()) << Qt::endl;
    return ExitOk;
}

int jobsShow(Context &ctx)
{
    const auto id = Job::parseId(ctx.args.value(0));
    if (!id)
        return ctx.usage(tr("\"%1\" is not a job id; write job_12 or 12.").arg(ctx.args.value(0)));
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
        {tr("ID"), j.publicId()},
        {tr("Type"), j.type},
        {tr("Status"), status},
        {tr("Priority"), toString(j.priority)},
        {tr("Retries"), tr("%1 of %2 used").arg(j.retryCount).arg(j.maxRetries)},
        {tr("Attempts"), QString::number(j.attempts)},
        {tr("Created"), localTime(j.createdAt)},
        {tr("Created by"), j.createdBy.isEmpty() ? QStringLiteral("-") : j.createdBy},
        {tr("Run at"), localTime(j.runAt)},
        {tr("Started"), localTime(j.startedAt)},
        {tr("Completed"), localTime(j.completedAt)},
        {tr("Worker"), j.workerId.isEmpty() ? QStringLiteral("-") : j.workerId},
        {tr("Progress"), j.progress >= 0 ? QStringLiteral("%1%").arg(qRound(j.progress * 100)) : QStringLiteral("-")},
        {tr("Error"), j.errorMessage.isEmpty() ? QStringLiteral("-") : j.errorMessage},
    };
    qsizetype width = 0;
    for (const auto &f : fields)
        width = std::max(width, f.first.size() + 1);
    for (const auto &f : fields)
        ctx.out << (f.first + QLatin1Char(':')).leftJustified(width + 1) << f.second << '\n';
    ctx.out << tr("Payload:") << '\n' << prettyJson(j.payload, QStringLiteral("  ")) << '\n';
    ctx.out << tr("Result:") << '\n' << prettyJson(j.result, QStringLiteral("  ")) << '\n';
    ctx.out << tr("Attempt history:") << '\n';
    if (j.attemptList.isEmpty()) {
        ctx.out << QStringLiteral("  ") << tr("(no finished attempts)") << '\n';
    } else {
        QList<QStringList> rows;
        for (const JobAttempt &a : j.attemptList) {
            rows.append({QString::number(a.attempt), a.workerId.isEmpty() ? QStringLiteral("-") : a.workerId,
                         localTime(a.startedAt), localTime(a.finishedAt), a.outcome,
                         a.error.isEmpty() ? QStringLiteral("-") : oneLine(a.error, 200)});
        }
        QString table;
        QTextStream ts(&table);
        printTable(ts, {tr("ATTEMPT"), tr("WORKER"), tr("STARTED"), tr("FINISHED"), tr("OUTCOME"), tr("ERROR")},
                   rows);
        ts.flush();
        for (const QString &l : table.split(QLatin1Char('\n'), Qt::SkipEmptyParts))
            ctx.out << QStringLiteral("  ") << l << '\n';
    }
    ctx.out.flush();
    return ExitOk;
}

enum class Action { Cancel, Retry, Delete };

// cancel, retry and delete share their shape: one line per id, errors on stderr, exit 1 if any failed.
int jobsAction(Context &ctx, Action action)
{
    QList<qint64> ids;
    if (!parseIds(ctx, ids))
        return ExitUsage;
    JobService service{JobStore(ctx.config)};
    const QList<JobActionResult> results = action == Action::Cancel  ? service.cancel(ids, actor())
                                           : action == Action::Retry ? service.retryNow(ids, actor())
                                                                     : service.deleteFinished(ids, actor());
    bool allOk = true;
    QJsonArray array;
    for (const JobActionResult &r : results) {
        const QString id = Job::publicId(r.id);
        QString outcome;
        if (r.ok) {
            switch (action) {
            case Action::Cancel:
                outcome = r.status == JobStatus::Processing ? tr("cancellation requested (running)") : tr("cancelled");
                break;
            case Action::Retry:
                outcome = tr("queued for retry");
                break;
            case Action::Delete:
                outcome = tr("deleted");
                break;
            }
            if (!ctx.json)
                ctx.out << id << QStringLiteral(": ") << outcome << '\n';
        } else {
            allOk = false;
            // The store's messages usually start with the id already.
            ctx.fail(r.message.startsWith(id) ? r.message : id + QStringLiteral(": ") + r.message);
        }
        array.append(QJsonObject{{QStringLiteral("id"), id},
                                 {QStringLiteral("ok"), r.ok},
                                 {QStringLiteral("status"), r.ok && action == Action::Delete
                                                                ? QJsonValue(QStringLiteral("deleted"))
                                                                : QJsonValue(toString(r.status))},
                                 {QStringLiteral("error"), r.ok ? QJsonValue(QJsonValue::Null) : QJsonValue(r.message)}});
    }
    if (ctx.json)
        printJson(ctx.out, array);
    ctx.out.flush();
    return allOk ? ExitOk : ExitFailed;
}

// Rows per status plus the total, as JSON ({"queued": 3, …, "total": 9}) or as aligned lines.
void printCounts(Context &ctx, const std::array<qint64, kJobStatusCount> &counts, const QString &indent)
{
    qint64 total = 0;
    for (qint64 c : counts)
        total += c;
    QList<QStringList> rows;
    for (int i = 0; i < kJobStatusCount; ++i)
        rows.append({indent + toString(static_cast<JobStatus>(i)), QString::number(counts[i]).rightJustified(8)});
    rows.append({indent + tr("total"), QString::number(total).rightJustified(8)});
    for (const QStringList &row : rows)
        ctx.out << row.at(0).leftJustified(indent.size() + 12) << row.at(1) << '\n';
    ctx.out.flush();
}

QJsonObject countsJson(const std::array<qint64, kJobStatusCount> &counts)
{
    QJsonObject o;
    qint64 total = 0;
    for (int i = 0; i < kJobStatusCount; ++i) {
        o.insert(toString(static_cast<JobStatus>(i)), counts[i]);
        total += counts[i];
    }
    o.insert(QStringLiteral("total"), total);
    return o;
}

int jobsCounts(Context &ctx)
{
    JobStore store(ctx.config);
    auto counts = store.countByStatus(JobFilter{});
    if (!counts)
        return ctx.fail(counts.error().message);
    if (ctx.json)
        printJson(ctx.out, countsJson(counts.value()));
    else
        printCounts(ctx, counts.value(), {});
    return ExitOk;
}

int jobsTypes(Context &ctx)
{
    const QList<JobTypeInfo> types = JobTypeCatalog::instance().types(JobTypeCatalog::testTypesEnabled());
    if (ctx.json) {
        QJsonArray array;
        for (const JobTypeInfo &t : types) {
            array.append(QJsonObject{{QStringLiteral("name"), t.name},
                                     {QStringLiteral("description"), t.description()},
                                     {QStringLiteral("payload_template"), t.payloadTemplate},
                                     {QStringLiteral("timeout_seconds"), t.timeoutSeconds}});
        }
        printJson(ctx.out, array);
        return ExitOk;
    }
    for (const JobTypeInfo &t : types) {
        ctx.out << t.name << '\n'
                << QStringLiteral("    ") << t.description() << '\n'
                << QStringLiteral("    ") << tr("payload template: %1")
                                                 .arg(QString::fromUtf8(
                                                     QJsonDocument(t.payloadTemplate).toJson(QJsonDocument::Compact)))
                << '\n'
                << QStringLiteral("    ") << tr("time limit: %1 s").arg(t.timeoutSeconds) << '\n';
    }
    ctx.out.flush();
    return ExitOk;
}

// ---- db ----------------------------------------------------------------------------------------------

int dbMigrate(Context &ctx)
{
    auto conn = Database::connection(ctx.config);
    if (!conn)
        return ctx.fail(conn.error().message);
    QSqlDatabase db = conn.value();
    auto before = Migrator::info(db, ctx.config);
    if (!before)
        return ctx.fail(before.error().message);
    if (auto st = Migrator::migrate(db, ctx.config); !st)
        return ctx.fail(st.error().message);
    auto after = Migrator::info(db, ctx.config);
    if (!after)
        return ctx.fail(after.error().message);
    if (ctx.json) {
        QJsonArray applied;
        for (const auto &m : before->pending)
            applied.append(QStringLiteral("%1_%2").arg(m.version, 3, 10, QLatin1Char('0')).arg(m.name));
        printJson(ctx.out, QJsonObject{{QStringLiteral("schema_version"), after->currentVersion},
                                       {QStringLiteral("latest_schema_version"), after->latestVersion},
                                       {QStringLiteral("applied"), applied}});
        return ExitOk;
    }
    for (const auto &m : before->pending)
        ctx.out << tr("applied migration %1_%2").arg(m.version, 3, 10, QLatin1Char('0')).arg(m.name) << '\n';
    ctx.out << tr("schema version %1 (up to date)").arg(after->currentVersion) << Qt::endl;
    return ExitOk;
}

int dbInfo(Context &ctx)
{
    auto conn = Database::connection(ctx.config);
    if (!conn)
        return ctx.fail(conn.error().message);
    QSqlDatabase db = conn.value();
    auto info = Migrator::info(db, ctx.config);
    if (!info)
        return ctx.fail(info.error().message);
    auto counts = JobStore(ctx.config).countByStatus(JobFilter{});
    if (!counts)
        return ctx.fail(counts.error().message);
    const qint64 size = QFileInfo(ctx.config.sqlitePath).size();
    const qint64 walSize = QFileInfo(ctx.config.sqlitePath + QStringLiteral("-wal")).size();
    if (ctx.json) {
        printJson(ctx.out, QJsonObject{{QStringLiteral("backend"), ctx.config.backendName()},
                                       {QStringLiteral("location"), ctx.config.sqlitePath},
                                       {QStringLiteral("schema_version"), info->currentVersion},
                                       {QStringLiteral("latest_schema_version"), info->latestVersion},
                                       {QStringLiteral("file_size_bytes"), size},
                                       {QStringLiteral("wal_size_bytes"), walSize},
                                       {QStringLiteral("jobs"), countsJson(counts.value())}});
        return ExitOk;
    }
    const QLocale locale;
    ctx.out << tr("backend:         %1").arg(ctx.config.backendName()) << '\n'
            << tr("location:        %1").arg(ctx.config.sqlitePath) << '\n'
            << tr("schema version:  %1 (latest %2)").arg(info->currentVersion).arg(info->latestVersion) << '\n'
            << tr("file size:       %1 (+ %2 write-ahead log)")
                   .arg(locale.formattedDataSize(size), locale.formattedDataSize(walSize))
            << '\n'
            << tr("jobs:") << '\n';
    printCounts(ctx, counts.value(), QStringLiteral("  "));
    return ExitOk;
}

QList<QCommandLineOption> noOptions()
{
    return {};
}

} // namespace

const QList<Command> &commands()
{
    static const QList<Command> table = {
        {QStringLiteral("jobs"), QStringLiteral("enqueue"), QT_TRANSLATE_NOOP("hcmctl", "TYPE"),
         QT_TRANSLATE_NOOP("hcmctl", "Creates a job and prints its id."), 1, 1, Command::Db::OpenAndMigrate,
         [] {
             return QList<QCommandLineOption>{
                 valueOption("priority", QT_TRANSLATE_NOOP("hcmctl", "low, normal (default), high or critical."),
                             QT_TRANSLATE_NOOP("hcmctl", "PRIORITY")),
                 valueOption("payload", QT_TRANSLATE_NOOP("hcmctl", "The payload, a JSON object."),
                             QT_TRANSLATE_NOOP("hcmctl", "JSON")),
                 valueOption("max-retries", QT_TRANSLATE_NOOP("hcmctl", "Retries after a failure, 0 to 25 (default 3)."),
                             QT_TRANSLATE_NOOP("hcmctl", "N")),
                 valueOption("run-at", QT_TRANSLATE_NOOP("hcmctl", "Start no earlier than this ISO 8601 time."),
                             QT_TRANSLATE_NOOP("hcmctl", "TIME")),
             };
         },
         jobsEnqueue},
        {QStringLiteral("jobs"), QStringLiteral("list"), "",
         QT_TRANSLATE_NOOP("hcmctl", "Lists jobs, newest first, with filters."), 0, 0, Command::Db::OpenAndMigrate,
         [] {
             return QList<QCommandLineOption>{
                 valueOption("status", QT_TRANSLATE_NOOP("hcmctl", "Only these statuses (comma-separated)."),
                             QT_TRANSLATE_NOOP("hcmctl", "STATUS")),
                 valueOption("type", QT_TRANSLATE_NOOP("hcmctl", "Only this job type."),
                             QT_TRANSLATE_NOOP("hcmctl", "TYPE")),
                 valueOption("search", QT_TRANSLATE_NOOP("hcmctl", "Match the id, type or error text."),
                             QT_TRANSLATE_NOOP("hcmctl", "TEXT")),
                 valueOption("limit", QT_TRANSLATE_NOOP("hcmctl", "At most N jobs (default 50)."),
                             QT_TRANSLATE_NOOP("hcmctl", "N")),
                 valueOption("offset", QT_TRANSLATE_NOOP("hcmctl", "Skip the first N jobs."),
                             QT_TRANSLATE_NOOP("hcmctl", "N")),
                 valueOption("sort", QT_TRANSLATE_NOOP("hcmctl", "id (default), created, status, type or priority."),
                             QT_TRANSLATE_NOOP("hcmctl", "COLUMN")),
                 QCommandLineOption(QStringLiteral("asc"), tr("Sort ascending instead of descending.")),
             };
         },
         jobsList},
        {QStringLiteral("jobs"), QStringLiteral("show"), QT_TRANSLATE_NOOP("hcmctl", "ID"),
         QT_TRANSLATE_NOOP("hcmctl", "Shows one job with its payload, result and attempts."), 1, 1, Command::Db::OpenAndMigrate, noOptions,
         jobsShow},
        {QStringLiteral("jobs"), QStringLiteral("cancel"), QT_TRANSLATE_NOOP("hcmctl", "ID..."),
         QT_TRANSLATE_NOOP("hcmctl", "Cancels queued jobs; asks running ones to stop."), 1, -1, Command::Db::OpenAndMigrate, noOptions,
         [](Context &ctx) { return jobsAction(ctx, Action::Cancel); }},
        {QStringLiteral("jobs"), QStringLiteral("retry"), QT_TRANSLATE_NOOP("hcmctl", "ID..."),
         QT_TRANSLATE_NOOP("hcmctl", "Queues failed or cancelled jobs again, now."), 1, -1, Command::Db::OpenAndMigrate, noOptions,
         [](Context &ctx) { return jobsAction(ctx, Action::Retry); }},
        {QStringLiteral("jobs"), QStringLiteral("delete"), QT_TRANSLATE_NOOP("hcmctl", "ID..."),
         QT_TRANSLATE_NOOP("hcmctl", "Deletes finished jobs and their attempts."), 1, -1, Command::Db::OpenAndMigrate, noOptions,
         [](Context &ctx) { return jobsAction(ctx, Action::Delete); }},
        {QStringLiteral("jobs"), QStringLiteral("counts"), "",
         QT_TRANSLATE_NOOP("hcmctl", "Counts jobs per status."), 0, 0, Command::Db::OpenAndMigrate, noOptions, jobsCounts},
        {QStringLiteral("jobs"), QStringLiteral("types"), "",
         QT_TRANSLATE_NOOP("hcmctl", "Lists the job types with their payload templates."), 0, 0, Command::Db::None, noOptions,
         jobsTypes},
        {QStringLiteral("db"), QStringLiteral("migrate"), "",
         QT_TRANSLATE_NOOP("hcmctl", "Applies pending schema migrations."), 0, 0, Command::Db::Open, noOptions, dbMigrate},
        {QStringLiteral("db"), QStringLiteral("info"), "",
         QT_TRANSLATE_NOOP("hcmctl", "Shows the database location, schema version, size and job counts."), 0, 0,
         Command::Db::OpenAndMigrate, noOptions, dbInfo},
    };
    return table;
}

} // namespace hcm::ctl
