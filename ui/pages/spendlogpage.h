#pragma once

#include "../page.h"

namespace Tollgate {

class SpendLogPage final : public Page
{
    Q_OBJECT

public:
    explicit SpendLogPage(ApiClient *api, QWidget *parent = nullptr);

    [[nodiscard]] QString title() const override { return tr("Spend log"); }
    [[nodiscard]] QIcon icon() const override;

protected:
    void doRefresh() override;
};

} // namespace Tollgate
