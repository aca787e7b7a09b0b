#include "writegroup.h"

#include "db/database.h"
#include "db/sqlitestatement.h"

#include <QCoreApplication>
#include <QThread>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include <sqlite3.h>

namespace hcm {

namespace {

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::Database)
};

struct Piece {
    const std::function<Status()> *work = nullptr;
    Status result;
    bool done = false;
    std::vector<std::function<void()>> after;
};

// One per database file: its writer thread, and the pieces waiting for its next transaction.
struct Group {
    std::mutex mutex;
    std::condition_variable arrived;  // the writer waits for pieces
    std::condition_variable finished; // the callers wait for their piece
    std::vector<Piece *> pending;
    std::unique_ptr<QThread> writer;
    bool running = false; // the writer takes pieces (false: not started, idle too long, or stopped)
    bool stopping = false;
};

std::mutex g_groupsMutex;
std::map<QString, std::unique_ptr<Group>> g_groups;
bool g_shutDown = false; // the writers were stopped: no new group (nothing would stop its writer)

// The group of `config`'s file; nullptr once the writers were stopped.
Group *groupFor(const DbConfig &config)
{
    const std::lock_guard lock(g_groupsMutex);
    if (g_shutDown)
        return nullptr;
    std::unique_ptr<Group> &group = g_groups[config.sqlitePath];
    if (!group)
        group = std::make_unique<Group>();
    return group.get();
}

// On a writer thread: that it is one, the connection of a group's transaction (several pieces) and the
// piece it runs now.
thread_local bool t_writer = false;
thread_local QString t_connection;
thread_local Piece *t_piece = nullptr;

bool inTransaction(const QSqlDatabase &db)
{
    sqlite3 *handle = sqliteHandle(db);
    return handle && sqlite3_get_autocommit(handle) == 0;
}

// Runs the pieces of several threads in one transaction on this thread's connection. Returns the
// group's error (nothing of it was written), or success: each piece has its own result then.
Status runTogether(const DbConfig &config, const std::vector<Piece *> &batch)
{
    auto conn = Database::connection(config);
    if (!conn)
        return conn.error();
    QSqlDatabase db = conn.value();
    if (auto st = Sql::runFixed(db, "BEGIN IMMEDIATE", Tr::tr("starting a transaction")); !st)
        return st;
    Status group;
    t_connection = db.connectionName();
    for (Piece *p : batch) {
        t_piece = p;
        group = Sql::runFixed(db, "SAVEPOINT hcm_group", Tr::tr("starting a transaction"));
        if (!group)
            break;
        p->result = (*p->work)();
        if (!inTransaction(db)) {
            // An error that ends the transaction (SQLite rolls back on a full disk, an I/O error): what
            // the pieces before wrote is gone with it.
            group = p->result ? Status(Error{Error::Code::Database,
                                             Tr::tr("The database ended the transaction unexpectedly.")})
                              : p->result;
            break;
        }
        if (p->result) {
            group = Sql::runFixed(db, "RELEASE hcm_group", Tr::tr("committing"));
        } else {
            p->after.clear();
            group = Sql::runFixed(db, "ROLLBACK TO hcm_group", Tr::tr("rolling back"));
            if (group)
                group = Sql::runFixed(db, "RELEASE hcm_group", Tr::tr("rolling back"));
        }
        if (!group)
            break;
    }
    t_piece = nullptr;
    t_connection.clear();
    if (group)
        group = Sql::runFixed(db, "COMMIT", Tr::tr("committing"));
    if (!group && inTransaction(db))
        (void)Sql::runFixed(db, "ROLLBACK", Tr::tr("rolling back"));
    return group;
}

void lead(const DbConfig &config, const std::vector<Piece *> &batch)
{
    if (batch.size() == 1) {
        // Alone: the piece's own transactions, committed as they go.
        t_piece = batch.front();
        batch.front()->result = (*batch.front()->work)();
        t_piece = nullptr;
        if (!batch.front()->result)
            batch.front()->after.clear();
    } else if (const Status group = runTogether(config, batch); !group) {
        for (Piece *p : batch) {
            p->after.clear();
            if (p->result)
                p->result = group;
        }
    }
}

// A writer leaves after this long without a piece (its connection closed); the next piece starts another.
constexpr auto kWriterIdle = std::chrono::seconds(30);

void writerLoop(Group &group, const DbConfig config)
{
    t_writer = true;
    std::unique_lock lock(group.mutex);
    while (true) {
        if (group.pending.empty() && !group.stopping && !group.arrived.wait_for(lock, kWriterIdle, [&] {
                return !group.pending.empty() || group.stopping;
            }))
            break; // idle
        if (group.pending.empty())
            break; // stopping, nothing left
        std::vector<Piece *> batch;
        batch.swap(group.pending);
        lock.unlock();
        lead(config, batch);
        lock.lock();
        for (Piece *p : batch)
            p->done = true;
        group.finished.notify_all();
    }
    group.running = false;
    lock.unlock();
    Database::closeThreadConnections();
}

// Stops every writer: before the application object goes (their connections are closed on their own
// threads while Qt's SQL registry is still there).
void stopWriters()
{
    std::vector<Group *> groups;
    {
        const std::lock_guard lock(g_groupsMutex);
        g_shutDown = true;
        for (auto &[path, group] : g_groups)
            groups.push_back(group.get());
    }
    // Waited for without g_groupsMutex: a piece that is still running may look up a group.
    for (Group *group : groups) {
        {
            const std::lock_guard lock(group->mutex);
            group->stopping = true;
        }
        group->arrived.notify_all();
        if (group->writer)
            group->writer->wait();
        group->writer.reset();
    }
}

} // namespace

Status WriteGroup::run(const DbConfig &config, const std::function<Status()> &work)
{
    // PostgreSQL has many writers; a piece that writes again runs inside its own group; without an
    // application object there is nothing to stop a writer thread at exit.
    if (!config.isSqlite() || t_writer || !QCoreApplication::instance())
        return work();
    Group *found = groupFor(config);
    if (!found)
        return Error{Error::Code::Database, Tr::tr("The program is shutting down; the change was not made.")};
    Group &group = *found;
    Piece me;
    me.work = &work;
    std::unique_lock lock(group.mutex);
    if (group.stopping)
        return Error{Error::Code::Database, Tr::tr("The program is shutting down; the change was not made.")};
    if (!group.running) {
        static std::once_flag once;
        std::call_once(once, [] { qAddPostRoutine(stopWriters); });
        if (group.writer)
            group.writer->wait(); // one that left idle
        group.writer.reset(QThread::create(writerLoop, std::ref(group), config));
        group.writer->setObjectName(QStringLiteral("hcm-writer"));
        group.running = true;
        group.writer->start();
    }
    group.pending.push_back(&me);
    group.arrived.notify_one();
    group.finished.wait(lock, [&] { return me.done; });
    lock.unlock();
    for (const auto &then : me.after)
        then();
    return me.result;
}

void WriteGroup::afterCommit(std::function<void()> then)
{
    if (t_piece)
        t_piece->after.push_back(std::move(then));
    else
        then();
}

bool WriteGroup::holds(const QSqlDatabase &db)
{
    return !t_connection.isEmpty() && db.connectionName() == t_connection;
}

int WriteGroup::waiting(const DbConfig &config)
{
    if (!config.isSqlite())
        return 0;
    Group *group = groupFor(config);
    if (!group)
        return 0;
    const std::lock_guard lock(group->mutex);
    return int(group->pending.size());
}

} // namespace hcm
