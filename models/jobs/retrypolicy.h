#pragma once

#include <QList>
#include <QtGlobal>

namespace hcm {

// Exponential backoff: retry n (1-based) runs 2^n base units after the failure, so with the default
// base of one minute retries come 2, 4 and 8 minutes apart. Shared by the store (which schedules the
// retry in SQL) and the UI (which predicts the next attempts).
struct RetryPolicy {
    qint64 baseMs = 60'000;

    qint64 delayMs(int retryNumber) const
    {
        const int n = qBound(1, retryNumber, 30);
        return baseMs * (qint64(1) << n);
    }

    // Run times of the retries still to come for a job that failed at `failedAtMs` and has used
    // `retryCount` of `maxRetries` retries, assuming each attempt fails at once.
    QList<qint64> predictedRetries(qint64 failedAtMs, int retryCount, int maxRetries) const
    {
        QList<qint64> out;
        qint64 t = failedAtMs;
        for (int n = retryCount + 1; n <= maxRetries; ++n) {
            t += delayMs(n);
            out.append(t);
        }
        return out;
    }
};

} // namespace hcm
