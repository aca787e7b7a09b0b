#include "retrytimeline.h"

#include "ui/statusicons.h"

#include <QEvent>
#include <QPainter>

#include <algorithm>

namespace hcm::ui {

RetryTimeline::RetryTimeline(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("retryTimeline"));
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
}

void RetryTimeline::setEntries(QList<TimelineEntry> entries)
{
    m_entries = std::move(entries);
    QStringList lines;
    for (const TimelineEntry &e : std::as_const(m_entries))
        lines << e.sentence;
    setToolTip(lines.join(u'\n'));
    setVisible(!m_entries.isEmpty());
    updateGeometry();
    update();
}

void RetryTimeline::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::FontChange)
        updateGeometry();
}

int RetryTimeline::minimumSlotWidth() const
{
    // The words of the current language decide ("#1 fehlgeschlagen" needs more room than "#1 failed").
    QFont bold = font();
    bold.setBold(true);
    const QFontMetrics boldMetrics(bold);
    int widest = 0;
    for (const TimelineEntry &e : m_entries)
        widest = std::max(
            {widest, boldMetrics.horizontalAdvance(e.top), fontMetrics().horizontalAdvance(e.bottom)});
    // +2: horizontalAdvance() rounds, elidedText() does not: a text 120.4 px wide measured 120 was elided
    // in a slot made for 120 ("#1 fehlgeschlag…").
    return widest + kSlotPadding + 2;
}

bool RetryTimeline::textsFit() const
{
    QFont bold = font();
    bold.setBold(true);
    const int w = int(slotWidth()) - kSlotPadding;
    return std::all_of(m_entries.cbegin(), m_entries.cend(), [&](const TimelineEntry &e) {
        return QFontMetrics(bold).elidedText(e.top, Qt::ElideRight, w) == e.top &&
               fontMetrics().elidedText(e.bottom, Qt::ElideRight, w) == e.bottom;
    });
}

QSize RetryTimeline::sizeHint() const
{
    return {qMax(400, minimumSizeHint().width()), fontMetrics().height() * 2 + 30};
}

QSize RetryTimeline::minimumSizeHint() const
{
    return {qMax(200, int(m_entries.size()) * minimumSlotWidth()), fontMetrics().height() * 2 + 30};
}

double RetryTimeline::slotWidth() const
{
    return double(width()) / double(qMax<qsizetype>(1, m_entries.size()));
}

void RetryTimeline::paintEvent(QPaintEvent *)
{
    if (m_entries.isEmpty())
        return;
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QFontMetrics fm = fontMetrics();
    const double slot = slotWidth();
    const int lineY = fm.height() + 12;
    const QColor text = palette().color(QPalette::WindowText);
    const QColor muted = palette().color(QPalette::PlaceholderText);
    auto xAt = [&](qsizetype i) { return slot * double(i) + slot / 2; };

    // The line: solid through what happened, dashed into what is predicted.
    qsizetype lastDone = -1;
    for (qsizetype i = 0; i < m_entries.size(); ++i)
        if (m_entries.at(i).kind != TimelineEntry::Next)
            lastDone = i;
    QColor lineColor = text;
    lineColor.setAlpha(90);
    p.setPen(QPen(lineColor, 2));
    if (lastDone > 0)
        p.drawLine(QPointF(xAt(0), lineY), QPointF(xAt(lastDone), lineY));
    p.setPen(QPen(lineColor, 2, Qt::DashLine));
    if (lastDone + 1 < m_entries.size())
        p.drawLine(QPointF(xAt(qMax<qsizetype>(0, lastDone)), lineY),
                   QPointF(xAt(m_entries.size() - 1), lineY));

    QFont bold = font();
    bold.setBold(true);
    for (qsizetype i = 0; i < m_entries.size(); ++i) {
        const TimelineEntry &e = m_entries.at(i);
        const QPointF c(xAt(i), lineY);
        const QColor color = e.color.isValid() ? readableOn(e.color, palette()) : text;
        // Done: a filled dot. Now: a ring with a dot. Predicted: a ring.
        const bool done = e.kind == TimelineEntry::Past || e.kind == TimelineEntry::End;
        p.setPen(QPen(done ? palette().color(QPalette::Base) : color, 2));
        p.setBrush(done ? color : palette().color(QPalette::Base));
        p.drawEllipse(c, 6, 6);
        if (e.kind == TimelineEntry::Now) {
            p.setPen(Qt::NoPen);
            p.setBrush(color);
            p.drawEllipse(c, 3, 3);
        }
        const int w = int(slot) - kSlotPadding;
        const QRect topRect(int(c.x() - w / 2.0), 0, w, fm.height());
        const QRect bottomRect(int(c.x() - w / 2.0), lineY + 10, w, fm.height());
        p.setFont(bold);
        p.setPen(e.kind == TimelineEntry::Next ? muted : (e.kind == TimelineEntry::End ? color : text));
        p.drawText(topRect, Qt::AlignHCenter | Qt::AlignBottom,
                   QFontMetrics(bold).elidedText(e.top, Qt::ElideRight, w));
        p.setFont(font());
        p.setPen(e.kind == TimelineEntry::Next ? readableOn(e.color, palette()) : muted);
        p.drawText(bottomRect, Qt::AlignHCenter | Qt::AlignTop, fm.elidedText(e.bottom, Qt::ElideRight, w));
    }
}

} // namespace hcm::ui
