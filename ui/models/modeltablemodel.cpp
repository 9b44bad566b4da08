#include "modeltablemodel.h"

#include "../format.h"

#include <QApplication>
#include <QStyle>

#include <limits>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

// "Unknown" sorts after every price.
double priceSortValue(const std::optional<double> &value)
{
    return value ? *value : std::numeric_limits<double>::max();
}

} // namespace

ModelTableModel::ModelTableModel(QObject *parent) : RecordTableModel<ModelRecord>(parent) {}

QIcon ModelTableModel::lockIcon()
{
    // The desktop theme's lock when it has one; a neutral grey one that reads on light and
    // dark palettes otherwise.
    static const QIcon icon = QIcon::fromTheme(u"object-locked"_s, QIcon(u":/tollgate/icons/lock.svg"_s));
    return icon;
}

QIcon ModelTableModel::unpricedIcon()
{
    return QApplication::style()->standardIcon(QStyle::SP_MessageBoxWarning);
}

QString ModelTableModel::unpricedText()
{
    return tr("No price known: calls are served and logged as price_unknown; strict budgets refuse them");
}

std::optional<double> ModelTableModel::perMillion(const std::optional<double> &perToken)
{
    return perToken ? std::optional<double>(*perToken * 1'000'000.0) : std::nullopt;
}

int ModelTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ModelTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (Column(section)) {
        case ModelName: return tr("Model name");
        case ProviderModel: return tr("Provider model");
        case Provider: return tr("Provider");
        case AccessGroups: return tr("Access groups");
        case InputPrice: return tr("Input $/1M");
        case OutputPrice: return tr("Output $/1M");
        case PriceSource: return tr("Price source");
        case Editable: return tr("Editable");
        case ColumnCount: break;
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (Column(section)) {
        case ModelName: return tr("The name clients send as \"model\"");
        case ProviderModel: return tr("What the gateway calls at the provider (litellm_params.model)");
        case InputPrice: return tr("US dollars per million input (prompt) tokens");
        case OutputPrice: return tr("US dollars per million output (completion) tokens");
        case PriceSource: return tr("Where the price comes from: set for the model, or the price catalogue");
        case Editable: return tr("Models from config.yaml are read-only here: edit config.yaml and restart");
        default: break;
        }
    }
    return {};
}

QVariant ModelTableModel::data(const QModelIndex &index, int role) const
{
    const ModelRecord *model = recordFor(index);
    if (!model || index.column() >= ColumnCount)
        return {};
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole: return display(*model, column);
    case SortRole: return sortValue(*model, column);
    case IdRole: return model->id();
    case Qt::ToolTipRole: return toolTip(*model, column);
    case Qt::TextAlignmentRole:
        if (column == InputPrice || column == OutputPrice)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::DecorationRole:
        if (column == ModelName && !model->stored)
            return lockIcon();
        if (column == PriceSource && model->priceUnknown)
            return unpricedIcon();
        return {};
    default: return {};
    }
}

QVariant ModelTableModel::display(const ModelRecord &model, int column) const
{
    switch (Column(column)) {
    case ModelName: return model.modelName;
    case ProviderModel: return model.providerModel;
    case Provider: return model.provider;
    case AccessGroups: return model.accessGroups.isEmpty() ? u"—"_s : model.accessGroups.join(u", "_s);
    case InputPrice: return Format::usd(perMillion(model.inputCostPerToken));
    case OutputPrice: return Format::usd(perMillion(model.outputCostPerToken));
    case PriceSource:
        if (model.priceUnknown)
            return tr("unknown");
        if (model.priceSource.startsWith(u"config"))
            return tr("set for this model");
        if (model.priceSource.startsWith(u"catalogue:"))
            return tr("catalogue (%1)").arg(model.priceSource.mid(10));
        return model.priceSource;
    case Editable: return model.stored ? tr("Editable") : tr("Read-only (config.yaml)");
    case ColumnCount: break;
    }
    return {};
}

QVariant ModelTableModel::sortValue(const ModelRecord &model, int column) const
{
    switch (Column(column)) {
    case InputPrice: return priceSortValue(model.inputCostPerToken);
    case OutputPrice: return priceSortValue(model.outputCostPerToken);
    case Editable: return model.stored;
    case PriceSource: return model.priceUnknown ? QString() : model.priceSource;
    default: return display(model, column);
    }
}

QVariant ModelTableModel::toolTip(const ModelRecord &model, int column) const
{
    switch (Column(column)) {
    case ModelName:
        if (!model.stored)
            return tr("%1 comes from config.yaml and is read-only here").arg(model.modelName);
        return tr("%1 was added in Tollgate (id %2)").arg(model.modelName, model.modelId);
    case ProviderModel:
        return model.apiBase.isEmpty() ? model.providerModel : tr("%1 at %2").arg(model.providerModel, model.apiBase);
    case InputPrice:
    case OutputPrice:
    case PriceSource:
        if (model.priceUnknown)
            return unpricedText();
        return model.priceSource;
    case Editable: return display(model, column);   // whole where the column gives way
    default: return {};
    }
}

} // namespace Tollgate
