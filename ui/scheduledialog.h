#pragma once

#include "schedules/schedule.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QTreeWidget;

namespace hcm::ui {

class JobFieldsForm;

// Creates or edits a schedule. The expression is checked as it is typed: its plain-words description,
// or the parser's error (which field, why); the next five run times are previewed in the chosen zone
// and in local time. OK stays off while anything is invalid. No SQL here: the page saves the result.
class ScheduleDialog final : public QDialog {
    Q_OBJECT
public:
    explicit ScheduleDialog(const Schedule &initial, QWidget *parent = nullptr);

    Schedule schedule() const;
    // The message under the form: the first problem, or empty when the schedule is valid.
    QString problem() const;

    QLineEdit *nameEdit() const { return m_name; }
    QLineEdit *cronEdit() const { return m_cron; }
    QComboBox *zoneBox() const { return m_zone; }
    QLabel *cronLabel() const { return m_cronInfo; }
    QTreeWidget *preview() const { return m_preview; }
    QDialogButtonBox *buttons() const { return m_buttons; }

protected:
    void changeEvent(QEvent *event) override;

private:
    void revalidate();

    Schedule m_initial;
    QLineEdit *m_name = nullptr;
    JobFieldsForm *m_fields = nullptr;
    QLineEdit *m_cron = nullptr;
    QLabel *m_cronInfo = nullptr;
    QComboBox *m_zone = nullptr;
    QComboBox *m_overlap = nullptr;
    QComboBox *m_missed = nullptr;
    QCheckBox *m_enabled = nullptr;
    QTreeWidget *m_preview = nullptr;
    QLabel *m_problem = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};

} // namespace hcm::ui
