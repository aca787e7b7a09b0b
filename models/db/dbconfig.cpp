#include "dbconfig.h"

#include "common/redaction.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSet>
#include <QStandardPaths>
#include <QStringDecoder>
#include <QUrl>
#include <QUrlQuery>

#include <algorithm>
#include <optional>

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

// A URL cut into its parts, as written (still percent-encoded). As RFC 3986 has it, the user info ends
// at the last '@' of the authority, and the authority at the first '/' (the path). So a password may
// hold ':', '@', '?', '#', '=' and ';' as they are, and "app:Xy7?k=9@db1/hcm" is the user app with the
// password "Xy7?k=9" on db1. A '/' in a password cannot be told from the start of the path: an '@' after
// the first '/' and before any query means it was one (slashInUserInfo; parse() asks for %2F then).
// parse() and redacted() both cut here, so a message never shows a piece of a password as a host, a
// port, a database or an option. (With no path, an '@' in a query value reads as the end of a user
// info: such a value needs %40 or a /dbname before the '?'.)
struct UrlParts {
    QString scheme;
    bool hasUserInfo = false;
    QString user;
    bool hasPassword = false;
    QString password;
    QString hostPort;
    QString path; // "/hcm", or empty
    bool hasQuery = false;
    QString query;
    bool hasFragment = false;
    bool slashInUserInfo = false;
};

qsizetype firstOf(const QString &text, QStringView chars, qsizetype from = 0)
{
    for (qsizetype i = from; i < text.size(); ++i) {
        if (chars.contains(text.at(i)))
            return i;
    }
    return -1;
}

UrlParts splitUrl(const QString &url)
{
    UrlParts parts;
    const qsizetype schemeEnd = url.indexOf(QLatin1String("://"));
    parts.scheme = url.left(schemeEnd);
    const QString s = url.mid(schemeEnd + 3);
    const qsizetype firstSlash = s.indexOf(QLatin1Char('/'));
    qsizetype at = -1;
    if (firstSlash >= 0) {
        const qsizetype pathEnd = firstOf(s, u"?#", firstSlash);
        const qsizetype late = QStringView(s).left(pathEnd < 0 ? s.size() : pathEnd).lastIndexOf(u'@');
        if (late > firstSlash) {
            at = late;
            parts.slashInUserInfo = true;
        }
    }
    if (at < 0)
        at = QStringView(s).left(firstSlash < 0 ? s.size() : firstSlash).lastIndexOf(u'@');
    if (at < 0 && firstSlash >= 0) {
        // "user:pa/ss?x@host": what would be the port is no number and an '@' follows. A port is digits,
        // so this is a password with a '/' (and a '?' or '#' after it), never to be shown as a host.
        static const QRegularExpression notAPort(QStringLiteral("^[^:]*:.*[^0-9].*$"));
        const qsizetype authorityEnd = firstOf(s, u"/?#");
        if (!s.startsWith(QLatin1Char('[')) && notAPort.match(s.left(authorityEnd)).hasMatch() &&
            s.indexOf(QLatin1Char('@'), authorityEnd) >= 0) {
            at = s.lastIndexOf(QLatin1Char('@'));
            parts.slashInUserInfo = true;
        }
    }
    QString rest = s;
    if (at >= 0) {
        parts.hasUserInfo = true;
        const QString info = s.left(at);
        const qsizetype colon = info.indexOf(QLatin1Char(':'));
        parts.user = colon < 0 ? info : info.left(colon);
        parts.hasPassword = colon >= 0;
        if (colon >= 0)
            parts.password = info.mid(colon + 1);
        rest = s.mid(at + 1);
    }
    const qsizetype hostEnd = firstOf(rest, u"/?#");
    parts.hostPort = hostEnd < 0 ? rest : rest.left(hostEnd);
    rest = hostEnd < 0 ? QString() : rest.mid(hostEnd);
    if (const qsizetype hash = rest.indexOf(QLatin1Char('#')); hash >= 0) {
        parts.hasFragment = true;
        rest.truncate(hash);
    }
    if (const qsizetype q = rest.indexOf(QLatin1Char('?')); q >= 0) {
        parts.hasQuery = true;
        parts.query = rest.mid(q + 1);
        rest.truncate(q);
    }
    parts.path = rest;
    return parts;
}

bool hasSpaceOrControl(const QString &text)
{
    return std::any_of(text.begin(), text.end(),
                       [](QChar c) { return c.isSpace() || c.category() == QChar::Other_Control; });
}

