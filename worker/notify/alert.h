#pragma once

#include <QCoreApplication>
#include <QJsonObject>
#include <QString>

namespace hcm {

// What a notify job is about: an event of another job, with the texts each channel sends.
struct Alert {
    Q_DECLARE_TR_FUNCTIONS(hcm::Alert)

public:
    QString event; // job_failed, job_succeeded, job_retried, worker_lost
    qint64 jobId = 0;
    QString jobType;
    QString error;
    int retryCount = 0;
    int maxRetries = 0;
    qint64 runAt = 0; // for job_retried: when the next attempt is due

    static const QStringList &events();
    static Alert fromPayload(const QJsonObject &payload);
    QJsonObject toPayload() const;

    // "job_12 (db_optimize) failed after 3 retries": what happened, without the [HCM] tag.
    QString summary() const;
    QString subject() const;   // email subject
    QString text() const;      // email body and Slack message
    QString shortText() const; // SMS, at most 160 characters
};

} // namespace hcm
