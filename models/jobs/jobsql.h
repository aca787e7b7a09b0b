#pragma once

// What the parts of the job store (JobQueue, JobReads, WorkerRegistry, JobAdmin) share, and nobody
// else uses: the connection preamble, "now" in SQL, the job row's columns, the filters' WHERE clause
// and the mappings of a row to a Job, a JobAttempt and a JobTransition.

#include "common/clock.h"
#include "common/error.h"
#include "db/database.h"
#include "db/dbconfig.h"
#include "jobs/jobstoretypes.h"
#include "jobs/retrypolicy.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QSqlRecord>

#include <memory>
#include <type_traits>

namespace hcm {

struct JobEvent;

// The state every part of the job store holds: the database, the clock and the retry policy. Holds no
// connection and is cheap to copy into any thread.
class JobSqlContext final {
public:
    JobSqlContext(DbConfig config, std::shared_ptr<Clock> clock, RetryPolicy retry);

    const DbConfig &config() const { return m_config; }
    const std::shared_ptr<Clock> &clock() const { return m_clock; }
    const RetryPolicy &retryPolicy() const { return m_retry; }
    // True when timestamps come from the database server's clock (PostgreSQL with the system clock).
    bool usesDatabaseTime() const { return m_databaseTime; }

    // "Now" for one operation: SQL text (the server's clock, or the injected clock's value as a
    // literal) and the local clock's value, which turns worker times into ages. `queue` names the table
    // that holds queued and running jobs: job_queue on PostgreSQL (migration 009), background_jobs on
    // SQLite. withNow() puts both into a statement ({now}, {queue}).
    struct Now {
        QString sql;
        qint64 ms = 0;
        QLatin1String queue;
    };
    Now now() const;
    static QString withNow(QString sql, const Now &now);

    // Runs `work(QSqlDatabase &)` on the calling thread's own connection, or returns why there is none.
    template<typename F> auto withDb(F &&work) const -> std::invoke_result_t<F, QSqlDatabase &>
    {
        auto conn = Database::connection(m_config);
        if (!conn)
            return conn.error();
        QSqlDatabase d = conn.value();
        return work(d);
    }
    // The same inside one write transaction, committed when `work` succeeds and rolled back otherwise.
    template<typename F> auto inTransaction(F &&work) const -> std::invoke_result_t<F, QSqlDatabase &>
    {
        using R = std::invoke_result_t<F, QSqlDatabase &>;
        return withDb([&](QSqlDatabase &d) -> R {
            Transaction tx(d);
            if (auto st = tx.begin(); !st)
                return st.error();
            R r = work(d);
            if (!r)
                return r;
            if (auto st = tx.commit(); !st)
                return st.error();
            return r;
        });
    }

    // True when other processes hear about changes on a channel (PostgreSQL's LISTEN/NOTIFY); SQLite's
    // processes notice them by polling.
    bool hasChannel() const { return m_config.isPostgres(); }
    // PostgreSQL: sends `event` on the job channel inside the caller's transaction (delivered at commit,
    // dropped on rollback). SQLite has no channel: other processes notice changes by polling.
    Status announce(QSqlDatabase &d, const JobEvent &event) const;

private:
    DbConfig m_config;
    std::shared_ptr<Clock> m_clock;
    RetryPolicy m_retry;
    bool m_databaseTime = false;
};

namespace jobsql {

// The columns of a job row that move with it between job_queue and job_archive (PostgreSQL).
const QString &jobColumns();
// What reads of whole jobs select, in the order jobFromRow() reads them: jobColumns() and the code of
// the error (migration 018).
const QString &jobReadColumns();
// A job row selected as jobReadColumns(), from column `first` on.
Job jobFromRow(const QSqlQuery &q, int first = 0);
// The columns of an attempt row, in the order attemptFromRow() reads them (`prefix`: a table alias
// with its dot).
QString attemptColumns(const QString &prefix = {});
// An attempt row selected as attemptColumns(), from column `first` on.
JobAttempt attemptFromRow(const QSqlQuery &q, int first = 0);
// The error columns (error_message or error, error_code, error_args) of an outcome, bound in order.
JobError errorOf(const JobOutcome &o);
void bindError(QSqlQuery &q, const JobError &e);

// A job's new state as a statement returns it, read by column name: id, job_type, retry_count,
// max_retries, run_at, and status when the statement returns it. Looked up once per statement.
class TransitionColumns final {
public:
    explicit TransitionColumns(const QSqlQuery &q);
    // `status` when the statement has no status column (a completion batch returns the row it moved).
    JobTransition read(const QSqlQuery &q, JobStatus status = JobStatus::Queued) const;
    // Another column of the same statement, by name.
    int indexOf(const char *name) const;

private:
    QSqlRecord m_record;
    int m_id, m_type, m_status, m_retryCount, m_maxRetries, m_runAt;
};

QJsonObject parseObject(const QVariant &v);
QString compactJson(const QJsonObject &o);
qint64 msOrZero(const QVariant &v);
JobStatus statusOf(const QVariant &v);
QVariant nullInt64();
// A value as an SQL literal, escaped by the driver (PostgreSQL statements sent without PREPARE).
QString literal(const QSqlDatabase &db, const QVariant &value);

// WHERE clause and bound values for a filter (its statuses only `withStatuses`). Values are always
// bound, never spliced into SQL.
struct Where {
    QString sql;
    QVariantList values;
};
Where whereFor(const JobFilter &f, bool withStatuses);
QString sortExpression(JobSortColumn column);
void bindAll(QSqlQuery &q, const QVariantList &values);

} // namespace jobsql

} // namespace hcm
