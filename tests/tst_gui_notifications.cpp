// The notification settings page driven like a person would, on real widgets (offscreen) and a real
// SQLite file: load, type, save and read back through the store; inline validation; revert; write-only
// secrets; a concurrent save by someone else (overwrite and reload); the unsaved-changes question of the
// main window; "Send test email" delivering to Debian's aiosmtpd (tests/servers/smtp_server.py) trusted
// through the tlsCaFile setting; "Send test SMS" and "Send test Slack message" against the HTTPS stand-in
// for Twilio and Slack (tests/servers/http_recorder.py, which checks the documented request), with the
// providers' errors; the delivery log in the job details. Also renders the screenshot
// notification-settings.png (testutil.h: screenshotPath).
// Over 800 lines on purpose: one suite per component, so that its shared fixtures (databases of both
// backends, servers, processes) are set up once; each test function is self-contained.

#include "testutil.h"

#include "db/database.h"
#include "jobs/asyncjobservice.h"
#include "jobs/jobservice.h"
#include "settings/deliverystore.h"
#include "settings/digeststore.h"
#include "settings/notificationsettingsstore.h"
#include "settings/secretbox.h"
#include "ui/channeltestwidget.h"
#include "ui/jobdetailsdialog.h"
#include "ui/jobdetailsview.h"
#include "ui/mainwindow.h"
#include "ui/notificationsform.h"
#include "ui/notificationspage.h"
#include "ui/secretfieldwidget.h"
#include "ui/settingsconflictdialog.h"

#include <QAbstractButton>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFormLayout>
#include <QGroupBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QProcess>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTimeEdit>
#include <QToolButton>
#include <QUrlQuery>
#include <QtTest>

#include <memory>

using namespace hcm;
using namespace hcm::test;
using namespace hcm::ui;

namespace {

const Actor kActor = test::adminActor(QStringLiteral("admin:alice"));

// Whether `item` is `w`, holds it, or lays it out.
bool holds(QLayoutItem *item, const QWidget *w)
{
    if (QWidget *widget = item->widget())
        return widget == w || widget->isAncestorOf(w);
    if (QLayout *layout = item->layout())
        for (int i = 0; i < layout->count(); ++i)
            if (holds(layout->itemAt(i), w))
                return true;
    return false;
}

// What a person reads next to `editor`: a check box's text, or its row's label in its group's form.
QString rowLabelOf(const QWidget *editor)
{
    if (auto *box = qobject_cast<const QCheckBox *>(editor))
        return box->text();
    for (const QWidget *p = editor->parentWidget(); p; p = p->parentWidget()) {
        auto *form = qobject_cast<QFormLayout *>(p->layout());
        for (int row = 0; form && row < form->rowCount(); ++row) {
            QLayoutItem *field = form->itemAt(row, QFormLayout::FieldRole);
            QLayoutItem *label = form->itemAt(row, QFormLayout::LabelRole);
            if (field && label && qobject_cast<QLabel *>(label->widget()) && holds(field, editor))
                return static_cast<QLabel *>(label->widget())->text();
        }
    }
    return {};
}
const QString kSmtpUser = QStringLiteral("mailer");
const QString kSmtpPassword = QStringLiteral("Sëcret-SMTP-pw-4711");
const QString kSid = QStringLiteral("AC0123456789abcdef0123456789abcdef");
const QString kTwilioToken = QStringLiteral("twilio-token-gui-4711");
const QString kWebhookPath = QStringLiteral("/services/T0GUI/B0GUI/webhooksecret4711");

template<typename T> T *child(QObject *parent, const QString &name)
{
    T *w = parent->findChild<T *>(name);
    if (!w)
        qWarning("no child %s", qPrintable(name));
    return w;
}

// Replaces a field's content the way a person does: select everything, type the new text.
void typeInto(NotificationsForm *form, const QString &key, const QString &text)
{
    QWidget *w = form->editor(key);
    QVERIFY2(w, qPrintable(key));
    if (auto *secret = qobject_cast<SecretFieldWidget *>(w)) {
        if (secret->change() != SecretField::Change::Replace)
            QTest::mouseClick(child<QPushButton>(secret, QStringLiteral("replaceButton")), Qt::LeftButton);
        QCOMPARE(secret->change(), SecretField::Change::Replace);
        secret->lineEdit()->selectAll();
        QTest::keyClick(secret->lineEdit(), Qt::Key_Delete);
        // keyClicks types ASCII only: the rest is inserted as an input method would.
        if (std::all_of(text.begin(), text.end(), [](QChar c) { return c.unicode() < 128; }))
            QTest::keyClicks(secret->lineEdit(), text);
        else
            secret->lineEdit()->insert(text);
    } else if (auto *edit = qobject_cast<QLineEdit *>(w)) {
        edit->selectAll();
        QTest::keyClick(edit, Qt::Key_Delete);
        QTest::keyClicks(edit, text);
    } else if (auto *spin = qobject_cast<QSpinBox *>(w)) {
        spin->selectAll();
        QTest::keyClicks(spin, text);
    } else if (auto *combo = qobject_cast<QComboBox *>(w); combo && combo->isEditable()) {
        combo->lineEdit()->selectAll();
        QTest::keyClicks(combo->lineEdit(), text);
    } else {
        QFAIL(qPrintable(QStringLiteral("no way to type into %1").arg(key)));
    }
}

void check(NotificationsForm *form, const QString &key, bool on)
{
    auto *box = qobject_cast<QCheckBox *>(form->editor(key));
    QVERIFY2(box, qPrintable(key));
    if (box->isChecked() != on)
        QTest::mouseClick(box, Qt::LeftButton, {}, QPoint(8, box->height() / 2));
    QCOMPARE(box->isChecked(), on);
}

QString lineText(NotificationsForm *form, const QString &key)
{
    auto *edit = qobject_cast<QLineEdit *>(form->editor(key));
    return edit ? edit->text() : QString();
}

// Every piece of text any widget under `root` shows or holds.
QStringList allWidgetTexts(QWidget *root)
{
    QStringList out;
    QList<QWidget *> widgets = root->findChildren<QWidget *>();
    widgets.prepend(root);
    for (QWidget *w : std::as_const(widgets)) {
        out << w->toolTip() << w->accessibleName() << w->accessibleDescription() << w->windowTitle();
        if (auto *e = qobject_cast<QLineEdit *>(w))
            out << e->text() << e->placeholderText() << e->displayText();
        if (auto *l = qobject_cast<QLabel *>(w))
            out << l->text();
        if (auto *b = qobject_cast<QAbstractButton *>(w))
            out << b->text();
        if (auto *c = qobject_cast<QComboBox *>(w)) {
            out << c->currentText();
        }
    }
    return out;
}

ui::MainWindow::Options windowOptions(const TempDatabase &tdb)
{
    ui::MainWindow::Options o;
    o.db = tdb.config();
    o.actor = kActor;
    o.runWorker = false;
    o.refreshIntervalMs = 500;
    return o;
}

} // namespace

class TestGuiNotifications : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void cleanup();

    void formRoundTrip();
    void everyFieldIsBoundAndLabelled();
    void fieldWithoutAPlaceGetsAnEditor();
    void validationShowsMessagesAndDisablesSave_data();
    void validationShowsMessagesAndDisablesSave();
    void revertRestores();
    void secretReplaceAndClear();
    void secretUnderAnotherKeyRefused();
    void conflictOverwrite();
    void conflictReload();
    void unsavedChangesGuard();
    void sendTestEmail();
    void sendTestSms();
    void sendTestSlack();
    void smtpSecurityNoneWithCredentials();
    void deliveryLogInJobDetails();
    void tabWalksTheFormInVisualOrder();
    void errorsDoNotMoveFields();
    void fixedErrorGoesOnEdit();
    void screenshot();

private:
    // A page on the current database, shown and loaded.
    std::unique_ptr<NotificationsPage> openPage();
    void waitSaved(NotificationsPage *page);
    // Clicks a test button and waits for its outcome; returns the latency shown, -1 when none is.
    qint64 clickTest(ChannelTestWidget *test, int *finishedCount);

    QTemporaryDir m_tmp;
    QProcess *m_smtp = nullptr;
    test::HttpRecorder m_http; // the Slack and Twilio stand-in
    int m_startTlsPort = 0;
    QString m_caFile;
    QString m_smtpDir;
    std::unique_ptr<TempDatabase> m_db;
};

