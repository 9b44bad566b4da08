#include "budgetspage.h"

#include "../apiclient.h"

#include <QStyle>

namespace Tollgate {

BudgetsPage::BudgetsPage(ApiClient *api, QWidget *parent) : Page(api, parent) {}

QIcon BudgetsPage::icon() const
{
    return style()->standardIcon(QStyle::SP_DialogSaveButton);
}

void BudgetsPage::doRefresh() {}

} // namespace Tollgate
