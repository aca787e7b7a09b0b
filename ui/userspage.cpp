#include "userspage.h"

#include "api/asynctokenservice.h"
#include "auth/asyncuserservice.h"
#include "auth/permissions.h"
#include "ui/statusicons.h"
#include "ui/tablefit.h"
#include "ui/tokencreateddialog.h"
#include "ui/tokentablemodel.h"
#include "ui/usertablemodel.h"

#include <QComboBox>
#include <QDateTime>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace hcm::ui {

namespace {

void addRoles(QComboBox *box)
{
    for (Role role : {Role::Viewer, Role::Operator, Role::SystemAdmin})
        box->addItem(roleDisplayName(role), int(role));
}

} // namespace

UsersPage::UsersPage(const DbConfig &config, const Actor &actor, QWidget *parent)
    : QWidget(parent)
    , m_service(new AsyncUserService(config, this))
    , m_actor(actor)
    , m_tokens(new AsyncTokenService(config, this))
{
    setObjectName(QStringLiteral("usersPage"));
    m_model = new UserTableModel(this);
    m_view = new QTableView;
    m_view->setObjectName(QStringLiteral("users"));
    m_view->setAccessibleName(tr("Users"));
    setUpRowTable(m_view, m_model);
    m_view->setColumnWidth(UserTableModel::Name, 120);
    m_view->setColumnWidth(UserTableModel::DisplayName, 160);
    m_view->setColumnWidth(UserTableModel::RoleColumn, 160);
    m_view->setColumnWidth(UserTableModel::Disabled, 80);
    m_view->setColumnWidth(UserTableModel::Created, 130);
    m_view->setColumnWidth(UserTableModel::CreatedBy, 120);
    m_view->setColumnWidth(UserTableModel::Updated, 130);

    // Adding a user.
    m_name = new QLineEdit;
    m_name->setObjectName(QStringLiteral("newUserName"));
    m_name->setAccessibleName(tr("New user's name"));
    m_name->setPlaceholderText(tr("Login name"));
    m_name->setMaxLength(UserService::kMaxNameLength);
    m_displayName = new QLineEdit;
    m_displayName->setObjectName(QStringLiteral("newUserDisplayName"));
    m_displayName->setAccessibleName(tr("New user's display name"));
    m_displayName->setPlaceholderText(tr("Display name (optional)"));
    m_newRole = new QComboBox;
    m_newRole->setObjectName(QStringLiteral("newUserRole"));
    m_newRole->setAccessibleName(tr("New user's role"));
    addRoles(m_newRole);
    m_add = new QPushButton(icon("action-new"), tr("&Add User"));
    m_add->setObjectName(QStringLiteral("addUser"));
    auto *addBox = new QGroupBox(tr("New user"));
    auto *addRow = new QHBoxLayout(addBox);
    addRow->addWidget(m_name, 1);
    addRow->addWidget(m_displayName, 1);
    addRow->addWidget(m_newRole);
    addRow->addWidget(m_add);

    // Changing the selected user.
    m_role = new QComboBox;
    m_role->setObjectName(QStringLiteral("userRole"));
    m_role->setAccessibleName(tr("Role of the selected user"));
    addRoles(m_role);
    m_setRole = new QPushButton(tr("&Change Role"));
    m_setRole->setObjectName(QStringLiteral("setRole"));
    m_disable = new QPushButton(tr("&Disable"));
    m_disable->setObjectName(QStringLiteral("toggleDisabled"));
    auto *editBox = new QGroupBox(tr("Selected user"));
    auto *editRow = new QHBoxLayout(editBox);
    editRow->addWidget(m_role);
    editRow->addWidget(m_setRole);
    editRow->addWidget(m_disable);
    editRow->addStretch(1);

    m_message = new QLabel;
    m_message->setObjectName(QStringLiteral("message"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);

    // API tokens: listed for every user, created for the selected one.
    m_tokenModel = new TokenTableModel(this);
    m_tokenView = new QTableView;
    m_tokenView->setObjectName(QStringLiteral("tokens"));
    m_tokenView->setAccessibleName(tr("API tokens"));
    setUpRowTable(m_tokenView, m_tokenModel);
    m_tokenView->setColumnWidth(TokenTableModel::Name, 160);
    m_tokenView->setColumnWidth(TokenTableModel::User, 110);
    m_tokenView->setColumnWidth(TokenTableModel::Prefix, 100);
    m_tokenView->setColumnWidth(TokenTableModel::Created, 130);
    m_tokenView->setColumnWidth(TokenTableModel::Expires, 130);
    m_tokenView->setColumnWidth(TokenTableModel::LastUsed, 130);
    m_tokenView->setColumnWidth(TokenTableModel::LastAddress, 120);
    m_tokenName = new QLineEdit;
    m_tokenName->setObjectName(QStringLiteral("newTokenName"));
    m_tokenName->setAccessibleName(tr("New token's name"));
    m_tokenName->setPlaceholderText(tr("What the token is for, e.g. HR backend"));
    m_tokenName->setMaxLength(200);
    m_tokenExpiry = new QComboBox;
    m_tokenExpiry->setObjectName(QStringLiteral("newTokenExpiry"));
    m_tokenExpiry->setAccessibleName(tr("New token's expiry"));
    m_tokenExpiry->addItem(tr("Expires in 30 days"), 30);
    m_tokenExpiry->addItem(tr("Expires in 90 days"), 90);
    m_tokenExpiry->addItem(tr("Expires in a year"), 365);
    m_tokenExpiry->addItem(tr("Never expires"), 0);
    m_tokenExpiry->setCurrentIndex(1);
    m_createToken = new QPushButton(icon("action-new"), tr("Create &Token for Selected User"));
    m_createToken->setObjectName(QStringLiteral("createToken"));
    m_revokeToken = new QPushButton(tr("&Revoke Token…"));
    m_revokeToken->setObjectName(QStringLiteral("revokeToken"));
    auto *tokenBox = new QGroupBox(tr("API tokens"));
    auto *tokenRow = new QHBoxLayout;
    tokenRow->addWidget(m_tokenName, 1);
    tokenRow->addWidget(m_tokenExpiry);
    tokenRow->addWidget(m_createToken);
    tokenRow->addStretch(0);
    tokenRow->addWidget(m_revokeToken);
    auto *tokenLayout = new QVBoxLayout(tokenBox);
    tokenLayout->addLayout(tokenRow);
    tokenLayout->addWidget(m_tokenView, 1);

    auto *top = new QHBoxLayout;
    top->addWidget(addBox, 3);
    top->addWidget(editBox, 2);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_message);
    layout->addWidget(m_view, 3);
    layout->addWidget(tokenBox, 2);

    connect(m_add, &QPushButton::clicked, this, &UsersPage::addUser);
    connect(m_name, &QLineEdit::returnPressed, this, &UsersPage::addUser);
    connect(m_setRole, &QPushButton::clicked, this, &UsersPage::setRoleOfSelected);
    connect(m_disable, &QPushButton::clicked, this, &UsersPage::toggleDisabledOfSelected);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &UsersPage::updateButtons);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &UsersPage::updateButtons);
    connect(m_createToken, &QPushButton::clicked, this, &UsersPage::createTokenForSelected);
    connect(m_tokenName, &QLineEdit::returnPressed, this, &UsersPage::createTokenForSelected);
    connect(m_revokeToken, &QPushButton::clicked, this, &UsersPage::revokeSelectedToken);
    connect(m_tokenView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &UsersPage::updateButtons);
    connect(m_tokenModel, &QAbstractItemModel::dataChanged, this, &UsersPage::updateButtons);

    if (!isAllowed(actor.role, Permission::ManageUsers)) {
        // The main window does not show this page then; alone, it reads nothing.
        setEnabled(false);
        m_message->setText(permissionRequirement(Permission::ManageUsers));
        updateButtons();
        return;
    }
    // Other administrators (hcmctl users …) change the list too.
    m_refresh = new QTimer(this);
    m_refresh->setInterval(10'000);
    connect(m_refresh, &QTimer::timeout, this, &UsersPage::refresh);
    m_refresh->start();
    updateButtons();
    refresh();
}

