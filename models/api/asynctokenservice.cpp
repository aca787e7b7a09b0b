#include "api/asynctokenservice.h"

#include "db/database.h"

#include <QMetaObject>
#include <QSqlDatabase>

namespace hcm {

AsyncTokenService::AsyncTokenService(DbConfig config, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
{
    qRegisterMetaType<hcm::ApiToken>();
    qRegisterMetaType<QList<hcm::ApiToken>>();
    QSqlDatabase::drivers(); // QTBUG-112961: before another thread opens a connection
    m_thread.setObjectName(QStringLiteral("tokens"));
    m_context = new QObject;
    m_context->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_context, &QObject::deleteLater);
    m_thread.start();
}

AsyncTokenService::~AsyncTokenService()
{
    QMetaObject::invokeMethod(
        m_context, [] { Database::closeThreadConnections(); }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

void AsyncTokenService::post(std::function<void(ApiTokenStore &)> work)
{
    const DbConfig config = m_config;
    QMetaObject::invokeMethod(
        m_context,
        [config, work = std::move(work)] {
            ApiTokenStore store(config);
            work(store);
        },
        Qt::QueuedConnection);
}

void AsyncTokenService::fetchAll(const Actor &actor)
{
    post([this, actor](ApiTokenStore &s) {
        auto all = s.list(actor);
        if (all)
            emit listReady(all.value());
        else
            emit listFailed(all.error().message);
    });
}

void AsyncTokenService::create(const QString &userName, const QString &name, qint64 expiresAt,
                               const Actor &actor)
{
    post([this, userName, name, expiresAt, actor](ApiTokenStore &s) {
        auto created = s.create(userName, name, expiresAt, actor);
        if (created)
            emit createFinished(true, QString(), created->info, created->token);
        else
            emit createFinished(false, created.error().message, ApiToken{}, QString());
    });
}

void AsyncTokenService::revoke(qint64 id, const Actor &actor)
{
    post([this, id, actor](ApiTokenStore &s) {
        const Status st = s.revoke(id, actor);
        emit revokeFinished(st.ok(), st.ok() ? QString() : st.error().message, id);
    });
}

} // namespace hcm
