#include "common/tablemodel.h"

#include <QCoreApplication>

namespace hcm {

TableModel::TableModel(QObject *parent)
    : QAbstractTableModel(parent)
{}

int TableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_titles.size());
}

QVariant TableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (section < 0 || size_t(section) >= m_titles.size())
        return {};
    return QCoreApplication::translate(metaObject()->className(), m_titles[size_t(section)]);
}

} // namespace hcm
