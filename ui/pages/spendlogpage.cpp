#include "spendlogpage.h"

#include "../apiclient.h"
#include "../apitypes.h"
#include "../format.h"
#include "../identitylists.h"
#include "../models/spendlogtablemodel.h"
#include "../pageicon.h"
#include "../tableview.h"
#include "models/identity.h"

#include <QApplication>
#include <QCalendarWidget>
#include <QClipboard>
#include <QComboBox>
#include <QCompleter>
#include <QDateTimeEdit>
#include <QEvent>
#include <QFileInfo>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QSaveFile>
#include <QSet>
#include <QStandardPaths>
#include <QStringListModel>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

#include <memory>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

// The refresh every second asks only for the newest rows; when none of them is known any
// more (a burst of calls), the first page is fetched again whole.
constexpr int HeadSize = 50;
// The key list changes rarely: fetched again every this many refreshes.
constexpr int KeyListEvery = 30;
// "No bound" in the date edits: their minimum, shown as the special text.
const QDateTime NoBound(QDate(2000, 1, 1), QTime(0, 0));

// CSV records in `file` after the header (quoted fields may hold line breaks).
qint64 countCsvRecords(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    qint64 lines = 0;
    bool quoted = false;
    bool pending = false;   // characters since the last record end
    while (!file.atEnd()) {
        const QByteArray chunk = file.read(1 << 16);
        for (const char c : chunk) {
            if (c == '"')
                quoted = !quoted;
            if (c == '\n' && !quoted) {
                ++lines;
                pending = false;
            } else if (c != '\r') {
                pending = true;
            }
        }
    }
    if (pending)
        ++lines;
    return std::max<qint64>(0, lines - 1);
}

// The width of a label's text drawn a letter at a time (as a mnemonic's runs are).
int unkernedWidth(const QLabel *label)
{
    QString text = label->text();
    text.remove(u'&');
    int width = 0;
    for (const QChar c : std::as_const(text))
        width += label->fontMetrics().horizontalAdvance(c);
    const QMargins margins = label->contentsMargins();
    return width + margins.left() + margins.right() + 2 * label->margin();
}

} // namespace

QUrlQuery SpendLogQuery::toUrlQuery() const
{
    QUrlQuery query;
    if (from.isValid())
        query.addQueryItem(u"start_date"_s, isoUtc(from));
    if (until.isValid())
        query.addQueryItem(u"end_date"_s, isoUtc(until));
    if (!apiKey.isEmpty())
        query.addQueryItem(u"api_key"_s, apiKey);
    if (!userId.isEmpty())
        query.addQueryItem(u"user_id"_s, userId);
    if (!endUser.isEmpty())
        query.addQueryItem(u"end_user"_s, endUser);
    // The field is a search: "gpt-4" finds gpt-4o and gpt-4o-mini (`model` would be exact).
    if (!model.isEmpty())
        query.addQueryItem(u"model_contains"_s, model);
    if (!sessionId.isEmpty())
        query.addQueryItem(u"session_id"_s, sessionId);
    if (!status.isEmpty())
        query.addQueryItem(u"status"_s, status);
    return query;
}

