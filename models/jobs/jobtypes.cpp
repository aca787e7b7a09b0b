#include "jobtypes.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QRegularExpression>

#include <atomic>
#include <limits>

namespace hcm {

namespace {

std::atomic_bool g_testTypes{false};

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::JobTypeCatalog)
};

// Rejects keys the type does not know, so a typo ("acton") is not silently ignored.
QString checkKeys(const QJsonObject &payload, const QStringList &allowed)
{
    for (auto it = payload.begin(); it != payload.end(); ++it) {
        if (!allowed.contains(it.key())) {
            return Tr::tr("unknown payload field \"%1\" (allowed: %2)")
                .arg(it.key(), allowed.join(QLatin1String(", ")));
        }
    }
    return {};
}

QString checkEnum(const QJsonObject &payload, const QString &key, const QStringList &values, bool required)
{
    if (!payload.contains(key))
        return required ? Tr::tr("payload field \"%1\" is required (one of: %2)")
                              .arg(key, values.join(QLatin1String(", ")))
                        : QString();
    const QJsonValue v = payload.value(key);
    if (!v.isString() || !values.contains(v.toString()))
        return Tr::tr("payload field \"%1\" must be one of: %2").arg(key, values.join(QLatin1String(", ")));
    return {};
}

QString checkInt(const QJsonObject &payload, const QString &key, qint64 min, qint64 max)
{
    if (!payload.contains(key))
        return {};
    const QJsonValue v = payload.value(key);
    const double d = v.toDouble(-1e300);
    if (!v.isDouble() || d != static_cast<double>(static_cast<qint64>(d)) || d < min || d > max)
        return Tr::tr("payload field \"%1\" must be a whole number from %2 to %3").arg(key).arg(min).arg(max);
    return {};
}

QString checkBool(const QJsonObject &payload, const QString &key)
{
    if (payload.contains(key) && !payload.value(key).isBool())
        return Tr::tr("payload field \"%1\" must be true or false").arg(key);
    return {};
}

QString checkNumber(const QJsonObject &payload, const QString &key, double min, double max)
{
    if (!payload.contains(key))
        return {};
    const QJsonValue v = payload.value(key);
    if (!v.isDouble() || v.toDouble() < min || v.toDouble() > max)
        return Tr::tr("payload field \"%1\" must be a number from %2 to %3").arg(key).arg(min).arg(max);
    return {};
}

template<typename... Checks> QString firstError(Checks &&...checks)
{
    QString out;
    ((out.isEmpty() ? (out = checks) : out), ...);
    return out;
}

bool isEmailAddress(const QString &s)
{
    static const QRegularExpression re(QStringLiteral("^[^@\\s<>\"]+@[^@\\s<>\"]+\\.[^@\\s<>\"]+$"));
    return re.match(s).hasMatch();
}

} // namespace

QString JobTypeInfo::description() const
{
    return QCoreApplication::translate("hcm::JobTypeCatalog", descriptionText);
}

