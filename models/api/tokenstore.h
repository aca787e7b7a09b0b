#pragma once

#include "auth/actor.h"
#include "common/clock.h"
#include "common/error.h"
#include "db/dbconfig.h"

#include <QCoreApplication>
#include <QList>
#include <QString>

#include <memory>
#include <optional>

namespace hcm {

// One API token as listed (never the token itself: only its hash is stored).
struct ApiToken {
    qint64 id = 0;
    QString prefix; // the first characters of the token ("hcm_AbC1"), to tell tokens apart
    QString name;   // what it is for ("HR backend")
    QString userName;
    qint64 createdAt = 0;
    QString createdBy;
    qint64 expiresAt = 0; // 0: never
    qint64 revokedAt = 0; // 0: active
    QString revokedBy;
    qint64 lastUsedAt = 0; // 0: never used
    QString lastUsedAddress;
    int rateLimit = 0; // per-minute limit of every endpoint for this token; 0: the server's limits

    bool isActive(qint64 nowMs) const { return revokedAt == 0 && (expiresAt == 0 || expiresAt > nowMs); }
};

// Who a valid token acts as: its user, with the user's role.
struct ApiIdentity {
    qint64 tokenId = 0;
    QString userName;
    Role role = Role::Viewer;
    int rateLimit = 0;
};

// A token just created: `token` is shown once and stored nowhere.
struct CreatedApiToken {
    ApiToken info;
    QString token;
};

// All SQL about API tokens (api_tokens, migration 016). Tokens are "hcm_" followed by 43 base62
// characters from libsodium's random generator (256 bits); the database holds their BLAKE2b-256 hash
// (crypto_generichash), compared in constant time. A token acts as its user: the user's role (table
// users) decides what it may do, and a disabled or missing user makes it fail like an unknown token.
class ApiTokenStore final {
    Q_DECLARE_TR_FUNCTIONS(hcm::ApiTokenStore)

public:
    static constexpr int kTokenRandomChars = 43;
    static constexpr int kPrefixChars = 8;
    // How often a token's last use (time and client address) is written at most: a busy client writes once
    // in 10 s, not per call, and a request that does not write it stays a read.
    static constexpr qint64 kLastUseResolutionMs = 10 * 1000;

    explicit ApiTokenStore(DbConfig config, std::shared_ptr<Clock> clock = Clock::system());

    // Creates a token for `userName` (an existing, enabled user). `expiresAt` 0: never.
    Result<CreatedApiToken> create(const QString &userName, const QString &name, qint64 expiresAt,
                                   const Actor &actor, int rateLimit = 0);
    // Every token, newest first (revoked and expired ones too).
    Result<QList<ApiToken>> list(const Actor &actor);
    // Revokes the token with this id; NotFound when there is none, Conflict when it is revoked already.
    Status revoke(qint64 id, const Actor &actor);

    // The identity a presented token acts as. Error::Code::NotFound (→ 401) for a token that is
    // malformed, unknown, expired, revoked, or whose user is disabled or gone: the message says which,
    // for the log and the client. Records the last use (time and address) at most once per
    // kLastUseResolutionMs.
    Result<ApiIdentity> authenticate(const QString &token, const QString &clientAddress);

    // "hcm_" + 43 base62 characters.
    static QString generateToken();
    // Hex BLAKE2b-256 of the token.
    static QString hashToken(const QString &token);
    // "90d", "12h", "30m", "2w" → milliseconds; nullopt for anything else.
    static std::optional<qint64> parseDuration(const QString &text);

private:
    DbConfig m_config;
    std::shared_ptr<Clock> m_clock;
};

// The role and state of a user (table users): what a token's identity is resolved through.
struct UserRecord {
    QString name;
    Role role = Role::Viewer;
    bool disabled = false;
};
// The user named `name` on the calling thread's connection; NotFound when there is none.
Result<UserRecord> lookupApiUser(const DbConfig &config, const QString &name);

} // namespace hcm
