#pragma once

#include "auth/actor.h"
#include "auth/asyncuserservice.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;
class QTimer;

namespace hcm {
struct DbConfig;
} // namespace hcm

namespace hcm::ui {

class UserTableModel;

// The Users page (system administrators): the people of this database with their role, whether they
// are disabled, and who created and last changed them; adding a user, changing a role, disabling and
// enabling. UserService decides (ManageUsers, the last system administrator): a refusal is shown on the
// page as the service words it. Reads and changes run on AsyncUserService's thread.
class UsersPage final : public QWidget {
    Q_OBJECT
public:
    UsersPage(const DbConfig &config, const Actor &actor, QWidget *parent = nullptr);
    ~UsersPage() override;

    QTableView *view() const { return m_view; }
    UserTableModel *model() const { return m_model; }
    QLineEdit *nameEdit() const { return m_name; }
    QLineEdit *displayNameEdit() const { return m_displayName; }
    QComboBox *newRoleBox() const { return m_newRole; }
    QPushButton *addButton() const { return m_add; }
    QComboBox *roleBox() const { return m_role; }
    QPushButton *setRoleButton() const { return m_setRole; }
    QPushButton *disableButton() const { return m_disable; }
    QLabel *messageLabel() const { return m_message; }

    // The user whose row is current, or empty.
    QString selectedUser() const;
    void selectUser(const QString &name);
    // What the buttons do (tests call them directly too).
    void addUser();
    void setRoleOfSelected();
    void toggleDisabledOfSelected();
    void refresh();

signals:
    // A change was answered (`ok`, or the service's refusal in `message`, also shown on the page).
    void actionFinished(bool ok, const QString &message);

private:
    void updateButtons();
    void fetchAll();
    void finishAction(QFuture<Result<User>> change, const QString &name);
    void onActionFinished(bool ok, const QString &message, const QString &name);

    AsyncUserService *m_service = nullptr;
    Latest<Result<QList<User>>> m_list; // only the newest list is shown
    Actor m_actor;
    UserTableModel *m_model = nullptr;
    QTableView *m_view = nullptr;
    QLineEdit *m_name = nullptr;
    QLineEdit *m_displayName = nullptr;
    QComboBox *m_newRole = nullptr;
    QPushButton *m_add = nullptr;
    QComboBox *m_role = nullptr;
    QPushButton *m_setRole = nullptr;
    QPushButton *m_disable = nullptr;
    QLabel *m_message = nullptr;
    QTimer *m_refresh = nullptr;
};

} // namespace hcm::ui
