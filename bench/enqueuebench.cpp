// enqueue: how fast JobService writes new jobs, one per transaction and in batches of 1000.

#include "benchcommon.h"

#include "jobs/jobservice.h"

#include <QElapsedTimer>

namespace hcm::bench {

namespace {

constexpr int kBatch = 1000;

// One timed run on a fresh database; returns jobs per second.
Result<double> timedRun(const BenchOptions &options, qint64 jobs, bool batched, int run)
{
    auto db = RunDatabase::create(
        options, QStringLiteral("enqueue-%1-%2").arg(batched ? "batched" : "single").arg(run));
    if (!db)
        return db.error();
    JobService service{JobStore((*db)->config())};
    const Actor actor = Actor::system(QStringLiteral("hcm-bench"));
    const NewJob job = noopJobs(1).first();
    const QList<NewJob> batch = noopJobs(kBatch);

    QElapsedTimer timer;
    timer.start();
    if (batched) {
        for (qint64 done = 0; done < jobs;) {
            const qint64 n = qMin<qint64>(kBatch, jobs - done);
            auto ids = service.enqueueMany(n == kBatch ? batch : noopJobs(n), actor);
            if (!ids)
                return ids.error();
            done += n;
        }
    } else {
        for (qint64 i = 0; i < jobs; ++i) {
            if (auto id = service.enqueue(job, actor); !id)
                return id.error();
        }
    }
    const double seconds = double(timer.nsecsElapsed()) / 1e9;

    auto queued =
        rowCount((*db)->config(), QStringLiteral("background_jobs"), QStringLiteral("status = 'queued'"));
    if (!queued)
        return queued.error();
    if (*queued != jobs) {
        return Error{Error::Code::Database,
                     QStringLiteral("enqueue: %1 queued jobs in the database after enqueuing %2.")
                         .arg(*queued)
                         .arg(jobs)};
    }
    return double(jobs) / seconds;
}

QJsonObject summary(const std::vector<double> &rates)
{
    return QJsonObject{{QStringLiteral("jobs_per_s"), rounded(median(rates), 0)},
                       {QStringLiteral("runs_jobs_per_s"), toJsonArray(rates, 0)}};
}

} // namespace

Result<QJsonObject> runEnqueue(const BenchOptions &options)
{
    const qint64 jobs = options.jobs > 0 ? options.jobs : kDefaultEnqueueJobs;
    std::vector<double> single;
    std::vector<double> batched;
    for (int run = 1; run <= options.repeat; ++run) {
        for (const bool isBatched : {false, true}) {
            auto rate = timedRun(options, jobs, isBatched, run);
            if (!rate)
                return rate.error();
            (isBatched ? batched : single).push_back(*rate);
            note(options,
                 QStringLiteral("enqueue %1, run %2/%3: %4 jobs/s")
                     .arg(isBatched ? QStringLiteral("batched") : QStringLiteral("one per transaction"))
                     .arg(run)
                     .arg(options.repeat)
                     .arg(*rate, 0, 'f', 0));
        }
    }
    QJsonObject batchedJson = summary(batched);
    batchedJson.insert(QStringLiteral("batch_size"), kBatch);
    return QJsonObject{{QStringLiteral("mode"), QStringLiteral("enqueue")},
                       {QStringLiteral("jobs"), jobs},
                       {QStringLiteral("repeat"), options.repeat},
                       {QStringLiteral("single"), summary(single)},
                       {QStringLiteral("batched"), batchedJson}};
}

} // namespace hcm::bench
