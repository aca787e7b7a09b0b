#pragma once

#include <QByteArray>
#include <QJsonValue>
#include <QStringView>

namespace hcm::api {

// Compact JSON text appended straight to a QByteArray, byte for byte what QJsonDocument::toJson(Compact)
// writes for the same value, without building a QJsonObject first: the answer to a create is written
// thousands of times a second and keeps the seed's field order, which QJsonObject (sorted keys) cannot.
namespace json {

// A string with its quotes. Printable ASCII is copied as it is; anything else goes through
// QJsonDocument, so escapes and UTF-8 are Qt's.
void appendString(QByteArray &out, QStringView text);
// Any value (an object or array as QJsonDocument writes it).
void appendValue(QByteArray &out, const QJsonValue &value);
// A time as ISO 8601 UTC to the second ("2026-01-07T10:15:32Z"), as QDateTime::toString(Qt::ISODate)
// writes it for a UTC time.
QString isoUtcSeconds(qint64 msSinceEpoch);

} // namespace json
} // namespace hcm::api
