#include "redaction.h"

#include <QReadWriteLock>
#include <QStringList>

#include <algorithm>

namespace hcm::Redaction {

namespace {

QReadWriteLock g_lock;
QStringList g_secrets; // longest first, so that a secret containing another goes as a whole
QtMessageHandler g_previous = nullptr;

void redactingHandler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (g_previous)
        g_previous(type, context, apply(message));
}

} // namespace

void addSecret(const QString &secret)
{
    if (secret.size() < kMinSecretLength)
        return;
    QWriteLocker lock(&g_lock);
    if (g_secrets.contains(secret))
        return;
    g_secrets.append(secret);
    std::stable_sort(g_secrets.begin(), g_secrets.end(),
                     [](const QString &a, const QString &b) { return a.size() > b.size(); });
}

QString apply(const QString &text)
{
    QReadLocker lock(&g_lock);
    QString out = text;
    for (const QString &secret : std::as_const(g_secrets))
        out.replace(secret, QLatin1String("***"));
    return out;
}

void installMessageHandler()
{
    QtMessageHandler previous = qInstallMessageHandler(&redactingHandler);
    if (previous != &redactingHandler)
        g_previous = previous;
}

} // namespace hcm::Redaction
