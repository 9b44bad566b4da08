#pragma once

#include "../page.h"

namespace Tollgate {

class UsersPage final : public Page
{
    Q_OBJECT

public:
    explicit UsersPage(ApiClient *api, QWidget *parent = nullptr);

    [[nodiscard]] QString title() const override { return tr("Users"); }
    [[nodiscard]] QIcon icon() const override;

protected:
    void doRefresh() override;
};

} // namespace Tollgate
