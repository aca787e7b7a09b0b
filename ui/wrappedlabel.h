#pragma once

#include <QLabel>
#include <QResizeEvent>

namespace hcm::ui {

// A word-wrapping label that asks for exactly the height its text needs at its current width.
// QLabel's own height-for-width is lost inside QFormLayout rows (the row keeps the height of the
// label's narrow size hint, so a one-line message sits in a three-line gap); this one reports a plain
// size hint and re-asks for its height whenever its width changes.
class WrappedLabel final : public QLabel {
public:
    explicit WrappedLabel(QWidget *parent = nullptr)
        : QLabel(parent)
    {
        setWordWrap(true);
        QSizePolicy policy(QSizePolicy::Expanding, QSizePolicy::Preferred);
        policy.setHeightForWidth(false);
        setSizePolicy(policy);
    }

    QSize sizeHint() const override { return {minimumWidth(), heightAt(width())}; }
    QSize minimumSizeHint() const override { return {minimumWidth(), heightAt(width())}; }

protected:
    void resizeEvent(QResizeEvent *event) override
    {
        QLabel::resizeEvent(event);
        if (event->oldSize().width() != event->size().width() &&
            heightAt(event->oldSize().width()) != heightAt(width()))
            updateGeometry();
    }

private:
    int minimumWidth() const { return fontMetrics().averageCharWidth() * 24; }
    int heightAt(int w) const { return text().isEmpty() ? 0 : heightForWidth(qMax(w, minimumWidth())); }
};

} // namespace hcm::ui
