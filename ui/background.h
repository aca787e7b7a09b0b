#pragma once

#include <QFutureWatcher>
#include <QObject>
#include <QtConcurrent/QtConcurrentRun>

#include <utility>

namespace hcm::ui {

// Runs `work` on the global QThreadPool and calls `done(result)` on `context`'s thread when it is
// finished. When `context` is destroyed first, `done` is never called (the work still runs to its end,
// in its own thread, with its own database connection). T must be default-constructible and copyable.
template<typename Work, typename Done> void runInBackground(QObject *context, Work work, Done done)
{
    using T = decltype(work());
    auto *watcher = new QFutureWatcher<T>(context);
    QObject::connect(watcher, &QFutureWatcherBase::finished, context,
                     [watcher, done = std::move(done)]() mutable {
                         const T result = watcher->result();
                         watcher->deleteLater();
                         done(result);
                     });
    watcher->setFuture(QtConcurrent::run(std::move(work)));
}

} // namespace hcm::ui