void TestGuiNotifications::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("hcm-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_gui_notifications"));
    QSettings().clear();
    // The loopback recorder stands in for Twilio and Slack: its address is none of theirs.
    qputenv("HCM_ALLOW_CUSTOM_PROVIDER_URL", "1");
    (void)QSqlDatabase::drivers();
    QVERIFY(m_tmp.isValid());

    // The real SMTP server, as tests/notifytestbase.cpp starts it.
    m_smtpDir = m_tmp.filePath(QStringLiteral("smtp"));
    QVERIFY(QDir().mkpath(m_smtpDir));
    m_smtp = new QProcess(this);
    m_smtp->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_smtp->start(QStringLiteral("/usr/bin/python3"),
                  {QStringLiteral(HCM_SOURCE_DIR "/tests/servers/smtp_server.py"), m_smtpDir, kSmtpUser,
                   kSmtpPassword});
    QVERIFY(m_smtp->waitForStarted(10000));
    while (!m_smtp->canReadLine() && m_smtp->state() == QProcess::Running)
        m_smtp->waitForReadyRead(30000);
    const QString ready = QString::fromUtf8(m_smtp->readLine()).trimmed();
    static const QRegularExpression re(QStringLiteral("READY starttls=(\\d+) tls=(\\d+) ca=(\\S+)"));
    const auto m = re.match(ready);
    QVERIFY2(m.hasMatch(), "aiosmtpd did not start (is python3-aiosmtpd installed for /usr/bin/python3?)");
    m_startTlsPort = m.captured(1).toInt();
    m_caFile = m.captured(3);

    // The Slack and Twilio stand-in, with the same test certificate.
    QVERIFY2(m_http.start(m_tmp.filePath(QStringLiteral("http")), m_caFile,
                          m_smtpDir + QStringLiteral("/key.pem")),
             "the HTTPS stand-in did not start");
}

void TestGuiNotifications::cleanupTestCase()
{
    m_http.stop();
    if (m_smtp) {
        m_smtp->closeWriteChannel();
        if (!m_smtp->waitForFinished(5000)) {
            m_smtp->kill();
            m_smtp->waitForFinished();
        }
    }
}

qint64 TestGuiNotifications::clickTest(ChannelTestWidget *test, int *finishedCount)
{
    QSignalSpy finished(test, &ChannelTestWidget::finished);
    QTest::mouseClick(test->button(), Qt::LeftButton);
    if (!test->isBusy() || test->button()->isEnabled()) {
        qWarning("the button did not show the busy state");
        return -1;
    }
    if (!QTest::qWaitFor([&] { return finished.count() == 1; }, 30000)) {
        qWarning("no outcome within 30 s");
        return -1;
    }
    ++*finishedCount;
    static const QRegularExpression latency(QStringLiteral(" (?:in|after) (\\d+) ms[.:]"));
    const auto m = latency.match(test->resultText());
    return m.hasMatch() ? m.captured(1).toLongLong() : -1;
}

void TestGuiNotifications::init()
{
    m_db = std::make_unique<TempDatabase>();
    QVERIFY(m_db->isValid());
    qputenv("HCM_SECRET_KEY_FILE", QFile::encodeName(m_db->dir() + QStringLiteral("/secret.key")));
}

void TestGuiNotifications::cleanup()
{
    // Let the pool threads finish what the page started before the database goes.
    QThreadPool::globalInstance()->waitForDone(30000);
    Database::closeThreadConnections();
    m_db.reset();
}

std::unique_ptr<NotificationsPage> TestGuiNotifications::openPage()
{
    auto page = std::make_unique<NotificationsPage>(m_db->config(), kActor);
    page->resize(1200, 1000);
    QSignalSpy loaded(page.get(), &NotificationsPage::loaded);
    page->show(); // loads when first shown
    if (!loaded.wait(10000))
        qWarning("the page did not load");
    return page;
}

void TestGuiNotifications::waitSaved(NotificationsPage *page)
{
    QSignalSpy saved(page, &NotificationsPage::saved);
    QSignalSpy failed(page, &NotificationsPage::saveFailed);
    QVERIFY(page->saveButton()->isEnabled());
    QTest::mouseClick(page->saveButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(saved.count() + failed.count() > 0, 10000);
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));
}

void TestGuiNotifications::formRoundTrip()
{
    auto page = openPage();
    QVERIFY(page->hasLoaded());
    NotificationsForm *form = page->form();
    QCOMPARE(child<QLabel>(page.get(), QStringLiteral("lastSavedLabel"))->text(),
             QStringLiteral("Never saved: these are the defaults."));
    QVERIFY(!page->saveButton()->isEnabled());
    QVERIFY(!page->revertButton()->isEnabled());

    check(form, QStringLiteral("email_enabled"), true);
    typeInto(form, QStringLiteral("smtp_host"), QStringLiteral("smtp.example.org"));
    typeInto(form, QStringLiteral("smtp_port"), QStringLiteral("2525"));
    auto *security = qobject_cast<QComboBox *>(form->editor(QStringLiteral("smtp_security")));
    security->setCurrentIndex(security->findData(QStringLiteral("tls")));
    typeInto(form, QStringLiteral("email_from_address"), QStringLiteral("hcm@example.org"));
    typeInto(form, QStringLiteral("email_from_name"), QStringLiteral("HCM Alerts"));
    typeInto(form, QStringLiteral("email_recipients"), QStringLiteral("ops@example.org, oncall@example.org"));
    check(form, QStringLiteral("notify_job_retried"), true);
    check(form, QStringLiteral("quiet_hours_enabled"), true);
    qobject_cast<QTimeEdit *>(form->editor(QStringLiteral("quiet_hours_start")))->setTime(QTime(21, 30));
    typeInto(form, QStringLiteral("quiet_hours_timezone"), QStringLiteral("Europe/Berlin"));
    auto *digest = qobject_cast<QComboBox *>(form->editor(QStringLiteral("digest_frequency")));
    digest->setCurrentIndex(digest->findData(QStringLiteral("hourly")));
    QVERIFY(page->isDirty());
    QTRY_VERIFY(page->saveButton()->isEnabled()); // after the validation pause
    QVERIFY(page->revertButton()->isEnabled());
    QCOMPARE(child<QLabel>(page.get(), QStringLiteral("stateLabel"))->text(),
             QStringLiteral("Unsaved changes"));

    waitSaved(page.get());
    auto stored = NotificationSettingsStore(m_db->config()).load();
    QVERIFY(stored);
    QVERIFY(stored->emailEnabled);
    QCOMPARE(stored->smtpHost, QStringLiteral("smtp.example.org"));
    QCOMPARE(stored->smtpPort, 2525); // typed after the security change, so not the TLS default
    QCOMPARE(toString(stored->smtpSecurity), QStringLiteral("tls"));
    QCOMPARE(stored->emailFromAddress, QStringLiteral("hcm@example.org"));
    QCOMPARE(stored->emailFromName, QStringLiteral("HCM Alerts"));
    QCOMPARE(stored->emailRecipients,
             (QStringList{QStringLiteral("ops@example.org"), QStringLiteral("oncall@example.org")}));
    QVERIFY(stored->notifyJobRetried);
    QVERIFY(stored->quietHoursEnabled);
    QCOMPARE(stored->quietHoursStart, QTime(21, 30));
    QCOMPARE(stored->quietHoursTimeZone, QStringLiteral("Europe/Berlin"));
    QCOMPARE(toString(stored->digestFrequency), QStringLiteral("hourly"));
    QCOMPARE(stored->updatedBy, kActor.name);

    // Saved: clean again, with the new version and author shown.
    QVERIFY(!page->isDirty());
    QVERIFY(!page->saveButton()->isEnabled());
    QCOMPARE(page->loadedSettings().version, stored->version);
    QVERIFY2(child<QLabel>(page.get(), QStringLiteral("lastSavedLabel"))
                 ->text()
                 .startsWith(QStringLiteral("Last saved by admin:alice on ")),
             qPrintable(child<QLabel>(page.get(), QStringLiteral("lastSavedLabel"))->text()));

    // A fresh page shows what is stored.
    auto again = openPage();
    QCOMPARE(lineText(again->form(), QStringLiteral("smtp_host")), QStringLiteral("smtp.example.org"));
    QCOMPARE(lineText(again->form(), QStringLiteral("email_recipients")),
             QStringLiteral("ops@example.org, oncall@example.org"));
    QCOMPARE(qobject_cast<QSpinBox *>(again->form()->editor(QStringLiteral("smtp_port")))->value(), 2525);
    QVERIFY(!again->isDirty());
}

// Every field of the table has an editor in the form, with the field's name for screen readers and a
// label people read, and takes a value other than the default there and back.
void TestGuiNotifications::everyFieldIsBoundAndLabelled()
{
    NotificationsForm form;
    const NotificationSettings defaults;
    NotificationSettings examples;
    for (const SettingsField &f : NotificationSettings::fields()) {
        QWidget *editor = form.editor(f.name());
        QVERIFY2(editor, f.key);
        QVERIFY2(!f.labelText().isEmpty(), f.key);
        QCOMPARE(editor->accessibleName(), f.labelText());
        QVERIFY2(!rowLabelOf(editor).isEmpty(), f.key);
        const QString example =
            f.name() == QLatin1String("tls_ca_file") ? m_caFile : QString::fromUtf8(f.example);
        if (f.isSecret())
            f.secret(examples).isSet = true;
        else
            QCOMPARE(f.parse(examples, example), QString());
    }
    for (const NotificationSettings *shown : {&std::as_const(examples), &defaults}) {
        form.setSettings(*shown);
        QMap<QString, QString> errors;
        const NotificationSettings back = form.settings(&errors);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.keys().join(QLatin1Char(','))));
        for (const SettingsField &f : NotificationSettings::fields())
            QCOMPARE(back.text(f.name()), shown->text(f.name()));
    }
}