UsersPage::~UsersPage() = default;

void UsersPage::refresh()
{
    if (isAllowed(m_actor.role, Permission::ManageUsers))
        fetchAll();
    if (isAllowed(m_actor.role, Permission::ManageTokens))
        m_tokenList.track(m_tokens->fetchAll(m_actor), this, [this](const Result<QList<ApiToken>> &tokens) {
            if (!tokens) {
                m_message->setText(tokens.error().message);
                return;
            }
            m_tokenModel->setTokens(tokens.value());
            updateButtons();
        });
}

void UsersPage::fetchAll()
{
    m_list.track(m_service->fetchAll(), this, [this](const Result<QList<User>> &users) {
        if (!users) {
            m_message->setText(users.error().message);
            return;
        }
        m_model->setUsers(users.value());
        updateButtons();
    });
}

void UsersPage::finishAction(QFuture<Result<User>> change, const QString &name)
{
    whenReady(change, this, [this, name](const Result<User> &user) {
        onActionFinished(user.ok(), user.ok() ? QString() : user.error().message, name);
    });
}

QString UsersPage::selectedUser() const
{
    const User *u = m_model->userAt(m_view->currentIndex().row());
    return u ? u->name : QString();
}

void UsersPage::selectUser(const QString &name)
{
    const int row = m_model->rowOf(name);
    if (row >= 0)
        m_view->setCurrentIndex(m_model->index(row, 0));
}

