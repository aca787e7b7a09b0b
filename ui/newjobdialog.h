#pragma once

#include "jobs/asyncjobservice.h"

#include <QDialog>
#include <QPointer>

class QCheckBox;
class QDateTimeEdit;
class QDialogButtonBox;
class QLabel;

namespace hcm::ui {

class JobFieldsForm;

// Creates one job. The form validates as the user types (the same rules as JobService::validate, run
// on the GUI thread because they are pure); "Create job" enqueues through AsyncJobService and the
// dialog closes only when the database said yes. A refusal is shown inline and the dialog stays open.
// Open it with open() or show(), never exec().
class NewJobDialog final : public QDialog {
    Q_OBJECT
public:
    NewJobDialog(AsyncJobService *service, Actor actor, QWidget *parent = nullptr);
    Q_DISABLE_COPY_MOVE(NewJobDialog)

    // Fills the form from an existing job ("Duplicate as new job…"). A start time in the past is
    // replaced by "start now".
    void prefill(const NewJob &job);

    // The job the form describes, or the first error in it.
    Result<NewJob> currentJob() const;
    // True while the enqueue request is in flight.
    bool isSubmitting() const { return m_submitting; }

public slots:
    // Enqueues and waits for the answer; does not close at once.
    void accept() override;
    // Validates now instead of after the typing pause (tests call it instead of waiting).
    void validateNow();

signals:
    // The job exists; emitted just before the dialog closes with Accepted.
    void jobCreated(qint64 id);

protected:
    void changeEvent(QEvent *event) override;

private:
    void buildForm();
    void showSubmitError(const QString &message);
    void setSubmitting(bool submitting);
    void showValidation(const QString &error);

    QPointer<AsyncJobService> m_service;
    Actor m_actor;
    JobFieldsForm *m_fields = nullptr;
    QCheckBox *m_startLaterCheck = nullptr;
    QDateTimeEdit *m_startEdit = nullptr;
    QLabel *m_submitLabel = nullptr;
    QDialogButtonBox *m_buttonBox = nullptr;
    bool m_submitting = false; // an enqueue is on its way
};

} // namespace hcm::ui
