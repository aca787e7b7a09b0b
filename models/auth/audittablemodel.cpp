#include "auth/audittablemodel.h"

#include "common/enumnames.h"
#include "settings/notificationsettings.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>

#include <algorithm>
#include <utility>

namespace hcm {

namespace {

// The interfaces an audited action came through, in Interface's order.
const char *const kInterfaceTitles[] = {
    //: the interface an audited action came through: the desktop program
    QT_TRANSLATE_NOOP("hcm::AuditTableModel", "Desktop"), QT_TRANSLATE_NOOP("hcm::AuditTableModel", "hcmctl"),
    QT_TRANSLATE_NOOP("hcm::AuditTableModel", "HTTP API"),
    QT_TRANSLATE_NOOP("hcm::AuditTableModel", "Worker"), QT_TRANSLATE_NOOP("hcm::AuditTableModel", "System")};
static_assert(static_cast<size_t>(Interface::System) + 1 == std::size(kInterfaceTitles));
constexpr EnumNames<Interface> kInterfaceDisplay{kInterfaceTitles};

QString timeText(qint64 ms)
{
    if (ms <= 0)
        return {};
    return QLocale().toString(QDateTime::fromMSecsSinceEpoch(ms), QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

QString valueText(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        //: an audited setting that had no value before or after the change
        return AuditTableModel::tr("(none)");
    case QJsonValue::Bool:
        return v.toBool() ? AuditTableModel::tr("yes") : AuditTableModel::tr("no");
    case QJsonValue::Double:
        return QString::number(v.toDouble(), 'g', 15);
    case QJsonValue::String:
        //: an audited setting whose value was the empty text
        return v.toString().isEmpty() ? AuditTableModel::tr("(empty)") : v.toString();
    case QJsonValue::Array:
        return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    case QJsonValue::Object:
        return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    }
    return {};
}

} // namespace

AuditTableModel::AuditTableModel(AsyncAuditService *service, QObject *parent)
    : TableModel(parent)
    , m_service(service)
{
    // In Column order; TableModel translates them when the header is drawn.
    static constexpr const char *titles[] = {
        QT_TR_NOOP("Time"),   QT_TR_NOOP("User"),    QT_TR_NOOP("Role"),    QT_TR_NOOP("Action"),
        QT_TR_NOOP("Target"), QT_TR_NOOP("Outcome"), QT_TR_NOOP("Changes"), QT_TR_NOOP("Via")};
    static_assert(std::size(titles) == ColumnCount);
    setColumnTitles(titles);
    m_pollTimer.setInterval(2000);
    connect(&m_pollTimer, &QTimer::timeout, this, &AuditTableModel::refreshNow);
    m_pollTimer.start();
    requestPage();
}

int AuditTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant AuditTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const AuditEntry &e = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return display(e, index.column());
    case Qt::ToolTipRole:
        if (index.column() == DiffColumn && !e.diff.isEmpty())
            return diffLines(e.diff).join(QLatin1Char('\n'));
        if (index.column() == TargetColumn && !e.targetIds.isEmpty())
            return e.targetIds.join(QLatin1String(", "));
        if (index.column() == InterfaceColumn && !e.clientAddress.isEmpty())
            return tr("From %1").arg(e.clientAddress);
        return {};
    case IdRole:
        return e.id;
    case RefusedRole:
        return e.outcome == AuditOutcome::Refused;
    case RawValueRole:
        return index.column() == TimeColumn ? QVariant(e.at) : display(e, index.column());
    default:
        return {};
    }
}

QVariant AuditTableModel::display(const AuditEntry &e, int column) const
{
    switch (column) {
    case TimeColumn:
        return timeText(e.at);
    case ActorColumn:
        return e.actor;
    case RoleColumn:
        return roleDisplayName(e.actorRole);
    case ActionColumn:
        return e.action;
    case TargetColumn:
        return targetText(e);
    case OutcomeColumn:
        return outcomeText(e.outcome);
    case DiffColumn:
        return diffText(e.diff);
    case InterfaceColumn:
        return interfaceText(e.via);
    default:
        return {};
    }
}

