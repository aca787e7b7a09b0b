#include "testutil.h"

#include "db/database.h"

#include <QCryptographicHash>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QtTest>

namespace hcm::test {

TempDatabase::TempDatabase()
    : m_config(DbConfig::sqlite(m_dir.path() + QStringLiteral("/test.sqlite")))
{
    const Status st = Database::openAndMigrate(m_config);
    m_valid = st.ok();
    if (!m_valid)
        qWarning("cannot create the test database: %s", qPrintable(st.error().message));
}

TempDatabase::~TempDatabase()
{
    Database::closeThreadConnections();
}

QString programPath(const QString &name)
{
    const QString dir = qEnvironmentVariable("HCM_BIN_DIR", QStringLiteral(HCM_BINARY_DIR "/app"));
    return dir + QLatin1Char('/') + name;
}

qint64 rowCount(const DbConfig &config, const QString &table, const QString &where)
{
    auto db = Database::connection(config);
    if (!db)
        return -1;
    QSqlQuery q(db.value());
    if (!q.exec(QStringLiteral("SELECT COUNT(*) FROM ") + table + (where.isEmpty() ? QString() : QStringLiteral(" WHERE ") + where))
        || !q.next())
        return -1;
    return q.value(0).toLongLong();
}

QString snapshot(const DbConfig &config)
{
    auto db = Database::connection(config);
    if (!db)
        return {};
    QCryptographicHash hash(QCryptographicHash::Sha256);
    for (const QString &table : {QStringLiteral("background_jobs"), QStringLiteral("job_attempts")}) {
        QSqlQuery q(db.value());
        q.exec(QStringLiteral("SELECT * FROM %1 ORDER BY 1, 2").arg(table));
        while (q.next()) {
            for (int i = 0; i < q.record().count(); ++i)
                hash.addData(QByteArray(q.value(i).toString().toUtf8() + '\x1f'));
            hash.addData(QByteArrayView("\n"));
        }
    }
    return QString::fromLatin1(hash.result().toHex());
}

} // namespace hcm::test
