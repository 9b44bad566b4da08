#include "enduserdialog.h"

#include "ui_enduserdialog.h"

#include <QPushButton>

using namespace Qt::StringLiterals;

namespace Tollgate {

EndUserDialog::EndUserDialog(QWidget *parent) : QDialog(parent), m_ui(std::make_unique<Ui::EndUserDialog>())
{
    m_ui->setupUi(this);
    m_ui->buttonBox->button(QDialogButtonBox::Ok)->setText(tr("Create end user"));
    connect(m_ui->userIdLineEdit, &QLineEdit::textChanged, this, &EndUserDialog::updateOkButton);
    connect(m_ui->budgetLimitsWidget, &BudgetLimitsWidget::inputChanged, this, &EndUserDialog::updateOkButton);
    updateOkButton();
}

EndUserDialog::EndUserDialog(const EndUserRecord &endUser, QWidget *parent) : EndUserDialog(parent)
{
    m_original = endUser;
    setWindowTitle(tr("Edit end user %1").arg(endUser.userId));
    m_ui->buttonBox->button(QDialogButtonBox::Ok)->setText(tr("Save"));
    m_ui->userIdLineEdit->setText(endUser.userId);
    // The id names the end user everywhere (keys, spend log): it cannot change. Read-only, still
    // selectable to copy, and out of the tab order so editing starts at the first field that can.
    m_ui->userIdLineEdit->setReadOnly(true);
    m_ui->userIdLineEdit->setFocusPolicy(Qt::ClickFocus);
    m_ui->userIdLineEdit->setToolTip(tr("The id cannot be changed"));
    m_ui->aliasLineEdit->setText(endUser.alias);
    m_ui->blockedCheckBox->setChecked(endUser.blocked);
    m_ui->budgetLimitsWidget->setValues(endUser.budget, endUser.limits);
}

EndUserDialog::~EndUserDialog() = default;

QJsonObject EndUserDialog::requestBody() const
{
    QJsonObject body;
    const QString alias = m_ui->aliasLineEdit->text().trimmed();
    const bool blocked = m_ui->blockedCheckBox->isChecked();
    if (m_original) {
        body.insert(u"user_id"_s, m_original->userId);
        if (alias != m_original->alias)
            body.insert(u"alias"_s, alias);
        if (blocked != m_original->blocked)
            body.insert(u"blocked"_s, blocked);
    } else {
        body.insert(u"user_id"_s, m_ui->userIdLineEdit->text().trimmed());
        if (!alias.isEmpty())
            body.insert(u"alias"_s, alias);
        if (blocked)
            body.insert(u"blocked"_s, true);
    }
    m_ui->budgetLimitsWidget->addFields(body);
    return body;
}

void EndUserDialog::updateOkButton()
{
    const bool acceptable = !m_ui->userIdLineEdit->text().trimmed().isEmpty()
                            && m_ui->budgetLimitsWidget->hasAcceptableInput();
    m_ui->buttonBox->button(QDialogButtonBox::Ok)->setEnabled(acceptable);
}

} // namespace Tollgate
