#include "tablefit.h"

#include <QAbstractItemDelegate>
#include <QEvent>
#include <QHeaderView>
#include <QKeyEvent>
#include <QPointer>
#include <QScrollBar>
#include <QStringList>
#include <QTableView>
#include <QTimer>

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

// Widens one column to what the rows in view need (fitColumnToContent).
class ContentFit final : public QObject {
public:
    ContentFit(QTableView *table, int column, int baseWidth)
        : QObject(table)
        , m_table(table)
        , m_column(column)
        , m_base(baseWidth)
    {
        m_timer.setSingleShot(true);
        m_timer.setInterval(0); // a burst of changes is measured once
        connect(&m_timer, &QTimer::timeout, this, &ContentFit::fit);
        connect(table->verticalScrollBar(), &QScrollBar::valueChanged, this, &ContentFit::schedule);
        table->viewport()->installEventFilter(this);
        table->horizontalHeader()->resizeSection(column, baseWidth);
    }

    void watch(QAbstractItemModel *model)
    {
        if (!model || model == m_model)
            return;
        m_model = model;
        connect(model, &QAbstractItemModel::dataChanged, this, &ContentFit::schedule);
        connect(model, &QAbstractItemModel::rowsInserted, this, &ContentFit::schedule);
        connect(model, &QAbstractItemModel::modelReset, this, &ContentFit::schedule);
        connect(model, &QAbstractItemModel::layoutChanged, this, &ContentFit::schedule);
        schedule();
    }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (event->type() == QEvent::Resize || event->type() == QEvent::Show)
            schedule();
        return QObject::eventFilter(watched, event);
    }

private:
    void schedule() { m_timer.start(); }
    void fit()
    {
        if (!m_table || !m_table->model())
            return;
        watch(m_table->model());
        QAbstractItemDelegate *delegate = m_table->itemDelegateForColumn(m_column);
        if (!delegate)
            delegate = m_table->itemDelegate();
        const int first = qMax(0, m_table->rowAt(0));
        const int last = m_table->rowAt(m_table->viewport()->height() - 1);
        const int end = last < 0 ? m_table->model()->rowCount() - 1 : last;
        QStyleOptionViewItem option;
        option.initFrom(m_table);
        int widest = m_base;
        for (int row = first; row <= end && row - first < 200; ++row) {
            const QModelIndex index = m_table->model()->index(row, m_column);
            widest = qMax(widest, delegate->sizeHint(option, index).width() + 8);
        }
        const int now = m_table->horizontalHeader()->sectionSize(m_column);
        if (widest > now)
            m_table->horizontalHeader()->resizeSection(m_column, widest);
    }

    QPointer<QTableView> m_table;
    QPointer<QAbstractItemModel> m_model;
    int m_column;
    int m_base;
    QTimer m_timer;
};

class RowHomeEnd final : public QObject {
public:
    explicit RowHomeEnd(QTableView *table)
        : QObject(table)
        , m_table(table)
    {}

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (event->type() != QEvent::KeyPress || !m_table || !m_table->model())
            return QObject::eventFilter(watched, event);
        const auto *key = static_cast<QKeyEvent *>(event);
        const Qt::KeyboardModifiers mods = key->modifiers() & ~Qt::KeypadModifier;
        if ((key->key() != Qt::Key_Home && key->key() != Qt::Key_End) ||
            (mods != Qt::NoModifier && mods != Qt::ShiftModifier))
            return QObject::eventFilter(watched, event);
        const int rows = m_table->model()->rowCount();
        if (rows == 0)
            return true;
        const int row = key->key() == Qt::Key_Home ? 0 : rows - 1;
        const int column = m_table->currentIndex().isValid() ? m_table->currentIndex().column() : 0;
        const QModelIndex target = m_table->model()->index(row, column);
        QItemSelectionModel *selection = m_table->selectionModel();
        if (mods == Qt::ShiftModifier && m_table->currentIndex().isValid()) {
            const QModelIndex from = m_table->currentIndex();
            selection->setCurrentIndex(target, QItemSelectionModel::NoUpdate);
            selection->select(QItemSelection(from, target),
                              QItemSelectionModel::Select | QItemSelectionModel::Rows);
        } else {
            selection->setCurrentIndex(target,
                                       QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        }
        m_table->scrollTo(target);
        return true;
    }

private:
    QPointer<QTableView> m_table;
};

} // namespace

void homeEndMoveBetweenRows(QTableView *table)
{
    table->installEventFilter(new RowHomeEnd(table));
}

void fitColumnToContent(QTableView *table, int column, int baseWidth)
{
    auto *fit = new ContentFit(table, column, baseWidth);
    fit->watch(table->model());
}

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

void setUpRowTable(QTableView *table, QAbstractItemModel *model, bool stretchLast)
{
    table->setModel(model);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setSelectionMode(QAbstractItemView::SingleSelection);
    table->verticalHeader()->hide();
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    table->horizontalHeader()->setStretchLastSection(stretchLast);
}

void setColumnWidths(QTableView *table, std::initializer_list<ColumnWidth> widths)
{
    for (const ColumnWidth &c : widths)
        table->setColumnWidth(c.column, c.width);
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
