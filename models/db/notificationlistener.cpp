#include "notificationlistener.h"

#include "common/logcategories.h"
#include "db/database.h"
#include "db/dialect.h"
#include "jobs/jobnotifier.h"

#include <QDateTime>
#include <QRandomGenerator>
#include <QSqlQuery>
#include <QTimer>

namespace hcm {

namespace {

constexpr int kCheckMs = 2000; // connection health check while listening
constexpr int kMaxBackoffMs = 5000;

const char *kindName(JobEvent::Kind kind)
{
    switch (kind) {
    case JobEvent::Kind::Enqueued:
        return "enqueued";
    case JobEvent::Kind::Cancel:
        return "cancel";
    case JobEvent::Kind::Changed:
        return "changed";
    case JobEvent::Kind::Paused:
        return "paused";
    }
    return "changed";
}

PerDatabase<NotificationListener> g_listeners;

} // namespace

QString JobEvent::encode() const
{
    QString ids;
    for (qint64 id : this->ids) {
        if (ids.size() > 7000) { // NOTIFY payloads are limited to 8000 bytes
            ids.clear();
            break;
        }
        if (!ids.isEmpty())
            ids += QLatin1Char(',');
        ids += QString::number(id);
    }
    return QStringLiteral("%1|%2|%3|%4")
        .arg(QLatin1String(kindName(kind)), origin.isEmpty() ? processOrigin() : origin)
        .arg(count > 0 ? count : int(this->ids.size()))
        .arg(ids);
}

std::optional<JobEvent> JobEvent::decode(const QString &payload)
{
    const QStringList parts = payload.split(QLatin1Char('|'));
    if (parts.size() != 4)
        return std::nullopt;
    JobEvent e;
    if (parts[0] == QLatin1String("enqueued"))
        e.kind = Kind::Enqueued;
    else if (parts[0] == QLatin1String("cancel"))
        e.kind = Kind::Cancel;
    else if (parts[0] == QLatin1String("changed"))
        e.kind = Kind::Changed;
    else if (parts[0] == QLatin1String("paused"))
        e.kind = Kind::Paused;
    else
        return std::nullopt;
    e.origin = parts[1];
    e.count = parts[2].toInt();
    for (const QString &id : parts[3].split(QLatin1Char(','), Qt::SkipEmptyParts))
        e.ids.append(id.toLongLong());
    return e;
}

const QString &JobEvent::processOrigin()
{
    static const QString origin = QString::number(QRandomGenerator::system()->generate64(), 36);
    return origin;
}

std::shared_ptr<NotificationListener> NotificationListener::acquire(const DbConfig &config)
{
    if (!config.isPostgres())
        return nullptr;
    return g_listeners.acquire(config, [&] { return new NotificationListener(config); });
}

NotificationListener::NotificationListener(const DbConfig &config)
    : WatchThread(QStringLiteral("hcm-listener"), new ListenerWorker(config))
{}

ListenerWorker::ListenerWorker(DbConfig config)
    : WatchWorker(std::move(config))
    , m_name(QStringLiteral("hcm-listen:%1:%2").arg(m_config.key()).arg(quintptr(this), 0, 16))
{}

ListenerWorker::~ListenerWorker()
{
    closeConnection();
}

void ListenerWorker::start()
{
    m_timer = new QTimer(this);
    m_timer->setSingleShot(true);
    connect(m_timer, &QTimer::timeout, this, &ListenerWorker::check);
    check();
}

void ListenerWorker::stop()
{
    if (m_timer)
        m_timer->stop();
    closeConnection();
}

void ListenerWorker::closeConnection()
{
    ready.store(false);
    if (!QSqlDatabase::contains(m_name))
        return;
    {
        QSqlDatabase db = QSqlDatabase::database(m_name, false);
        if (db.isOpen()) {
            disconnect(db.driver(), nullptr, this, nullptr);
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(m_name);
}

bool ListenerWorker::connectAndListen()
{
    closeConnection();
    auto db = Database::open(m_config, m_name);
    if (!db) {
        lost(db.error().message);
        return false;
    }
    QSqlDriver *driver = db.value().driver();
    connect(driver, &QSqlDriver::notification, this, &ListenerWorker::onNotification);
    if (!driver->subscribeToNotification(QString::fromLatin1(kJobChannel))) {
        lost(Database::describe(driver->lastError()));
        return false;
    }
    ready.store(true);
    if (m_wasListening) {
        qCInfo(lcDb).noquote() << "listening again on" << m_config.displayName() << "after"
                               << (QDateTime::currentMSecsSinceEpoch() - m_downSince) << "ms";
        // Whatever was announced while we were away is lost: look for due jobs and refresh views.
        emit JobNotifier::instance()->pausedTypesChanged();
        emit JobNotifier::instance()->jobsEnqueued(0);
        emit JobNotifier::instance()->jobsChanged({});
    }
    m_wasListening = true;
    m_failures = 0;
    return true;
}

void ListenerWorker::check()
{
    if (!ready.load()) {
        if (!connectAndListen())
            return; // lost() scheduled the next attempt
    } else {
        QSqlDatabase db = QSqlDatabase::database(m_name, false);
        if (!db.isOpen()) {
            lost(QStringLiteral("the server closed the connection"));
            return;
        }
        QSqlQuery q(db);
        if (!q.exec(QStringLiteral("SELECT 1"))) {
            const QSqlError err = q.lastError();
            q.clear();
            lost(Database::describe(err));
            return;
        }
    }
    m_timer->start(kCheckMs);
}

void ListenerWorker::lost(const QString &why)
{
    ready.store(false);
    if (m_failures == 0) {
        m_downSince = QDateTime::currentMSecsSinceEpoch();
        qCWarning(lcDb).noquote() << "notifications from" << m_config.displayName() << "interrupted:" << why
                                  << "- reconnecting";
    }
    ++m_failures;
    const int delay = qMin(kMaxBackoffMs, 100 * (1 << qMin(m_failures, 6)));
    m_timer->start(delay);
}

void ListenerWorker::onNotification(const QString &name, QSqlDriver::NotificationSource,
                                    const QVariant &payload)
{
    if (name != QLatin1String(kJobChannel))
        return;
    const auto event = JobEvent::decode(payload.toString());
    if (!event)
        return;
    // Events of this process arrive too (another thread's connection sent them). Receivers are
    // idempotent: a second wake-up claims nothing more, a second cancel finds the token tripped.
    JobNotifier *notifier = JobNotifier::instance();
    switch (event->kind) {
    case JobEvent::Kind::Enqueued:
        emit notifier->jobsEnqueued(event->count);
        emit notifier->jobsChanged(event->ids);
        break;
    case JobEvent::Kind::Cancel:
        emit notifier->cancelRequested(event->ids);
        emit notifier->jobsChanged(event->ids);
        break;
    case JobEvent::Kind::Changed:
        emit notifier->jobsChanged(event->ids);
        break;
    case JobEvent::Kind::Paused:
        emit notifier->pausedTypesChanged();
        emit notifier->jobsChanged({});
        break;
    }
}

} // namespace hcm
