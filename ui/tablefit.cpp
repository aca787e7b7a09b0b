#include "tablefit.h"

#include <QEvent>
#include <QHeaderView>
#include <QPointer>
#include <QScrollBar>
#include <QStringList>
#include <QTableView>

namespace hcm::ui {

namespace {

const char kMaxRows[] = "hcmFitMaxRows";

void apply(QTableView *table)
{
    const int maxRows = table->property(kMaxRows).toInt();
    int rows = 0;
    for (int r = 0, shown = 0; table->model() && r < table->model()->rowCount() && shown < maxRows; ++r) {
        if (table->isRowHidden(r))
            continue;
        rows += table->rowHeight(r);
        ++shown;
    }
    const QWidget *bar = table->horizontalScrollBar()->parentWidget();
    const int barHeight =
        bar && bar->isVisibleTo(table) ? table->horizontalScrollBar()->sizeHint().height() : 0;
    const int header =
        table->horizontalHeader()->isHidden() ? 0 : table->horizontalHeader()->sizeHint().height();
    table->setFixedHeight(header + rows + barHeight + 2 * table->frameWidth());
}

// The horizontal scroll bar's container is shown and hidden by the table as the columns outgrow it.
class BarWatcher final : public QObject {
public:
    explicit BarWatcher(QTableView *table)
        : QObject(table)
        , m_table(table)
    {}

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (m_table && (event->type() == QEvent::Show || event->type() == QEvent::Hide))
            apply(m_table);
        return QObject::eventFilter(watched, event);
    }

private:
    QPointer<QTableView> m_table;
};

} // namespace

int columnWidthFor(const QTableView *table, int column, const QStringList &samples, bool withIcon)
{
    const QHeaderView *header = table->horizontalHeader();
    const QString title =
        table->model() ? table->model()->headerData(column, Qt::Horizontal).toString() : QString();
    // Header: text, the sort indicator and the section's margins.
    int width = header->fontMetrics().horizontalAdvance(title) + 26;
    const QFontMetrics metrics = table->fontMetrics();
    for (const QString &text : samples)
        width = qMax(width, metrics.horizontalAdvance(text) + (withIcon ? 16 + 6 : 0) + 16);
    return width;
}

void fitHeightToRows(QTableView *table, int maxRows)
{
    if (!table->property(kMaxRows).isValid()) {
        QWidget *bar = table->horizontalScrollBar()->parentWidget();
        (bar ? bar : table->horizontalScrollBar())->installEventFilter(new BarWatcher(table));
    }
    table->setProperty(kMaxRows, maxRows);
    apply(table);
}

} // namespace hcm::ui
