#include "modelspage.h"

#include "../apiclient.h"

#include <QStyle>

namespace Tollgate {

ModelsPage::ModelsPage(ApiClient *api, QWidget *parent) : Page(api, parent) {}

QIcon ModelsPage::icon() const
{
    return style()->standardIcon(QStyle::SP_DriveNetIcon);
}

void ModelsPage::doRefresh() {}

} // namespace Tollgate
