#include "modeldialog.h"

#include "../models/modeltablemodel.h"
#include "dialogfields.h"
#include "ui_modeldialog.h"

#include <QJsonArray>
#include <QPushButton>

#include <cmath>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

constexpr double TokensPerMillion = 1'000'000.0;

// The spin boxes' precision: prices that show the same are the same.
bool samePrice(double perMillionA, double perMillionB)
{
    return std::abs(perMillionA - perMillionB) < 0.00005;
}

} // namespace

ModelDialog::ModelDialog(QWidget *parent) : QDialog(parent), m_ui(std::make_unique<Ui::ModelDialog>())
{
    m_ui->setupUi(this);
    m_ui->buttonBox->button(QDialogButtonBox::Ok)->setText(tr("Add model"));
    m_ui->hintLabel->setText(tr("The model is served at once. The API key goes to the OS keychain, never to "
                                "Tollgate's database. Prices are in USD per million tokens."));
    m_ui->errorLabel->hide();
    QPalette errorPalette = m_ui->errorLabel->palette();
    errorPalette.setColor(QPalette::WindowText, QColor(0xc0, 0x1c, 0x28));
    m_ui->errorLabel->setPalette(errorPalette);
    connect(m_ui->modelNameLineEdit, &QLineEdit::textChanged, this, &ModelDialog::updateOkButton);
    connect(m_ui->providerModelLineEdit, &QLineEdit::textChanged, this, &ModelDialog::updateOkButton);
    connect(m_ui->customPriceCheckBox, &QCheckBox::toggled, this, &ModelDialog::updateOkButton);
    for (MoneySpinBox *spinBox : {m_ui->inputCostDoubleSpinBox, m_ui->outputCostDoubleSpinBox})
        connect(spinBox, &MoneySpinBox::inputChanged, this, &ModelDialog::updateOkButton);
    updateOkButton();
}

ModelDialog::ModelDialog(const ModelRecord &model, QWidget *parent) : ModelDialog(parent)
{
    m_original = model;
    setWindowTitle(tr("Edit model %1").arg(model.modelName));
    m_ui->buttonBox->button(QDialogButtonBox::Ok)->setText(tr("Save"));
    m_ui->modelNameLineEdit->setText(model.modelName);
    m_ui->providerModelLineEdit->setText(model.providerModel);
    m_ui->apiBaseLineEdit->setText(model.apiBase);
    m_ui->apiKeyLineEdit->setPlaceholderText(tr("unchanged (type a new key to replace it)"));
    m_ui->accessGroupsLineEdit->setText(model.accessGroups.join(u", "_s));
    if (const auto input = ModelTableModel::perMillion(model.inputCostPerToken))
        m_ui->inputCostDoubleSpinBox->setValue(*input);
    if (const auto output = ModelTableModel::perMillion(model.outputCostPerToken))
        m_ui->outputCostDoubleSpinBox->setValue(*output);
    // A price set for the model can be changed, not removed (the API keeps what it is not
    // given); a catalogue price can be overridden by ticking the box.
    if (model.priceSource.startsWith(u"config")) {
        m_ui->customPriceCheckBox->setChecked(true);
        m_ui->customPriceCheckBox->setEnabled(false);
        m_ui->customPriceCheckBox->setToolTip(tr("This model's own price can be changed here but not removed"));
    }
    m_ui->hintLabel->setText(model.priceUnknown ? ModelTableModel::unpricedText() : QString());
    m_ui->hintLabel->setVisible(model.priceUnknown);
    updateOkButton();
}

ModelDialog::~ModelDialog() = default;

QStringList ModelDialog::parseGroups(const QString &text)
{
    QStringList groups;
    for (const QString &part : text.split(u',', Qt::SkipEmptyParts)) {
        const QString group = part.trimmed();
        if (!group.isEmpty() && !groups.contains(group))
            groups.append(group);
    }
    return groups;
}

