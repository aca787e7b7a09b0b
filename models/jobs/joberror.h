#pragma once

#include <QJsonObject>
#include <QString>
#include <QVariant>

namespace hcm {

// A message stored with a job or an attempt. When the programs made it, it carries a stable code from
// the catalogue (joberror.cpp, "log_rotate.open_folder") and named arguments, so each reader shows it
// in its own language; `text` is always the English rendering: what the error columns hold and what
// the HTTP API, hcmctl and the logs show. A text the programs only pass on (a provider's answer, a
// database's error, an old row) has no code and is shown as it is.
struct JobError {
    QString code;     // empty: shown verbatim
    QJsonObject args; // named arguments: strings, numbers, or a nested error {"code", "args", "text"}
    QString text;     // English

    // A coded message: its English text is rendered from the catalogue. An unknown code is a
    // programming error (asserted); in release builds it is kept as a plain text.
    static JobError make(const char *code, const QJsonObject &args = {});
    // A text without code (a provider's message): shown as it is.
    static JobError verbatim(const QString &text);
    // From the columns error / error_code / error_args (NULL or empty code: no code).
    static JobError fromColumns(const QString &text, const QVariant &code, const QVariant &argsJson);

    bool hasCode() const { return !code.isEmpty(); }
    bool isEmpty() const { return text.isEmpty(); }

    // For binding: NULL without a code.
    QVariant codeValue() const;
    QVariant argsValue() const; // compact JSON

    // As an argument of another message.
    QJsonValue toArgument() const;

    // The text in the current language: the code's template through the installed translators with the
    // arguments put in; `text` as it is when there is no code, when the code is unknown to this
    // program, or when the stored text is no longer the code's English (the row was changed by hand).
    QString display() const;
};

namespace JobErrors {
// Whether the catalogue knows `code`.
bool isKnown(const QString &code);
// Every code of the catalogue (for tests).
QStringList codes();
} // namespace JobErrors

} // namespace hcm
