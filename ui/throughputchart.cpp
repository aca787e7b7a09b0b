#include "throughputchart.h"

#include "ui/statusicons.h"

#include <QDateTime>
#include <QHelpEvent>
#include <QLocale>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <cmath>

namespace hcm::ui {

namespace {

constexpr int kMargin = 6;

// The smallest 1, 2, 2.5 or 5 times a power of ten that is at least `value` (whole numbers only).
int niceCeil(double value)
{
    if (value <= 1)
        return 1;
    const double magnitude = std::pow(10.0, std::floor(std::log10(value)));
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
        const double candidate = m * magnitude;
        if (candidate >= value && candidate == std::floor(candidate))
            return int(candidate);
    }
    return int(10 * magnitude);
}

} // namespace

ThroughputChart::ThroughputChart(QWidget *parent)
    : QWidget(parent)
{
    setMouseTracking(true);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    //: accessible name of the chart of finished jobs per minute
    setAccessibleName(tr("Throughput"));
}

void ThroughputChart::setData(const Throughput &throughput)
{
    m_data = throughput;
    // Both series are drawn per bucket: keep them the same length.
    const qsizetype n = qMax(m_data.completed.size(), m_data.failed.size());
    m_data.completed.resize(n, 0);
    m_data.failed.resize(n, 0);
    m_hover = qMin<int>(m_hover, int(n) - 1);
    setAccessibleDescription(tr("Completed %1 · Failed %2").arg(totalCompleted()).arg(totalFailed()));
    updateGeometry(); // the legend's numbers decide the least width
    update();
}

qint64 ThroughputChart::totalCompleted() const
{
    qint64 n = 0;
    for (int v : m_data.completed)
        n += v;
    return n;
}

qint64 ThroughputChart::totalFailed() const
{
    qint64 n = 0;
    for (int v : m_data.failed)
        n += v;
    return n;
}

QStringList ThroughputChart::legendTexts() const
{
    const QLocale locale;
    return {tr("Completed %1").arg(locale.toString(totalCompleted())),
            tr("Failed %1").arg(locale.toString(totalFailed()))};
}

int ThroughputChart::legendItemWidth(const QString &text) const
{
    const QFontMetrics fm = fontMetrics();
    return fm.ascent() - 2 + 5 + fm.horizontalAdvance(text);
}

int ThroughputChart::legendLines() const
{
    const QStringList texts = legendTexts();
    const int oneLine = legendItemWidth(texts.at(0)) + 12 + legendItemWidth(texts.at(1));
    return oneLine <= width() - 2 * kMargin ? 1 : 2;
}

QSize ThroughputChart::sizeHint() const
{
    return {qMax(260, minimumSizeHint().width()), 140};
}

QSize ThroughputChart::minimumSizeHint() const
{
    const QStringList texts = legendTexts();
    return {qMax(120, qMax(legendItemWidth(texts.at(0)), legendItemWidth(texts.at(1))) + 2 * kMargin),
            100 + fontMetrics().height()};
}

ThroughputChart::Geometry ThroughputChart::geometry() const
{
    const QFontMetrics fm = fontMetrics();
    Geometry g;
    int peak = 0;
    for (qsizetype i = 0; i < m_data.completed.size(); ++i)
        peak = qMax(peak, m_data.completed.at(i) + m_data.failed.at(i));
    // Two or three intervals of a nice step, whichever top is closest above the highest bar.
    g.intervals = 2;
    g.step = niceCeil(peak / 2.0);
    if (const int step3 = niceCeil(peak / 3.0); 3 * step3 < 2 * g.step) {
        g.intervals = 3;
        g.step = step3;
    }
    g.maxValue = g.intervals * g.step;
    const int yLabelWidth = fm.horizontalAdvance(QLocale().toString(g.maxValue)) + kMargin;
    const QRect area = rect().adjusted(kMargin, kMargin / 2, -kMargin, -kMargin / 2);
    g.legend = QRect(area.left(), area.top(), area.width(), fm.height() * legendLines());
    g.axisLabels = QRect(area.left(), area.bottom() - fm.height() + 1, area.width(), fm.height());
    const int halfLabel = fm.height() / 2;
    g.plot = QRect(QPoint(area.left() + yLabelWidth, g.legend.bottom() + 6 + halfLabel),
                   QPoint(area.right() - fm.horizontalAdvance(tr("now")) / 2, g.axisLabels.top() - 4));
    return g;
}

