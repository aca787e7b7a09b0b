#pragma once

#include "common/error.h"
#include "db/dbconfig.h"

#include <QSqlDatabase>

#include <functional>

namespace hcm {

// Group commit for SQLite, which has one writer per file. Threads of this process that write (the HTTP
// API's request pool) hand their pieces of work to the database's writer thread, which runs every piece
// that has arrived meanwhile in one transaction, each in a savepoint of its own, and commits once. The
// commit's cost (its pages in the WAL, the locks) is shared by the group; the threads never meet in
// SQLite's busy handler, which sleeps 1, 2, 5, 10 … ms between tries; and the one connection that writes
// keeps its page cache (SQLite drops a connection's cache whenever another one has written).
//
// - A piece that fails (returns an error) rolls back its own changes only; the others commit. (Alone, a
//   piece's own transactions decide: what it committed before failing stays. A piece must not write
//   what is meant to outlive its own failure.)
// - A piece finishes its statements (reads to the end or resets them): a statement still running makes
//   the savepoint's RELEASE fail, and with it the whole group.
// - When the transaction as a whole fails (BEGIN, COMMIT, or an error that ends it), every piece of it
//   gets that error and nothing of the group is written.
// - A piece runs on the writer thread and its connection (Database::connection(), so Transaction,
//   Sql::cached and the stores work unchanged inside it; their transactions become savepoints). It runs
//   once, while its caller waits, so it may use the caller's locals by reference. It must not wait for
//   its caller's thread.
// - Effects that must wait for the data to be visible to others (a wake-up of workers) are handed to
//   afterCommit(): they run once the piece's transaction has committed, on the caller's thread.
// - A group of one piece is that piece alone, in its own transactions, as without the group.
// - The writer thread starts with the first piece, leaves after 30 s without one, and is stopped before
//   the application object goes.
// On PostgreSQL, which has many writers, the piece runs at once on the calling thread.
class WriteGroup final {
public:
    WriteGroup() = delete;

    // Runs `work` as described above and returns its status, or the group's error; once the transaction
    // that held it has committed or failed.
    static Status run(const DbConfig &config, const std::function<Status()> &work);
    // `then` runs after the commit of the piece that is running on this thread; at once when this thread
    // is not running a piece of a group. Dropped when the piece or its transaction fails.
    static void afterCommit(std::function<void()> then);
    // True when `db` is the connection on which this thread runs a group's transaction now: a
    // Transaction on it is a savepoint.
    static bool holds(const QSqlDatabase &db);
    // How many pieces wait for the next transaction on this database (the one running not counted).
    static int waiting(const DbConfig &config);
};

} // namespace hcm
