#include "userspage.h"

#include "api/asynctokenservice.h"
#include "auth/asyncuserservice.h"
#include "auth/permissions.h"
#include "ui/namedwidgets.h"
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
    m_view = namedWidget<QTableView>("users", tr("Users"));
    setUpRowTable(m_view, m_model);
    setColumnWidths(m_view, {{UserTableModel::Name, 120},
                             {UserTableModel::DisplayName, 160},
                             {UserTableModel::RoleColumn, 160},
                             {UserTableModel::Disabled, 80},
                             {UserTableModel::Created, 130},
                             {UserTableModel::CreatedBy, 120},
                             {UserTableModel::Updated, 130}});

    m_addBox = createNewUserBox();
    m_editBox = createSelectedUserBox();

    m_message = new QLabel;
    m_message->setObjectName(QStringLiteral("message"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);

    QGroupBox *tokenBox = createTokenBox();

    m_top = new QBoxLayout(QBoxLayout::LeftToRight);
    m_top->addWidget(m_addBox, 3);
    m_top->addWidget(m_editBox, 2);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(m_top);
    layout->addWidget(m_message);
    layout->addWidget(m_view, 3);
    layout->addWidget(tokenBox, 2);

    connect(m_newUser.add, &QPushButton::clicked, this, &UsersPage::addUser);
    connect(m_newUser.name, &QLineEdit::returnPressed, this, &UsersPage::addUser);
    connect(m_selected.setRole, &QPushButton::clicked, this, &UsersPage::setRoleOfSelected);
    connect(m_selected.disable, &QPushButton::clicked, this, &UsersPage::toggleDisabledOfSelected);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &UsersPage::updateButtons);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &UsersPage::updateButtons);
    connect(m_newToken.create, &QPushButton::clicked, this, &UsersPage::createTokenForSelected);
    connect(m_newToken.name, &QLineEdit::returnPressed, this, &UsersPage::createTokenForSelected);
    connect(m_newToken.revoke, &QPushButton::clicked, this, &UsersPage::revokeSelectedToken);
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

void UsersPage::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    placeTopBoxes();
}

void UsersPage::placeTopBoxes()
{
    const QMargins margins = layout()->contentsMargins();
    const int needed = m_addBox->sizeHint().width() + m_top->spacing() + m_editBox->sizeHint().width() +
                       margins.left() + margins.right();
    const auto direction = width() >= needed ? QBoxLayout::LeftToRight : QBoxLayout::TopToBottom;
    if (m_top->direction() != direction)
        m_top->setDirection(direction);
}

QGroupBox *UsersPage::createNewUserBox()
{
    m_newUser.name =
        namedLineEdit("newUserName", tr("New user's name"), tr("Login name"), UserService::kMaxNameLength);
    m_newUser.displayName =
        namedLineEdit("newUserDisplayName", tr("New user's display name"), tr("Display name (optional)"));
    m_newUser.role = namedWidget<QComboBox>("newUserRole", tr("New user's role"));
    addRoles(m_newUser.role);
    m_newUser.add = namedButton("addUser", tr("&Add User"), icon("action-new"));
    auto *box = new QGroupBox(tr("New user"));
    auto *row = new QHBoxLayout(box);
    row->addWidget(m_newUser.name, 1);
    row->addWidget(m_newUser.displayName, 1);
    row->addWidget(m_newUser.role);
    row->addWidget(m_newUser.add);
    return box;
}

QGroupBox *UsersPage::createSelectedUserBox()
{
    m_selected.role = namedWidget<QComboBox>("userRole", tr("Role of the selected user"));
    addRoles(m_selected.role);
    m_selected.setRole = namedButton("setRole", tr("&Change Role"));
    m_selected.disable = namedButton("toggleDisabled", tr("&Disable"));
    auto *box = new QGroupBox(tr("Selected user"));
    auto *row = new QHBoxLayout(box);
    row->addWidget(m_selected.role);
    row->addWidget(m_selected.setRole);
    row->addWidget(m_selected.disable);
    row->addStretch(1);
    return box;
}

