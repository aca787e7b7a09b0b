#pragma once

#include "auth/auditstore.h"
#include "common/clock.h"
#include "common/error.h"
#include "db/dbconfig.h"

#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <memory>

namespace hcm {

// The paused_job_types row that pauses every job type of the deployment.
inline const QString kAllJobTypes = QStringLiteral("*");

// A paused job type: its queued jobs wait until it is resumed (migration 012).
struct PausedType {
    QString type; // a job type, or kAllJobTypes
    QString pausedBy;
    qint64 pausedAt = 0; // UTC ms

    bool isAll() const { return type == kAllJobTypes; }
    QJsonObject toJson() const; // {"type", "paused_by", "paused_at" (ISO 8601)}
};

// The paused job types in the database: read by workers (which leave them out of what they claim), the
// job table (which shows their queued jobs as paused) and hcmctl; written only through PauseService.
// Each call runs on the calling thread's own connection.
class PausedTypeStore final {
public:
    explicit PausedTypeStore(DbConfig config, std::shared_ptr<Clock> clock = Clock::system());

    const DbConfig &config() const { return m_config; }

    // Every paused type, "*" (all) first, then by name.
    Result<QList<PausedType>> list() const;
    // Pauses (adds the row) or resumes (removes it) `type` in one transaction; resuming kAllJobTypes
    // removes every row. On PostgreSQL the change is announced to every process (NOTIFY on hcm_jobs) in
    // the same transaction. Returns whether anything changed (pausing a paused type keeps who paused it
    // first and when).
    // `audit` writes the change's audit row in its transaction (only when something changed).
    Result<bool> setPaused(const QString &type, bool paused, const QString &actor,
                           const AuditWriter &audit = {});

    // The types of `types` a worker may claim while `paused` are paused: none when every type is.
    static QStringList claimable(const QStringList &types, const QList<PausedType> &paused);
    // The entry that holds `type`'s queued jobs back: the "*" row when every type is paused, else the
    // type's own row; nullptr when none.
    static const PausedType *pauseOf(const QList<PausedType> &paused, const QString &type);

private:
    DbConfig m_config;
    std::shared_ptr<Clock> m_clock;
};

} // namespace hcm

Q_DECLARE_METATYPE(hcm::PausedType)