int ThroughputChart::bucketAt(const QPoint &pos) const
{
    const qsizetype n = m_data.completed.size();
    const QRect plot = geometry().plot;
    if (n == 0 || pos.x() < plot.left() || pos.x() > plot.right() || pos.y() < plot.top() - 4 ||
        pos.y() > plot.bottom() + 4)
        return -1;
    return qBound(0, int(double(pos.x() - plot.left()) * double(n) / double(plot.width())), int(n) - 1);
}

QString ThroughputChart::tooltipText(int bucket) const
{
    const QDateTime start = QDateTime::fromMSecsSinceEpoch(m_data.firstMinuteMs + qint64(bucket) * 60'000);
    const QLocale locale;
    //: tooltip of one minute's bar: time range, then counts
    return tr("%1–%2\nCompleted %3 · Failed %4")
        .arg(locale.toString(start, QStringLiteral("HH:mm")),
             locale.toString(start.addSecs(60), QStringLiteral("HH:mm")),
             locale.toString(m_data.completed.at(bucket)), locale.toString(m_data.failed.at(bucket)));
}

bool ThroughputChart::event(QEvent *e)
{
    if (e->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(e);
        const int bucket = bucketAt(help->pos());
        if (bucket < 0)
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), tooltipText(bucket), this);
        return true;
    }
    return QWidget::event(e);
}

void ThroughputChart::mouseMoveEvent(QMouseEvent *e)
{
    const int bucket = bucketAt(e->position().toPoint());
    if (bucket != m_hover) {
        m_hover = bucket;
        update();
    }
    QWidget::mouseMoveEvent(e);
}

void ThroughputChart::leaveEvent(QEvent *e)
{
    m_hover = -1;
    update();
    QWidget::leaveEvent(e);
}

void ThroughputChart::drawLegend(QPainter &p, const QRect &rect) const
{
    const QFontMetrics fm = fontMetrics();
    const QLocale locale;
    const int box = fm.ascent() - 2;
    const int minutes = int(m_data.completed.size());
    const QStringList texts = legendTexts();
    const QString &completed = texts.at(0);
    const QString &failed = texts.at(1);
    const bool twoLines = legendLines() == 2;
    const QString period =
        minutes == 60 ? tr("in the last hour") : tr("in the last %n minutes", nullptr, minutes);
    int x = rect.left();
    int top = rect.top();
    const int lineHeight = fm.height();
    auto item = [&](const QColor &color, const QString &text) {
        p.fillRect(QRect(x, top + (lineHeight - box) / 2, box, box), color);
        x += box + 5;
        p.drawText(QRect(x, top, rect.right() - x, lineHeight), Qt::AlignLeft | Qt::AlignVCenter, text);
        x += fm.horizontalAdvance(text) + 12;
    };
    p.setPen(palette().color(QPalette::WindowText));
    item(statusColor(JobStatus::Completed), completed);
    if (twoLines) {
        x = rect.left();
        top += lineHeight;
    }
    item(statusColor(JobStatus::Failed), failed);
    // The period repeats the panel's title: shown when it fits whole, left out rather than cut.
    if (fm.horizontalAdvance(period) <= rect.right() - x) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(QRect(x, top, rect.right() - x, lineHeight), Qt::AlignLeft | Qt::AlignVCenter, period);
    }
}

