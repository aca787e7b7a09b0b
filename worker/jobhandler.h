#pragma once

#include "jobs/joberror.h"
#include "worker/jobcontext.h"

#include <QJsonObject>
#include <QString>

#include <map>
#include <memory>

namespace hcm {

// What a handler returns: a result object on success, or an error. `retryable` false means retrying
// cannot help (bad payload, missing configuration) and the job fails at once. A message the handler
// makes itself is coded (JobError::make: stored with its code and arguments, shown in the reader's
// language); a provider's or the database's text is passed on as it is.
struct HandlerResult {
    bool ok = true;
    QJsonObject result;
    QString error; // English
    bool retryable = true;
    QString errorCode{}; // the catalogue code of `error`, empty for a text passed on
    QJsonObject errorArgs{};

    JobError errorDetail() const { return JobError{errorCode, errorArgs, error}; }

    static HandlerResult success(QJsonObject result)
    {
        return HandlerResult{true, std::move(result), {}, true};
    }
    // A text the program did not make (a provider's answer, a database error): shown as it is.
    static HandlerResult failure(QString error, bool retryable = true)
    {
        return HandlerResult{false, {}, std::move(error), retryable};
    }
    static HandlerResult failure(const JobError &error, bool retryable = true)
    {
        return HandlerResult{false, {}, error.text, retryable, error.code, error.args};
    }
};

// Executes one job type. Handlers run on pool threads, several at once: they keep no mutable state,
// open their own database connection (Database::connection) when they need one, and check
// ctx.isStopRequested() between units of work.
class JobHandler {
public:
    virtual ~JobHandler() = default;
    virtual HandlerResult run(JobContext &ctx) = 0;
};

// Maps a job type to its handler. Filled at start, read-only afterwards.
class HandlerRegistry final {
public:
    void add(const QString &type, std::shared_ptr<JobHandler> handler)
    {
        m_handlers[type] = std::move(handler);
    }
    JobHandler *find(const QString &type) const
    {
        const auto it = m_handlers.find(type);
        return it == m_handlers.end() ? nullptr : it->second.get();
    }
    QStringList types() const
    {
        QStringList out;
        for (const auto &[type, handler] : m_handlers)
            out.append(type);
        return out;
    }

    // Every handler the program ships: the five job types, and the diagnostic types when enabled.
    static HandlerRegistry standard();

private:
    std::map<QString, std::shared_ptr<JobHandler>> m_handlers;
};

} // namespace hcm
