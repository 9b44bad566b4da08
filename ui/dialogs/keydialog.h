#pragma once

#include "../apitypes.h"

#include <QDialog>
#include <QJsonObject>

#include <memory>
#include <optional>

namespace Tollgate {

namespace Ui {
class KeyDialog;
}

// Creates a key or edits one: name, owner user, models, expiry, budget and limits. It only
// builds the request; the page sends it (POST /key/generate or /key/update).
class KeyDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KeyDialog)

public:
    explicit KeyDialog(QWidget *parent = nullptr);                      // a new key
    explicit KeyDialog(const KeyRecord &key, QWidget *parent = nullptr);  // edit `key`
    ~KeyDialog() override;

    [[nodiscard]] bool isNew() const { return !m_original.has_value(); }
    // The body of POST /key/generate (new: the fields set) or /key/update ("key" = the token,
    // plus only the fields that changed).
    [[nodiscard]] QJsonObject requestBody() const;

    // Filled in when GET /v1/model/info and /user/list answer: offered as the models are typed,
    // and a name that is neither is said beside the field.
    void setAvailableModels(const QStringList &models, const QStringList &accessGroups);
    // The existing users, offered as the owner is typed; a name not among them is said to
    // create a new user (the gateway makes one, without a budget) before the key is made.
    void setKnownUsers(const QStringList &userIds);
    // Whether the owner typed is a user the gateway does not have yet (false until
    // setKnownUsers() was called, and for no owner).
    [[nodiscard]] bool createsNewUser() const;
    // The key's owner: while the owner field names them, the models and limits the key has not
    // got of its own show theirs, "(user's)", as they apply. Nothing of theirs is sent.
    void setOwner(const UserRecord &owner);

private:
    void updateOkButton();
    void updateOwnerHints();
    void updateNewUserNote();
    void updateUnknownModelsNote();

    std::unique_ptr<Ui::KeyDialog> m_ui;
    std::optional<KeyRecord> m_original;
    std::optional<UserRecord> m_owner;
    std::optional<QStringList> m_knownUsers;
    struct Available
    {
        QStringList models;
        QStringList accessGroups;
    };
    std::optional<Available> m_available;   // the gateway's, once GET /v1/model/info answered
    QString m_modelsPlaceholder;   // the .ui's, without an owner
};

} // namespace Tollgate
