#pragma once

#include "../page.h"

class QLabel;
class QLineEdit;
class QPushButton;

namespace Tollgate {

class AccessGroupTableModel;
class ModelDialog;
class ModelTableModel;
class TableView;
struct ApiReply;
struct ModelRecord;

// Models & access groups: every deployment the gateway serves (GET /v1/model/info) with its
// provider, access groups and price; models added here can be edited and deleted, models from
// config.yaml are read-only (a lock). Below, each access group with the models in it.
class ModelsPage final : public Page
{
    Q_OBJECT

public:
    explicit ModelsPage(ApiClient *api, QWidget *parent = nullptr);

    [[nodiscard]] QString title() const override { return tr("Models & access groups"); }
    [[nodiscard]] QIcon icon() const override;
    [[nodiscard]] QWidget *searchField() const override;

    [[nodiscard]] ModelTableModel *modelTable() const { return m_models; }
    [[nodiscard]] AccessGroupTableModel *accessGroupTable() const { return m_groups; }
    [[nodiscard]] TableView *modelsView() const { return m_modelsView; }

    // The actions of the buttons and the context menu (the dialog is opened with open()).
    ModelDialog *addModel();
    ModelDialog *editSelectedModel();
    void deleteSelectedModel();
    // Selects the row of the model with that model_info.id (false if not listed).
    bool selectModel(const QString &modelId);

protected:
    void doRefresh() override;
    void clearData() override;

private:
    [[nodiscard]] const ModelRecord *selectedModel() const;
    void updateActions();
    void showContextMenu(int sourceRow, const QPoint &globalPos);
    void send(const QString &path, const QJsonObject &body, const QString &doneText);
    // Sends a dialog's request; the dialog closes once it is taken, else shows why.
    void save(ModelDialog *dialog, const QString &path, const QJsonObject &body, const QString &doneText);
    [[nodiscard]] static QString failureText(const ApiReply &reply);

    ModelTableModel *m_models;
    AccessGroupTableModel *m_groups;
    TableView *m_modelsView;
    TableView *m_groupsView;
    QLineEdit *m_filter;
    QPushButton *m_addButton;
    QPushButton *m_editButton;
    QPushButton *m_deleteButton;
    QLabel *m_unpricedLabel;
};

} // namespace Tollgate
