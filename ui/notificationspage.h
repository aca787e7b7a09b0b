#pragma once

#include "db/dbconfig.h"
#include "jobs/job.h"
#include "settings/notificationsettings.h"
#include "settings/notificationsettingsstore.h"

#include <QPointer>
#include <QTimer>
#include <QWidget>

class QLabel;
class QPushButton;
class QScrollArea;
class QStackedWidget;

namespace hcm::ui {

class NotificationsForm;
class SettingsConflictDialog;

// The organisation's notification settings: a form with a test button per channel, Save and Revert.
// Loading and saving run on the thread pool; conflicts with another admin's save are shown, never
// overwritten silently. See notificationspage.cpp for why the form edits a value, not an SQL model.
class NotificationsPage final : public QWidget {
    Q_OBJECT
public:
    enum class State { Idle, Loading, Saving };
    Q_ENUM(State)

    NotificationsPage(DbConfig config, Actor actor, QWidget *parent = nullptr);
    ~NotificationsPage() override;
    Q_DISABLE_COPY_MOVE(NotificationsPage)

    NotificationsForm *form() const { return m_form; }
    State state() const { return m_state; }
    bool hasLoaded() const { return m_loadedOnce; }
    // Something differs from the settings as loaded (a field or a pending secret change).
    bool isDirty() const;
    // The form passes validation (as of the last check; validateNow() checks at once).
    bool isValid() const { return m_errors.isEmpty(); }
    // The settings as loaded and as edited now.
    const NotificationSettings &loadedSettings() const { return m_loaded; }
    NotificationSettings editedSettings() const;
    QMap<QString, QString> fieldErrors() const { return m_errors; }
    QPushButton *saveButton() const { return m_save; }
    QPushButton *revertButton() const { return m_revert; }
    // The conflict dialog while it is open.
    SettingsConflictDialog *conflictDialog() const;
    // "Last saved by alice on 7 Jan 2026 at 10:15".
    QString lastSavedText() const;

public slots:
    // Reads the stored settings (the form shows "Loading…" the first time). Unsaved edits are dropped.
    void load();
    // Saves when the form is valid and changed; emits saved() or saveFailed().
    void save();
    // Back to the settings as loaded.
    void revert();
    // Validates now instead of after the 150 ms pause in typing.
    void validateNow();

signals:
    void loaded();
    void saved();
    // Not saved: invalid, a conflict (the dialog is open), or the database failed.
    void saveFailed(const QString &message);
    void dirtyChanged(bool dirty);
    void statusMessage(const QString &message, int timeoutMs);

protected:
    void showEvent(QShowEvent *event) override;

private:
    void buildUi();
    void onEdited();
    // Every message the form's values get now: what cannot be read, then the settings' own rules.
    QMap<QString, QString> currentErrors() const;
    void setState(State state);
    void updateActions();
    void showBanner(const QString &message, bool isError);
    void startSave(const NotificationSettings &settings, int expectedVersion);
    void onSaveFinished(const NotificationSettings &mine, const SettingsSaveResult &result,
                        const std::optional<NotificationSettings> &reloaded);
    void openConflict(const NotificationSettings &mine, const QStringList &fields);
    void applyLoaded(const NotificationSettings &settings);

    DbConfig m_config;
    Actor m_actor;
    State m_state = State::Idle;
    bool m_loadedOnce = false;
    bool m_wasDirty = false;
    NotificationSettings m_loaded;
    QMap<QString, QString> m_errors;
    QTimer m_validateTimer;
    QPointer<SettingsConflictDialog> m_conflict;

    QLabel *m_title = nullptr;
    QLabel *m_lastSaved = nullptr;
    QLabel *m_banner = nullptr;
    QStackedWidget *m_stack = nullptr;
    QLabel *m_message = nullptr;
    QPushButton *m_retry = nullptr;
    QScrollArea *m_scroll = nullptr;
    NotificationsForm *m_form = nullptr;
    QLabel *m_stateLabel = nullptr;
    QPushButton *m_revert = nullptr;
    QPushButton *m_save = nullptr;
};

} // namespace hcm::ui
