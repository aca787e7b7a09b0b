#pragma once

#include "auth/actor.h"
#include "auth/permissions.h"
#include "common/error.h"
#include "db/dbconfig.h"

#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QSqlDatabase>
#include <QStringList>

#include <functional>

namespace hcm {

enum class AuditOutcome { Done, Refused };
QString toString(AuditOutcome outcome); // "done", "refused"

// One row of the audit trail (table audit_log, migration 015).
struct AuditEntry {
    qint64 id = 0;
    qint64 at = 0; // UTC milliseconds, the database's clock (set when the row is written)
    QString actor;
    Role actorRole = Role::Viewer;
    Interface via = Interface::System;
    QString action;     // "jobs.cancel", "settings.write", "users.set_role", … (see docs/security.md)
    QString targetType; // "job", "settings", "user", "schedule", "job_type", "audit", or empty
    QStringList targetIds;
    // What changed: {"field": {"old": …, "new": …}} for settings and users (secrets: "changed"),
    // or facts of the action ({"status": …}, {"reason": …} for a refusal).
    QJsonObject diff;
    AuditOutcome outcome = AuditOutcome::Done;
    QString clientAddress;

    // An entry for `actor` doing `action` (its name, role, interface and client address).
    static AuditEntry of(const Actor &actor, const QString &action, const QString &targetType = {},
                         const QStringList &targetIds = {}, const QJsonObject &diff = {},
                         AuditOutcome outcome = AuditOutcome::Done);
    static QStringList ids(const QList<qint64> &ids);
};

// What the Audit page, `hcmctl audit list` and a job's "History" ask for. Every field narrows; the
// result is newest first, `limit` rows with ids below `beforeId` (keyset paging: pass the last id of
// the previous page; 0 starts at the newest). No count is ever computed.
struct AuditFilter {
    QString actor;      // exact user name
    QString action;     // exact ("jobs.cancel") or a prefix ending in '.' ("jobs.")
    QString targetType; // exact
    QString targetId;   // with targetType: the rows about that object (index-served)
    QString text;       // case-insensitive substring of actor, action, target ids or diff
    qint64 since = 0;   // at >= since (0: no bound)
    qint64 until = 0;   // at < until (0: no bound)
    qint64 beforeId = 0;
    int limit = 100;
};

// All SQL about the audit trail. The trail is append-only (triggers and grants of migration 015):
// nothing here updates or deletes a row but purgeExpired(), which removes only what is older than the
// retention period. Each call uses the calling thread's connection.
class AuditStore final {
public:
    explicit AuditStore(DbConfig config);

    // Writes `entry` in the transaction the caller has open on `db`: the change and its audit row
    // commit together or not at all.
    static Status append(QSqlDatabase &db, const AuditEntry &entry);
    // Writes `entry` in a transaction of its own (refusals, test sends).
    Status record(const AuditEntry &entry);

    Result<QList<AuditEntry>> list(const AuditFilter &filter);
    // Every row the filter matches (newest first), in pages of `pageSize`, handed to `sink` page by
    // page; stops when `sink` returns false. For exports of any size in constant memory.
    Status forEach(AuditFilter filter, const std::function<bool(const QList<AuditEntry> &)> &sink,
                   int pageSize = 1000);

    // Removes the rows older than the retention period ('audit_retention_days' in app_settings,
    // default 400, never below 30); returns how many.
    Result<qint64> purgeExpired();
    Result<int> retentionDays();

    // CSV (RFC 4180) of entries, with a header line first when `header`.
    static QByteArray toCsv(const QList<AuditEntry> &entries, bool header = true);
    static QJsonObject toJson(const AuditEntry &entry);

private:
    DbConfig m_config;
};

// Writes one audit row in a store's open transaction, just before it commits a change (a store takes
// it as an optional parameter and calls it only when something changed).
using AuditWriter = std::function<Status(QSqlDatabase &)>;
// The same for a change that makes an id (a new schedule, the job of a "run now"): the writer gets it.
using AuditWriterWithId = std::function<Status(QSqlDatabase &, qint64 id)>;
// The writer of `entry`.
AuditWriter auditWriter(const AuditEntry &entry);

// The check every service call begins with: Ok when `actor` holds `permission`; otherwise writes the
// refusal's audit row (outcome "refused", the permission's key as action, the sentence as reason) in a
// transaction of its own and returns the Forbidden error. Nothing else is written.
// {"key": {"old": …, "new": …}} for every key whose value differs between `before` and `after`,
// leaving out `ignored` keys.
QJsonObject jsonDiff(const QJsonObject &before, const QJsonObject &after, const QStringList &ignored = {});

Status authorizeAndAudit(const DbConfig &config, const Actor &actor, Permission permission,
                         const QString &targetType = {}, const QStringList &targetIds = {});

// True for the program's own actors (Actor::system): their routine actions are not audited row by row.
bool isSystemActor(const Actor &actor);

} // namespace hcm

Q_DECLARE_METATYPE(hcm::AuditEntry)