// A row added to the field table with no code in the form gets an editor of its type, labelled, at the
// end of its section's group, bound both ways. (These rows borrow members that no field uses.)
void TestGuiNotifications::fieldWithoutAPlaceGetsAnEditor()
{
    using F = SettingsField;
    QList<F> fields = NotificationSettings::fields();
    fields.append(F{.key = "extra_number",
                    .type = F::Type::Int,
                    .section = F::Section::Delivery,
                    .label = "Extra number",
                    .member = &NotificationSettings::version});
    fields.append(F{.key = "extra_text",
                    .type = F::Type::Text,
                    .section = F::Section::Events,
                    .label = "Extra text",
                    .member = &NotificationSettings::updatedBy});
    NotificationsForm form(fields);
    auto *number = qobject_cast<QSpinBox *>(form.editor(QStringLiteral("extra_number")));
    auto *text = qobject_cast<QLineEdit *>(form.editor(QStringLiteral("extra_text")));
    QVERIFY(number && text);
    QCOMPARE(number->accessibleName(), QStringLiteral("Extra number"));
    QCOMPARE(rowLabelOf(number), QStringLiteral("Extra number:"));
    QCOMPARE(number->parentWidget()->objectName(), QStringLiteral("deliveryGroup"));
    QCOMPARE(rowLabelOf(text), QStringLiteral("Extra text:"));
    QCOMPARE(text->parentWidget()->objectName(), QStringLiteral("eventsGroup"));

    NotificationSettings s;
    s.version = 42;
    s.updatedBy = QStringLiteral("carol");
    form.setSettings(s);
    QCOMPARE(number->value(), 42);
    QCOMPARE(text->text(), QStringLiteral("carol"));
    QSignalSpy edited(&form, &NotificationsForm::edited);
    number->setValue(7);
    QTest::keyClicks(text, QStringLiteral(" and dave"));
    QVERIFY(edited.count() > 1);
    const NotificationSettings back = form.settings();
    QCOMPARE(back.version, 7);
    QCOMPARE(back.updatedBy, QStringLiteral("carol and dave"));
}

void TestGuiNotifications::validationShowsMessagesAndDisablesSave_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("bad");
    QTest::addColumn<QString>("message");
    QTest::addColumn<QString>("good");
    QTest::newRow("port") << QStringLiteral("smtp_port") << QStringLiteral("0")
                          << QStringLiteral("The SMTP port must be from 1 to 65535.")
                          << QStringLiteral("2525");
    // Typed past the end of the range: the same message, not a digit silently dropped.
    QTest::newRow("port above range")
        << QStringLiteral("smtp_port") << QStringLiteral("99999")
        << QStringLiteral("The SMTP port must be from 1 to 65535.") << QStringLiteral("2525");
    QTest::newRow("email") << QStringLiteral("email_from_address") << QStringLiteral("hcm.example.org")
                           << QStringLiteral("\"hcm.example.org\" is not an email address.")
                           << QStringLiteral("hcm@example.org");
    QTest::newRow("e164") << QStringLiteral("sms_from_number") << QStringLiteral("0155 5550123")
                          << QStringLiteral(
                                 "\"0155 5550123\" is not a phone number in E.164 form (+14155550123).")
                          << QStringLiteral("+15005550006");
    QTest::newRow("webhook") << QStringLiteral("slack_webhook_url")
                             << QStringLiteral("http://hooks.slack.com/services/T1/B2/x")
                             << QStringLiteral("The Slack webhook URL must be an https:// URL.")
                             << QStringLiteral("https://hooks.slack.com/services/T1/B2/x");
}

void TestGuiNotifications::validationShowsMessagesAndDisablesSave()
{
    QFETCH(QString, key);
    QFETCH(QString, bad);
    QFETCH(QString, message);
    QFETCH(QString, good);
    auto page = openPage();
    NotificationsForm *form = page->form();
    typeInto(form, key, bad);
    QTRY_COMPARE(form->errorText(key), message);
    if (auto *spin = qobject_cast<QSpinBox *>(form->editor(key)))
        QCOMPARE(spin->text(), bad); // as typed
    QVERIFY(page->isDirty());
    QVERIFY(!page->saveButton()->isEnabled());
    QVERIFY(page->revertButton()->isEnabled());
    QCOMPARE(child<QLabel>(page.get(), QStringLiteral("stateLabel"))->text(),
             QStringLiteral("1 field needs attention"));
    // The message is on screen, under its field, and the field is tinted.
    const QList<QLabel *> errors = form->findChildren<QLabel *>(QStringLiteral("fieldError"));
    const auto shown = std::find_if(errors.begin(), errors.end(),
                                    [&](QLabel *l) { return l->isVisible() && l->text() == message; });
    QVERIFY(shown != errors.end());
    QWidget *editor = form->editor(key);
    QWidget *tinted = qobject_cast<SecretFieldWidget *>(editor)
                          ? static_cast<QWidget *>(qobject_cast<SecretFieldWidget *>(editor)->lineEdit())
                          : editor;
    QVERIFY(tinted->palette().color(QPalette::Base) != form->palette().color(QPalette::Base));
    QVERIFY((*shown)->mapTo(form, QPoint(0, 0)).y() > editor->mapTo(form, QPoint(0, 0)).y());

    // Saving anyway (Ctrl+S) refuses and says why; nothing is written.
    QSignalSpy failed(page.get(), &NotificationsPage::saveFailed);
    page->save();
    QCOMPARE(failed.count(), 1);
    QCOMPARE(NotificationSettingsStore(m_db->config()).load()->version, page->loadedSettings().version);

    typeInto(form, key, good);
    QTRY_VERIFY(form->errorText(key).isEmpty());
    QVERIFY(page->isValid());
    QVERIFY(page->saveButton()->isEnabled());
    QVERIFY(std::none_of(errors.begin(), errors.end(),
                         [](QLabel *l) { return l->isVisible() && !l->text().isEmpty(); }));
}

void TestGuiNotifications::revertRestores()
{
    NotificationSettingsStore store(m_db->config());
    NotificationSettings s = store.load().value();
    s.smtpHost = QStringLiteral("mail.example.org");
    s.slackChannel = QStringLiteral("#ops");
    QVERIFY(store.save(s, s.version, kActor));
    auto page = openPage();
    NotificationsForm *form = page->form();
    typeInto(form, QStringLiteral("smtp_host"), QStringLiteral("other.example.org"));
    typeInto(form, QStringLiteral("slack_channel"), QStringLiteral("bad channel!"));
    check(form, QStringLiteral("notify_worker_lost"), false);
    typeInto(form, QStringLiteral("smtp_password"), QStringLiteral("typed-but-reverted"));
    QTRY_VERIFY(!form->errorText(QStringLiteral("slack_channel")).isEmpty());
    QVERIFY(page->isDirty());

    QTest::mouseClick(page->revertButton(), Qt::LeftButton);
    QCOMPARE(lineText(form, QStringLiteral("smtp_host")), QStringLiteral("mail.example.org"));
    QCOMPARE(lineText(form, QStringLiteral("slack_channel")), QStringLiteral("#ops"));
    QVERIFY(qobject_cast<QCheckBox *>(form->editor(QStringLiteral("notify_worker_lost")))->isChecked());
    QCOMPARE(form->secretEditor(QStringLiteral("smtp_password"))->change(), SecretField::Change::Keep);
    QVERIFY(form->secretEditor(QStringLiteral("smtp_password"))->lineEdit()->text().isEmpty());
    QVERIFY(form->errorText(QStringLiteral("slack_channel")).isEmpty());
    QVERIFY(!page->isDirty());
    QVERIFY(!page->saveButton()->isEnabled());
    QVERIFY(!page->revertButton()->isEnabled());
}

