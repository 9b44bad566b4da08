#include "globalbudgetdialog.h"

#include "dialogfields.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {
const QString GlobalBudgetUser = u"litellm-proxy-budget"_s;
} // namespace

GlobalBudgetDialog::GlobalBudgetDialog(const BudgetInfo &current, QWidget *parent)
    : QDialog(parent)
    , m_limitCheck(new QCheckBox(tr("&Limit the spend of the whole gateway"), this))
    , m_maxSpin(new MoneySpinBox(this))
    , m_durationCombo(new QComboBox(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
    , m_original(current)
{
    setObjectName(u"globalBudgetDialog"_s);
    setWindowTitle(tr("Global budget"));
    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(tr("The global budget caps the spend of the whole gateway, whatever the key. When it is "
                                "used up, calls are refused until it resets."),
                             this);
    intro->setWordWrap(true);
    layout->addWidget(intro);

    m_limitCheck->setObjectName(u"limitCheckBox"_s);
    layout->addWidget(m_limitCheck);
    auto *form = new QFormLayout;
    m_maxSpin->setObjectName(u"maxBudgetDoubleSpinBox"_s);
    // $0 to $1,000,000,000 in millionths, like a key's or a user's budget.
    m_maxSpin->setValue(current.maxBudget.value_or(100.0));
    form->addRow(tr("&Max budget"), m_maxSpin);
    m_durationCombo->setObjectName(u"durationComboBox"_s);
    DialogFields::setUpPeriodComboBox(m_durationCombo);
    m_durationCombo->lineEdit()->setPlaceholderText(tr("never resets"));
    DialogFields::setPeriod(m_durationCombo, current.duration);
    form->addRow(tr("&Resets every"), m_durationCombo);
    layout->addLayout(form);
    layout->addWidget(m_buttons);

    m_limitCheck->setChecked(current.maxBudget.has_value());
    connect(m_limitCheck, &QCheckBox::toggled, this, &GlobalBudgetDialog::updateState);
    connect(m_durationCombo, &QComboBox::currentTextChanged, this, &GlobalBudgetDialog::updateState);
    connect(m_maxSpin, &MoneySpinBox::inputChanged, this, &GlobalBudgetDialog::updateState);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    updateState();
}

void GlobalBudgetDialog::setLimited(bool limited)
{
    m_limitCheck->setChecked(limited);
}

void GlobalBudgetDialog::setMaxBudget(double usd)
{
    m_maxSpin->setValue(usd);
}

void GlobalBudgetDialog::setDuration(const QString &duration)
{
    DialogFields::setPeriod(m_durationCombo, duration);
}

void GlobalBudgetDialog::updateState()
{
    const bool limited = m_limitCheck->isChecked();
    m_maxSpin->setEnabled(limited);
    m_durationCombo->setEnabled(limited);
    const QString duration = DialogFields::durationText(m_durationCombo);
    m_buttons->button(QDialogButtonBox::Ok)
        ->setEnabled(!limited
                     || (m_maxSpin->hasAcceptableInput()
                         && (duration.isEmpty() || DialogFields::isValidDuration(duration))));
}

QJsonObject GlobalBudgetDialog::requestBody() const
{
    QJsonObject body{{u"user_id"_s, GlobalBudgetUser}};
    const bool limited = m_limitCheck->isChecked();
    // No budget: both go, so the gateway neither limits nor resets anything.
    const std::optional<double> max = limited ? std::optional<double>(m_maxSpin->value()) : std::nullopt;
    const QString duration = limited ? DialogFields::durationText(m_durationCombo) : QString();
    // The spin box shows millionths: a max with more digits counts as unchanged until edited.
    const bool sameMax = max.has_value() == m_original.maxBudget.has_value()
                         && (!max || DialogFields::sameMoney(*max, *m_original.maxBudget));
    if (!sameMax)
        body.insert(u"max_budget"_s, max ? QJsonValue(*max) : QJsonValue(QJsonValue::Null));
    if (!DialogFields::samePeriod(duration, m_original.duration))
        body.insert(u"budget_duration"_s, duration.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(duration));
    return body;
}

} // namespace Tollgate
