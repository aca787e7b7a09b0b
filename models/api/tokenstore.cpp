#include "api/tokenstore.h"

#include "auth/auditstore.h"
#include "auth/permissions.h"
#include "auth/userstore.h"
#include "common/logcategories.h"
#include "db/database.h"
#include "db/dialect.h"
#include "db/sqlitestatement.h"
#include "db/writegroup.h"

#include <QRegularExpression>
#include <QSqlQuery>

#include <sodium.h>

namespace hcm {

namespace {

constexpr char kBase62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const QString kTokenPrefix = QStringLiteral("hcm_");

ApiToken tokenFromQuery(const QSqlQuery &q)
{
    // In the order of kTokenColumns.
    ApiToken t;
    Sql::readRow(q, t, &ApiToken::id, &ApiToken::prefix, &ApiToken::name, &ApiToken::userName,
                 &ApiToken::createdAt, &ApiToken::createdBy, &ApiToken::expiresAt, &ApiToken::revokedAt,
                 &ApiToken::revokedBy, &ApiToken::lastUsedAt, &ApiToken::lastUsedAddress,
                 &ApiToken::rateLimit);
    return t;
}

const QString kTokenColumns =
    QStringLiteral("id, prefix, name, user_name, created_at, created_by, expires_at, revoked_at, revoked_by, "
                   "last_used_at, last_used_address, rate_limit");

} // namespace

Result<UserRecord> lookupApiUser(const DbConfig &config, const QString &name)
{
    auto found = UserService(config).find(name);
    if (!found)
        return found.error();
    if (!found->has_value())
        return Error{Error::Code::NotFound, ApiTokenStore::tr("There is no user \"%1\".").arg(name)};
    const User &user = found->value();
    return UserRecord{user.name, user.role, user.disabled};
}

ApiTokenStore::ApiTokenStore(DbConfig config, std::shared_ptr<Clock> clock)
    : m_config(std::move(config))
    , m_clock(std::move(clock))
{}

QString ApiTokenStore::generateToken()
{
    if (sodium_init() < 0)
        qFatal("libsodium could not be initialised");
    QString token = kTokenPrefix;
    token.reserve(kTokenPrefix.size() + kTokenRandomChars);
    // Rejection sampling: bytes 248..255 would make the first 248 % 62 characters likelier.
    while (token.size() < kTokenPrefix.size() + kTokenRandomChars) {
        unsigned char bytes[64];
        randombytes_buf(bytes, sizeof bytes);
        for (unsigned char b : bytes) {
            if (b >= 248)
                continue;
            token.append(QLatin1Char(kBase62[b % 62]));
            if (token.size() == kTokenPrefix.size() + kTokenRandomChars)
                break;
        }
        sodium_memzero(bytes, sizeof bytes);
    }
    return token;
}

QString ApiTokenStore::hashToken(const QString &token)
{
    if (sodium_init() < 0)
        qFatal("libsodium could not be initialised");
    const QByteArray utf8 = token.toUtf8();
    unsigned char out[crypto_generichash_BYTES];
    crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char *>(utf8.constData()),
                       quint64(utf8.size()), nullptr, 0);
    return QString::fromLatin1(QByteArray(reinterpret_cast<const char *>(out), sizeof out).toHex());
}

std::optional<qint64> ApiTokenStore::parseDuration(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("^\\s*(\\d{1,6})\\s*([mhdw])\\s*$"));
    const auto m = re.match(text);
    if (!m.hasMatch())
        return std::nullopt;
    const qint64 n = m.captured(1).toLongLong();
    const QChar unit = m.captured(2).at(0);
    qint64 unitMs = 60 * 1000;
    if (unit == QLatin1Char('h'))
        unitMs = 3600 * 1000;
    else if (unit == QLatin1Char('d'))
        unitMs = 24LL * 3600 * 1000;
    else if (unit == QLatin1Char('w'))
        unitMs = 7LL * 24 * 3600 * 1000;
    if (n <= 0 || n * unitMs > 100LL * 365 * 24 * 3600 * 1000)
        return std::nullopt;
    return n * unitMs;
}