SpendLogPage::SpendLogPage(ApiClient *api, QWidget *parent)
    : Page(api, parent)
    , m_model(new SpendLogTableModel(this))
    , m_view(new TableView(this))
    , m_userNames(new QStringListModel(this))
    , m_endUserNames(new QStringListModel(this))
    , m_modelNames(new QStringListModel(this))
    , m_sessionIds(new QStringListModel(this))
{
    setObjectName(u"spendLogPage"_s);
    // A key renamed, its name cleared, a key made or deleted: its rows are named anew.
    connect(api, &ApiClient::changed, this, [this] { m_keyNamesStale = true; });
    auto *layout = new QVBoxLayout(this);
    buildFilters();

    m_view->setObjectName(u"spendLogTableView"_s);
    m_view->setSourceModel(m_model);
    m_view->setEmptyText(tr("No calls match these filters. Calls through the gateway appear here "
                            "within a second; widen the time range or press All to see every call."));
    m_view->sortByColumn(SpendLogTableModel::Time, Qt::DescendingOrder);
    // The request id is the longest and the least read: it gives way when the window narrows.
    m_view->setStretchColumn(SpendLogTableModel::RequestId);
    connect(m_view, &TableView::contextMenuRequested, this, &SpendLogPage::showContextMenu);
    layout->addWidget(m_view, 1);

    auto *bottom = new QHBoxLayout;
    m_statusLabel = new QLabel(this);
    m_statusLabel->setObjectName(u"statusLabel"_s);
    bottom->addWidget(m_statusLabel, 1);
    m_loadMoreButton = new QPushButton(tr("Load %n older row(s)", nullptr, PageSize), this);
    m_loadMoreButton->setObjectName(u"loadMoreButton"_s);
    m_loadMoreButton->setEnabled(false);
    connect(m_loadMoreButton, &QPushButton::clicked, this, &SpendLogPage::loadMore);
    bottom->addWidget(m_loadMoreButton);
    layout->addLayout(bottom);
    updateStatus();
}

bool SpendLogPage::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::Show) {
        for (QDateTimeEdit *edit : {m_fromEdit, m_untilEdit}) {
            // Only the page shown moves (no date is picked): cancelling keeps "any time".
            if (edit && watched == edit->calendarWidget() && edit->dateTime() <= NoBound) {
                const QDate today = QDate::currentDate();
                edit->calendarWidget()->setCurrentPage(today.year(), today.month());
            }
        }
    }
    return Page::eventFilter(watched, event);
}

SpendLogPage::~SpendLogPage()
{
    // Closing the window moves the focus, and a focused filter field then says "editing
    // finished" to a page that is half gone: the fields stop talking to it first.
    for (QWidget *child : findChildren<QWidget *>())
        disconnect(child, nullptr, this, nullptr);
}

QWidget *SpendLogPage::searchField() const
{
    return m_keyCombo;
}

QIcon SpendLogPage::icon() const
{
    return pageIcon({u"view-financial-transactions"_s, u"view-list-details"_s}, u"spendlog"_s, this);
}

