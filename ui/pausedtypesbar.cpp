#include "pausedtypesbar.h"

#include "db/dbthread.h"
#include "jobs/jobnotifier.h"
#include "jobs/jobtablemodel.h"
#include "ui/statusicons.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>

namespace hcm::ui {

PausedTypesBar::PausedTypesBar(AsyncJobService *service, Actor actor, QWidget *parent)
    : QWidget(parent)
    , m_service(service)
    , m_actor(std::move(actor))
    , m_label(new QLabel)
    , m_buttons(new QHBoxLayout)
{
    setObjectName(QStringLiteral("pausedTypesBar"));
    m_label->setObjectName(QStringLiteral("pausedTypesLabel"));
    m_label->setWordWrap(true);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *iconLabel = new QLabel;
    iconLabel->setPixmap(icon("action-pause").pixmap(16, 16));
    layout->addWidget(iconLabel);
    layout->addWidget(m_label, 1);
    layout->addLayout(m_buttons);
    QWidget::hide();

    // A pause or resume in this process (the jobs page, another window): read again.
    connect(JobNotifier::instance(), &JobNotifier::pausedTypesChanged, this, &PausedTypesBar::refresh);
}

void PausedTypesBar::refresh()
{
    m_list.track(m_service->fetchPausedTypes(), this, [this](const Result<QList<PausedType>> &paused) {
        if (paused)
            show(paused.value());
    });
}

QPushButton *PausedTypesBar::resumeButton(const QString &type) const
{
    for (int i = 0; i < m_buttons->count(); ++i) {
        auto *button = qobject_cast<QPushButton *>(m_buttons->itemAt(i)->widget());
        if (button && button->property("jobType").toString() == type)
            return button;
    }
    return nullptr;
}

void PausedTypesBar::resume(const QString &type)
{
    whenReady(m_service->setPaused(type, false, m_actor), this, [this](const Result<PauseChange> &c) {
        if (!c) {
            auto *box = new QMessageBox(QMessageBox::Warning, tr("Resume failed"), c.error().message,
                                        QMessageBox::Ok, this);
            box->setAttribute(Qt::WA_DeleteOnClose);
            box->open();
            return;
        }
        show(c->pausedNow);
        emit statusMessage(
            c->type == kAllJobTypes ? tr("Every job type resumed.") : tr("%1 resumed.").arg(c->type), 5000);
    });
}

void PausedTypesBar::show(const QList<PausedType> &paused)
{
    m_paused = paused;
    while (QLayoutItem *item = m_buttons->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    setVisible(!paused.isEmpty());
    if (paused.isEmpty()) {
        m_label->clear();
        return;
    }
    QStringList parts;
    for (const PausedType &p : paused) {
        //: one paused job type on the workers page: type, who paused it, when
        parts << tr("%1 (by %2 at %3)")
                     .arg(p.isAll() ? tr("all types") : p.type, p.pausedBy,
                          JobTableModel::timeText(p.pausedAt));
    }
    m_label->setText(tr("Paused types: %1. Their queued jobs wait; new ones are accepted and wait.")
                         .arg(parts.join(QLatin1String(", "))));
    // One Resume per type; while every type is paused only "Resume All" changes anything.
    const bool all = PausedTypeStore::pauseOf(paused, kAllJobTypes) != nullptr;
    QStringList targets;
    if (all) {
        targets << kAllJobTypes;
    } else {
        for (const PausedType &p : paused)
            targets << p.type;
        if (targets.size() > 1)
            targets << kAllJobTypes;
    }
    for (const QString &type : std::as_const(targets)) {
        auto *button = new QPushButton(icon("action-resume"),
                                       type == kAllJobTypes ? tr("Resume All") : tr("Resume %1").arg(type));
        button->setObjectName(QStringLiteral("resumeButton"));
        button->setProperty("jobType", type);
        connect(button, &QPushButton::clicked, this, [this, type] { resume(type); });
        m_buttons->addWidget(button);
    }
}

} // namespace hcm::ui
