#include "ctlcommands.h"

#include "db/database.h"
#include "db/databaseinfo.h"
#include "db/migrator.h"
#include "jobs/jobimport.h"
#include "jobs/jobservice.h"
#include "jobs/jobstatsstore.h"
#include "jobs/jobstore.h"
#include "jobs/jobtypes.h"
#include "jobs/workerstate.h"
#include "settings/notificationsettings.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>

#include <algorithm>
#include <array>

namespace hcm::ctl {

bool Context::intOption(const QString &name, int min, int &value)
{
    if (!parser.isSet(name))
        return true;
    bool ok = false;
    const QString text = parser.value(name).trimmed();
    const int v = text.toInt(&ok);
    if (!ok || v < min) {
        usage(QCoreApplication::translate("hcm::ctl",
                                          "--%1 needs a whole number of at least %2; \"%3\" was given.")
                  .arg(name)
                  .arg(min)
                  .arg(text));
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
        << QCoreApplication::translate("hcm::ctl", "Usage: hcmctl [--db PATH] [--json] %1").arg(synopsis)
        << '\n'
        << QCoreApplication::translate("hcm::ctl", "Run \"hcmctl %1 --help\" for details.")
               .arg(synopsis.section(QLatin1Char(' '), 0, 1))
        << Qt::endl;
    return ExitUsage;
}

// ---- input ---------------------------------------------------------------------------------------------

LimitedInput readLimited(QIODevice &device, qint64 limit)
{
    LimitedInput in;
    constexpr qint64 kChunk = 64 * 1024;
    while (in.data.size() <= limit) {
        const qsizetype at = in.data.size();
        const qint64 want = std::min(kChunk, limit + 1 - at);
        in.data.resize(at + want);
        const qint64 got = device.read(in.data.data() + at, want);
        in.data.resize(at + std::max<qint64>(got, 0));
        if (got < 0) {
            in.error = device.errorString();
            return in;
        }
        if (got == 0)
            break; // the end of the input
    }
    in.tooLong = in.data.size() > limit;
    return in;
}

// ---- help -----------------------------------------------------------------------------------------------

QString commandDetails(const Command &command)
{
    if (command.name() == QLatin1String("jobs import")) {
        return Ctl::tr("\nOne job per line: job_type and status (queued, completed, failed or cancelled) are "
                       "required; id (kept), priority, payload, result, error_message, retry_count, "
                       "max_retries, attempts, run_at, created_at, started_at, completed_at (required for a "
                       "finished job), created_by, worker_id, cancel_requested and progress are optional; "
                       "attempt_history is ignored. Lines up to %1 MiB, payloads up to %2 KiB.\n"
                       "Every line is checked first: with any error (each reported with its line number) "
                       "nothing is imported.\n"
                       "PostgreSQL: import as the owner role (new ids are moved past the imported ones).\n")
            .arg(JobImport::kMaxLineBytes / (1024 * 1024))
            .arg(JobService::kMaxPayloadBytes / 1024);
    }
    if (command.name() == QLatin1String("settings set")) {
        QString text = Ctl::tr("\nLimits (a longer value is refused and nothing is saved):\n");
        QList<QStringList> rows;
        for (const QString &key : NotificationSettings::fieldKeys()) {
            const int max = NotificationSettings::maxLength(key);
            if (max == 0)
                continue;
            QString limit;
            if (NotificationSettings::isSecretKey(key))
                limit = Ctl::tr("%1 bytes (from standard input)").arg(max);
            else if (key.endsWith(QLatin1String("_recipients")))
                limit = Ctl::tr("%1 entries of %2 characters")
                            .arg(NotificationSettings::kMaxListEntries)
                            .arg(max);
            else
                limit = Ctl::tr("%1 characters").arg(max);
            rows.append({QStringLiteral("  ") + key, limit});
        }
        qsizetype width = 0;
        for (const QStringList &row : rows)
            width = std::max(width, row.at(0).size());
        for (const QStringList &row : rows)
            text += row.at(0).leftJustified(width + 2) + row.at(1) + QLatin1Char('\n');
        text += Ctl::tr("twilio_base_url must be https:// on a host under twilio.com and slack_webhook_url "
                        "https://hooks.slack.com/…, unless HCM_ALLOW_CUSTOM_PROVIDER_URL=1 is set.\n"
                        "tls_ca_file must be an absolute path to a readable file of PEM certificates (at "
                        "most %1 KiB).\n")
                    .arg(NotificationSettings::kMaxCaFileBytes / 1024);
        return text;
    }
    if (command.name() == QLatin1String("jobs enqueue"))
        return Ctl::tr(
                   "\nThe payload is at most %1 KiB; a larger file or standard input is refused unread.\n")
            .arg(JobService::kMaxPayloadBytes / 1024);
    return {};
}

// ---- formatting helpers shared by the commands ---------------------------------------------------------

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
    const QJsonDocument doc =
        value.isArray() ? QJsonDocument(value.toArray()) : QJsonDocument(value.toObject());
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
        while (text.endsWith(QLatin1Char(' ')))
            text.chop(1);
        out << text << '\n';
    };
    line(headers);
    for (const QStringList &row : rows)
        line(row);
}