void TestGuiNotifications::secretReplaceAndClear()
{
    const QString secret = QStringLiteral("pw-Zq8!never-shown-4711");
    auto page = openPage();
    NotificationsForm *form = page->form();
    SecretFieldWidget *password = form->secretEditor(QStringLiteral("smtp_password"));
    QCOMPARE(child<QLabel>(password, QStringLiteral("secretState"))->text(), QStringLiteral("Not set"));
    QVERIFY(child<QPushButton>(password, QStringLiteral("clearButton"))->isHidden()); // nothing to clear

    // Replace…: an empty password field appears; Undo takes it back.
    QTest::mouseClick(child<QPushButton>(password, QStringLiteral("replaceButton")), Qt::LeftButton);
    QVERIFY(password->lineEdit()->isVisible());
    QCOMPARE(password->lineEdit()->echoMode(), QLineEdit::Password);
    QVERIFY(page->isDirty());
    QTest::mouseClick(child<QPushButton>(password, QStringLiteral("undoButton")), Qt::LeftButton);
    QVERIFY(!password->lineEdit()->isVisible());
    QVERIFY(!page->isDirty());

    typeInto(form, QStringLiteral("smtp_username"), kSmtpUser);
    QTRY_COMPARE(form->errorText(QStringLiteral("smtp_password")),
                 QStringLiteral("A password is needed with the SMTP user name."));
    typeInto(form, QStringLiteral("smtp_password"), secret);
    QTRY_VERIFY(form->errorText(QStringLiteral("smtp_password")).isEmpty());
    QCOMPARE(password->lineEdit()->displayText().contains(secret), false); // dots, not the secret
    waitSaved(page.get());

    NotificationSettingsStore store(m_db->config());
    QCOMPARE(store.loadForDelivery()->smtpPassword.plaintext, secret);
    QCOMPARE(child<QLabel>(password, QStringLiteral("secretState"))->text(), QStringLiteral("Set"));
    QVERIFY(!child<QPushButton>(password, QStringLiteral("clearButton"))->isHidden());
    // Reloaded: the value is nowhere in the page, this one or a fresh one.
    for (const QString &text : allWidgetTexts(page.get()))
        QVERIFY2(!text.contains(secret), qPrintable(text));
    auto fresh = openPage();
    QCOMPARE(child<QLabel>(fresh->form()->secretEditor(QStringLiteral("smtp_password")),
                           QStringLiteral("secretState"))
                 ->text(),
             QStringLiteral("Set"));
    for (const QString &text : allWidgetTexts(fresh.get()))
        QVERIFY2(!text.contains(secret), qPrintable(text));
    fresh.reset();

    // Clear: the password goes, so the user name must go too.
    QTest::mouseClick(child<QPushButton>(password, QStringLiteral("clearButton")), Qt::LeftButton);
    QCOMPARE(child<QLabel>(password, QStringLiteral("secretState"))->text(),
             QStringLiteral("Will be cleared"));
    QTRY_VERIFY(!form->errorText(QStringLiteral("smtp_password")).isEmpty());
    QVERIFY(!page->saveButton()->isEnabled());
    typeInto(form, QStringLiteral("smtp_username"), QString());
    QTRY_VERIFY(page->saveButton()->isEnabled());
    waitSaved(page.get());
    QVERIFY(!store.load()->smtpPassword.isSet);
    QCOMPARE(child<QLabel>(password, QStringLiteral("secretState"))->text(), QStringLiteral("Not set"));
}

void TestGuiNotifications::secretUnderAnotherKeyRefused()
{
    // A Slack webhook stored with one key; this admin's program holds another.
    NotificationSettingsStore store(m_db->config());
    NotificationSettings s = store.load().value();
    s.slackWebhookUrl.replace(QStringLiteral("https://hooks.slack.com/services/T1/B1/first"));
    QVERIFY(store.save(s, s.version, kActor).ok);
    const QString otherKey = m_db->dir() + QStringLiteral("/other.key");
    qputenv("HCM_SECRET_KEY_FILE", QFile::encodeName(otherKey));
    QVERIFY(SecretBox::open(true));
    const NotificationSettings before = store.load().value();

    auto page = openPage();
    NotificationsForm *form = page->form();
    typeInto(form, QStringLiteral("smtp_username"), kSmtpUser);
    QTest::mouseClick(child<QPushButton>(form->secretEditor(QStringLiteral("smtp_password")),
                                         QStringLiteral("replaceButton")),
                      Qt::LeftButton);
    typeInto(form, QStringLiteral("smtp_password"), QStringLiteral("pw-under-another-key"));
    QTRY_VERIFY(page->saveButton()->isEnabled());
    QSignalSpy failed(page.get(), &NotificationsPage::saveFailed);
    QTest::mouseClick(page->saveButton(), Qt::LeftButton);
    QVERIFY(failed.wait(10000));
    const QString expected =
        QStringLiteral(
            "Nothing was saved: the key in use (key file %1) does not open the stored Slack webhook URL.")
            .arg(otherKey);
    QVERIFY2(failed.first().first().toString().startsWith(expected),
             qPrintable(failed.first().first().toString()));
    auto *banner = child<QLabel>(page.get(), QStringLiteral("bannerLabel"));
    QVERIFY(banner->isVisible());
    QVERIFY2(banner->text().startsWith(expected), qPrintable(banner->text()));
    QVERIFY(page->isDirty()); // the admin's input stays for another try
    const NotificationSettings after = store.load().value();
    QCOMPARE(after.version, before.version);
    QCOMPARE(after.loadedFingerprints, before.loadedFingerprints);
}

void TestGuiNotifications::conflictOverwrite()
{
    auto page = openPage();
    NotificationsForm *form = page->form();
    typeInto(form, QStringLiteral("smtp_host"), QStringLiteral("mine.example.org"));
    typeInto(form, QStringLiteral("email_from_name"), QStringLiteral("My Name"));

    // Meanwhile someone else saves.
    NotificationSettingsStore store(m_db->config());
    NotificationSettings theirs = store.load().value();
    theirs.smtpHost = QStringLiteral("theirs.example.org");
    theirs.slackWebhookUrl.replace(QStringLiteral("https://hooks.slack.com/services/T9/B9/theirsecret"));
    QVERIFY(store.save(theirs, theirs.version, test::adminActor(QStringLiteral("admin:bob"))));

    QSignalSpy failed(page.get(), &NotificationsPage::saveFailed);
    QTRY_VERIFY(page->saveButton()->isEnabled());
    QTest::mouseClick(page->saveButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10000);
    SettingsConflictDialog *dialog = page->conflictDialog();
    QVERIFY(dialog);
    QVERIFY(dialog->isVisible());
    QVERIFY(dialog->isModal() || dialog->windowModality() != Qt::NonModal);
    QCOMPARE(dialog->fields(),
             (QStringList{QStringLiteral("smtp_host"), QStringLiteral("slack_webhook_url")}));
    auto *table = child<QTableWidget>(dialog, QStringLiteral("conflictTable"));
    QCOMPARE(table->rowCount(), 2);
    QCOMPARE(table->item(0, 0)->text(), QStringLiteral("SMTP server"));
    QCOMPARE(table->item(0, 1)->text(), QStringLiteral("mine.example.org"));
    QCOMPARE(table->item(1, 0)->text(), QStringLiteral("Slack webhook URL"));
    QTRY_COMPARE_WITH_TIMEOUT(table->item(0, 2)->text(), QStringLiteral("theirs.example.org"), 10000);
    QCOMPARE(table->item(1, 2)->text(), QStringLiteral("changed by someone else"));
    for (const QString &text : allWidgetTexts(dialog))
        QVERIFY(!text.contains(QLatin1String("theirsecret")));
    // Nothing was overwritten yet.
    QCOMPARE(store.load()->smtpHost, QStringLiteral("theirs.example.org"));

    auto *overwrite = child<QPushButton>(dialog, QStringLiteral("overwriteButton"));
    QTRY_VERIFY(overwrite->isEnabled());
    QSignalSpy saved(page.get(), &NotificationsPage::saved);
    QTest::mouseClick(overwrite, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 10000);
    auto now = store.load();
    QCOMPARE(now->smtpHost, QStringLiteral("mine.example.org"));
    QCOMPARE(now->emailFromName, QStringLiteral("My Name"));
    QCOMPARE(now->updatedBy, kActor.name);
    QVERIFY(now->slackWebhookUrl.isSet); // the form kept the secret as stored (theirs)
    QCOMPARE(now->version, theirs.version + 2);
    QVERIFY(!page->isDirty());
    QTRY_VERIFY(!page->conflictDialog());
}

