#include "statusicons.h"

#include <QHash>

namespace hcm::ui {

QIcon icon(const char *name)
{
    static QHash<QString, QIcon> cache;
    const QString key = QString::fromLatin1(name);
    auto it = cache.find(key);
    if (it == cache.end())
        it = cache.insert(key, QIcon(QStringLiteral(":/icons/%1.svg").arg(key)));
    return it.value();
}

QColor readableOn(const QColor &color, const QPalette &palette)
{
    return palette.color(QPalette::Window).lightness() < 128 ? color.lighter(170) : color;
}

QColor invalidFieldBase(const QPalette &palette)
{
    const QColor base = palette.color(QPalette::Base);
    const QColor red = readableOn(statusColor(JobStatus::Failed), palette);
    const double t = base.lightness() < 128 ? 0.25 : 0.09;
    return QColor::fromRgbF(float(base.redF() * (1 - t) + red.redF() * t),
                            float(base.greenF() * (1 - t) + red.greenF() * t),
                            float(base.blueF() * (1 - t) + red.blueF() * t));
}

QIcon statusIcon(JobStatus status, bool retrying)
{
    if (retrying && status == JobStatus::Queued)
        return icon("status-retrying");
    // The icons are named after the statuses' stable names: status-queued, status-processing, …
    const QString name = toString(status);
    return name.isEmpty() ? QIcon() : icon(QByteArray("status-" + name.toLatin1()).constData());
}

QIcon allStatusesIcon()
{
    return icon("status-all");
}

QColor statusColor(JobStatus status, bool retrying)
{
    if (retrying && status == JobStatus::Queued)
        return QColor(0xb4, 0x53, 0x09);
    // Queued, processing, completed, failed, cancelled (JobStatus's order).
    static constexpr QRgb kColors[] = {0x4b5563, 0x1d4ed8, 0x15803d, 0xb91c1c, 0x6b7280};
    static_assert(std::size(kColors) == kJobStatusCount);
    const auto i = static_cast<size_t>(status);
    return i < std::size(kColors) ? QColor(kColors[i]) : QColor();
}

} // namespace hcm::ui
