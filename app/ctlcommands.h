#pragma once

#include "auth/actor.h"
#include "db/dbconfig.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QIODevice>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>
#include <QTextStream>

#include <functional>

namespace hcm::ctl {

// Translation context: every user-visible string of hcmctl uses "hcm::ctl" (QT_TRANSLATE_NOOP and explicit
// translate() calls use it too). Call Ctl::tr(), which lupdate files under that context.
struct Ctl {
    Q_DECLARE_TR_FUNCTIONS(hcm::ctl)
};

// Process exit codes, part of hcmctl's contract with scripts.
enum ExitCode : int {
    ExitOk = 0,     // the operation succeeded
    ExitFailed = 1, // the operation failed (bad input, unknown job, database error)
    ExitUsage = 2,  // the command line itself is wrong
};

// Everything a command needs while it runs: the parsed command line, where the data lives and the two
// output streams (stdout for results, stderr for every error).
struct Context {
    QCommandLineParser &parser;
    QStringList args; // positional arguments after the command words
    DbConfig config;
    bool json = false;
    QTextStream &out;
    QTextStream &err;

    // An option's value as an integer; a wrong value is reported as a usage error (returns false).
    bool intOption(const QString &name, int min, int &value);
    // Prints "hcmctl: <message>" on stderr and returns ExitFailed.
    int fail(const QString &message);
    // Prints the message and this command's usage line on stderr and returns ExitUsage.
    int usage(const QString &message);

    QString synopsis; // "jobs list [options]", for usage errors
    // Who runs the command: the resolved identity (models/auth/identity.h) over the CLI. Set before
    // every command that opens and migrates the database, except the "db" commands.
    Actor actor{};
};

// One entry of the dispatch table: `hcmctl <group> <verb> …`.
struct Command {
    QString group;                  // "jobs", "db"
    QString verb;                   // "list", "info"
    const char *arguments = "";     // untranslated synopsis of the positional arguments ("ID…")
    const char *argumentsHelp = ""; // untranslated description of the positional arguments
    const char *summary = "";       // untranslated one-line description for --help
    int minArgs = 0;
    int maxArgs = 0; // -1: any number
    enum class Db { None, Open, OpenAndMigrate };
    Db database = Db::OpenAndMigrate;                   // what run() may expect before the command starts
    std::function<QList<QCommandLineOption>()> options; // command-specific options
    std::function<int(Context &)> run;

    QString name() const { return group + QLatin1Char(' ') + verb; }
};

// The commands on single jobs (ctljobs.cpp).
int jobsEnqueueCommand(Context &ctx);
int jobsListCommand(Context &ctx);
int jobsShowCommand(Context &ctx);
int jobsCancelCommand(Context &ctx);
int jobsRetryCommand(Context &ctx);
int jobsDeleteCommand(Context &ctx);
int jobsPauseCommand(Context &ctx);
int jobsResumeCommand(Context &ctx);
// The paused job types: added to `json` as "paused_types", or printed one per line when json is null.
bool pausedTypesOutput(Context &ctx, QJsonObject *json);
int jobsImportCommand(Context &ctx);

// The commands on notification settings and deliveries (ctlsettings.cpp).
int settingsShowCommand(Context &ctx);
int settingsSetCommand(Context &ctx);
int settingsClearSecretCommand(Context &ctx);
int notifyTestCommand(Context &ctx);
int notifyLogCommand(Context &ctx);

int settingsRekeyCommand(Context &ctx);

// What readLimited() read.
struct LimitedInput {
    QByteArray data;
    bool tooLong = false; // the input holds more than the limit: `data` is only its start, refuse it
    QString error;        // why reading failed; empty when it did not
};
// Reads `device` to its end, but never more than `limit` + 1 bytes: input beyond the limit (a pipe from
// /dev/zero, a huge file) is refused without being read, so it cannot exhaust memory. Every file and
// standard input that hcmctl reads goes through here.
LimitedInput readLimited(QIODevice &device, qint64 limit);

// More help for one command, printed after its options by "hcmctl GROUP VERB --help" (empty: none).
QString commandDetails(const Command &command);

// Output helpers shared by the commands (ctlcommands.cpp).
QString localTime(qint64 ms);                       // "2026-01-07 10:15:32" local time, "-" for unset
QString oneLine(const QString &text, int maxChars); // whitespace collapsed, cut with "…"
void printJson(QTextStream &out, const QJsonValue &value);
// Rows under headers, in columns as wide as their widest cell.
void printTable(QTextStream &out, const QStringList &headers, const QList<QStringList> &rows);

// The commands on recurring schedules (ctlschedules.cpp).
QList<Command> scheduleCommands();
// The commands on API tokens (ctltokens.cpp).
QList<Command> tokenCommands();

// The commands on users and the audit trail (ctlusers.cpp).
QList<Command> userCommands();

// Every command hcmctl knows, in the order --help lists them.
const QList<Command> &commands();

// The whole program: parses `arguments` (argv, program name first), runs the command and returns the
// exit code. Needs a QCoreApplication.
int run(const QStringList &arguments, QTextStream &out, QTextStream &err);

} // namespace hcm::ctl