void UsersPage::updateButtons()
{
    const User *u = m_model->userAt(m_view->currentIndex().row());
    m_role->setEnabled(u != nullptr);
    m_setRole->setEnabled(u != nullptr);
    m_disable->setEnabled(u != nullptr);
    m_disable->setText(u && u->disabled ? tr("&Enable") : tr("&Disable"));
    if (u) {
        const QSignalBlocker block(m_role);
        m_role->setCurrentIndex(m_role->findData(int(u->role)));
    }
    const bool mayManageTokens = isAllowed(m_actor.role, Permission::ManageTokens);
    const ApiToken *t = m_tokenModel->tokenAt(m_tokenView->currentIndex().row());
    m_createToken->setEnabled(mayManageTokens && u != nullptr && !u->disabled);
    m_createToken->setToolTip(!mayManageTokens ? permissionRequirement(Permission::ManageTokens)
                              : u == nullptr   ? tr("Select the user the token acts as.")
                              : u->disabled    ? tr("%1 is disabled: enable the user first.").arg(u->name)
                                               : tr("Creates a token that acts as %1.").arg(u->name));
    m_revokeToken->setEnabled(mayManageTokens && t != nullptr && t->revokedAt == 0);
    m_revokeToken->setToolTip(!mayManageTokens ? permissionRequirement(Permission::ManageTokens) : QString());
}

TokenCreatedDialog *UsersPage::tokenCreatedDialog() const
{
    return m_createdDialog.data();
}

qint64 UsersPage::selectedToken() const
{
    const ApiToken *t = m_tokenModel->tokenAt(m_tokenView->currentIndex().row());
    return t ? t->id : 0;
}

void UsersPage::selectToken(qint64 id)
{
    const int row = m_tokenModel->rowOf(id);
    if (row >= 0)
        m_tokenView->setCurrentIndex(m_tokenModel->index(row, 0));
}

void UsersPage::createTokenForSelected()
{
    const User *u = m_model->userAt(m_view->currentIndex().row());
    if (!u || !isAllowed(m_actor.role, Permission::ManageTokens))
        return;
    const QString name = m_tokenName->text().trimmed();
    if (name.isEmpty()) {
        showMessage(false, tr("Give the token a name that says what it is for."));
        m_tokenName->setFocus();
        return;
    }
    const int days = m_tokenExpiry->currentData().toInt();
    const qint64 expiresAt = days > 0 ? QDateTime::currentMSecsSinceEpoch() + days * 24LL * 3600 * 1000 : 0;
    m_message->clear();
    m_createToken->setEnabled(false);
    whenReady(m_tokens->create(u->name, name, expiresAt, m_actor), this,
              [this](const Result<CreatedApiToken> &created) {
                  if (created)
                      onTokenCreated(true, QString(), created->info, created->token);
                  else
                      onTokenCreated(false, created.error().message, ApiToken{}, QString());
              });
}

