#pragma once

#include <QStyledItemDelegate>

namespace hcm::ui {

// Paints the Status column with the status icon and colour ("Retrying in 3 min" in amber).
class StatusDelegate final : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;

protected:
    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override;
};

} // namespace hcm::ui
