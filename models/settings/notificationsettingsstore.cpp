#include "notificationsettingsstore.h"

#include "auth/auditstore.h"
#include "common/logcategories.h"
#include "db/database.h"
#include "settings/digeststore.h"
#include "settings/secretbox.h"

#include <QCryptographicHash>
#include <QDir>
#include <QJsonObject>
#include <QSqlQuery>
#include <QSqlRecord>

#include <optional>

namespace hcm {

namespace {

// Every column of the row: the table's fields, then the version and audit columns.
const QStringList &columns()
{
    static const QStringList all = [] {
        QStringList out{QStringLiteral("version")};
        for (const SettingsField &f : NotificationSettings::fields())
            out.append(f.column());
        out << QStringLiteral("updated_by") << QStringLiteral("updated_at");
        return out;
    }();
    return all;
}

QString secretFingerprint(const QString &ciphertext)
{
    if (ciphertext.isEmpty())
        return QStringLiteral("unset");
    return QString::fromLatin1(
        QCryptographicHash::hash(ciphertext.toLatin1(), QCryptographicHash::Sha256).toHex().left(16));
}

struct StoredRow {
    NotificationSettings settings;
    QHash<QString, QString> ciphertext; // secret key -> stored ciphertext ("" when unset)
};

Result<StoredRow> readRow(QSqlDatabase &db)
{
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("SELECT %1 FROM notification_settings WHERE id = 1")
                    .arg(columns().join(QLatin1String(", ")))))
        return Database::error(q.lastError(),
                               NotificationSettingsStore::tr("reading the notification settings"));
    if (!q.next())
        return Error{Error::Code::NotFound,
                     NotificationSettingsStore::tr("The notification settings row is missing; "
                                                   "run \"hcmctl db migrate\".")};
    StoredRow row;
    NotificationSettings &s = row.settings;
    const QSqlRecord rec = q.record();
    auto v = [&](const QString &column) { return q.value(rec.indexOf(column)); };
    s.version = v(QStringLiteral("version")).toInt();
    for (const SettingsField &f : NotificationSettings::fields()) {
        if (f.isSecret()) {
            const QString text = v(f.column()).toString();
            row.ciphertext.insert(f.name(), text);
            f.secret(s).isSet = !text.isEmpty();
        } else {
            f.fromSql(s, v(f.column()));
        }
    }
    s.updatedBy = v(QStringLiteral("updated_by")).toString();
    s.updatedAt = v(QStringLiteral("updated_at")).toLongLong();
    s.loadedFingerprints = s.fingerprints();
    for (const QString &key : NotificationSettings::secretKeys())
        s.loadedFingerprints.insert(key, secretFingerprint(row.ciphertext.value(key)));
    return row;
}

QString secretName(const QString &key)
{
    return NotificationSettings::fieldLabel(key);
}

// Whether `box` opens every secret stored in `row` that `settings` does not clear: a secret written with
// another key would leave the secrets under two keys, and the programs holding either key could no
// longer send on every channel.
Status keyOpensStored(const SecretBox &box, const StoredRow &row, const NotificationSettings &settings)
{
    for (const QString &key : NotificationSettings::secretKeys()) {
        const QString stored = row.ciphertext.value(key);
        if (stored.isEmpty() || settings.secret(key)->change == SecretField::Change::Clear)
            continue;
        if (!box.decrypt(stored, secretName(key))) {
            return Error{
                Error::Code::Invalid,
                NotificationSettingsStore::tr(
                    "Nothing was saved: the key in use (%1) does not open the stored %2. A secret "
                    "encrypted with it would leave the notification secrets under two keys, and the "
                    "programs that hold the other key could no longer send. Run this with the key that "
                    "encrypted them (HCM_SECRET_KEY_FILE=PATH or HCM_SECRET_KEY), or re-encrypt the stored "
                    "secrets for the key in use with \"hcmctl settings rekey --old-key-file PATH\"; if "
                    "that key is lost, clear the stored secrets first (Clear in the form, or \"hcmctl "
                    "settings clear-secret KEY\") and set them again.")
                    .arg(box.source(), secretName(key))};
        }
    }
    return {};
}

} // namespace

NotificationSettingsStore::NotificationSettingsStore(DbConfig config, std::shared_ptr<Clock> clock)
    : m_config(std::move(config))
    , m_clock(std::move(clock))
{}

