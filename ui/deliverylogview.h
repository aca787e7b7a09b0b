#pragma once

#include "settings/deliverystore.h"

#include <QWidget>

class QLabel;
class QTableWidget;

namespace hcm::ui {

// The notification deliveries of one job (its alerts, or what it delivered itself): time, channel,
// recipient, event, outcome, latency and the provider's answer, one row per attempt and recipient.
// Shows "Loading…", an error, or "No notifications were sent about this job." instead of an empty table.
class DeliveryLogView final : public QWidget {
    Q_OBJECT
public:
    explicit DeliveryLogView(QWidget *parent = nullptr);
    Q_DISABLE_COPY_MOVE(DeliveryLogView)

    void setLoading();
    void setDeliveries(const QList<DeliveryRecord> &deliveries);
    void setError(const QString &message);
    const QList<DeliveryRecord> &deliveries() const { return m_deliveries; }

private:
    enum Column { Time, Channel, Recipient, Event, Outcome, Latency, Response, ColumnCount };
    void showMessage(const QString &text);

    QList<DeliveryRecord> m_deliveries;
    QLabel *m_message = nullptr;
    QTableWidget *m_table = nullptr;
};

} // namespace hcm::ui
