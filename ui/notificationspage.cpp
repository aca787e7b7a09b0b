// Why the form edits a NotificationSettings value and not a QSqlTableModel + QDataWidgetMapper:
// the classic pair would bind editors straight to the columns of notification_settings, but
//  - the secrets are stored encrypted (smtp_password_enc, …): a mapper would load ciphertext into the
//    form and write whatever is typed back unencrypted; the value type carries only "set / not set"
//    and a pending Keep / Replace / Clear, and the store encrypts;
//  - saving is optimistic concurrency (expected version, a conflict report naming the fields changed
//    since loading) in one BEGIN IMMEDIATE transaction; submitAll() would write over another admin's save;
//  - QSqlTableModel runs SQL on the thread that owns it, the GUI thread here, and select() resets;
//  - validation (validate(), field-keyed messages) and the test sends work on the same value, so the
//    form, the store, hcmctl and the channels share one definition of every field.
// So the page loads and saves NotificationSettings through NotificationSettingsStore on the thread
// pool, and NotificationsForm binds each editor to its row of the field table
// (NotificationSettings::fields()).

#include "notificationspage.h"

#include "auth/permissions.h"
#include "db/dbthread.h"

#include "ui/channeltestwidget.h"
#include "ui/notificationsform.h"
#include "ui/settingsconflictdialog.h"
#include "ui/statusicons.h"

#include <QAbstractButton>
#include <QAbstractSpinBox>
#include <QAction>
#include <QComboBox>
#include <QDateTime>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSqlDatabase>
#include <QStackedWidget>
#include <QStyle>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace hcm::ui {

namespace {

// The form of someone who may not change the settings: every field shows its value but takes no edit;
// the test sends stay as the role allows them (ChannelTestWidget decides).
void makeReadOnly(QWidget *form, const QString &why)
{
    const auto inTest = [](const QWidget *w) {
        for (const QWidget *p = w; p; p = p->parentWidget())
            if (qobject_cast<const ChannelTestWidget *>(p))
                return true;
        return false;
    };
    for (QWidget *w : form->findChildren<QWidget *>()) {
        if (inTest(w))
            continue;
        if (auto *line = qobject_cast<QLineEdit *>(w)) {
            line->setReadOnly(true);
            line->setToolTip(why);
        } else if (auto *text = qobject_cast<QPlainTextEdit *>(w)) {
            text->setReadOnly(true);
        } else if (qobject_cast<QAbstractButton *>(w) || qobject_cast<QComboBox *>(w) ||
                   qobject_cast<QAbstractSpinBox *>(w)) {
            w->setEnabled(false);
            w->setToolTip(why);
        }
    }
}

struct LoadOutcome {
    std::optional<NotificationSettings> settings;
    QString error;
};

struct SaveOutcome {
    SettingsSaveResult result;
    std::optional<NotificationSettings> reloaded; // the settings as stored after a successful save
};

LoadOutcome loadSettings(const DbConfig &config)
{
    LoadOutcome out;
    auto loaded = NotificationSettingsStore(config).load();
    if (loaded)
        out.settings = std::move(loaded).value();
    else
        out.error = loaded.error().message;
    return out;
}

// What is stored after saving `saved` as `version`, when reading it back failed.
NotificationSettings committed(NotificationSettings saved, int version, const Actor &actor)
{
    saved.version = version;
    for (const QString &key : NotificationSettings::secretKeys()) {
        SecretField *f = saved.secret(key);
        f->isSet = f->willBeSet();
        f->change = SecretField::Change::Keep;
        f->replacement.clear();
    }
    saved.updatedBy = actor.name;
    saved.updatedAt = QDateTime::currentMSecsSinceEpoch();
    return saved;
}

void setTextColor(QWidget *w, const QColor &color)
{
    QPalette pal;
    if (color.isValid()) {
        pal = w->palette();
        pal.setColor(QPalette::WindowText, color);
    }
    w->setPalette(pal);
}

} // namespace

