#include "db/watchthread.h"

#include <QDeadlineTimer>

namespace hcm {

WatchThread::WatchThread(const QString &threadName, WatchWorker *worker)
    : m_worker(worker)
{
    m_thread.setObjectName(threadName);
    m_worker->moveToThread(&m_thread);
    QObject::connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread.start();
    QMetaObject::invokeMethod(m_worker, &WatchWorker::start, Qt::QueuedConnection);
}

WatchThread::~WatchThread()
{
    QMetaObject::invokeMethod(m_worker, &WatchWorker::stop, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

bool WatchThread::waitUntilReady(int timeoutMs) const
{
    QDeadlineTimer deadline(timeoutMs);
    while (!isReady()) {
        if (deadline.hasExpired())
            return false;
        QThread::msleep(5);
    }
    return true;
}

} // namespace hcm
