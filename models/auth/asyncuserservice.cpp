#include "auth/asyncuserservice.h"

#include "db/database.h"

#include <QMetaObject>
#include <QSqlDatabase>

namespace hcm {

AsyncUserService::AsyncUserService(DbConfig config, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
{
    qRegisterMetaType<hcm::User>();
    qRegisterMetaType<QList<hcm::User>>();
    QSqlDatabase::drivers(); // QTBUG-112961: before another thread opens a connection
    m_thread.setObjectName(QStringLiteral("users"));
    m_context = new QObject;
    m_context->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_context, &QObject::deleteLater);
    m_thread.start();
}

AsyncUserService::~AsyncUserService()
{
    QMetaObject::invokeMethod(
        m_context, [] { Database::closeThreadConnections(); }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

void AsyncUserService::post(std::function<void(UserService &)> work)
{
    const DbConfig config = m_config;
    QMetaObject::invokeMethod(
        m_context,
        [config, work = std::move(work)] {
            UserService service(config);
            work(service);
        },
        Qt::QueuedConnection);
}

void AsyncUserService::fetchAll()
{
    post([this](UserService &s) {
        auto all = s.list();
        if (all)
            emit listReady(all.value());
        else
            emit listFailed(all.error().message);
    });
}

void AsyncUserService::add(const QString &name, Role role, const QString &displayName, const Actor &actor)
{
    post([this, name, role, displayName, actor](UserService &s) {
        auto user = s.add(name, role, displayName, actor);
        emit actionFinished(user.ok(), user.ok() ? QString() : user.error().message, name);
    });
}

void AsyncUserService::setRole(const QString &name, Role role, const Actor &actor)
{
    post([this, name, role, actor](UserService &s) {
        auto user = s.setRole(name, role, actor);
        emit actionFinished(user.ok(), user.ok() ? QString() : user.error().message, name);
    });
}

void AsyncUserService::setDisabled(const QString &name, bool disabled, const Actor &actor)
{
    post([this, name, disabled, actor](UserService &s) {
        auto user = s.setDisabled(name, disabled, actor);
        emit actionFinished(user.ok(), user.ok() ? QString() : user.error().message, name);
    });
}

} // namespace hcm
