#include "audithistorydialog.h"

#include "auth/asyncauditservice.h"
#include "auth/audittablemodel.h"
#include "ui/namedwidgets.h"
#include "ui/statusicons.h"
#include "ui/tablefit.h"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

namespace hcm::ui {

AuditHistoryDialog::AuditHistoryDialog(const DbConfig &config, const QString &targetType,
                                       const QString &targetId, const QString &title, QWidget *parent)
    : QDialog(parent)
    , m_service(new AsyncAuditService(config, this))
{
    setObjectName(QStringLiteral("auditHistory"));
    setModal(false);
    setWindowTitle(title);
    setWindowIcon(icon("page-audit"));
    m_model = new AuditTableModel(m_service, this);
    AuditFilter filter;
    filter.targetType = targetType;
    filter.targetId = targetId;
    m_model->setFilter(filter);

    m_view = namedWidget<QTableView>("history", tr("History"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->setColumnHidden(AuditTableModel::TargetColumn, true);
    m_view->setColumnHidden(AuditTableModel::InterfaceColumn, true);
    setColumnWidths(m_view, {{AuditTableModel::TimeColumn, 150},
                             {AuditTableModel::ActorColumn, 100},
                             {AuditTableModel::RoleColumn, 140},
                             {AuditTableModel::ActionColumn, 120},
                             {AuditTableModel::OutcomeColumn, 70},
                             {AuditTableModel::DiffColumn, 300}});

    m_message = new QLabel;
    m_message->setObjectName(QStringLiteral("message"));
    m_message->setWordWrap(true);
    connect(m_model, &AuditTableModel::errorOccurred, m_message, &QLabel::setText);
    connect(m_model, &AuditTableModel::rowsLoaded, this, [this] {
        m_message->setText(m_model->rowCount() == 0 ? tr("Nobody has acted on it yet.") : QString());
    });

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_message);
    layout->addWidget(buttons);
    resize(900, 360);
}

AuditHistoryDialog::~AuditHistoryDialog() = default;

} // namespace hcm::ui
