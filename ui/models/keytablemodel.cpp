#include "keytablemodel.h"

#include "../format.h"
#include "../spendmath.h"
#include "columnvalues.h"

#include <QApplication>
#include <QStyle>

using namespace Qt::StringLiterals;

namespace Tollgate {

KeyTableModel::KeyTableModel(QObject *parent)
    : RecordTableModel<KeyRecord>(parent), m_now([] { return QDateTime::currentDateTimeUtc(); })
{
}

int KeyTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant KeyTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (Column(section)) {
        case Name: return tr("Key");
        case Owner: return tr("Owner");
        case Models: return tr("Models");
        case Spend: return tr("Spend");
        case MaxBudget: return tr("Max budget");
        case BudgetReset: return tr("Budget reset");
        case Limits: return tr("RPM / TPM / Parallel");
        case Expires: return tr("Expires");
        case Blocked: return tr("Blocked");
        case ColumnCount: break;
        }
    }
    if (role == Qt::ToolTipRole && section == Limits)
        return tr("Requests per minute, tokens per minute and parallel requests allowed (— = no limit)");
    return {};
}

void KeyTableModel::setOwners(const QList<UserRecord> &users)
{
    QHash<QString, UserRecord> owners;
    for (const UserRecord &user : users)
        owners.insert(user.userId, user);
    if (owners == m_owners)
        return;
    m_owners = owners;
    if (rowCount() > 0)
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

const UserRecord *KeyTableModel::owner(const QString &userId) const
{
    if (userId.isEmpty())
        return nullptr;
    const auto found = m_owners.constFind(userId);
    return found == m_owners.cend() ? nullptr : &*found;
}

bool KeyTableModel::isOverBudget(const KeyRecord &key) const
{
    if (SpendMath::budgetLevel(key.budget) == SpendMath::BudgetLevel::Exceeded)
        return true;
    const UserRecord *user = owner(key.userId);
    return user && user->budget.maxBudget && SpendMath::budgetLevel(user->budget) == SpendMath::BudgetLevel::Exceeded;
}

QString KeyTableModel::budgetNote(const KeyRecord &key) const
{
    const UserRecord *user = owner(key.userId);
    if (!user || !user->budget.maxBudget)
        return {};
    return tr("The budget of its user %1 applies too: %2 of %3 spent. A call must fit both.")
        .arg(key.userId, Format::usd(user->budget.spend), Format::usd(*user->budget.maxBudget));
}

QString KeyTableModel::limitsText(const KeyRecord &key) const
{
    // Each limit the key has not got is its owner's, when the owner has one: that one applies.
    const UserRecord *user = owner(key.userId);
    const auto text = [this](const std::optional<qint64> &own, const std::optional<qint64> &owners) {
        if (!own && owners)
            return tr("%1 (user's)").arg(Format::count(owners));
        return Format::count(own);
    };
    if (!user)
        return ColumnValues::limits(key.limits);
    return u"%1 / %2 / %3"_s.arg(text(key.limits.rpm, user->limits.rpm), text(key.limits.tpm, user->limits.tpm),
                                 text(key.limits.maxParallel, user->limits.maxParallel));
}

QVariant KeyTableModel::data(const QModelIndex &index, int role) const
{
    const KeyRecord *key = recordFor(index);
    if (!key || index.column() >= ColumnCount)
        return {};
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole: return display(*key, column, m_now());
    case SortRole: return sortValue(*key, column);
    case IdRole: return key->id();
    case Qt::ToolTipRole: return toolTip(*key, column, m_now());
    case Qt::TextAlignmentRole:
        if (column == Spend || column == MaxBudget || column == Limits)
            return ColumnValues::numberAlignment();
        return {};
    case Qt::DecorationRole:
        if (column == Blocked && key->blocked)
            return ColumnValues::blockedIcon();
        if (column == Spend && isOverBudget(*key))
            return QApplication::style()->standardIcon(QStyle::SP_MessageBoxCritical);
        return {};
    case Qt::ForegroundRole: {
        const bool expired = key->expires.isValid() && key->expires <= m_now();
        return key->blocked || expired ? ColumnValues::inactiveForeground() : QVariant();
    }
    default: return {};
    }
}

