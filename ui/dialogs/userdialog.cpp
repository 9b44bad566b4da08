#include "userdialog.h"

#include "../models/usertablemodel.h"
#include "dialogfields.h"
#include "ui_userdialog.h"

#include <QJsonArray>
#include <QPushButton>

using namespace Qt::StringLiterals;

namespace Tollgate {

UserDialog::UserDialog(QWidget *parent) : QDialog(parent), m_ui(std::make_unique<Ui::UserDialog>())
{
    m_ui->setupUi(this);
    // Wide enough that the list of models wraps into a few lines, not a column of words.
    setMinimumWidth(fontMetrics().averageCharWidth() * 60);
    // The API's role identifiers stay the item data; the text is for people.
    for (const QString &role : {u"internal_user"_s, u"internal_user_viewer"_s, u"proxy_admin"_s})
        m_ui->userRoleComboBox->addItem(UserTableModel::roleName(role), role);
    m_ui->userRoleComboBox->setItemData(0, tr("May use the models allowed and manage their own keys"), Qt::ToolTipRole);
    m_ui->userRoleComboBox->setItemData(1, tr("May only read"), Qt::ToolTipRole);
    m_ui->userRoleComboBox->setItemData(2, tr("Their keys may manage the whole gateway"), Qt::ToolTipRole);
    m_ui->availableModelsLabel->hide();
    m_ui->buttonBox->button(QDialogButtonBox::Ok)->setText(tr("Create user"));
    connect(m_ui->autoCreateKeyCheckBox, &QCheckBox::toggled, m_ui->keyAliasLineEdit, &QWidget::setEnabled);
    connect(m_ui->budgetLimitsWidget, &BudgetLimitsWidget::inputChanged, this, &UserDialog::updateOkButton);
}

UserDialog::UserDialog(const UserRecord &user, QWidget *parent) : UserDialog(parent)
{
    m_original = user;
    setWindowTitle(tr("Edit user %1").arg(user.userId));
    m_ui->buttonBox->button(QDialogButtonBox::Ok)->setText(tr("Save"));
    m_ui->userIdLineEdit->setText(user.userId);
    // The id names the user everywhere (keys, spend log): it cannot change. Read-only, still
    // selectable to copy, and out of the tab order so editing starts at the first field that can.
    m_ui->userIdLineEdit->setReadOnly(true);
    m_ui->userIdLineEdit->setFocusPolicy(Qt::ClickFocus);
    m_ui->userIdLineEdit->setToolTip(tr("The id cannot be changed"));
    m_ui->userEmailLineEdit->setText(user.userEmail);
    m_ui->userAliasLineEdit->setText(user.userAlias);
    const int role = m_ui->userRoleComboBox->findData(user.role);
    if (role >= 0)
        m_ui->userRoleComboBox->setCurrentIndex(role);
    m_ui->modelsLineEdit->setText(DialogFields::joinModels(user.models));
    // Keys are made on the Keys page once the user exists.
    for (QWidget *widget : {static_cast<QWidget *>(m_ui->autoCreateKeyCheckBox),
                            static_cast<QWidget *>(m_ui->keyAliasLabel), static_cast<QWidget *>(m_ui->keyAliasLineEdit)})
        widget->hide();
    m_ui->budgetLimitsWidget->setValues(user.budget, user.limits);
}

UserDialog::~UserDialog() = default;

QJsonObject UserDialog::requestBody() const
{
    QJsonObject body;
    const QString userId = m_ui->userIdLineEdit->text().trimmed();
    const QString email = m_ui->userEmailLineEdit->text().trimmed();
    const QString alias = m_ui->userAliasLineEdit->text().trimmed();
    const QString role = m_ui->userRoleComboBox->currentData().toString();
    const QStringList models = DialogFields::parseModels(m_ui->modelsLineEdit->text());
    if (m_original) {
        body.insert(u"user_id"_s, m_original->userId);
        if (email != m_original->userEmail)
            body.insert(u"user_email"_s, email);
        if (alias != m_original->userAlias)
            body.insert(u"user_alias"_s, alias);
        if (role != m_original->role)
            body.insert(u"user_role"_s, role);
        if (models != m_original->models)
            body.insert(u"models"_s, QJsonArray::fromStringList(models));
    } else {
        if (!userId.isEmpty())
            body.insert(u"user_id"_s, userId);
        if (!email.isEmpty())
            body.insert(u"user_email"_s, email);
        if (!alias.isEmpty())
            body.insert(u"user_alias"_s, alias);
        body.insert(u"user_role"_s, role);
        if (!models.isEmpty())
            body.insert(u"models"_s, QJsonArray::fromStringList(models));
        const bool createKey = m_ui->autoCreateKeyCheckBox->isChecked();
        body.insert(u"auto_create_key"_s, createKey);
        const QString keyAlias = m_ui->keyAliasLineEdit->text().trimmed();
        if (createKey && !keyAlias.isEmpty())
            body.insert(u"key_alias"_s, keyAlias);
    }
    m_ui->budgetLimitsWidget->addFields(body);
    return body;
}

void UserDialog::setAvailableModels(const QStringList &models, const QStringList &accessGroups)
{
    const QString text = DialogFields::availableModelsText(models, accessGroups);
    m_ui->availableModelsLabel->setText(text);
    m_ui->availableModelsLabel->setVisible(!text.isEmpty());
    // Arrives after the dialog opened: it grows instead of squeezing the fields (as KeyDialog).
    DialogFields::fitToContents(this);
}

void UserDialog::updateOkButton()
{
    m_ui->buttonBox->button(QDialogButtonBox::Ok)->setEnabled(m_ui->budgetLimitsWidget->hasAcceptableInput());
}

} // namespace Tollgate