void ThroughputChart::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    const Geometry g = geometry();
    const QFontMetrics fm = fontMetrics();
    const QColor text = palette().color(QPalette::WindowText);
    const QColor muted = palette().color(QPalette::PlaceholderText);
    QColor grid = text;
    grid.setAlpha(40);
    const qsizetype n = m_data.completed.size();
    const bool empty = totalCompleted() + totalFailed() == 0;

    drawLegend(p, g.legend);

    // Grid lines and y labels: 0, step, 2·step (, 3·step).
    const QLocale locale;
    for (int tick = 0; tick <= g.intervals; ++tick) {
        const int y =
            g.plot.bottom() - int(std::lround(double(g.plot.height()) * tick / double(g.intervals)));
        p.setPen(tick == 0 ? muted : grid);
        p.drawLine(g.plot.left(), y, g.plot.right(), y);
        if (empty && tick > 0)
            continue;
        p.setPen(muted);
        p.drawText(QRect(0, y - fm.height() / 2, g.plot.left() - kMargin, fm.height()),
                   Qt::AlignRight | Qt::AlignVCenter, locale.toString(tick * g.step));
    }

    // X labels: the oldest minute, the middle, now.
    if (n > 0) {
        p.setPen(muted);
        const QString first = tr("−%n min", nullptr, int(n));
        const QString middle = tr("−%n min", nullptr, int(n / 2));
        const QString now = tr("now");
        p.drawText(g.axisLabels.adjusted(g.plot.left() - g.axisLabels.left(), 0, 0, 0),
                   Qt::AlignLeft | Qt::AlignTop, first);
        const int midX = g.plot.left() + g.plot.width() / 2;
        const int midW = fm.horizontalAdvance(middle);
        const int nowW = fm.horizontalAdvance(now);
        // The middle label only where it leaves room on both sides (a narrow column shows the ends).
        const int gap = fm.horizontalAdvance(QLatin1Char(' ')) * 2;
        if (g.plot.left() + fm.horizontalAdvance(first) + gap <= midX - midW / 2 &&
            midX + midW / 2 + gap <= g.plot.right() - nowW / 2)
            p.drawText(QRect(midX - midW / 2, g.axisLabels.top(), midW, g.axisLabels.height()),
                       Qt::AlignCenter, middle);
        p.drawText(QRect(g.plot.right() - nowW / 2, g.axisLabels.top(), nowW, g.axisLabels.height()),
                   Qt::AlignCenter, now);
    }

    if (empty) {
        p.setPen(muted);
        const QString message = n == 0 ? tr("No data") : tr("No jobs finished in this period");
        p.drawText(g.plot, Qt::AlignCenter | Qt::TextWordWrap,
                   message); // wrapped in a narrow column, not cut
        return;
    }

    // Stacked bars: completed from the baseline, failed on top. Integer rectangles, no antialiasing.
    const double slot = double(g.plot.width()) / double(n);
    const int gap = slot >= 4 ? 1 : 0;
    const double scale = double(g.plot.height()) / double(g.maxValue);
    const QColor completedColor = statusColor(JobStatus::Completed);
    const QColor failedColor = statusColor(JobStatus::Failed);
    for (qsizetype i = 0; i < n; ++i) {
        const int x0 = g.plot.left() + int(std::floor(slot * double(i)));
        const int x1 = g.plot.left() + int(std::floor(slot * double(i + 1))) - gap;
        const int w = qMax(1, x1 - x0);
        if (i == m_hover) {
            QColor band = palette().color(QPalette::Highlight);
            band.setAlpha(50);
            p.fillRect(QRect(x0, g.plot.top(), w, g.plot.height()), band);
        }
        const int c = m_data.completed.at(i);
        const int f = m_data.failed.at(i);
        const int hc = c > 0 ? qMax(1, int(std::lround(c * scale))) : 0;
        const int hf = f > 0 ? qMax(1, int(std::lround(f * scale))) : 0;
        if (hc > 0)
            p.fillRect(QRect(x0, g.plot.bottom() - hc + 1, w, hc), completedColor);
        if (hf > 0)
            p.fillRect(QRect(x0, g.plot.bottom() - hc - hf + 1, w, hf), failedColor);
    }
}

} // namespace hcm::ui
