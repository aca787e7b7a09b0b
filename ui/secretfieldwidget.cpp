#include "secretfieldwidget.h"

#include "ui/statusicons.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QStyle>

namespace hcm::ui {

SecretFieldWidget::SecretFieldWidget(QWidget *parent)
    : QWidget(parent)
{
    m_icon = new QLabel(this);
    m_icon->setObjectName(QStringLiteral("secretIcon"));
    m_state = new QLabel(this);
    m_state->setObjectName(QStringLiteral("secretState"));
    m_edit = new QLineEdit(this);
    m_edit->setObjectName(QStringLiteral("secretEdit"));
    m_edit->setEchoMode(QLineEdit::Password);
    m_edit->setClearButtonEnabled(false);
    // Never offer the typed secret to other programs through drag or the clipboard.
    m_edit->setDragEnabled(false);
    m_edit->setContextMenuPolicy(Qt::NoContextMenu);
    m_replace = new QPushButton(this);
    m_replace->setObjectName(QStringLiteral("replaceButton"));
    m_clear = new QPushButton(tr("Clear"), this);
    m_clear->setObjectName(QStringLiteral("clearButton"));
    m_clear->setToolTip(tr("Remove the stored value when the settings are saved"));
    m_undo = new QPushButton(tr("Undo"), this);
    m_undo->setObjectName(QStringLiteral("undoButton"));
    m_undo->setToolTip(tr("Keep the stored value"));

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(6);
    layout->addWidget(m_icon);
    layout->addWidget(m_state);
    layout->addWidget(m_edit, 1);
    layout->addStretch(0);
    layout->addWidget(m_replace);
    layout->addWidget(m_clear);
    layout->addWidget(m_undo);

    connect(m_replace, &QPushButton::clicked, this, [this] {
        setChange(SecretField::Change::Replace);
        m_edit->setFocus(Qt::OtherFocusReason);
    });
    connect(m_clear, &QPushButton::clicked, this, [this] { setChange(SecretField::Change::Clear); });
    connect(m_undo, &QPushButton::clicked, this, [this] { setChange(SecretField::Change::Keep); });
    connect(m_edit, &QLineEdit::textChanged, this, &SecretFieldWidget::edited);
    updateState();
}

void SecretFieldWidget::setStored(bool isSet)
{
    m_isSet = isSet;
    m_change = SecretField::Change::Keep;
    m_edit->clear();
    updateState();
}

void SecretFieldWidget::applyTo(SecretField &field) const
{
    switch (m_change) {
    case SecretField::Change::Keep:
        field.change = SecretField::Change::Keep;
        field.replacement.clear();
        break;
    case SecretField::Change::Replace:
        field.replace(m_edit->text().trimmed());
        break;
    case SecretField::Change::Clear:
        field.clear();
        break;
    }
}

void SecretFieldWidget::setPlaceholderText(const QString &text)
{
    m_edit->setPlaceholderText(text);
}

void SecretFieldWidget::setInvalid(bool invalid)
{
    m_invalid = invalid;
    updateState();
}

void SecretFieldWidget::setChange(SecretField::Change change)
{
    if (change == m_change)
        return;
    m_change = change;
    if (change != SecretField::Change::Replace)
        m_edit->clear(); // a typed value does not linger once it is no longer wanted
    updateState();
    emit edited();
}

void SecretFieldWidget::updateState()
{
    const bool replacing = m_change == SecretField::Change::Replace;
    QString state;
    const char *iconName = "secret-unset";
    switch (m_change) {
    case SecretField::Change::Keep:
        //: state of a write-only secret: a value is stored (it is never shown)
        state = m_isSet ? tr("Set") : tr("Not set");
        iconName = m_isSet ? "secret-set" : "secret-unset";
        break;
    case SecretField::Change::Clear:
        state = tr("Will be cleared");
        break;
    case SecretField::Change::Replace:
        break;
    }
    m_state->setText(state);
    const int size = style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, this);
    m_icon->setPixmap(icon(iconName).pixmap(QSize(size, size), devicePixelRatioF()));
    m_icon->setVisible(!replacing);
    m_state->setVisible(!replacing);
    m_edit->setVisible(replacing);
    //: button of a write-only secret: type a new value (Set… when none is stored)
    m_replace->setText(m_isSet ? tr("Replace…") : tr("Set…"));
    m_replace->setVisible(!replacing);
    m_clear->setVisible(m_change == SecretField::Change::Keep && m_isSet);
    m_undo->setVisible(m_change != SecretField::Change::Keep);
    // Focus given to the field (a label's mnemonic, setFocus()) goes to what can be used now. A proxy that
    // is hidden would catch Tab: the focus chain would move to it and stay.
    setFocusProxy(replacing ? static_cast<QWidget *>(m_edit) : m_replace);

    QPalette editPalette;
    QPalette statePalette;
    if (m_invalid) {
        const QColor failed = readableOn(statusColor(JobStatus::Failed), palette());
        editPalette = m_edit->palette();
        editPalette.setColor(QPalette::Base, invalidFieldBase(palette()));
        statePalette = m_state->palette();
        statePalette.setColor(QPalette::WindowText, failed);
    } else if (m_change == SecretField::Change::Clear) {
        statePalette = m_state->palette();
        statePalette.setColor(QPalette::WindowText, palette().color(QPalette::PlaceholderText));
    }
    m_edit->setPalette(editPalette);
    m_state->setPalette(statePalette);
}

} // namespace hcm::ui
