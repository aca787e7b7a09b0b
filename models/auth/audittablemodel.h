#pragma once

#include "auth/asyncauditservice.h"
#include "common/tablemodel.h"

#include <QHash>
#include <QTimer>

namespace hcm {

// The audit trail as a live table, newest first, fed by AsyncAuditService's thread.
//
// No count is ever computed: the model holds the rows loaded so far and grows by keyset pages
// (canFetchMore/fetchMore ask for the page below the oldest loaded id), so the first screen of a
// million-row trail costs one index range read. New rows are followed by a cheap poll: the newest id
// of the trail is read first, and only when it moved is the newest page of the filter read and its
// rows merged in at their places by id — rows are inserted, never reset. Only a new filter resets the
// model (it is a new list).
class AuditTableModel final : public TableModel {
    Q_OBJECT
public:
    enum Column {
        TimeColumn,
        ActorColumn,
        RoleColumn,
        ActionColumn,
        TargetColumn,
        OutcomeColumn,
        DiffColumn,
        InterfaceColumn,
        ColumnCount
    };
    Q_ENUM(Column)
    enum Role {
        IdRole = Qt::UserRole + 1, // qint64
        RawValueRole,              // the column's underlying value (times in ms)
        RefusedRole,               // bool
    };

    explicit AuditTableModel(AsyncAuditService *service, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    bool canFetchMore(const QModelIndex &parent = {}) const override;
    void fetchMore(const QModelIndex &parent = {}) override;

    // A new list: resets once and loads the first page. beforeId and limit of `filter` are ignored.
    void setFilter(const AuditFilter &filter);
    const AuditFilter &filter() const { return m_filter; }
    // Rows per page (default 200).
    void setPageSize(int rows);
    int pageSize() const { return m_pageSize; }

    // Looks for new rows now (tests call it instead of waiting for the timer).
    void refreshNow();
    // The poll for new rows (default 2000 ms; 0 turns it off).
    void setRefreshInterval(int ms);

    const AuditEntry *entryAt(int row) const;
    int rowOf(qint64 id) const; // -1 when not loaded
    bool isLoading() const { return m_pageLoading; }
    // Every row of the filter is loaded.
    bool atEnd() const { return m_atEnd; }

    // The diff as readable lines: "smtp_host: old.example.com → smtp.example.com",
    // "smtp_password: changed", "reason: Viewer may not cancel jobs …".
    static QStringList diffLines(const QJsonObject &diff);
    // The same on one line, "; " between the fields.
    static QString diffText(const QJsonObject &diff);
    // "job 12, 13", "settings notifications", "job 1, 2, 3 and 12 more".
    static QString targetText(const AuditEntry &entry);
    static QString outcomeText(AuditOutcome outcome);
    static QString interfaceText(Interface via);

signals:
    // A page or new rows were applied (also when nothing was new).
    void rowsLoaded();
    void errorOccurred(const QString &message);

private:
    void requestPage();
    void onPageReady(const QList<AuditEntry> &entries);
    void onNewerReady(qint64 newestId, const QList<AuditEntry> &entries);
    void append(const QList<AuditEntry> &entries);
    void rebuildIndex(int from);
    QVariant display(const AuditEntry &e, int column) const;

    AsyncAuditService *m_service;
    AuditFilter m_filter;
    int m_pageSize = 200;
    QList<AuditEntry> m_rows; // newest first
    QHash<qint64, int> m_rowOf;
    bool m_atEnd = false;
    Latest<Result<QList<AuditEntry>>> m_page; // a new filter drops the answers to the old one
    bool m_pageLoading = false;
    bool m_moreWanted = false; // fetchMore() came while a page was loading
    Latest<Result<AuditNewer>> m_newer;
    bool m_newerLoading = false;
    qint64 m_knownNewestId = -1; // the trail's newest id at the last poll; -1 before the first
    QTimer m_pollTimer;
};

} // namespace hcm