Result<SecretBox> NotificationSettingsStore::openKeyForWriting(const NotificationSettings &settings)
{
    auto box = SecretBox::open(false);
    if (box || box.error().code != Error::Code::NotFound)
        return box;
    // No key file yet. A new one is created only when no secret is stored that would stay: those were
    // encrypted with a key this program does not have.
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlDatabase db = conn.value();
    auto row = readRow(db);
    if (!row)
        return row.error();
    for (const QString &key : NotificationSettings::secretKeys()) {
        if (!row->ciphertext.value(key).isEmpty() &&
            settings.secret(key)->change != SecretField::Change::Clear) {
            return Error{
                Error::Code::Invalid,
                tr("Nothing was saved: the secret key file %1 does not exist, but the stored %2 was "
                   "encrypted with a key. Run this with that key (HCM_SECRET_KEY_FILE=PATH or "
                   "HCM_SECRET_KEY), or re-encrypt the stored secrets with \"hcmctl settings rekey "
                   "--old-key-file PATH\"; if that key is lost, clear the stored secrets first "
                   "(Clear in the form, or \"hcmctl settings clear-secret KEY\") and set them again.")
                    .arg(QDir::toNativeSeparators(SecretBox::keyFilePath()), secretName(key))};
        }
    }
    return SecretBox::open(true);
}

Result<NotificationSettings> NotificationSettingsStore::load()
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlDatabase db = conn.value();
    auto row = readRow(db);
    if (!row)
        return row.error();
    return row->settings;
}

Result<NotificationSettings> NotificationSettingsStore::loadForDelivery()
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlDatabase db = conn.value();
    auto row = readRow(db);
    if (!row)
        return row.error();
    NotificationSettings s = row->settings;
    bool anySet = false;
    for (const QString &key : NotificationSettings::secretKeys())
        anySet = anySet || s.secret(key)->isSet;
    if (!anySet)
        return s;
    auto box = SecretBox::open(false);
    if (!box)
        return box.error();
    for (const QString &key : NotificationSettings::secretKeys()) {
        SecretField *field = s.secret(key);
        if (!field->isSet)
            continue;
        auto plain = box->decrypt(row->ciphertext.value(key), secretName(key));
        if (!plain)
            return plain.error();
        field->plaintext = plain.value();
    }
    return s;
}

