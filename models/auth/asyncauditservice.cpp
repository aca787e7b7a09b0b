#include "auth/asyncauditservice.h"

#include "common/logcategories.h"
#include "db/database.h"

#include <QCoreApplication>
#include <QFutureWatcher>
#include <QMetaObject>
#include <QSaveFile>

#include <QSqlDatabase>
#include <climits>

namespace hcm {

namespace {
struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::AsyncAuditService)
};
} // namespace

AsyncAuditService::AsyncAuditService(DbConfig config, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_db(QStringLiteral("audit"))
{
    qRegisterMetaType<hcm::AuditEntry>();
    qRegisterMetaType<QList<hcm::AuditEntry>>();
}

AsyncAuditService::~AsyncAuditService()
{
    cancelExport(); // the export thread (a child) joins after its current page
}

QFuture<Result<QList<AuditEntry>>> AsyncAuditService::fetchPage(const AuditFilter &filter)
{
    return m_db.run([config = m_config, filter] { return AuditStore(config).list(filter); });
}

QFuture<Result<AuditNewer>> AsyncAuditService::fetchNewer(const AuditFilter &filter, qint64 knownNewestId)
{
    return m_db.run([config = m_config, filter, knownNewestId]() -> Result<AuditNewer> {
        AuditStore store(config);
        AuditFilter newest;
        newest.limit = 1;
        auto top = store.list(newest);
        if (!top)
            return top.error();
        const qint64 newestId = top->isEmpty() ? 0 : top->first().id;
        if (newestId == knownNewestId)
            return AuditNewer{newestId, {}};
        auto page = store.list(filter);
        if (!page)
            return page.error();
        return AuditNewer{newestId, page.value()};
    });
}

std::optional<QFuture<AuditExport>> AsyncAuditService::exportCsv(const AuditFilter &filter,
                                                                 const QString &path)
{
    if (m_exportThread)
        return std::nullopt;
    const StopFlag cancel = makeStopFlag();
    m_exportStop = cancel;
    auto *thread = new DbThread(QStringLiteral("audit-export"), this);
    m_exportThread = thread;
    const DbConfig config = m_config;
    QFuture<AuditExport> future =
        thread->runWithPromise<AuditExport>([config, filter, path, cancel](QPromise<AuditExport> &promise) {
            qint64 rows = 0;
            QString error;
            QSaveFile file(path);
            if (!file.open(QIODevice::WriteOnly)) {
                error = Tr::tr("Could not write %1: %2").arg(path, file.errorString());
            } else {
                bool header = true;
                const Status st = AuditStore(config).forEach(filter, [&](const QList<AuditEntry> &page) {
                    if (cancel->load())
                        return false;
                    if (file.write(AuditStore::toCsv(page, header)) < 0)
                        return false;
                    header = false;
                    rows += page.size();
                    promise.setProgressValue(int(qMin<qint64>(rows, INT_MAX)));
                    return true;
                });
                if (!st)
                    error = st.error().message;
                else if (file.error() != QFileDevice::NoError)
                    error = Tr::tr("Could not write %1: %2").arg(path, file.errorString());
                if (header && error.isEmpty() && !cancel->load())
                    file.write(AuditStore::toCsv({}, true)); // no rows: the header alone
                if (error.isEmpty() && !cancel->load() && !file.commit())
                    error = Tr::tr("Could not write %1: %2").arg(path, file.errorString());
                else if (!error.isEmpty() || cancel->load())
                    file.cancelWriting();
            }
            if (!error.isEmpty())
                qCWarning(lcApp).noquote() << "audit export failed:" << error;
            promise.addResult(AuditExport{error.isEmpty() && !cancel->load(), error, rows, path});
        });
    // The thread goes once the export has ended. A watcher, not a continuation: a future takes only one
    // continuation, and that is the caller's.
    auto *watcher = new QFutureWatcher<AuditExport>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, thread, watcher] {
        if (m_exportThread == thread)
            m_exportThread = nullptr;
        thread->deleteLater();
        watcher->deleteLater();
    });
    watcher->setFuture(future);
    return future;
}

void AsyncAuditService::cancelExport()
{
    if (m_exportStop)
        m_exportStop->store(true);
}

} // namespace hcm