// %XX escapes decoded as UTF-8; nothing when a '%' is not followed by two hex digits or the bytes are
// not UTF-8.
std::optional<QString> percentDecoded(const QString &text)
{
    static const QRegularExpression badEscape(QStringLiteral("%(?![0-9A-Fa-f]{2})"));
    if (badEscape.match(text).hasMatch())
        return std::nullopt;
    const QByteArray bytes = QByteArray::fromPercentEncoding(text.toUtf8());
    QStringDecoder decoder(QStringDecoder::Utf8);
    QString out = decoder(bytes);
    if (decoder.hasError())
        return std::nullopt;
    return out;
}

// The password in all the forms a text may show it: as decoded and as written in the address.
void registerSecret(const QString &decoded, const QString &written)
{
    Redaction::addSecret(decoded);
    Redaction::addSecret(written);
}

Error invalidAddress(const QString &shown, const QString &problem)
{
    return Error{Error::Code::Invalid, Tr::tr("\"%1\" is not a valid PostgreSQL address (%2). Use "
                                              "postgresql://user:password@host:port/database.")
                                           .arg(shown, problem)};
}

Result<DbConfig> parsePostgres(const QString &spec)
{
    const UrlParts parts = splitUrl(spec);
    const QString shown = DbConfig::redacted(spec);
    // The passwords are known before anything can fail, so that every later text loses them.
    if (parts.hasPassword)
        registerSecret(percentDecoded(parts.password).value_or(parts.password), parts.password);
    const QStringList items = parts.query.split(QLatin1Char('&'), Qt::SkipEmptyParts);
    for (const QString &item : items) {
        const QString key = item.section(QLatin1Char('='), 0, 0);
        const QString value = item.section(QLatin1Char('='), 1);
        if (percentDecoded(key).value_or(key).contains(QLatin1String("password"), Qt::CaseInsensitive))
            registerSecret(percentDecoded(value).value_or(value), value);
    }

    QString host = parts.hostPort;
    QString port;
    if (host.startsWith(QLatin1Char('['))) {
        static const QRegularExpression ipv6(QStringLiteral("^[0-9A-Fa-f:.]+$"));
        const qsizetype close = host.indexOf(QLatin1Char(']'));
        const QString after = close < 0 ? QString() : host.mid(close + 1);
        if (close < 0 || !ipv6.match(host.mid(1, close - 1)).hasMatch() ||
            (!after.isEmpty() && !after.startsWith(QLatin1Char(':')))) {
            return invalidAddress(shown, Tr::tr("the host is not an IPv6 address in brackets"));
        }
        port = after.mid(1);
        host = host.mid(1, close - 1);
    } else if (const qsizetype colon = host.indexOf(QLatin1Char(':')); colon >= 0) {
        port = host.mid(colon + 1);
        host = host.left(colon);
    }
    DbConfig config = DbConfig::postgresFromEnvironment();
    if (!port.isEmpty()) {
        auto checked = checkedPort(port);
        if (!checked)
            return checked.error();
        config.port = checked.value();
    }
    if (parts.slashInUserInfo) {
        return Error{
            Error::Code::Invalid,
            //: %2 and %3 are the percent-encodings of / and @ ("%2F")
            Tr::tr("\"%1\" is not a valid PostgreSQL address: it has an '@' after the first '/'. Write a "
                   "'/' in the user name or password as %2, an '@' in the database name as %3; or leave the "
                   "password out of the address and set PGPASSWORD or ~/.pgpass.")
                .arg(shown, QStringLiteral("%2F"), QStringLiteral("%40"))};
    }
    if (parts.hasUserInfo) {
        const auto user = percentDecoded(parts.user);
        const auto password = percentDecoded(parts.password);
        if (hasSpaceOrControl(parts.user) || hasSpaceOrControl(parts.password) || !user || !password) {
            return Error{
                Error::Code::Invalid,
                //: %2 and %3 are percent-encodings (of a space and of %)
                Tr::tr("\"%1\" is not a valid PostgreSQL address: the user name or password has characters "
                       "that must be percent-encoded, such as %2 for a space or %3 for %. Or leave the "
                       "password out of the address and set PGPASSWORD or ~/.pgpass.")
                    .arg(shown, QStringLiteral("%20"), QStringLiteral("%25"))};
        }
        if (!user->isEmpty())
            config.user = *user;
        if (!password->isEmpty())
            config.password = *password;
    }
    static const QRegularExpression hostName(QStringLiteral("^[^\\s\"<>\\\\^`{|}\\[\\]@/?#]*$"));
    const auto decodedHost = percentDecoded(host);
    if (!decodedHost || !hostName.match(host).hasMatch() || hasSpaceOrControl(*decodedHost))
        return invalidAddress(shown, Tr::tr("the host name has characters a host name cannot have"));
    if (!decodedHost->isEmpty())
        config.host = *decodedHost;
    if (parts.hasFragment) {
        return invalidAddress(shown, Tr::tr("a PostgreSQL address has no part after '#': write a '#' as %1")
                                         .arg(QStringLiteral("%23")));
    }
    const auto path = percentDecoded(parts.path.mid(1));
    if (!path)
        return invalidAddress(shown, Tr::tr("the database name has a '%' that is not an escape such as %1")
                                         .arg(QStringLiteral("%25")));
    if (!path->isEmpty())
        config.databaseName = *path;
    if (path->contains(QLatin1Char('/')))
        return Error{Error::Code::Invalid, Tr::tr("The database name \"%1\" contains a slash.").arg(*path)};

    QStringList options;
    QSet<QString> seen;
    for (const QString &item : items) {
        const qsizetype eq = item.indexOf(QLatin1Char('='));
        const auto key = percentDecoded(eq < 0 ? item : item.left(eq));
        const auto value = percentDecoded(eq < 0 ? QString() : item.mid(eq + 1));
        if (!key || !value) {
            return invalidAddress(
                shown,
                Tr::tr("an option has a '%' that is not an escape such as %1").arg(QStringLiteral("%25")));
        }
        if (seen.contains(*key)) {
            return Error{Error::Code::Invalid,
                         Tr::tr("The option %1 is given twice in the database address.").arg(*key)};
        }
        seen.insert(*key);
        if (*key == QLatin1String("host")) {
            config.host = *value; // libpq's way to give a socket folder: ?host=/run/postgresql
        } else if (*key == QLatin1String("port")) {
            auto checked = checkedPort(*value);
            if (!checked)
                return checked.error();
            config.port = checked.value();
        } else if (*key == QLatin1String("user")) {
            config.user = *value;
        } else if (*key == QLatin1String("password")) {
            config.password = *value;
        } else if (*key == QLatin1String("dbname")) {
            config.databaseName = *value;
        } else {
            auto checked = checkedOption(*key, *value);
            if (!checked)
                return checked.error();
            options << checked.value();
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

// "~" and "~/…" are the home folder (a shell leaves a quoted "~/x.db" as it is). "~name/…" is refused:
// it is another user's home folder for a shell, and a file name for a program.
Result<QString> expandedPath(const QString &path)
{
    if (path == QLatin1String("~"))
        return QDir::homePath();
    if (path.startsWith(QLatin1String("~/")))
        return QString(QDir::homePath() + path.mid(1));
    if (path.startsWith(QLatin1Char('~'))) {
        return Error{
            Error::Code::Invalid,
            Tr::tr("The database path \"%1\" starts with \"~\" followed by a name, which this program "
                   "does not expand: write the full path (or ./%1 for a file whose name starts with "
                   "\"~\").")
                .arg(path)};
    }
    return path;
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
    if (!trimmed.contains(QLatin1String("://")))
        return trimmed; // a file path
    const UrlParts parts = splitUrl(trimmed);
    QString out = parts.scheme + QLatin1String("://");
    if (parts.hasUserInfo)
        out += parts.user + QLatin1Char('@');
    out += parts.hostPort + parts.path;
    if (parts.hasQuery) {
        QStringList kept;
        const QStringList items = parts.query.split(QLatin1Char('&'));
        for (const QString &item : items) {
            const QString key = QString::fromUtf8(
                QByteArray::fromPercentEncoding(item.section(QLatin1Char('='), 0, 0).toUtf8()));
            if (!key.contains(QLatin1String("password"), Qt::CaseInsensitive))
                kept.append(item);
        }
        if (!kept.isEmpty())
            out += QLatin1Char('?') + kept.join(QLatin1Char('&'));
    }
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
    Redaction::addSecret(config.password);
    config.databaseName = database.isEmpty() ? envOr("PGDATABASE", config.user) : database;
    return config;
}

Result<DbConfig> DbConfig::parse(const QString &spec)
{
    const QString trimmed = spec.trimmed();
    if (trimmed.isEmpty())
        return sqlite(defaultSqlitePath());
    if (trimmed.startsWith(QLatin1String("postgres://")) ||
        trimmed.startsWith(QLatin1String("postgresql://")))
        return parsePostgres(trimmed);
    if (trimmed.contains(QLatin1String("://"))) {
        return Error{
            Error::Code::Invalid,
            Tr::tr("Unknown database address \"%1\": give a file path for SQLite or a postgresql:// URL.")
                .arg(redacted(trimmed))};
    }
    auto path = expandedPath(trimmed);
    if (!path)
        return path.error();
    return sqlite(path.value());
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
