#pragma once

#include <QColor>
#include <QList>
#include <QString>
#include <QWidget>

namespace hcm::ui {

// One mark on the retry timeline.
struct TimelineEntry {
    enum Kind { Past, Now, Next, End };
    Kind kind = Past;
    QString top;    // "#2"
    QString bottom; // "10:04", "in 4 min"
    QColor color;
    QString sentence; // the same in words, for the tooltip and JobDetailsView::timelineTexts()
};

// Attempts as marks on a line at equal distances: done ones filled, predicted ones hollow after "now".
// Hidden while it has no entries.
class RetryTimeline final : public QWidget {
    Q_OBJECT
public:
    explicit RetryTimeline(QWidget *parent = nullptr);
    Q_DISABLE_COPY_MOVE(RetryTimeline)

    void setEntries(QList<TimelineEntry> entries);
    const QList<TimelineEntry> &entries() const { return m_entries; }
    // Whether every mark's words are drawn whole at the current width (what paintEvent elides).
    bool textsFit() const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    static constexpr int kSlotPadding = 8;
    double slotWidth() const;
    // The width every mark needs for its texts, unelided.
    int minimumSlotWidth() const;

    QList<TimelineEntry> m_entries;
};

} // namespace hcm::ui