void SpendLogPage::buildFilters()
{
    auto *outer = qobject_cast<QVBoxLayout *>(layout());

    auto *timeRow = new QHBoxLayout;
    const auto makeTimeEdit = [this](const QString &name) {
        auto *edit = new QDateTimeEdit(this);
        edit->setObjectName(name);
        edit->setCalendarPopup(true);
        edit->setDisplayFormat(QString::fromUtf16(Format::DateTimePattern));   // as in the table
        edit->setMinimumDateTime(NoBound);
        edit->setSpecialValueText(tr("any time"));
        edit->setDateTime(NoBound);
        connect(edit, &QDateTimeEdit::editingFinished, this, &SpendLogPage::filtersEdited);
        // "Any time" is the year 2000: the calendar opens on this month instead (eventFilter).
        edit->calendarWidget()->installEventFilter(this);
        return edit;
    };
    m_fromEdit = makeTimeEdit(u"fromDateTimeEdit"_s);
    m_untilEdit = makeTimeEdit(u"untilDateTimeEdit"_s);
    auto *fromLabel = new QLabel(tr("&From"), this);
    fromLabel->setBuddy(m_fromEdit);
    auto *untilLabel = new QLabel(tr("&To"), this);
    untilLabel->setObjectName(u"untilLabel"_s);
    untilLabel->setBuddy(m_untilEdit);
    timeRow->addWidget(fromLabel);
    timeRow->addWidget(m_fromEdit);
    timeRow->addWidget(untilLabel);
    timeRow->addWidget(m_untilEdit);
    const auto addPreset = [this, timeRow](const QString &text, const QString &name, Preset preset) {
        auto *button = new QToolButton(this);
        button->setText(text);
        button->setObjectName(name);
        connect(button, &QToolButton::clicked, this, [this, preset] { applyPreset(preset); });
        timeRow->addWidget(button);
    };
    addPreset(tr("Today"), u"todayToolButton"_s, Preset::Today);
    addPreset(tr("7 days"), u"sevenDaysToolButton"_s, Preset::SevenDays);
    addPreset(tr("30 days"), u"thirtyDaysToolButton"_s, Preset::ThirtyDays);
    addPreset(tr("All"), u"allToolButton"_s, Preset::All);
    timeRow->addSpacing(12);
    // Refused calls ($0) show who hits which limit; failed ones, a provider in trouble.
    m_statusCombo = new QComboBox(this);
    m_statusCombo->setObjectName(u"statusComboBox"_s);
    m_statusCombo->addItem(tr("All calls"), QString());
    m_statusCombo->addItem(tr("Served"), u"success"_s);
    m_statusCombo->addItem(tr("Refused by Tollgate"), u"refused"_s);
    m_statusCombo->addItem(tr("Failed at the provider"), u"failure"_s);
    m_statusCombo->addItem(tr("Client left"), u"client_disconnected"_s);
    m_statusCombo->addItem(tr("Timed out at the provider"), u"timeout"_s);
    m_statusCombo->addItem(tr("Cut off when Tollgate stopped"), u"interrupted"_s);
    connect(m_statusCombo, &QComboBox::activated, this, &SpendLogPage::filtersEdited);
    auto *statusLabel = new QLabel(tr("S&how"), this);
    statusLabel->setBuddy(m_statusCombo);
    timeRow->addWidget(statusLabel);
    timeRow->addWidget(m_statusCombo);
    timeRow->addStretch(1);
    outer->addLayout(timeRow);

    auto *filterRow = new QHBoxLayout;
    m_keyCombo = new QComboBox(this);
    m_keyCombo->setObjectName(u"keyComboBox"_s);
    m_keyCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_keyCombo->addItem(tr("All keys"), QString());
    connect(m_keyCombo, &QComboBox::activated, this, &SpendLogPage::filtersEdited);
    auto *keyLabel = new QLabel(tr("&Key"), this);
    keyLabel->setBuddy(m_keyCombo);
    filterRow->addWidget(keyLabel);
    filterRow->addWidget(m_keyCombo);

    const auto makeLineEdit = [this, filterRow](const QString &label, const QString &name, const QString &placeholder,
                                                QStringListModel *names) {
        auto *edit = new QLineEdit(this);
        edit->setObjectName(name);
        edit->setPlaceholderText(placeholder);
        edit->setClearButtonEnabled(true);
        auto *completer = new QCompleter(names, edit);
        completer->setCaseSensitivity(Qt::CaseInsensitive);
        edit->setCompleter(completer);
        connect(edit, &QLineEdit::editingFinished, this, &SpendLogPage::filtersEdited);
        auto *buddy = new QLabel(label, this);
        buddy->setBuddy(edit);
        filterRow->addWidget(buddy);
        filterRow->addWidget(edit);
        return edit;
    };
    m_userEdit = makeLineEdit(tr("&User"), u"userLineEdit"_s, tr("any user"), m_userNames);
    m_endUserEdit = makeLineEdit(tr("&End user"), u"endUserLineEdit"_s, tr("any end user"), m_endUserNames);
    m_modelEdit = makeLineEdit(tr("&Model"), u"modelLineEdit"_s, tr("any model"), m_modelNames);
    m_sessionEdit = makeLineEdit(tr("&Session"), u"sessionLineEdit"_s, tr("any session"), m_sessionIds);

    auto *clear = new QPushButton(tr("Clear filters"), this);
    clear->setObjectName(u"clearFiltersButton"_s);
    connect(clear, &QPushButton::clicked, this, [this] { setQuery({}); });
    filterRow->addWidget(clear);
    m_exportButton = new QPushButton(tr("Export CSV…"), this);
    m_exportButton->setObjectName(u"exportButton"_s);
    m_exportButton->setToolTip(tr("Save every row matching the filters (not only the loaded ones) as CSV"));
    connect(m_exportButton, &QPushButton::clicked, this, &SpendLogPage::askExport);
    filterRow->addWidget(m_exportButton);
    outer->addLayout(filterRow);

    // A label's size hint is its kerned width ("To" is narrower than T + o), but a mnemonic's
    // underline splits the text into runs drawn unkerned: the last letter was cut off.
    for (QLabel *label : findChildren<QLabel *>()) {
        if (label->buddy())
            label->setMinimumWidth(std::max(label->sizeHint().width(), unkernedWidth(label)));
    }
}

