#include "writegroup.h"

#include "db/database.h"
#include "db/sqlitestatement.h"

#include <QCoreApplication>

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

// One per database file: the pieces waiting for the next transaction, and whether one is running.
struct Group {
    std::mutex mutex;
    std::condition_variable finished;
    std::vector<Piece *> pending;
    bool leading = false;
};

Group &groupFor(const DbConfig &config)
{
    static std::mutex mutex;
    static std::map<QString, std::unique_ptr<Group>> groups;
    const std::lock_guard lock(mutex);
    std::unique_ptr<Group> &group = groups[config.sqlitePath];
    if (!group)
        group = std::make_unique<Group>();
    return *group;
}

// While this thread leads a group: the connection of its transaction (a group of several pieces) and the
// piece it runs now.
thread_local bool t_leading = false;
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
    t_leading = true;
    if (batch.size() == 1) {
        // Alone: the piece's own transactions, committed as they go; afterCommit() runs at once.
        batch.front()->result = (*batch.front()->work)();
    } else if (const Status group = runTogether(config, batch); !group) {
        for (Piece *p : batch) {
            p->after.clear();
            if (p->result)
                p->result = group;
        }
    }
    t_leading = false;
}

} // namespace

Status WriteGroup::run(const DbConfig &config, const std::function<Status()> &work)
{
    // PostgreSQL has many writers; a piece that writes again runs inside its own group.
    if (!config.isSqlite() || t_leading)
        return work();
    Group &group = groupFor(config);
    Piece me;
    me.work = &work;
    std::unique_lock lock(group.mutex);
    group.pending.push_back(&me);
    while (!me.done) {
        if (group.leading) {
            group.finished.wait(lock);
            continue;
        }
        // This thread's piece is still pending (a running group would have finished it): it leads the
        // next group with every piece that arrived meanwhile.
        group.leading = true;
        std::vector<Piece *> batch;
        batch.swap(group.pending);
        lock.unlock();
        lead(config, batch);
        lock.lock();
        for (Piece *p : batch)
            p->done = true;
        group.leading = false;
        group.finished.notify_all();
    }
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
    Group &group = groupFor(config);
    const std::lock_guard lock(group.mutex);
    return int(group.pending.size());
}

} // namespace hcm
