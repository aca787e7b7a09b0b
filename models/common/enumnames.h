#pragma once

#include <QString>

#include <optional>
#include <span>

namespace hcm {

// The stable names of an enum whose values are consecutive (0, 1, 2, … unless `first` says where they
// start): what the database, JSON and the command line spell ("queued", "starttls"), one array in value
// order instead of a switch and a loop per enum.
template<typename E> class EnumNames final {
public:
    constexpr explicit EnumNames(std::span<const char *const> names, E first = E{})
        : m_names(names)
        , m_first(static_cast<long long>(first))
    {}

    // Empty for a value outside the array (a number cast from outside).
    QString name(E value) const { return QString::fromLatin1(text(value)); }

    // The name of `value`, or of `fallback` where `value` is outside the array.
    QString name(E value, E fallback) const { return contains(value) ? name(value) : name(fallback); }

    // The value named `text`, whatever its case; nullopt for any other text.
    std::optional<E> value(const QString &text) const
    {
        for (size_t i = 0; i < m_names.size(); ++i) {
            if (text.compare(QLatin1String(m_names[i]), Qt::CaseInsensitive) == 0)
                return static_cast<E>(static_cast<long long>(i) + m_first);
        }
        return std::nullopt;
    }

    // The untranslated name (or title) of `value`, for QCoreApplication::translate; "" outside the array.
    const char *text(E value) const { return contains(value) ? m_names[index(value)] : ""; }

private:
    long long index(E value) const { return static_cast<long long>(value) - m_first; }
    bool contains(E value) const
    {
        return index(value) >= 0 && index(value) < static_cast<long long>(m_names.size());
    }

    std::span<const char *const> m_names;
    long long m_first;
};

} // namespace hcm
