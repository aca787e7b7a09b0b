#pragma once

class QTableView;

namespace hcm::ui {

// Keeps `table` as tall as its header and its first `maxRows` rows (all of them when fewer), plus the
// horizontal scroll bar while that is shown: a bar that appears when the columns get wider than the
// table no longer covers the last row. Call again after the rows or the row heights change.
void fitHeightToRows(QTableView *table, int maxRows);

} // namespace hcm::ui
