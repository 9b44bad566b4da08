#pragma once

#include "../apitypes.h"

#include <QDialog>
#include <QJsonObject>

#include <memory>
#include <optional>

namespace Tollgate {

namespace Ui {
class EndUserDialog;
}

// Creates an end user ahead of its first call (to give it a budget or block it) or edits
// one. It only builds the request; the page sends it.
class EndUserDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EndUserDialog)

public:
    explicit EndUserDialog(QWidget *parent = nullptr);                              // a new end user
    explicit EndUserDialog(const EndUserRecord &endUser, QWidget *parent = nullptr);  // edit `endUser`
    ~EndUserDialog() override;

    [[nodiscard]] bool isNew() const { return !m_original.has_value(); }
    // The body of POST /customer/new or /customer/update ("user_id" plus only what changed).
    [[nodiscard]] QJsonObject requestBody() const;

private:
    void updateOkButton();

    std::unique_ptr<Ui::EndUserDialog> m_ui;
    std::optional<EndUserRecord> m_original;
};

} // namespace Tollgate