QStringList AuditTableModel::diffLines(const QJsonObject &diff)
{
    QStringList out;
    for (auto it = diff.begin(); it != diff.end(); ++it) {
        const QString &key = it.key();
        const QJsonValue v = it.value();
        const bool change = v.isObject() && (v.toObject().contains(QLatin1String("old")) ||
                                             v.toObject().contains(QLatin1String("new")));
        if ((v.isString() && v.toString() == QLatin1String("changed")) ||
            (change && NotificationSettings::isSecretKey(key))) {
            // A secret: that it changed, never a value (the trail holds none; this guards the display).
            //: an audited secret (password, token) was changed; its value is never shown
            out.append(tr("%1: changed").arg(key));
        } else if (change) {
            const QJsonObject o = v.toObject();
            //: an audited field's change: "smtp_host: old.example.com → smtp.example.com"
            out.append(tr("%1: %2 → %3")
                           .arg(key, valueText(o.value(QLatin1String("old"))),
                                valueText(o.value(QLatin1String("new")))));
        } else {
            out.append(tr("%1: %2").arg(key, valueText(v)));
        }
    }
    return out;
}

QString AuditTableModel::diffText(const QJsonObject &diff)
{
    return diffLines(diff).join(QLatin1String("; "));
}

QString AuditTableModel::targetText(const AuditEntry &entry)
{
    constexpr int kShown = 3;
    QStringList ids = entry.targetIds.mid(0, kShown);
    QString text = ids.join(QLatin1String(", "));
    if (entry.targetIds.size() > kShown)
        //: the ids of a bulk action's targets: "1, 2, 3 and 12 more"
        text = tr("%1 and %n more", nullptr, int(entry.targetIds.size() - kShown)).arg(text);
    if (entry.targetType.isEmpty())
        return text;
    return text.isEmpty() ? entry.targetType : entry.targetType + QLatin1Char(' ') + text;
}

QString AuditTableModel::outcomeText(AuditOutcome outcome)
{
    //: outcome of an audited action: it was carried out, or refused for lack of permission
    return outcome == AuditOutcome::Refused ? tr("Refused") : tr("Done");
}

QString AuditTableModel::interfaceText(Interface via)
{
    return tr(kInterfaceDisplay.text(via));
}

bool AuditTableModel::canFetchMore(const QModelIndex &parent) const
{
    return !parent.isValid() && !m_atEnd;
}

void AuditTableModel::fetchMore(const QModelIndex &parent)
{
    if (parent.isValid())
        return;
    // The view reached the end of the rows while the next page was on its way: the one after follows.
    // (Not for the first page: its arrival makes the view look again.)
    if (m_pageLoading && !m_rows.isEmpty())
        m_moreWanted = true;
    requestPage();
}

void AuditTableModel::setPageSize(int rows)
{
    m_pageSize = qBound(20, rows, 10000);
}

void AuditTableModel::setRefreshInterval(int ms)
{
    if (ms > 0) {
        m_pollTimer.setInterval(ms);
        m_pollTimer.start();
    } else {
        m_pollTimer.stop();
    }
}

void AuditTableModel::setFilter(const AuditFilter &filter)
{
    beginResetModel();
    m_filter = filter;
    m_filter.beforeId = 0;
    m_rows.clear();
    m_rowOf.clear();
    m_atEnd = false;
    // Answers to the old filter are dropped.
    m_page.cancel();
    m_pageLoading = false;
    m_moreWanted = false;
    m_newer.cancel();
    m_newerLoading = false;
    m_knownNewestId = -1;
    endResetModel();
    requestPage();
}

void AuditTableModel::requestPage()
{
    if (m_pageLoading || m_atEnd)
        return;
    AuditFilter f = m_filter;
    f.beforeId = m_rows.isEmpty() ? 0 : m_rows.last().id;
    f.limit = m_pageSize;
    m_pageLoading = true;
    m_page.track(m_service->fetchPage(f), this, [this](const Result<QList<AuditEntry>> &page) {
        m_pageLoading = false;
        if (!page) {
            emit errorOccurred(page.error().message);
            return;
        }
        onPageReady(page.value());
    });
}

