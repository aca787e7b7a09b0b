#include "deliverylogview.h"

#include "ui/statusicons.h"
#include "ui/tablefit.h"

#include <QDateTime>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QStyle>
#include <QTableWidget>
#include <QVBoxLayout>

namespace hcm::ui {

namespace {

QString channelText(const QString &channel)
{
    if (channel == QLatin1String("email"))
        return DeliveryLogView::tr("Email");
    if (channel == QLatin1String("sms"))
        return DeliveryLogView::tr("SMS");
    if (channel == QLatin1String("slack"))
        return DeliveryLogView::tr("Slack");
    return channel;
}

// The event a delivery was about, as the delivery log names it.
QString eventText(const QString &event)
{
    if (event == QLatin1String("job_failed"))
        return DeliveryLogView::tr("Job failed");
    if (event == QLatin1String("job_succeeded"))
        return DeliveryLogView::tr("Job succeeded");
    if (event == QLatin1String("job_retried"))
        return DeliveryLogView::tr("Job retried");
    if (event == QLatin1String("worker_lost"))
        return DeliveryLogView::tr("Worker lost");
    if (event == QLatin1String("digest"))
        //: a delivery that carried a digest of several alerts
        return DeliveryLogView::tr("Alert digest");
    if (event == QLatin1String("test"))
        return DeliveryLogView::tr("Test message");
    if (event == QLatin1String("email"))
        return DeliveryLogView::tr("Email");
    return event;
}

} // namespace

DeliveryLogView::DeliveryLogView(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("deliveryLog"));
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("deliveriesMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    m_message->setForegroundRole(QPalette::PlaceholderText);
    m_table = new QTableWidget(0, ColumnCount, this);
    m_table->setObjectName(QStringLiteral("deliveriesTable"));
    m_table->setAccessibleName(tr("Notifications sent"));
    m_table->setHorizontalHeaderLabels({tr("Time"), tr("Channel"), tr("Recipient"), tr("Event"),
                                        tr("Outcome"), tr("Latency"), tr("Provider response")});
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setWordWrap(false);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_message);
    layout->addWidget(m_table);
    setLoading();
}

void DeliveryLogView::showMessage(const QString &text)
{
    m_deliveries.clear();
    m_table->setRowCount(0);
    m_table->hide();
    m_message->setText(text);
    m_message->show();
}

void DeliveryLogView::setLoading()
{
    showMessage(tr("Loading…"));
}

void DeliveryLogView::setError(const QString &message)
{
    //: %1 is the database's error message
    showMessage(tr("The notifications could not be loaded: %1").arg(message));
}

void DeliveryLogView::setDeliveries(const QList<DeliveryRecord> &deliveries)
{
    if (deliveries.isEmpty()) {
        showMessage(tr("No notifications were sent about this job."));
        return;
    }
    m_deliveries = deliveries;
    m_message->hide();
    m_table->show();
    m_table->setRowCount(int(deliveries.size()));
    const int iconSize = style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, this);
    m_table->setIconSize(QSize(iconSize, iconSize));
    const QLocale locale;
    for (int r = 0; r < deliveries.size(); ++r) {
        const DeliveryRecord &d = deliveries.at(r);
        const JobStatus look = d.delivered ? JobStatus::Completed : JobStatus::Failed;
        const QString response = d.providerResponse.simplified();
        const QDateTime when = QDateTime::fromMSecsSinceEpoch(d.createdAt);
        const QString cells[ColumnCount] = {
            locale.toString(when, QStringLiteral("HH:mm:ss")),
            channelText(d.channel),
            d.recipient,
            eventText(d.event),
            d.delivered ? tr("Delivered") : tr("Failed"),
            //: latency of a delivery in milliseconds
            tr("%1 ms").arg(locale.toString(d.latencyMs)),
            response.isEmpty() ? d.error : response,
        };
        //: tooltip of a delivery row: date and time, then the provider's answer and the error
        const QString tip = tr("%1\n%2\n%3")
                                .arg(locale.toString(when, QStringLiteral("yyyy-MM-dd HH:mm:ss")),
                                     d.providerResponse, d.error)
                                .trimmed();
        for (int c = 0; c < ColumnCount; ++c) {
            auto *item = new QTableWidgetItem(cells[c]);
            item->setToolTip(tip);
            if (c == Latency)
                item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            if (c == Outcome) {
                item->setIcon(statusIcon(look));
                item->setForeground(readableOn(statusColor(look), palette()));
            }
            m_table->setItem(r, c, item);
        }
    }
    // A few rows per job: measuring them leaves the response column the room there is.
    for (int c = 0; c < ColumnCount - 1; ++c)
        m_table->resizeColumnToContents(c);
    fitHeightToRows(m_table, 6);
}

} // namespace hcm::ui
