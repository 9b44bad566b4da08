#pragma once

#include "../apitypes.h"
#include "../recordtablemodel.h"

#include <QIcon>

namespace Tollgate {

// The Models list: one row per deployment (GET /v1/model/info). Models from config.yaml are
// read-only (a lock on the name); models without a known price carry a warning, because
// they are served and logged as price_unknown and strict budgets refuse them.
class ModelTableModel final : public RecordTableModel<ModelRecord>
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ModelTableModel)

public:
    enum Column {
        ModelName,
        ProviderModel,
        Provider,
        AccessGroups,
        InputPrice,     // USD per 1M input tokens
        OutputPrice,    // USD per 1M output tokens
        PriceSource,
        Editable,
        ColumnCount
    };
    Q_ENUM(Column)

    explicit ModelTableModel(QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    // The marker icons, shared with the page's buttons and tests.
    [[nodiscard]] static QIcon lockIcon();
    [[nodiscard]] static QIcon unpricedIcon();
    [[nodiscard]] static QString unpricedText();
    // USD per token → USD per 1M tokens, as the window shows prices.
    [[nodiscard]] static std::optional<double> perMillion(const std::optional<double> &perToken);

private:
    QVariant display(const ModelRecord &model, int column) const;
    QVariant sortValue(const ModelRecord &model, int column) const;
    QVariant toolTip(const ModelRecord &model, int column) const;
};

} // namespace Tollgate
