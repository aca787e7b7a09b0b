#include "auditpage.h"

#include "auth/asyncauditservice.h"
#include "auth/audittablemodel.h"
#include "auth/permissions.h"
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

} // namespace

AuditPage::AuditPage(const DbConfig &config, const Actor &actor, QWidget *parent)
    : QWidget(parent)
    , m_service(new AsyncAuditService(config, this))
    , m_actorIdentity(actor)
{
    setObjectName(QStringLiteral("auditPage"));

    m_actor = new QLineEdit;
    m_actor->setObjectName(QStringLiteral("actorFilter"));
    m_actor->setAccessibleName(tr("User"));
    m_actor->setPlaceholderText(tr("Any user"));
    m_actor->setClearButtonEnabled(true);
    m_action = new QComboBox;
    m_action->setObjectName(QStringLiteral("actionFilter"));
    m_action->setAccessibleName(tr("Action"));
    m_action->setEditable(true);
    m_action->addItem(QString());
    m_action->addItems(knownActions());
    m_action->lineEdit()->setPlaceholderText(tr("Any action"));
    m_action->lineEdit()->setAccessibleName(tr("Action"));
    m_action->setToolTip(
        tr("An action (\"jobs.cancel\") or a family of actions ending in a dot (\"jobs.\")"));
    m_action->setMinimumContentsLength(16);
    m_targetType = new QComboBox;
    m_targetType->setObjectName(QStringLiteral("targetTypeFilter"));
    m_targetType->setAccessibleName(tr("Target type"));
    //: target type filter of the audit page: no restriction
    m_targetType->addItem(tr("Any target"), QString());
    m_targetType->addItem(tr("Job"), QStringLiteral("job"));
    m_targetType->addItem(tr("Job type"), QStringLiteral("job_type"));
    m_targetType->addItem(tr("Schedule"), QStringLiteral("schedule"));
    m_targetType->addItem(tr("Settings"), QStringLiteral("settings"));
    m_targetType->addItem(tr("User"), QStringLiteral("user"));
    m_targetType->addItem(tr("Worker"), QStringLiteral("worker"));
    m_targetType->addItem(tr("Audit trail"), QStringLiteral("audit"));
    m_targetId = new QLineEdit;
    m_targetId->setObjectName(QStringLiteral("targetIdFilter"));
    m_targetId->setAccessibleName(tr("Target ID"));
    m_targetId->setPlaceholderText(tr("ID"));
    m_targetId->setToolTip(
        tr("The rows about one object (with a target type): a job's number, a user's name"));
    m_targetId->setClearButtonEnabled(true);

    const QDateTime now = QDateTime::currentDateTime();
    m_sinceOn = new QCheckBox(tr("&From"));
    m_sinceOn->setObjectName(QStringLiteral("sinceEnabled"));
    m_since = new QDateTimeEdit(now.addDays(-1));
    m_since->setObjectName(QStringLiteral("sinceEdit"));
    m_since->setAccessibleName(tr("From"));
    m_since->setCalendarPopup(true);
    m_since->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm"));
    m_since->setEnabled(false);
    m_untilOn = new QCheckBox(tr("&To"));
    m_untilOn->setObjectName(QStringLiteral("untilEnabled"));
    m_until = new QDateTimeEdit(now.addSecs(3600));
    m_until->setObjectName(QStringLiteral("untilEdit"));
    m_until->setAccessibleName(tr("To"));
    m_until->setCalendarPopup(true);
    m_until->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm"));
    m_until->setEnabled(false);
    connect(m_sinceOn, &QCheckBox::toggled, m_since, &QWidget::setEnabled);
    connect(m_untilOn, &QCheckBox::toggled, m_until, &QWidget::setEnabled);

    m_search = new QLineEdit;
    m_search->setObjectName(QStringLiteral("searchFilter"));
    m_search->setAccessibleName(tr("Search"));
    m_search->setPlaceholderText(tr("Search users, actions, targets and changes"));
    m_search->setClearButtonEnabled(true);
    m_clear = new QPushButton(tr("C&lear Filters"));
    m_clear->setObjectName(QStringLiteral("clearFilters"));
    m_export = new QPushButton(icon("action-save"), tr("&Export CSV…"));
    m_export->setObjectName(QStringLiteral("exportButton"));
    m_export->setToolTip(tr("Writes every row the filters match to a CSV file"));

    auto *filters = new QGridLayout;
    filters->addWidget(new QLabel(tr("User:")), 0, 0);
    filters->addWidget(m_actor, 0, 1);
    filters->addWidget(new QLabel(tr("Action:")), 0, 2);
    filters->addWidget(m_action, 0, 3);
    filters->addWidget(new QLabel(tr("Target:")), 0, 4);
    filters->addWidget(m_targetType, 0, 5);
    filters->addWidget(m_targetId, 0, 6);
    filters->addWidget(m_sinceOn, 1, 0);
    filters->addWidget(m_since, 1, 1);
    filters->addWidget(m_untilOn, 1, 2);
    filters->addWidget(m_until, 1, 3);
    filters->addWidget(m_search, 1, 4, 1, 3);
    filters->addWidget(m_clear, 0, 7);
    filters->addWidget(m_export, 1, 7);
    filters->setColumnStretch(1, 1);
    filters->setColumnStretch(3, 1);
    filters->setColumnStretch(6, 1);

    m_model = new AuditTableModel(m_service, this);
    m_view = new QTableView;
    m_view->setObjectName(QStringLiteral("auditTable"));
    m_view->setAccessibleName(tr("Audit trail"));
    setUpRowTable(m_view, m_model, false);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 8);
    m_view->setColumnWidth(AuditTableModel::TimeColumn, 150);
    m_view->setColumnWidth(AuditTableModel::ActorColumn, 110);
    m_view->setColumnWidth(AuditTableModel::RoleColumn, 150);
    m_view->setColumnWidth(AuditTableModel::ActionColumn, 140);
    m_view->setColumnWidth(AuditTableModel::TargetColumn, 150);
    m_view->setColumnWidth(AuditTableModel::OutcomeColumn, 80);
    m_view->setColumnWidth(AuditTableModel::DiffColumn, 380);
    m_view->setColumnWidth(AuditTableModel::InterfaceColumn, 80);

    m_details = new QPlainTextEdit;
    m_details->setObjectName(QStringLiteral("auditDetails"));
    m_details->setAccessibleName(tr("Entry details"));
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
    connect(m_actor, &QLineEdit::textChanged, this, later);
    connect(m_action, &QComboBox::currentTextChanged, this, later);
    connect(m_targetType, &QComboBox::currentIndexChanged, this, later);
    connect(m_targetId, &QLineEdit::textChanged, this, later);
    connect(m_search, &QLineEdit::textChanged, this, later);
    connect(m_sinceOn, &QCheckBox::toggled, this, later);
    connect(m_untilOn, &QCheckBox::toggled, this, later);
    connect(m_since, &QDateTimeEdit::dateTimeChanged, this, later);
    connect(m_until, &QDateTimeEdit::dateTimeChanged, this, later);
    connect(m_clear, &QPushButton::clicked, this, &AuditPage::clearFilters);
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

AuditFilter AuditPage::currentFilter() const
{
    AuditFilter f;
    f.actor = m_actor->text().trimmed();
    f.action = m_action->currentText().trimmed();
    f.targetType = m_targetType->currentData().toString();
    f.targetId = f.targetType.isEmpty() ? QString() : m_targetId->text().trimmed();
    f.text = m_search->text().trimmed();
    if (m_sinceOn->isChecked())
        f.since = m_since->dateTime().toMSecsSinceEpoch();
    if (m_untilOn->isChecked())
        f.until = m_until->dateTime().toMSecsSinceEpoch();
    return f;
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
    {
        const QSignalBlocker b1(m_actor), b2(m_action), b3(m_targetType), b4(m_targetId), b5(m_search),
            b6(m_sinceOn), b7(m_untilOn);
        m_actor->clear();
        m_action->setCurrentIndex(0);
        m_action->setEditText(QString());
        m_targetType->setCurrentIndex(0);
        m_targetId->clear();
        m_search->clear();
        m_sinceOn->setChecked(false);
        m_untilOn->setChecked(false);
    }
    m_since->setEnabled(false);
    m_until->setEnabled(false);
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
