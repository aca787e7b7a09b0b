#include "auth/asyncauditservice.h"

#include "common/logcategories.h"
#include "db/database.h"

#include <QCoreApplication>
#include <QMetaObject>
#include <QSaveFile>
#include <QSqlDatabase>

namespace hcm {

namespace {
struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::AsyncAuditService)
};
} // namespace

AsyncAuditService::AsyncAuditService(DbConfig config, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
{
    qRegisterMetaType<hcm::AuditEntry>();
    qRegisterMetaType<QList<hcm::AuditEntry>>();
    QSqlDatabase::drivers(); // QTBUG-112961: before another thread opens a connection
    m_thread.setObjectName(QStringLiteral("audit"));
    m_context = new QObject;
    m_context->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_context, &QObject::deleteLater);
    m_thread.start();
}

AsyncAuditService::~AsyncAuditService()
{
    if (m_exportThread) {
        cancelExport();
        m_exportThread->wait();
        delete m_exportThread;
    }
    QMetaObject::invokeMethod(
        m_context, [] { Database::closeThreadConnections(); }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

void AsyncAuditService::post(std::function<void(AuditStore &)> work)
{
    const DbConfig config = m_config;
    QMetaObject::invokeMethod(
        m_context,
        [config, work = std::move(work)] {
            AuditStore store(config);
            work(store);
        },
        Qt::QueuedConnection);
}

quint64 AsyncAuditService::fetchPage(const AuditFilter &filter)
{
    const quint64 request = ++m_nextRequest;
    post([this, request, filter](AuditStore &store) {
        auto page = store.list(filter);
        if (page)
            emit pageReady(request, page.value());
        else
            emit requestFailed(request, page.error().message);
    });
    return request;
}

quint64 AsyncAuditService::fetchNewer(const AuditFilter &filter, qint64 knownNewestId)
{
    const quint64 request = ++m_nextRequest;
    post([this, request, filter, knownNewestId](AuditStore &store) {
        AuditFilter newest;
        newest.limit = 1;
        auto top = store.list(newest);
        if (!top) {
            emit requestFailed(request, top.error().message);
            return;
        }
        const qint64 newestId = top->isEmpty() ? 0 : top->first().id;
        if (newestId == knownNewestId) {
            emit newerReady(request, newestId, {});
            return;
        }
        auto page = store.list(filter);
        if (page)
            emit newerReady(request, newestId, page.value());
        else
            emit requestFailed(request, page.error().message);
    });
    return request;
}

bool AsyncAuditService::exportCsv(const AuditFilter &filter, const QString &path)
{
    if (m_exportThread)
        return false;
    auto cancel = std::make_shared<std::atomic_bool>(false);
    m_exportCancel = cancel;
    const DbConfig config = m_config;
    m_exportThread = QThread::create([this, config, filter, path, cancel] {
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
                emit exportProgress(rows);
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
        Database::closeThreadConnections();
        if (!error.isEmpty())
            qCWarning(lcApp).noquote() << "audit export failed:" << error;
        const bool ok = error.isEmpty() && !cancel->load();
        emit exportFinished(ok, error, rows, path);
    });
    m_exportThread->setObjectName(QStringLiteral("audit-export"));
    QThread *thread = m_exportThread;
    connect(thread, &QThread::finished, this, [this, thread] {
        if (m_exportThread == thread)
            m_exportThread = nullptr;
        thread->deleteLater();
    });
    m_exportThread->start();
    return true;
}

void AsyncAuditService::cancelExport()
{
    if (m_exportCancel)
        m_exportCancel->store(true);
}

} // namespace hcm
