#include "dbconfig.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSet>
#include <QStandardPaths>
#include <QUrl>
#include <QUrlQuery>

#include <algorithm>

namespace hcm {

namespace {

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::DbConfig)
};

QString envOr(const char *name, const QString &fallback)
{
    const QString v = qEnvironmentVariable(name);
    return v.isEmpty() ? fallback : v;
}

// The libpq options a URL may carry. Qt's QPSQL driver appends the connect options to libpq's
// conninfo string after turning every ';' into a space, so an unchecked value such as
// "x;sslmode=disable" would become a second option. Each option here has a checked value, and values
// with spaces, quotes or backslashes are quoted the way libpq reads them.
struct AllowedOption {
    enum class Kind { Choice, Number, Path, Text };
    const char *name;
    Kind kind;
    const char *choices = nullptr; // Choice: "a|b|c"
    qint64 min = 0;                // Number
    qint64 max = 0;
};

using K = AllowedOption::Kind;
const AllowedOption kAllowedOptions[] = {
    {"application_name", K::Text},
    {"channel_binding", K::Choice, "disable|prefer|require"},
    {"connect_timeout", K::Number, nullptr, 0, 3600},
    {"gssencmode", K::Choice, "disable|prefer|require"},
    {"keepalives", K::Choice, "0|1"},
    {"keepalives_count", K::Number, nullptr, 0, 1000},
    {"keepalives_idle", K::Number, nullptr, 0, 86'400},
    {"keepalives_interval", K::Number, nullptr, 0, 86'400},
    {"passfile", K::Path},
    {"sslcert", K::Path},
    {"sslcrl", K::Path},
    {"sslkey", K::Path},
    {"sslmode", K::Choice, "disable|allow|prefer|require|verify-ca|verify-full"},
    {"sslrootcert", K::Path},
    {"sslsni", K::Choice, "0|1"},
    {"target_session_attrs", K::Choice, "any|read-write|read-only|primary|standby|prefer-standby"},
    {"tcp_user_timeout", K::Number, nullptr, 0, 86'400'000},
};

// PostgreSQL truncates application_name to NAMEDATALEN - 1 bytes.
constexpr int kMaxApplicationName = 63;
constexpr int kMaxPath = 4096;

bool hasControlCharacter(const QString &text)
{
    return std::any_of(text.begin(), text.end(),
                       [](QChar c) { return c.category() == QChar::Other_Control; });
}

// `key=value` for libpq, the value quoted when it holds a space, a quote or a backslash.
QString conninfoItem(const QString &key, const QString &value)
{
    static const QRegularExpression plain(QStringLiteral("^[^\\s'\\\\]+$"));
    if (plain.match(value).hasMatch())
        return key + QLatin1Char('=') + value;
    QString escaped = value;
    escaped.replace(QLatin1Char('\\'), QLatin1String("\\\\"))
        .replace(QLatin1Char('\''), QLatin1String("\\'"));
    return key + QLatin1String("='") + escaped + QLatin1Char('\'');
}

// Checks one query option; returns the conninfo item, or the reason it is refused.
Result<QString> checkedOption(const QString &key, const QString &value)
{
    const auto *rule = std::find_if(std::begin(kAllowedOptions), std::end(kAllowedOptions),
                                    [&](const AllowedOption &o) { return key == QLatin1String(o.name); });
    if (rule == std::end(kAllowedOptions)) {
        return Error{Error::Code::Invalid,
                     Tr::tr("The database address has an unknown option \"%1\". Allowed options: host, port, "
                            "user, password, dbname, %2.")
                         .arg(key, DbConfig::allowedOptions().join(QLatin1String(", ")))};
    }
    if (value.contains(QLatin1Char(';')) || hasControlCharacter(value)) {
        return Error{Error::Code::Invalid,
                     Tr::tr("The option %1 of the database address contains a semicolon or a control "
                            "character, which are not allowed.")
                         .arg(key)};
    }
    switch (rule->kind) {
    case K::Choice: {
        const QStringList choices = QString::fromLatin1(rule->choices).split(QLatin1Char('|'));
        if (!choices.contains(value)) {
            return Error{Error::Code::Invalid,
                         Tr::tr("The option %1 of the database address must be one of %2; \"%3\" was given.")
                             .arg(key, choices.join(QLatin1String(", ")), value)};
        }
        break;
    }
    case K::Number: {
        static const QRegularExpression digits(QStringLiteral("^[0-9]{1,12}$"));
        const qint64 n = digits.match(value).hasMatch() ? value.toLongLong() : -1;
        if (n < rule->min || n > rule->max) {
            return Error{Error::Code::Invalid,
                         Tr::tr("The option %1 of the database address must be a whole number from %2 to %3; "
                                "\"%4\" was given.")
                             .arg(key)
                             .arg(rule->min)
                             .arg(rule->max)
                             .arg(value)};
        }
        break;
    }
    case K::Path:
        if (value.isEmpty() || value.size() > kMaxPath) {
            return Error{Error::Code::Invalid,
                         Tr::tr("The option %1 of the database address needs a file path.").arg(key)};
        }
        break;
    case K::Text:
        if (value.isEmpty() || value.toUtf8().size() > kMaxApplicationName) {
            return Error{Error::Code::Invalid,
                         Tr::tr("The option %1 of the database address needs a text of 1 to %2 bytes.")
                             .arg(key)
                             .arg(kMaxApplicationName)};
        }
        break;
    }
    return conninfoItem(key, value);
}

Result<int> checkedPort(const QString &text)
{
    static const QRegularExpression digits(QStringLiteral("^[0-9]{1,5}$"));
    const int port = digits.match(text).hasMatch() ? text.toInt() : 0;
    if (port < 1 || port > 65535) {
        return Error{
            Error::Code::Invalid,
            Tr::tr("The port \"%1\" in the database address is not a number from 1 to 65535.").arg(text)};
    }
    return port;
}

// Where the user info of a URL's authority ends: the index of its '@', or -1 when it has none. The
// user info starts at `start` (after "://"). A password may hold '/', '?', '#' or '@' that were not
// percent-encoded, so this is the last '@' that does not lie in the query: a '?' or '#' before it
// followed by a "key=value" item means it does. (A password with a '?' and a later '=' cannot be told
// from a query: libpq needs it percent-encoded anyway.) Message texts rely on this to cut the password
// out.
qsizetype userInfoEnd(const QString &url, qsizetype start)
{
    for (qsizetype at = url.lastIndexOf(QLatin1Char('@')); at >= start && at > 0;
         at = url.lastIndexOf(QLatin1Char('@'), at - 1)) {
        const QStringView before = QStringView(url).mid(start, at - start);
        qsizetype query = -1;
        for (const QChar c : {QLatin1Char('?'), QLatin1Char('#')}) {
            const qsizetype i = before.indexOf(c);
            if (i >= 0)
                query = query < 0 ? i : std::min(query, i);
        }
        if (query < 0 || !before.mid(query).contains(QLatin1Char('=')))
            return at;
    }
    return -1;
}

// The host and port of a URL's authority ("db1:5433", "[::1]:5432"), found by hand: Qt's own error
// for a bad port quotes the whole URL, password included, and Qt takes the first '/', '?' or '#' of a
// password for the end of the authority.
QString hostAndPort(const QString &url)
{
    const qsizetype start = url.indexOf(QLatin1String("://")) + 3;
    const qsizetype at = userInfoEnd(url, start);
    const qsizetype hostStart = at >= 0 ? at + 1 : start;
    qsizetype hostEnd = url.size();
    for (const QChar c : {QLatin1Char('/'), QLatin1Char('?'), QLatin1Char('#')}) {
        const qsizetype i = url.indexOf(c, hostStart);
        if (i >= 0)
            hostEnd = std::min(hostEnd, i);
    }
    return url.mid(hostStart, hostEnd - hostStart);
}

// The port text of a URL's authority ("" when none).
QString portText(const QString &url)
{
    const QString hostPort = hostAndPort(url);
    qsizetype colon = -1;
    if (hostPort.startsWith(QLatin1Char('['))) {
        const qsizetype close = hostPort.indexOf(QLatin1Char(']'));
        if (close >= 0 && hostPort.mid(close + 1).startsWith(QLatin1Char(':')))
            colon = close + 1;
    } else {
        colon = hostPort.lastIndexOf(QLatin1Char(':'));
    }
    return colon >= 0 ? hostPort.mid(colon + 1) : QString();
}

// Whether the user info holds a character that ends it for Qt (and for libpq): '/', '?' or '#'.
bool userInfoNeedsEncoding(const QString &url)
{
    const qsizetype start = url.indexOf(QLatin1String("://")) + 3;
    const qsizetype at = userInfoEnd(url, start);
    if (at < 0)
        return false;
    const QStringView info = QStringView(url).mid(start, at - start);
    return info.contains(QLatin1Char('/')) || info.contains(QLatin1Char('?')) ||
           info.contains(QLatin1Char('#'));
}

// Qt's reason why a URL is invalid, without the part that quotes the URL (and its password).
QString urlProblem(const QUrl &url)
{
    const QString reason = url.errorString();
    if (reason.startsWith(QLatin1String("Invalid password"))) {
        return Tr::tr("the password has characters that must be percent-encoded, such as %20 for a space or "
                      "%25 for %");
    }
    return reason.section(QLatin1String("; source was"), 0, 0);
}

} // namespace

QStringList DbConfig::allowedOptions()
{
    QStringList names;
    for (const AllowedOption &o : kAllowedOptions)
        names.append(QString::fromLatin1(o.name));
    return names;
}

QString DbConfig::redacted(const QString &spec)
{
    const QString trimmed = spec.trimmed();
    const qsizetype schemeEnd = trimmed.indexOf(QLatin1String("://"));
    if (schemeEnd < 0)
        return trimmed; // a file path
    // The password starts at the first ':' of the user info (userInfoEnd). Cut by hand first: QUrl
    // splits "user:p@ss/word@host" at the first '/' and would show "ss/word" as a host, and it cannot
    // parse at all some of the addresses an error message has to quote.
    QString out = trimmed;
    const qsizetype start = schemeEnd + 3;
    const qsizetype at = userInfoEnd(out, start);
    if (at >= 0) {
        const qsizetype colon = out.indexOf(QLatin1Char(':'), start);
        if (colon >= 0 && colon < at)
            out.remove(colon, at - colon);
    }
    const auto isSecret = [](const QString &key) {
        return key.contains(QLatin1String("password"), Qt::CaseInsensitive);
    };
    QUrl url(out, QUrl::TolerantMode);
    if (url.isValid()) {
        QUrlQuery query(url);
        bool changed = false;
        for (const auto &[key, value] : query.queryItems()) {
            if (isSecret(key)) {
                query.removeAllQueryItems(key);
                changed = true;
            }
        }
        if (changed)
            url.setQuery(query);
        return url.toDisplayString(QUrl::RemovePassword);
    }
    static const QRegularExpression secretItem(QStringLiteral("([?&][^=&#]*password[^=&#]*)=[^&#]*"),
                                               QRegularExpression::CaseInsensitiveOption);
    out.replace(secretItem, QStringLiteral("\\1="));
    return out;
}

DbConfig DbConfig::postgresFromEnvironment(const QString &database)
{
    DbConfig config;
    config.backend = Backend::Postgres;
    config.host = envOr("PGHOST", QStringLiteral("localhost"));
    config.port = envOr("PGPORT", QStringLiteral("5432")).toInt();
    if (config.port <= 0)
        config.port = 5432;
    config.user = envOr("PGUSER", qEnvironmentVariable("USER"));
    config.password = qEnvironmentVariable("PGPASSWORD");
    config.databaseName = database.isEmpty() ? envOr("PGDATABASE", config.user) : database;
    return config;
}

Result<DbConfig> DbConfig::parse(const QString &spec)
{
    const QString trimmed = spec.trimmed();
    if (trimmed.isEmpty())
        return sqlite(defaultSqlitePath());
    if (trimmed.startsWith(QLatin1String("postgres://")) ||
        trimmed.startsWith(QLatin1String("postgresql://"))) {
        const QString shown = redacted(trimmed);
        const QString port = portText(trimmed);
        if (!port.isEmpty()) {
            if (auto checked = checkedPort(port); !checked)
                return checked.error();
        }
        if (userInfoNeedsEncoding(trimmed)) {
            return Error{
                Error::Code::Invalid,
                //: %2, %3, %4 are the percent-encodings of /, ? and # ("%2F")
                Tr::tr("\"%1\" is not a valid PostgreSQL address: the user name or password has "
                       "characters that must be percent-encoded (%2 for /, %3 for ?, %4 for #). "
                       "Or leave the password out of the address and set PGPASSWORD or ~/.pgpass.")
                    .arg(shown, QStringLiteral("%2F"), QStringLiteral("%3F"), QStringLiteral("%23"))};
        }
        const QUrl url(trimmed, QUrl::StrictMode);
        if (!url.isValid()) {
            return Error{Error::Code::Invalid, Tr::tr("\"%1\" is not a valid PostgreSQL address (%2). Use "
                                                      "postgresql://user:password@host:port/database.")
                                                   .arg(shown, urlProblem(url))};
        }
        // Whatever the URL leaves out comes from libpq's environment variables.
        DbConfig config = postgresFromEnvironment();
        if (!url.host().isEmpty())
            config.host = url.host();
        if (url.port() > 0)
            config.port = url.port();
        if (!url.userName().isEmpty())
            config.user = url.userName();
        if (!url.password().isEmpty())
            config.password = url.password();
        const QString path = url.path().mid(1);
        if (!path.isEmpty())
            config.databaseName = path;
        if (path.contains(QLatin1Char('/')))
            return Error{Error::Code::Invalid,
                         Tr::tr("The database name \"%1\" contains a slash.").arg(path)};
        const QUrlQuery query(url);
        QStringList options;
        QSet<QString> seen;
        for (const auto &[key, value] : query.queryItems(QUrl::FullyDecoded)) {
            if (seen.contains(key)) {
                return Error{Error::Code::Invalid,
                             Tr::tr("The option %1 is given twice in the database address.").arg(key)};
            }
            seen.insert(key);
            if (key == QLatin1String("host")) {
                config.host = value; // libpq's way to give a socket folder: ?host=/run/postgresql
            } else if (key == QLatin1String("port")) {
                auto checked = checkedPort(value);
                if (!checked)
                    return checked.error();
                config.port = checked.value();
            } else if (key == QLatin1String("user")) {
                config.user = value;
            } else if (key == QLatin1String("password")) {
                config.password = value;
            } else if (key == QLatin1String("dbname")) {
                config.databaseName = value;
            } else {
                auto item = checkedOption(key, value);
                if (!item)
                    return item.error();
                options << item.value();
            }
        }
        config.connectOptions = options.join(QLatin1Char(';'));
        if (config.databaseName.isEmpty()) {
            return Error{
                Error::Code::Invalid,
                Tr::tr("No PostgreSQL database named: put it in the address (postgresql://host/dbname) or "
                       "set PGDATABASE.")};
        }
        return config;
    }
    if (trimmed.contains(QLatin1String("://"))) {
        return Error{
            Error::Code::Invalid,
            Tr::tr("Unknown database address \"%1\": give a file path for SQLite or a postgresql:// URL.")
                .arg(redacted(trimmed))};
    }
    return sqlite(trimmed);
}

DbConfig DbConfig::sqlite(const QString &path)
{
    DbConfig config;
    config.backend = Backend::Sqlite;
    config.sqlitePath = QFileInfo(path).absoluteFilePath();
    return config;
}

QString DbConfig::defaultSqlitePath()
{
    QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    if (dir.isEmpty())
        dir = QDir::homePath() + QLatin1String("/.local/share/hcm-admin");
    return dir + QLatin1String("/hcm.sqlite");
}

QString DbConfig::key() const
{
    if (isSqlite())
        return QLatin1String("sqlite:") + sqlitePath;
    return QStringLiteral("pg:%1@%2:%3/%4").arg(user, host).arg(port).arg(databaseName);
}

QString DbConfig::displayName() const
{
    if (isSqlite())
        return Tr::tr("SQLite %1").arg(QDir::toNativeSeparators(sqlitePath));
    return Tr::tr("PostgreSQL %1@%2:%3/%4").arg(user, host).arg(port).arg(databaseName);
}

QString DbConfig::backendName() const
{
    return isSqlite() ? QStringLiteral("sqlite") : QStringLiteral("postgresql");
}

QString DbConfig::spec() const
{
    if (isSqlite())
        return sqlitePath;
    QUrl url;
    url.setScheme(QStringLiteral("postgresql"));
    if (host.startsWith(QLatin1Char('/'))) {
        QUrlQuery q;
        q.addQueryItem(QStringLiteral("host"), host);
        url.setQuery(q);
    } else {
        url.setHost(host);
    }
    url.setPort(port);
    url.setUserName(user);
    url.setPath(QLatin1Char('/') + databaseName);
    return url.toString();
}

} // namespace hcm
