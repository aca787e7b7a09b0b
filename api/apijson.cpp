#include "api/apijson.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace hcm::api::json {

namespace {

// What QJsonDocument writes for one value: the one element of an array, without the brackets.
QByteArray viaDocument(const QJsonValue &value)
{
    const QByteArray text = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return text.mid(1, text.size() - 2);
}

bool plainAscii(QStringView text)
{
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        if (u < 0x20 || u > 0x7e || u == u'"' || u == u'\\')
            return false;
    }
    return true;
}

} // namespace

void appendString(QByteArray &out, QStringView text)
{
    if (!plainAscii(text)) {
        out += viaDocument(QJsonValue(text.toString()));
        return;
    }
    out.reserve(out.size() + text.size() + 2);
    out += '"';
    for (const QChar c : text)
        out += char(c.unicode());
    out += '"';
}

void appendValue(QByteArray &out, const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::String:
        appendString(out, value.toString());
        return;
    case QJsonValue::Object:
        out += QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
        return;
    case QJsonValue::Array:
        out += QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact);
        return;
    default:
        break;
    }
    out += viaDocument(value);
}

QString isoUtcSeconds(qint64 msSinceEpoch)
{
    // Days since 1970-01-01 to a civil date (H. Hinnant's days_from_civil, inverted), for the years
    // 1970 to 9999; other times through QDateTime.
    constexpr qint64 kMsPerDay = 86'400'000;
    constexpr qint64 kYear10000 = 253'402'300'800'000; // 10000-01-01T00:00:00Z
    if (msSinceEpoch < 0 || msSinceEpoch >= kYear10000)
        return QDateTime::fromMSecsSinceEpoch(msSinceEpoch, Qt::UTC).toString(Qt::ISODate);
    const qint64 days = msSinceEpoch / kMsPerDay;
    const qint64 secondsOfDay = (msSinceEpoch % kMsPerDay) / 1000;
    const qint64 z = days + 719468;
    const qint64 era = z / 146097;
    const qint64 doe = z - era * 146097;
    const qint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const qint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const qint64 mp = (5 * doy + 2) / 153;
    const qint64 day = doy - (153 * mp + 2) / 5 + 1;
    const qint64 month = mp < 10 ? mp + 3 : mp - 9;
    const qint64 year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    char text[21];
    const auto two = [](char *p, qint64 v) {
        p[0] = char('0' + v / 10);
        p[1] = char('0' + v % 10);
    };
    two(text, year / 100);
    two(text + 2, year % 100);
    text[4] = '-';
    two(text + 5, month);
    text[7] = '-';
    two(text + 8, day);
    text[10] = 'T';
    two(text + 11, secondsOfDay / 3600);
    text[13] = ':';
    two(text + 14, secondsOfDay / 60 % 60);
    text[16] = ':';
    two(text + 17, secondsOfDay % 60);
    text[19] = 'Z';
    return QString::fromLatin1(text, 20);
}

} // namespace hcm::api::json
