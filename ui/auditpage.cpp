#include "auditpage.h"

#include "auth/asyncauditservice.h"
#include "auth/audittablemodel.h"
#include "auth/permissions.h"
#include "ui/namedwidgets.h"
#include "ui/statusicons.h"
#include "ui/tablefit.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace hcm::ui {

namespace {

// Every permission's key and the prefixes of their families ("jobs."), for the action filter.
QStringList knownActions()
{
    QStringList keys;
    for (int p = int(Permission::ReadJobs); p <= int(Permission::ManageTokens); ++p)
        keys.append(permissionKey(Permission(p)));
    keys.append(QStringLiteral("settings.rekey"));
    keys.append(QStringLiteral("users.add"));
    keys.append(QStringLiteral("users.set_role"));
    keys.append(QStringLiteral("users.disable"));
    keys.append(QStringLiteral("users.enable"));
    QStringList prefixes;
    for (const QString &key : std::as_const(keys)) {
        const qsizetype dot = key.indexOf(QLatin1Char('.'));
        if (dot > 0)
            prefixes.append(key.left(dot + 1));
    }
    prefixes.removeDuplicates();
    prefixes.sort();
    keys.removeDuplicates();
    keys.sort();
    return prefixes + keys;
}

// One end of the time range: a date and time picker, off until its check box turns it on.
QDateTimeEdit *timeRangeEdit(const char *objectName, const QString &accessibleName, const QDateTime &start)
{
    auto *edit = namedWidget<QDateTimeEdit>(objectName, accessibleName, start);
    edit->setCalendarPopup(true);
    edit->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm"));
    edit->setEnabled(false);
    return edit;
}

} // namespace

