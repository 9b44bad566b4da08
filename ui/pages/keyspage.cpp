#include "keyspage.h"

#include "../apiclient.h"

#include <QStyle>

namespace Tollgate {

KeysPage::KeysPage(ApiClient *api, QWidget *parent) : Page(api, parent) {}

QIcon KeysPage::icon() const
{
    return style()->standardIcon(QStyle::SP_DialogApplyButton);
}

void KeysPage::doRefresh() {}

} // namespace Tollgate