SettingsSaveResult NotificationSettingsStore::save(const NotificationSettings &settings, int expectedVersion,
                                                   const Actor &actor)
{
    SettingsSaveResult result;
    if (auto st = authorizeAndAudit(m_config, actor, Permission::WriteSettings, QStringLiteral("settings"),
                                    {QStringLiteral("notifications")});
        !st) {
        result.error = st.error();
        return result;
    }
    result.fieldErrors = settings.validate();
    if (!result.fieldErrors.isEmpty()) {
        QStringList parts;
        for (auto it = result.fieldErrors.cbegin(); it != result.fieldErrors.cend(); ++it)
            parts.append(NotificationSettings::fieldLabel(it.key()) + QStringLiteral(": ") + it.value());
        result.error =
            Error{Error::Code::Invalid,
                  tr("The notification settings were not saved: %1").arg(parts.join(QLatin1String("; ")))};
        return result;
    }

    // Encrypt replacements before the transaction: creating the key file is file I/O.
    QHash<QString, QString> newCiphertext;
    std::optional<SecretBox> box;
    bool needKey = false;
    for (const QString &key : NotificationSettings::secretKeys())
        needKey = needKey || settings.secret(key)->change == SecretField::Change::Replace;
    if (needKey) {
        auto opened = openKeyForWriting(settings);
        if (!opened) {
            result.error = opened.error();
            return result;
        }
        box = opened.value();
        for (const QString &key : NotificationSettings::secretKeys()) {
            const SecretField *f = settings.secret(key);
            if (f->change == SecretField::Change::Replace)
                newCiphertext.insert(key, box->encrypt(f->replacement));
        }
    }

    auto conn = Database::connection(m_config);
    if (!conn) {
        result.error = conn.error();
        return result;
    }
    QSqlDatabase db = conn.value();
    Transaction tx(db);
    if (auto st = tx.begin(); !st) {
        result.error = st.error();
        return result;
    }
    auto row = readRow(db);
    if (!row) {
        result.error = row.error();
        return result;
    }
    if (box) {
        if (auto st = keyOpensStored(*box, row.value(), settings); !st) {
            // The caller gets the error; this is for the log of the GUI and the workers.
            qCInfo(lcNotify).noquote() << "notification settings not saved by" << actor.name
                                       << "because the key in use does not open the stored secrets";
            result.error = st.error();
            return result;
        }
    }
    const NotificationSettings &stored = row->settings;
    if (stored.version != expectedVersion) {
        // Which fields another admin changed: compare what the caller loaded with what is stored now.
        QHash<QString, QString> theirs = stored.loadedFingerprints;
        QHash<QString, QString> base = settings.loadedFingerprints;
        if (base.isEmpty()) {
            base = settings.fingerprints();
            for (const QString &key : NotificationSettings::secretKeys())
                base.insert(key, theirs.value(key));
        }
        for (const QString &key : NotificationSettings::fieldKeys())
            if (base.value(key) != theirs.value(key))
                result.conflictFields.append(key);
        QStringList labels;
        for (const QString &key : std::as_const(result.conflictFields))
            labels.append(NotificationSettings::fieldLabel(key));
        result.error = Error{
            Error::Code::Conflict,
            tr("%1 saved the notification settings (version %2) after you loaded version %3; nothing was "
               "saved. "
               "Changed since: %4. Reload and apply your changes again.")
                .arg(stored.updatedBy.isEmpty() ? tr("Someone else") : stored.updatedBy)
                .arg(stored.version)
                .arg(expectedVersion)
                .arg(labels.isEmpty() ? tr("no field (saved unchanged)") : labels.join(QLatin1String(", ")))};
        return result;
    }

    QStringList assignments;
    QVariantList values;
    auto set = [&](const QString &column, const QVariant &value) {
        assignments.append(column + QStringLiteral(" = ?"));
        // A null QString binds as SQL NULL; the text columns are NOT NULL, empty means "not set".
        const bool nullText = value.typeId() == QMetaType::QString && value.toString().isNull();
        values.append(nullText ? QVariant(QStringLiteral("")) : value);
    };
    const NotificationSettings &s = settings;
    set(QStringLiteral("version"), stored.version + 1);
    for (const SettingsField &f : NotificationSettings::fields()) {
        if (!f.isSecret())
            set(f.column(), f.toSql(s));
        else if (f.secret(s).change == SecretField::Change::Replace)
            set(f.column(), newCiphertext.value(f.name()));
        else if (f.secret(s).change == SecretField::Change::Clear)
            assignments.append(f.column() + QStringLiteral(" = NULL"));
    }
    set(QStringLiteral("updated_by"), actor.name);
    set(QStringLiteral("updated_at"), m_clock->nowMs());
    QSqlQuery q(db);
    if (auto st =
            Sql::prepare(q, QStringLiteral("UPDATE notification_settings SET %1 WHERE id = 1 AND version = ?")
                                .arg(assignments.join(QLatin1String(", "))));
        !st) {
        result.error = st.error();
        return result;
    }
    for (const QVariant &value : std::as_const(values))
        q.addBindValue(value);
    // Fenced by the version too: on PostgreSQL (READ COMMITTED) another save may commit between our
    // read and this write; it then matches no row and this save reports a conflict.
    q.addBindValue(stored.version);
    if (auto st = Sql::exec(q, tr("saving the notification settings")); !st) {
        result.error = st.error();
        return result;
    }
    if (q.numRowsAffected() != 1) {
        result.error = Error{Error::Code::Conflict,
                             tr("Someone else saved the notification settings at the same "
                                "moment; nothing was saved. Reload and apply your changes again.")};
        return result;
    }

    // Which fields changed. The audit row has them field by field, old → new, except the secrets:
    // "changed" only, never a value. The log has the names only.
    QStringList changed;
    QJsonObject diff;
    const QHash<QString, QString> before = stored.fingerprints();
    const QHash<QString, QString> after = s.fingerprints();
    for (const QString &key : NotificationSettings::fieldKeys()) {
        if (NotificationSettings::isSecretKey(key)) {
            if (s.secret(key)->change == SecretField::Change::Keep)
                continue;
            changed.append(key);
            diff.insert(key, QStringLiteral("changed"));
        } else if (before.value(key) != after.value(key)) {
            changed.append(key);
            diff.insert(key, QJsonObject{{QStringLiteral("old"), stored.text(key)},
                                         {QStringLiteral("new"), s.text(key)}});
        }
    }
    diff.insert(QStringLiteral("version"), QJsonObject{{QStringLiteral("old"), stored.version},
                                                       {QStringLiteral("new"), stored.version + 1}});
    if (auto st = AuditStore::append(db, AuditEntry::of(actor, QStringLiteral("settings.write"),
                                                        QStringLiteral("settings"),
                                                        {QStringLiteral("notifications")}, diff));
        !st) {
        result.error = st.error();
        return result;
    }
    if (auto st = tx.commit(); !st) {
        result.error = st.error();
        return result;
    }

    qCInfo(lcNotify).noquote() << "notification settings saved by" << actor.name << "as version"
                               << stored.version + 1 << "changed:"
                               << (changed.isEmpty() ? QStringLiteral("nothing")
                                                     : changed.join(QLatin1String(", ")));
    result.ok = true;
    result.version = stored.version + 1;

    // Leaving digest mode strands nothing: the alerts still waiting go out now (at the end of quiet
    // hours when it is quiet), in one digest that takes over every scheduled one.
    if (stored.digestFrequency != DigestFrequency::Immediate &&
        s.digestFrequency == DigestFrequency::Immediate) {
        const qint64 now = m_clock->nowMs();
        const qint64 quiet = s.quietUntil(now);
        auto flushed = DigestStore(m_config, m_clock).flush(quiet > 0 ? quiet : now, actor);
        if (!flushed)
            qCWarning(lcNotify).noquote()
                << "the alerts waiting for a digest stay with their digest:" << flushed.error().message;
    }
    return result;
}

