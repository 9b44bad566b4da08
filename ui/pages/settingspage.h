#pragma once

#include "../mainwindow.h"
#include "../page.h"

namespace Tollgate {

class AppSettings;

class SettingsPage final : public Page
{
    Q_OBJECT

public:
    SettingsPage(ApiClient *api, AppSettings *settings, const ConnectionInfo &connection, QWidget *parent = nullptr);

    [[nodiscard]] QString title() const override { return tr("Settings"); }
    [[nodiscard]] QIcon icon() const override;

protected:
    void doRefresh() override;

private:
    AppSettings *m_settings;
    ConnectionInfo m_connection;
};

} // namespace Tollgate
