#pragma once

#include <QString>

#include <utility>
#include <variant>

namespace Tollgate {

// A failure as a value: what went wrong, in words a person can act on.
// Config errors carry the file and line they refer to.
struct Error
{
    QString message;
    QString file;
    int line = 0;

    // "file:line: message" when a location is known, else the message alone.
    [[nodiscard]] QString toString() const
    {
        if (file.isEmpty())
            return message;
        if (line > 0)
            return file + u':' + QString::number(line) + u": " + message;
        return file + u": " + message;
    }
};

// std::expected-like result (C++23's is not in GCC 12's C++20 mode).
// Fallible calls return this instead of throwing or filling an out-parameter.
template<typename T>
class [[nodiscard]] Result
{
public:
    Result(T value) : m_data(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : m_data(std::in_place_index<1>, std::move(error)) {}

    [[nodiscard]] bool ok() const { return m_data.index() == 0; }
    explicit operator bool() const { return ok(); }

    [[nodiscard]] const T &value() const & { return std::get<0>(m_data); }
    [[nodiscard]] T &value() & { return std::get<0>(m_data); }
    [[nodiscard]] T &&value() && { return std::get<0>(std::move(m_data)); }
    const T &operator*() const & { return value(); }
    T &operator*() & { return value(); }
    const T *operator->() const { return &value(); }
    T *operator->() { return &value(); }

    [[nodiscard]] const Error &error() const { return std::get<1>(m_data); }

private:
    std::variant<T, Error> m_data;
};

template<>
class [[nodiscard]] Result<void>
{
public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)), m_ok(false) {}

    [[nodiscard]] bool ok() const { return m_ok; }
    explicit operator bool() const { return m_ok; }
    [[nodiscard]] const Error &error() const { return m_error; }

private:
    Error m_error;
    bool m_ok = true;
};

inline Error makeError(QString message, QString file = {}, int line = 0)
{
    return Error{std::move(message), std::move(file), line};
}

} // namespace Tollgate