Result<SettingsRekeyResult> NotificationSettingsStore::rekey(const SecretBox &oldKey, const SecretBox &newKey,
                                                             const Actor &actor)
{
    if (oldKey.keyId() == newKey.keyId())
        return Error{Error::Code::Invalid,
                     tr("The old key (%1) and the key in use (%2) are the same key (key id %3): there is "
                        "nothing to re-encrypt.")
                         .arg(oldKey.source(), newKey.source(), newKey.keyId())};
    if (auto st = authorizeAndAudit(m_config, actor, Permission::WriteSettings, QStringLiteral("settings"),
                                    {QStringLiteral("notifications")});
        !st)
        return st.error();
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlDatabase db = conn.value();
    Transaction tx(db);
    if (auto st = tx.begin(); !st)
        return st.error();
    auto row = readRow(db);
    if (!row)
        return row.error();
    SettingsRekeyResult out;
    out.version = row->settings.version;
    QHash<QString, QString> fresh;
    for (const QString &key : NotificationSettings::secretKeys()) {
        const QString stored = row->ciphertext.value(key);
        if (stored.isEmpty())
            continue;
        if (auto plain = oldKey.decrypt(stored, secretName(key))) {
            fresh.insert(key, newKey.encrypt(plain.value()));
            ++out.reencrypted;
        } else if (newKey.decrypt(stored, secretName(key))) {
            ++out.alreadyCurrent;
        } else {
            return Error{Error::Code::Invalid,
                         tr("Nothing was re-encrypted: the stored %1 opens neither with the old key (%2) nor "
                            "with the key in use (%3). Give the key that encrypted it.")
                             .arg(secretName(key), oldKey.source(), newKey.source())};
        }
    }
    if (fresh.isEmpty()) {
        tx.rollback();
        return out;
    }
    QStringList assignments{QStringLiteral("version = ?"), QStringLiteral("updated_by = ?"),
                            QStringLiteral("updated_at = ?")};
    QVariantList values{out.version + 1, actor.name, m_clock->nowMs()};
    for (auto it = fresh.cbegin(); it != fresh.cend(); ++it) {
        assignments.append(it.key() + QStringLiteral("_enc = ?"));
        values.append(it.value());
    }
    QSqlQuery q(db);
    if (auto st =
            Sql::prepare(q, QStringLiteral("UPDATE notification_settings SET %1 WHERE id = 1 AND version = ?")
                                .arg(assignments.join(QLatin1String(", "))));
        !st)
        return st.error();
    for (const QVariant &value : std::as_const(values))
        q.addBindValue(value);
    q.addBindValue(out.version);
    if (auto st = Sql::exec(q, tr("re-encrypting the notification secrets")); !st)
        return st.error();
    if (q.numRowsAffected() != 1)
        return Error{Error::Code::Conflict, tr("Someone else saved the notification settings at the same "
                                               "moment; nothing was re-encrypted. Run it again.")};
    QJsonObject diff{{QStringLiteral("key_id"), QJsonObject{{QStringLiteral("old"), oldKey.keyId()},
                                                            {QStringLiteral("new"), newKey.keyId()}}}};
    for (auto it = fresh.cbegin(); it != fresh.cend(); ++it)
        diff.insert(it.key(), QStringLiteral("changed"));
    if (auto st = AuditStore::append(db, AuditEntry::of(actor, QStringLiteral("settings.rekey"),
                                                        QStringLiteral("settings"),
                                                        {QStringLiteral("notifications")}, diff));
        !st)
        return st.error();
    if (auto st = tx.commit(); !st)
        return st.error();
    out.version += 1;
    qCInfo(lcNotify).noquote() << "notification secrets re-encrypted by" << actor.name << "from key id"
                               << oldKey.keyId() << "to key id" << newKey.keyId() << "(" << out.reencrypted
                               << "secrets, version" << out.version << ")";
    return out;
}

} // namespace hcm
