#pragma once

#include <QAbstractTableModel>
#include <QList>

#include <algorithm>
#include <functional>
#include <span>

namespace hcm {

// What the flat tables of the program (jobs, workers, a worker's jobs, audit, users, tokens, schedules)
// share: a fixed set of columns with titles, and a refresh that never resets. A subclass sets its
// column titles in its constructor, in column order, untranslated and marked with QT_TR_NOOP, and
// implements rowCount() and data(). The header translates a title in the subclass's context (its
// class name, as tr() does) when the view asks for it, so a language change shows at once.
// Flags are QAbstractTableModel's: enabled, selectable, never with children.
class TableModel : public QAbstractTableModel {
public:
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

protected:
    explicit TableModel(QObject *parent);
    // `titles` must outlive the model: a static array of string literals.
    void setColumnTitles(std::span<const char *const> titles) { m_titles = titles; }

    // Makes `rows` (the model's rows, kept ordered by `before` on their keys) hold `fresh` (any order),
    // as removals, insertions and one row-wide dataChanged per row whose content differs (`same` says
    // whether two rows with one key show the same): never a reset, so the selection, the current row
    // and persistent indexes of the rows that stay survive. `key` is a member pointer or a callable
    // giving a row's unique key; a key that stands twice in `fresh` is shown twice.
    template<typename Row, typename Key, typename Before = std::less<>, typename Same = std::equal_to<>>
    void mergeRows(QList<Row> &rows, QList<Row> fresh, Key key, Before before = {}, Same same = {});

private:
    std::span<const char *const> m_titles;
};

template<typename Row, typename Key, typename Before, typename Same>
void TableModel::mergeRows(QList<Row> &rows, QList<Row> fresh, Key key, Before before, Same same)
{
    const auto keyBefore = [&](const Row &a, const Row &b) {
        return std::invoke(before, std::invoke(key, a), std::invoke(key, b));
    };
    std::stable_sort(fresh.begin(), fresh.end(), keyBefore);
    // Both lists are ordered alike: one merge pass removes, inserts and updates in place.
    qsizetype i = 0;
    for (const Row &r : std::as_const(fresh)) {
        qsizetype gone = i;
        while (gone < rows.size() && keyBefore(rows.at(gone), r))
            ++gone;
        if (gone > i) {
            beginRemoveRows({}, int(i), int(gone - 1));
            rows.remove(i, gone - i);
            endRemoveRows();
        }
        if (i < rows.size() && !keyBefore(r, rows.at(i))) {
            if (!std::invoke(same, rows.at(i), r)) {
                rows[i] = r;
                emit dataChanged(index(int(i), 0), index(int(i), columnCount() - 1));
            }
        } else {
            beginInsertRows({}, int(i), int(i));
            rows.insert(i, r);
            endInsertRows();
        }
        ++i;
    }
    if (i < rows.size()) {
        beginRemoveRows({}, int(i), int(rows.size() - 1));
        rows.remove(i, rows.size() - i);
        endRemoveRows();
    }
}

} // namespace hcm
