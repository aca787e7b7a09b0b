#include "joberror.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>

#include <array>

namespace hcm {

namespace {

// One message the programs store with a job. The template is English with %1, %2 … for the arguments
// in the order of `args`, and %n for the argument "count" (plural forms). Translations are looked up
// in the context "hcm::JobErrors" when the message is shown, never when it is stored.
struct Entry {
    const char *code;
    const char *source;
    std::array<const char *, 3> args;
};

// clang-format off
const Entry kCatalogue[] = {
    // The worker (WorkerPool)
    {"worker.cancelled_before_start", QT_TRANSLATE_NOOP("hcm::JobErrors", "Cancelled before it started."), {}},
    {"worker.stopped_before_start", QT_TRANSLATE_NOOP("hcm::JobErrors", "The worker stopped before the job started."), {}},
    {"worker.no_handler", QT_TRANSLATE_NOOP("hcm::JobErrors", "This worker has no handler for job type \"%1\"."), {"type"}},
    {"worker.handler_exception", QT_TRANSLATE_NOOP("hcm::JobErrors", "The handler failed unexpectedly: %1"), {"reason"}},
    {"worker.handler_crashed", QT_TRANSLATE_NOOP("hcm::JobErrors", "The handler failed unexpectedly."), {}},
    {"worker.cancelled_while_running", QT_TRANSLATE_NOOP("hcm::JobErrors", "Cancelled while running: %1"), {"reason"}},
    {"worker.timed_out", QT_TRANSLATE_NOOP("hcm::JobErrors", "Timed out after %1 s, the limit for %2 jobs: %3"), {"seconds", "type", "reason"}},
    {"worker.lease_lost", QT_TRANSLATE_NOOP("hcm::JobErrors", "Stopped: this worker lost the job's lease: %1"), {"reason"}},
    {"worker.shutdown", QT_TRANSLATE_NOOP("hcm::JobErrors", "Interrupted by a worker shutdown: %1"), {"reason"}},
    {"worker.stopped_while_running", QT_TRANSLATE_NOOP("hcm::JobErrors", "The worker stopped while the job was running."), {}},
    // The job store (reaper, restarts, cancel)
    {"store.lease_expired", QT_TRANSLATE_NOOP("hcm::JobErrors", "The worker running this job stopped responding (its lease expired)."), {}},
    {"store.worker_restarted", QT_TRANSLATE_NOOP("hcm::JobErrors", "The worker running this job was restarted before it finished."), {}},
    {"store.claim_lease_expired", QT_TRANSLATE_NOOP("hcm::JobErrors", "The worker that had claimed this job stopped responding before the job started; it goes back to the queue without spending a retry."), {}},
    {"store.claim_worker_restarted", QT_TRANSLATE_NOOP("hcm::JobErrors", "The worker that had claimed this job was restarted before the job started; it goes back to the queue without spending a retry."), {}},
    {"store.cancelled_before_run", QT_TRANSLATE_NOOP("hcm::JobErrors", "Cancelled by %1 before it ran."), {"actor"}},
    // cache_flush
    {"cache_flush.unknown_action", QT_TRANSLATE_NOOP("hcm::JobErrors", "Unknown cache flush action \"%1\" (expected full or expired)."), {"action"}},
    {"cache_flush.negative_max_age", QT_TRANSLATE_NOOP("hcm::JobErrors", "max_age_seconds must not be negative."), {}},
    {"cache_flush.root_folder", QT_TRANSLATE_NOOP("hcm::JobErrors", "Refusing to flush %1: the cache folder is the root of a file system."), {"folder"}},
    {"cache_flush.stopped_of", QT_TRANSLATE_NOOP("hcm::JobErrors", "Stopped after removing %1 of %2 cache files."), {"removed", "total"}},
    {"cache_flush.stopped", QT_TRANSLATE_NOOP("hcm::JobErrors", "Stopped after removing %1 cache files."), {"removed"}},
    {"cache_flush.delete_file", QT_TRANSLATE_NOOP("hcm::JobErrors", "Cannot delete the cache file %1: %2."), {"file", "reason"}},
    {"cache_flush.delete_folder", QT_TRANSLATE_NOOP("hcm::JobErrors", "Cannot delete the cache folder %1: check its permissions."), {"folder"}},
    // cleanup
    {"cleanup.unknown_type", QT_TRANSLATE_NOOP("hcm::JobErrors", "Unknown cleanup type \"%1\" (expected all, jobs, attempts, cache or audit)."), {"type"}},
    {"cleanup.bad_older_than_days", QT_TRANSLATE_NOOP("hcm::JobErrors", "older_than_days must be a whole number of days, 0 or more."), {}},
    {"cleanup.stopped", QT_TRANSLATE_NOOP("hcm::JobErrors", "Stopped after deleting %1 rows."), {"rows"}},
    // db_optimize
    {"db_optimize.unknown_mode", QT_TRANSLATE_NOOP("hcm::JobErrors", "Unknown optimize mode \"%1\" (expected vacuum, incremental or analyze)."), {"mode"}},
    {"db_optimize.bad_reindex", QT_TRANSLATE_NOOP("hcm::JobErrors", "reindex must be true or false."), {}},
    {"db_optimize.bad_bloat_threshold", QT_TRANSLATE_NOOP("hcm::JobErrors", "bloat_threshold must be a number from 0 to 1 (0.3 means 30 %)."), {}},
    {"db_optimize.bad_lock_timeout", QT_TRANSLATE_NOOP("hcm::JobErrors", "lock_timeout_ms must be a whole number of milliseconds from 1 to 3600000."), {}},
    {"db_optimize.bad_min_index_bytes", QT_TRANSLATE_NOOP("hcm::JobErrors", "min_index_bytes must be a whole number of bytes, 0 or more."), {}},
    {"db_optimize.stopped_tables", QT_TRANSLATE_NOOP("hcm::JobErrors", "Stopped after %1 of %2 tables."), {"done", "total"}},
    {"db_optimize.stopped_steps", QT_TRANSLATE_NOOP("hcm::JobErrors", "Stopped after %1 of %2 optimization steps."), {"done", "total"}},
    {"db_optimize.all_locked", QT_TRANSLATE_NOOP("hcm::JobErrors", "No table could be optimized: every table the role %1 may vacuum was locked by another session for longer than %2 ms."), {"role", "lock_timeout_ms"}},
    {"db_optimize.owns_none", QT_TRANSLATE_NOOP("hcm::JobErrors", "No table could be optimized: the role %1 owns none of the %2 tables (they belong to %3). Run db_optimize on a worker connected as the owner role, as docs/postgresql.md describes."), {"role", "tables", "owners"}},
    // log_rotate
    {"log_rotate.negative_settings", QT_TRANSLATE_NOOP("hcm::JobErrors", "keep and min_size_bytes must not be negative."), {}},
    {"log_rotate.open_folder", QT_TRANSLATE_NOOP("hcm::JobErrors", "Cannot open the log folder %1: %2."), {"folder", "reason"}},
    {"log_rotate.lock_folder", QT_TRANSLATE_NOOP("hcm::JobErrors", "Cannot lock the log folder %1: %2."), {"folder", "reason"}},
    {"log_rotate.other_rotation", QT_TRANSLATE_NOOP("hcm::JobErrors", "Stopped while another rotation of %1 was running."), {"folder"}},
    {"log_rotate.stopped", QT_TRANSLATE_NOOP("hcm::JobErrors", "Stopped after rotating %1 of %2 log files."), {"done", "total"}},
    {"log_rotate.open_file", QT_TRANSLATE_NOOP("hcm::JobErrors", "Cannot open the log file %1: %2."), {"file", "reason"}},
    {"log_rotate.read_file", QT_TRANSLATE_NOOP("hcm::JobErrors", "Cannot read the log file %1: %2."), {"file", "reason"}},
    {"log_rotate.truncate_file", QT_TRANSLATE_NOOP("hcm::JobErrors", "Cannot truncate the log file %1 after archiving it: %2."), {"file", "reason"}},
    {"log_rotate.delete_archive", QT_TRANSLATE_NOOP("hcm::JobErrors", "Cannot delete the old log archive %1: %2."), {"file", "reason"}},
    // email_send
    {"email_send.not_configured", QT_TRANSLATE_NOOP("hcm::JobErrors", "Email delivery is not configured: set up SMTP in the notification settings first."), {}},
    // notify
    {"notify.deliveries_failed", QT_TRANSLATE_N_NOOP("hcm::JobErrors", "%n delivery(s) failed: %1"), {"failures"}},
    {"notify.stopped", QT_TRANSLATE_NOOP("hcm::JobErrors", "Stopped before every channel was tried."), {}},
    // the diagnostic types
    {"test.sleep_stopped", QT_TRANSLATE_NOOP("hcm::JobErrors", "Stopped after %1 ms of %2 ms."), {"elapsed_ms", "ms"}},
};
// clang-format on

const Entry *find(const QString &code)
{
    for (const Entry &e : kCatalogue) {
        if (code == QLatin1String(e.code))
            return &e;
    }
    return nullptr;
}

QString argumentText(const QJsonValue &v, bool translated)
{
    if (v.isString())
        return v.toString();
    if (v.isDouble()) {
        const double d = v.toDouble();
        return d == double(qint64(d)) ? QString::number(qint64(d)) : QString::number(d);
    }
    if (v.isBool())
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    if (v.isObject()) {
        const QJsonObject o = v.toObject();
        const JobError nested{o.value(QLatin1String("code")).toString(),
                              o.value(QLatin1String("args")).toObject(),
                              o.value(QLatin1String("text")).toString()};
        return translated ? nested.display() : nested.text;
    }
    return {};
}

// Puts the arguments into `pattern` in one pass (%1 … %9; %n when `count` is given), so that an
// argument that itself contains "%1" is left as it is.
QString fill(const QString &pattern, const QStringList &values, const QString &count)
{
    QString out;
    out.reserve(pattern.size() + 32);
    for (qsizetype i = 0; i < pattern.size(); ++i) {
        const QChar c = pattern.at(i);
        if (c == QLatin1Char('%') && i + 1 < pattern.size()) {
            const QChar next = pattern.at(i + 1);
            if (next.isDigit() && next != QLatin1Char('0')) {
                const int index = next.digitValue() - 1;
                if (index < values.size()) {
                    out += values.at(index);
                    ++i;
                    continue;
                }
            } else if (next == QLatin1Char('n') && !count.isNull()) {
                out += count;
                ++i;
                continue;
            }
        }
        out += c;
    }
    return out;
}

QString render(const Entry &e, const QJsonObject &args, bool translated)
{
    QStringList values;
    for (const char *name : e.args) {
        if (name)
            values.append(argumentText(args.value(QLatin1String(name)), translated));
    }
    const QJsonValue countValue = args.value(QLatin1String("count"));
    const bool counted = QByteArray(e.source).contains("%n");
    const int n = counted ? countValue.toInt() : -1;
    if (!translated)
        return fill(QString::fromUtf8(e.source), values, counted ? QString::number(n) : QString());
    // translate() puts n in place of %n itself.
    return fill(QCoreApplication::translate("hcm::JobErrors", e.source, nullptr, n), values, QString());
}

} // namespace

JobError JobError::make(const char *code, const QJsonObject &args)
{
    const QString c = QString::fromLatin1(code);
    const Entry *e = find(c);
    Q_ASSERT_X(e, "JobError::make", code);
    if (!e)
        return verbatim(c);
    return JobError{c, args, render(*e, args, false)};
}

JobError JobError::verbatim(const QString &text)
{
    return JobError{{}, {}, text};
}

JobError JobError::fromColumns(const QString &text, const QVariant &code, const QVariant &argsJson)
{
    JobError e{code.isNull() ? QString() : code.toString(), {}, text};
    if (!e.code.isEmpty() && !argsJson.isNull())
        e.args = QJsonDocument::fromJson(argsJson.toString().toUtf8()).object();
    return e;
}

QVariant JobError::codeValue() const
{
    return code.isEmpty() ? QVariant(QMetaType::fromType<QString>()) : QVariant(code);
}

QVariant JobError::argsValue() const
{
    if (code.isEmpty() || args.isEmpty())
        return QVariant(QMetaType::fromType<QString>());
    return QString::fromUtf8(QJsonDocument(args).toJson(QJsonDocument::Compact));
}

QJsonValue JobError::toArgument() const
{
    if (code.isEmpty())
        return text;
    return QJsonObject{
        {QStringLiteral("code"), code}, {QStringLiteral("args"), args}, {QStringLiteral("text"), text}};
}

QString JobError::display() const
{
    if (code.isEmpty())
        return text;
    const Entry *e = find(code);
    // Unknown here (a newer program wrote it), or the text was changed after the code was written.
    if (!e || render(*e, args, false) != text)
        return text;
    return render(*e, args, true);
}

namespace JobErrors {

bool isKnown(const QString &code)
{
    return find(code) != nullptr;
}

QStringList codes()
{
    QStringList out;
    for (const Entry &e : kCatalogue)
        out.append(QString::fromLatin1(e.code));
    return out;
}

} // namespace JobErrors

} // namespace hcm
