#include "workerspage.h"

#include "common/clock.h"
#include "jobs/jobtablemodel.h"

#include <QDateTime>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QTableView>
#include <QVBoxLayout>

namespace hcm::ui {

WorkerTableModel::WorkerTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{}

int WorkerTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_workers.size());
}

int WorkerTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant WorkerTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case IdColumn:
        return tr("Worker");
    case HostColumn:
        return tr("Host");
    case PidColumn:
        return tr("PID");
    case StateColumn:
        return tr("State");
    case RunningColumn:
        return tr("Running");
    case StartedColumn:
        return tr("Started");
    case HeartbeatColumn:
        return tr("Last heartbeat");
    case VersionColumn:
        return tr("Version");
    default:
        return {};
    }
}

QString WorkerTableModel::state(const WorkerInfo &w) const
{
    if (w.stoppedAt > 0)
        return tr("Stopped");
    if (m_now - w.heartbeatAt > m_staleAfterMs)
        return tr("Lost (no heartbeat for %1)").arg(JobTableModel::durationText(m_now - w.heartbeatAt));
    return tr("Running");
}

QVariant WorkerTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const WorkerInfo &w = m_workers.at(index.row());
    if (role == Qt::ForegroundRole && index.column() == StateColumn && w.stoppedAt <= 0 &&
        m_now - w.heartbeatAt > m_staleAfterMs)
        return QColor(0xb9, 0x1c, 0x1c);
    if (role != Qt::DisplayRole)
        return {};
    const auto time = [](qint64 ms) {
        return ms > 0 ? QLocale().toString(QDateTime::fromMSecsSinceEpoch(ms),
                                           QStringLiteral("yyyy-MM-dd HH:mm:ss"))
                      : QString();
    };
    switch (index.column()) {
    case IdColumn:
        return w.id;
    case HostColumn:
        return w.host;
    case PidColumn:
        return w.pid;
    case StateColumn:
        return state(w);
    case RunningColumn:
        //: running jobs "of" the worker's concurrency
        return tr("%1 of %2").arg(w.running).arg(w.concurrency);
    case StartedColumn:
        return time(w.startedAt);
    case HeartbeatColumn:
        return w.stoppedAt > 0
                   ? QString()
                   : tr("%1 ago").arg(JobTableModel::durationText(qMax<qint64>(0, m_now - w.heartbeatAt)));
    case VersionColumn:
        return w.version;
    default:
        return {};
    }
}

void WorkerTableModel::setWorkers(const QList<WorkerInfo> &workers, qint64 nowMs)
{
    m_now = nowMs;
    // Remove workers that are gone, update the others in place, append newcomers.
    QSet<QString> incoming;
    for (const auto &w : workers)
        incoming.insert(w.id);
    for (int i = int(m_workers.size()) - 1; i >= 0; --i) {
        if (!incoming.contains(m_workers.at(i).id)) {
            beginRemoveRows({}, i, i);
            m_workers.removeAt(i);
            endRemoveRows();
        }
    }
    for (const WorkerInfo &w : workers) {
        auto it = std::find_if(m_workers.begin(), m_workers.end(),
                               [&](const WorkerInfo &o) { return o.id == w.id; });
        if (it != m_workers.end()) {
            *it = w;
        } else {
            beginInsertRows({}, int(m_workers.size()), int(m_workers.size()));
            m_workers.append(w);
            endInsertRows();
        }
    }
    if (!m_workers.isEmpty())
        emit dataChanged(index(0, 0), index(int(m_workers.size()) - 1, columnCount() - 1));
}

WorkersPage::WorkersPage(AsyncJobService *service, QWidget *parent)
    : QWidget(parent)
    , m_service(service)
    , m_model(new WorkerTableModel(this))
    , m_table(new QTableView)
{
    m_table->setObjectName(QStringLiteral("workerTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setAlternatingRowColors(true);
    const QList<int> widths{220, 140, 70, 200, 90, 150, 120};
    for (int c = 0; c < widths.size(); ++c)
        m_table->horizontalHeader()->resizeSection(c, widths.at(c));
    auto *hint =
        new QLabel(tr("Workers register when they start and send a heartbeat every few seconds. A worker "
                      "without a heartbeat is lost: its running jobs return to the queue when their "
                      "lease expires."));
    hint->setWordWrap(true);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(hint);
    layout->addWidget(m_table, 1);
    m_timer.setInterval(2000);
    connect(&m_timer, &QTimer::timeout, this, &WorkersPage::refresh);
    connect(m_service, &AsyncJobService::workersReady, this,
            [this](quint64 request, const QList<WorkerInfo> &w) {
                if (request == m_request)
                    m_model->setWorkers(w, Clock::system()->nowMs());
            });
}

void WorkersPage::refresh()
{
    m_request = m_service->fetchWorkers();
}

void WorkersPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refresh();
    m_timer.start();
}

void WorkersPage::hideEvent(QHideEvent *event)
{
    m_timer.stop();
    QWidget::hideEvent(event);
}

} // namespace hcm::ui
