#pragma once

#include "settings/notificationsettings.h"

#include <QWidget>

class QLabel;
class QLineEdit;
class QPushButton;

namespace hcm::ui {

// A write-only secret (SMTP password, Twilio token, Slack webhook URL) in a form. It shows only whether
// a value is stored ("Set" / "Not set"); Replace… reveals an empty password-mode line edit for a new
// value, Clear marks the stored value for removal, Undo goes back to keeping what is stored. The stored
// value is never in this widget: the settings the form loads carry only SecretField::isSet.
class SecretFieldWidget final : public QWidget {
    Q_OBJECT
public:
    explicit SecretFieldWidget(QWidget *parent = nullptr);
    Q_DISABLE_COPY_MOVE(SecretFieldWidget)

    // Shows the stored state and forgets any pending change.
    void setStored(bool isSet);
    bool isStored() const { return m_isSet; }
    SecretField::Change change() const { return m_change; }
    // Writes the pending change (keep, replace with the typed value, clear) into `field`.
    void applyTo(SecretField &field) const;

    void setPlaceholderText(const QString &text);
    // Tints the line edit (or the state label) and sets an accessible description.
    void setInvalid(bool invalid);
    QLineEdit *lineEdit() const { return m_edit; }

signals:
    // The pending change or the typed value changed.
    void edited();

private:
    void setChange(SecretField::Change change);
    void updateState();

    bool m_isSet = false;
    SecretField::Change m_change = SecretField::Change::Keep;
    bool m_invalid = false;
    QLabel *m_icon = nullptr;
    QLabel *m_state = nullptr;
    QLineEdit *m_edit = nullptr;
    QPushButton *m_replace = nullptr;
    QPushButton *m_clear = nullptr;
    QPushButton *m_undo = nullptr;
};

} // namespace hcm::ui
