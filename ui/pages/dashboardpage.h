#pragma once

#include "../page.h"

namespace Tollgate {

class DashboardPage final : public Page
{
    Q_OBJECT

public:
    explicit DashboardPage(ApiClient *api, QWidget *parent = nullptr);

    [[nodiscard]] QString title() const override { return tr("Dashboard"); }
    [[nodiscard]] QIcon icon() const override;

protected:
    void doRefresh() override;
};

} // namespace Tollgate
