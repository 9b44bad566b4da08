#pragma once

#include "../apitypes.h"

#include <QDialog>
#include <QJsonObject>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;

namespace Tollgate {

class MoneySpinBox;

// The global budget (the whole gateway, LiteLLM's "litellm-proxy-budget" pseudo user): a
// max and how often it resets, or none. Set, changed and removed through /user/update.
class GlobalBudgetDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GlobalBudgetDialog)

public:
    explicit GlobalBudgetDialog(const BudgetInfo &current, QWidget *parent = nullptr);

    // For tests and the page: the fields.
    void setLimited(bool limited);
    void setMaxBudget(double usd);
    void setDuration(const QString &duration);   // "" = never resets

    // The /user/update body: max_budget and budget_duration where they changed (null removes
    // them). An unchanged period is left out: sending it again would restart the budget window.
    [[nodiscard]] QJsonObject requestBody() const;

private:
    void updateState();

    QCheckBox *m_limitCheck;
    MoneySpinBox *m_maxSpin;
    QComboBox *m_durationCombo;
    QDialogButtonBox *m_buttons;
    BudgetInfo m_original;
};

} // namespace Tollgate