QVariant KeyTableModel::display(const KeyRecord &key, int column, const QDateTime &now) const
{
    switch (Column(column)) {
    case Name: return key.displayName();
    case Owner: return key.userId.isEmpty() ? u"—"_s : key.userId;
    case Models: {
        // The owner's list when the key has none: the key may use those (api.md: key ∩ user).
        const UserRecord *user = owner(key.userId);
        if (key.models.isEmpty() && user && !user->models.isEmpty())
            return tr("%1 (user's)").arg(Format::models(user->models));
        return Format::models(key.models);
    }
    case Spend: return Format::usd(key.budget.spend);
    case MaxBudget: {
        // The owner's budget when the key has none of its own: that is the one that applies.
        const UserRecord *user = owner(key.userId);
        if (!key.budget.maxBudget && user && user->budget.maxBudget)
            return tr("%1 (user's)").arg(Format::usd(*user->budget.maxBudget));
        return Format::usd(key.budget.maxBudget);
    }
    case BudgetReset: return Format::countdown(key.budget.resetAt, now);
    case Limits: return limitsText(key);
    case Expires: return Format::expiry(key.expires, now);
    case Blocked: return key.blocked ? tr("Blocked") : QString();
    case ColumnCount: break;
    }
    return {};
}

QVariant KeyTableModel::sortValue(const KeyRecord &key, int column) const
{
    switch (Column(column)) {
    case Name: return key.displayName();
    case Owner: return key.userId;
    case Models: return key.models.join(u", "_s);
    case Spend: return key.budget.spend;
    case MaxBudget: return ColumnValues::budgetSortValue(key.budget.maxBudget);
    case BudgetReset: return ColumnValues::timeSortValue(key.budget.resetAt);
    case Limits: return ColumnValues::limitSortValue(key.limits.rpm);
    case Expires: return ColumnValues::timeSortValue(key.expires);
    case Blocked: return key.blocked;
    case ColumnCount: break;
    }
    return {};
}

QVariant KeyTableModel::toolTip(const KeyRecord &key, int column, const QDateTime &now) const
{
    switch (Column(column)) {
    case Name: {
        QString text = tr("%1\nCreated %2").arg(key.keyName, Format::dateTime(key.createdAt));
        if (!key.createdBy.isEmpty())
            text = tr("%1\nCreated %2 by %3").arg(key.keyName, Format::dateTime(key.createdAt), key.createdBy);
        return text;
    }
    case Owner:
        return key.userId.isEmpty() ? tr("No owner: only the key's own models and limits apply.")
                                    : tr("The user's models and budget apply to this key too.");
    case Models:
        return key.models.isEmpty() ? tr("Every model (or the owner's models, when the owner has a list)")
                                    : key.models.join(u'\n');
    case Spend: {
        QString text = ColumnValues::spendToolTip(key.budget);
        if (isOverBudget(key))
            text = tr("Over budget: calls with this key are refused until the budget resets or is raised.")
                   + u'\n' + text;
        return text;
    }
    case MaxBudget:
    case BudgetReset: {
        QString text = ColumnValues::budgetToolTip(key.budget);
        if (const QString note = budgetNote(key); !note.isEmpty())
            text += u'\n' + note;
        return text;
    }
    case Limits: {
        QString text = ColumnValues::limitsToolTip(key.limits);
        if (const UserRecord *user = owner(key.userId);
            user && (user->limits.rpm || user->limits.tpm || user->limits.maxParallel))
            text += u"\n\n"_s + tr("The limits of its user %1 apply too, to all their keys together:").arg(key.userId)
                    + u'\n' + ColumnValues::limitsToolTip(user->limits);
        return text;
    }
    case Expires:
        if (key.expires.isValid() && key.expires <= now)
            return tr("Expired on %1: calls with this key are refused.").arg(Format::dateTime(key.expires));
        return key.expires.isValid() ? Format::dateTime(key.expires) : tr("This key does not expire.");
    case Blocked:
        return key.blocked ? tr("Blocked: calls with this key are refused until it is unblocked.") : QString();
    case ColumnCount: break;
    }
    return {};
}

} // namespace Tollgate
