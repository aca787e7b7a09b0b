#pragma once

#include "jobs/asyncjobservice.h"

#include <QWidget>

namespace hcm::ui {

// Completed and failed jobs per minute as stacked bars (completed at the bottom), with a small y axis,
// "−60 min … now" under it and a legend with the totals. Painted with QPainter; text and grid take the
// palette's colours, so it follows dark themes. Hovering a bar shows the minute and its counts.
class ThroughputChart final : public QWidget {
    Q_OBJECT
public:
    explicit ThroughputChart(QWidget *parent = nullptr);
    Q_DISABLE_COPY_MOVE(ThroughputChart)

    void setData(const Throughput &throughput);
    const Throughput &data() const { return m_data; }
    qint64 totalCompleted() const;
    qint64 totalFailed() const;

    QSize sizeHint() const override;
    // As narrow as the legend's longer entry in the current language ("Fehlgeschlagen 5"): the legend
    // goes on two lines when one does not fit, and is never cut.
    QSize minimumSizeHint() const override;
    // Lines the legend takes at the current width (1 or 2).
    int legendLines() const;

protected:
    void paintEvent(QPaintEvent *event) override;
    bool event(QEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void leaveEvent(QEvent *event) override;

private:
    struct Geometry {
        QRect plot;        // the bars' area
        QRect legend;      // the line above it
        QRect axisLabels;  // the line under it
        int maxValue = 1;  // the y value at the top of the plot
        int step = 1;      // between tick labels
        int intervals = 2; // grid lines above the baseline
    };
    Geometry geometry() const;
    int bucketAt(const QPoint &pos) const; // -1 outside the bars
    QString tooltipText(int bucket) const;
    void drawLegend(QPainter &p, const QRect &rect) const;
    QStringList legendTexts() const; // "Completed 12", "Failed 3"
    int legendItemWidth(const QString &text) const;

    Throughput m_data;
    int m_hover = -1;
};

} // namespace hcm::ui
