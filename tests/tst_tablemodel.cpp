// TableModel::mergeRows, the refresh every flat table of the program shares: a fresh list of rows
// becomes removals, insertions and row-wide dataChanged, never a reset, so a selection, the current
// row and persistent indexes of the rows that stay survive it.

#include "common/tablemodel.h"

#include <QAbstractItemModelTester>
#include <QItemSelectionModel>
#include <QPersistentModelIndex>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QtTest>

#include <functional>

using namespace hcm;

namespace {

struct Row {
    qint64 id = 0;
    QString text;
    friend bool operator==(const Row &, const Row &) = default;
};

// The smallest model over mergeRows: rows by id, newest (highest) first, as the token table orders.
class RowModel final : public TableModel {
public:
    enum Column { Id, Text, ColumnCount };

    explicit RowModel(QObject *parent = nullptr)
        : TableModel(parent)
    {
        static constexpr const char *titles[] = {QT_TR_NOOP("Id"), QT_TR_NOOP("Text")};
        static_assert(std::size(titles) == ColumnCount);
        setColumnTitles(titles);
    }

    int rowCount(const QModelIndex &parent = {}) const override
    {
        return parent.isValid() ? 0 : int(m_rows.size());
    }
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override
    {
        if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid) ||
            role != Qt::DisplayRole)
            return {};
        const Row &r = m_rows.at(index.row());
        return index.column() == Id ? QVariant(r.id) : QVariant(r.text);
    }

    void setRows(QList<Row> rows) { mergeRows(m_rows, std::move(rows), &Row::id, std::greater<>()); }
    const QList<Row> &rows() const { return m_rows; }
    int rowOf(qint64 id) const
    {
        for (int i = 0; i < m_rows.size(); ++i) {
            if (m_rows.at(i).id == id)
                return i;
        }
        return -1;
    }

private:
    QList<Row> m_rows;
};

QList<Row> rowsOf(std::initializer_list<qint64> ids, const QString &text = QStringLiteral("x"))
{
    QList<Row> rows;
    for (qint64 id : ids)
        rows.append(Row{id, text + QString::number(id)});
    return rows;
}

QList<qint64> idsOf(const RowModel &model)
{
    QList<qint64> ids;
    for (const Row &r : model.rows())
        ids.append(r.id);
    return ids;
}

// Every signal a refresh may send, counted.
struct Spies {
    explicit Spies(QAbstractItemModel *m)
        : resets(m, &QAbstractItemModel::modelReset)
        , inserted(m, &QAbstractItemModel::rowsInserted)
        , removed(m, &QAbstractItemModel::rowsRemoved)
        , moved(m, &QAbstractItemModel::rowsMoved)
        , changed(m, &QAbstractItemModel::dataChanged)
        , layout(m, &QAbstractItemModel::layoutChanged)
    {}
    QSignalSpy resets, inserted, removed, moved, changed, layout;
};

} // namespace

class TestTableModel : public QObject {
    Q_OBJECT

private slots:
    void insertsInOrderWithoutReset()
    {
        RowModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        Spies spies(&model);
        model.setRows(rowsOf({2, 5, 1}));
        QCOMPARE(idsOf(model), (QList<qint64>{5, 2, 1}));
        QCOMPARE(spies.inserted.count(), 3);

        QPersistentModelIndex two = model.index(model.rowOf(2), RowModel::Text);
        model.setRows(rowsOf({4, 2, 6, 5, 1, 3}));
        QCOMPARE(idsOf(model), (QList<qint64>{6, 5, 4, 3, 2, 1}));
        QCOMPARE(spies.inserted.count(), 6);
        QCOMPARE(spies.removed.count(), 0);
        QCOMPARE(spies.changed.count(), 0);
        QVERIFY(two.isValid());
        QCOMPARE(two.row(), 4);
        QCOMPARE(two.data().toString(), QStringLiteral("x2"));
        QCOMPARE(spies.resets.count(), 0);
        QCOMPARE(spies.layout.count(), 0);
    }

