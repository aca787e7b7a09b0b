#pragma once

#include "worker/notify/alert.h"

#include <QCoreApplication>
#include <QList>
#include <QString>
#include <QTimeZone>

namespace hcm {

// The texts of one digest: the alerts collected since the last one, as one message per channel.
// Counts per event come first, then the alerts oldest first with their errors, at most kListed of them
// ("… and 12 more").
struct AlertDigest {
    Q_DECLARE_TR_FUNCTIONS(hcm::AlertDigest)

public:
    static constexpr int kListed = 20;

    QList<Alert> alerts;    // oldest first
    QList<qint64> raisedAt; // when each alert was raised (UTC ms), parallel to `alerts`
    QString frequency;      // hourly, daily, immediate (waiting alerts sent when digests were switched off)
    QTimeZone zone = QTimeZone::utc();
    qint64 dueAt = 0;
    qint64 reportedAt = 0;
    QString reportedBy; // host name

    // How many alerts of `event` the digest holds.
    int count(const QString &event) const;
    QString subject() const;   // email subject
    QString text() const;      // email body and Slack message
    QString shortText() const; // SMS, at most 160 characters
};

} // namespace hcm
