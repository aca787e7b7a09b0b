#pragma once

#include "common/error.h"
#include "jobs/job.h"

#include <QObject>
#include <QTimer>

class QComboBox;
class QFormLayout;
class QLabel;
class QPlainTextEdit;
class QSpinBox;
class QWidget;

namespace hcm::ui {

// The fields of a job that the new-job and the schedule dialogs both edit: type (with its description),
// payload (JSON, with a live validation line that names the line and column of a syntax error),
// priority and max retries. Each add*Row() creates its widgets as children of the owner and adds them
// to the caller's form, so each dialog keeps its own row order, labels and tab order (creation order).
class JobFieldsForm final : public QObject {
    Q_OBJECT
public:
    // includeTestTypes: also offer the test.* job types when they are enabled.
    explicit JobFieldsForm(QWidget *owner, bool includeTestTypes = false);
    Q_DISABLE_COPY_MOVE(JobFieldsForm)

    void addTypeRows(QFormLayout *form, const QString &label);    // combo, then its description
    void addPriorityRow(QFormLayout *form, const QString &label); // Normal preselected
    void addPayloadRows(QFormLayout *form, const QString &label); // editor, then the validation line
    void addRetriesRow(QFormLayout *form, const QString &label);  // spin box and the backoff it means

    // Call once all rows exist: describes the type, puts its payload template in and validates.
    void start();

    // type, priority, payload and max retries (no runAt), or the payload's parse error.
    Result<NewJob> job() const;
    // Fills the fields; a type the combo does not offer is left as it is. The payload is pretty-printed;
    // without withPayload the editor keeps what it has (the type's template when untouched).
    void setJob(const NewJob &job, bool withPayload = true);
    // Adds `type` to the combo when it is not offered (an existing row of an unknown type).
    void ensureType(const QString &type);

    // Shows `error` under the payload, or "Payload is valid" when it is empty.
    void showValidation(const QString &error);
    bool isValid() const { return m_valid; }
    QString validationText() const;
    // Repaints the validation line in the owner's current palette.
    void refreshColors();
    // Drops a validation still waiting for the typing pause.
    void cancelPendingValidation() { m_validateTimer.stop(); }
    void setEnabled(bool enabled);

    QString currentType() const;
    QComboBox *typeCombo() const { return m_typeCombo; }
    QComboBox *priorityCombo() const { return m_priorityCombo; }
    QPlainTextEdit *payloadEdit() const { return m_payloadEdit; }
    QSpinBox *retriesSpin() const { return m_maxRetriesSpin; }
    QLabel *validationLabel() const { return m_validationLabel; }

signals:
    // The type or the retries changed, or the user paused typing in the payload: validate again.
    void edited();

private:
    void onTypeChanged();
    void onPayloadEdited();
    void setPayloadText(const QString &text);
    void updateRetriesHint();

    QWidget *m_owner;
    bool m_includeTestTypes;
    QComboBox *m_typeCombo = nullptr;
    QLabel *m_typeDescription = nullptr;
    QComboBox *m_priorityCombo = nullptr;
    QPlainTextEdit *m_payloadEdit = nullptr;
    QLabel *m_validationIcon = nullptr;
    QLabel *m_validationLabel = nullptr;
    QSpinBox *m_maxRetriesSpin = nullptr;
    QLabel *m_retriesHint = nullptr;
    QTimer m_validateTimer;
    QString m_templateText; // the template last put into the payload editor
    bool m_settingPayload = false;
    bool m_valid = false;
};

} // namespace hcm::ui
