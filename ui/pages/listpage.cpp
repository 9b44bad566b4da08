#include "listpage.h"

#include "../apiclient.h"
#include "../apitypes.h"
#include "../identitylists.h"
#include "../recordtablemodel.h"
#include "../tableview.h"

#include <QAction>
#include <QDialog>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonObject>
#include <QLineEdit>
#include <QMenu>
#include <QToolBar>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace Tollgate {

ListPage::ListPage(ApiClient *api, QWidget *parent)
    : Page(api, parent), m_toolBar(new QToolBar(this)), m_search(new QLineEdit(this)), m_view(new TableView(this))
{
    m_toolBar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_toolBar->setIconSize(QSize(16, 16));
    m_search->setClearButtonEnabled(true);
    m_search->setMaximumWidth(280);

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_toolBar, 1);
    bar->addWidget(m_search);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(m_view, 1);

    connect(m_search, &QLineEdit::textChanged, this, [this](const QString &text) {
        if (m_view->proxy())
            m_view->proxy()->setFilterFixedString(text);
    });
    connect(m_view, &TableView::contextMenuRequested, this, &ListPage::showContextMenu);
    connect(m_view, &TableView::rowActivated, this, [this](int) {
        if (m_activationAction && m_activationAction->isEnabled())
            m_activationAction->trigger();
    });
}

void ListPage::setUpList(QAbstractItemModel *model, const QString &objectPrefix, const QString &searchPlaceholder,
                         const QString &emptyText)
{
    m_view->setObjectName(objectPrefix + u"TableView"_s);
    m_search->setObjectName(objectPrefix + u"SearchLineEdit"_s);
    m_toolBar->setObjectName(objectPrefix + u"ToolBar"_s);
    m_search->setPlaceholderText(searchPlaceholder);
    m_view->setSourceModel(model);
    m_view->setEmptyText(emptyText);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] { updateActions(); });
    connect(model, &QAbstractItemModel::dataChanged, this, [this] { updateActions(); });
    updateActions();
}

QAction *ListPage::createAction(const QString &objectName, const QString &text, const QIcon &icon, bool needsRow,
                                const std::function<void()> &triggered)
{
    auto *action = new QAction(icon, text, this);
    action->setObjectName(objectName);
    connect(action, &QAction::triggered, this, [triggered] { triggered(); });
    m_toolBar->addAction(action);
    // Shortcuts work while the focus is anywhere on the page.
    action->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    addAction(action);
    if (needsRow) {
        m_rowActions.append(action);
        action->setEnabled(false);
    }
    return action;
}

void ListPage::selectRecord(const QString &id)
{
    m_search->clear();
    m_selectId = id;
    listUpdated();   // already listed: at once; else after the next refresh
}

QWidget *ListPage::searchField() const
{
    return m_search;
}

QIcon ListPage::themeIcon(const QString &name, QStyle::StandardPixmap fallback) const
{
    return QIcon::fromTheme(name, style()->standardIcon(fallback));
}

int ListPage::selectedRow() const
{
    return m_view->currentSourceRow();
}

void ListPage::updateActions()
{
    const bool hasRow = selectedRow() >= 0;
    for (QAction *action : m_toolBar->actions())
        action->setEnabled(!m_view->isWaiting() && (hasRow || !m_rowActions.contains(action)));
}

void ListPage::clearData()
{
    m_selectId.clear();
    m_view->setWaiting(true);
    updateActions();
}

void ListPage::listUpdated()
{
    m_view->setWaiting(false);
    if (!m_selectId.isEmpty()) {
        QAbstractItemModel *model = m_view->proxy()->sourceModel();
        for (int row = 0; row < model->rowCount(); ++row) {
            if (model->index(row, 0).data(TableRoles::Id).toString() == m_selectId) {
                m_view->selectSourceRow(row);
                m_selectId.clear();
                break;
            }
        }
    }
    updateActions();
}

void ListPage::showContextMenu(int sourceRow, const QPoint &globalPos)
{
    auto *menu = new QMenu(this);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    for (QAction *action : m_toolBar->actions()) {
        if (sourceRow >= 0 || !m_rowActions.contains(action))
            menu->addAction(action);
    }
    if (m_activationAction && sourceRow >= 0)
        menu->setDefaultAction(m_activationAction);
    menu->popup(globalPos);
}

void ListPage::openDialog(QDialog *dialog, const std::function<void()> &onAccepted)
{
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowModality(Qt::WindowModal);
    connect(dialog, &QDialog::accepted, this, [onAccepted] { onAccepted(); });
    dialog->open();
}

void ListPage::fetchAvailableModels(QObject *context,
                                    std::function<void(const QStringList &, const QStringList &)> done)
{
    api()->get(u"/v1/model/info"_s, {}, context, [done = std::move(done)](const ApiReply &reply) {
        if (!reply.ok())
            return;
        QList<ModelRecord> models;
        for (const QJsonValue &value : reply.json.object().value(u"data"_s).toArray())
            models.append(ModelRecord::fromJson(value.toObject()));
        const IdentityLists::ModelChoices choices = IdentityLists::modelChoices(models);
        done(choices.models, choices.groups);
    });
}

} // namespace Tollgate
