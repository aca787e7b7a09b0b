// hcmctl's commands on API tokens: create (prints the token once), list (never the token), revoke.

#include "ctlcommands.h"

#include "api/tokenstore.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>

namespace hcm::ctl {

namespace {

QCommandLineOption option(const char *name, const char *description, const char *valueName)
{
    return QCommandLineOption(QString::fromLatin1(name), Ctl::tr(description), Ctl::tr(valueName));
}

QJsonValue isoOrNull(qint64 ms)
{
    return ms > 0 ? QJsonValue(QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs))
                  : QJsonValue(QJsonValue::Null);
}

QJsonObject toJson(const ApiToken &t)
{
    return QJsonObject{
        {QStringLiteral("id"), t.id},
        {QStringLiteral("prefix"), t.prefix},
        {QStringLiteral("name"), t.name},
        {QStringLiteral("user"), t.userName},
        {QStringLiteral("created_at"), isoOrNull(t.createdAt)},
        {QStringLiteral("created_by"), t.createdBy},
        {QStringLiteral("expires_at"), isoOrNull(t.expiresAt)},
        {QStringLiteral("revoked_at"), isoOrNull(t.revokedAt)},
        {QStringLiteral("last_used_at"), isoOrNull(t.lastUsedAt)},
        {QStringLiteral("last_used_address"),
         t.lastUsedAddress.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(t.lastUsedAddress)},
        {QStringLiteral("rate_limit"), t.rateLimit > 0 ? QJsonValue(t.rateLimit) : QJsonValue()}};
}

int createCommand(Context &ctx)
{
    const QString user = ctx.parser.value(QStringLiteral("user")).trimmed();
    const QString name = ctx.parser.value(QStringLiteral("name"));
    if (user.isEmpty())
        return ctx.usage(Ctl::tr("--user is required: the user the token acts as."));
    if (name.trimmed().isEmpty())
        return ctx.usage(Ctl::tr("--name is required: what the token is for, e.g. \"HR backend\"."));
    qint64 expiresAt = 0;
    if (ctx.parser.isSet(QStringLiteral("expires"))) {
        const auto ms = ApiTokenStore::parseDuration(ctx.parser.value(QStringLiteral("expires")));
        if (!ms)
            return ctx.usage(
                Ctl::tr("--expires takes a duration such as 90d, 12h, 30m or 2w; \"%1\" was given.")
                    .arg(ctx.parser.value(QStringLiteral("expires"))));
        expiresAt = QDateTime::currentMSecsSinceEpoch() + *ms;
    }
    int rateLimit = 0;
    if (!ctx.intOption(QStringLiteral("rate-limit"), 1, rateLimit))
        return ExitUsage;
    ApiTokenStore store(ctx.config);
    auto created = store.create(user, name, expiresAt, ctx.actor, rateLimit);
    if (!created)
        return ctx.fail(created.error().message);
    if (ctx.json) {
        QJsonObject o = toJson(created->info);
        o.insert(QStringLiteral("token"), created->token);
        printJson(ctx.out, o);
    } else {
        ctx.out << created->token << Qt::endl;
        ctx.err << Ctl::tr(
                       "Token %1 for %2 created. It is shown only now: store it where the client reads it.")
                       .arg(created->info.id)
                       .arg(created->info.userName)
                << Qt::endl;
    }
    return ExitOk;
}

int listCommand(Context &ctx)
{
    ApiTokenStore store(ctx.config);
    auto tokens = store.list(ctx.actor);
    if (!tokens)
        return ctx.fail(tokens.error().message);
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (ctx.json) {
        QJsonArray list;
        for (const ApiToken &t : tokens.value())
            list.append(toJson(t));
        printJson(ctx.out, list);
        return ExitOk;
    }
    QList<QStringList> rows;
    for (const ApiToken &t : tokens.value()) {
        QString state = Ctl::tr("active");
        if (t.revokedAt > 0)
            state = Ctl::tr("revoked");
        else if (!t.isActive(now))
            state = Ctl::tr("expired");
        rows.append({QString::number(t.id), t.prefix + QStringLiteral("…"), oneLine(t.name, 40), t.userName,
                     state, localTime(t.expiresAt),
                     t.lastUsedAt > 0 ? localTime(t.lastUsedAt) + QLatin1Char(' ') + t.lastUsedAddress
                                      : QStringLiteral("-")});
    }
    printTable(ctx.out,
               {Ctl::tr("ID"), Ctl::tr("TOKEN"), Ctl::tr("NAME"), Ctl::tr("USER"), Ctl::tr("STATE"),
                Ctl::tr("EXPIRES"), Ctl::tr("LAST USED")},
               rows);
    return ExitOk;
}

int revokeCommand(Context &ctx)
{
    bool ok = false;
    const qint64 id = ctx.args.value(0).toLongLong(&ok);
    if (!ok || id <= 0)
        return ctx.usage(
            Ctl::tr("\"%1\" is not a token id; \"hcmctl tokens list\" shows them.").arg(ctx.args.value(0)));
    ApiTokenStore store(ctx.config);
    if (auto st = store.revoke(id, ctx.actor); !st)
        return ctx.fail(st.error().message);
    if (!ctx.json)
        ctx.out << Ctl::tr("Token %1 revoked.").arg(id) << Qt::endl;
    else
        printJson(ctx.out, QJsonObject{{QStringLiteral("id"), id}, {QStringLiteral("revoked"), true}});
    return ExitOk;
}

} // namespace

QList<Command> tokenCommands()
{
    const auto db = Command::Db::OpenAndMigrate;
    const QString group = QStringLiteral("tokens");
    return {
        {group, QStringLiteral("create"), "", "",
         QT_TRANSLATE_NOOP("hcm::ctl", "Creates an API token for a user and prints it (once)."), 0, 0, db,
         [] {
             return QList<QCommandLineOption>{
                 option("user",
                        QT_TRANSLATE_NOOP("hcm::ctl", "The user the token acts as (its role applies)."),
                        QT_TRANSLATE_NOOP("hcm::ctl", "NAME")),
                 option("name", QT_TRANSLATE_NOOP("hcm::ctl", "What the token is for, e.g. \"HR backend\"."),
                        QT_TRANSLATE_NOOP("hcm::ctl", "TEXT")),
                 option("expires",
                        QT_TRANSLATE_NOOP("hcm::ctl", "Expires after 90d, 12h, 30m, 2w (default: never)."),
                        QT_TRANSLATE_NOOP("hcm::ctl", "DURATION")),
                 option("rate-limit",
                        QT_TRANSLATE_NOOP("hcm::ctl",
                                          "Requests per minute per endpoint for this token, instead of "
                                          "the server's limits."),
                        QT_TRANSLATE_NOOP("hcm::ctl", "N"))};
         },
         createCommand},
        {group, QStringLiteral("list"), "", "",
         QT_TRANSLATE_NOOP("hcm::ctl", "Lists the API tokens (never the tokens themselves)."), 0, 0, db,
         [] { return QList<QCommandLineOption>{}; }, listCommand},
        {group, QStringLiteral("revoke"), QT_TRANSLATE_NOOP("hcm::ctl", "ID"),
         QT_TRANSLATE_NOOP("hcm::ctl", "The token's id (hcmctl tokens list)."),
         QT_TRANSLATE_NOOP("hcm::ctl", "Revokes an API token at once, in every API server."), 1, 1, db,
         [] { return QList<QCommandLineOption>{}; }, revokeCommand},
    };
}

} // namespace hcm::ctl
