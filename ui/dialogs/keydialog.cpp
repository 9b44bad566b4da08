#include "keydialog.h"

#include "../format.h"
#include "dialogfields.h"
#include "ui_keydialog.h"

#include <QCompleter>
#include <QLineEdit>
#include <QPushButton>
#include <QJsonArray>

using namespace Qt::StringLiterals;

namespace Tollgate {

KeyDialog::KeyDialog(QWidget *parent) : QDialog(parent), m_ui(std::make_unique<Ui::KeyDialog>())
{
    m_ui->setupUi(this);
    DialogFields::setUpDurationComboBox(m_ui->expiresComboBox, {u"1d"_s, u"7d"_s, u"30d"_s, u"90d"_s, u"365d"_s});
    m_ui->expiresComboBox->lineEdit()->setPlaceholderText(tr("never"));
    m_ui->availableModelsLabel->hide();
    m_ui->unknownModelsLabel->hide();
    m_ui->newUserLabel->hide();
    m_ui->buttonBox->button(QDialogButtonBox::Ok)->setText(tr("Create key"));
    connect(m_ui->expiresComboBox, &QComboBox::currentTextChanged, this, &KeyDialog::updateOkButton);
    connect(m_ui->budgetLimitsWidget, &BudgetLimitsWidget::inputChanged, this, &KeyDialog::updateOkButton);
    m_modelsPlaceholder = m_ui->modelsLineEdit->placeholderText();
    connect(m_ui->userIdLineEdit, &QLineEdit::textChanged, this, &KeyDialog::updateOwnerHints);
    connect(m_ui->userIdLineEdit, &QLineEdit::textChanged, this, &KeyDialog::updateNewUserNote);
    connect(m_ui->modelsLineEdit, &QLineEdit::textChanged, this, &KeyDialog::updateUnknownModelsNote);
    // Wide enough that the list of models wraps into a few lines, not a column of words.
    setMinimumWidth(fontMetrics().averageCharWidth() * 60);
}

KeyDialog::KeyDialog(const KeyRecord &key, QWidget *parent) : KeyDialog(parent)
{
    m_original = key;
    setWindowTitle(tr("Edit key %1").arg(key.displayName()));
    m_ui->buttonBox->button(QDialogButtonBox::Ok)->setText(tr("Save"));
    m_ui->keyAliasLineEdit->setText(key.keyAlias);
    // No name is a choice too: the gateway drops the alias, and lists show the masked key.
    m_ui->keyAliasLineEdit->setPlaceholderText(tr("none: shown as %1").arg(key.keyName));
    m_ui->userIdLineEdit->setText(key.userId);
    m_ui->modelsLineEdit->setText(DialogFields::joinModels(key.models));
    m_ui->expiresLabel->setText(tr("New expiry:"));
    m_ui->expiresComboBox->lineEdit()->setPlaceholderText(
        key.expires.isValid() ? tr("unchanged (%1)").arg(Format::dateTime(key.expires)) : tr("unchanged (never)"));
    m_ui->expiresComboBox->setToolTip(tr("A period from now such as 30d; empty: the expiry stays as it is"));
    m_ui->budgetLimitsWidget->setValues(key.budget, key.limits);
}

KeyDialog::~KeyDialog() = default;

QJsonObject KeyDialog::requestBody() const
{
    QJsonObject body;
    const QString alias = m_ui->keyAliasLineEdit->text().trimmed();
    const QString userId = m_ui->userIdLineEdit->text().trimmed();
    const QStringList models = DialogFields::parseModels(m_ui->modelsLineEdit->text());
    const QString expiry = DialogFields::durationText(m_ui->expiresComboBox);
    if (m_original) {
        body.insert(u"key"_s, m_original->token);
        // "" is a value to the gateway (no alias, no owner); [] means every model.
        if (alias != m_original->keyAlias)
            body.insert(u"key_alias"_s, alias);
        if (userId != m_original->userId)
            body.insert(u"user_id"_s, userId);
        if (models != m_original->models)
            body.insert(u"models"_s, QJsonArray::fromStringList(models));
    } else {
        if (!alias.isEmpty())
            body.insert(u"key_alias"_s, alias);
        if (!userId.isEmpty())
            body.insert(u"user_id"_s, userId);
        if (!models.isEmpty())
            body.insert(u"models"_s, QJsonArray::fromStringList(models));
    }
    if (!expiry.isEmpty())
        body.insert(u"duration"_s, expiry);
    m_ui->budgetLimitsWidget->addFields(body);
    return body;
}

void KeyDialog::setAvailableModels(const QStringList &models, const QStringList &accessGroups)
{
    const QString text = DialogFields::availableModelsText(models, accessGroups);
    m_ui->availableModelsLabel->setText(text);
    m_ui->availableModelsLabel->setVisible(!text.isEmpty());
    DialogFields::setModelsCompleter(m_ui->modelsLineEdit, models + accessGroups);
    m_available = Available{models, accessGroups};
    updateUnknownModelsNote();
    // The list arrives after the dialog opened: it grows to hold it instead of squeezing the
    // budget and limit boxes under it (a wrapped label's height depends on its width, which
    // a dialog's layout does not ask about by itself).
    DialogFields::fitToContents(this);
}

void KeyDialog::updateUnknownModelsNote()
{
    // The gateway takes any name, but matches names exactly: a typo gives a key that can call
    // nothing. Said, not refused (a model may be added to the gateway later).
    const QStringList unknown =
        m_available ? DialogFields::unknownModels(DialogFields::parseModels(m_ui->modelsLineEdit->text()),
                                                  m_available->models, m_available->accessGroups)
                    : QStringList();
    if (!unknown.isEmpty())
        m_ui->unknownModelsLabel->setText(
            tr("Not a model or access group of this gateway: %1. Names must match exactly; “*” stands for every "
               "model.")
                .arg(unknown.join(u", "_s)));
    if (m_ui->unknownModelsLabel->isVisibleTo(this) != !unknown.isEmpty()) {
        m_ui->unknownModelsLabel->setVisible(!unknown.isEmpty());
        DialogFields::fitToContents(this);
    }
}

void KeyDialog::setKnownUsers(const QStringList &userIds)
{
    auto *completer = new QCompleter(userIds, this);
    completer->setCaseSensitivity(Qt::CaseInsensitive);
    m_ui->userIdLineEdit->setCompleter(completer);
    m_knownUsers = userIds;
    updateNewUserNote();
}

bool KeyDialog::createsNewUser() const
{
    const QString userId = m_ui->userIdLineEdit->text().trimmed();
    if (!m_knownUsers || userId.isEmpty() || (m_original && userId == m_original->userId))
        return false;
    return !m_knownUsers->contains(userId);
}

void KeyDialog::updateNewUserNote()
{
    // The gateway makes an unknown owner a new user (as LiteLLM does): a typo would give the key
    // an owner without a budget, so it is said here, and on the button, before it happens.
    const bool creates = createsNewUser();
    if (creates) {
        m_ui->newUserLabel->setText(
            tr("There is no user “%1”: a new user of that name will be created, without a budget.")
                .arg(m_ui->userIdLineEdit->text().trimmed()));
    }
    m_ui->newUserLabel->setVisible(creates);
    m_ui->buttonBox->button(QDialogButtonBox::Ok)
        ->setText(creates ? (isNew() ? tr("Create key and user") : tr("Save and create user"))
                          : (isNew() ? tr("Create key") : tr("Save")));
    DialogFields::fitToContents(this);
}

void KeyDialog::setOwner(const UserRecord &owner)
{
    m_owner = owner;
    updateOwnerHints();
}

void KeyDialog::updateOwnerHints()
{
    const bool owned = m_owner && m_ui->userIdLineEdit->text().trimmed() == m_owner->userId;
    m_ui->modelsLineEdit->setPlaceholderText(owned && !m_owner->models.isEmpty()
                                                 ? tr("%1 (user's)").arg(Format::models(m_owner->models))
                                                 : m_modelsPlaceholder);
    m_ui->budgetLimitsWidget->setInheritedLimits(owned ? m_owner->limits : LimitsInfo{});
}

void KeyDialog::updateOkButton()
{
    const bool acceptable = DialogFields::isValidDuration(DialogFields::durationText(m_ui->expiresComboBox))
                            && m_ui->budgetLimitsWidget->hasAcceptableInput();
    m_ui->buttonBox->button(QDialogButtonBox::Ok)->setEnabled(acceptable);
}

} // namespace Tollgate