QJsonObject ModelDialog::requestBody() const
{
    const QString name = m_ui->modelNameLineEdit->text().trimmed();
    const QString providerModel = m_ui->providerModelLineEdit->text().trimmed();
    const QString apiBase = m_ui->apiBaseLineEdit->text().trimmed();
    const QString apiKey = m_ui->apiKeyLineEdit->text().trimmed();
    const QStringList groups = parseGroups(m_ui->accessGroupsLineEdit->text());
    const bool priced = m_ui->customPriceCheckBox->isChecked();
    const double input = m_ui->inputCostDoubleSpinBox->value();
    const double output = m_ui->outputCostDoubleSpinBox->value();

    QJsonObject body;
    QJsonObject params;
    QJsonObject info;
    if (!m_original) {
        body.insert(u"model_name"_s, name);
        params.insert(u"model"_s, providerModel);
        if (!apiBase.isEmpty())
            params.insert(u"api_base"_s, apiBase);
        if (!apiKey.isEmpty())
            params.insert(u"api_key"_s, apiKey);
        if (priced) {
            params.insert(u"input_cost_per_token"_s, input / TokensPerMillion);
            params.insert(u"output_cost_per_token"_s, output / TokensPerMillion);
        }
        if (!groups.isEmpty())
            info.insert(u"access_groups"_s, QJsonArray::fromStringList(groups));
        body.insert(u"litellm_params"_s, params);
        if (!info.isEmpty())
            body.insert(u"model_info"_s, info);
        return body;
    }

    const ModelRecord &original = *m_original;
    body.insert(u"model_id"_s, original.modelId);
    if (name != original.modelName)
        body.insert(u"model_name"_s, name);
    if (providerModel != original.providerModel)
        params.insert(u"model"_s, providerModel);
    if (apiBase != original.apiBase)
        params.insert(u"api_base"_s, apiBase);
    if (!apiKey.isEmpty())
        params.insert(u"api_key"_s, apiKey);
    if (priced) {
        const auto oldInput = ModelTableModel::perMillion(original.inputCostPerToken);
        const auto oldOutput = ModelTableModel::perMillion(original.outputCostPerToken);
        const bool own = original.priceSource.startsWith(u"config");
        if (!own || !oldInput || !samePrice(*oldInput, input))
            params.insert(u"input_cost_per_token"_s, input / TokensPerMillion);
        if (!own || !oldOutput || !samePrice(*oldOutput, output))
            params.insert(u"output_cost_per_token"_s, output / TokensPerMillion);
    }
    if (groups != original.accessGroups)
        info.insert(u"access_groups"_s, QJsonArray::fromStringList(groups));
    if (!params.isEmpty())
        body.insert(u"litellm_params"_s, params);
    if (!info.isEmpty())
        body.insert(u"model_info"_s, info);
    return body;
}

void ModelDialog::setSender(std::function<void(ModelDialog *)> sender)
{
    m_sender = std::move(sender);
}

void ModelDialog::accept()
{
    if (!m_sender) {
        QDialog::accept();
        return;
    }
    if (m_sending)
        return;
    m_sending = true;
    m_ui->buttonBox->setEnabled(false);
    m_sender(this);
}

void ModelDialog::reject()
{
    // An answer is on its way: it decides (closed when saved, open with the reason if not).
    if (!m_sending)
        QDialog::reject();
}

void ModelDialog::saved()
{
    m_sending = false;
    QDialog::accept();
}

void ModelDialog::saveFailed(const QString &text, const QString &details)
{
    m_sending = false;
    m_ui->buttonBox->setEnabled(true);
    m_ui->errorLabel->setText(text);
    m_ui->errorLabel->setToolTip(details);
    m_ui->errorLabel->show();
    DialogFields::fitToContents(this);
    updateOkButton();
}

void ModelDialog::updateOkButton()
{
    // A price that is set needs an amount (not an emptied field): what is sent is what shows.
    const bool priced = m_ui->customPriceCheckBox->isChecked();
    const bool complete = !m_ui->modelNameLineEdit->text().trimmed().isEmpty()
                          && m_ui->providerModelLineEdit->text().contains(u'/')
                          && (!priced
                              || (m_ui->inputCostDoubleSpinBox->hasAcceptableInput()
                                  && m_ui->outputCostDoubleSpinBox->hasAcceptableInput()));
    m_ui->buttonBox->button(QDialogButtonBox::Ok)->setEnabled(complete);
}

} // namespace Tollgate