namespace {

QCommandLineOption valueOption(const char *name, const char *description, const char *valueName)
{
    return QCommandLineOption(QString::fromLatin1(name), Ctl::tr(description), Ctl::tr(valueName));
}

// The filters of `jobs list` and of `jobs cancel|retry|delete --all`, in the order status, type, search,
// schedule; `help` words each for its command (QT_TRANSLATE_NOOP in "hcm::ctl").
QList<QCommandLineOption> jobFilterOptions(const std::array<const char *, 4> &help)
{
    return QList<QCommandLineOption>{
        valueOption("status", help[0], QT_TRANSLATE_NOOP("hcm::ctl", "STATUS")),
        valueOption("type", help[1], QT_TRANSLATE_NOOP("hcm::ctl", "TYPE")),
        valueOption("search", help[2], QT_TRANSLATE_NOOP("hcm::ctl", "TEXT")),
        valueOption("schedule", help[3], QT_TRANSLATE_NOOP("hcm::ctl", "ID|NAME")),
    };
}

// The options of `jobs cancel|retry|delete --all`: which jobs the filters select.
QList<QCommandLineOption> bulkOptions()
{
    QList<QCommandLineOption> options{QCommandLineOption(
        QStringLiteral("all"), Ctl::tr("Every job the filters select instead of ids, in batches."))};
    options += jobFilterOptions({
        QT_TRANSLATE_NOOP("hcm::ctl", "With --all: only these statuses (comma-separated)."),
        QT_TRANSLATE_NOOP("hcm::ctl", "With --all: only this job type."),
        QT_TRANSLATE_NOOP("hcm::ctl", "With --all: match the id, type or error text."),
        QT_TRANSLATE_NOOP("hcm::ctl", "With --all: only the jobs this schedule made (id or name)."),
    });
    options.append(
        QCommandLineOption(QStringLiteral("dry-run"), Ctl::tr("With --all: only count the matching jobs.")));
    return options;
}

// Rows per status plus the total, as JSON ({"queued": 3, …, "total": 9}) or as aligned lines.
void printCounts(Context &ctx, const std::array<qint64, kJobStatusCount> &counts, const QString &indent)
{
    qint64 total = 0;
    for (qint64 c : counts)
        total += c;
    QList<QStringList> rows;
    for (int i = 0; i < kJobStatusCount; ++i)
        rows.append(
            {indent + toString(static_cast<JobStatus>(i)), QString::number(counts[i]).rightJustified(8)});
    rows.append({indent + Ctl::tr("total"), QString::number(total).rightJustified(8)});
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
    // The maintained counts: one read at any table size.
    auto counts = JobStatsStore(ctx.config).countByStatus(JobFilter{});
    if (!counts)
        return ctx.fail(counts.error().message);
    if (ctx.json) {
        QJsonObject o = countsJson(counts.value());
        if (!pausedTypesOutput(ctx, &o))
            return ExitFailed;
        printJson(ctx.out, o);
    } else {
        printCounts(ctx, counts.value(), {});
        if (!pausedTypesOutput(ctx, nullptr))
            return ExitFailed;
    }
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
                << QStringLiteral("    ")
                << Ctl::tr("payload template: %1")
                       .arg(
                           QString::fromUtf8(QJsonDocument(t.payloadTemplate).toJson(QJsonDocument::Compact)))
                << '\n'
                << QStringLiteral("    ") << Ctl::tr("time limit: %1 s").arg(t.timeoutSeconds) << '\n';
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
        ctx.out << Ctl::tr("applied migration %1_%2").arg(m.version, 3, 10, QLatin1Char('0')).arg(m.name)
                << '\n';
    ctx.out << Ctl::tr("schema version %1 (up to date)").arg(after->currentVersion) << Qt::endl;
    return ExitOk;
}

// Registered workers by state, judged by the database's clock.
struct WorkerCounts {
    int running = 0;
    int lost = 0;
    int stopped = 0;
};

WorkerCounts countWorkers(const QList<WorkerInfo> &workers, qint64 nowMs)
{
    WorkerCounts c;
    for (const WorkerInfo &w : workers) {
        switch (workerState(w, nowMs)) {
        case WorkerState::Running:
            ++c.running;
            break;
        case WorkerState::Lost:
            ++c.lost;
            break;
        case WorkerState::Stopped:
            ++c.stopped;
            break;
        }
    }
    return c;
}

// Labels (with their colon, which some languages space) padded so that the values of a block line up,
// whatever the labels' lengths in a language.
void printFields(QTextStream &out, const QList<QPair<QString, QString>> &fields, const QString &indent = {})
{
    qsizetype width = 0;
    for (const auto &[label, value] : fields)
        width = std::max(width, label.size());
    for (const auto &[label, value] : fields)
        out << indent << label.leftJustified(width + 2) << value << '\n';
}

int dbInfo(Context &ctx)
{
    auto info = DatabaseInfo::read(ctx.config);
    if (!info)
        return ctx.fail(info.error().message);
    auto counts = JobStatsStore(ctx.config).countByStatus(JobFilter{});
    if (!counts)
        return ctx.fail(counts.error().message);
    auto workers = JobStore(ctx.config).workers();
    if (!workers)
        return ctx.fail(workers.error().message);
    const WorkerCounts w = countWorkers(workers.value(), info->nowMs);
    const bool pg = ctx.config.isPostgres();

    if (ctx.json) {
        QJsonObject o{{QStringLiteral("backend"), ctx.config.backendName()},
                      {QStringLiteral("location"), ctx.config.spec()},
                      {QStringLiteral("schema_version"), info->schemaVersion},
                      {QStringLiteral("latest_schema_version"), info->latestSchemaVersion}};
        if (pg) {
            o.insert(QStringLiteral("server_version"), info->serverVersion);
            o.insert(QStringLiteral("host"), info->host);
            o.insert(QStringLiteral("port"), info->port);
            o.insert(QStringLiteral("database"), info->database);
            o.insert(QStringLiteral("user"), info->user);
            o.insert(QStringLiteral("ssl"), info->ssl);
            o.insert(QStringLiteral("ssl_version"),
                     info->sslVersion.isEmpty() ? QJsonValue() : QJsonValue(info->sslVersion));
            o.insert(QStringLiteral("database_size_bytes"), info->databaseBytes);
        } else {
            o.insert(QStringLiteral("sqlite_version"), info->sqliteVersion);
            o.insert(QStringLiteral("journal_mode"), info->journalMode);
            o.insert(QStringLiteral("file_size_bytes"), info->fileBytes);
            o.insert(QStringLiteral("wal_size_bytes"), info->walBytes);
        }
        QJsonArray migrations;
        for (const auto &m : info->migrations)
            migrations.append(QJsonObject{{QStringLiteral("version"), m.version},
                                          {QStringLiteral("name"), m.name},
                                          {QStringLiteral("applied_at"), isoUtc(m.appliedAt)}});
        o.insert(QStringLiteral("migrations"), migrations);
        o.insert(QStringLiteral("jobs"), countsJson(counts.value()));
        o.insert(QStringLiteral("workers"),
                 QJsonObject{{QStringLiteral("running"), w.running},
                             {QStringLiteral("lost"), w.lost},
                             {QStringLiteral("stopped"), w.stopped},
                             {QStringLiteral("total"), w.running + w.lost + w.stopped}});
        QJsonArray errors;
        for (const WorkerInfo &worker : workers.value()) {
            if (!worker.lastError.isEmpty())
                errors.append(QJsonObject{{QStringLiteral("worker"), worker.id},
                                          {QStringLiteral("error"), worker.lastError},
                                          {QStringLiteral("since"), isoUtc(worker.lastErrorAt)}});
        }
        o.insert(QStringLiteral("worker_errors"), errors);
        printJson(ctx.out, o);
        return ExitOk;
    }

    const QLocale locale;
    QList<QPair<QString, QString>> fields{{Ctl::tr("backend:"), ctx.config.backendName()}};
    if (pg) {
        fields << qMakePair(Ctl::tr("server:"), Ctl::tr("PostgreSQL %1").arg(info->serverVersion))
               << qMakePair(Ctl::tr("host:"), info->host)
               << qMakePair(Ctl::tr("port:"), QString::number(info->port))
               << qMakePair(Ctl::tr("database:"), info->database) << qMakePair(Ctl::tr("user:"), info->user)
               << qMakePair(Ctl::tr("connection:"), info->ssl
                                                        ? Ctl::tr("encrypted (%1)").arg(info->sslVersion)
                                                        : Ctl::tr("not encrypted"))
               << qMakePair(Ctl::tr("database size:"), locale.formattedDataSize(info->databaseBytes));
    } else {
        QString size = locale.formattedDataSize(info->fileBytes);
        if (info->walBytes > 0)
            size += Ctl::tr(" (+ %1 write-ahead log)").arg(locale.formattedDataSize(info->walBytes));
        fields << qMakePair(Ctl::tr("location:"), info->path)
               << qMakePair(Ctl::tr("SQLite:"), info->sqliteVersion)
               << qMakePair(Ctl::tr("journal mode:"), info->journalMode)
               << qMakePair(Ctl::tr("file size:"), size);
    }
    fields << qMakePair(Ctl::tr("schema version:"),
                        Ctl::tr("%1 (latest %2)").arg(info->schemaVersion).arg(info->latestSchemaVersion));
    printFields(ctx.out, fields);
    ctx.out << Ctl::tr("migrations:") << '\n';
    QList<QStringList> rows;
    for (const auto &m : info->migrations)
        rows.append({QStringLiteral("  %1_%2").arg(m.version, 3, 10, QLatin1Char('0')).arg(m.name),
                     localTime(m.appliedAt)});
    if (rows.isEmpty())
        ctx.out << QStringLiteral("  ") << Ctl::tr("none") << '\n';
    qsizetype nameWidth = 0;
    for (const QStringList &row : rows)
        nameWidth = std::max(nameWidth, row.at(0).size());
    for (const QStringList &row : rows)
        ctx.out << row.at(0).leftJustified(nameWidth + 2) << Ctl::tr("applied %1").arg(row.at(1)) << '\n';
    ctx.out << Ctl::tr("jobs:") << '\n';
    printCounts(ctx, counts.value(), QStringLiteral("  "));
    ctx.out << Ctl::tr("workers:") << '\n';
    const QList<QPair<QString, int>> states{
        //: worker states in "hcmctl db info"
        {Ctl::tr("running"), w.running},
        //: worker state in "hcmctl db info": registered, no heartbeat for 90 s
        {Ctl::tr("lost"), w.lost},
        //: worker state in "hcmctl db info": ended and unregistered
        {Ctl::tr("stopped"), w.stopped}};
    for (const auto &[state, n] : states)
        ctx.out << QString(QStringLiteral("  ") + state).leftJustified(14)
                << QString::number(n).rightJustified(8) << '\n';
    // A worker's lasting error (claims the database refuses), as its latest heartbeat reported it.
    for (const WorkerInfo &worker : workers.value()) {
        if (!worker.lastError.isEmpty())
            ctx.out << Ctl::tr("worker %1 reports since %2: %3")
                           .arg(worker.id, localTime(worker.lastErrorAt), worker.lastError)
                    << '\n';
    }
    ctx.out.flush();
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
        {QStringLiteral("jobs"), QStringLiteral("enqueue"), QT_TRANSLATE_NOOP("hcm::ctl", "TYPE"),
         QT_TRANSLATE_NOOP("hcm::ctl", "The job type; \"hcmctl jobs types\" lists them."),
         QT_TRANSLATE_NOOP("hcm::ctl", "Creates a job and prints its id."), 1, 1, Command::Db::OpenAndMigrate,
         [] {
             return QList<QCommandLineOption>{
                 valueOption("priority",
                             QT_TRANSLATE_NOOP("hcm::ctl", "low, normal (default), high or critical."),
                             QT_TRANSLATE_NOOP("hcm::ctl", "PRIORITY")),
                 valueOption(
                     "payload",
                     QT_TRANSLATE_NOOP(
                         "hcm::ctl",
                         "The payload, a JSON object; @FILE reads it from a file, - from standard input."),
                     QT_TRANSLATE_NOOP("hcm::ctl", "JSON")),
                 valueOption("max-retries",
                             QT_TRANSLATE_NOOP("hcm::ctl", "Retries after a failure, 0 to 25 (default 3)."),
                             QT_TRANSLATE_NOOP("hcm::ctl", "N")),
                 valueOption("run-at",
                             QT_TRANSLATE_NOOP("hcm::ctl", "Start no earlier than this ISO 8601 time."),
                             QT_TRANSLATE_NOOP("hcm::ctl", "TIME")),
             };
         },
         jobsEnqueueCommand},
        {QStringLiteral("jobs"), QStringLiteral("list"), "", "",
         QT_TRANSLATE_NOOP("hcm::ctl", "Lists jobs, newest first, with filters."), 0, 0,
         Command::Db::OpenAndMigrate,
         [] {
             return jobFilterOptions({
                        QT_TRANSLATE_NOOP("hcm::ctl", "Only these statuses (comma-separated)."),
                        QT_TRANSLATE_NOOP("hcm::ctl", "Only this job type."),
                        QT_TRANSLATE_NOOP("hcm::ctl", "Match the id, type or error text."),
                        QT_TRANSLATE_NOOP("hcm::ctl", "Only the jobs this schedule made (id or name)."),
                    }) +
                    QList<QCommandLineOption>{
                        valueOption("limit", QT_TRANSLATE_NOOP("hcm::ctl", "At most N jobs (default 50)."),
                                    QT_TRANSLATE_NOOP("hcm::ctl", "N")),
                        valueOption("offset", QT_TRANSLATE_NOOP("hcm::ctl", "Skip the first N jobs."),
                                    QT_TRANSLATE_NOOP("hcm::ctl", "N")),
                        valueOption(
                            "sort",
                            QT_TRANSLATE_NOOP("hcm::ctl", "id (default), created, status, type or priority."),
                            QT_TRANSLATE_NOOP("hcm::ctl", "COLUMN")),
                        QCommandLineOption(QStringLiteral("asc"),
                                           Ctl::tr("Sort ascending instead of descending.")),
                    };
         },
         jobsListCommand},
        {QStringLiteral("jobs"), QStringLiteral("show"), QT_TRANSLATE_NOOP("hcm::ctl", "ID"),
         QT_TRANSLATE_NOOP("hcm::ctl", "The job id, as job_12 or 12."),
         QT_TRANSLATE_NOOP("hcm::ctl", "Shows one job with its payload, result and attempts."), 1, 1,
         Command::Db::OpenAndMigrate, noOptions, jobsShowCommand},
        {QStringLiteral("jobs"), QStringLiteral("cancel"), QT_TRANSLATE_NOOP("hcm::ctl", "ID..."),
         QT_TRANSLATE_NOOP("hcm::ctl", "One or more job ids, as job_12 or 12 (none with --all)."),
         QT_TRANSLATE_NOOP(
             "hcm::ctl",
             "Cancels queued jobs; asks running ones to stop. --all: every queued job the filters select."),
         0, -1, Command::Db::OpenAndMigrate, bulkOptions, jobsCancelCommand},
        {QStringLiteral("jobs"), QStringLiteral("retry"), QT_TRANSLATE_NOOP("hcm::ctl", "ID..."),
         QT_TRANSLATE_NOOP("hcm::ctl", "One or more job ids, as job_12 or 12."),
         QT_TRANSLATE_NOOP(
             "hcm::ctl",
             "Queues failed or cancelled jobs again, now. --all: every failed job the filters select."),
         0, -1, Command::Db::OpenAndMigrate, bulkOptions, jobsRetryCommand},
        {QStringLiteral("jobs"), QStringLiteral("delete"), QT_TRANSLATE_NOOP("hcm::ctl", "ID..."),
         QT_TRANSLATE_NOOP("hcm::ctl", "One or more job ids, as job_12 or 12."),
         QT_TRANSLATE_NOOP(
             "hcm::ctl",
             "Deletes finished jobs and their attempts. --all: every finished job the filters select."),
         0, -1, Command::Db::OpenAndMigrate,
         [] {
             return bulkOptions() << QList<QCommandLineOption>{
                        valueOption("older-than",
                                    QT_TRANSLATE_NOOP("hcm::ctl",
                                                      "With --all: only jobs finished more than N days ago."),
                                    QT_TRANSLATE_NOOP("hcm::ctl", "DAYS")),
                    };
         },
         jobsDeleteCommand},
        {QStringLiteral("jobs"), QStringLiteral("pause"), QT_TRANSLATE_NOOP("hcm::ctl", "[TYPE]"),
         QT_TRANSLATE_NOOP("hcm::ctl", "The job type to pause (or --all)."),
         QT_TRANSLATE_NOOP("hcm::ctl",
                           "Pauses a job type: its queued and new jobs wait, running ones finish."),
         0, 1, Command::Db::OpenAndMigrate,
         [] {
             return QList<QCommandLineOption>{
                 QCommandLineOption(QStringLiteral("all"), Ctl::tr("Pause every job type."))};
         },
         jobsPauseCommand},
        {QStringLiteral("jobs"), QStringLiteral("resume"), QT_TRANSLATE_NOOP("hcm::ctl", "[TYPE]"),
         QT_TRANSLATE_NOOP("hcm::ctl", "The job type to resume (or --all)."),
         QT_TRANSLATE_NOOP("hcm::ctl", "Resumes a paused job type: its queued jobs start at once."), 0, 1,
         Command::Db::OpenAndMigrate,
         [] {
             return QList<QCommandLineOption>{
                 QCommandLineOption(QStringLiteral("all"), Ctl::tr("Resume every paused job type."))};
         },
         jobsResumeCommand},
        {QStringLiteral("jobs"), QStringLiteral("import"), QT_TRANSLATE_NOOP("hcm::ctl", "FILE"),
         QT_TRANSLATE_NOOP("hcm::ctl", "JSON lines, one job each as \"hcmctl --json jobs show\" prints it; - "
                                       "for standard input."),
         QT_TRANSLATE_NOOP("hcm::ctl",
                           "Imports jobs (history from another system), keeping their ids; all or nothing."),
         1, 1, Command::Db::OpenAndMigrate, noOptions, jobsImportCommand},
        {QStringLiteral("jobs"), QStringLiteral("counts"), "", "",
         QT_TRANSLATE_NOOP("hcm::ctl", "Counts jobs per status and lists the paused job types."), 0, 0,
         Command::Db::OpenAndMigrate, noOptions, jobsCounts},
        {QStringLiteral("jobs"), QStringLiteral("types"), "", "",
         QT_TRANSLATE_NOOP("hcm::ctl", "Lists the job types with their payload templates."), 0, 0,
         Command::Db::None, noOptions, jobsTypes},
        {QStringLiteral("settings"), QStringLiteral("show"), "", "",
         QT_TRANSLATE_NOOP("hcm::ctl", "Shows the notification settings (secrets only as set or unset)."), 0,
         0, Command::Db::OpenAndMigrate, noOptions, settingsShowCommand},
        {QStringLiteral("settings"), QStringLiteral("set"), QT_TRANSLATE_NOOP("hcm::ctl", "KEY=VALUE..."),
         QT_TRANSLATE_NOOP("hcm::ctl", "Settings to change; \"hcmctl settings show\" lists the keys."),
         QT_TRANSLATE_NOOP("hcm::ctl",
                           "Changes notification settings; nothing is saved if any value is invalid."),
         0, -1, Command::Db::OpenAndMigrate,
         [] {
             return QList<QCommandLineOption>{valueOption(
                 "secret-stdin",
                 QT_TRANSLATE_NOOP(
                     "hcm::ctl",
                     "Also set this secret (smtp_password, twilio_auth_token, slack_webhook_url) from "
                     "standard input."),
                 QT_TRANSLATE_NOOP("hcm::ctl", "KEY"))};
         },
         settingsSetCommand},
        {QStringLiteral("settings"), QStringLiteral("clear-secret"), QT_TRANSLATE_NOOP("hcm::ctl", "KEY"),
         QT_TRANSLATE_NOOP("hcm::ctl", "smtp_password, twilio_auth_token or slack_webhook_url."),
         QT_TRANSLATE_NOOP("hcm::ctl", "Removes a stored secret."), 1, 1, Command::Db::OpenAndMigrate,
         noOptions, settingsClearSecretCommand},
        {QStringLiteral("settings"), QStringLiteral("rekey"), "", "",
         QT_TRANSLATE_NOOP("hcm::ctl",
                           "Re-encrypts the stored secrets from an old key file to the key in use, in one "
                           "transaction."),
         0, 0, Command::Db::OpenAndMigrate,
         [] {
             return QList<QCommandLineOption>{valueOption(
                 "old-key-file",
                 QT_TRANSLATE_NOOP(
                     "hcm::ctl", "The key file that encrypted the stored secrets (required). The key in use "
                                 "(HCM_SECRET_KEY, else HCM_SECRET_KEY_FILE, else this user's key file) "
                                 "becomes the new one."),
                 QT_TRANSLATE_NOOP("hcm::ctl", "PATH"))};
         },
         settingsRekeyCommand},
        {QStringLiteral("notify"), QStringLiteral("test"), QT_TRANSLATE_NOOP("hcm::ctl", "CHANNEL"),
         QT_TRANSLATE_NOOP("hcm::ctl", "email, sms or slack."),
         QT_TRANSLATE_NOOP("hcm::ctl", "Really sends a test message (at most 5 per minute)."), 1, 1,
         Command::Db::OpenAndMigrate,
         [] {
             return QList<QCommandLineOption>{valueOption(
                 "to",
                 QT_TRANSLATE_NOOP("hcm::ctl",
                                   "Send to this address or number instead of the configured recipients."),
                 QT_TRANSLATE_NOOP("hcm::ctl", "ADDRESS"))};
         },
         notifyTestCommand},
        {QStringLiteral("notify"), QStringLiteral("log"), "", "",
         QT_TRANSLATE_NOOP("hcm::ctl", "Lists notification deliveries, newest first, or those of one job."),
         0, 0, Command::Db::OpenAndMigrate,
         [] {
             return QList<QCommandLineOption>{
                 valueOption("job",
                             QT_TRANSLATE_NOOP("hcm::ctl", "Only the deliveries made by or about this job."),
                             QT_TRANSLATE_NOOP("hcm::ctl", "ID")),
                 valueOption("limit", QT_TRANSLATE_NOOP("hcm::ctl", "At most N deliveries (default 50)."),
                             QT_TRANSLATE_NOOP("hcm::ctl", "N"))};
         },
         notifyLogCommand},
        {QStringLiteral("db"), QStringLiteral("migrate"), "", "",
         QT_TRANSLATE_NOOP("hcm::ctl", "Applies pending schema migrations."), 0, 0, Command::Db::Open,
         noOptions, dbMigrate},
        {QStringLiteral("db"), QStringLiteral("info"), "", "",
         QT_TRANSLATE_NOOP("hcm::ctl",
                           "Shows the database (SQLite file or PostgreSQL server), its size, schema "
                           "version and migrations, job counts and workers."),
         0, 0, Command::Db::OpenAndMigrate, noOptions, dbInfo},
    };
    static const QList<Command> all = table + scheduleCommands() + userCommands() + tokenCommands();
    return all;
}

} // namespace hcm::ctl
