#pragma once

#include "../page.h"

namespace Tollgate {

class KeysPage final : public Page
{
    Q_OBJECT

public:
    explicit KeysPage(ApiClient *api, QWidget *parent = nullptr);

    [[nodiscard]] QString title() const override { return tr("Keys"); }
    [[nodiscard]] QIcon icon() const override;

protected:
    void doRefresh() override;
};

} // namespace Tollgate
