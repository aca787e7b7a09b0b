#pragma once

#include "db/dbconfig.h"

#include <QDialog>

class QLabel;
class QTableView;

namespace hcm {
class AsyncAuditService;
class AuditTableModel;
} // namespace hcm

namespace hcm::ui {

// "History" of one object (a job): its audit rows, newest first, live, with the changes of the
// selected row in the tooltip. Non-modal; reads through its own AsyncAuditService.
class AuditHistoryDialog final : public QDialog {
    Q_OBJECT
public:
    AuditHistoryDialog(const DbConfig &config, const QString &targetType, const QString &targetId,
                       const QString &title, QWidget *parent = nullptr);
    ~AuditHistoryDialog() override;
    Q_DISABLE_COPY_MOVE(AuditHistoryDialog)

    QTableView *view() const { return m_view; }
    AuditTableModel *model() const { return m_model; }

private:
    AsyncAuditService *m_service = nullptr;
    AuditTableModel *m_model = nullptr;
    QTableView *m_view = nullptr;
    QLabel *m_message = nullptr;
};

} // namespace hcm::ui
