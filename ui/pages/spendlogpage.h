#pragma once

#include "../page.h"

#include <QDateTime>
#include <QUrlQuery>

#include <optional>

class QComboBox;
class QDateTimeEdit;
class QLabel;
class QLineEdit;
class QPushButton;
class QStringListModel;

namespace Tollgate {

class SpendLogTableModel;
class TableView;
struct SpendRecord;

// The spend log's filters as the API takes them (GET /spend/logs, /spend/logs/export.csv).
struct SpendLogQuery
{
    QDateTime from;       // invalid: from the first call
    QDateTime until;      // invalid: up to now (inclusive bound)
    QString apiKey;       // key token
    QString userId;
    QString endUser;
    QString model;        // a part of the model group clients asked for, any case (model_contains)
    QString sessionId;    // a coding agent's session
    QString status;       // success, refused, failure, client_disconnected, timeout, interrupted; empty: all

    [[nodiscard]] QUrlQuery toUrlQuery() const;
    friend bool operator==(const SpendLogQuery &, const SpendLogQuery &) = default;
};

// Spend log: every call, newest first, a page at a time, filtered by time, key, user, end
// user, model and agent session; the filtered rows export to CSV.
class SpendLogPage final : public Page
{
    Q_OBJECT

public:
    enum class Preset { Today, SevenDays, ThirtyDays, All };
    // Rows per page: enough to scroll, small enough to fetch in a blink.
    static constexpr int PageSize = 250;

    explicit SpendLogPage(ApiClient *api, QWidget *parent = nullptr);
    ~SpendLogPage() override;

    [[nodiscard]] QString title() const override { return tr("Spend log"); }
    [[nodiscard]] QIcon icon() const override;
    // Ctrl+F: the key filter, the first question about spend ("who?").
    [[nodiscard]] QWidget *searchField() const override;

    // The filters as the widgets show them; setQuery() changes the widgets and reloads.
    [[nodiscard]] SpendLogQuery query() const;
    void setQuery(const SpendLogQuery &query);
    void applyPreset(Preset preset);

    [[nodiscard]] SpendLogTableModel *model() const { return m_model; }
    [[nodiscard]] TableView *view() const { return m_view; }
    [[nodiscard]] bool hasMore() const { return m_hasMore; }
    // Fetches the next page of older rows.
    void loadMore();

    // Streams the rows matching the current filters into `path` as CSV (the Export button
    // asks for the path first); exportFinished() tells how it went.
    void exportTo(const QString &path);

Q_SIGNALS:
    // rows: CSV records written (header not counted); error empty on success.
    void exportFinished(qint64 rows, const QString &error);

protected:
    void doRefresh() override;
    void clearData() override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void buildFilters();
    void filtersEdited();
    void fetchPage(int page, int pageSize, bool replace);
    void fetchMatchingSpend();
    void mergeRows(QList<SpendRecord> fresh, bool replace, int pageSize);
    void updateStatus();
    void updateCompleters();
    void showContextMenu(int sourceRow, const QPoint &globalPos);
    void fillKeyCombo();
    void fetchKeyNames();
    // Rows of keys the names do not know yet (a key made since): fetched again, once per token.
    void fetchNamesOfNewKeys();
    void askExport();

    SpendLogTableModel *m_model;
    TableView *m_view;
    QDateTimeEdit *m_fromEdit = nullptr;
    QDateTimeEdit *m_untilEdit = nullptr;
    QComboBox *m_keyCombo = nullptr;
    QLineEdit *m_userEdit = nullptr;
    QLineEdit *m_endUserEdit = nullptr;
    QLineEdit *m_modelEdit = nullptr;
    QLineEdit *m_sessionEdit = nullptr;
    QComboBox *m_statusCombo = nullptr;
    QPushButton *m_exportButton = nullptr;
    QPushButton *m_loadMoreButton = nullptr;
    QLabel *m_statusLabel = nullptr;
    QStringListModel *m_userNames;
    QStringListModel *m_endUserNames;
    QStringListModel *m_modelNames;
    QStringListModel *m_sessionIds;

    QList<QPair<QString, QString>> m_keys;   // token, name (for the combo)
    QSet<QString> m_knownTokens;             // named, or looked up already (deleted keys)
    bool m_fetchingKeys = false;
    bool m_keyNamesStale = false;            // a change through the window since they were fetched
    SpendLogQuery m_active;                  // the filters the rows were fetched with
    bool m_loaded = false;                   // m_active has been fetched at least once
    bool m_hasMore = false;
    std::optional<double> m_matchingSpend;   // spend of every row matching the filters (not only those loaded)
    bool m_exporting = false;
    quint64 m_generation = 0;                // answers for older filters are dropped
    int m_refreshes = 0;
};

} // namespace Tollgate
