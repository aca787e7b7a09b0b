#include "schedules/scheduler.h"

#include "common/logcategories.h"
#include "db/database.h"
#include "jobs/jobnotifier.h"
#include "schedules/schedulenotifier.h"
#include "schedules/schedulestore.h"

#include <QSqlDriver>
#include <QSqlQuery>
#include <QTimer>

#include <algorithm>

namespace hcm {

class SchedulerCore final : public QObject {
    Q_OBJECT
public:
    SchedulerCore(Scheduler::Options options, Scheduler *owner)
        : m_options(std::move(options))
        , m_store(m_options.db, m_options.clock)
        , m_owner(owner)
    {}

    Q_INVOKABLE void init()
    {
        m_timer = new QTimer(this);
        m_timer->setSingleShot(true);
        m_timer->setTimerType(Qt::PreciseTimer);
        connect(m_timer, &QTimer::timeout, this, &SchedulerCore::pass);
        connect(ScheduleNotifier::instance(), &ScheduleNotifier::schedulesChanged, this,
                &SchedulerCore::pass);
        if (m_options.db.isPostgres()) {
            listen();
        } else {
            m_dataVersion = dataVersion(); // what this pass sees; only later commits count
            m_changePoll = new QTimer(this);
            connect(m_changePoll, &QTimer::timeout, this, &SchedulerCore::checkOtherProcesses);
            m_changePoll->start(m_options.sqliteChangePollMs);
        }
        pass();
    }

    Q_INVOKABLE void shutdown()
    {
        delete m_timer;
        m_timer = nullptr;
        delete m_changePoll;
        m_changePoll = nullptr;
        disconnect(ScheduleNotifier::instance(), nullptr, this, nullptr);
        if (auto conn = Database::connection(m_options.db); conn && m_listening)
            conn.value().driver()->unsubscribeFromNotification(QString::fromLatin1(kScheduleChannel));
        Database::closeThreadConnections();
    }

    Q_INVOKABLE void pass()
    {
        if (!m_timer)
            return;
        if (m_options.db.isPostgres() && !m_listening)
            listen();
        if (auto filled = m_store.fillMissingNextRuns(); !filled)
            return failed(filled.error().message);
        int due = 0;
        int made = 0;
        int statements = 0;
        QList<qint64> ids;
        for (;;) {
            auto report = m_store.claimDue(m_options.batch);
            if (!report)
                return failed(report.error().message);
            due += report->due;
            made += report->made;
            statements += report->statements;
            ids += report->jobIds;
            if (report->due < m_options.batch)
                break;
        }
        if (made > 0) {
            emit JobNotifier::instance()->jobsEnqueued(made);
            emit JobNotifier::instance()->jobsChanged(ids);
            qCDebug(lcJobs) << "scheduler made" << made << "jobs for" << due << "due slots";
        }
        if (due > 0)
            emit m_owner->passFinished(due, made, statements);
        arm();
    }

private:
    void arm()
    {
        auto earliest = m_store.earliestDue();
        if (!earliest)
            return failed(earliest.error().message);
        const auto now = m_store.now();
        if (!now)
            return failed(now.error().message);
        qint64 delay = m_options.safetyPollMs;
        if (earliest->has_value())
            delay = std::clamp<qint64>(earliest->value() - *now, 0, m_options.safetyPollMs);
        m_timer->start(int(delay));
    }

    void failed(const QString &message)
    {
        qCWarning(lcJobs).noquote() << "scheduler:" << message;
        emit m_owner->errorOccurred(message);
        if (m_timer)
            m_timer->start(qMin(5000, m_options.safetyPollMs)); // try again
    }

    void listen()
    {
        auto conn = Database::connection(m_options.db);
        if (!conn)
            return;
        QSqlDriver *driver = conn.value().driver();
        m_listening = driver->subscribeToNotification(QString::fromLatin1(kScheduleChannel));
        if (m_listening)
            connect(driver, &QSqlDriver::notification, this, &SchedulerCore::pass, Qt::UniqueConnection);
    }

    // SQLite: another process committed (hcmctl changed a schedule, another worker claimed a slot):
    // only the next wake-up is read again; a claim waits for it.
    qint64 dataVersion()
    {
        auto conn = Database::connection(m_options.db);
        if (!conn)
            return -1;
        QSqlQuery q(conn.value());
        if (!q.exec(QStringLiteral("PRAGMA data_version")) || !q.next())
            return -1;
        return q.value(0).toLongLong();
    }

    void checkOtherProcesses()
    {
        const qint64 version = dataVersion();
        if (version >= 0 && version != m_dataVersion) {
            m_dataVersion = version;
            if (m_timer)
                arm();
        }
    }

    Scheduler::Options m_options;
    ScheduleStore m_store;
    Scheduler *m_owner;
    QTimer *m_timer = nullptr;
    QTimer *m_changePoll = nullptr;
    bool m_listening = false;
    qint64 m_dataVersion = -1;
};

Scheduler::Scheduler(Options options, QObject *parent)
    : QObject(parent)
    , m_core(new SchedulerCore(std::move(options), this))
{
    m_thread.setObjectName(QStringLiteral("scheduler"));
    m_core->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_core, &QObject::deleteLater);
}

Scheduler::~Scheduler()
{
    stop();
    if (m_core && !m_thread.isFinished())
        delete m_core;
}

void Scheduler::start()
{
    if (m_thread.isRunning())
        return;
    QSqlDatabase::drivers(); // QTBUG-112961: touch the driver registry before another thread opens one
    m_thread.start();
    QMetaObject::invokeMethod(m_core, "init", Qt::QueuedConnection);
}

void Scheduler::stop()
{
    if (!m_thread.isRunning())
        return;
    QMetaObject::invokeMethod(m_core, "shutdown", Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
    m_core = nullptr; // deleted by the thread's finished signal
}

void Scheduler::wake()
{
    if (m_core)
        QMetaObject::invokeMethod(m_core, "pass", Qt::QueuedConnection);
}

void Scheduler::passAndWait()
{
    if (m_core && m_thread.isRunning())
        QMetaObject::invokeMethod(m_core, "pass", Qt::BlockingQueuedConnection);
}

} // namespace hcm

#include "scheduler.moc"
