// The jobs page as the README shows it: 1000×650 and 1600×1000, English and German, a high-contrast
// palette; with QT_SCALE_FACTOR=1.5 in the environment also the 150 % picture. Writes jobs-*.png
// where screenshotPath() says (docs/screenshots only through the `screenshots` build target) and checks that
// what they show fits (the table gets the room, the details are complete).

#include "testutil.h"

#include "db/database.h"
#include "jobs/jobservice.h"
#include "jobs/jobtablemodel.h"
#include "jobs/jobtypes.h"
#include "ui/jobdetailsview.h"
#include "ui/jobspage.h"
#include "ui/mainwindow.h"
#include "ui/retrytimeline.h"
#include "ui/throughputchart.h"

#include <QApplication>
#include <QDir>
#include <QHeaderView>
#include <QLabel>
#include <QLibraryInfo>
#include <QTableView>
#include <QTableWidget>
#include <QTranslator>
#include <QtTest>

#include <memory>

using namespace hcm;
using namespace hcm::test;

namespace {

const Actor kActor{QStringLiteral("tester"), Role::Operator};

} // namespace

class TestGuiScreenshots : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        initGuiSuite(QStringLiteral("tst_gui_screenshots"));
        JobTypeCatalog::enableTestTypes();
        QVERIFY(m_tdb.isValid());
        const auto failing = fillScreenshotQueue(m_tdb.config(), kActor);
        QVERIFY2(failing, qPrintable(failing ? QString() : failing.error().message));
        m_failing = failing.value();
    }
    void cleanup()
    {
        for (auto &t : m_translators)
            QCoreApplication::removeTranslator(t.get());
        m_translators.clear();
        QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
        QApplication::setPalette(QApplication::style()->standardPalette());
        QSettings().clear();
        Database::closeThreadConnections();
    }

    void jobsPage_data()
    {
        QTest::addColumn<QString>("language");
        QTest::addColumn<QSize>("size");
        QTest::addColumn<bool>("highContrast");
        const bool scaled = qEnvironmentVariable("QT_SCALE_FACTOR") == QLatin1String("1.5");
        if (scaled) {
            QTest::newRow("150-percent") << QStringLiteral("en") << QSize(1000, 650) << false;
            return;
        }
        for (const QString &language : {QStringLiteral("en"), QStringLiteral("de")})
            for (const QSize &size : {QSize(1000, 650), QSize(1600, 1000)})
                QTest::newRow(
                    qPrintable(QStringLiteral("%1-%2x%3").arg(language).arg(size.width()).arg(size.height())))
                    << language << size << false;
        QTest::newRow("high-contrast") << QStringLiteral("en") << QSize(1000, 650) << true;
    }

    void jobsPage()
    {
        QFETCH(QString, language);
        QFETCH(QSize, size);
        QFETCH(bool, highContrast);
        if (language == QLatin1String("de")) {
            QLocale::setDefault(QLocale(QLocale::German, QLocale::Germany));
            auto ours = std::make_unique<QTranslator>();
            QVERIFY(ours->load(QStringLiteral(":/i18n/hcm_de.qm")));
            QCoreApplication::installTranslator(ours.get());
            m_translators.push_back(std::move(ours));
            auto qt = std::make_unique<QTranslator>();
            if (qt->load(QStringLiteral("qtbase_de"), QLibraryInfo::path(QLibraryInfo::TranslationsPath))) {
                QCoreApplication::installTranslator(qt.get());
                m_translators.push_back(std::move(qt));
            }
        }
        if (highContrast) {
            QPalette p;
            p.setColor(QPalette::Window, Qt::black);
            p.setColor(QPalette::WindowText, Qt::white);
            p.setColor(QPalette::Base, Qt::black);
            p.setColor(QPalette::AlternateBase, QColor(0x20, 0x20, 0x20));
            p.setColor(QPalette::Text, Qt::white);
            p.setColor(QPalette::Button, Qt::black);
            p.setColor(QPalette::ButtonText, Qt::white);
            p.setColor(QPalette::Highlight, QColor(0xff, 0xff, 0x00));
            p.setColor(QPalette::HighlightedText, Qt::black);
            p.setColor(QPalette::PlaceholderText, QColor(0xc0, 0xc0, 0xc0));
            p.setColor(QPalette::ToolTipBase, Qt::black);
            p.setColor(QPalette::ToolTipText, Qt::white);
            p.setColor(QPalette::Link, QColor(0x80, 0xc0, 0xff));
            QApplication::setPalette(p);
        }

        ui::MainWindow::Options o;
        o.db = m_tdb.config();
        o.actor = kActor;
        o.runWorker = false;
        o.refreshIntervalMs = 1000;
        ui::MainWindow window(o);
        window.resize(size);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        JobTableModel *model = window.jobsPage()->model();
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 22, 5000);
        QTableView *table = window.jobsPage()->table();
        table->selectionModel()->setCurrentIndex(model->index(model->rowOfJob(m_failing), 0),
                                                 QItemSelectionModel::ClearAndSelect |
                                                     QItemSelectionModel::Rows);
        auto *details = window.findChild<ui::JobDetailsView *>();
        auto *chart = window.findChild<ui::ThroughputChart *>();
        QTRY_COMPARE_WITH_TIMEOUT(details->jobId(), m_failing, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(details->isVisible(), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(chart->totalCompleted() > 0, 5000);
        // What the picture must show: the table wider than the details, ID to Status readable.
        QVERIFY2(
            table->width() > details->width() || details->y() > table->y(),
            qPrintable(QStringLiteral("table %1, details %2").arg(table->width()).arg(details->width())));
        // The status bar's rate and the details' own requests are in; every pending layout is done.
        auto *rateLabel = window.findChild<QLabel *>(QStringLiteral("rateLabel"));
        QTRY_VERIFY_WITH_TIMEOUT(rateLabel->text().startsWith(QLatin1String("18")), 5000);
        settleLayout();
        // The retry timeline's words are whole in every language and size ("#1 fehlgeschlag…" was cut).
        auto *timeline = window.findChild<ui::RetryTimeline *>();
        QVERIFY(timeline && timeline->isVisible());
        QVERIFY2(timeline->width() >= timeline->minimumSizeHint().width(),
                 qPrintable(QStringLiteral("timeline %1 px, needs %2")
                                .arg(timeline->width())
                                .arg(timeline->minimumSizeHint().width())));
        QVERIFY2(timeline->textsFit(), qPrintable(QStringLiteral("timeline %1 px").arg(timeline->width())));
        // The attempts' outcome is in view without scrolling sideways, wherever the pane is.
        auto *attempts = window.findChild<QTableWidget *>(QStringLiteral("attemptsTable"));
        QVERIFY(attempts && attempts->isVisible());
        const QHeaderView *header = attempts->horizontalHeader();
        const int outcome = 5; // the logical column of the outcome
        QVERIFY2(header->sectionViewportPosition(outcome) + header->sectionSize(outcome) <=
                     attempts->viewport()->width(),
                 qPrintable(QStringLiteral("outcome at %1 + %2 px, view %3 px")
                                .arg(header->sectionViewportPosition(outcome))
                                .arg(header->sectionSize(outcome))
                                .arg(attempts->viewport()->width())));
        const QString name =
            highContrast ? QStringLiteral("jobs-high-contrast.png")
            : qEnvironmentVariable("QT_SCALE_FACTOR") == QLatin1String("1.5")
                ? QStringLiteral("jobs-150-percent.png")
                : QStringLiteral("jobs-%1x%2-%3.png").arg(size.width()).arg(size.height()).arg(language);
        const QImage image = window.grab().toImage();
        QVERIFY(!image.isNull());
        QVERIFY(image.save(screenshotPath(name)));
    }

private:
    TempDatabase m_tdb;
    qint64 m_failing = 0;
    std::vector<std::unique_ptr<QTranslator>> m_translators;
};

QTEST_MAIN(TestGuiScreenshots)
#include "tst_gui_screenshots.moc"
