#pragma once

#include "auth/auditstore.h"

#include <QList>
#include <QObject>
#include <QPointer>
#include <QThread>

#include <atomic>
#include <functional>
#include <memory>

namespace hcm {

// The GUI's access to the audit trail: every read runs on a thread of its own with its own connection
// (AuditStore there) and comes back as a queued signal tagged with the request's number; an export
// runs on a second thread so that the page keeps following new rows meanwhile. The GUI thread never
// waits on the database.
class AsyncAuditService final : public QObject {
    Q_OBJECT
public:
    explicit AsyncAuditService(DbConfig config, QObject *parent = nullptr);
    ~AsyncAuditService() override; // cancels a running export and waits for both threads
    Q_DISABLE_COPY_MOVE(AsyncAuditService)

    const DbConfig &config() const { return m_config; }

    // One keyset page (AuditStore::list): pageReady or requestFailed with the returned number.
    quint64 fetchPage(const AuditFilter &filter);
    // The rows of `filter` that may be new: first the newest id of the whole trail (one index probe);
    // when it is still `knownNewestId` nothing else is read and newerReady carries no rows.
    quint64 fetchNewer(const AuditFilter &filter, qint64 knownNewestId);

    // Writes every row `filter` matches (newest first, AuditStore::forEach) as CSV to `path`, through a
    // temporary file that replaces `path` only when complete. Progress and the end come as signals;
    // false when an export is running already.
    bool exportCsv(const AuditFilter &filter, const QString &path);
    void cancelExport();
    bool isExporting() const { return m_exportThread != nullptr; }

signals:
    void pageReady(quint64 request, const QList<hcm::AuditEntry> &entries);
    // `newestId`: the newest id of the whole trail now; `entries` empty when it did not change.
    void newerReady(quint64 request, qint64 newestId, const QList<hcm::AuditEntry> &entries);
    void requestFailed(quint64 request, const QString &message);
    void exportProgress(qint64 rows);
    // Exactly once per export: written (`ok`), failed (`message`) or cancelled (`ok` false, empty message).
    void exportFinished(bool ok, const QString &message, qint64 rows, const QString &path);

private:
    void post(std::function<void(AuditStore &)> work);

    DbConfig m_config;
    QThread m_thread;
    QObject *m_context = nullptr; // lives in m_thread
    quint64 m_nextRequest = 0;
    QThread *m_exportThread = nullptr;
    std::shared_ptr<std::atomic_bool> m_exportCancel;
};

} // namespace hcm