    void removesAndKeepsSelection()
    {
        RowModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setRows(rowsOf({1, 2, 3, 4, 5, 6, 7}));
        QItemSelectionModel selection(&model);
        selection.setCurrentIndex(model.index(model.rowOf(3), 0),
                                  QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        QPersistentModelIndex five = model.index(model.rowOf(5), RowModel::Text);
        QPersistentModelIndex six = model.index(model.rowOf(6), 0);
        Spies spies(&model);

        model.setRows(rowsOf({5, 1, 3})); // removes 7, 6 (one range), 4 and 2
        QCOMPARE(idsOf(model), (QList<qint64>{5, 3, 1}));
        QCOMPARE(spies.removed.count(), 3);
        QCOMPARE(spies.inserted.count(), 0);
        QCOMPARE(spies.changed.count(), 0);
        QCOMPARE(spies.resets.count(), 0);
        QVERIFY(!six.isValid());
        QVERIFY(five.isValid());
        QCOMPARE(five.row(), 0);
        QCOMPARE(five.data().toString(), QStringLiteral("x5"));
        QCOMPARE(selection.currentIndex().row(), 1);
        QCOMPARE(selection.currentIndex().data().toLongLong(), 3);
        QCOMPARE(selection.selectedRows().size(), 1);
        QCOMPARE(selection.selectedRows().constFirst().data().toLongLong(), 3);

        model.setRows({});
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(spies.removed.count(), 4); // the rest in one range
        QCOMPARE(spies.resets.count(), 0);
    }

    void changesOnlyTheChangedRows()
    {
        RowModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setRows(rowsOf({1, 2, 3}));
        QItemSelectionModel selection(&model);
        selection.select(model.index(model.rowOf(2), 0),
                         QItemSelectionModel::Select | QItemSelectionModel::Rows);
        Spies spies(&model);

        QList<Row> fresh = rowsOf({1, 2, 3});
        fresh[1].text = QStringLiteral("renamed"); // id 2
        model.setRows(fresh);
        QCOMPARE(spies.changed.count(), 1);
        const auto args = spies.changed.constFirst();
        const int row = model.rowOf(2);
        QCOMPARE(args.at(0).toModelIndex(), model.index(row, 0));
        QCOMPARE(args.at(1).toModelIndex(), model.index(row, model.columnCount() - 1));
        QCOMPARE(model.index(row, RowModel::Text).data().toString(), QStringLiteral("renamed"));
        QCOMPARE(spies.inserted.count() + spies.removed.count() + spies.resets.count(), 0);
        QCOMPARE(selection.selectedRows().size(), 1);
        QCOMPARE(selection.selectedRows().constFirst().row(), row);

        model.setRows(fresh); // the same again: nothing to say
        QCOMPARE(spies.changed.count(), 1);
    }

    void reorderedInputChangesNothing()
    {
        RowModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setRows(rowsOf({1, 2, 3, 4, 5}));
        QPersistentModelIndex four = model.index(model.rowOf(4), 0);
        Spies spies(&model);
        model.setRows(rowsOf({3, 5, 1, 4, 2}));
        model.setRows(rowsOf({1, 2, 3, 4, 5}));
        QCOMPARE(idsOf(model), (QList<qint64>{5, 4, 3, 2, 1}));
        QCOMPARE(spies.inserted.count() + spies.removed.count() + spies.moved.count() +
                     spies.changed.count() + spies.resets.count() + spies.layout.count(),
                 0);
        QVERIFY(four.isValid());
        QCOMPARE(four.row(), 1);
    }

    // Many random refreshes: the rows always equal the fresh list in order, every row that stays keeps
    // its persistent index, and the model tester sees nothing wrong.
    void randomRefreshesMatchWithoutReset()
    {
        RowModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        QRandomGenerator random(20261205);
        QList<Row> expected;
        for (int round = 0; round < 200; ++round) {
            QHash<qint64, QPersistentModelIndex> before;
            for (int r = 0; r < model.rowCount(); ++r)
                before.insert(model.rows().at(r).id, model.index(r, 0));
            QList<Row> fresh;
            for (qint64 id = 1; id <= 40; ++id) {
                if (random.bounded(3) != 0)
                    fresh.append(Row{id, QString::number(random.bounded(4))});
            }
            std::shuffle(fresh.begin(), fresh.end(), random);
            model.setRows(fresh);

            expected = fresh;
            std::sort(expected.begin(), expected.end(),
                      [](const Row &a, const Row &b) { return a.id > b.id; });
            QCOMPARE(model.rows(), expected);
            for (auto it = before.cbegin(); it != before.cend(); ++it) {
                const int now = model.rowOf(it.key());
                QCOMPARE(it.value().isValid(), now >= 0);
                if (now >= 0)
                    QCOMPARE(it.value().row(), now);
            }
        }
        QCOMPARE(resets.count(), 0);
    }
};

QTEST_GUILESS_MAIN(TestTableModel)
#include "tst_tablemodel.moc"
