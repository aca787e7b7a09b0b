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
    switch (status) {
    case JobStatus::Queued:
        return icon("status-queued");
    case JobStatus::Processing:
        return icon("status-processing");
    case JobStatus::Completed:
        return icon("status-completed");
    case JobStatus::Failed:
        return icon("status-failed");
    case JobStatus::Cancelled:
        return icon("status-cancelled");
    }
    return {};
}

QIcon allStatusesIcon()
{
    return icon("status-all");
}

QColor statusColor(JobStatus status, bool retrying)
{
    if (retrying && status == JobStatus::Queued)
        return QColor(0xb4, 0x53, 0x09);
    switch (status) {
    case JobStatus::Queued:
        return QColor(0x4b, 0x55, 0x63);
    case JobStatus::Processing:
        return QColor(0x1d, 0x4e, 0xd8);
    case JobStatus::Completed:
        return QColor(0x15, 0x80, 0x3d);
    case JobStatus::Failed:
        return QColor(0xb9, 0x1c, 0x1c);
    case JobStatus::Cancelled:
        return QColor(0x6b, 0x72, 0x80);
    }
    return {};
}

} // namespace hcm::ui