SpendLogQuery SpendLogPage::query() const
{
    SpendLogQuery query;
    if (m_fromEdit->dateTime() > NoBound)
        query.from = m_fromEdit->dateTime();
    if (m_untilEdit->dateTime() > NoBound) {
        // The edit shows minutes: "to 10:59" includes the whole minute.
        const QDateTime until = m_untilEdit->dateTime();
        query.until = QDateTime(until.date(), QTime(until.time().hour(), until.time().minute(), 59, 999));
    }
    query.apiKey = m_keyCombo->currentData().toString();
    query.userId = m_userEdit->text().trimmed();
    query.endUser = m_endUserEdit->text().trimmed();
    query.model = m_modelEdit->text().trimmed();
    query.sessionId = m_sessionEdit->text().trimmed();
    query.status = m_statusCombo->currentData().toString();
    return query;
}

void SpendLogPage::setQuery(const SpendLogQuery &query)
{
    m_fromEdit->setDateTime(query.from.isValid() ? query.from.toLocalTime() : NoBound);
    m_untilEdit->setDateTime(query.until.isValid() ? query.until.toLocalTime() : NoBound);
    int keyIndex = m_keyCombo->findData(query.apiKey);
    if (keyIndex < 0) {
        // Not in the list (yet): kept as a filter all the same.
        m_keyCombo->addItem(m_model->keyName(query.apiKey), query.apiKey);
        keyIndex = m_keyCombo->count() - 1;
    }
    m_keyCombo->setCurrentIndex(keyIndex);
    m_userEdit->setText(query.userId);
    m_endUserEdit->setText(query.endUser);
    m_modelEdit->setText(query.model);
    m_sessionEdit->setText(query.sessionId);
    m_statusCombo->setCurrentIndex(std::max(0, m_statusCombo->findData(query.status)));
    filtersEdited();
}

void SpendLogPage::applyPreset(Preset preset)
{
    const QDateTime now = QDateTime::currentDateTime();
    QDateTime from;
    switch (preset) {
    case Preset::Today: from = QDateTime(now.date(), QTime(0, 0)); break;
    case Preset::SevenDays: from = now.addDays(-7); break;
    case Preset::ThirtyDays: from = now.addDays(-30); break;
    case Preset::All: break;
    }
    m_fromEdit->setDateTime(from.isValid() ? from : NoBound);
    m_untilEdit->setDateTime(NoBound);
    filtersEdited();
}

void SpendLogPage::filtersEdited()
{
    if (query() == m_active && m_loaded)
        return;
    // Picked up by the refresh under way's successor, or now.
    refresh();
}

void SpendLogPage::doRefresh()
{
    ++m_refreshes;
    if (m_keys.isEmpty() || m_keyNamesStale || m_refreshes % KeyListEvery == 1)
        fetchKeyNames();
    const SpendLogQuery current = query();
    if (current != m_active || !m_loaded) {
        m_active = current;
        m_loaded = true;
        ++m_generation;
        m_matchingSpend.reset();
        fetchPage(1, PageSize, true);
    } else {
        fetchPage(1, HeadSize, false);
    }
    fetchMatchingSpend();
}

