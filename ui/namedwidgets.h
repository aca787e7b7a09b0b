#pragma once

#include <QIcon>
#include <QString>

#include <utility>

class QLineEdit;
class QPushButton;

namespace hcm::ui {

// Creates a `Widget` (constructed from `args`) that tests find by `objectName` and screen readers
// announce as `accessibleName`: a control made here cannot be left without a name to say.
template<typename Widget, typename... Args>
Widget *namedWidget(const char *objectName, const QString &accessibleName, Args &&...args)
{
    auto *widget = new Widget(std::forward<Args>(args)...);
    widget->setObjectName(QString::fromLatin1(objectName));
    widget->setAccessibleName(accessibleName);
    return widget;
}

// A line edit made by namedWidget() that shows `placeholder` while it is empty and, when `maxLength` is
// positive, takes at most that many characters.
QLineEdit *namedLineEdit(const char *objectName, const QString &accessibleName, const QString &placeholder,
                         int maxLength = 0);

// A push button tests find by `objectName`; its text is what screen readers say.
QPushButton *namedButton(const char *objectName, const QString &text, const QIcon &icon = QIcon());

} // namespace hcm::ui
