#pragma once

#include "../page.h"

namespace Tollgate {

class EndUsersPage final : public Page
{
    Q_OBJECT

public:
    explicit EndUsersPage(ApiClient *api, QWidget *parent = nullptr);

    [[nodiscard]] QString title() const override { return tr("End users"); }
    [[nodiscard]] QIcon icon() const override;

protected:
    void doRefresh() override;
};

} // namespace Tollgate