void SpendLogPage::clearData()
{
    ++m_generation;   // answers under way are for the old gateway
    m_loaded = false; // the next refresh fetches the first page anew
    m_hasMore = false;
    m_matchingSpend.reset();
    m_model->clear();
    m_model->setKeyNames({});
    m_keys.clear();
    m_knownTokens.clear();
    fillKeyCombo();
    updateCompleters();
    updateStatus();
    m_statusLabel->setText(tr("Waiting for the gateway to answer…"));
}

void SpendLogPage::fetchMatchingSpend()
{
    // GET /global/spend takes the log's filters: the total of every matching row.
    beginCall();
    api()->get(u"/global/spend"_s, m_active.toUrlQuery(), this, [this, generation = m_generation](const ApiReply &reply) {
        if (generation == m_generation && reply.ok()) {
            m_matchingSpend = reply.json.object().value(u"spend"_s).toDouble();
            updateStatus();
        }
        endCall();
    });
}

void SpendLogPage::fetchKeyNames()
{
    if (m_fetchingKeys)
        return;
    m_fetchingKeys = true;
    m_keyNamesStale = false;
    beginCall();
    IdentityLists::fetchKeys(api(), this, [this](const QList<KeyRecord> &keys, bool ok) {
        m_fetchingKeys = false;
        if (ok) {
            m_keys.clear();
            for (const KeyRecord &key : keys)
                m_keys.append({key.token, key.displayName()});
            const QString master = api()->masterKeyToken();
            const QHash<QString, QString> names =
                IdentityLists::keyNames(keys, master, api()->previousMasterKeyTokens());
            // Calls made with the master key can be picked too.
            if (!master.isEmpty())
                m_keys.append({master, names.value(master)});
            m_model->setKeyNames(names);
            // Every token shown now has its name, or is a deleted key's.
            for (const SpendRecord &row : m_model->records())
                m_knownTokens.insert(row.apiKey);
            for (auto it = names.cbegin(); it != names.cend(); ++it)
                m_knownTokens.insert(it.key());
            fillKeyCombo();
        }
        endCall();
    });
}

void SpendLogPage::fetchNamesOfNewKeys()
{
    const bool unknown = std::any_of(m_model->records().cbegin(), m_model->records().cend(), [this](const SpendRecord &row) {
        return !row.apiKey.isEmpty() && !m_knownTokens.contains(row.apiKey);
    });
    if (unknown)
        fetchKeyNames();
}

void SpendLogPage::fetchPage(int page, int pageSize, bool replace)
{
    QUrlQuery query = m_active.toUrlQuery();
    query.addQueryItem(u"page"_s, QString::number(page));
    query.addQueryItem(u"page_size"_s, QString::number(pageSize));
    beginCall();
    api()->get(u"/spend/logs"_s, query, this,
               [this, generation = m_generation, page, pageSize, replace](const ApiReply &reply) {
                   if (generation == m_generation && reply.ok()) {
                       QList<SpendRecord> rows;
                       for (const QJsonValue &value : reply.json.array())
                           rows.append(SpendRecord::fromJson(value.toObject()));
                       if (page == 1 && !replace) {
                           // A head refresh that shares no row with what is shown: too many
                           // new calls to stitch together, so the first page comes again.
                           const bool overlaps = std::any_of(rows.cbegin(), rows.cend(), [this](const SpendRecord &row) {
                               return m_model->rowOf(row.requestId) >= 0;
                           });
                           if (!overlaps && rows.size() == pageSize && m_model->rowCount() > 0)
                               fetchPage(1, PageSize, true);
                           else
                               mergeRows(std::move(rows), false, pageSize);
                       } else {
                           mergeRows(std::move(rows), replace, pageSize);
                       }
                   }
                   endCall();
               });
}

