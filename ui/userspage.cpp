#include "userspage.h"

#include "auth/asyncuserservice.h"
#include "auth/permissions.h"
#include "ui/statusicons.h"
#include "ui/usertablemodel.h"

#include <QComboBox>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
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
{
    setObjectName(QStringLiteral("usersPage"));
    m_model = new UserTableModel(this);
    m_view = new QTableView;
    m_view->setObjectName(QStringLiteral("users"));
    m_view->setAccessibleName(tr("Users"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_view->horizontalHeader()->setStretchLastSection(true);
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

    auto *top = new QHBoxLayout;
    top->addWidget(addBox, 3);
    top->addWidget(editBox, 2);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_message);
    layout->addWidget(m_view, 1);

    connect(m_add, &QPushButton::clicked, this, &UsersPage::addUser);
    connect(m_name, &QLineEdit::returnPressed, this, &UsersPage::addUser);
    connect(m_setRole, &QPushButton::clicked, this, &UsersPage::setRoleOfSelected);
    connect(m_disable, &QPushButton::clicked, this, &UsersPage::toggleDisabledOfSelected);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &UsersPage::updateButtons);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &UsersPage::updateButtons);

    if (!isAllowed(actor.role, Permission::ManageUsers)) {
        // The main window does not show this page then; alone, it reads nothing.
        setEnabled(false);
        m_message->setText(permissionRequirement(Permission::ManageUsers));
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
    change.then(this, [this, name](const Result<User> &user) {
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
    // A refusal stands out; a success reads as plain text.
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
