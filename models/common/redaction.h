#pragma once

#include <QString>

namespace hcm {

// The one place every outgoing text passes to lose the secrets it may carry: messages printed by hcmctl,
// hcm-worker and hcm-admin, errors from the database driver and every log line. Parsing a --db address
// registers its password (as decoded and as written in the address); registered secrets are replaced by
// "***" wherever they appear. Secrets shorter than kMinSecretLength are not registered: replacing every
// "a" of a message would hide the message, not a secret.
namespace Redaction {

inline constexpr int kMinSecretLength = 3;

// Remembers `secret` for the life of the process. Thread-safe.
void addSecret(const QString &secret);
// `text` with every registered secret replaced by "***". Thread-safe.
QString apply(const QString &text);
// For programs without a LogSink (hcmctl): Qt's message handler is wrapped so that every qDebug/qWarning
// line is redacted before the previous handler prints it.
void installMessageHandler();

} // namespace Redaction
} // namespace hcm
