#pragma once

#include "auth/auditstore.h"
#include "db/dbthread.h"

#include <QFuture>
#include <QList>
#include <QObject>
#include <QPointer>

#include <optional>

namespace hcm {

// The rows of a filter that may be new (AsyncAuditService::fetchNewer).
struct AuditNewer {
    qint64 newestId = 0;         // the newest id of the whole trail now
    QList<AuditEntry> entries{}; // empty when it did not change
};

// How an export ended: written (`ok`), failed (`message`) or stopped (`ok` false, empty message).
struct AuditExport {
    bool ok = false;
    QString message{};
    qint64 rows = 0;
    QString path{};
};

// The GUI's access to the audit trail: every read runs on a thread of its own with its own connection
// (AuditStore there) and answers through the QFuture it returns; an export runs on a second thread so
// that the page keeps following new rows meanwhile. The GUI thread never waits on the database.
class AsyncAuditService final : public QObject {
    Q_OBJECT
public:
    explicit AsyncAuditService(DbConfig config, QObject *parent = nullptr);
    ~AsyncAuditService() override; // stops a running export and waits for both threads
    Q_DISABLE_COPY_MOVE(AsyncAuditService)

    const DbConfig &config() const { return m_config; }

    // One keyset page (AuditStore::list).
    QFuture<Result<QList<AuditEntry>>> fetchPage(const AuditFilter &filter);
    // The rows of `filter` that may be new: first the newest id of the whole trail (one index probe);
    // when it is still `knownNewestId` nothing else is read and the answer carries no rows.
    QFuture<Result<AuditNewer>> fetchNewer(const AuditFilter &filter, qint64 knownNewestId);

    // Writes every row `filter` matches (newest first, AuditStore::forEach) as CSV to `path`, through a
    // temporary file that replaces `path` only when complete. The future's progress value is the rows
    // written so far; it ends exactly once with how it went. Nothing when an export is running already.
    std::optional<QFuture<AuditExport>> exportCsv(const AuditFilter &filter, const QString &path);
    void cancelExport();
    bool isExporting() const { return m_exportThread != nullptr; }

private:
    DbConfig m_config;
    DbThread m_db;
    QPointer<DbThread> m_exportThread;
    StopFlag m_exportStop;
};

} // namespace hcm
