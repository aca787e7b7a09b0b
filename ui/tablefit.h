#pragma once

#include <QStringList>

#include <initializer_list>

class QAbstractItemModel;
class QTableView;

namespace hcm::ui {

// The set-up of the pages' tables of whole rows: `model` shown, one row selected at a time, no row
// header, Interactive columns (set widths: ResizeToContents measures every row on each layout), the
// last one stretched when `stretchLast`.
void setUpRowTable(QTableView *table, QAbstractItemModel *model, bool stretchLast = true);

// One column's starting width in pixels, for setColumnWidths().
struct ColumnWidth {
    int column;
    int width;
};

// Gives each listed column of `table` its width (the model must be set: setUpRowTable() first).
void setColumnWidths(QTableView *table, std::initializer_list<ColumnWidth> widths);

// Keeps `table` as tall as its header and its first `maxRows` rows (all of them when fewer), plus the
// horizontal scroll bar while that is shown: a bar that appears when the columns get wider than the
// table no longer covers the last row. Call again after the rows or the row heights change.
void fitHeightToRows(QTableView *table, int maxRows);

// The width column `column` of `table` needs for its header text (with the sort arrow) and the widest
// of `samples` (with a 16 px icon when `withIcon`), measured in the table's fonts: widths come from the
// texts of the current language, not from pixels picked for English.
int columnWidthFor(const QTableView *table, int column, const QStringList &samples, bool withIcon = false);

// Keeps column `column` of `table` as wide as its content: `baseWidth`, or more when a row in view
// needs more (measured through the column's delegate), so a rare long text (a date far ahead) widens the
// column while it is in view instead of every day. It never shrinks under the user's eyes (nor below a
// width the user gave it); it only grows when a text in view would be cut.
void fitColumnToContent(QTableView *table, int column, int baseWidth);

// In a table of whole rows, Home and End go to the first and the last row and select it (QTableView
// moves to the first or last column of the row, which scrolled the ID out of view and selected nothing
// new); Shift+Home and Shift+End extend the selection there.
void homeEndMoveBetweenRows(QTableView *table);

} // namespace hcm::ui
