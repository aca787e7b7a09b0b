#pragma once

#include <QDialog>

class QLineEdit;
class QPushButton;

namespace hcm::ui {

// Shows a new API token once, with a Copy button: only its hash is stored, so this is the only time
// anyone sees it. Closing the dialog forgets it.
class TokenCreatedDialog final : public QDialog {
    Q_OBJECT
public:
    TokenCreatedDialog(const QString &token, const QString &tokenName, const QString &userName,
                       QWidget *parent = nullptr);
    ~TokenCreatedDialog() override;

    QLineEdit *tokenEdit() const { return m_token; }
    QPushButton *copyButton() const { return m_copy; }

private:
    QLineEdit *m_token = nullptr;
    QPushButton *m_copy = nullptr;
};

} // namespace hcm::ui
