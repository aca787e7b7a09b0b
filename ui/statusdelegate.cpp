#include "statusdelegate.h"

#include "jobs/jobtablemodel.h"
#include "ui/statusicons.h"

namespace hcm::ui {

void StatusDelegate::initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const
{
    QStyledItemDelegate::initStyleOption(option, index);
    if (!index.data(JobTableModel::LoadedRole).toBool())
        return;
    const auto status = JobStatus(index.data(JobTableModel::StatusRole).toInt());
    const bool retrying = index.data(JobTableModel::RetryingRole).toBool();
    option->features |= QStyleOptionViewItem::HasDecoration;
    option->icon = statusIcon(status, retrying);
    option->decorationSize = QSize(16, 16);
    if (!(option->state & QStyle::State_Selected))
        option->palette.setColor(QPalette::Text, statusColor(status, retrying));
}

} // namespace hcm::ui
