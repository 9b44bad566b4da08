#pragma once

#include "../page.h"

namespace Tollgate {

class BudgetsPage final : public Page
{
    Q_OBJECT

public:
    explicit BudgetsPage(ApiClient *api, QWidget *parent = nullptr);

    [[nodiscard]] QString title() const override { return tr("Budgets"); }
    [[nodiscard]] QIcon icon() const override;

protected:
    void doRefresh() override;
};

} // namespace Tollgate