JobTypeCatalog::JobTypeCatalog()
{
    m_types.append(JobTypeInfo{
        QStringLiteral("cache_flush"),
        QT_TRANSLATE_NOOP(
            "hcm::JobTypeCatalog",
            "Clears the application cache: the cache folder and the cache table. \"full\" removes "
            "everything, \"expired\" only entries past their expiry."),
        QJsonObject{{QStringLiteral("action"), QStringLiteral("full")}},
        300,
        false,
        [](const QJsonObject &p) {
            return firstError(checkKeys(p, {QStringLiteral("action"), QStringLiteral("max_age_seconds")}),
                              checkEnum(p, QStringLiteral("action"),
                                        {QStringLiteral("full"), QStringLiteral("expired")}, false),
                              checkInt(p, QStringLiteral("max_age_seconds"), 0, 10LL * 365 * 86400));
        },
    });
    m_types.append(JobTypeInfo{
        QStringLiteral("db_optimize"),
        QT_TRANSLATE_NOOP("hcm::JobTypeCatalog",
                          "Optimizes the database: refreshes planner statistics and reclaims free pages "
                          "(\"vacuum\" rebuilds the file, \"incremental\" only releases free pages, "
                          "\"analyze\" only updates statistics)."),
        QJsonObject{{QStringLiteral("mode"), QStringLiteral("vacuum")}},
        3600,
        false,
        [](const QJsonObject &p) {
            // reindex, bloat_threshold, min_index_bytes and lock_timeout_ms apply to PostgreSQL
            // (DbOptimizeHandler).
            return firstError(
                checkKeys(p, {QStringLiteral("mode"), QStringLiteral("reindex"),
                              QStringLiteral("bloat_threshold"), QStringLiteral("min_index_bytes"),
                              QStringLiteral("lock_timeout_ms")}),
                checkEnum(
                    p, QStringLiteral("mode"),
                    {QStringLiteral("vacuum"), QStringLiteral("incremental"), QStringLiteral("analyze")},
                    false),
                checkBool(p, QStringLiteral("reindex")),
                checkNumber(p, QStringLiteral("bloat_threshold"), 0, 1),
                checkInt(p, QStringLiteral("lock_timeout_ms"), 1, 3'600'000));
        },
    });
    m_types.append(JobTypeInfo{
        QStringLiteral("log_rotate"),
        QT_TRANSLATE_NOOP("hcm::JobTypeCatalog",
                          "Rotates the application's log files: compresses each current log with gzip, keeps "
                          "the newest archives and deletes older ones."),
        QJsonObject{{QStringLiteral("keep"), 5}},
        600,
        false,
        [](const QJsonObject &p) {
            return firstError(checkKeys(p, {QStringLiteral("keep"), QStringLiteral("min_size_bytes")}),
                              checkInt(p, QStringLiteral("keep"), 0, 1000),
                              checkInt(p, QStringLiteral("min_size_bytes"), 0, 1LL << 40));
        },
    });
    m_types.append(JobTypeInfo{
        QStringLiteral("email_send"),
        QT_TRANSLATE_NOOP("hcm::JobTypeCatalog", "Sends one email through the configured SMTP server."),
        QJsonObject{{QStringLiteral("to"), QStringLiteral("admin@example.com")},
                    {QStringLiteral("subject"), QStringLiteral("Hello")},
                    {QStringLiteral("body"), QStringLiteral("Message text")}},
        120,
        false,
        [](const QJsonObject &p) {
            if (QString e =
                    checkKeys(p, {QStringLiteral("to"), QStringLiteral("subject"), QStringLiteral("body")});
                !e.isEmpty())
                return e;
            const QJsonValue to = p.value(QStringLiteral("to"));
            QStringList recipients;
            if (to.isString())
                recipients << to.toString();
            else if (to.isArray())
                for (const QJsonValue &v : to.toArray())
                    recipients << v.toString();
            if (recipients.isEmpty())
                return Tr::tr("payload field \"to\" is required: an email address or a list of them");
            for (const QString &r : std::as_const(recipients))
                if (!isEmailAddress(r))
                    return Tr::tr("\"%1\" is not an email address").arg(r);
            if (!p.value(QStringLiteral("subject")).isString())
                return Tr::tr("payload field \"subject\" is required and must be text");
            if (p.contains(QStringLiteral("body")) && !p.value(QStringLiteral("body")).isString())
                return Tr::tr("payload field \"body\" must be text");
            return QString();
        },
    });
    m_types.append(JobTypeInfo{
        QStringLiteral("cleanup"),
        QT_TRANSLATE_NOOP(
            "hcm::JobTypeCatalog",
            "Deletes old data: finished jobs and their attempts older than the retention period, "
            "and expired cache entries."),
        QJsonObject{{QStringLiteral("type"), QStringLiteral("all")}},
        1800,
        false,
        [](const QJsonObject &p) {
            return firstError(checkKeys(p, {QStringLiteral("type"), QStringLiteral("older_than_days")}),
                              checkEnum(p, QStringLiteral("type"),
                                        {QStringLiteral("all"), QStringLiteral("jobs"),
                                         QStringLiteral("attempts"), QStringLiteral("cache")},
                                        false),
                              checkInt(p, QStringLiteral("older_than_days"), 0, 36500));
        },
    });

    m_types.append(JobTypeInfo{
        QStringLiteral("notify"),
        QT_TRANSLATE_NOOP(
            "hcm::JobTypeCatalog",
            "Delivers an alert about another job (failed, succeeded, retried, worker lost), or a digest "
            "of such alerts, to every enabled notification channel. Created by the workers; retried with "
            "backoff."),
        QJsonObject{{QStringLiteral("event"), QStringLiteral("job_failed")},
                    {QStringLiteral("job_id"), 1},
                    {QStringLiteral("job_type"), QStringLiteral("db_optimize")}},
        300,
        false,
        [](const QJsonObject &p) {
            // A digest (DigestStore::digestJob): its alerts wait in notification_digest_items.
            if (p.contains(QStringLiteral("digest_due_at")))
                return firstError(
                    checkKeys(p, {QStringLiteral("digest_due_at"), QStringLiteral("frequency")}),
                    checkInt(p, QStringLiteral("digest_due_at"), 1, std::numeric_limits<qint64>::max() / 2),
                    checkEnum(
                        p, QStringLiteral("frequency"),
                        {QStringLiteral("hourly"), QStringLiteral("daily"), QStringLiteral("immediate")},
                        true));
            return firstError(
                checkKeys(p, {QStringLiteral("event"), QStringLiteral("job_id"), QStringLiteral("job_type"),
                              QStringLiteral("error"), QStringLiteral("retry_count"),
                              QStringLiteral("max_retries"), QStringLiteral("run_at")}),
                checkEnum(p, QStringLiteral("event"),
                          {QStringLiteral("job_failed"), QStringLiteral("job_succeeded"),
                           QStringLiteral("job_retried"), QStringLiteral("worker_lost")},
                          true),
                p.contains(QStringLiteral("job_id"))
                    ? QString()
                    : Tr::tr("payload field \"job_id\" is required: the job the alert is about"),
                checkInt(p, QStringLiteral("job_id"), 1, std::numeric_limits<qint64>::max() / 2),
                p.value(QStringLiteral("job_type")).isString()
                    ? QString()
                    : Tr::tr("payload field \"job_type\" is required and must be text"),
                (!p.contains(QStringLiteral("error")) || p.value(QStringLiteral("error")).isString())
                    ? QString()
                    : Tr::tr("payload field \"error\" must be text"),
                checkInt(p, QStringLiteral("retry_count"), 0, 1000),
                checkInt(p, QStringLiteral("max_retries"), 0, 1000),
                checkInt(p, QStringLiteral("run_at"), 0, std::numeric_limits<qint64>::max() / 2));
        },
    });

    // Diagnostic types: real handlers with trivial work, for tests, benchmarks and smoke checks.
    m_types.append(JobTypeInfo{QStringLiteral("test.noop"),
                               QT_TRANSLATE_NOOP("hcm::JobTypeCatalog", "Does nothing and succeeds."),
                               {},
                               60,
                               true,
                               [](const QJsonObject &p) { return checkKeys(p, {QStringLiteral("tag")}); }});
    m_types.append(JobTypeInfo{
        QStringLiteral("test.sleep"),
        QT_TRANSLATE_NOOP("hcm::JobTypeCatalog", "Waits for the given milliseconds, then succeeds."),
        QJsonObject{{QStringLiteral("ms"), 1000}}, 3600, true, [](const QJsonObject &p) {
            return firstError(
                checkKeys(p, {QStringLiteral("ms"), QStringLiteral("tag"), QStringLiteral("ignore_cancel")}),
                checkInt(p, QStringLiteral("ms"), 0, 3'600'000));
        }});
    m_types.append(JobTypeInfo{QStringLiteral("test.fail"),
                               QT_TRANSLATE_NOOP("hcm::JobTypeCatalog", "Fails with the given message."),
                               QJsonObject{{QStringLiteral("message"), QStringLiteral("planned failure")}},
                               60, true, [](const QJsonObject &p) {
                                   return checkKeys(p, {QStringLiteral("message"),
                                                        QStringLiteral("permanent"), QStringLiteral("tag")});
                               }});
    m_types.append(JobTypeInfo{
        QStringLiteral("test.record"),
        QT_TRANSLATE_NOOP(
            "hcm::JobTypeCatalog",
            "Records the execution in the table test_executions, then waits the given milliseconds."),
        QJsonObject{{QStringLiteral("ms"), 0}}, 600, true, [](const QJsonObject &p) {
            return firstError(checkKeys(p, {QStringLiteral("ms"), QStringLiteral("tag")}),
                              checkInt(p, QStringLiteral("ms"), 0, 600'000));
        }});
}

const JobTypeCatalog &JobTypeCatalog::instance()
{
    static const JobTypeCatalog catalog;
    return catalog;
}

const JobTypeInfo *JobTypeCatalog::find(const QString &name) const
{
    for (const JobTypeInfo &t : m_types) {
        if (t.name == name)
            return (t.internal && !testTypesEnabled()) ? nullptr : &t;
    }
    return nullptr;
}

QList<JobTypeInfo> JobTypeCatalog::types(bool includeInternal) const
{
    QList<JobTypeInfo> out;
    for (const JobTypeInfo &t : m_types) {
        if (!t.internal || (includeInternal && testTypesEnabled()))
            out.append(t);
    }
    return out;
}

QStringList JobTypeCatalog::names(bool includeInternal) const
{
    QStringList out;
    for (const JobTypeInfo &t : types(includeInternal))
        out.append(t.name);
    return out;
}

void JobTypeCatalog::enableTestTypes()
{
    g_testTypes = true;
}

bool JobTypeCatalog::testTypesEnabled()
{
    static const bool fromEnv = qEnvironmentVariableIntValue("HCM_ENABLE_TEST_JOB_TYPES") == 1;
    return fromEnv || g_testTypes.load();
}

} // namespace hcm