NotificationsPage::NotificationsPage(DbConfig config, Actor actor, QWidget *parent)
    : QWidget(parent)
    , m_config(std::move(config))
    , m_actor(std::move(actor))
{
    setObjectName(QStringLiteral("notificationsPage"));
    (void)QSqlDatabase::drivers(); // QTBUG-112961: register the drivers before pool threads connect
    buildUi();
    m_validateTimer.setSingleShot(true);
    m_validateTimer.setInterval(150);
    connect(&m_validateTimer, &QTimer::timeout, this, &NotificationsPage::validateNow);
    connect(m_form, &NotificationsForm::edited, this, &NotificationsPage::onEdited);
    if (!isAllowed(m_actor.role, Permission::WriteSettings))
        makeReadOnly(m_form, permissionRequirement(Permission::WriteSettings));
    for (NotifyChannel channel : {NotifyChannel::Email, NotifyChannel::Sms, NotifyChannel::Slack}) {
        ChannelTestWidget *test = m_form->testWidget(channel);
        test->setService(m_config, m_actor);
        // The form's values as they are now, saved or not: test before you save.
        test->setDraftProvider([this] { return editedSettings(); });
    }
    updateActions();
}

NotificationsPage::~NotificationsPage() = default;

void NotificationsPage::buildUi()
{
    m_title = new QLabel(tr("Notification settings"), this);
    QFont titleFont = m_title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.35);
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    m_lastSaved = new QLabel(this);
    m_lastSaved->setObjectName(QStringLiteral("lastSavedLabel"));
    m_lastSaved->setForegroundRole(QPalette::PlaceholderText);
    auto *pageIcon = new QLabel(this);
    pageIcon->setPixmap(icon("page-notifications").pixmap(QSize(32, 32), devicePixelRatioF()));
    auto *titles = new QVBoxLayout;
    titles->setSpacing(2);
    titles->addWidget(m_title);
    titles->addWidget(m_lastSaved);
    auto *header = new QHBoxLayout;
    header->setSpacing(12);
    header->addWidget(pageIcon, 0, Qt::AlignTop);
    header->addLayout(titles, 1);

    m_banner = new QLabel(this);
    m_banner->setObjectName(QStringLiteral("bannerLabel"));
    m_banner->setWordWrap(true);
    m_banner->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_banner->hide();

    // Page 0: "Loading…" or why loading failed; page 1: the form.
    m_stack = new QStackedWidget(this);
    auto *messagePage = new QWidget(m_stack);
    auto *messageLayout = new QVBoxLayout(messagePage);
    m_message = new QLabel(messagePage);
    m_message->setObjectName(QStringLiteral("messageLabel"));
    m_message->setAlignment(Qt::AlignCenter);
    m_message->setWordWrap(true);
    m_retry = new QPushButton(icon("action-refresh"), tr("Try Again"), messagePage);
    m_retry->setObjectName(QStringLiteral("retryButton"));
    connect(m_retry, &QPushButton::clicked, this, &NotificationsPage::load);
    messageLayout->addStretch(1);
    messageLayout->addWidget(m_message);
    messageLayout->addWidget(m_retry, 0, Qt::AlignHCenter);
    messageLayout->addStretch(2);
    m_stack->addWidget(messagePage);

    m_scroll = new QScrollArea(m_stack);
    m_scroll->setObjectName(QStringLiteral("settingsScroll"));
    m_scroll->setWidgetResizable(true);
    m_scroll->setFrameShape(QFrame::NoFrame);
    auto *content = new QWidget(m_scroll);
    auto *contentLayout = new QHBoxLayout(content);
    contentLayout->setContentsMargins(16, 4, 16, 16);
    m_form = new NotificationsForm(content);
    // Fields wider than this only get harder to read.
    m_form->setMaximumWidth(1320);
    contentLayout->addWidget(m_form, 1);
    contentLayout->addStretch(0);
    m_scroll->setWidget(content);
    m_stack->addWidget(m_scroll);

    auto *line = new QFrame(this);
    line->setFrameShape(QFrame::HLine);
    line->setFrameShadow(QFrame::Sunken);
    m_stateLabel = new QLabel(this);
    m_stateLabel->setObjectName(QStringLiteral("stateLabel"));
    m_revert = new QPushButton(icon("action-undo"), tr("&Revert"), this);
    m_revert->setObjectName(QStringLiteral("revertButton"));
    m_revert->setToolTip(tr("Back to the settings as last loaded"));
    m_save = new QPushButton(icon("action-save"), tr("&Save"), this);
    m_save->setObjectName(QStringLiteral("saveButton"));
    m_save->setToolTip(tr("Save the notification settings (%1)")
                           .arg(QKeySequence(QKeySequence::Save).toString(QKeySequence::NativeText)));
    m_save->setDefault(true);
    connect(m_revert, &QPushButton::clicked, this, &NotificationsPage::revert);
    connect(m_save, &QPushButton::clicked, this, &NotificationsPage::save);
    auto *saveAction = new QAction(this);
    saveAction->setShortcut(QKeySequence::Save);
    saveAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(saveAction, &QAction::triggered, this, &NotificationsPage::save);
    addAction(saveAction);

    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(16, 8, 16, 10);
    bar->setSpacing(8);
    bar->addWidget(m_stateLabel, 1);
    bar->addWidget(m_revert);
    bar->addWidget(m_save);

    auto *top = new QVBoxLayout;
    top->setContentsMargins(16, 14, 16, 8);
    top->setSpacing(8);
    top->addLayout(header);
    top->addWidget(m_banner);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(top);
    layout->addWidget(m_stack, 1);
    layout->addWidget(line);
    layout->addLayout(bar);
    m_stack->setCurrentIndex(0);
}

void NotificationsPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    // Created with the main window, loaded when first looked at.
    if (!m_loadedOnce && m_state == State::Idle)
        load();
}

SettingsConflictDialog *NotificationsPage::conflictDialog() const
{
    return m_conflict;
}

NotificationSettings NotificationsPage::editedSettings() const
{
    return m_form->settings();
}

bool NotificationsPage::isDirty() const
{
    if (!m_loadedOnce)
        return false;
    const NotificationSettings now = editedSettings();
    for (const QString &key : NotificationSettings::fieldKeys()) {
        if (const SecretField *secret = now.secret(key)) {
            if (secret->change != SecretField::Change::Keep)
                return true;
        } else if (now.text(key) != m_loaded.text(key)) {
            return true;
        }
    }
    return false;
}

QString NotificationsPage::lastSavedText() const
{
    if (!m_loadedOnce)
        return {};
    if (m_loaded.updatedAt <= 0)
        return tr("Never saved: these are the defaults.");
    const QDateTime when = QDateTime::fromMSecsSinceEpoch(m_loaded.updatedAt);
    //: %1 who, %2 date, %3 time, %4 version number
    return tr("Last saved by %1 on %2 at %3 (version %4)")
        .arg(m_loaded.updatedBy.isEmpty() ? tr("an unknown user") : m_loaded.updatedBy,
             QLocale().toString(when.date(), QLocale::ShortFormat),
             // Minutes are enough here, whatever the locale's short format says.
             QLocale().toString(when.time(),
                                QLocale().timeFormat(QLocale::ShortFormat).remove(QLatin1String(":ss"))))
        .arg(m_loaded.version);
}

void NotificationsPage::setState(State state)
{
    m_state = state;
    updateActions();
}

void NotificationsPage::showBanner(const QString &message, bool isError)
{
    m_banner->setText(message);
    setTextColor(m_banner, isError ? readableOn(statusColor(JobStatus::Failed), palette()) : QColor());
    m_banner->setVisible(!message.isEmpty());
}

