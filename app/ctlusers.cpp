// hcmctl users … and hcmctl audit …: the people of a database and the audit trail (models/auth).
#include "ctlcommands.h"

#include "auth/auditstore.h"
#include "auth/permissions.h"
#include "auth/userstore.h"
#include "jobs/jobservice.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

namespace hcm::ctl {

namespace {

QCommandLineOption option(const char *name, const char *description, const char *valueName)
{
    return QCommandLineOption(QString::fromLatin1(name), Ctl::tr(description), Ctl::tr(valueName));
}

QJsonObject userJson(const User &u)
{
    return QJsonObject{{QStringLiteral("name"), u.name},
                       {QStringLiteral("display_name"), u.displayName},
                       {QStringLiteral("role"), roleToString(u.role)},
                       {QStringLiteral("disabled"), u.disabled},
                       {QStringLiteral("created_at"), isoUtc(u.createdAt)},
                       {QStringLiteral("created_by"), u.createdBy},
                       {QStringLiteral("updated_at"), isoUtc(u.updatedAt)},
                       {QStringLiteral("updated_by"), u.updatedBy}};
}

int printUser(Context &ctx, const User &u, const QString &what)
{
    if (ctx.json)
        printJson(ctx.out, userJson(u));
    else
        ctx.out << what << Qt::endl;
    return ExitOk;
}

bool parseRole(Context &ctx, const QString &text, Role *role)
{
    if (roleFromString(text, role))
        return true;
    ctx.usage(Ctl::tr("Unknown role \"%1\": use viewer, operator or systemadmin.").arg(text));
    return false;
}

int usersList(Context &ctx)
{
    if (auto st = authorizeAndAudit(ctx.config, ctx.actor, Permission::ManageUsers, QStringLiteral("user"));
        !st)
        return ctx.fail(st.error().message);
    auto users = UserService(ctx.config).list();
    if (!users)
        return ctx.fail(users.error().message);
    if (ctx.json) {
        QJsonArray a;
        for (const User &u : users.value())
            a.append(userJson(u));
        printJson(ctx.out, a);
        return ExitOk;
    }
    QList<QStringList> rows;
    for (const User &u : users.value())
        rows.append({u.name, u.displayName.isEmpty() ? QStringLiteral("-") : u.displayName,
                     roleToString(u.role), u.disabled ? Ctl::tr("disabled") : Ctl::tr("enabled"),
                     localTime(u.updatedAt), u.updatedBy});
    printTable(ctx.out,
               {Ctl::tr("NAME"), Ctl::tr("DISPLAY NAME"), Ctl::tr("ROLE"), Ctl::tr("STATE"),
                Ctl::tr("CHANGED"), Ctl::tr("BY")},
               rows);
    return ExitOk;
}

int usersAdd(Context &ctx)
{
    Role role = Role::Viewer;
    if (!parseRole(ctx, ctx.parser.value(QStringLiteral("role")), &role))
        return ExitUsage;
    auto u = UserService(ctx.config)
                 .add(ctx.args.at(0), role, ctx.parser.value(QStringLiteral("display-name")), ctx.actor);
    if (!u)
        return ctx.fail(u.error().message);
    return printUser(ctx, u.value(), Ctl::tr("Added %1 as %2.").arg(u->name, roleDisplayName(u->role)));
}

int usersSetRole(Context &ctx)
{
    Role role = Role::Viewer;
    if (!parseRole(ctx, ctx.args.at(1), &role))
        return ExitUsage;
    auto u = UserService(ctx.config).setRole(ctx.args.at(0), role, ctx.actor);
    if (!u)
        return ctx.fail(u.error().message);
    return printUser(ctx, u.value(), Ctl::tr("%1 is now %2.").arg(u->name, roleDisplayName(u->role)));
}

int usersSetDisabled(Context &ctx, bool disabled)
{
    auto u = UserService(ctx.config).setDisabled(ctx.args.at(0), disabled, ctx.actor);
    if (!u)
        return ctx.fail(u.error().message);
    return printUser(ctx, u.value(),
                     disabled ? Ctl::tr("%1 is disabled.").arg(u->name)
                              : Ctl::tr("%1 is enabled.").arg(u->name));
}

QString diffText(const QJsonObject &diff)
{
    QStringList parts;
    for (auto it = diff.begin(); it != diff.end(); ++it) {
        const QJsonValue v = it.value();
        const auto text = [](const QJsonValue &x) {
            if (x.isString())
                return x.toString();
            if (x.isNull() || x.isUndefined())
                return QStringLiteral("-");
            if (x.isBool())
                return x.toBool() ? QStringLiteral("true") : QStringLiteral("false");
            if (x.isDouble())
                return QString::number(x.toDouble(), 'g', 15);
            return QString::fromUtf8(
                QJsonDocument(x.isArray() ? QJsonDocument(x.toArray()) : QJsonDocument(x.toObject()))
                    .toJson(QJsonDocument::Compact));
        };
        if (v.isObject() && v.toObject().contains(QLatin1String("old")))
            parts.append(QStringLiteral("%1: %2 → %3")
                             .arg(it.key(), text(v.toObject().value(QLatin1String("old"))),
                                  text(v.toObject().value(QLatin1String("new")))));
        else
            parts.append(it.key() + QStringLiteral(": ") + text(v));
    }
    return parts.join(QLatin1String("; "));
}

int auditList(Context &ctx)
{
    if (auto st = authorizeAndAudit(ctx.config, ctx.actor, Permission::ReadAudit, QStringLiteral("audit"));
        !st)
        return ctx.fail(st.error().message);
    AuditFilter f;
    f.actor = ctx.parser.value(QStringLiteral("actor")).trimmed();
    f.action = ctx.parser.value(QStringLiteral("action")).trimmed();
    f.text = ctx.parser.value(QStringLiteral("search"));
    const QString target = ctx.parser.value(QStringLiteral("target")).trimmed();
    if (!target.isEmpty()) {
        // "job:12", "job_12", "user:bob", or a type alone ("settings")
        if (target.startsWith(QLatin1String("job_"))) {
            f.targetType = QStringLiteral("job");
            f.targetId = target.mid(4);
        } else {
            f.targetType = target.section(QLatin1Char(':'), 0, 0);
            f.targetId = target.section(QLatin1Char(':'), 1);
        }
    }
    for (const auto &[name, bound] :
         {qMakePair(QStringLiteral("since"), &f.since), qMakePair(QStringLiteral("until"), &f.until)}) {
        if (!ctx.parser.isSet(name))
            continue;
        auto t = JobService::parseTime(ctx.parser.value(name));
        if (!t)
            return ctx.usage(QStringLiteral("--%1: ").arg(name) + t.error().message);
        *bound = t.value();
    }
    int limit = 50;
    if (!ctx.intOption(QStringLiteral("limit"), 1, limit))
        return ExitUsage;
    f.limit = qMin(limit, 10000);
    if (ctx.parser.isSet(QStringLiteral("csv"))) {
        bool header = true;
        int left = limit;
        const Status st = AuditStore(ctx.config)
                              .forEach(
                                  f,
                                  [&](const QList<AuditEntry> &page) {
                                      const QList<AuditEntry> part = page.mid(0, left);
                                      ctx.out << QString::fromUtf8(AuditStore::toCsv(part, header));
                                      header = false;
                                      left -= int(part.size());
                                      return left > 0;
                                  },
                                  qMin(limit, 1000));
        if (!st)
            return ctx.fail(st.error().message);
        ctx.out.flush();
        return ExitOk;
    }
    auto rows = AuditStore(ctx.config).list(f);
    if (!rows)
        return ctx.fail(rows.error().message);
    if (ctx.json) {
        QJsonArray a;
        for (const AuditEntry &e : rows.value())
            a.append(AuditStore::toJson(e));
        printJson(ctx.out, a);
        return ExitOk;
    }
    QList<QStringList> table;
    for (const AuditEntry &e : rows.value())
        table.append({QString::number(e.id), localTime(e.at), e.actor, roleToString(e.actorRole),
                      interfaceToString(e.via), e.action, toString(e.outcome),
                      oneLine(e.targetType + (e.targetIds.isEmpty()
                                                  ? QString()
                                                  : QLatin1Char(' ') + e.targetIds.join(QLatin1Char(','))),
                              40),
                      oneLine(diffText(e.diff), 80)});
    printTable(ctx.out,
               {Ctl::tr("ID"), Ctl::tr("AT"), Ctl::tr("ACTOR"), Ctl::tr("ROLE"), Ctl::tr("VIA"),
                Ctl::tr("ACTION"), Ctl::tr("OUTCOME"), Ctl::tr("TARGET"), Ctl::tr("CHANGES")},
               table);
    return ExitOk;
}

} // namespace

QList<Command> userCommands()
{
    const auto db = Command::Db::OpenAndMigrate;
    const auto none = [] { return QList<QCommandLineOption>{}; };
    const QString users = QStringLiteral("users");
    const char *name = QT_TRANSLATE_NOOP("hcm::ctl", "NAME");
    const char *nameHelp = QT_TRANSLATE_NOOP(
        "hcm::ctl", "The user: the OS user name (SQLite) or the database login (PostgreSQL).");
    return {
        {users, QStringLiteral("list"), "", "",
         QT_TRANSLATE_NOOP("hcm::ctl", "Lists the users with their role (system administrators only)."), 0, 0,
         db, none, usersList},
        {users, QStringLiteral("add"), name, nameHelp,
         QT_TRANSLATE_NOOP("hcm::ctl", "Adds a user with a role (viewer, operator or systemadmin)."), 1, 1,
         db,
         [] {
             QCommandLineOption role = option(
                 "role", QT_TRANSLATE_NOOP("hcm::ctl", "viewer, operator or systemadmin (default viewer)."),
                 QT_TRANSLATE_NOOP("hcm::ctl", "ROLE"));
             role.setDefaultValue(QStringLiteral("viewer"));
             return QList<QCommandLineOption>{
                 role, option("display-name",
                              QT_TRANSLATE_NOOP("hcm::ctl",
                                                "The name shown in the status bar and the audit trail."),
                              QT_TRANSLATE_NOOP("hcm::ctl", "TEXT"))};
         },
         usersAdd},
        {users, QStringLiteral("set-role"), QT_TRANSLATE_NOOP("hcm::ctl", "NAME ROLE"),
         QT_TRANSLATE_NOOP("hcm::ctl", "The user and the new role (viewer, operator or systemadmin)."),
         QT_TRANSLATE_NOOP("hcm::ctl", "Changes a user's role; the last system administrator keeps theirs."),
         2, 2, db, none, usersSetRole},
        {users, QStringLiteral("disable"), name, nameHelp,
         QT_TRANSLATE_NOOP(
             "hcm::ctl", "Disables a user (kept for the audit trail); never the last system administrator."),
         1, 1, db, none, [](Context &ctx) { return usersSetDisabled(ctx, true); }},
        {users, QStringLiteral("enable"), name, nameHelp,
         QT_TRANSLATE_NOOP("hcm::ctl", "Enables a disabled user again."), 1, 1, db, none,
         [](Context &ctx) { return usersSetDisabled(ctx, false); }},
        {QStringLiteral("audit"), QStringLiteral("list"), "", "",
         QT_TRANSLATE_NOOP("hcm::ctl", "Lists the audit trail, newest first (system administrators only)."),
         0, 0, db,
         [] {
             return QList<QCommandLineOption>{
                 option("actor", QT_TRANSLATE_NOOP("hcm::ctl", "Only what this user did."),
                        QT_TRANSLATE_NOOP("hcm::ctl", "NAME")),
                 option("action",
                        QT_TRANSLATE_NOOP("hcm::ctl", "Only this action (jobs.cancel) or family (jobs.)."),
                        QT_TRANSLATE_NOOP("hcm::ctl", "ACTION")),
                 option("target",
                        QT_TRANSLATE_NOOP("hcm::ctl",
                                          "Only rows about this object: job_12, user:bob, settings."),
                        QT_TRANSLATE_NOOP("hcm::ctl", "TARGET")),
                 option("since", QT_TRANSLATE_NOOP("hcm::ctl", "From this time on (ISO 8601)."),
                        QT_TRANSLATE_NOOP("hcm::ctl", "TIME")),
                 option("until", QT_TRANSLATE_NOOP("hcm::ctl", "Before this time (ISO 8601)."),
                        QT_TRANSLATE_NOOP("hcm::ctl", "TIME")),
                 option("search",
                        QT_TRANSLATE_NOOP("hcm::ctl",
                                          "Rows whose actor, action, targets or changes contain TEXT."),
                        QT_TRANSLATE_NOOP("hcm::ctl", "TEXT")),
                 option("limit", QT_TRANSLATE_NOOP("hcm::ctl", "At most N rows (default 50)."),
                        QT_TRANSLATE_NOOP("hcm::ctl", "N")),
                 QCommandLineOption(QStringLiteral("csv"),
                                    Ctl::tr("Print CSV (RFC 4180) instead of a table."))};
         },
         auditList},
    };
}

} // namespace hcm::ctl
