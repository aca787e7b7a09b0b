#include "tokencreateddialog.h"

#include <QClipboard>
#include <QDialogButtonBox>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace hcm::ui {

TokenCreatedDialog::TokenCreatedDialog(const QString &token, const QString &tokenName,
                                       const QString &userName, QWidget *parent)
    : QDialog(parent)
{
    setObjectName(QStringLiteral("tokenCreatedDialog"));
    setWindowTitle(tr("New API Token"));
    auto *intro = new QLabel(tr("The token \"%1\" for %2 was created. It acts as %2 with that user's role: "
                                "send it as <tt>Authorization: Bearer &lt;token&gt;</tt>.")
                                 .arg(tokenName.toHtmlEscaped(), userName.toHtmlEscaped()));
    intro->setWordWrap(true);
    auto *warning = new QLabel(tr("Copy it now: it will not be shown again. Only a hash of it is stored; "
                                  "a lost token cannot be recovered, only revoked and replaced."));
    warning->setObjectName(QStringLiteral("tokenWarning"));
    warning->setWordWrap(true);
    warning->setStyleSheet(QStringLiteral("font-weight: bold"));
    m_token = new QLineEdit(token);
    m_token->setObjectName(QStringLiteral("newToken"));
    m_token->setAccessibleName(tr("New API token"));
    m_token->setReadOnly(true);
    m_token->setMinimumWidth(m_token->fontMetrics().horizontalAdvance(token) + 24);
    m_copy = new QPushButton(tr("&Copy"));
    m_copy->setObjectName(QStringLiteral("copyToken"));
    m_copy->setAccessibleName(tr("Copy the token to the clipboard"));
    connect(m_copy, &QPushButton::clicked, this, [this] {
        QGuiApplication::clipboard()->setText(m_token->text());
        m_copy->setText(tr("Copied"));
    });
    auto *row = new QHBoxLayout;
    row->addWidget(m_token, 1);
    row->addWidget(m_copy);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(row);
    layout->addWidget(warning);
    layout->addWidget(buttons);
    m_token->selectAll();
    m_token->setFocus();
}

TokenCreatedDialog::~TokenCreatedDialog()
{
    // The last copy this program keeps (the clipboard is the user's).
    m_token->clear();
}

} // namespace hcm::ui
