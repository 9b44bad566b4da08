#include "modelspage.h"

#include "../apiclient.h"
#include "../confirm.h"
#include "../dialogs/modeldialog.h"
#include "../models/accessgrouptablemodel.h"
#include "../models/modeltablemodel.h"
#include "../pageicon.h"
#include "../tableview.h"

#include <QApplication>
#include <QClipboard>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QSplitter>
#include <QStyle>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace Tollgate {

ModelsPage::ModelsPage(ApiClient *api, QWidget *parent)
    : Page(api, parent)
    , m_models(new ModelTableModel(this))
    , m_groups(new AccessGroupTableModel(this))
    , m_modelsView(new TableView(this))
    , m_groupsView(new TableView(this))
    , m_filter(new QLineEdit(this))
    , m_addButton(new QPushButton(tr("Add model…"), this))
    , m_editButton(new QPushButton(tr("Edit…"), this))
    , m_deleteButton(new QPushButton(tr("Delete"), this))
    , m_unpricedLabel(new QLabel(this))
{
    m_addButton->setObjectName(u"addModelButton"_s);
    m_addButton->setIcon(style()->standardIcon(QStyle::SP_FileDialogNewFolder));
    m_addButton->setToolTip(tr("Add a model deployment (kept in Tollgate's database, its API key in the keychain)"));
    m_editButton->setObjectName(u"editModelButton"_s);
    m_deleteButton->setObjectName(u"deleteModelButton"_s);
    m_deleteButton->setIcon(style()->standardIcon(QStyle::SP_TrashIcon));
    m_filter->setObjectName(u"filterLineEdit"_s);
    m_filter->setPlaceholderText(tr("Filter models"));
    m_filter->setClearButtonEnabled(true);
    m_unpricedLabel->setObjectName(u"unpricedLabel"_s);
    m_unpricedLabel->setWordWrap(true);
    m_unpricedLabel->hide();

    m_modelsView->setObjectName(u"modelsTableView"_s);
    m_modelsView->setSourceModel(m_models);
    m_modelsView->setStretchColumn(ModelTableModel::AccessGroups);
    // Eight columns of long names: at 1280 px these give way, their whole text in the tooltip
    // (the lock on the name says read-only as well).
    m_modelsView->setShrinkableColumns(
        {ModelTableModel::ProviderModel, ModelTableModel::PriceSource, ModelTableModel::Editable});
    m_modelsView->setEmptyText(tr("No models yet — press Add model to add one, or list models in config.yaml"));
    m_modelsView->sortByColumn(ModelTableModel::ModelName, Qt::AscendingOrder);
    m_groupsView->setObjectName(u"accessGroupsTableView"_s);
    m_groupsView->setSourceModel(m_groups);
    m_groupsView->setStretchColumn(AccessGroupTableModel::Members);
    m_groupsView->setEmptyText(tr("No access groups — give a model access groups (Edit) to allow a whole group "
                                  "to a key or user"));
    m_groupsView->sortByColumn(AccessGroupTableModel::Group, Qt::AscendingOrder);
    connect(m_filter, &QLineEdit::textChanged, m_modelsView->proxy(), &QSortFilterProxyModel::setFilterFixedString);

    auto *toolbar = new QHBoxLayout;
    toolbar->addWidget(m_addButton);
    toolbar->addWidget(m_editButton);
    toolbar->addWidget(m_deleteButton);
    toolbar->addStretch(1);
    toolbar->addWidget(m_filter);

    auto *groupsPane = new QWidget(this);
    auto *groupsLayout = new QVBoxLayout(groupsPane);
    groupsLayout->setContentsMargins(0, 0, 0, 0);
    auto *groupsTitle = new QLabel(tr("<b>Access groups</b> — a key or user whose models list a group may use "
                                      "every model in it"),
                                   groupsPane);
    groupsTitle->setWordWrap(true);
    groupsLayout->addWidget(groupsTitle);
    groupsLayout->addWidget(m_groupsView);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_modelsView);
    splitter->addWidget(groupsPane);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    splitter->setChildrenCollapsible(false);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(toolbar);
    layout->addWidget(m_unpricedLabel);
    layout->addWidget(splitter, 1);

    connect(m_addButton, &QPushButton::clicked, this, [this] { addModel(); });
    connect(m_editButton, &QPushButton::clicked, this, [this] { editSelectedModel(); });
    connect(m_deleteButton, &QPushButton::clicked, this, &ModelsPage::deleteSelectedModel);
    connect(m_modelsView, &TableView::rowActivated, this, [this](int sourceRow) {
        const ModelRecord *model = m_models->recordAt(sourceRow);
        if (model && model->stored)
            editSelectedModel();
    });
    connect(m_modelsView, &TableView::contextMenuRequested, this, &ModelsPage::showContextMenu);
    connect(m_modelsView->selectionModel(), &QItemSelectionModel::selectionChanged, this, &ModelsPage::updateActions);
    connect(m_models, &QAbstractItemModel::dataChanged, this, &ModelsPage::updateActions);
    connect(m_models, &QAbstractItemModel::rowsRemoved, this, &ModelsPage::updateActions);
    updateActions();
}

