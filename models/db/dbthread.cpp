#include "db/dbthread.h"

#include "db/database.h"

#include <QMetaObject>
#include <QSqlDatabase>

namespace hcm {

DbThread::DbThread(const QString &name, QObject *parent)
    : QObject(parent)
{
    (void)QSqlDatabase::drivers(); // QTBUG-112961: register the drivers before another thread connects
    m_thread.setObjectName(name);
    m_context = new QObject;
    m_context->moveToThread(&m_thread);
    // Both run on the thread itself as it ends (the context lives there): its connection is closed
    // where it was opened, and the tasks still queued are destroyed with the context (their promises
    // end cancelled).
    connect(&m_thread, &QThread::finished, m_context, [] { Database::closeThreadConnections(); });
    connect(&m_thread, &QThread::finished, m_context, &QObject::deleteLater);
    m_thread.start();
}

DbThread::~DbThread()
{
    m_closing->store(true);
    m_thread.quit();
    m_thread.wait();
}

void DbThread::post(std::function<void()> task)
{
    QMetaObject::invokeMethod(m_context, std::move(task), Qt::QueuedConnection);
}

} // namespace hcm
