#include "budgetlimitswidget.h"

#include "../format.h"
#include "dialogfields.h"
#include "ui_budgetlimitswidget.h"

#include <QLineEdit>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

std::optional<double> moneyValue(const QCheckBox *checkBox, const QDoubleSpinBox *spinBox)
{
    return checkBox->isChecked() ? std::optional<double>(spinBox->value()) : std::nullopt;
}

std::optional<qint64> limitValue(const QSpinBox *spinBox)
{
    return spinBox->value() < 0 ? std::nullopt : std::optional<qint64>(spinBox->value());
}

// Whether `now` differs from `before` as far as the spin box can show it (6 decimals).
bool moneyChanged(const std::optional<double> &before, const std::optional<double> &now)
{
    if (before.has_value() != now.has_value())
        return true;
    return before && !DialogFields::sameMoney(*before, *now);
}

// An amount that is switched off needs none; one that is on needs one (not an emptied field).
bool moneyAcceptable(const QCheckBox *checkBox, const QDoubleSpinBox *spinBox)
{
    return !checkBox->isChecked() || spinBox->hasAcceptableInput();
}

void showMoney(QCheckBox *checkBox, QDoubleSpinBox *spinBox, const std::optional<double> &value)
{
    checkBox->setChecked(value.has_value());
    if (value)
        spinBox->setValue(*value);
}

void showLimit(QSpinBox *spinBox, const std::optional<qint64> &value)
{
    spinBox->setValue(value ? int(std::min<qint64>(*value, spinBox->maximum())) : -1);
}

} // namespace

BudgetLimitsWidget::BudgetLimitsWidget(QWidget *parent) : QWidget(parent), m_ui(std::make_unique<Ui::BudgetLimitsWidget>())
{
    m_ui->setupUi(this);
    for (QSpinBox *spinBox : {m_ui->rpmLimitSpinBox, m_ui->tpmLimitSpinBox, m_ui->maxParallelRequestsSpinBox})
        spinBox->setSpecialValueText(tr("No limit"));
    DialogFields::setUpPeriodComboBox(m_ui->budgetDurationComboBox);
    m_ui->budgetDurationComboBox->lineEdit()->setPlaceholderText(tr("never resets"));
    connect(m_ui->budgetDurationComboBox, &QComboBox::currentTextChanged, this, &BudgetLimitsWidget::inputChanged);
    for (MoneySpinBox *spinBox : {m_ui->maxBudgetDoubleSpinBox, m_ui->softBudgetDoubleSpinBox})
        connect(spinBox, &MoneySpinBox::inputChanged, this, &BudgetLimitsWidget::inputChanged);
    for (QCheckBox *checkBox : {m_ui->maxBudgetCheckBox, m_ui->softBudgetCheckBox})
        connect(checkBox, &QCheckBox::toggled, this, &BudgetLimitsWidget::inputChanged);
    m_ui->softBudgetNoteLabel->hide();
    connect(this, &BudgetLimitsWidget::inputChanged, this, &BudgetLimitsWidget::updateSoftBudgetNote);
}

BudgetLimitsWidget::~BudgetLimitsWidget() = default;

void BudgetLimitsWidget::setValues(const BudgetInfo &budget, const LimitsInfo &limits)
{
    m_original = Original{budget, limits};
    showMoney(m_ui->maxBudgetCheckBox, m_ui->maxBudgetDoubleSpinBox, budget.maxBudget);
    showMoney(m_ui->softBudgetCheckBox, m_ui->softBudgetDoubleSpinBox, budget.softBudget);
    DialogFields::setPeriod(m_ui->budgetDurationComboBox, budget.duration);
    if (!budget.duration.isEmpty())
        m_ui->budgetDurationComboBox->setToolTip(
            tr("Changing the period starts a fresh one from now; “never”: the budget never resets."));
    showLimit(m_ui->rpmLimitSpinBox, limits.rpm);
    showLimit(m_ui->tpmLimitSpinBox, limits.tpm);
    showLimit(m_ui->maxParallelRequestsSpinBox, limits.maxParallel);
}

void BudgetLimitsWidget::setInheritedLimits(const LimitsInfo &limits)
{
    const auto inherit = [this](QSpinBox *spinBox, const std::optional<qint64> &limit) {
        spinBox->setSpecialValueText(limit ? tr("%1 (user's)").arg(Format::count(limit)) : tr("No limit"));
    };
    inherit(m_ui->rpmLimitSpinBox, limits.rpm);
    inherit(m_ui->tpmLimitSpinBox, limits.tpm);
    inherit(m_ui->maxParallelRequestsSpinBox, limits.maxParallel);
}