void SpendLogPage::mergeRows(QList<SpendRecord> fresh, bool replace, int pageSize)
{
    if (replace) {
        m_hasMore = fresh.size() == pageSize;
        m_model->setRecords(std::move(fresh));
    } else if (!fresh.isEmpty()) {
        // Newest rows or an older page: the rows already shown stay.
        QSet<QString> ids;
        for (const SpendRecord &row : fresh)
            ids.insert(row.requestId);
        for (const SpendRecord &row : m_model->records()) {
            if (!ids.contains(row.requestId))
                fresh.append(row);
        }
        m_model->setRecords(std::move(fresh));
    }
    updateCompleters();
    updateStatus();
    fetchNamesOfNewKeys();
}

void SpendLogPage::loadMore()
{
    if (!m_hasMore || isRefreshing())
        return;
    // Offsets move when calls arrive; starting at the number shown can only repeat rows
    // (merged by request id), never skip one.
    const int page = m_model->rowCount() / PageSize + 1;
    QUrlQuery query = m_active.toUrlQuery();
    query.addQueryItem(u"page"_s, QString::number(page));
    query.addQueryItem(u"page_size"_s, QString::number(PageSize));
    beginCall();
    api()->get(u"/spend/logs"_s, query, this, [this, generation = m_generation](const ApiReply &reply) {
        if (generation == m_generation && reply.ok()) {
            QList<SpendRecord> rows;
            for (const QJsonValue &value : reply.json.array())
                rows.append(SpendRecord::fromJson(value.toObject()));
            m_hasMore = rows.size() == PageSize;
            mergeRows(std::move(rows), false, PageSize);
        }
        endCall();
    });
}

void SpendLogPage::updateStatus()
{
    const int rows = m_model->rowCount();
    double total = 0;
    for (const SpendRecord &row : m_model->records())
        total += row.spend;
    QString text = m_hasMore ? tr("%n newest row(s) shown (more are older)", nullptr, rows)
                             : tr("%n row(s)", nullptr, rows);
    if (m_matchingSpend)
        text += u" · "_s + tr("%1 spent in all matching rows").arg(Format::usd(*m_matchingSpend));
    m_statusLabel->setText(text);
    m_statusLabel->setToolTip(tr("Spend of the rows shown: %1").arg(Format::usd(total)));
    m_loadMoreButton->setEnabled(m_hasMore);
}

void SpendLogPage::updateCompleters()
{
    QSet<QString> users;
    QSet<QString> endUsers;
    QSet<QString> models;
    QSet<QString> sessions;
    for (const SpendRecord &row : m_model->records()) {
        if (!row.userId.isEmpty())
            users.insert(row.userId);
        if (!row.endUser.isEmpty())
            endUsers.insert(row.endUser);
        if (!row.modelGroup.isEmpty())
            models.insert(row.modelGroup);
        if (!row.sessionId.isEmpty())
            sessions.insert(row.sessionId);
    }
    const auto update = [](QStringListModel *model, const QSet<QString> &values) {
        QStringList list = model->stringList();
        for (const QString &value : values) {
            if (!list.contains(value))
                list.append(value);
        }
        if (list.size() != model->stringList().size()) {
            list.sort(Qt::CaseInsensitive);
            model->setStringList(list);
        }
    };
    update(m_userNames, users);
    update(m_endUserNames, endUsers);
    update(m_modelNames, models);
    update(m_sessionIds, sessions);
}

void SpendLogPage::fillKeyCombo()
{
    const QString selected = m_keyCombo->currentData().toString();
    QList<QPair<QString, QString>> items = m_keys;
    std::sort(items.begin(), items.end(), [](const auto &a, const auto &b) {
        return QString::localeAwareCompare(a.second, b.second) < 0;
    });
    const QSignalBlocker blocker(m_keyCombo);
    m_keyCombo->clear();
    m_keyCombo->addItem(tr("All keys"), QString());
    for (const auto &[token, name] : items)
        m_keyCombo->addItem(name, token);
    int index = m_keyCombo->findData(selected);
    if (index < 0) {
        m_keyCombo->addItem(m_model->keyName(selected), selected);
        index = m_keyCombo->count() - 1;
    }
    m_keyCombo->setCurrentIndex(index);
}

