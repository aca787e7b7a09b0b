// hcmctl's commands on the notification settings and deliveries: settings show|set|clear-secret|rekey,
// notify test|log. Secrets are never printed and never read from the command line (only from stdin).

#include "ctlcommands.h"

#include "jobs/job.h"
#include "settings/deliverystore.h"
#include "settings/notificationsettingsstore.h"
#include "settings/secretbox.h"
#include "worker/notify/notificationservice.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>

namespace hcm::ctl {

namespace {

int failSave(Context &ctx, const SettingsSaveResult &r)
{
    if (!r.fieldErrors.isEmpty()) {
        for (auto it = r.fieldErrors.cbegin(); it != r.fieldErrors.cend(); ++it)
            ctx.err << QStringLiteral("hcmctl: ") << it.key() << QStringLiteral(": ") << it.value() << '\n';
        ctx.err << Ctl::tr("Nothing was saved.") << Qt::endl;
        return ExitFailed;
    }
    return ctx.fail(r.error.message);
}

// Reads the secret `key` from standard input: the whole input, without its final line break. Reads no
// more than the secret's limit (and a line break): a longer input is refused unread.
bool readSecret(Context &ctx, const QString &key, QString &secret)
{
    QFile in;
    if (!in.open(stdin, QIODevice::ReadOnly)) {
        ctx.fail(Ctl::tr("Cannot read standard input."));
        return false;
    }
    const int limit = NotificationSettings::maxLength(key);
    LimitedInput input = readLimited(in, limit + 2);
    QByteArray &data = input.data;
    if (!input.error.isEmpty()) {
        data.fill('\0');
        ctx.fail(Ctl::tr("Cannot read standard input: %1").arg(input.error));
        return false;
    }
    if (data.endsWith('\n'))
        data.chop(1);
    if (data.endsWith('\r'))
        data.chop(1);
    if (input.tooLong || data.size() > limit) {
        data.fill('\0');
        ctx.fail(Ctl::tr("The %1 on standard input is longer than the limit of %2 bytes; nothing was saved.")
                     .arg(NotificationSettings::fieldLabel(key))
                     .arg(limit));
        return false;
    }
    secret = QString::fromUtf8(data);
    data.fill('\0');
    if (secret.isEmpty()) {
        ctx.fail(Ctl::tr(
            "Standard input is empty: pipe the secret in (hcmctl settings clear-secret KEY removes one)."));
        return false;
    }
    return true;
}

} // namespace

int settingsShowCommand(Context &ctx)
{
    auto s = NotificationSettingsStore(ctx.config).load();
    if (!s)
        return ctx.fail(s.error().message);
    if (ctx.json) {
        printJson(ctx.out, s->toJson());
        return ExitOk;
    }
    QList<QStringList> rows;
    for (const QString &key : NotificationSettings::fieldKeys()) {
        const QString v = s->text(key);
        rows.append({key, v.isEmpty() ? QStringLiteral("-") : v});
    }
    rows.append({QStringLiteral("version"), QString::number(s->version)});
    rows.append({QStringLiteral("updated_by"), s->updatedBy.isEmpty() ? QStringLiteral("-") : s->updatedBy});
    rows.append({QStringLiteral("updated_at"), localTime(s->updatedAt)});
    printTable(ctx.out, {Ctl::tr("KEY"), Ctl::tr("VALUE")}, rows);
    ctx.out.flush();
    return ExitOk;
}

int settingsSetCommand(Context &ctx)
{
    const QString secretKey = ctx.parser.value(QStringLiteral("secret-stdin")).trimmed();
    if (ctx.args.isEmpty() && secretKey.isEmpty())
        return ctx.usage(Ctl::tr("Give KEY=VALUE pairs, or --secret-stdin KEY."));
    if (!secretKey.isEmpty() && !NotificationSettings::isSecretKey(secretKey))
        return ctx.usage(Ctl::tr("\"%1\" is not a secret; secrets are %2.")
                             .arg(secretKey, NotificationSettings::secretKeys().join(QLatin1String(", "))));
    auto loaded = NotificationSettingsStore(ctx.config).load();
    if (!loaded)
        return ctx.fail(loaded.error().message);
    NotificationSettings s = loaded.value();
    QStringList errors;
    QStringList unreadable;
    for (const QString &pair : std::as_const(ctx.args)) {
        const qsizetype eq = pair.indexOf(QLatin1Char('='));
        if (eq <= 0)
            return ctx.usage(Ctl::tr("\"%1\" is not KEY=VALUE.").arg(pair));
        const QString key = pair.left(eq).trimmed();
        if (NotificationSettings::isSecretKey(key))
            return ctx.usage(
                Ctl::tr("%1 is a secret: pass it on standard input with --secret-stdin %1, never on the "
                        "command line.")
                    .arg(key));
        if (!NotificationSettings::isKnownKey(key))
            return ctx.usage(
                Ctl::tr("Unknown setting \"%1\"; \"hcmctl settings show\" lists them.").arg(key));
        if (const QString e = s.setText(key, pair.mid(eq + 1)); !e.isEmpty()) {
            errors.append(key + QStringLiteral(": ") + e);
            unreadable.append(key);
        }
    }
    if (!errors.isEmpty()) {
        // Every field error at once: what could not be read, then the rules for the other fields.
        const QMap<QString, QString> invalid = s.validate();
        for (auto it = invalid.cbegin(); it != invalid.cend(); ++it)
            if (!unreadable.contains(it.key()))
                errors.append(it.key() + QStringLiteral(": ") + it.value());
        for (const QString &e : std::as_const(errors))
            ctx.err << QStringLiteral("hcmctl: ") << e << '\n';
        ctx.err << Ctl::tr("Nothing was saved.") << Qt::endl;
        return ExitFailed;
    }
    if (!secretKey.isEmpty()) {
        QString secret;
        if (!readSecret(ctx, secretKey, secret))
            return ExitFailed;
        s.secret(secretKey)->replace(secret);
    }
    const SettingsSaveResult r = NotificationSettingsStore(ctx.config).save(s, s.version, ctx.actor);
    if (!r)
        return failSave(ctx, r);
    if (ctx.json)
        printJson(ctx.out, QJsonObject{{QStringLiteral("version"), r.version}});
    else
        ctx.out << Ctl::tr("saved (version %1)").arg(r.version) << Qt::endl;
    return ExitOk;
}

int settingsClearSecretCommand(Context &ctx)
{
    const QString key = ctx.args.value(0);
    if (!NotificationSettings::isSecretKey(key))
        return ctx.usage(Ctl::tr("\"%1\" is not a secret; secrets are %2.")
                             .arg(key, NotificationSettings::secretKeys().join(QLatin1String(", "))));
    auto loaded = NotificationSettingsStore(ctx.config).load();
    if (!loaded)
        return ctx.fail(loaded.error().message);
    NotificationSettings s = loaded.value();
    s.secret(key)->clear();
    const SettingsSaveResult r = NotificationSettingsStore(ctx.config).save(s, s.version, ctx.actor);
    if (!r)
        return failSave(ctx, r);
    if (ctx.json)
        printJson(ctx.out, QJsonObject{{QStringLiteral("version"), r.version}});
    else
        ctx.out << Ctl::tr("%1 cleared (version %2)").arg(key).arg(r.version) << Qt::endl;
    return ExitOk;
}

int settingsRekeyCommand(Context &ctx)
{
    const QString oldPath = ctx.parser.value(QStringLiteral("old-key-file"));
    if (oldPath.isEmpty())
        return ctx.usage(
            Ctl::tr("Give the key file that encrypted the stored secrets: --old-key-file PATH."));
    auto oldKey = SecretBox::fromKeyFile(QFileInfo(oldPath).absoluteFilePath(), false);
    if (!oldKey)
        return ctx.fail(oldKey.error().message);
    // The key of this process (HCM_SECRET_KEY, else its key file, created when missing) is the new one.
    auto newKey = SecretBox::open(true);
    if (!newKey)
        return ctx.fail(newKey.error().message);
    auto r = NotificationSettingsStore(ctx.config).rekey(oldKey.value(), newKey.value(), ctx.actor);
    if (!r)
        return ctx.fail(r.error().message);
    if (ctx.json) {
        printJson(ctx.out, QJsonObject{{QStringLiteral("reencrypted"), r->reencrypted},
                                       {QStringLiteral("already_current"), r->alreadyCurrent},
                                       {QStringLiteral("version"), r->version},
                                       {QStringLiteral("key"), newKey->source()},
                                       {QStringLiteral("key_id"), newKey->keyId()}});
        return ExitOk;
    }
    if (r->reencrypted == 0 && r->alreadyCurrent == 0)
        ctx.out << Ctl::tr("No secret is stored: nothing to re-encrypt.") << Qt::endl;
    else if (r->reencrypted == 0)
        ctx.out << Ctl::tr("The stored secrets are already encrypted with the %1 (key id %2): nothing to do.")
                       .arg(newKey->source(), newKey->keyId())
                << Qt::endl;
    else
        ctx.out << Ctl::tr("%n secret(s) re-encrypted for the %1 (key id %2), version %3.", nullptr,
                           r->reencrypted)
                       .arg(newKey->source(), newKey->keyId())
                       .arg(r->version)
                << Qt::endl;
    return ExitOk;
}

int notifyTestCommand(Context &ctx)
{
    const auto channel = notifyChannelFromString(ctx.args.value(0));
    if (!channel)
        return ctx.usage(Ctl::tr("Unknown channel \"%1\": use email, sms or slack.").arg(ctx.args.value(0)));
    NotificationService service(ctx.config);
    auto records = service.sendTest(*channel, ctx.parser.value(QStringLiteral("to")), ctx.actor);
    if (!records)
        return ctx.fail(records.error().message);
    bool all = true;
    QJsonArray array;
    for (const DeliveryRecord &r : records.value()) {
        all = all && r.delivered;
        array.append(r.toJson());
        if (ctx.json)
            continue;
        if (r.delivered)
            ctx.out << Ctl::tr("delivered to %1 in %2 ms: %3")
                           .arg(r.recipient)
                           .arg(r.latencyMs)
                           .arg(r.providerResponse)
                    << '\n';
        else
            ctx.err
                << QStringLiteral("hcmctl: ")
                << Ctl::tr("not delivered to %1 (%2 ms): %3").arg(r.recipient).arg(r.latencyMs).arg(r.error)
                << '\n';
    }
    if (ctx.json)
        printJson(ctx.out, array);
    ctx.out.flush();
    ctx.err.flush();
    return all ? ExitOk : ExitFailed;
}

int notifyLogCommand(Context &ctx)
{
    DeliveryStore store(ctx.config);
    Result<QList<DeliveryRecord>> records = QList<DeliveryRecord>{};
    if (ctx.parser.isSet(QStringLiteral("job"))) {
        const auto id = Job::parseId(ctx.parser.value(QStringLiteral("job")));
        if (!id)
            return ctx.usage(Ctl::tr("\"%1\" is not a job id; write job_12 or 12.")
                                 .arg(ctx.parser.value(QStringLiteral("job"))));
        records = store.forJob(*id);
    } else {
        int limit = 50;
        if (!ctx.intOption(QStringLiteral("limit"), 1, limit))
            return ExitUsage;
        records = store.recent(limit);
    }
    if (!records)
        return ctx.fail(records.error().message);
    if (ctx.json) {
        QJsonArray array;
        for (const DeliveryRecord &r : records.value())
            array.append(r.toJson());
        printJson(ctx.out, array);
        return ExitOk;
    }
    QList<QStringList> rows;
    for (const DeliveryRecord &r : records.value()) {
        rows.append({localTime(r.createdAt), r.channel, r.recipient, r.event,
                     r.delivered ? QStringLiteral("delivered") : QStringLiteral("failed"),
                     QStringLiteral("%1 ms").arg(r.latencyMs),
                     oneLine(r.delivered ? r.providerResponse : r.error, 80)});
    }
    if (!rows.isEmpty())
        printTable(ctx.out,
                   {Ctl::tr("TIME"), Ctl::tr("CHANNEL"), Ctl::tr("RECIPIENT"), Ctl::tr("EVENT"),
                    Ctl::tr("OUTCOME"), Ctl::tr("LATENCY"), Ctl::tr("DETAIL")},
                   rows);
    ctx.out << Ctl::tr("%n deliveries", nullptr, int(rows.size())) << Qt::endl;
    return ExitOk;
}

} // namespace hcm::ctl