void UsersPage::revokeSelectedToken()
{
    const ApiToken *t = m_tokenModel->tokenAt(m_tokenView->currentIndex().row());
    if (!t || t->revokedAt != 0 || !isAllowed(m_actor.role, Permission::ManageTokens))
        return;
    const qint64 id = t->id;
    auto *box =
        new QMessageBox(QMessageBox::Warning, tr("Revoke API Token"),
                        tr("Revoke the token \"%1\" of %2 (%3…)?").arg(t->name, t->userName, t->prefix),
                        QMessageBox::NoButton, this);
    box->setObjectName(QStringLiteral("revokeTokenConfirm"));
    box->setInformativeText(tr("Programs that use it get 401 Unauthorized from their next request on. "
                               "This cannot be undone."));
    QPushButton *revoke = box->addButton(tr("&Revoke"), QMessageBox::DestructiveRole);
    revoke->setObjectName(QStringLiteral("confirmRevoke"));
    box->addButton(QMessageBox::Cancel);
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::finished, this, [this, box, revoke, id] {
        if (box->clickedButton() != revoke)
            return;
        m_message->clear();
        whenReady(m_tokens->revoke(id, m_actor), this, [this, id](const Status &st) {
            onTokenRevoked(st.ok(), st.ok() ? QString() : st.error().message, id);
        });
    });
    box->open();
}

void UsersPage::showMessage(bool ok, const QString &text)
{
    // A refusal stands out; a success reads as plain text.
    m_message->setStyleSheet(ok ? QString() : QStringLiteral("color: #b91c1c; font-weight: bold"));
    m_message->setText(text);
}

void UsersPage::onTokenCreated(bool ok, const QString &message, const ApiToken &info, const QString &token)
{
    updateButtons();
    if (!ok) {
        showMessage(false, message);
        emit tokenActionFinished(false, message);
        return;
    }
    showMessage(true, tr("Created the token \"%1\" for %2.").arg(info.name, info.userName));
    m_tokenName->clear();
    if (m_createdDialog)
        m_createdDialog->close();
    m_createdDialog = new TokenCreatedDialog(token, info.name, info.userName, this);
    m_createdDialog->setAttribute(Qt::WA_DeleteOnClose);
    m_createdDialog->open();
    refresh();
    emit tokenActionFinished(true, QString());
}

void UsersPage::onTokenRevoked(bool ok, const QString &message, qint64 id)
{
    const int row = m_tokenModel->rowOf(id);
    const ApiToken *t = m_tokenModel->tokenAt(row);
    showMessage(ok, ok ? tr("Revoked the token \"%1\".").arg(t ? t->name : QString::number(id)) : message);
    refresh();
    emit tokenActionFinished(ok, message);
}

void UsersPage::addUser()
{
    const QString name = m_name->text().trimmed();
    if (const QString problem = UserService::nameProblem(name); !problem.isEmpty()) {
        m_message->setStyleSheet(QStringLiteral("color: #b91c1c; font-weight: bold"));
        m_message->setText(problem);
        return;
    }
    m_message->clear();
    finishAction(m_service->add(name, Role(m_newRole->currentData().toInt()), m_displayName->text().trimmed(),
                                m_actor),
                 name);
}

void UsersPage::setRoleOfSelected()
{
    const QString name = selectedUser();
    if (name.isEmpty())
        return;
    m_message->clear();
    finishAction(m_service->setRole(name, Role(m_role->currentData().toInt()), m_actor), name);
}

void UsersPage::toggleDisabledOfSelected()
{
    const User *u = m_model->userAt(m_view->currentIndex().row());
    if (!u)
        return;
    m_message->clear();
    finishAction(m_service->setDisabled(u->name, !u->disabled, m_actor), u->name);
}

void UsersPage::onActionFinished(bool ok, const QString &message, const QString &name)
{
    m_message->setStyleSheet(ok ? QString() : QStringLiteral("color: #b91c1c; font-weight: bold"));
    if (ok) {
        m_message->setText(tr("Saved the changes to %1.").arg(name));
        if (name == m_name->text().trimmed()) {
            m_name->clear();
            m_displayName->clear();
        }
    } else {
        m_message->setText(message);
    }
    refresh();
    emit actionFinished(ok, message);
}

} // namespace hcm::ui
