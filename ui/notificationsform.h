#pragma once

#include "settings/notificationsettings.h"

#include <QHash>
#include <QMap>
#include <QWidget>

#include <functional>

class QBoxLayout;
class QCheckBox;
class QComboBox;
class QFormLayout;
class QGroupBox;
class QLabel;
class QLineEdit;
class QSpinBox;
class QTimeEdit;
class QToolButton;

namespace hcm::ui {

class ChannelTestWidget;
class SecretFieldWidget;

// The widgets of the notification settings, grouped by section (Email, SMS, Slack, Events, Quiet hours,
// Delivery), in one column or two when there is room. Every editor is bound to a field of the table
// NotificationSettings::fields() by its key; the binding (which value, which signal) follows from the
// field's type and the editor's class: setSettings() fills the editors from a value, settings() applies
// them to a copy of it. A field of the table that no group places by hand gets a default editor for its
// type at the end of its section's group. Secrets go through SecretFieldWidget and never hold a stored
// value. The form knows nothing about storage; NotificationsPage loads, validates and saves.
class NotificationsForm final : public QWidget {
    Q_OBJECT
public:
    explicit NotificationsForm(QWidget *parent = nullptr);
    // A form of `fields` (NotificationSettings::fields() and rows of one's own, for the tests).
    explicit NotificationsForm(QList<SettingsField> fields, QWidget *parent = nullptr);
    ~NotificationsForm() override;
    Q_DISABLE_COPY_MOVE(NotificationsForm)

    // Shows `settings` (secrets as set / not set, no pending change). Emits no edited().
    void setSettings(const NotificationSettings &settings);
    // The settings given to setSettings() with every editor's value and pending secret change applied.
    // Text an editor holds that cannot be applied is reported in `parseErrors` (field key → sentence).
    NotificationSettings settings(QMap<QString, QString> *parseErrors = nullptr) const;

    // Shows one message per field key under its editor and tints the editor; keys not given are cleared.
    void setErrors(const QMap<QString, QString> &errors);
    // The message shown for `key` (empty when none).
    QString errorText(const QString &key) const;

    QWidget *editor(const QString &key) const;
    SecretFieldWidget *secretEditor(const QString &key) const;
    ChannelTestWidget *testWidget(NotifyChannel channel) const;

    bool isTwoColumns() const { return m_twoColumns; }
    // Below this width the groups stack in one column.
    static constexpr int kTwoColumnWidth = 1000;

signals:
    // Any editor changed by the user.
    void edited();

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    struct Binding {
        QWidget *editor = nullptr;
        // The editor's value into the settings (an error sentence or ""), and the settings' value into
        // the editor.
        std::function<QString(NotificationSettings &)> apply;
        std::function<void(const NotificationSettings &)> show;
        QLabel *error = nullptr; // shared by the keys of one row
        QFormLayout *form = nullptr;
    };

    QGroupBox *buildEmail();
    QGroupBox *buildSms();
    QGroupBox *buildSlack();
    QGroupBox *buildEvents();
    QGroupBox *buildQuietHours();
    QGroupBox *buildDelivery();

    QFormLayout *newForm(QGroupBox *group);
    QLabel *rowLabel(const QString &text);
    // Adds a row "label: field" and an error row under it (hidden while there is no message).
    QLabel *addRow(QFormLayout *form, const QString &label, QWidget *field);
    QLabel *addRow(QFormLayout *form, const QString &label, QLayout *field);
    QLabel *addErrorRow(QFormLayout *form);
    void addHint(QFormLayout *form, const QString &text);

    QLineEdit *lineEdit(const QString &key, const QString &placeholder = {});
    QCheckBox *checkBox(const QString &key, const QString &text);
    // A combo box of the field's choices (SettingsField::choices).
    QComboBox *choice(const QString &key);
    QTimeEdit *timeEdit(const QString &key);
    SecretFieldWidget *secret(const QString &key, const QString &placeholder);
    // Binds `editor` to the field `key`: the value and the change signal follow from the field's type
    // and the editor's class (QCheckBox, QSpinBox, QLineEdit, QComboBox, QTimeEdit).
    void bind(const QString &key, QWidget *editor);
    // Default editors, at the end of their section's group, for the fields no group places by hand.
    void addUnplacedFields();
    void setErrorLabel(const QString &key, QFormLayout *form, QLabel *error);
    void changed();
    void arrangeColumns(bool two);
    void alignLabels();

    const SettingsField *field(const QString &key) const;

    QList<SettingsField> m_fields;
    NotificationSettings m_base;
    bool m_filling = false;
    bool m_twoColumns = false;
    QHash<QString, Binding> m_bindings;
    QHash<QString, SecretFieldWidget *> m_secrets;
    QHash<QString, QWidget *> m_secretRows;
    QMap<QString, QString> m_errors;
    ChannelTestWidget *m_tests[3] = {};
    QList<QGroupBox *> m_leftGroups;
    QList<QGroupBox *> m_rightGroups;
    QBoxLayout *m_columns[2] = {};
    QList<QLabel *> m_rowLabels;
    QToolButton *m_advancedButton = nullptr;
    QFormLayout *m_smsForm = nullptr;
    QHash<int, QFormLayout *> m_sectionForms; // SettingsField::Section → its group's form
    QWidget *m_apiRow = nullptr;
    QSpinBox *m_port = nullptr;
    QComboBox *m_security = nullptr;
    QString m_lastSecurity;
};

} // namespace hcm::ui
