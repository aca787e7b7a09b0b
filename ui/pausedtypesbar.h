#pragma once

#include "jobs/asyncjobservice.h"

#include <QWidget>

class QLabel;
class QHBoxLayout;
class QPushButton;

namespace hcm::ui {

// A line that lists the paused job types (who paused each and when) with a Resume button for each,
// or "Resume All" when every type is paused; hidden while nothing is paused. Reads and writes through
// AsyncJobService (PauseService): the GUI thread never waits for the database.
class PausedTypesBar final : public QWidget {
    Q_OBJECT
public:
    PausedTypesBar(AsyncJobService *service, Actor actor, QWidget *parent = nullptr);

    const QList<PausedType> &pausedTypes() const { return m_paused; }
    QLabel *label() const { return m_label; }
    // The Resume button of `type` (kAllJobTypes: Resume All); nullptr when it has none.
    QPushButton *resumeButton(const QString &type) const;
    void setActor(const Actor &actor) { m_actor = actor; }

public slots:
    void refresh();

signals:
    void statusMessage(const QString &message, int timeoutMs);

private:
    void show(const QList<PausedType> &paused);
    void resume(const QString &type);

    AsyncJobService *m_service;
    Actor m_actor;
    QLabel *m_label;
    QHBoxLayout *m_buttons;
    QList<PausedType> m_paused;
    Latest<Result<QList<PausedType>>> m_list; // only the newest list is shown
};

} // namespace hcm::ui