QWidget *ModelsPage::searchField() const
{
    return m_filter;
}

QIcon ModelsPage::icon() const
{
    return pageIcon({u"applications-science"_s, u"cpu"_s}, u"models"_s, this);
}

void ModelsPage::doRefresh()
{
    beginCall();
    api()->get(u"/v1/model/info"_s, {}, this, [this](const ApiReply &reply) {
        if (reply.ok()) {
            QList<ModelRecord> models;
            for (const QJsonValue &entry : reply.json.object().value(u"data"_s).toArray())
                models.append(ModelRecord::fromJson(entry.toObject()));
            m_groups->setRecords(AccessGroupRecord::fromModels(models));
            m_models->setRecords(models);
            qsizetype unpriced = 0;
            for (const ModelRecord &model : m_models->records())
                unpriced += model.priceUnknown ? 1 : 0;
            m_unpricedLabel->setText(
                tr("%n model(s) without a known price: calls are served and logged as price_unknown, and "
                   "strict budgets refuse them. Set a price with Edit (models from config.yaml: in config.yaml).",
                   nullptr, int(unpriced)));
            m_unpricedLabel->setVisible(unpriced > 0);
            m_modelsView->setWaiting(false);
            m_addButton->setEnabled(true);
            updateActions();
        }
        endCall();
    });
}

void ModelsPage::clearData()
{
    m_models->clear();
    m_groups->clear();
    m_unpricedLabel->hide();
    m_modelsView->setWaiting(true);
    m_addButton->setEnabled(false);
    updateActions();
}

const ModelRecord *ModelsPage::selectedModel() const
{
    return m_models->recordAt(m_modelsView->currentSourceRow());
}

bool ModelsPage::selectModel(const QString &modelId)
{
    const int row = m_models->rowOf(modelId);
    if (row < 0)
        return false;
    m_modelsView->selectSourceRow(row);
    return m_modelsView->currentSourceRow() == row;
}

void ModelsPage::updateActions()
{
    const ModelRecord *model = selectedModel();
    const bool editable = model && model->stored;
    m_editButton->setEnabled(editable);
    m_deleteButton->setEnabled(editable);
    const QString readOnly = tr("%1 comes from config.yaml: edit config.yaml and restart Tollgate to change it");
    if (model && !model->stored) {
        m_editButton->setToolTip(readOnly.arg(model->modelName));
        m_deleteButton->setToolTip(readOnly.arg(model->modelName));
    } else {
        m_editButton->setToolTip(tr("Change the selected model"));
        m_deleteButton->setToolTip(tr("Delete the selected model"));
    }
}

ModelDialog *ModelsPage::addModel()
{
    auto *dialog = new ModelDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setSender([this](ModelDialog *dialog) {
        const QJsonObject body = dialog->requestBody();
        save(dialog, u"/model/new"_s, body, tr("Model %1 added.").arg(body.value(u"model_name"_s).toString()));
    });
    dialog->open();
    return dialog;
}