void AuditTableModel::refreshNow()
{
    // The first page is on its way (it brings the newest rows), or a poll is.
    if ((m_rows.isEmpty() && m_pageLoading) || m_newerLoading)
        return;
    // The newest page of the filter: new rows are at its top, and a row whose transaction committed
    // after a younger one's (PostgreSQL hands out ids before the commit) is found in it too and put in
    // its place. (A bound on `at` instead makes SQLite walk the whole trail by id when fewer than a
    // page of rows are that young: 0.45 s at a million rows, against 0.03 s.)
    AuditFilter f = m_filter;
    f.beforeId = 0;
    f.limit = m_pageSize;
    m_newerLoading = true;
    m_newer.track(m_service->fetchNewer(f, m_knownNewestId), this, [this](const Result<AuditNewer> &newer) {
        m_newerLoading = false;
        if (!newer) {
            emit errorOccurred(newer.error().message);
            return;
        }
        onNewerReady(newer->newestId, newer->entries);
    });
}

void AuditTableModel::onPageReady(const QList<AuditEntry> &entries)
{
    if (entries.size() < m_pageSize)
        m_atEnd = true;
    append(entries);
    if (std::exchange(m_moreWanted, false))
        requestPage();
    emit rowsLoaded();
}

void AuditTableModel::append(const QList<AuditEntry> &entries)
{
    QList<AuditEntry> fresh;
    for (const AuditEntry &e : entries) {
        if (!m_rowOf.contains(e.id) && (m_rows.isEmpty() || e.id < m_rows.last().id))
            fresh.append(e);
    }
    if (fresh.isEmpty())
        return;
    const int first = int(m_rows.size());
    beginInsertRows({}, first, first + int(fresh.size()) - 1);
    m_rows.append(fresh);
    rebuildIndex(first);
    endInsertRows();
}

void AuditTableModel::onNewerReady(qint64 newestId, const QList<AuditEntry> &entries)
{
    m_knownNewestId = newestId;
    if (m_pageLoading && m_rows.isEmpty()) {
        emit rowsLoaded(); // the first page is on its way and brings these
        return;
    }
    const qint64 oldTop = m_rows.isEmpty() ? 0 : m_rows.first().id;
    if (!m_rows.isEmpty() && entries.size() >= m_pageSize && entries.last().id > oldTop) {
        // More new rows than one page: those between them and the loaded ones were not read. The new
        // page replaces the loaded rows, and scrolling goes on below it.
        beginRemoveRows({}, 0, int(m_rows.size()) - 1);
        m_rows.clear();
        m_rowOf.clear();
        endRemoveRows();
        m_page.cancel();
        m_pageLoading = false;
        m_moreWanted = false;
        m_atEnd = false;
        append(entries);
        emit rowsLoaded();
        return;
    }
    const qint64 oldest = m_rows.isEmpty() ? 0 : m_rows.last().id;
    for (const AuditEntry &e : entries) {
        if (m_rowOf.contains(e.id))
            continue;
        if (!m_atEnd && e.id < oldest)
            continue; // below the loaded rows: a later page brings it
        // Newest first: the first row with a smaller id is where this one goes.
        const auto pos = std::lower_bound(m_rows.cbegin(), m_rows.cend(), e.id,
                                          [](const AuditEntry &row, qint64 id) { return row.id > id; });
        const int row = int(pos - m_rows.cbegin());
        beginInsertRows({}, row, row);
        m_rows.insert(row, e);
        rebuildIndex(row);
        endInsertRows();
    }
    emit rowsLoaded();
}

void AuditTableModel::rebuildIndex(int from)
{
    for (int i = from; i < m_rows.size(); ++i)
        m_rowOf.insert(m_rows.at(i).id, i);
}

const AuditEntry *AuditTableModel::entryAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? &m_rows.at(row) : nullptr;
}

int AuditTableModel::rowOf(qint64 id) const
{
    return m_rowOf.value(id, -1);
}

} // namespace hcm