void BudgetLimitsWidget::addFields(QJsonObject &body) const
{
    const std::optional<double> maxBudget = moneyValue(m_ui->maxBudgetCheckBox, m_ui->maxBudgetDoubleSpinBox);
    const std::optional<double> softBudget = moneyValue(m_ui->softBudgetCheckBox, m_ui->softBudgetDoubleSpinBox);
    const QString duration = DialogFields::durationText(m_ui->budgetDurationComboBox);
    const std::optional<qint64> rpm = limitValue(m_ui->rpmLimitSpinBox);
    const std::optional<qint64> tpm = limitValue(m_ui->tpmLimitSpinBox);
    const std::optional<qint64> parallel = limitValue(m_ui->maxParallelRequestsSpinBox);

    const auto putMoney = [&body](const QString &field, const std::optional<double> &value,
                                  const std::optional<double> *before) {
        if (value && (!before || moneyChanged(*before, value)))
            body.insert(field, *value);
        else if (!value && before && before->has_value())
            body.insert(field, QJsonValue::Null);   // null removes the limit
    };
    const auto putLimit = [&body](const QString &field, const std::optional<qint64> &value,
                                  const std::optional<qint64> *before) {
        if (value && (!before || *before != value))
            body.insert(field, *value);
        else if (!value && before && before->has_value())
            body.insert(field, QJsonValue::Null);
    };
    const Original *original = m_original ? &*m_original : nullptr;
    putMoney(u"max_budget"_s, maxBudget, original ? &original->budget.maxBudget : nullptr);
    putMoney(u"soft_budget"_s, softBudget, original ? &original->budget.softBudget : nullptr);
    // A duration sent again would restart the period (api.md §3): only a new one is sent.
    // "monthly" shown for the gateway's "1mo" is the same period: not a change.
    if (!duration.isEmpty() && (!original || !DialogFields::samePeriod(duration, original->budget.duration)))
        body.insert(u"budget_duration"_s, duration);
    else if (duration.isEmpty() && original && !original->budget.duration.isEmpty())
        body.insert(u"budget_duration"_s, QJsonValue::Null);
    putLimit(u"rpm_limit"_s, rpm, original ? &original->limits.rpm : nullptr);
    putLimit(u"tpm_limit"_s, tpm, original ? &original->limits.tpm : nullptr);
    putLimit(u"max_parallel_requests"_s, parallel, original ? &original->limits.maxParallel : nullptr);
}

bool BudgetLimitsWidget::hasAcceptableInput() const
{
    return DialogFields::isValidDuration(DialogFields::durationText(m_ui->budgetDurationComboBox))
           && moneyAcceptable(m_ui->maxBudgetCheckBox, m_ui->maxBudgetDoubleSpinBox)
           && moneyAcceptable(m_ui->softBudgetCheckBox, m_ui->softBudgetDoubleSpinBox) && !softAboveMax();
}

bool BudgetLimitsWidget::softAboveMax() const
{
    const std::optional<double> maxBudget = moneyValue(m_ui->maxBudgetCheckBox, m_ui->maxBudgetDoubleSpinBox);
    const std::optional<double> softBudget = moneyValue(m_ui->softBudgetCheckBox, m_ui->softBudgetDoubleSpinBox);
    return maxBudget && softBudget && m_ui->maxBudgetDoubleSpinBox->hasAcceptableInput()
           && m_ui->softBudgetDoubleSpinBox->hasAcceptableInput() && *softBudget > *maxBudget
           && !DialogFields::sameMoney(*softBudget, *maxBudget);
}

void BudgetLimitsWidget::updateSoftBudgetNote()
{
    // The gateway takes a soft limit above the max budget (as LiteLLM does), but it would never
    // warn: calls are refused at the max before spend reaches it. Said here, and OK stays off.
    const bool above = softAboveMax();
    if (above)
        m_ui->softBudgetNoteLabel->setText(
            tr("The soft limit is above the max budget: it would never warn, as calls are refused at %1. Set it "
               "lower, or switch it off.")
                .arg(Format::usd(m_ui->maxBudgetDoubleSpinBox->value())));
    if (m_ui->softBudgetNoteLabel->isVisibleTo(this) != above) {
        m_ui->softBudgetNoteLabel->setVisible(above);
        DialogFields::fitToContents(window());   // the dialog grows to hold it
    }
}

} // namespace Tollgate
