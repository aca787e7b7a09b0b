#pragma once

#include <QList>
#include <QObject>

namespace hcm {

// The in-process event bus of the job queue. Services emit on it from any thread; receivers in other
// threads get queued calls. The worker pool listens to wake up at once on an enqueue and to trip a
// running job's cancellation token; the job table listens to refresh without waiting for its timer.
// (The PostgreSQL backend feeds it from LISTEN/NOTIFY too.)
class JobNotifier final : public QObject {
    Q_OBJECT
public:
    static JobNotifier *instance();

signals:
    void jobsEnqueued(int count);
    void cancelRequested(const QList<qint64> &ids);
    // Any change of state: created, claimed, finished, cancelled, retried, deleted.
    void jobsChanged(const QList<qint64> &ids);
    // A job type was paused or resumed (PauseService): worker pools read the paused types again and
    // claim what a resume released.
    void pausedTypesChanged();

private:
    JobNotifier() = default;
};

} // namespace hcm
