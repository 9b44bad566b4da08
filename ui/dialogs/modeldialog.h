#pragma once

#include "../apitypes.h"

#include <QDialog>
#include <QJsonObject>

#include <functional>
#include <memory>
#include <optional>

namespace Tollgate {

namespace Ui {
class ModelDialog;
}

// Adds a model deployment or edits one added earlier: name, provider model, API base and
// key, access groups and a price per 1M tokens. It only builds the request; the page sends
// it (POST /model/new or /model/update). The API key is sent to the gateway, which keeps it
// in the OS keychain; it is never shown again. With a sender set, OK sends and the dialog
// stays open, with what was typed, until the gateway took it (or says why it did not).
class ModelDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ModelDialog)

public:
    explicit ModelDialog(QWidget *parent = nullptr);                          // a new model
    explicit ModelDialog(const ModelRecord &model, QWidget *parent = nullptr);  // edit `model`
    ~ModelDialog() override;

    [[nodiscard]] bool isNew() const { return !m_original.has_value(); }
    [[nodiscard]] QString modelId() const { return m_original ? m_original->modelId : QString(); }
    // The body of POST /model/new (the fields set) or /model/update ("model_id" plus only the
    // fields that changed). Prices are per token, as the API takes them.
    [[nodiscard]] QJsonObject requestBody() const;

    // "a, b,, c " → ["a", "b", "c"].
    [[nodiscard]] static QStringList parseGroups(const QString &text);

    // Called with the dialog when OK is pressed; it sends requestBody() and answers with
    // saved() or saveFailed(). Until then the dialog's buttons wait.
    void setSender(std::function<void(ModelDialog *)> sender);
    // The gateway took it: the dialog closes, accepted.
    void saved();
    // The gateway did not: `text` says why and what to do, under the fields (kept as typed);
    // `details` (the gateway's own words) in its tooltip.
    void saveFailed(const QString &text, const QString &details);

    void accept() override;
    void reject() override;

private:
    void updateOkButton();

    std::unique_ptr<Ui::ModelDialog> m_ui;
    std::optional<ModelRecord> m_original;
    std::function<void(ModelDialog *)> m_sender;
    bool m_sending = false;
};

} // namespace Tollgate
