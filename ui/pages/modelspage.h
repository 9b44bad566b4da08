#pragma once

#include "../page.h"

namespace Tollgate {

class ModelsPage final : public Page
{
    Q_OBJECT

public:
    explicit ModelsPage(ApiClient *api, QWidget *parent = nullptr);

    [[nodiscard]] QString title() const override { return tr("Models & access groups"); }
    [[nodiscard]] QIcon icon() const override;

protected:
    void doRefresh() override;
};

} // namespace Tollgate
