// hcmctl: the command-line client for scripts. `hcmctl [--db PATH] [--json] <group> <verb> [arguments]`.
// Results go to stdout, every error to stderr; exit codes: 0 ok, 1 the operation failed, 2 usage error.

#include "appcommon.h"
#include "ctlcommands.h"

#include "auth/identity.h"

#include "common/redaction.h"
#include "db/database.h"

#include <QCoreApplication>
#include <QIODevice>
#include <QLoggingCategory>
#include <QSet>

#include <cstdio>

namespace hcm::ctl {

namespace {

QCommandLineOption jsonOption()
{
    return QCommandLineOption(QStringLiteral("json"), Ctl::tr("Print results as JSON."));
}

QString synopsisOf(const Command &c)
{
    QString s = c.name();
    if (*c.arguments)
        s += QLatin1Char(' ') + Ctl::tr(c.arguments);
    if (!c.options().isEmpty())
        s += QLatin1Char(' ') + Ctl::tr("[options]");
    return s;
}

QString generalHelp()
{
    QString text = Ctl::tr("Usage: hcmctl [--db PATH] [--json] <command> [arguments]\n\n"
                           "HCM Admin command-line client: background jobs and the database.\n\n"
                           "Commands:\n");
    qsizetype width = 0;
    for (const Command &c : commands())
        width = std::max(width, synopsisOf(c).size());
    for (const Command &c : commands())
        text += QStringLiteral("  ") + synopsisOf(c).leftJustified(width + 2) + Ctl::tr(c.summary) +
                QLatin1Char('\n');
    text += Ctl::tr("\nGlobal options:\n"
                    "  --db PATH   the database: a SQLite file path (default: %1), or\n"
                    "              postgresql://user:password@host:port/dbname; parts left out come from\n"
                    "              PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE (postgresql:///dbname)\n"
                    "  --json      print results as JSON\n"
                    "  --help      show help (also after a command: hcmctl jobs list --help)\n"
                    "  --version   show the version\n\n"
                    "Exit codes: 0 success, 1 the operation failed, 2 usage error.\n")
                .arg(DbConfig::defaultSqlitePath());
    return text;
}

// The words that are not options or option values: the command and its positional arguments. Knowing
// every option that takes a value keeps `--payload '{…}'` and `--limit 5` out of the command words.
QStringList commandWords(const QStringList &arguments)
{
    QSet<QString> valued{QStringLiteral("db")};
    for (const Command &c : commands()) {
        for (const QCommandLineOption &o : c.options()) {
            if (!o.valueName().isEmpty())
                for (const QString &n : o.names())
                    valued.insert(n);
        }
    }
    QStringList words;
    for (qsizetype i = 1; i < arguments.size(); ++i) {
        const QString &a = arguments.at(i);
        if (a == QLatin1String("--")) {
            words += arguments.mid(i + 1);
            break;
        }
        if (a.startsWith(QLatin1Char('-')) && a.size() > 1) {
            const QString name = a.mid(a.startsWith(QLatin1String("--")) ? 2 : 1);
            if (!name.contains(QLatin1Char('=')) && valued.contains(name))
                ++i;
            continue;
        }
        words.append(a);
    }
    return words;
}

const Command *findCommand(const QString &group, const QString &verb)
{
    for (const Command &c : commands())
        if (c.group == group && c.verb == verb)
            return &c;
    return nullptr;
}

int usageError(QTextStream &err, const QString &message, const QString &usageLine)
{
    err << QStringLiteral("hcmctl: ") << message << '\n'
        << usageLine << '\n'
        << Ctl::tr("Run \"hcmctl --help\" for the list of commands.") << Qt::endl;
    return ExitUsage;
}

int runCommand(const Command &command, const QStringList &arguments, QTextStream &out, QTextStream &err)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(Ctl::tr(command.summary));
    const QCommandLineOption db = app::databaseOption();
    const QCommandLineOption json = jsonOption();
    parser.addOption(db);
    parser.addOption(json);
    const QCommandLineOption help = parser.addHelpOption();
    const QCommandLineOption version = parser.addVersionOption();
    parser.addOptions(command.options());
    if (*command.arguments)
        parser.addPositionalArgument(Ctl::tr(command.arguments), Ctl::tr(command.argumentsHelp));

    Context ctx{parser, {}, {}, false, out, err, synopsisOf(command)};
    if (!parser.parse(arguments))
        return ctx.usage(parser.errorText());
    if (parser.isSet(help) || parser.isSet(QStringLiteral("help-all"))) {
        // Qt's first line names the program by its full path and misses the command words.
        const QString text = parser.helpText();
        out << Ctl::tr("Usage: hcmctl [--db PATH] [--json] %1").arg(synopsisOf(command))
            << text.mid(text.indexOf(QLatin1Char('\n'))) << commandDetails(command) << Qt::flush;
        return ExitOk;
    }
    if (parser.isSet(version)) {
        out << QStringLiteral("hcmctl " HCM_VERSION) << Qt::endl;
        return ExitOk;
    }