AuditPage::AuditPage(const DbConfig &config, const Actor &actor, QWidget *parent)
    : QWidget(parent)
    , m_service(new AsyncAuditService(config, this))
    , m_actorIdentity(actor)
{
    setObjectName(QStringLiteral("auditPage"));

    m_filters.actor = namedLineEdit("actorFilter", tr("User"), tr("Any user"));
    m_filters.actor->setClearButtonEnabled(true);
    m_filters.action = namedWidget<QComboBox>("actionFilter", tr("Action"));
    m_filters.action->setEditable(true);
    m_filters.action->addItem(QString());
    m_filters.action->addItems(knownActions());
    m_filters.action->lineEdit()->setPlaceholderText(tr("Any action"));
    m_filters.action->lineEdit()->setAccessibleName(tr("Action"));
    m_filters.action->setToolTip(
        tr("An action (\"jobs.cancel\") or a family of actions ending in a dot (\"jobs.\")"));
    m_filters.action->setMinimumContentsLength(16);
    m_filters.targetType = namedWidget<QComboBox>("targetTypeFilter", tr("Target type"));
    //: target type filter of the audit page: no restriction
    m_filters.targetType->addItem(tr("Any target"), QString());
    m_filters.targetType->addItem(tr("Job"), QStringLiteral("job"));
    m_filters.targetType->addItem(tr("Job type"), QStringLiteral("job_type"));
    m_filters.targetType->addItem(tr("Schedule"), QStringLiteral("schedule"));
    m_filters.targetType->addItem(tr("Settings"), QStringLiteral("settings"));
    m_filters.targetType->addItem(tr("User"), QStringLiteral("user"));
    m_filters.targetType->addItem(tr("Worker"), QStringLiteral("worker"));
    m_filters.targetType->addItem(tr("Audit trail"), QStringLiteral("audit"));
    m_filters.targetId = namedLineEdit("targetIdFilter", tr("Target ID"), tr("ID"));
    m_filters.targetId->setToolTip(
        tr("The rows about one object (with a target type): a job's number, a user's name"));
    m_filters.targetId->setClearButtonEnabled(true);

    const QDateTime now = QDateTime::currentDateTime();
    m_filters.sinceOn = new QCheckBox(tr("&From"));
    m_filters.sinceOn->setObjectName(QStringLiteral("sinceEnabled"));
    m_filters.since = timeRangeEdit("sinceEdit", tr("From"), now.addDays(-1));
    m_filters.untilOn = new QCheckBox(tr("&To"));
    m_filters.untilOn->setObjectName(QStringLiteral("untilEnabled"));
    m_filters.until = timeRangeEdit("untilEdit", tr("To"), now.addSecs(3600));
    connect(m_filters.sinceOn, &QCheckBox::toggled, m_filters.since, &QWidget::setEnabled);
    connect(m_filters.untilOn, &QCheckBox::toggled, m_filters.until, &QWidget::setEnabled);

    m_filters.search =
        namedLineEdit("searchFilter", tr("Search"), tr("Search users, actions, targets and changes"));
    m_filters.search->setClearButtonEnabled(true);
    m_filters.clear = namedButton("clearFilters", tr("C&lear Filters"));
    m_export = namedButton("exportButton", tr("&Export CSV…"), icon("action-save"));
    m_export->setToolTip(tr("Writes every row the filters match to a CSV file"));

    auto *filters = new QGridLayout;
    filters->addWidget(new QLabel(tr("User:")), 0, 0);
    filters->addWidget(m_filters.actor, 0, 1);
    filters->addWidget(new QLabel(tr("Action:")), 0, 2);
    filters->addWidget(m_filters.action, 0, 3);
    filters->addWidget(new QLabel(tr("Target:")), 0, 4);
    filters->addWidget(m_filters.targetType, 0, 5);
    filters->addWidget(m_filters.targetId, 0, 6);
    filters->addWidget(m_filters.sinceOn, 1, 0);
    filters->addWidget(m_filters.since, 1, 1);
    filters->addWidget(m_filters.untilOn, 1, 2);
    filters->addWidget(m_filters.until, 1, 3);
    filters->addWidget(m_filters.search, 1, 4, 1, 3);
    filters->addWidget(m_filters.clear, 0, 7);
    filters->addWidget(m_export, 1, 7);
    filters->setColumnStretch(1, 1);
    filters->setColumnStretch(3, 1);
    filters->setColumnStretch(6, 1);

    m_model = new AuditTableModel(m_service, this);
    m_view = namedWidget<QTableView>("auditTable", tr("Audit trail"));
    setUpRowTable(m_view, m_model, false);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 8);
    setColumnWidths(m_view, {{AuditTableModel::TimeColumn, 150},
                             {AuditTableModel::ActorColumn, 110},
                             {AuditTableModel::RoleColumn, 150},
                             {AuditTableModel::ActionColumn, 140},
                             {AuditTableModel::TargetColumn, 150},
                             {AuditTableModel::OutcomeColumn, 80},
                             {AuditTableModel::DiffColumn, 380},
                             {AuditTableModel::InterfaceColumn, 80}});

    m_details = namedWidget<QPlainTextEdit>("auditDetails", tr("Entry details"));
    m_details->setReadOnly(true);
    m_details->setPlaceholderText(tr("Select a row to see everything it recorded."));
    auto *split = new QSplitter(Qt::Vertical);
    split->addWidget(m_view);
    split->addWidget(m_details);
    split->setStretchFactor(0, 4);
    split->setStretchFactor(1, 1);

    m_message = new QLabel;
    m_message->setObjectName(QStringLiteral("message"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(filters);
    layout->addWidget(split, 1);
    layout->addWidget(m_message);

    m_debounce = new QTimer(this);
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(300);
    connect(m_debounce, &QTimer::timeout, this, &AuditPage::applyFilters);
    const auto later = [this] { m_debounce->start(); };
    connect(m_filters.actor, &QLineEdit::textChanged, this, later);
    connect(m_filters.action, &QComboBox::currentTextChanged, this, later);
    connect(m_filters.targetType, &QComboBox::currentIndexChanged, this, later);
    connect(m_filters.targetId, &QLineEdit::textChanged, this, later);
    connect(m_filters.search, &QLineEdit::textChanged, this, later);
    connect(m_filters.sinceOn, &QCheckBox::toggled, this, later);
    connect(m_filters.untilOn, &QCheckBox::toggled, this, later);
    connect(m_filters.since, &QDateTimeEdit::dateTimeChanged, this, later);
    connect(m_filters.until, &QDateTimeEdit::dateTimeChanged, this, later);
    connect(m_filters.clear, &QPushButton::clicked, this, &AuditPage::clearFilters);
    connect(m_export, &QPushButton::clicked, this, &AuditPage::exportCsv);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &AuditPage::showSelected);
    connect(m_model, &QAbstractItemModel::modelReset, this, &AuditPage::showSelected);
    connect(m_model, &AuditTableModel::errorOccurred, m_message, &QLabel::setText);
    connect(m_model, &AuditTableModel::rowsLoaded, this, [this] {
        if (m_message->property("error").toBool()) {
            m_message->clear();
            m_message->setProperty("error", false);
        }
    });
    connect(m_model, &AuditTableModel::errorOccurred, this,
            [this] { m_message->setProperty("error", true); });
    if (!isAllowed(actor.role, Permission::ReadAudit)) {
        // The main window does not show this page then; alone, it reads nothing.
        m_model->setRefreshInterval(0);
        setEnabled(false);
        m_message->setText(permissionRequirement(Permission::ReadAudit));
    }
}

AuditPage::~AuditPage() = default;

AuditFilter AuditPage::FilterControls::filter() const
{
    AuditFilter f;
    f.actor = actor->text().trimmed();
    f.action = action->currentText().trimmed();
    f.targetType = targetType->currentData().toString();
    f.targetId = f.targetType.isEmpty() ? QString() : targetId->text().trimmed();
    f.text = search->text().trimmed();
    if (sinceOn->isChecked())
        f.since = since->dateTime().toMSecsSinceEpoch();
    if (untilOn->isChecked())
        f.until = until->dateTime().toMSecsSinceEpoch();
    return f;
}