QGroupBox *UsersPage::createTokenBox()
{
    // API tokens: listed for every user, created for the selected one.
    m_tokenModel = new TokenTableModel(this);
    m_tokenView = namedWidget<QTableView>("tokens", tr("API tokens"));
    setUpRowTable(m_tokenView, m_tokenModel);
    setColumnWidths(m_tokenView, {{TokenTableModel::Name, 160},
                                  {TokenTableModel::User, 110},
                                  {TokenTableModel::Prefix, 100},
                                  {TokenTableModel::Created, 130},
                                  {TokenTableModel::Expires, 130},
                                  {TokenTableModel::LastUsed, 130},
                                  {TokenTableModel::LastAddress, 120}});
    m_newToken.name = namedLineEdit("newTokenName", tr("New token's name"),
                                    tr("What the token is for, e.g. HR backend"), 200);
    m_newToken.expiry = namedWidget<QComboBox>("newTokenExpiry", tr("New token's expiry"));
    m_newToken.expiry->addItem(tr("Expires in 30 days"), 30);
    m_newToken.expiry->addItem(tr("Expires in 90 days"), 90);
    m_newToken.expiry->addItem(tr("Expires in a year"), 365);
    m_newToken.expiry->addItem(tr("Never expires"), 0);
    m_newToken.expiry->setCurrentIndex(1);
    m_newToken.create = namedButton("createToken", tr("Create &Token for Selected User"), icon("action-new"));
    m_newToken.revoke = namedButton("revokeToken", tr("&Revoke Token…"));
    auto *box = new QGroupBox(tr("API tokens"));
    auto *row = new QHBoxLayout;
    row->addWidget(m_newToken.name, 1);
    row->addWidget(m_newToken.expiry);
    row->addWidget(m_newToken.create);
    row->addStretch(0);
    row->addWidget(m_newToken.revoke);
    auto *layout = new QVBoxLayout(box);
    layout->addLayout(row);
    layout->addWidget(m_tokenView, 1);
    return box;
}

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
    m_selected.role->setEnabled(u != nullptr);
    m_selected.setRole->setEnabled(u != nullptr);
    m_selected.disable->setEnabled(u != nullptr);
    m_selected.disable->setText(u && u->disabled ? tr("&Enable") : tr("&Disable"));
    if (u) {
        const QSignalBlocker block(m_selected.role);
        m_selected.role->setCurrentIndex(m_selected.role->findData(int(u->role)));
    }
    const bool mayManageTokens = isAllowed(m_actor.role, Permission::ManageTokens);
    const ApiToken *t = m_tokenModel->tokenAt(m_tokenView->currentIndex().row());
    m_newToken.create->setEnabled(mayManageTokens && u != nullptr && !u->disabled);
    m_newToken.create->setToolTip(!mayManageTokens ? permissionRequirement(Permission::ManageTokens)
                                  : u == nullptr   ? tr("Select the user the token acts as.")
                                  : u->disabled    ? tr("%1 is disabled: enable the user first.").arg(u->name)
                                                   : tr("Creates a token that acts as %1.").arg(u->name));
    m_newToken.revoke->setEnabled(mayManageTokens && t != nullptr && t->revokedAt == 0);
    m_newToken.revoke->setToolTip(!mayManageTokens ? permissionRequirement(Permission::ManageTokens)
                                                   : QString());
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
    const QString name = m_newToken.name->text().trimmed();
    if (name.isEmpty()) {
        showMessage(false, tr("Give the token a name that says what it is for."));
        m_newToken.name->setFocus();
        return;
    }
    const int days = m_newToken.expiry->currentData().toInt();
    const qint64 expiresAt = days > 0 ? QDateTime::currentMSecsSinceEpoch() + days * 24LL * 3600 * 1000 : 0;
    m_message->clear();
    m_newToken.create->setEnabled(false);
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
    m_newToken.name->clear();
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
    const QString name = m_newUser.name->text().trimmed();
    if (const QString problem = UserService::nameProblem(name); !problem.isEmpty()) {
        m_message->setStyleSheet(QStringLiteral("color: #b91c1c; font-weight: bold"));
        m_message->setText(problem);
        return;
    }
    m_message->clear();
    finishAction(m_service->add(name, Role(m_newUser.role->currentData().toInt()),
                                m_newUser.displayName->text().trimmed(), m_actor),
                 name);
}

void UsersPage::setRoleOfSelected()
{
    const QString name = selectedUser();
    if (name.isEmpty())
        return;
    m_message->clear();
    finishAction(m_service->setRole(name, Role(m_selected.role->currentData().toInt()), m_actor), name);
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
        if (name == m_newUser.name->text().trimmed()) {
            m_newUser.name->clear();
            m_newUser.displayName->clear();
        }
    } else {
        m_message->setText(message);
    }
    refresh();
    emit actionFinished(ok, message);
}

} // namespace hcm::ui
