#pragma once

#include <QAbstractTableModel>

#include <span>

namespace hcm {

// What the flat tables of the program (jobs, workers, a worker's jobs, audit, users, schedules) share:
// a fixed set of columns with titles. A subclass sets its column titles in its constructor, in column
// order, untranslated and marked with QT_TR_NOOP, and implements rowCount() and data(). The header
// translates a title in the subclass's context (its class name, as tr() does) when the view asks for
// it, so a language change shows at once.
// Flags are QAbstractTableModel's: enabled, selectable, never with children.
class TableModel : public QAbstractTableModel {
public:
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

protected:
    explicit TableModel(QObject *parent);
    // `titles` must outlive the model: a static array of string literals.
    void setColumnTitles(std::span<const char *const> titles) { m_titles = titles; }

private:
    std::span<const char *const> m_titles;
};

} // namespace hcm
