#include "settingsconflictdialog.h"

#include "ui/statusicons.h"

#include <QDateTime>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QStyle>
#include <QTableWidget>
#include <QVBoxLayout>

namespace hcm::ui {

namespace {
enum Column { FieldColumn, MineColumn, StoredColumn, ColumnCount };
}

QString SettingsConflictDialog::displayValue(const NotificationSettings &s, const QString &key, bool theirs)
{
    if (const SecretField *secret = s.secret(key)) {
        if (theirs)
            //: a write-only secret another admin replaced or cleared; its value is never shown
            return tr("changed by someone else");
        switch (secret->change) {
        case SecretField::Change::Keep:
            return tr("unchanged");
        case SecretField::Change::Replace:
            return secret->replacement.isEmpty() ? tr("cleared") : tr("new value (hidden)");
        case SecretField::Change::Clear:
            return tr("cleared");
        }
    }
    const QString text = s.text(key);
    if (text == QLatin1String("true"))
        return tr("on");
    if (text == QLatin1String("false"))
        return tr("off");
    if (text.isEmpty())
        return tr("(empty)");
    if (key.endsWith(QLatin1String("_recipients")))
        return QString(text).replace(QLatin1Char(','), QLatin1String(", "));
    return text;
}

SettingsConflictDialog::SettingsConflictDialog(const QStringList &fields, const NotificationSettings &mine,
                                               const NotificationSettings &loaded, QWidget *parent)
    : QDialog(parent)
    , m_fields(fields)
{
    setObjectName(QStringLiteral("settingsConflictDialog"));
    setWindowTitle(tr("Settings Changed by Someone Else"));
    setWindowModality(Qt::WindowModal);

    auto *iconLabel = new QLabel(this);
    const int size = style()->pixelMetric(QStyle::PM_MessageBoxIconSize, nullptr, this);
    iconLabel->setPixmap(
        style()->standardIcon(QStyle::SP_MessageBoxWarning, nullptr, this).pixmap(size, size));
    m_intro = new QLabel(this);
    m_intro->setObjectName(QStringLiteral("introLabel"));
    m_intro->setWordWrap(true);
    m_intro->setText(tr("<b>The notification settings were saved by someone else after you opened them.</b>"
                        "<br>Nothing was saved. These fields differ from what you started with:"));

    m_table = new QTableWidget(int(fields.size()), ColumnCount, this);
    m_table->setObjectName(QStringLiteral("conflictTable"));
    m_table->setHorizontalHeaderLabels({tr("Field"), tr("Your value"), tr("Stored now")});
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionMode(QAbstractItemView::NoSelection);
    m_table->setWordWrap(false);
    m_table->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(FieldColumn, QHeaderView::ResizeToContents);
    for (int r = 0; r < fields.size(); ++r) {
        const QString &key = fields.at(r);
        auto *field = new QTableWidgetItem(NotificationSettings::fieldLabel(key));
        field->setData(Qt::UserRole, key);
        QFont bold = field->font();
        bold.setBold(true);
        field->setFont(bold);
        m_table->setItem(r, FieldColumn, field);
        auto *mineItem = new QTableWidgetItem(displayValue(mine, key, false));
        mineItem->setToolTip(mineItem->text());
        if (mine.text(key) != loaded.text(key) ||
            (mine.secret(key) && mine.secret(key)->change != SecretField::Change::Keep))
            mineItem->setFont(bold); // you changed it too: a real conflict
        m_table->setItem(r, MineColumn, mineItem);
        auto *storedItem = new QTableWidgetItem(tr("Loading…"));
        storedItem->setForeground(palette().color(QPalette::PlaceholderText));
        m_table->setItem(r, StoredColumn, storedItem);
    }
    if (fields.isEmpty()) {
        m_table->hide();
        m_intro->setText(
            tr("<b>The notification settings were saved by someone else after you opened them.</b>"
               "<br>Nothing was saved. No field differs from what you started with."));
    }
    const int rows = qMin(int(fields.size()), 10);
    m_table->setMinimumHeight(m_table->horizontalHeader()->sizeHint().height() +
                              rows * m_table->verticalHeader()->defaultSectionSize() +
                              2 * m_table->frameWidth());

    auto *buttons = new QDialogButtonBox(this);
    buttons->setObjectName(QStringLiteral("buttonBox"));
    m_overwrite = buttons->addButton(tr("Overwrite with Mine"), QDialogButtonBox::AcceptRole);
    m_overwrite->setObjectName(QStringLiteral("overwriteButton"));
    m_overwrite->setToolTip(tr("Save your values; the values listed as stored now are replaced"));
    m_overwrite->setEnabled(false);
    m_reload = buttons->addButton(tr("Discard Mine and Reload"), QDialogButtonBox::DestructiveRole);
    m_reload->setObjectName(QStringLiteral("reloadButton"));
    m_reload->setToolTip(tr("Forget your changes and show the settings as stored now"));
    m_cancel = buttons->addButton(QDialogButtonBox::Cancel);
    m_cancel->setObjectName(QStringLiteral("cancelButton"));
    m_cancel->setToolTip(tr("Go back to editing; nothing is saved"));
    m_cancel->setDefault(true);
    connect(m_overwrite, &QPushButton::clicked, this, [this] { choose(Choice::Overwrite); });
    connect(m_reload, &QPushButton::clicked, this, [this] { choose(Choice::Reload); });
    connect(m_cancel, &QPushButton::clicked, this, [this] { choose(Choice::Cancel); });

    auto *top = new QHBoxLayout;
    top->setSpacing(12);
    top->addWidget(iconLabel, 0, Qt::AlignTop);
    top->addWidget(m_intro, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_table, 1);
    layout->addWidget(buttons);
    resize(640, sizeHint().height());
}

void SettingsConflictDialog::setStored(const NotificationSettings &stored)
{
    m_stored = stored;
    m_hasStored = true;
    for (int r = 0; r < m_fields.size(); ++r) {
        auto *item = new QTableWidgetItem(displayValue(stored, m_fields.at(r), true));
        item->setToolTip(item->text());
        m_table->setItem(r, StoredColumn, item);
    }
    const QString when =
        stored.updatedAt > 0
            ? QLocale().toString(QDateTime::fromMSecsSinceEpoch(stored.updatedAt), QLocale::ShortFormat)
            : QString();
    //: %1 who saved, %2 when
    m_intro->setText(
        tr("<b>%1 saved the notification settings at %2, after you opened them.</b><br>"
           "Nothing was saved. These fields differ from what you started with:")
            .arg((stored.updatedBy.isEmpty() ? tr("Someone else") : stored.updatedBy).toHtmlEscaped(),
                 when.toHtmlEscaped()));
    m_overwrite->setEnabled(true);
}

void SettingsConflictDialog::setStoredError(const QString &message)
{
    for (int r = 0; r < m_fields.size(); ++r)
        m_table->setItem(r, StoredColumn, new QTableWidgetItem(tr("—")));
    m_intro->setText(m_intro->text() + QStringLiteral("<br>") +
                     tr("The stored values could not be read: %1").arg(message.toHtmlEscaped()));
}

void SettingsConflictDialog::choose(Choice choice)
{
    if (m_chosen)
        return;
    m_chosen = true;
    emit chosen(choice);
    QDialog::done(choice == Choice::Cancel ? QDialog::Rejected : QDialog::Accepted);
}

void SettingsConflictDialog::done(int result)
{
    // Escape and the window's close button: the same as Cancel.
    if (!m_chosen) {
        m_chosen = true;
        emit chosen(Choice::Cancel);
    }
    QDialog::done(result);
}

} // namespace hcm::ui