    ctx.args = parser.positionalArguments().mid(2); // after "<group> <verb>"
    ctx.json = parser.isSet(json);
    if (ctx.args.size() < command.minArgs)
        return ctx.usage(Ctl::tr("%1 is missing: %2").arg(command.name(), Ctl::tr(command.arguments)));
    if (command.maxArgs >= 0 && ctx.args.size() > command.maxArgs)
        return ctx.usage(Ctl::tr("Unexpected argument \"%1\".").arg(ctx.args.at(command.maxArgs)));

    if (command.database != Command::Db::None) {
        auto config = DbConfig::parse(parser.value(db));
        if (!config)
            return ctx.fail(config.error().message);
        ctx.config = config.value();
        // Only "db migrate" makes a new SQLite database: for every other command a missing file is a
        // mistyped --db, not a wish for an empty database.
        ctx.config.createIfMissing =
            command.group == QLatin1String("db") && command.verb == QLatin1String("migrate");
        if (command.database == Command::Db::OpenAndMigrate) {
            if (auto st = Database::openAndMigrate(ctx.config); !st)
                return ctx.fail(st.error().message);
            // Who is asking decides what may be done (models/auth): a login or OS user this database
            // does not know is refused here, with the command that an administrator runs.
            if (command.group != QLatin1String("db")) {
                auto identity = resolveIdentity(ctx.config);
                if (!identity)
                    return ctx.fail(identity.error().message);
                ctx.actor = identity->actor(Interface::Cli);
            }
        }
    }
    return command.run(ctx);
}

} // namespace

int run(const QStringList &arguments, QTextStream &out, QTextStream &err)
{
    const QStringList words = commandWords(arguments);
    if (words.isEmpty()) {
        if (arguments.contains(QLatin1String("--version")) || arguments.contains(QLatin1String("-v"))) {
            out << QStringLiteral("hcmctl " HCM_VERSION) << Qt::endl;
            return ExitOk;
        }
        if (arguments.contains(QLatin1String("--help")) || arguments.contains(QLatin1String("-h"))) {
            out << generalHelp() << Qt::flush;
            return ExitOk;
        }
        err << generalHelp() << Qt::flush;
        return ExitUsage;
    }

    const QString group = words.at(0);
    QStringList verbs;
    for (const Command &c : commands())
        if (c.group == group)
            verbs.append(c.verb);
    if (verbs.isEmpty())
        return usageError(err, Ctl::tr("Unknown command \"%1\".").arg(group),
                          Ctl::tr("Usage: hcmctl [--db PATH] [--json] <command> [arguments]"));
    const QString groupUsage = Ctl::tr("Usage: hcmctl %1 %2 …").arg(group, verbs.join(QLatin1Char('|')));
    if (words.size() < 2)
        return usageError(err,
                          Ctl::tr("\"%1\" needs a command: %2.").arg(group, verbs.join(QLatin1String(", "))),
                          groupUsage);
    const Command *command = findCommand(group, words.at(1));
    if (!command)
        return usageError(err, Ctl::tr("Unknown command \"%1 %2\".").arg(group, words.at(1)), groupUsage);

    const int code = runCommand(*command, arguments, out, err);
    Database::closeThreadConnections();
    out.flush();
    err.flush();
    return code;
}

} // namespace hcm::ctl

namespace {

// stderr through Redaction: a message that quotes a driver's text or a --db value never shows a
// password. QTextStream hands it whole lines (every message ends with a newline and a flush).
class RedactingStderr final : public QIODevice {
public:
    RedactingStderr() { open(QIODevice::WriteOnly | QIODevice::Unbuffered); }

protected:
    qint64 readData(char *, qint64) override { return -1; }
    qint64 writeData(const char *data, qint64 size) override
    {
        const QByteArray bytes = hcm::Redaction::apply(QString::fromUtf8(data, size)).toUtf8();
        std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stderr);
        std::fflush(stderr);
        return size;
    }
};

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    hcm::app::setupApplication(QStringLiteral("hcmctl"));
    hcm::app::installTranslations(app);
    // Library progress messages (migrations applied, jobs cancelled) are for the daemon's log, not for a
    // script's stderr. QT_LOGGING_RULES still turns them back on.
    QLoggingCategory::setFilterRules(QStringLiteral("hcm.*.info=false\nhcm.*.debug=false"));

    // Every message and library log line loses the passwords Redaction knows on its way to stderr.
    hcm::Redaction::installMessageHandler();
    RedactingStderr errDevice;
    QTextStream out(stdout);
    QTextStream err(&errDevice);
    return hcm::ctl::run(QCoreApplication::arguments(), out, err);
}
