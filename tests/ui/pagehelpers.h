#pragma once

#include "tests/ui/uifixture.h"
#include "ui/dialogs/keycreateddialog.h"
#include "ui/tableview.h"

#include <QAction>
#include <QTest>

#include <functional>

// Helpers for the list-page tests (Keys, Users, End users): find the dialog a page opened,
// trigger its actions, read the raw key it showed once.
namespace Tollgate::Test::Pages {

// The open (visible) dialog of type T under `parent`; closed ones may wait for deletion.
template <typename T>
T *visibleChild(QObject *parent)
{
    const QList<T *> children = parent->findChildren<T *>();
    for (T *child : children) {
        if (child->isVisible())
            return child;
    }
    return nullptr;
}

template <typename T>
T *waitForDialog(QObject *parent, int timeoutMs = 10000)
{
    T *found = nullptr;
    if (!QTest::qWaitFor([&] { return (found = visibleChild<T>(parent)) != nullptr; }, timeoutMs))
        return nullptr;
    return found;
}

// Triggers the page's action `name` if it is there and enabled.
inline bool trigger(QObject *page, const QString &name)
{
    auto *action = page->findChild<QAction *>(name);
    if (!action || !action->isEnabled())
        return false;
    action->trigger();
    return true;
}

// Reads the raw key the page showed once and closes the dialog ("" when none appeared).
inline QString takeShownKey(QObject *page)
{
    auto *dialog = waitForDialog<KeyCreatedDialog>(page);
    if (!dialog)
        return {};
    const QString key = dialog->key();
    dialog->accept();
    return key;
}

// The source row of `model` whose record matches, -1 when none.
template <typename Model, typename Predicate>
int rowWhere(const Model *model, Predicate matches)
{
    const auto &records = model->records();
    for (int row = 0; row < records.size(); ++row) {
        if (matches(records.at(row)))
            return row;
    }
    return -1;
}

// Waits until the client is idle, then refreshes `page` and waits for it.
inline bool settle(UiFixture &fixture, Tollgate::Page *page)
{
    return fixture.waitIdle() && UiFixture::refreshAndWait(page);
}

} // namespace Tollgate::Test::Pages
