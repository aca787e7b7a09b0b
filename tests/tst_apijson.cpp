// The API's JSON writer (api/apijson.*) writes what QJsonDocument writes, byte for byte: strings with
// every kind of character, objects, and times across the whole range it formats itself.

#include "api/apijson.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace hcm::api;

namespace {

QByteArray byQt(const QJsonValue &value)
{
    const QByteArray text = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return text.mid(1, text.size() - 2);
}

} // namespace

class TestApiJson : public QObject {
    Q_OBJECT

private slots:
    void stringsAsQtWritesThem_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("empty") << QString();
        QTest::newRow("plain") << QStringLiteral("cache_flush");
        QTest::newRow("quote and backslash") << QStringLiteral("a \"b\" \\ c");
        QTest::newRow("controls") << QStringLiteral("tab\tnew\nline\r\b\f") + QChar(0x01) + QChar(0x1f);
        QTest::newRow("delete") << QStringLiteral("x") + QChar(0x7f);
        QTest::newRow("slash") << QStringLiteral("/api/system/background-jobs/job_1");
        QTest::newRow("latin-1") << QStringLiteral("Grüße, café");
        QTest::newRow("cjk") << QStringLiteral("ジョブ");
        QTest::newRow("emoji") << QString::fromUtf8("\xF0\x9F\x98\x80 done");
        QTest::newRow("line separator") << QStringLiteral("a") + QChar(0x2028) + QStringLiteral("b");
    }
    void stringsAsQtWritesThem()
    {
        QFETCH(QString, text);
        QByteArray out;
        json::appendString(out, text);
        QCOMPARE(out, byQt(text));
        // Appends, after what is there.
        QByteArray after("x:");
        json::appendString(after, text);
        QCOMPARE(after, "x:" + byQt(text));
    }

    void valuesAsQtWritesThem()
    {
        const QList<QJsonValue> values{
            QJsonObject{},
            QJsonObject{{QStringLiteral("action"), QStringLiteral("full")},
                        {QStringLiteral("n"), 3},
                        {QStringLiteral("f"), 0.5},
                        {QStringLiteral("big"), 1e20},
                        {QStringLiteral("nested"), QJsonArray{1, QStringLiteral("ä\"\n"), QJsonValue::Null}}},
            QJsonArray{},
            QStringLiteral("text \"quoted\""),
            QJsonValue(42),
            QJsonValue(1000000),
            QJsonValue(-0.0),
            QJsonValue(true),
            QJsonValue::Null,
        };
        for (const QJsonValue &v : values) {
            QByteArray out;
            json::appendValue(out, v);
            QCOMPARE(out, byQt(v));
        }
    }

    void timesAsQDateTimeWritesThem()
    {
        const auto iso = [](qint64 ms) {
            return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODate);
        };
        QList<qint64> times{0,
                            999,
                            1000,
                            86'399'999,
                            951'782'400'000,     // 2000-02-29
                            951'868'799'999,     // 2000-02-29T23:59:59.999
                            1'709'164'800'000,   // 2024-02-29
                            4'107'542'400'000,   // 2100-03-01
                            1'767'225'599'000,   // 2025-12-31T23:59:59
                            253'402'300'799'999, // 9999-12-31T23:59:59.999
                            253'402'300'800'000, // 10000-01-01: through QDateTime
                            -1,
                            -86'400'000 * qint64(365)};
        // Every day of four years (a leap year among them) at a time of day that moves.
        for (qint64 day = 0; day < 4 * 366; ++day)
            times.append(1'704'067'200'000 + day * 86'400'000 + (day * 7919 % 86'400) * 1000 + day % 1000);
        for (const qint64 ms : std::as_const(times))
            QCOMPARE(json::isoUtcSeconds(ms), iso(ms));
    }
};

QTEST_GUILESS_MAIN(TestApiJson)
#include "tst_apijson.moc"