Result<CreatedApiToken> ApiTokenStore::create(const QString &userName, const QString &name, qint64 expiresAt,
                                              const Actor &actor, int rateLimit)
{
    if (auto st =
            authorizeAndAudit(m_config, actor, Permission::ManageTokens, QStringLiteral("user"), {userName});
        !st)
        return st.error();
    const QString trimmed = name.trimmed();
    if (trimmed.isEmpty() || trimmed.size() > 200)
        return Error{Error::Code::Invalid,
                     tr("A token needs a name of 1 to 200 characters that says what it is for.")};
    if (rateLimit < 0 || rateLimit > 1000000)
        return Error{Error::Code::Invalid, tr("The rate limit must be from 1 to 1000000 per minute.")};
    const qint64 now = m_clock->nowMs();
    if (expiresAt != 0 && expiresAt <= now)
        return Error{Error::Code::Invalid, tr("The expiry time lies in the past.")};
    auto user = lookupApiUser(m_config, userName);
    if (!user)
        return user.error();
    if (user->disabled)
        return Error{Error::Code::Conflict,
                     tr("The user \"%1\" is disabled: enable it before creating a token.").arg(userName)};
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();

    CreatedApiToken created;
    created.token = generateToken();
    ApiToken &t = created.info;
    t.prefix = created.token.left(kPrefixChars);
    t.name = trimmed;
    t.userName = user->name;
    t.createdAt = now;
    t.createdBy = actor.name;
    t.expiresAt = expiresAt;
    t.rateLimit = rateLimit;
    QSqlDatabase db = conn.value();
    Transaction tx(db);
    if (auto st = tx.begin(); !st)
        return st.error();
    QSqlQuery q(db);
    q.prepare(
        QStringLiteral("INSERT INTO api_tokens (token_hash, prefix, name, user_name, created_at, "
                       "created_by, expires_at, rate_limit) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"));
    q.addBindValue(hashToken(created.token));
    q.addBindValue(t.prefix);
    q.addBindValue(t.name);
    q.addBindValue(t.userName);
    q.addBindValue(t.createdAt);
    q.addBindValue(t.createdBy);
    q.addBindValue(Sql::nullIfZero(expiresAt));
    q.addBindValue(rateLimit > 0 ? QVariant(rateLimit) : QVariant(QMetaType::fromType<int>()));
    if (auto st = Sql::exec(q, tr("storing the token")); !st)
        return st.error();
    if (!q.next())
        return Error{Error::Code::Database, tr("The database did not return the new token's id.")};
    t.id = q.value(0).toLongLong();
    q.finish();
    // The audit row commits with the token (never the token itself: its prefix names it).
    QJsonObject facts{{QStringLiteral("user"), t.userName},
                      {QStringLiteral("name"), t.name},
                      {QStringLiteral("prefix"), t.prefix}};
    if (expiresAt > 0)
        facts.insert(QStringLiteral("expires_at"), expiresAt);
    if (rateLimit > 0)
        facts.insert(QStringLiteral("rate_limit"), rateLimit);
    if (auto st =
            AuditStore::append(db, AuditEntry::of(actor, QStringLiteral("tokens.create"),
                                                  QStringLiteral("token"), {QString::number(t.id)}, facts));
        !st)
        return st.error();
    if (auto st = tx.commit(); !st)
        return st.error();
    qCInfo(lcApp) << "API token" << t.id << "created for" << t.userName << "by" << actor.name;
    return created;
}

Result<QList<ApiToken>> ApiTokenStore::list(const Actor &actor)
{
    if (auto st = authorizeAndAudit(m_config, actor, Permission::ManageTokens, QStringLiteral("token")); !st)
        return st.error();
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    q.prepare(QStringLiteral("SELECT ") + kTokenColumns +
              QStringLiteral(" FROM api_tokens ORDER BY id DESC"));
    if (auto st = Sql::exec(q, tr("listing the tokens")); !st)
        return st.error();
    QList<ApiToken> tokens;
    while (q.next())
        tokens.append(tokenFromQuery(q));
    return tokens;
}

Status ApiTokenStore::revoke(qint64 id, const Actor &actor)
{
    if (auto st = authorizeAndAudit(m_config, actor, Permission::ManageTokens, QStringLiteral("token"),
                                    {QString::number(id)});
        !st)
        return st;
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlDatabase db = conn.value();
    {
        Transaction tx(db);
        if (auto st = tx.begin(); !st)
            return st;
        QSqlQuery q(db);
        q.prepare(QStringLiteral("UPDATE api_tokens SET revoked_at = ?, revoked_by = ? "
                                 "WHERE id = ? AND revoked_at IS NULL RETURNING user_name, prefix"));
        q.addBindValue(m_clock->nowMs());
        q.addBindValue(actor.name);
        q.addBindValue(id);
        if (auto st = Sql::exec(q, tr("revoking the token")); !st)
            return st;
        if (q.next()) {
            const QJsonObject facts{{QStringLiteral("user"), q.value(0).toString()},
                                    {QStringLiteral("prefix"), q.value(1).toString()}};
            q.finish();
            if (auto st = AuditStore::append(db, AuditEntry::of(actor, QStringLiteral("tokens.revoke"),
                                                                QStringLiteral("token"),
                                                                {QString::number(id)}, facts));
                !st)
                return st;
            if (auto st = tx.commit(); !st)
                return st;
            qCInfo(lcApp) << "API token" << id << "revoked by" << actor.name;
            return {};
        }
    }
    QSqlQuery exists(db);
    exists.prepare(QStringLiteral("SELECT 1 FROM api_tokens WHERE id = ?"));
    exists.addBindValue(id);
    if (auto st = Sql::exec(exists, tr("revoking the token")); !st)
        return st;
    if (exists.next())
        return Error{Error::Code::Conflict, tr("Token %1 is revoked already.").arg(id)};
    return Error{Error::Code::NotFound, tr("There is no token %1.").arg(id)};
}