void AuditPage::FilterControls::reset()
{
    {
        const QSignalBlocker b1(actor), b2(action), b3(targetType), b4(targetId), b5(search), b6(sinceOn),
            b7(untilOn);
        actor->clear();
        action->setCurrentIndex(0);
        action->setEditText(QString());
        targetType->setCurrentIndex(0);
        targetId->clear();
        search->clear();
        sinceOn->setChecked(false);
        untilOn->setChecked(false);
    }
    since->setEnabled(false);
    until->setEnabled(false);
}

AuditFilter AuditPage::currentFilter() const
{
    return m_filters.filter();
}

void AuditPage::applyFilters()
{
    m_debounce->stop();
    if (!isAllowed(m_actorIdentity.role, Permission::ReadAudit))
        return;
    const AuditFilter f = currentFilter();
    if (f.since > 0 && f.until > 0 && f.until <= f.since) {
        m_message->setText(tr("The end of the time range must be after its start."));
        return;
    }
    m_message->clear();
    m_model->setFilter(f);
}

void AuditPage::clearFilters()
{
    m_filters.reset();
    applyFilters();
}

void AuditPage::showSelected()
{
    const AuditEntry *e = m_model->entryAt(m_view->currentIndex().row());
    m_details->setPlainText(e ? detailsText(*e) : QString());
}

QString AuditPage::detailsText(const AuditEntry &e)
{
    QStringList lines;
    lines << tr("#%1 at %2")
                 .arg(e.id)
                 .arg(QLocale().toString(QDateTime::fromMSecsSinceEpoch(e.at),
                                         QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz t")));
    QString who = tr("User: %1 (%2), via %3")
                      .arg(e.actor, roleDisplayName(e.actorRole), AuditTableModel::interfaceText(e.via));
    if (!e.clientAddress.isEmpty())
        who += QLatin1Char(' ') + tr("from %1").arg(e.clientAddress);
    lines << who;
    lines << tr("Action: %1 — %2").arg(e.action, AuditTableModel::outcomeText(e.outcome));
    if (!e.targetType.isEmpty() || !e.targetIds.isEmpty())
        lines << tr("Target: %1 %2").arg(e.targetType, e.targetIds.join(QLatin1String(", "))).trimmed();
    const QStringList diff = AuditTableModel::diffLines(e.diff);
    if (!diff.isEmpty()) {
        lines << tr("Changes:");
        for (const QString &line : diff)
            lines << QStringLiteral("    ") + line;
    }
    return lines.join(QLatin1Char('\n'));
}

void AuditPage::exportCsv()
{
    if (m_exportDialog) {
        m_exportDialog->raise();
        return;
    }
    auto *dialog = new QFileDialog(this, tr("Export Audit Trail"));
    dialog->setObjectName(QStringLiteral("exportDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    dialog->setFileMode(QFileDialog::AnyFile);
    dialog->setNameFilter(tr("CSV files (*.csv)"));
    dialog->setDefaultSuffix(QStringLiteral("csv"));
    //: default file name of an audit export; %1 is the date
    dialog->selectFile(tr("audit-%1.csv").arg(QDate::currentDate().toString(Qt::ISODate)));
    connect(dialog, &QFileDialog::fileSelected, this, [this](const QString &path) { exportTo(path); });
    m_exportDialog = dialog;
    dialog->open();
}

bool AuditPage::exportTo(const QString &path)
{
    if (!isAllowed(m_actorIdentity.role, Permission::ReadAudit))
        return false;
    std::optional<QFuture<AuditExport>> running = m_service->exportCsv(currentFilter(), path);
    if (!running) {
        m_message->setText(tr("An export is running already."));
        return false;
    }
    m_export->setEnabled(false);
    m_message->setText(tr("Exporting…"));
    auto *progress = new QFutureWatcher<AuditExport>(this);
    connect(progress, &QFutureWatcherBase::progressValueChanged, this, [this](int rows) {
        m_message->setText(tr("Exporting… %1 rows written").arg(QLocale().toString(rows)));
    });
    connect(progress, &QFutureWatcherBase::finished, progress, &QObject::deleteLater);
    progress->setFuture(*running);
    running->then(this, [this](const AuditExport &done) {
        m_export->setEnabled(true);
        if (done.ok)
            m_message->setText(tr("Exported %n rows to %1.", nullptr, int(qMin<qint64>(done.rows, INT_MAX)))
                                   .arg(QDir::toNativeSeparators(done.path)));
        else if (done.message.isEmpty())
            m_message->setText(tr("The export was cancelled."));
        else
            m_message->setText(tr("The export failed: %1").arg(done.message));
        emit exportFinished(done.ok, done.message, done.rows);
    });
    return true;
}

} // namespace hcm::ui