void NotificationsPage::updateActions()
{
    const bool dirty = isDirty();
    const bool idle = m_state == State::Idle;
    // Only a system administrator changes the settings: for everyone else the form is read-only and
    // Save says which role it needs.
    const bool mayWrite = isAllowed(m_actor.role, Permission::WriteSettings);
    m_save->setEnabled(mayWrite && idle && m_loadedOnce && dirty && isValid());
    if (!mayWrite)
        m_save->setToolTip(permissionRequirement(Permission::WriteSettings));
    m_revert->setEnabled(idle && dirty);
    m_form->setEnabled(m_state != State::Saving);
    QString state;
    QColor color;
    if (m_state == State::Saving) {
        state = tr("Saving…");
    } else if (m_state == State::Loading) {
        state = tr("Loading…");
    } else if (!isValid()) {
        const int n = int(m_errors.size());
        state = n == 1 ? tr("1 field needs attention") : tr("%n fields need attention", nullptr, n);
        color = readableOn(statusColor(JobStatus::Failed), palette());
    } else if (dirty) {
        state = tr("Unsaved changes");
    }
    m_stateLabel->setText(state);
    setTextColor(m_stateLabel, color);
    if (dirty != m_wasDirty) {
        m_wasDirty = dirty;
        emit dirtyChanged(dirty);
    }
}

void NotificationsPage::onEdited()
{
    // A message the edit has fixed goes at once ("Email alerts need an SMTP server." while the server is
    // being typed); new messages wait for the pause in typing, so nobody is told off mid-word.
    if (!m_errors.isEmpty()) {
        const QMap<QString, QString> now = currentErrors();
        QMap<QString, QString> still;
        for (auto it = m_errors.cbegin(); it != m_errors.cend(); ++it)
            if (now.contains(it.key()))
                still.insert(it.key(), now.value(it.key()));
        if (still != m_errors) {
            m_errors = still;
            m_form->setErrors(m_errors);
        }
    }
    m_validateTimer.start();
    updateActions();
}

QMap<QString, QString> NotificationsPage::currentErrors() const
{
    QMap<QString, QString> errors;
    const NotificationSettings s = m_form->settings(&errors);
    // What could not even be read into the value comes first; then the value's own rules.
    const QMap<QString, QString> rules = s.validate();
    for (auto it = rules.cbegin(); it != rules.cend(); ++it)
        if (!errors.contains(it.key()))
            errors.insert(it.key(), it.value());
    return errors;
}

void NotificationsPage::validateNow()
{
    m_validateTimer.stop();
    m_errors = currentErrors();
    m_form->setErrors(m_errors);
    updateActions();
}

void NotificationsPage::applyLoaded(const NotificationSettings &settings)
{
    m_loaded = settings;
    m_loadedOnce = true;
    m_form->setSettings(settings);
    m_lastSaved->setText(lastSavedText());
    m_stack->setCurrentIndex(1);
    validateNow();
}