ModelDialog *ModelsPage::editSelectedModel()
{
    const ModelRecord *model = selectedModel();
    if (!model || !model->stored)
        return nullptr;
    auto *dialog = new ModelDialog(*model, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setSender([this, name = model->modelName](ModelDialog *dialog) {
        const QJsonObject body = dialog->requestBody();
        // Only model_id: nothing changed.
        if (body.size() <= 1) {
            dialog->saved();
            return;
        }
        save(dialog, u"/model/update"_s, body, tr("Model %1 saved.").arg(body.value(u"model_name"_s).toString(name)));
    });
    dialog->open();
    return dialog;
}

void ModelsPage::deleteSelectedModel()
{
    const ModelRecord *model = selectedModel();
    if (!model || !model->stored)
        return;
    const QString id = model->modelId;
    const QString name = model->modelName;
    if (!Confirm::destructive(this, tr("Delete model"),
                              tr("Delete the model %1 (%2)? Calls asking for it fail from now on, unless "
                                 "another deployment has the same name. Its API key is removed from the "
                                 "keychain.")
                                  .arg(name, model->providerModel),
                              tr("Delete model")))
        return;
    send(u"/model/delete"_s, QJsonObject{{u"id"_s, id}}, tr("Model %1 deleted.").arg(name));
}

void ModelsPage::send(const QString &path, const QJsonObject &body, const QString &doneText)
{
    // Errors reach the window's banner through ApiClient::failed; success refreshes the list.
    api()->post(path, body, this, [this, doneText](const ApiReply &reply) {
        if (!reply.ok())
            return;
        Q_EMIT notice(doneText);
        refresh();
    });
}

void ModelsPage::save(ModelDialog *dialog, const QString &path, const QJsonObject &body, const QString &doneText)
{
    // The dialog stays open until the gateway took the model: a refusal is said in the dialog,
    // beside what was typed, not in the banner behind a closed dialog.
    api()->post(
        path, body, dialog,
        [this, dialog, doneText](const ApiReply &reply) {
            if (!reply.ok()) {
                dialog->saveFailed(failureText(reply), reply.message);
                return;
            }
            dialog->saved();
            Q_EMIT notice(doneText);
            refresh();
        },
        ApiClient::FailureReport::Caller);
}

QString ModelsPage::failureText(const ApiReply &reply)
{
    // No keychain to keep the provider key in (the gateway never writes one to its database).
    // The gateway's words name a secret per attempt (a new model id each time): not something
    // to act on. What can be done instead:
    if (reply.errorParam == u"litellm_params.api_key" && reply.status == 503)
        return tr("The API key cannot be kept: Tollgate keeps provider keys only in the OS keychain, and no "
                  "keychain answers on this computer. Start one (such as GNOME Keyring or KWallet) and try "
                  "again, or add this model to config.yaml with api_key: os.environ/NAME (the key in "
                  "the environment variable NAME) and restart Tollgate.");
    return tr("The gateway did not take it: %1").arg(reply.message);
}

void ModelsPage::showContextMenu(int sourceRow, const QPoint &globalPos)
{
    QMenu menu(this);
    const ModelRecord *model = m_models->recordAt(sourceRow);
    menu.addAction(m_addButton->icon(), tr("Add model…"), this, [this] { addModel(); });
    if (model) {
        QAction *edit = menu.addAction(tr("Edit…"), this, [this] { editSelectedModel(); });
        QAction *remove = menu.addAction(m_deleteButton->icon(), tr("Delete"), this, &ModelsPage::deleteSelectedModel);
        edit->setEnabled(model->stored);
        remove->setEnabled(model->stored);
        menu.addSeparator();
        menu.addAction(tr("Copy model name"), this,
                       [name = model->modelName] { QApplication::clipboard()->setText(name); });
    }
    menu.exec(globalPos);
}

} // namespace Tollgate
