#include "namedwidgets.h"

#include <QLineEdit>
#include <QPushButton>

namespace hcm::ui {

QLineEdit *namedLineEdit(const char *objectName, const QString &accessibleName, const QString &placeholder,
                         int maxLength)
{
    auto *edit = namedWidget<QLineEdit>(objectName, accessibleName);
    edit->setPlaceholderText(placeholder);
    if (maxLength > 0)
        edit->setMaxLength(maxLength);
    return edit;
}

QPushButton *namedButton(const char *objectName, const QString &text, const QIcon &icon)
{
    auto *button = new QPushButton(icon, text);
    button->setObjectName(QString::fromLatin1(objectName));
    return button;
}

} // namespace hcm::ui
