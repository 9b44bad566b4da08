#pragma once

#include "../apitypes.h"

#include <QJsonObject>
#include <QWidget>

#include <memory>
#include <optional>

namespace Tollgate {

namespace Ui {
class BudgetLimitsWidget;
}

// The budget and rate-limit fields every identity dialog (key, user, end user) has: max
// budget, soft limit, reset period, rpm/tpm/parallel. "No limit" is an unchecked budget box or
// a spin box at its special value.
class BudgetLimitsWidget final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(BudgetLimitsWidget)

public:
    explicit BudgetLimitsWidget(QWidget *parent = nullptr);
    ~BudgetLimitsWidget() override;

    // Edit mode: shows an existing budget and limits; addFields() then adds only what changed,
    // and `null` for a limit that was switched off (the gateway then removes it).
    void setValues(const BudgetInfo &budget, const LimitsInfo &limits);
    // Limits that apply where these fields have none (a key's owner's): a limit field at "No
    // limit" shows the inherited one, e.g. "30 (user's)". Display only: nothing more is sent.
    void setInheritedLimits(const LimitsInfo &limits);

    // Adds max_budget, soft_budget, budget_duration, rpm_limit, tpm_limit and
    // max_parallel_requests to a request body (new: the ones set; edit: the ones changed).
    void addFields(QJsonObject &body) const;
    // False while the reset period is not a duration the gateway accepts, a budget that is
    // switched on has no amount (its field emptied), or the soft limit is above the max budget
    // (a note under it says so).
    [[nodiscard]] bool hasAcceptableInput() const;

Q_SIGNALS:
    void inputChanged();

private:
    [[nodiscard]] bool softAboveMax() const;
    void updateSoftBudgetNote();

    std::unique_ptr<Ui::BudgetLimitsWidget> m_ui;
    struct Original
    {
        BudgetInfo budget;
        LimitsInfo limits;
    };
    std::optional<Original> m_original;
};

} // namespace Tollgate
