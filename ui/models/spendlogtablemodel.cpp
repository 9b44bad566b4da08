#include "spendlogtablemodel.h"

#include <QColor>

#include "ui/format.h"
#include "ui/identitylists.h"

#include <QLocale>

using namespace Qt::StringLiterals;

namespace Tollgate {

SpendLogTableModel::SpendLogTableModel(QObject *parent) : RecordTableModel<SpendRecord>(parent) {}

int SpendLogTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SpendLogTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Time: return tr("Time");
    case Key: return tr("Key");
    case User: return tr("User");
    case EndUser: return tr("End user");
    case Model: return tr("Model");
    case Session: return tr("Session");
    case Spend: return tr("Spend");
    case Tokens: return tr("Tokens");
    case Status: return tr("Status");
    case Flags: return tr("Flags");
    case RequestId: return tr("Request id");
    default: return {};
    }
}

void SpendLogTableModel::setKeyNames(const QHash<QString, QString> &names)
{
    if (names == m_keyNames)
        return;
    m_keyNames = names;
    if (rowCount() > 0)
        Q_EMIT dataChanged(index(0, Key), index(rowCount() - 1, Key));
}

QString SpendLogTableModel::keyName(const QString &token) const
{
    return IdentityLists::keyLabel(m_keyNames, token);
}

QString SpendLogTableModel::flags(const SpendRecord &record) const
{
    QStringList list;
    if (record.costEstimated)
        list.append(tr("estimated"));
    if (record.priceUnknown)
        list.append(tr("price unknown"));
    return QLocale().createSeparatedList(list);
}

QString SpendLogTableModel::statusText(const SpendRecord &record)
{
    QString text;
    if (record.status == u"success")
        text = tr("served");
    else if (record.status == u"refused")
        text = tr("refused");
    else if (record.status == u"failure")
        text = tr("failed");
    else if (record.status == u"client_disconnected")
        text = tr("client left");
    else if (record.status == u"timeout")
        text = tr("timed out");
    else if (record.status == u"interrupted")
        text = tr("cut off when Tollgate stopped");
    else
        text = record.status;
    return record.httpStatus > 0 ? tr("%1 (%2)").arg(text).arg(record.httpStatus) : text;
}

QString SpendLogTableModel::tokenSplit(const SpendRecord &record) const
{
    const QLocale locale;
    QString text = tr("%1 prompt + %2 completion").arg(locale.toString(record.promptTokens),
                                                       locale.toString(record.completionTokens));
    // Cache reads and writes are priced apart from the rest of the prompt: the split
    // explains a call's cost.
    QStringList prompt;
    if (record.cachedTokens > 0)
        prompt.append(tr("%1 read from the cache").arg(locale.toString(record.cachedTokens)));
    if (record.cacheWriteTokens > 0) {
        prompt.append(record.cacheWrite1hTokens > 0
                          ? tr("%1 written to the cache (%2 for 1 hour)")
                                .arg(locale.toString(record.cacheWriteTokens), locale.toString(record.cacheWrite1hTokens))
                          : tr("%1 written to the cache").arg(locale.toString(record.cacheWriteTokens)));
    }
    if (!prompt.isEmpty())
        text += u'\n' + tr("Of the prompt: %1").arg(locale.createSeparatedList(prompt));
    return text;
}

QVariant SpendLogTableModel::display(const SpendRecord &record, int column) const
{
    switch (column) {
    case Time: return Format::dateTime(record.startTime);
    case Key:
        if (record.apiKey.isEmpty() && record.status == u"refused")
            return tr("no valid key");
        return keyName(record.apiKey);
    case User: return record.userId.isEmpty() ? u"—"_s : record.userId;
    case EndUser: return record.endUser.isEmpty() ? u"—"_s : record.endUser;
    case Model: return record.modelGroup.isEmpty() ? record.model : record.modelGroup;
    case Session: return record.sessionId.isEmpty() ? u"—"_s : record.sessionId;
    case Spend: return Format::usd(record.spend);
    case Tokens: return Format::count(record.totalTokens);
    case Status: return statusText(record);
    case Flags: return flags(record);
    case RequestId: return record.requestId;
    default: return {};
    }
}

QVariant SpendLogTableModel::sortValue(const SpendRecord &record, int column) const
{
    switch (column) {
    case Time: return record.startTime.toMSecsSinceEpoch();
    case Spend: return record.spend;
    case Tokens: return record.totalTokens;
    default: return display(record, column);
    }
}

QVariant SpendLogTableModel::data(const QModelIndex &index, int role) const
{
    const SpendRecord *record = recordFor(index);
    if (!record || index.column() >= ColumnCount)
        return {};
    switch (role) {
    case Qt::DisplayRole: return display(*record, index.column());
    case SortRole: return sortValue(*record, index.column());
    case IdRole: return record->id();
    case Qt::ForegroundRole:
        // Refused and failed calls stand out: they are who hits a limit, or a provider down.
        if (index.column() == Status && record->status == u"refused")
            return QColor(0xb3, 0x6b, 0x00);
        if (index.column() == Status && record->status == u"failure")
            return QColor(0xc0, 0x1c, 0x28);
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == Spend || index.column() == Tokens)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::ToolTipRole:
        switch (index.column()) {
        case Time: return tr("Started %1, ended %2").arg(Format::dateTime(record->startTime), Format::dateTime(record->endTime));
        case Key: return record->apiKey;
        case Model: {
            QStringList lines;
            if (record->model != record->modelGroup && !record->model.isEmpty())
                lines.append(tr("Deployment model: %1").arg(record->model));
            if (!record->dialect.isEmpty())
                lines.append(tr("Client API: %1").arg(record->dialect));
            return lines.isEmpty() ? QVariant() : QVariant(lines.join(u'\n'));
        }
        case Session: return record->sessionId.isEmpty() ? QVariant() : QVariant(record->sessionId);
        case Status: return record->reason.isEmpty() ? QVariant() : QVariant(record->reason);
        case Tokens: return tokenSplit(*record);
        case Flags: {
            QStringList why;
            if (record->costEstimated)
                why.append(tr("The provider reported no usage: tokens and cost were estimated."));
            if (record->priceUnknown)
                why.append(tr("No price is known for this model: the call was logged at $0."));
            return why.isEmpty() ? QVariant() : QVariant(why.join(u'\n'));
        }
        default: return {};
        }
    default: return {};
    }
}

} // namespace Tollgate
