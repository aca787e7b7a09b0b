// hcm-admin's command line as a real process: --help and --version answer without a display (no
// DISPLAY, no WAYLAND_DISPLAY, no QT_QPA_PLATFORM), and in German the help comes with Qt's own strings
// translated (qtbase_de), the catalogue that also translates the standard buttons.

#include "testutil.h"

#include <QProcess>
#include <QtTest>

using namespace hcm::test;

class TestAdminCli : public QObject {
    Q_OBJECT

private slots:
    void answersWithoutDisplay_data();
    void answersWithoutDisplay();

private:
    struct Run {
        int exitCode = -1;
        QString out;
        QString err;
    };
    static Run run(const QStringList &args, const QString &lang);
};

TestAdminCli::Run TestAdminCli::run(const QStringList &args, const QString &lang)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char *name :
         {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "LANGUAGE", "LC_ALL", "LC_MESSAGES"})
        env.remove(QString::fromLatin1(name));
    env.insert(QStringLiteral("LANG"), lang);
    p.setProcessEnvironment(env);
    p.start(programPath(QStringLiteral("hcm-admin")), args);
    if (!p.waitForStarted(10000) || !p.waitForFinished(30000)) {
        p.kill();
        p.waitForFinished();
        return {};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
            QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
}

void TestAdminCli::answersWithoutDisplay_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("lang");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("--version") << QStringList{QStringLiteral("--version")} << QStringLiteral("C.UTF-8")
                               << QStringList{QStringLiteral("hcm-admin ")};
    QTest::newRow("-v") << QStringList{QStringLiteral("-v")} << QStringLiteral("C.UTF-8")
                        << QStringList{QStringLiteral("hcm-admin ")};
    QTest::newRow("--help") << QStringList{QStringLiteral("--help")} << QStringLiteral("en_US.UTF-8")
                            << QStringList{QStringLiteral("Desktop console for HCM background jobs."),
                                           QStringLiteral("--db <path>"), QStringLiteral("--no-worker"),
                                           QStringLiteral("Displays help on commandline options.")};
    // The options of the real start come after other options too.
    QTest::newRow("--no-worker --help")
        << QStringList{QStringLiteral("--no-worker"), QStringLiteral("--help")}
        << QStringLiteral("en_US.UTF-8") << QStringList{QStringLiteral("--refresh-interval <ms>")};
    QTest::newRow("--help German") << QStringList{QStringLiteral("--help")} << QStringLiteral("de_DE.UTF-8")
                                   << QStringList{
                                          QStringLiteral("Optionen:"),
                                          QStringLiteral("Zeigt Hilfe zu den Kommandozeilenoptionen an.")};
}

void TestAdminCli::answersWithoutDisplay()
{
    QFETCH(QStringList, args);
    QFETCH(QString, lang);
    QFETCH(QStringList, expected);
    const Run r = run(args, lang);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    for (const QString &text : expected)
        QVERIFY2(r.out.contains(text), qPrintable(QStringLiteral("%1 not in:\n%2").arg(text, r.out)));
    QVERIFY2(!r.err.contains(QLatin1String("platform plugin")), qPrintable(r.err));
}

QTEST_GUILESS_MAIN(TestAdminCli)
#include "tst_admincli.moc"
