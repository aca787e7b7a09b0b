// The jobs page: the details pane of the current job (beside the table on a wide page, below it on a narrow
// one) and its loading.

#include "jobspage.h"

#include "jobs/jobtablemodel.h"
#include "ui/jobdetailsview.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDateTime>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QHeaderView>
#include <QItemSelection>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QLocale>
#include <QMenu>
#include <QMessageBox>
#include <QProgressDialog>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollBar>
#include <QSettings>
#include <QShortcut>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

namespace hcm::ui {

void JobsPage::onCurrentChanged()
{
    const QModelIndex current = m_table->currentIndex();
    const Job *job = current.isValid() ? m_model->jobAt(current.row()) : nullptr;
    if (!job) {
        if (!current.isValid()) {
            m_details->clear();
            m_detailsUpdatedAt = -1;
            setDetailsShown(false);
        }
        return;
    }
    // The job shown is the job acted on: focus arriving by Tab makes a row current without selecting
    // it, which left the Job menu's actions off beside a job's details.
    if (!m_table->selectionModel()->hasSelection())
        m_table->selectionModel()->select(current, QItemSelectionModel::Select | QItemSelectionModel::Rows);
    setDetailsShown(true);
    // Reload the details only when the job changed (the table row carries its updated_at).
    if (job->id == m_details->jobId() && job->updatedAt == m_detailsUpdatedAt)
        return;
    m_detailsUpdatedAt = job->updatedAt;
    m_detailsJob.track(m_service->fetchJob(job->id), this, [this](const Result<Job> &loaded) {
        if (!loaded) {
            m_details->clear();
            return;
        }
        const Job &job = loaded.value();
        m_details->setJob(job);
        m_detailsUpdatedAt = job.updatedAt;
        const qint64 jobId = job.id;
        m_deliveries.track(m_service->fetchDeliveries(jobId), this,
                           [this, jobId](const Result<QList<DeliveryRecord>> &deliveries) {
                               if (deliveries)
                                   m_details->setDeliveries(jobId, deliveries.value());
                               else
                                   m_details->setDeliveriesError(m_details->jobId(),
                                                                 deliveries.error().message);
                           });
    });
}

void JobsPage::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    placeDetails();
}

bool JobsPage::detailsBelow() const
{
    return m_details->parentWidget() == m_centreSplitter;
}

void JobsPage::placeDetails()
{
    // Beside the table when the page is wide enough for both; below it otherwise.
    const bool below = width() < kDetailsBesideMinWidth;
    QSplitter *target = below ? m_centreSplitter : m_splitter;
    if (m_details->parentWidget() != target) {
        const bool visible = !m_details->isHidden();
        target->addWidget(m_details);
        target->setStretchFactor(target->indexOf(m_details), 0);
        target->setCollapsible(target->indexOf(m_details), false);
        m_details->setVisible(visible);
    }
    applyPaneSizes();
}

void JobsPage::applyPaneSizes()
{
    const int total = qMax(m_splitter->width(), width());
    if (detailsBelow() || m_details->isHidden())
        m_splitter->setSizes({m_leftWidth, qMax(100, total - m_leftWidth)});
    else
        m_splitter->setSizes({m_leftWidth, qMax(100, total - m_leftWidth - m_detailsWidth), m_detailsWidth});
    if (detailsBelow() && !m_details->isHidden()) {
        const int height = qMax(m_centreSplitter->height(), 200);
        m_centreSplitter->setSizes({qMax(100, height - m_detailsHeight), m_detailsHeight});
    }
}

void JobsPage::rememberPaneSizes()
{
    const QList<int> sizes = m_splitter->sizes();
    m_leftWidth = sizes.value(0, m_leftWidth);
    if (!detailsBelow() && !m_details->isHidden() && sizes.size() > 2)
        m_detailsWidth = sizes.at(2);
    if (detailsBelow() && !m_details->isHidden())
        m_detailsHeight = m_centreSplitter->sizes().value(1, m_detailsHeight);
}

void JobsPage::setDetailsShown(bool shown)
{
    if (shown == !m_details->isHidden())
        return;
    m_details->setVisible(shown);
    applyPaneSizes();
    // The splitter lays a widget out again after it is shown: the sizes go on once that has happened.
    QTimer::singleShot(0, this, &JobsPage::applyPaneSizes);
}

} // namespace hcm::ui
