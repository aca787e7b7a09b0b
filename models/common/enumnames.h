#pragma once

#include <QString>

#include <optional>
#include <span>

namespace hcm {

// The stable names of an enum whose values are 0, 1, 2, …: what the database, JSON and the command
// line spell ("queued", "starttls"), one array in value order instead of a switch and a loop per enum.
template<typename E> class EnumNames final {
public:
    constexpr explicit EnumNames(std::span<const char *const> names)
        : m_names(names)
    {}

    QString name(E value) const
    {
        const auto i = static_cast<size_t>(value);
        return i < m_names.size() ? QString::fromLatin1(m_names[i]) : QString();
    }

    // The value named `text`, whatever its case; nullopt for any other text.
    std::optional<E> value(const QString &text) const
    {
        for (size_t i = 0; i < m_names.size(); ++i) {
            if (text.compare(QLatin1String(m_names[i]), Qt::CaseInsensitive) == 0)
                return static_cast<E>(i);
        }
        return std::nullopt;
    }

    // The untranslated name (or title) of `value`, for QCoreApplication::translate.
    const char *text(E value) const
    {
        const auto i = static_cast<size_t>(value);
        return i < m_names.size() ? m_names[i] : "";
    }

private:
    std::span<const char *const> m_names;
};

} // namespace hcm
