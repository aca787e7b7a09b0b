#include "jobdetailsdialog.h"

#include "auth/permissions.h"
#include "jobs/jobnotifier.h"
#include "ui/audithistorydialog.h"
#include "ui/jobdetailsview.h"
#include "ui/statusicons.h"

#include <QDialogButtonBox>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

namespace hcm::ui {

namespace {
const QString kGeometryKey = QStringLiteral("JobDetailsDialog/geometry");
}

JobDetailsDialog::JobDetailsDialog(AsyncJobService *service, qint64 jobId, QWidget *parent)
    : QDialog(parent)
    , m_service(service)
    , m_jobId(jobId)
{
    setModal(false);
    //: window title; %1 is the job id, "job_12"
    setWindowTitle(tr("Job %1").arg(Job::publicId(jobId)));
    setWindowIcon(icon("action-details"));

    m_view = new JobDetailsView(this);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->setObjectName(QStringLiteral("buttonBox"));
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    m_historyButton = buttons->addButton(tr("&History…"), QDialogButtonBox::ActionRole);
    m_historyButton->setObjectName(QStringLiteral("historyButton"));
    connect(m_historyButton, &QPushButton::clicked, this, &JobDetailsDialog::showHistory);
    setActor(Actor());
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_view, 1);
    layout->addWidget(buttons);

    if (!restoreGeometry(QSettings().value(kGeometryKey).toByteArray()))
        resize(540, 720);

    m_reloadTimer.setSingleShot(true);
    m_reloadTimer.setInterval(100);
    connect(&m_reloadTimer, &QTimer::timeout, this, &JobDetailsDialog::reload);
    // JobNotifier emits from whichever thread changed the job: these arrive as queued calls.
    connect(JobNotifier::instance(), &JobNotifier::jobsChanged, this, &JobDetailsDialog::onJobsChanged);
    m_view->showMessage(tr("Loading…"));
    reload();
}

JobDetailsDialog::~JobDetailsDialog()
{
    // Deleted while open (the main window closed): still remember the size.
    if (isVisible())
        storeGeometry();
}

void JobDetailsDialog::setActor(const Actor &actor)
{
    m_mayReadAudit = isAllowed(actor.role, Permission::ReadAudit);
    m_historyButton->setEnabled(m_mayReadAudit && m_service);
    m_historyButton->setToolTip(m_mayReadAudit ? tr("Who did what to this job, from the audit trail")
                                               : permissionRequirement(Permission::ReadAudit));
}

AuditHistoryDialog *JobDetailsDialog::showHistory()
{
    if (!m_mayReadAudit || !m_service)
        return nullptr;
    if (!m_history) {
        //: window title; %1 is the job id, "job_12"
        m_history =
            new AuditHistoryDialog(m_service->config(), QStringLiteral("job"), QString::number(m_jobId),
                                   tr("History of %1").arg(Job::publicId(m_jobId)), this);
        m_history->setAttribute(Qt::WA_DeleteOnClose);
    }
    m_history->show();
    m_history->raise();
    return m_history;
}

void JobDetailsDialog::reload()
{
    m_reloadTimer.stop();
    if (!m_service)
        return;
    // Only the newest answer is shown: an older one may predate the change that asked again.
    m_job.track(m_service->fetchJob(m_jobId), this, [this](const Result<Job> &job) {
        if (!job) {
            m_view->showMessage(job.error().message, true);
            return;
        }
        m_view->setJob(job.value());
        // The alerts about the job come after it: a change of the job is when new ones may exist.
        if (m_service)
            loadDeliveries();
        emit loaded();
    });
}

void JobDetailsDialog::loadDeliveries()
{
    m_deliveries.track(m_service->fetchDeliveries(m_jobId), this,
                       [this](const Result<QList<DeliveryRecord>> &deliveries) {
                           if (!deliveries) {
                               m_view->setDeliveriesError(m_jobId, deliveries.error().message);
                               return;
                           }
                           m_view->setDeliveries(m_jobId, deliveries.value());
                           emit deliveriesLoaded();
                       });
}

void JobDetailsDialog::onJobsChanged(const QList<qint64> &ids)
{
    if (ids.contains(m_jobId))
        m_reloadTimer.start();
}

void JobDetailsDialog::done(int result)
{
    storeGeometry();
    QDialog::done(result);
}

void JobDetailsDialog::storeGeometry()
{
    QSettings().setValue(kGeometryKey, saveGeometry());
}

} // namespace hcm::ui
