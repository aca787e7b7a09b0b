#pragma once

#include "settings/notificationsettings.h"

#include <QDialog>

class QLabel;
class QPushButton;
class QTableWidget;

namespace hcm::ui {

// Shown when saving the notification settings met a newer version (another admin saved meanwhile). It
// lists every field the other save changed with its label, the value in this form and the value now
// stored (secrets only as "changed by someone else"), and lets the admin choose: overwrite with this
// form's values, discard them and reload, or go back to editing. Nothing is overwritten without that
// choice. The stored values load in the background: until setStored() they read "Loading…" and
// overwriting is not offered yet (it needs the stored version).
class SettingsConflictDialog final : public QDialog {
    Q_OBJECT
public:
    enum class Choice { Cancel, Overwrite, Reload };
    Q_ENUM(Choice)

    SettingsConflictDialog(const QStringList &fields, const NotificationSettings &mine,
                           const NotificationSettings &loaded, QWidget *parent = nullptr);
    Q_DISABLE_COPY_MOVE(SettingsConflictDialog)

    // The settings as stored now; fills the third column and enables "Overwrite with mine".
    void setStored(const NotificationSettings &stored);
    void setStoredError(const QString &message);
    const NotificationSettings &stored() const { return m_stored; }
    bool hasStored() const { return m_hasStored; }

    QStringList fields() const { return m_fields; }
    // A field's value as this dialog shows it (also used for the "your value" column).
    static QString displayValue(const NotificationSettings &settings, const QString &key, bool theirs);

signals:
    // Emitted once, when the admin chose (closing the window is Cancel).
    void chosen(hcm::ui::SettingsConflictDialog::Choice choice);

protected:
    void done(int result) override;

private:
    void choose(Choice choice);

    QStringList m_fields;
    NotificationSettings m_stored;
    bool m_hasStored = false;
    bool m_chosen = false;
    QLabel *m_intro = nullptr;
    QTableWidget *m_table = nullptr;
    QPushButton *m_overwrite = nullptr;
    QPushButton *m_reload = nullptr;
    QPushButton *m_cancel = nullptr;
};

} // namespace hcm::ui