void SpendLogPage::showContextMenu(int sourceRow, const QPoint &globalPos)
{
    const SpendRecord *row = m_model->recordAt(sourceRow);
    if (!row)
        return;
    const SpendRecord record = *row;
    QMenu menu(this);
    menu.addAction(tr("Copy request id"), this, [record] { QApplication::clipboard()->setText(record.requestId); });
    menu.addSeparator();
    const auto filterBy = [this, &menu](const QString &text, const QString &value, auto apply) {
        QAction *action = menu.addAction(text, this, [this, apply] {
            SpendLogQuery next = query();
            apply(next);
            setQuery(next);
        });
        action->setEnabled(!value.isEmpty());
    };
    filterBy(tr("Only this key (%1)").arg(m_model->keyName(record.apiKey)), record.apiKey,
             [record](SpendLogQuery &q) { q.apiKey = record.apiKey; });
    filterBy(tr("Only this user (%1)").arg(record.userId), record.userId,
             [record](SpendLogQuery &q) { q.userId = record.userId; });
    filterBy(tr("Only this end user (%1)").arg(record.endUser), record.endUser,
             [record](SpendLogQuery &q) { q.endUser = record.endUser; });
    filterBy(tr("Only this model (%1)").arg(record.modelGroup), record.modelGroup,
             [record](SpendLogQuery &q) { q.model = record.modelGroup; });
    filterBy(tr("Only this session (%1)").arg(record.sessionId), record.sessionId,
             [record](SpendLogQuery &q) { q.sessionId = record.sessionId; });
    menu.addSeparator();
    menu.addAction(tr("Clear filters"), this, [this] { setQuery({}); });
    menu.exec(globalPos);
}

void SpendLogPage::askExport()
{
    const QString folder = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    const QString path = QFileDialog::getSaveFileName(this, tr("Export spend log"),
                                                      QDir(folder).filePath(u"tollgate-spend.csv"_s),
                                                      tr("CSV files (*.csv);;All files (*)"));
    if (!path.isEmpty())
        exportTo(path);
}

void SpendLogPage::exportTo(const QString &path)
{
    if (m_exporting)
        return;
    auto file = std::make_shared<QSaveFile>(path);
    if (!file->open(QIODevice::WriteOnly)) {
        const QString error = tr("Could not write %1: %2").arg(QDir::toNativeSeparators(path), file->errorString());
        Q_EMIT notice(error);
        Q_EMIT exportFinished(-1, error);
        return;
    }
    // Spend per key and user is nobody else's business: 0600 (QSaveFile would keep the mode of
    // a file it replaces, and the umask of a test or another host program may be 022).
    file->setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    m_exporting = true;
    m_exportButton->setEnabled(false);
    api()->download(u"/spend/logs/export.csv"_s, query().toUrlQuery(), file.get(), this,
                    [this, file, path](const ApiReply &reply) {
                        m_exporting = false;
                        m_exportButton->setEnabled(true);
                        if (!reply.ok()) {
                            file->cancelWriting();
                            file->commit();
                            // The banner shows the API's message; the signal carries it too.
                            Q_EMIT exportFinished(-1, reply.message);
                            return;
                        }
                        if (!file->commit()) {
                            const QString error = tr("Could not write %1: %2")
                                                      .arg(QDir::toNativeSeparators(path), file->errorString());
                            Q_EMIT notice(error);
                            Q_EMIT exportFinished(-1, error);
                            return;
                        }
                        const qint64 rows = countCsvRecords(path);
                        Q_EMIT noticeWithLink(
                            tr("Exported %n row(s) to %1", nullptr, int(rows)).arg(QDir::toNativeSeparators(path)),
                            tr("Open folder"), QUrl::fromLocalFile(QFileInfo(path).absolutePath()));
                        Q_EMIT exportFinished(rows, {});
                    });
}

} // namespace Tollgate
