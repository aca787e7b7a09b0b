#pragma once

#include <QString>

#include <optional>
#include <utility>
#include <variant>

namespace hcm {

// What went wrong, in words an admin can act on. `code` lets callers (hcmctl exit codes, HTTP status
// codes later) react without parsing the message.
struct Error {
    enum class Code {
        Invalid,   // bad input: nothing was written
        NotFound,  // the object does not exist
        Conflict,  // the object is in a state that forbids the action
        Database,  // the database failed or is unusable
        Io,        // a file could not be read or written
        Cancelled, // the operation was cancelled
        Timeout,   // the operation ran out of time
        External,  // a provider (SMTP, HTTP) failed
        Forbidden, // the actor's role may not do this: nothing was changed
    };
    Code code = Code::Invalid;
    QString message;
};

// A value or an Error. Small on purpose: std::expected is C++23.
template<typename T> class [[nodiscard]] Result {
public:
    Result(T value)
        : m_data(std::move(value))
    {}
    Result(Error error)
        : m_data(std::move(error))
    {}

    bool ok() const { return std::holds_alternative<T>(m_data); }
    explicit operator bool() const { return ok(); }
    const T &value() const & { return std::get<T>(m_data); }
    T &value() & { return std::get<T>(m_data); }
    // By value: `for (x : f().value())` must not bind to a temporary that dies before the loop.
    T value() && { return std::get<T>(std::move(m_data)); }
    const T &operator*() const & { return value(); }
    const T *operator->() const { return &value(); }
    const Error &error() const { return std::get<Error>(m_data); }

private:
    std::variant<T, Error> m_data;
};

// For operations that return nothing but may fail.
class [[nodiscard]] Status {
public:
    Status() = default;
    Status(Error error)
        : m_error(std::move(error))
    {}
    bool ok() const { return !m_error.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error &error() const { return *m_error; }

private:
    std::optional<Error> m_error;
};

} // namespace hcm