Result<ApiIdentity> ApiTokenStore::authenticate(const QString &token, const QString &clientAddress)
{
    const Error unknown{Error::Code::NotFound, tr("The token is not valid.")};
    if (!token.startsWith(kTokenPrefix) || token.size() != kTokenPrefix.size() + kTokenRandomChars)
        return unknown;
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    const QString hash = hashToken(token);
    // One statement: the token and its user (the role decides what the token may do).
    // Prepared once per connection: every API request runs it.
    const QString sql =
        QStringLiteral("SELECT t.id, t.token_hash, t.user_name, t.expires_at, t.revoked_at, t.last_used_at, "
                       "t.last_used_address, t.rate_limit, u.name, u.role, u.disabled "
                       "FROM api_tokens t LEFT JOIN users u ON u.name = t.user_name WHERE t.token_hash = ?");
    const QString doing = tr("checking the token");
    QByteArray stored;
    ApiIdentity identity;
    qint64 expiresAt = 0;
    qint64 revokedAt = 0;
    qint64 lastUsedAt = 0;
    bool userExists = false;
    QString roleText;
    bool disabled = false;
    if (SqliteStatement *raw = Sql::cachedSqlite(conn.value(), sql.toUtf8())) {
        // SQLite: on its own handle (every API request runs this).
        raw->bind(1, hash.toLatin1());
        if (!raw->next()) {
            if (auto st = raw->status(doing); !st)
                return st.error();
            return unknown;
        }
        stored = raw->utf8(1);
        identity.tokenId = raw->int64(0);
        identity.userName = raw->text(2);
        expiresAt = raw->int64(3);
        revokedAt = raw->int64(4);
        lastUsedAt = raw->int64(5);
        identity.rateLimit = int(raw->int64(7));
        userExists = !raw->isNull(8);
        roleText = raw->text(9);
        disabled = raw->int64(10) != 0;
        raw->reset();
    } else {
        QSqlQuery &q = Sql::cached(conn.value(), sql);
        q.bindValue(0, hash);
        if (auto st = Sql::exec(q, doing); !st)
            return st.error();
        if (!q.next())
            return unknown;
        stored = q.value(1).toString().toLatin1();
        identity.tokenId = q.value(0).toLongLong();
        identity.userName = q.value(2).toString();
        expiresAt = q.value(3).toLongLong();
        revokedAt = q.value(4).toLongLong();
        lastUsedAt = q.value(5).toLongLong();
        identity.rateLimit = q.value(7).toInt();
        userExists = !q.value(8).isNull();
        roleText = q.value(9).toString();
        disabled = q.value(10).toBool();
        q.finish();
    }
    // The index found the row by its hash; compare the whole hash once more in constant time.
    const QByteArray computed = hash.toLatin1();
    if (stored.size() != computed.size() ||
        sodium_memcmp(stored.constData(), computed.constData(), size_t(stored.size())) != 0)
        return unknown;
    const qint64 now = m_clock->nowMs();
    if (revokedAt > 0)
        return Error{Error::Code::NotFound, tr("The token was revoked.")};
    if (expiresAt > 0 && expiresAt <= now)
        return Error{Error::Code::NotFound, tr("The token has expired.")};
    if (!userExists)
        return Error{Error::Code::NotFound, tr("The token's user no longer exists.")};
    if (disabled)
        return Error{Error::Code::NotFound, tr("The token's user is disabled.")};
    if (!roleFromString(roleText, &identity.role))
        return Error{Error::Code::Invalid, tr("The user \"%1\" has an unknown role.").arg(identity.userName)};

    if (now - lastUsedAt >= kLastUseResolutionMs) {
        // SQLite: through the writer (WriteGroup), not past it into the busy handler's sleeps.
        const Status recorded = WriteGroup::run(m_config, [&]() -> Status {
            auto writer = Database::connection(m_config);
            if (!writer)
                return writer.error();
            QSqlQuery u(writer.value());
            u.prepare(
                QStringLiteral("UPDATE api_tokens SET last_used_at = ?, last_used_address = ? WHERE id = ?"));
            u.addBindValue(now);
            u.addBindValue(clientAddress);
            u.addBindValue(identity.tokenId);
            return Sql::exec(u, tr("recording the token's use"));
        });
        // The last use is information, not a condition: a failed write leaves the request alone.
        if (!recorded)
            qCWarning(lcApp) << "API token" << identity.tokenId
                             << "last use not recorded:" << recorded.error().message;
    }
    return identity;
}

} // namespace hcm