void TestGuiNotifications::conflictReload()
{
    auto page = openPage();
    NotificationsForm *form = page->form();
    typeInto(form, QStringLiteral("slack_channel"), QStringLiteral("#mine"));
    NotificationSettingsStore store(m_db->config());
    NotificationSettings theirs = store.load().value();
    theirs.slackChannel = QStringLiteral("#theirs");
    theirs.notifyJobSucceeded = true;
    QVERIFY(store.save(theirs, theirs.version, test::adminActor(QStringLiteral("admin:bob"))));

    QTRY_VERIFY(page->saveButton()->isEnabled());
    QTest::mouseClick(page->saveButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(page->conflictDialog(), 10000);
    SettingsConflictDialog *dialog = page->conflictDialog();
    QCOMPARE(dialog->fields(),
             (QStringList{QStringLiteral("slack_channel"), QStringLiteral("notify_job_succeeded")}));
    auto *table = child<QTableWidget>(dialog, QStringLiteral("conflictTable"));
    QCOMPARE(table->item(1, 0)->text(), QStringLiteral("Alert when a job succeeds"));
    QCOMPARE(table->item(1, 1)->text(), QStringLiteral("off"));
    QTRY_COMPARE_WITH_TIMEOUT(table->item(1, 2)->text(), QStringLiteral("on"), 10000);

    // Cancel first: back to editing, nothing saved, still dirty.
    QTest::mouseClick(child<QPushButton>(dialog, QStringLiteral("cancelButton")), Qt::LeftButton);
    QTRY_VERIFY(!page->conflictDialog());
    QVERIFY(page->isDirty());
    QCOMPARE(lineText(form, QStringLiteral("slack_channel")), QStringLiteral("#mine"));
    QCOMPARE(store.load()->slackChannel, QStringLiteral("#theirs"));

    // Save again: the same question; this time discard and reload.
    QTest::mouseClick(page->saveButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(page->conflictDialog(), 10000);
    QSignalSpy loaded(page.get(), &NotificationsPage::loaded);
    QTest::mouseClick(child<QPushButton>(page->conflictDialog(), QStringLiteral("reloadButton")),
                      Qt::LeftButton);
    QVERIFY(loaded.wait(10000));
    QCOMPARE(lineText(form, QStringLiteral("slack_channel")), QStringLiteral("#theirs"));
    QVERIFY(qobject_cast<QCheckBox *>(form->editor(QStringLiteral("notify_job_succeeded")))->isChecked());
    QVERIFY(!page->isDirty());
    QCOMPARE(page->loadedSettings().version, store.load()->version);
    QCOMPARE(store.load()->slackChannel, QStringLiteral("#theirs"));
}

void TestGuiNotifications::unsavedChangesGuard()
{
    ui::MainWindow window(windowOptions(*m_db));
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    NotificationsPage *page = window.notificationsPage();
    QSignalSpy loaded(page, &NotificationsPage::loaded);
    window.showPage(ui::MainWindow::NotificationsPageIndex);
    QCOMPARE(window.currentPage(), int(ui::MainWindow::NotificationsPageIndex));
    QVERIFY(loaded.wait(10000));

    // Clean: switching away asks nothing.
    window.showPage(ui::MainWindow::JobsPageIndex);
    QCOMPARE(window.currentPage(), int(ui::MainWindow::JobsPageIndex));
    QVERIFY(!window.unsavedChangesBox());
    window.showPage(ui::MainWindow::NotificationsPageIndex);

    auto answer = [&](QMessageBox::StandardButton button) {
        QTRY_VERIFY(window.unsavedChangesBox() && window.unsavedChangesBox()->isVisible());
        QMessageBox *box = window.unsavedChangesBox();
        QCOMPARE(box->text(), QStringLiteral("The notification settings have unsaved changes."));
        QTest::mouseClick(box->button(button), Qt::LeftButton);
    };

    // Cancel: stay, changes kept.
    typeInto(page->form(), QStringLiteral("smtp_host"), QStringLiteral("kept.example.org"));
    window.showPage(ui::MainWindow::WorkersPageIndex);
    QCOMPARE(window.currentPage(), int(ui::MainWindow::NotificationsPageIndex)); // not until answered
    answer(QMessageBox::Cancel);
    QTRY_VERIFY(!window.unsavedChangesBox());
    QCOMPARE(window.currentPage(), int(ui::MainWindow::NotificationsPageIndex));
    QCOMPARE(child<QListWidget>(&window, QStringLiteral("navigation"))->currentRow(),
             int(ui::MainWindow::NotificationsPageIndex));
    QVERIFY(page->isDirty());

    // Discard: leave, changes dropped.
    window.showPage(ui::MainWindow::WorkersPageIndex);
    answer(QMessageBox::Discard);
    QTRY_COMPARE(window.currentPage(), int(ui::MainWindow::WorkersPageIndex));
    QVERIFY(!page->isDirty());
    QVERIFY(lineText(page->form(), QStringLiteral("smtp_host")).isEmpty());

    // Save: stored, then leave.
    window.showPage(ui::MainWindow::NotificationsPageIndex);
    typeInto(page->form(), QStringLiteral("smtp_host"), QStringLiteral("saved.example.org"));
    QTRY_VERIFY(page->isValid());
    window.showPage(ui::MainWindow::JobsPageIndex);
    answer(QMessageBox::Save);
    QTRY_COMPARE_WITH_TIMEOUT(window.currentPage(), int(ui::MainWindow::JobsPageIndex), 10000);
    QCOMPARE(NotificationSettingsStore(m_db->config()).load()->smtpHost, QStringLiteral("saved.example.org"));

    // Closing the window with unsaved changes asks too; Cancel keeps it open.
    window.showPage(ui::MainWindow::NotificationsPageIndex);
    typeInto(page->form(), QStringLiteral("smtp_host"), QStringLiteral("unsaved.example.org"));
    window.close();
    answer(QMessageBox::Cancel);
    QTRY_VERIFY(!window.unsavedChangesBox());
    QVERIFY(window.isVisible());
    window.close();
    answer(QMessageBox::Discard);
    QTRY_VERIFY(!window.isVisible());
    QCOMPARE(NotificationSettingsStore(m_db->config()).load()->smtpHost, QStringLiteral("saved.example.org"));
}

void TestGuiNotifications::sendTestEmail()
{
    auto page = openPage();
    NotificationsForm *form = page->form();
    // Everything typed, nothing saved: the test uses the form's values.
    typeInto(form, QStringLiteral("smtp_host"), QStringLiteral("127.0.0.1"));
    typeInto(form, QStringLiteral("smtp_port"), QString::number(m_startTlsPort));
    typeInto(form, QStringLiteral("smtp_username"), kSmtpUser);
    typeInto(form, QStringLiteral("smtp_password"), kSmtpPassword);
    typeInto(form, QStringLiteral("email_from_address"), QStringLiteral("hcm@example.com"));
    typeInto(form, QStringLiteral("email_recipients"),
             QStringLiteral("admin@example.com, second@example.com"));
    typeInto(form, QStringLiteral("tls_ca_file"), m_caFile);
    QTRY_VERIFY(page->isValid());

    ChannelTestWidget *test = form->testWidget(NotifyChannel::Email);
    QCOMPARE(test->recipientEdit()->placeholderText(), QStringLiteral("admin@example.com (default)"));
    QSignalSpy finished(test, &ChannelTestWidget::finished);
    QTest::mouseClick(test->button(), Qt::LeftButton);
    // Busy while the provider answers, and the window keeps handling events meanwhile.
    QVERIFY(test->isBusy());
    QVERIFY(!test->button()->isEnabled());
    QCOMPARE(test->button()->text(), QStringLiteral("Sending…"));
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
    QVERIFY(!test->isBusy());
    QCOMPARE(test->button()->text(), QStringLiteral("Send test email"));
    static const QRegularExpression delivered(
        QStringLiteral("^Delivered to admin@example.com in \\d+ ms\\.$"));
    QVERIFY2(delivered.match(test->resultText()).hasMatch(), qPrintable(test->resultText()));
    QVERIFY(child<QLabel>(test, QStringLiteral("testDetail"))
                ->text()
                .startsWith(QStringLiteral("Response: 250")));

    // The server really got it, from the form's (unsaved) sender, to the first recipient only.
    const QString msg = m_smtpDir + QStringLiteral("/msg-1.json");
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(msg), 10000);
    QFile f(msg);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject received = QJsonDocument::fromJson(f.readAll()).object();
    QCOMPARE(received.value(QStringLiteral("mail_from")).toString(), QStringLiteral("hcm@example.com"));
    QCOMPARE(received.value(QStringLiteral("rcpt_tos")).toArray().size(), 1);
    QCOMPARE(received.value(QStringLiteral("rcpt_tos")).toArray().first().toString(),
             QStringLiteral("admin@example.com"));
    QCOMPARE(received.value(QStringLiteral("login")).toString(), kSmtpUser);
    QVERIFY(page->isDirty()); // testing saved nothing
    QCOMPARE(NotificationSettingsStore(m_db->config()).load()->smtpHost, QString());

    // Another recipient typed in the test field; then the rate limit, shown as the service words it.
    test->recipientEdit()->setText(QStringLiteral("other@example.com"));
    for (int i = 2; i <= 5; ++i) {
        QTest::mouseClick(test->button(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), i, 30000);
        QVERIFY2(test->resultText().startsWith(QStringLiteral("Delivered to other@example.com in ")),
                 qPrintable(test->resultText()));
    }
    QTest::mouseClick(test->button(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 6, 30000);
    QVERIFY2(test->resultText().startsWith(
                 QStringLiteral("Too many test messages: at most 5 per minute. The next one is allowed at")),
             qPrintable(test->resultText()));
}

void TestGuiNotifications::sendTestSms()
{
    m_http.clearResponses();
    auto page = openPage();
    NotificationsForm *form = page->form();
    typeInto(form, QStringLiteral("twilio_account_sid"), kSid);
    typeInto(form, QStringLiteral("twilio_auth_token"), kTwilioToken);
    typeInto(form, QStringLiteral("sms_from_number"), QStringLiteral("+15005550006"));
    typeInto(form, QStringLiteral("sms_recipients"), QStringLiteral("+14155550123, +14155550124"));
    // The API address is under "Advanced", as an admin finds it.
    QTest::mouseClick(child<QToolButton>(form, QStringLiteral("advancedButton")), Qt::LeftButton);
    QVERIFY(form->editor(QStringLiteral("twilio_base_url"))->isVisible());
    typeInto(form, QStringLiteral("twilio_base_url"), m_http.baseUrl());
    typeInto(form, QStringLiteral("tls_ca_file"), m_caFile);
    QTRY_VERIFY(page->isValid());

    ChannelTestWidget *test = form->testWidget(NotifyChannel::Sms);
    QCOMPARE(test->button()->text(), QStringLiteral("Send test SMS"));
    QCOMPARE(test->recipientEdit()->placeholderText(), QStringLiteral("+14155550123 (default)"));
    int finished = 0;
    const int n = m_http.requestCount() + 1;
    const qint64 shown = clickTest(test, &finished);
    QCOMPARE(finished, 1);
    QVERIFY(!test->isBusy());
    QCOMPARE(test->button()->text(), QStringLiteral("Send test SMS"));
    static const QRegularExpression delivered(QStringLiteral("^Delivered to \\+14155550123 in \\d+ ms\\.$"));
    QVERIFY2(delivered.match(test->resultText()).hasMatch(), qPrintable(test->resultText()));
    // Twilio's answer: the message resource, with its SID.
    const QString detail = child<QLabel>(test, QStringLiteral("testDetail"))->text();
    QVERIFY2(detail.startsWith(QStringLiteral("Response: HTTP 201 {")) &&
                 detail.contains(QLatin1String("\"sid\": \"SM")),
             qPrintable(detail));

    // What Twilio documents, from the form's unsaved values, to the first recipient only.
    const QJsonObject req = m_http.waitForRequest(n);
    QCOMPARE(req.value(QLatin1String("problems")).toArray(), QJsonArray());
    QCOMPARE(req.value(QLatin1String("path")).toString(),
             QStringLiteral("/2010-04-01/Accounts/%1/Messages.json").arg(kSid));
    QCOMPARE(req.value(QLatin1String("headers")).toObject().value(QLatin1String("authorization")).toString(),
             QStringLiteral("Basic ") +
                 QString::fromLatin1((kSid + QLatin1Char(':') + kTwilioToken).toUtf8().toBase64()));
    const QUrlQuery sms(req.value(QLatin1String("body")).toString());
    QCOMPARE(sms.queryItemValue(QStringLiteral("To"), QUrl::FullyDecoded), QStringLiteral("+14155550123"));
    QCOMPARE(sms.queryItemValue(QStringLiteral("From"), QUrl::FullyDecoded), QStringLiteral("+15005550006"));
    QVERIFY(sms.queryItemValue(QStringLiteral("Body"), QUrl::FullyDecoded)
                .startsWith(QLatin1String("This is a test message from HCM Admin, sent by admin:alice")));
    QCOMPARE(m_http.requestCount(), n);

    // The latency shown is the one the delivery log keeps.
    auto log = DeliveryStore(m_db->config()).recent(1);
    QVERIFY(log && log->size() == 1);
    QCOMPARE(log->first().channel, QStringLiteral("sms"));
    QCOMPARE(log->first().event, QStringLiteral("test"));
    QVERIFY(log->first().delivered);
    QCOMPARE(shown, log->first().latencyMs);

    // A wrong token: Twilio answers 401 with error 20003; the admin reads what to check.
    m_http.respond(QStringLiteral("/2010-04-01/Accounts/%1/Messages.json").arg(kSid), 401,
                   QStringLiteral(R"({"code": 20003, "message": "Authenticate", "more_info": )"
                                  R"("https://www.twilio.com/docs/errors/20003", "status": 401})"),
                   QStringLiteral("application/json"));
    const qint64 failedAfter = clickTest(test, &finished);
    QCOMPARE(finished, 2);
    QCOMPARE(
        test->resultText(),
        QStringLiteral("Failed for +14155550123 after %1 ms: Twilio says: Authenticate (error 20003). The "
                       "account SID or auth token is wrong.")
            .arg(failedAfter));
    QVERIFY2(child<QLabel>(test, QStringLiteral("testDetail"))
                 ->text()
                 .startsWith(QStringLiteral("Response: HTTP 401 {\"code\": 20003")),
             qPrintable(child<QLabel>(test, QStringLiteral("testDetail"))->text()));
    log = DeliveryStore(m_db->config()).recent(1);
    QVERIFY(!log->first().delivered);
    QCOMPARE(log->first().latencyMs, failedAfter);
    // The outcome never shows the token, not even in the error.
    for (const QString &text : allWidgetTexts(test))
        QVERIFY2(!text.contains(kTwilioToken), qPrintable(text));
    QVERIFY(page->isDirty()); // testing saved nothing
}

void TestGuiNotifications::sendTestSlack()
{
    m_http.clearResponses();
    auto page = openPage();
    NotificationsForm *form = page->form();
    const QString webhook = m_http.baseUrl() + kWebhookPath;
    typeInto(form, QStringLiteral("slack_webhook_url"), webhook);
    typeInto(form, QStringLiteral("slack_channel"), QStringLiteral("#ops-alerts"));
    typeInto(form, QStringLiteral("tls_ca_file"), m_caFile);
    QTRY_VERIFY(page->isValid());

    ChannelTestWidget *test = form->testWidget(NotifyChannel::Slack);
    QCOMPARE(test->button()->text(), QStringLiteral("Send test Slack message"));
    QVERIFY(!test->recipientEdit()); // a webhook posts where it was made for
    int finished = 0;
    const int n = m_http.requestCount() + 1;
    const qint64 shown = clickTest(test, &finished);
    QCOMPARE(finished, 1);
    QCOMPARE(test->resultText(), QStringLiteral("Delivered to #ops-alerts in %1 ms.").arg(shown));
    QCOMPARE(child<QLabel>(test, QStringLiteral("testDetail"))->text(),
             QStringLiteral("Response: HTTP 200 ok"));

    const QJsonObject req = m_http.waitForRequest(n);
    QCOMPARE(req.value(QLatin1String("problems")).toArray(), QJsonArray());
    QCOMPARE(req.value(QLatin1String("path")).toString(), kWebhookPath);
    const QJsonObject body =
        QJsonDocument::fromJson(req.value(QLatin1String("body")).toString().toUtf8()).object();
    QCOMPARE(body.value(QLatin1String("channel")).toString(), QStringLiteral("#ops-alerts"));
    QVERIFY2(body.value(QLatin1String("text"))
                 .toString()
                 .startsWith(QLatin1String("This is a test message from HCM Admin")),
             qPrintable(body.value(QLatin1String("text")).toString()));
    auto log = DeliveryStore(m_db->config()).recent(1);
    QVERIFY(log && log->size() == 1);
    QCOMPARE(log->first().channel, QStringLiteral("slack"));
    QCOMPARE(log->first().recipient, QStringLiteral("#ops-alerts"));
    QCOMPARE(log->first().latencyMs, shown);

    // A revoked webhook: Slack answers 403 invalid_token; the admin is told to make a new one.
    m_http.respond(kWebhookPath, 403, QStringLiteral("invalid_token"), QStringLiteral("text/html"));
    const qint64 failedAfter = clickTest(test, &finished);
    QCOMPARE(finished, 2);
    QCOMPARE(test->resultText(),
             QStringLiteral(
                 "Failed for #ops-alerts after %1 ms: Slack says: invalid_token (HTTP 403). The webhook "
                 "URL is no longer valid: create a new incoming webhook in Slack and set it here.")
                 .arg(failedAfter));
    QCOMPARE(child<QLabel>(test, QStringLiteral("testDetail"))->text(),
             QStringLiteral("Response: HTTP 403 invalid_token"));
    QVERIFY(!DeliveryStore(m_db->config()).recent(1)->first().delivered);
    // The webhook URL is a secret: the outcome never shows it.
    for (const QString &text : allWidgetTexts(test))
        QVERIFY2(!text.contains(kWebhookPath.section(QLatin1Char('/'), -1)), qPrintable(text));
}

void TestGuiNotifications::smtpSecurityNoneWithCredentials()
{
    auto page = openPage();
    NotificationsForm *form = page->form();
    typeInto(form, QStringLiteral("smtp_host"), QStringLiteral("mail.example.org"));
    typeInto(form, QStringLiteral("smtp_username"), kSmtpUser);
    typeInto(form, QStringLiteral("smtp_password"), kSmtpPassword);
    QTRY_VERIFY(page->isValid());
    auto *security = qobject_cast<QComboBox *>(form->editor(QStringLiteral("smtp_security")));
    QVERIFY(security);
    const QString message = QStringLiteral("Without encryption the SMTP user name and password would travel "
                                           "to mail.example.org readable by anyone "
                                           "on the way. Choose STARTTLS or TLS, or clear the user name and "
                                           "password (only a relay on this machine, "
                                           "such as localhost, may be used unencrypted).");

    // Chosen with the keyboard, as a person would.
    security->setFocus();
    for (int i = 0; i < security->count() && security->currentData().toString() != QLatin1String("none"); ++i)
        QTest::keyClick(security, Qt::Key_Down);
    QCOMPARE(security->currentData().toString(), QStringLiteral("none"));
    QTRY_COMPARE(form->errorText(QStringLiteral("smtp_security")), message);
    QVERIFY(!page->saveButton()->isEnabled());
    const QList<QLabel *> errors = form->findChildren<QLabel *>(QStringLiteral("fieldError"));
    QVERIFY(std::any_of(errors.begin(), errors.end(),
                        [&](QLabel *l) { return l->isVisible() && l->text() == message; }));
    QVERIFY(security->palette().color(QPalette::Base) != form->palette().color(QPalette::Base));

    // A relay on this machine may do without TLS.
    typeInto(form, QStringLiteral("smtp_host"), QStringLiteral("127.0.0.1"));
    QTRY_VERIFY(form->errorText(QStringLiteral("smtp_security")).isEmpty());
    QTRY_VERIFY(page->saveButton()->isEnabled());
    typeInto(form, QStringLiteral("smtp_host"), QStringLiteral("mail.example.org"));
    QTRY_COMPARE(form->errorText(QStringLiteral("smtp_security")), message);

    // Back to STARTTLS: the message goes and the settings can be saved.
    security->setCurrentIndex(security->findData(QStringLiteral("starttls")));
    QTRY_VERIFY(form->errorText(QStringLiteral("smtp_security")).isEmpty());
    waitSaved(page.get());
    QCOMPARE(toString(NotificationSettingsStore(m_db->config()).load()->smtpSecurity),
             QStringLiteral("starttls"));
}

void TestGuiNotifications::deliveryLogInJobDetails()
{
    JobService jobs{JobStore(m_db->config())};
    const qint64 id =
        jobs.enqueue(NewJob{QStringLiteral("cleanup"), JobPriority::Normal, {}, 0, std::nullopt}, kActor)
            .value();
    DeliveryStore deliveries(m_db->config());
    DeliveryRecord ok;
    ok.sourceJobId = id;
    ok.channel = QStringLiteral("email");
    ok.recipient = QStringLiteral("ops@example.org");
    ok.event = QStringLiteral("job_failed");
    ok.delivered = true;
    ok.providerResponse = QStringLiteral("250 2.0.0 Ok: queued as 4F2A1");
    ok.latencyMs = 38;
    ok.createdBy = QStringLiteral("system:alerts");
    QVERIFY(deliveries.log(ok));
    DeliveryRecord bad = ok;
    bad.channel = QStringLiteral("slack");
    bad.recipient = QStringLiteral("#alerts");
    bad.delivered = false;
    bad.providerResponse = QStringLiteral("HTTP 404 no_team");
    bad.error = QStringLiteral("Slack refused the message: no_team");
    bad.latencyMs = 212;
    QVERIFY(deliveries.log(bad));
    // A digest that carried an alert about the job: its delivery belongs to the job too.
    NotificationSettingsStore settings(m_db->config());
    NotificationSettings hourly = settings.load().value();
    hourly.digestFrequency = DigestFrequency::Hourly;
    QVERIFY(settings.save(hourly, hourly.version, kActor).ok);
    DigestItem item;
    item.event = QStringLiteral("job_failed");
    item.sourceJobId = id;
    item.jobType = QStringLiteral("cleanup");
    item.error = QStringLiteral("disk full");
    const qint64 due = QDateTime::currentMSecsSinceEpoch() + 3'600'000;
    auto scheduled = DigestStore(m_db->config())
                         .collect(
                             {item}, due, QStringLiteral("hourly"), [](qint64 t) { return t + 3'600'000; },
                             Actor::system(QStringLiteral("alerts")));
    QVERIFY(scheduled);
    DeliveryRecord digest = ok;
    digest.sourceJobId = 0;
    digest.jobId = scheduled->jobId;
    digest.event = QStringLiteral("digest");
    digest.latencyMs = 41;
    QVERIFY(deliveries.log(digest));

    AsyncJobService service{JobStore(m_db->config())};
    JobDetailsDialog dialog(&service, id);
    dialog.show();
    QSignalSpy shown(&dialog, &JobDetailsDialog::deliveriesLoaded);
    QVERIFY(shown.wait(10000));
    auto *table = child<QTableWidget>(&dialog, QStringLiteral("deliveriesTable"));
    QVERIFY(table->isVisible());
    QCOMPARE(table->rowCount(), 3);
    QCOMPARE(table->item(0, 1)->text(), QStringLiteral("Email"));
    QCOMPARE(table->item(0, 2)->text(), QStringLiteral("ops@example.org"));
    QCOMPARE(table->item(0, 3)->text(), QStringLiteral("Job failed"));
    QCOMPARE(table->item(0, 4)->text(), QStringLiteral("Delivered"));
    QCOMPARE(table->item(0, 5)->text(), QStringLiteral("38 ms"));
    QCOMPARE(table->item(0, 6)->text(), QStringLiteral("250 2.0.0 Ok: queued as 4F2A1"));
    QCOMPARE(table->item(1, 4)->text(), QStringLiteral("Failed"));
    QCOMPARE(table->item(1, 6)->text(), QStringLiteral("HTTP 404 no_team"));
    QCOMPARE(table->item(2, 3)->text(), QStringLiteral("Alert digest"));
    QCOMPARE(table->item(2, 5)->text(), QStringLiteral("41 ms"));

    // A job without any: says so.
    const qint64 quiet =
        jobs.enqueue(NewJob{QStringLiteral("cleanup"), JobPriority::Normal, {}, 0, std::nullopt}, kActor)
            .value();
    JobDetailsDialog other(&service, quiet);
    other.show();
    QSignalSpy otherShown(&other, &JobDetailsDialog::deliveriesLoaded);
    QVERIFY(otherShown.wait(10000));
    QCOMPARE(child<QLabel>(&other, QStringLiteral("deliveriesMessage"))->text(),
             QStringLiteral("No notifications were sent about this job."));
    QVERIFY(child<QTableWidget>(&other, QStringLiteral("deliveriesTable"))->isHidden());
}

// Tab from the first field walks every field and button of the form once, top to bottom and left to
// right as they are on screen (the test recipient before its Send button), and leaves every field: it
// used to stay in the field before a secret (Account SID, User name) for good.
void TestGuiNotifications::tabWalksTheFormInVisualOrder()
{
    auto page = openPage();
    page->resize(900, 3000); // one column: the visual order is top to bottom
    QVERIFY(QTest::qWaitForWindowExposed(page.get()));
    settleLayout();
    NotificationsForm *form = page->form();
    QVERIFY(!form->isTwoColumns());

    // What a person can reach, in reading order.
    QList<QWidget *> expected;
    for (QWidget *w : form->findChildren<QWidget *>()) {
        if (!w->isVisible() || !w->isEnabled() || !(w->focusPolicy() & Qt::TabFocus) || w->focusProxy() ||
            qobject_cast<QAbstractSpinBox *>(w->parentWidget()) ||
            qobject_cast<QComboBox *>(w->parentWidget()))
            continue;
        expected << w;
    }
    const auto centre = [form](QWidget *w) { return w->mapTo(form, w->rect().center()); };
    std::sort(expected.begin(), expected.end(), [&](QWidget *a, QWidget *b) {
        const QPoint ca = centre(a), cb = centre(b);
        if (qAbs(ca.y() - cb.y()) > qMin(a->height(), b->height()) / 2)
            return ca.y() < cb.y();
        return ca.x() < cb.x();
    });
    QVERIFY(expected.size() > 30);
    const auto name = [](QWidget *w) {
        return QStringLiteral("%1/%2").arg(QString::fromLatin1(w->metaObject()->className()),
                                           w->objectName());
    };
    QStringList expectedNames;
    for (QWidget *w : std::as_const(expected))
        expectedNames << name(w);

    QWidget *first = form->editor(QStringLiteral("email_enabled"));
    QCOMPARE(expected.first(), first);
    first->setFocus(Qt::TabFocusReason);
    QTRY_COMPARE(QApplication::focusWidget(), first);
    QList<QWidget *> walked{first};
    QStringList walkedNames{name(first)};
    for (int i = 0; i < 2 * expected.size(); ++i) {
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_Tab);
        QWidget *w = QApplication::focusWidget();
        if (!w || !form->isAncestorOf(w))
            break; // out of the form: on to the page's buttons
        if (qobject_cast<QAbstractSpinBox *>(w->parentWidget()) ||
            qobject_cast<QComboBox *>(w->parentWidget()))
            w = w->parentWidget();
        walked << w;
        walkedNames << name(w);
    }
    QCOMPARE(walkedNames, expectedNames);
    QCOMPARE(walked, expected);
    // The fields the trap was in are left by the next Tab.
    const qsizetype sid = walked.indexOf(form->editor(QStringLiteral("twilio_account_sid")));
    QVERIFY(sid >= 0 && sid + 1 < walked.size());
    QCOMPARE(walked.at(sid + 1), form->secretEditor(QStringLiteral("twilio_auth_token"))
                                     ->findChild<QPushButton *>(QStringLiteral("replaceButton")));
    ChannelTestWidget *email = form->testWidget(NotifyChannel::Email);
    QCOMPARE(walked.indexOf(email->button()), walked.indexOf(email->recipientEdit()) + 1);
}

// An error appearing or going moves no field: the click meant for Admin recipients stays there.
void TestGuiNotifications::errorsDoNotMoveFields()
{
    auto page = openPage();
    QVERIFY(QTest::qWaitForWindowExposed(page.get()));
    settleLayout();
    NotificationsForm *form = page->form();
    QHash<QWidget *, QRect> before;
    const auto fields = [form] {
        QList<QWidget *> out;
        for (const QString &key : NotificationSettings::fieldKeys())
            if (QWidget *w = form->editor(key); w && w->isVisible())
                out << w;
        return out;
    };
    const QList<QWidget *> shown = fields();
    QVERIFY(shown.size() > 20);
    for (QWidget *w : shown)
        before.insert(w, QRect(w->mapTo(form, QPoint()), w->size()));

    // Errors in both columns and in every group with fields.
    check(form, QStringLiteral("email_enabled"), true);
    check(form, QStringLiteral("sms_enabled"), true);
    typeInto(form, QStringLiteral("email_reply_to"), QStringLiteral("not an address"));
    typeInto(form, QStringLiteral("quiet_hours_timezone"), QStringLiteral("Mars/Olympus"));
    typeInto(form, QStringLiteral("slack_channel"), QStringLiteral("no spaces allowed"));
    page->validateNow();
    settleLayout();
    for (const QString &key : {QStringLiteral("smtp_host"), QStringLiteral("email_reply_to"),
                               QStringLiteral("twilio_account_sid"), QStringLiteral("quiet_hours_timezone")})
        QVERIFY2(!form->errorText(key).isEmpty(), qPrintable(key));
    QVERIFY(page->fieldErrors().size() >= 6);
    for (QWidget *w : shown)
        QCOMPARE(QRect(w->mapTo(form, QPoint()), w->size()), before.value(w));
    // Each message is on screen under its field, whole in the tooltip.
    const QList<QLabel *> lines = form->findChildren<QLabel *>(QStringLiteral("fieldError"));
    const auto line = std::find_if(lines.begin(), lines.end(), [&](QLabel *l) {
        return l->isVisible() && l->text() == form->errorText(QStringLiteral("smtp_host"));
    });
    QVERIFY(line != lines.end());
    // Under the field and as wide as it: the message can be read.
    QWidget *host = form->editor(QStringLiteral("smtp_host"));
    QVERIFY2((*line)->width() >= host->width() - 2,
             qPrintable(QStringLiteral("%1 px for the message under a %2 px field")
                            .arg((*line)->width())
                            .arg(host->width())));
    QCOMPARE((*line)->mapTo(form, QPoint()).x(), host->mapTo(form, QPoint()).x());
    QVERIFY((*line)->mapTo(form, QPoint()).y() >= host->mapTo(form, QPoint()).y() + host->height());
    QCOMPARE((*line)->toolTip(), form->errorText(QStringLiteral("smtp_host")));
    QCOMPARE(form->editor(QStringLiteral("smtp_host"))->accessibleDescription(),
             form->errorText(QStringLiteral("smtp_host")));

    page->revert();
    settleLayout();
    QVERIFY(page->fieldErrors().isEmpty());
    for (QWidget *w : shown)
        QCOMPARE(QRect(w->mapTo(form, QPoint()), w->size()), before.value(w));
}

// Filling in the missing server removes "Email alerts need an SMTP server." with the keystroke, not
// after a pause or another edit.
void TestGuiNotifications::fixedErrorGoesOnEdit()
{
    auto page = openPage();
    NotificationsForm *form = page->form();
    check(form, QStringLiteral("email_enabled"), true);
    page->validateNow();
    QCOMPARE(form->errorText(QStringLiteral("smtp_host")),
             QStringLiteral("Email alerts need an SMTP server."));
    const QString recipientsError = form->errorText(QStringLiteral("email_recipients"));
    QVERIFY(!recipientsError.isEmpty());
    QTest::keyClick(form->editor(QStringLiteral("smtp_host")), Qt::Key_S);
    QCOMPARE(form->errorText(QStringLiteral("smtp_host")), QString());
    QVERIFY(!page->fieldErrors().contains(QStringLiteral("smtp_host")));
    // The other messages stay: they are still true.
    QCOMPARE(form->errorText(QStringLiteral("email_recipients")), recipientsError);
    // A message the edit causes comes after the pause.
    typeInto(form, QStringLiteral("smtp_host"), QStringLiteral("bad host!"));
    QTRY_COMPARE(form->errorText(QStringLiteral("smtp_host")),
                 QStringLiteral("\"bad host!\" is not a host name or IP address."));
}

// Renders notification-settings.png for the docs: the main window on the page, realistic values
// saved by a colleague, one edit in progress with its validation message.
void TestGuiNotifications::screenshot()
{
    NotificationSettingsStore store(m_db->config());
    NotificationSettings s = store.load().value();
    s.emailEnabled = true;
    s.smtpHost = QStringLiteral("smtp.office365.com");
    s.smtpPort = 587;
    s.smtpSecurity = SmtpSecurity::StartTls;
    s.smtpUsername = QStringLiteral("hcm-alerts@northwind-hr.com");
    s.smtpPassword.replace(QStringLiteral("not-a-real-password"));
    s.emailFromAddress = QStringLiteral("hcm-alerts@northwind-hr.com");
    s.emailFromName = QStringLiteral("Northwind HCM");
    s.emailReplyTo = QStringLiteral("it-ops@northwind-hr.com");
    s.emailRecipients = {QStringLiteral("it-ops@northwind-hr.com"),
                         QStringLiteral("payroll-oncall@northwind-hr.com")};
    s.smsEnabled = true;
    s.twilioAccountSid = QStringLiteral("AC3f9e2b7c41d08a6e5b1c9d2f7a4e8b06");
    s.twilioAuthToken.replace(QStringLiteral("not-a-real-token"));
    s.smsFromNumber = QStringLiteral("+14155550148");
    s.smsRecipients = {QStringLiteral("+14155550123")};
    s.slackEnabled = true;
    s.slackWebhookUrl.replace(QStringLiteral("https://hooks.slack.com/services/T000/B000/notreal"));
    s.slackChannel = QStringLiteral("#hcm-alerts");
    s.notifyJobFailed = true;
    s.notifyWorkerLost = true;
    s.quietHoursEnabled = true;
    s.quietHoursStart = QTime(22, 0);
    s.quietHoursEnd = QTime(6, 30);
    s.quietHoursTimeZone = QStringLiteral("America/Chicago");
    s.digestFrequency = DigestFrequency::Immediate;
    QVERIFY(store.save(s, s.version, test::adminActor(QStringLiteral("maria.lopez"))));

    ui::MainWindow window(windowOptions(*m_db));
    window.resize(1400, 940);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    NotificationsPage *page = window.notificationsPage();
    QSignalSpy loaded(page, &NotificationsPage::loaded);
    window.showPage(ui::MainWindow::NotificationsPageIndex);
    QVERIFY(loaded.wait(10000));
    // An admin adding a second on-call number, not quite in E.164 yet.
    typeInto(page->form(), QStringLiteral("sms_recipients"), QStringLiteral("+14155550123, 415 555 0199"));
    QTRY_VERIFY(!page->form()->errorText(QStringLiteral("sms_recipients")).isEmpty());
    QVERIFY(page->form()->isTwoColumns());
    settleLayout();
    QVERIFY(window.grab().save(screenshotPath(QStringLiteral("notification-settings.png"))));
    page->revert(); // no question at close
}

QTEST_MAIN(TestGuiNotifications)
#include "tst_gui_notifications.moc"
