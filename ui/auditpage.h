#pragma once

#include "auth/actor.h"
#include "auth/auditstore.h"

#include <QFileDialog>
#include <QPointer>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDateTimeEdit;

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QTableView;
class QTimer;

namespace hcm {
class AsyncAuditService;
class AuditTableModel;
struct DbConfig;
} // namespace hcm

namespace hcm::ui {

// The Audit page: who did what and when, newest first, with filters by user, action, target and time
// range and a text search; the selected row's changes in full below the table; export of the filtered
// rows to CSV. The table grows by pages as it is scrolled and follows new rows live (AuditTableModel);
// every read and the export run off the GUI thread (AsyncAuditService). For Permission::ReadAudit only:
// the main window does not create it for other roles.
class AuditPage final : public QWidget {
    Q_OBJECT
public:
    AuditPage(const DbConfig &config, const Actor &actor, QWidget *parent = nullptr);
    ~AuditPage() override;

    QTableView *view() const { return m_view; }
    AuditTableModel *model() const { return m_model; }
    AsyncAuditService *service() const { return m_service; }
    QLineEdit *actorFilter() const { return m_filters.actor; }
    QComboBox *actionFilter() const { return m_filters.action; }
    QComboBox *targetTypeFilter() const { return m_filters.targetType; }
    QLineEdit *targetIdFilter() const { return m_filters.targetId; }
    QCheckBox *sinceEnabled() const { return m_filters.sinceOn; }
    QDateTimeEdit *sinceEdit() const { return m_filters.since; }
    QCheckBox *untilEnabled() const { return m_filters.untilOn; }
    QDateTimeEdit *untilEdit() const { return m_filters.until; }
    QLineEdit *searchFilter() const { return m_filters.search; }
    QPushButton *exportButton() const { return m_export; }
    QPlainTextEdit *details() const { return m_details; }
    QLabel *messageLabel() const { return m_message; }
    // The file dialog of exportCsv() while it is open.
    QFileDialog *exportDialog() const { return m_exportDialog; }

    // The filter the controls describe now.
    AuditFilter currentFilter() const;
    // Applies the controls' filter now (typing applies it after a short pause).
    void applyFilters();
    void clearFilters();
    // Asks for a file (open(), not exec()) and exports to it.
    void exportCsv();
    // Writes the rows of the current filter to `path`; exportFinished() tells the end.
    bool exportTo(const QString &path);
    // Everything about one entry, as the details pane shows it.
    static QString detailsText(const AuditEntry &entry);

signals:
    void exportFinished(bool ok, const QString &message, qint64 rows);

private:
    // The filter bar above the table.
    struct FilterControls {
        QLineEdit *actor = nullptr;
        QComboBox *action = nullptr;
        QComboBox *targetType = nullptr;
        QLineEdit *targetId = nullptr;
        QCheckBox *sinceOn = nullptr;
        QDateTimeEdit *since = nullptr;
        QCheckBox *untilOn = nullptr;
        QDateTimeEdit *until = nullptr;
        QLineEdit *search = nullptr;
        QPushButton *clear = nullptr;

        // The filter the controls describe.
        AuditFilter filter() const;
        // Back to "every row", without a change signal per control.
        void reset();
    };

    void showSelected();

    AsyncAuditService *m_service = nullptr;
    AuditTableModel *m_model = nullptr;
    Actor m_actorIdentity;
    QTableView *m_view = nullptr;
    FilterControls m_filters;
    QPushButton *m_export = nullptr;
    QPlainTextEdit *m_details = nullptr;
    QLabel *m_message = nullptr;
    QTimer *m_debounce = nullptr;
    QPointer<QFileDialog> m_exportDialog;
};

} // namespace hcm::ui