void NotificationsPage::load()
{
    if (m_state != State::Idle)
        return;
    setState(State::Loading);
    if (!m_loadedOnce) {
        m_message->setText(tr("Loading…"));
        setTextColor(m_message, palette().color(QPalette::PlaceholderText));
        m_retry->hide();
        m_stack->setCurrentIndex(0);
    }
    whenReady(QtConcurrent::run([config = m_config] { return loadSettings(config); }), this,
              [this](const LoadOutcome &outcome) {
                  setState(State::Idle);
                  if (!outcome.settings) {
                      const QString message =
                          tr("The notification settings could not be loaded: %1").arg(outcome.error);
                      if (m_loadedOnce) {
                          showBanner(message, true);
                      } else {
                          m_message->setText(message);
                          setTextColor(m_message, readableOn(statusColor(JobStatus::Failed), palette()));
                          m_retry->show();
                      }
                      emit statusMessage(message, 10'000);
                      return;
                  }
                  showBanner({}, false);
                  applyLoaded(*outcome.settings);
                  emit loaded();
              });
}

void NotificationsPage::revert()
{
    if (m_state != State::Idle || !m_loadedOnce)
        return;
    showBanner({}, false);
    applyLoaded(m_loaded);
}

void NotificationsPage::save()
{
    if (m_state != State::Idle || !m_loadedOnce) {
        emit saveFailed(tr("The settings are busy loading or saving."));
        return;
    }
    validateNow();
    if (!isValid()) {
        const int n = int(m_errors.size());
        const QString message = n == 1 ? tr("Not saved: 1 field needs attention.")
                                       : tr("Not saved: %n fields need attention.", nullptr, n);
        showBanner(message, true);
        emit saveFailed(message);
        return;
    }
    if (!isDirty()) {
        emit saved(); // nothing to write
        return;
    }
    startSave(editedSettings(), m_loaded.version);
}

void NotificationsPage::startSave(const NotificationSettings &settings, int expectedVersion)
{
    setState(State::Saving);
    whenReady(QtConcurrent::run([config = m_config, settings, expectedVersion, actor = m_actor] {
                  SaveOutcome out;
                  NotificationSettingsStore store(config);
                  out.result = store.save(settings, expectedVersion, actor);
                  if (out.result.ok) {
                      // Read back what is stored: the new version, audit fields and conflict fingerprints.
                      if (auto now = store.load())
                          out.reloaded = std::move(now).value();
                  }
                  return out;
              }),
              this, [this, settings](const SaveOutcome &out) {
                  onSaveFinished(settings, out.result, out.reloaded);
              });
}

void NotificationsPage::onSaveFinished(const NotificationSettings &mine, const SettingsSaveResult &result,
                                       const std::optional<NotificationSettings> &reloaded)
{
    setState(State::Idle);
    if (result.ok) {
        showBanner({}, false);
        applyLoaded(reloaded ? *reloaded : committed(mine, result.version, m_actor));
        emit statusMessage(tr("Notification settings saved (version %1).").arg(result.version), 5000);
        emit saved();
        return;
    }
    if (result.error.code == Error::Code::Conflict) {
        openConflict(mine, result.conflictFields);
    } else if (!result.fieldErrors.isEmpty()) {
        m_errors = result.fieldErrors;
        m_form->setErrors(m_errors);
        updateActions();
        showBanner(result.error.message, true);
    } else {
        showBanner(result.error.message, true);
    }
    emit saveFailed(result.error.message);
}

void NotificationsPage::openConflict(const NotificationSettings &mine, const QStringList &fields)
{
    auto *dialog = new SettingsConflictDialog(fields, mine, m_loaded, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    m_conflict = dialog;
    connect(dialog, &SettingsConflictDialog::chosen, this,
            [this, dialog](SettingsConflictDialog::Choice choice) {
                switch (choice) {
                case SettingsConflictDialog::Choice::Overwrite: {
                    // The admin saw every field that will be replaced: save against the version now stored.
                    NotificationSettings again = editedSettings();
                    const NotificationSettings &stored = dialog->stored();
                    again.version = stored.version;
                    again.loadedFingerprints = stored.loadedFingerprints;
                    showBanner({}, false);
                    startSave(again, stored.version);
                    break;
                }
                case SettingsConflictDialog::Choice::Reload:
                    showBanner({}, false);
                    load();
                    break;
                case SettingsConflictDialog::Choice::Cancel:
                    showBanner(
                        tr("Not saved: someone else saved the settings after you opened them. Save again to "
                           "review the differences."),
                        true);
                    break;
                }
            });
    dialog->open();
    // The stored values, for the dialog's third column and the version to overwrite.
    whenReady(QtConcurrent::run([config = m_config] { return loadSettings(config); }), dialog,
              [dialog](const LoadOutcome &outcome) {
                  if (outcome.settings)
                      dialog->setStored(*outcome.settings);
                  else
                      dialog->setStoredError(outcome.error);
              });
}

} // namespace hcm::ui
