#pragma once

#include "../apitypes.h"

#include <QDialog>
#include <QJsonObject>

#include <memory>
#include <optional>

namespace Tollgate {

namespace Ui {
class UserDialog;
}

// Creates a user (optionally with a first key) or edits one: email, name, role, models,
// budget and limits. It only builds the request; the page sends it.
class UserDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UserDialog)

public:
    explicit UserDialog(QWidget *parent = nullptr);                        // a new user
    explicit UserDialog(const UserRecord &user, QWidget *parent = nullptr);  // edit `user`
    ~UserDialog() override;

    [[nodiscard]] bool isNew() const { return !m_original.has_value(); }
    // The body of POST /user/new (new) or /user/update ("user_id" plus only what changed).
    [[nodiscard]] QJsonObject requestBody() const;

    void setAvailableModels(const QStringList &models, const QStringList &accessGroups);

private:
    void updateOkButton();

    std::unique_ptr<Ui::UserDialog> m_ui;
    std::optional<UserRecord> m_original;
};

} // namespace Tollgate
