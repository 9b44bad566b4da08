#include "spendlogpage.h"

#include "../apiclient.h"

#include <QStyle>

namespace Tollgate {

SpendLogPage::SpendLogPage(ApiClient *api, QWidget *parent) : Page(api, parent) {}

QIcon SpendLogPage::icon() const
{
    return style()->standardIcon(QStyle::SP_FileDialogDetailedView);
}

void SpendLogPage::doRefresh() {}

} // namespace Tollgate
