#pragma once

#include "api/asynctokenservice.h"
#include "auth/actor.h"
#include "auth/asyncuserservice.h"

#include <QPointer>
#include <QWidget>

class QBoxLayout;
class QComboBox;
class QGroupBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;
class QTimer;

namespace hcm {
struct DbConfig;
} // namespace hcm

namespace hcm::ui {

class TokenCreatedDialog;
class TokenTableModel;
class UserTableModel;

// The Users page (system administrators): the people of this database with their role, whether they
// are disabled, and who created and last changed them; adding a user, changing a role, disabling and
// enabling. UserService decides (ManageUsers, the last system administrator): a refusal is shown on the
// page as the service words it. Reads and changes run on AsyncUserService's thread.
// Below, the API tokens (ApiTokenStore through AsyncTokenService): each token's name, user, times and last
// use (never the token); a system administrator revokes one after confirming, or creates one for the
// selected user and sees it once in a TokenCreatedDialog.
class UsersPage final : public QWidget {
    Q_OBJECT
public:
    UsersPage(const DbConfig &config, const Actor &actor, QWidget *parent = nullptr);
    ~UsersPage() override;

    QTableView *view() const { return m_view; }
    UserTableModel *model() const { return m_model; }
    QLineEdit *nameEdit() const { return m_newUser.name; }
    QLineEdit *displayNameEdit() const { return m_newUser.displayName; }
    QComboBox *newRoleBox() const { return m_newUser.role; }
    QPushButton *addButton() const { return m_newUser.add; }
    QComboBox *roleBox() const { return m_selected.role; }
    QPushButton *setRoleButton() const { return m_selected.setRole; }
    QPushButton *disableButton() const { return m_selected.disable; }
    QLabel *messageLabel() const { return m_message; }
    QTableView *tokenView() const { return m_tokenView; }
    TokenTableModel *tokenModel() const { return m_tokenModel; }
    QLineEdit *tokenNameEdit() const { return m_newToken.name; }
    QComboBox *tokenExpiryBox() const { return m_newToken.expiry; }
    QPushButton *createTokenButton() const { return m_newToken.create; }
    QPushButton *revokeTokenButton() const { return m_newToken.revoke; }
    // The dialog showing a token just created, while it is open.
    TokenCreatedDialog *tokenCreatedDialog() const;

    // The user whose row is current, or empty.
    QString selectedUser() const;
    void selectUser(const QString &name);
    // What the buttons do (tests call them directly too).
    void addUser();
    void setRoleOfSelected();
    void toggleDisabledOfSelected();
    void refresh();
    // The token whose row is current (0: none); selects the row of token `id`.
    qint64 selectedToken() const;
    void selectToken(qint64 id);
    // Creates a token for the selected user (shown once in a dialog); asks before revoking the selected
    // token.
    void createTokenForSelected();
    void revokeSelectedToken();

signals:
    // A change was answered (`ok`, or the service's refusal in `message`, also shown on the page).
    void actionFinished(bool ok, const QString &message);
    // A token was created or revoked (`ok`), or the store's refusal in `message`.
    void tokenActionFinished(bool ok, const QString &message);

private:
    // The "New user" box: name, display name and role of a user to add.
    struct NewUserForm {
        QLineEdit *name = nullptr;
        QLineEdit *displayName = nullptr;
        QComboBox *role = nullptr;
        QPushButton *add = nullptr;
    };
    // The "Selected user" box: acts on the user of m_view's current row.
    struct SelectedUserForm {
        QComboBox *role = nullptr;
        QPushButton *setRole = nullptr;
        QPushButton *disable = nullptr;
    };
    // The controls of the "API tokens" box above its table: creating a token for the selected user,
    // revoking the selected token.
    struct NewTokenForm {
        QLineEdit *name = nullptr;
        QComboBox *expiry = nullptr;
        QPushButton *create = nullptr;
        QPushButton *revoke = nullptr;
    };

    void resizeEvent(QResizeEvent *event) override;
    // The "New user" and "Selected user" boxes side by side when both fit at their preferred widths,
    // else one above the other (at 1000 px the name fields were squeezed to a few letters).
    void placeTopBoxes();
    // Each creates its box's widgets (in tab order) and returns the box.
    QGroupBox *createNewUserBox();
    QGroupBox *createSelectedUserBox();
    QGroupBox *createTokenBox();
    void updateButtons();
    void fetchAll();
    void finishAction(QFuture<Result<User>> change, const QString &name);
    void onActionFinished(bool ok, const QString &message, const QString &name);
    void onTokenCreated(bool ok, const QString &message, const ApiToken &info, const QString &token);
    void onTokenRevoked(bool ok, const QString &message, qint64 id);
    void showMessage(bool ok, const QString &text);

    AsyncUserService *m_service = nullptr;
    Latest<Result<QList<User>>> m_list; // only the newest lists are shown
    Latest<Result<QList<ApiToken>>> m_tokenList;
    Actor m_actor;
    UserTableModel *m_model = nullptr;
    QTableView *m_view = nullptr;
    NewUserForm m_newUser;
    SelectedUserForm m_selected;
    QGroupBox *m_addBox = nullptr;
    QGroupBox *m_editBox = nullptr;
    QBoxLayout *m_top = nullptr;
    QLabel *m_message = nullptr;
    QTimer *m_refresh = nullptr;
    AsyncTokenService *m_tokens = nullptr;
    TokenTableModel *m_tokenModel = nullptr;
    QTableView *m_tokenView = nullptr;
    NewTokenForm m_newToken;
    QPointer<TokenCreatedDialog> m_createdDialog;
};

} // namespace hcm::ui
