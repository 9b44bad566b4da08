#pragma once

#include "../page.h"

#include <QStyle>

#include <functional>

class QAbstractItemModel;
class QAction;
class QDialog;
class QLineEdit;
class QToolBar;

namespace Tollgate {

class TableView;

// A page that is one list of identities (Keys, Users, End users): a toolbar of actions, a
// search field that filters the list, the table with its empty-state text, the actions again
// in a context menu, and a double click (or Enter) that edits the row.
class ListPage : public Page
{
    Q_OBJECT

public:
    [[nodiscard]] TableView *tableView() const { return m_view; }
    [[nodiscard]] QLineEdit *searchLineEdit() const { return m_search; }
    [[nodiscard]] QWidget *searchField() const override;
    // Selects the row of the record `id` (key token, user id, end user id) once it is listed,
    // clearing a search that would hide it: "Open owner" on the Budgets page.
    void selectRecord(const QString &id);

protected:
    ListPage(ApiClient *api, QWidget *parent);

    // Shows `model` (a RecordTableModel) in the table; `objectPrefix` names the widgets
    // ("keys" → keysTableView, keysSearchLineEdit).
    void setUpList(QAbstractItemModel *model, const QString &objectPrefix, const QString &searchPlaceholder,
                   const QString &emptyText);
    // An action in the toolbar and the context menu; one that `needsRow` is disabled while no
    // row is selected.
    QAction *createAction(const QString &objectName, const QString &text, const QIcon &icon, bool needsRow,
                          const std::function<void()> &triggered);
    // The action a double click or Enter runs.
    void setActivationAction(QAction *action) { m_activationAction = action; }
    [[nodiscard]] QIcon themeIcon(const QString &name, QStyle::StandardPixmap fallback) const;

    // The selected row of the model (-1: none).
    [[nodiscard]] int selectedRow() const;
    // Subclasses adjust texts (Block/Unblock) here; called on selection and data changes.
    virtual void updateActions();
    // Call after setRecords(): selects the row asked for with selectWhenListed().
    void listUpdated();
    void selectWhenListed(const QString &id) { m_selectId = id; }
    // Subclasses clear their model, then call this: the list waits for the new gateway, every
    // action off, until listUpdated().
    void clearData() override;

    // Opens `dialog` window-modal without blocking (open(), not exec()) and deletes it when it
    // closes; `onAccepted` runs if the user accepts.
    void openDialog(QDialog *dialog, const std::function<void()> &onAccepted);
    // GET /v1/model/info → model names and access groups, for a dialog's hint.
    void fetchAvailableModels(QObject *context, std::function<void(const QStringList &, const QStringList &)> done);

private:
    void showContextMenu(int sourceRow, const QPoint &globalPos);

    QToolBar *m_toolBar;
    QLineEdit *m_search;
    TableView *m_view;
    QList<QAction *> m_rowActions;
    QAction *m_activationAction = nullptr;
    QString m_selectId;
};

} // namespace Tollgate
