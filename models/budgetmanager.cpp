#include "budgetmanager.h"

#include "tokencount.h"

#include <QCoreApplication>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QJsonDocument>
#include <QLocale>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSaveFile>
#include <QTimer>
#include <QUrl>

#include <cmath>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

// LiteLLM's field names (user_cost.json and the hosted protocol).
const QString TotalBudgetKey = u"total_budget"_s;
const QString CurrentCostKey = u"current_cost"_s;
const QString ModelCostKey = u"model_cost"_s;
const QString DurationKey = u"duration"_s;
const QString CreatedAtKey = u"created_at"_s;
const QString LastUpdatedAtKey = u"last_updated_at"_s;
// Ours: marks a calendar-month duration (see the class comment).
const QString DurationUnitKey = u"duration_unit"_s;
const QString CalendarMonth = u"calendar_month"_s;

constexpr double SecondsPerDay = 24.0 * 60.0 * 60.0;

// Epoch seconds with milliseconds, as Python's time.time() writes them (a float).
double epochSeconds(const QDateTime &time)
{
    return double(time.toMSecsSinceEpoch()) / 1000.0;
}

QDateTime fromEpochSeconds(double seconds)
{
    return QDateTime::fromMSecsSinceEpoch(qint64(std::llround(seconds * 1000.0)), Qt::UTC);
}

Error unknownUser(const QString &user)
{
    return makeError(u"User %1 has no budget: call createBudget first."_s.arg(user));
}

// The text of a message's content: a string, or the text parts of an array of parts.
QString contentText(const QJsonValue &content)
{
    if (content.isString())
        return content.toString();
    QString text;
    for (const QJsonValue &part : content.toArray()) {
        if (part.isString())
            text += part.toString();
        else
            text += part.toObject().value(u"text"_s).toString();
    }
    return text;
}

} // namespace

BudgetManager::BudgetManager(QString projectName, ClientType clientType, QString apiBase, Headers headers,
                             Options options)
    : m_projectName(std::move(projectName))
    , m_clientType(clientType)
    , m_apiBase(std::move(apiBase))
    , m_headers(std::move(headers))
    , m_options(std::move(options))
{
    if (m_options.prices) {
        m_prices = *m_options.prices;
    } else if (auto loaded = PriceCatalogue::loadResource()) {
        m_prices = *loaded;
    }
    // Without a catalogue every price lookup reports the model as unpriced; loading still
    // works, so budgets can be read and reset.
    while (m_apiBase.endsWith(u'/'))
        m_apiBase.chop(1);
    m_loadResult = loadData();
}

QString BudgetManager::filePath() const
{
    const QString directory = m_options.directory.isEmpty() ? QDir::currentPath() : m_options.directory;
    return QDir(directory).filePath(QString::fromLatin1(FileName));
}

QDateTime BudgetManager::now() const
{
    return m_options.clock ? m_options.clock->now() : QDateTime::currentDateTimeUtc();
}

Result<void> BudgetManager::loadData()
{
    if (m_clientType == ClientType::Hosted) {
        auto answer = postJson(u"/get_budget"_s, QJsonObject{{u"project_name"_s, m_projectName}});
        if (!answer)
            return answer.error();
        // As LiteLLM: a server that answers "error" (e.g. an unknown project) means empty.
        if (answer->value(u"status"_s).toString() == u"error") {
            m_userDict = {};
            return {};
        }
        const QJsonValue data = answer->value(u"data"_s);
        if (!data.isObject() && !data.isNull() && !data.isUndefined())
            return makeError(u"%1/get_budget answered without a data object"_s.arg(m_apiBase));
        m_userDict = data.toObject();
        return {};
    }
    QFile file(filePath());
    if (!file.exists()) {
        m_userDict = {};
        return {};
    }
    if (!file.open(QIODevice::ReadOnly))
        return makeError(u"cannot read: %1"_s.arg(file.errorString()), file.fileName());
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &error);
    if (error.error != QJsonParseError::NoError)
        return makeError(u"invalid JSON at offset %1: %2"_s.arg(error.offset).arg(error.errorString()), file.fileName());
    if (!document.isObject())
        return makeError(u"expected a JSON object of users"_s, file.fileName());
    m_userDict = document.object();
    return {};
}

Result<void> BudgetManager::saveData()
{
    if (m_clientType == ClientType::Hosted) {
        auto answer = postJson(u"/set_budget"_s,
                               QJsonObject{{u"project_name"_s, m_projectName}, {u"user_dict"_s, m_userDict}});
        if (!answer)
            return answer.error();
        if (answer->value(u"status"_s).toString() != u"success")
            return makeError(u"%1/set_budget did not succeed: %2"_s.arg(
                m_apiBase, QString::fromUtf8(QJsonDocument(*answer).toJson(QJsonDocument::Compact))));
        return {};
    }
    // QSaveFile writes a temporary file and renames it over the old one on commit(), so a
    // crash mid-write leaves the previous file, never a torn one.
    QSaveFile file(filePath());
    if (!file.open(QIODevice::WriteOnly))
        return makeError(u"cannot write: %1"_s.arg(file.errorString()), file.fileName());
    // Qt's indented format uses 4 spaces, as LiteLLM's json.dump(..., indent=4).
    file.write(QJsonDocument(m_userDict).toJson(QJsonDocument::Indented));
    if (!file.commit())
        return makeError(u"cannot write: %1"_s.arg(file.errorString()), file.fileName());
    return {};
}

void BudgetManager::autoSave()
{
    // Best effort, as LiteLLM's background save: the caller can still call saveData() and
    // see its error.
    if (m_options.autoSave)
        (void)saveData();
}

Result<BudgetManager::Duration> BudgetManager::parseDuration(const QString &text)
{
    if (text.isEmpty())
        return Duration::None;
    if (text == u"daily")
        return Duration::Daily;
    if (text == u"weekly")
        return Duration::Weekly;
    if (text == u"monthly")
        return Duration::Monthly;
    if (text == u"yearly")
        return Duration::Yearly;
    return makeError(u"duration needs to be one of [\"daily\", \"weekly\", \"monthly\", \"yearly\"], not \"%1\""_s.arg(text));
}

Result<QJsonObject> BudgetManager::createBudget(double totalBudget, const QString &user, const QString &duration,
                                                const QDateTime &createdAt)
{
    auto parsed = parseDuration(duration);
    if (!parsed)
        return parsed.error();
    return createBudget(totalBudget, user, *parsed, createdAt);
}

Result<QJsonObject> BudgetManager::createBudget(double totalBudget, const QString &user, Duration duration,
                                                const QDateTime &createdAt)
{
    if (!std::isfinite(totalBudget) || totalBudget < 0)
        return makeError(u"total_budget must be a non-negative number"_s);
    QJsonObject record{{TotalBudgetKey, totalBudget}};
    if (duration != Duration::None) {
        const QDateTime created = createdAt.isValid() ? createdAt.toUTC() : now();
        double days = 0;
        switch (duration) {
        case Duration::Daily: days = 1; break;
        case Duration::Weekly: days = 7; break;
        case Duration::Yearly: days = 365; break;
        case Duration::Monthly:
            if (m_options.litellmMonthly) {
                days = 28;
            } else {
                days = double(created.date().daysTo(created.date().addMonths(1)));
                record.insert(DurationUnitKey, CalendarMonth);
            }
            break;
        case Duration::None: break;
        }
        record.insert(DurationKey, days);
        record.insert(CreatedAtKey, epochSeconds(created));
        record.insert(LastUpdatedAtKey, epochSeconds(created));
    }
    m_userDict.insert(user, record);
    autoSave();
    return record;
}

qint64 BudgetManager::countTokens(const QString &model, const QString &text)
{
    // tiktoken's count for the model's encoding (LiteLLM's token_counter does the same).
    return countTextTokens(text, model);
}

Result<double> BudgetManager::priceOf(const QString &model, qint64 promptTokens, qint64 completionTokens) const
{
    // An empty provider lets the catalogue find the provider by its model_match rules, as
    // LiteLLM's cost_per_token looks a bare model name up in its own map.
    QString provider;
    QString name = model;
    if (const qsizetype slash = model.indexOf(u'/'); slash > 0) {
        provider = model.left(slash);
        name = model.mid(slash + 1);
    }
    auto cost = m_prices.cost(provider, name, promptTokens, completionTokens, 0, now());
    if (!cost && !provider.isEmpty())
        cost = m_prices.cost({}, model, promptTokens, completionTokens, 0, now());
    if (!cost)
        return makeError(u"No price is known for model %1."_s.arg(model));
    return nanosToUsd(*cost);
}

Result<double> BudgetManager::projectedCost(const QString &model, const QJsonArray &messages, const QString &user) const
{
    const auto current = currentCost(user);
    if (!current)
        return current.error();
    QString text;
    for (const QJsonValue &message : messages)
        text += contentText(message.toObject().value(u"content"_s));
    const auto prompt = priceOf(model, countTokens(model, text), 0);
    if (!prompt)
        return prompt.error();
    return *current + *prompt;
}

Result<QJsonObject> BudgetManager::userRecord(const QString &user) const
{
    const QJsonValue record = m_userDict.value(user);
    if (!record.isObject())
        return unknownUser(user);
    return record.toObject();
}

Result<double> BudgetManager::totalBudget(const QString &user) const
{
    const auto record = userRecord(user);
    if (!record)
        return record.error();
    return record->value(TotalBudgetKey).toDouble();
}

Result<double> BudgetManager::currentCost(const QString &user) const
{
    const auto record = userRecord(user);
    if (!record)
        return record.error();
    return record->value(CurrentCostKey).toDouble(0.0);
}

Result<QMap<QString, double>> BudgetManager::modelCost(const QString &user) const
{
    const auto record = userRecord(user);
    if (!record)
        return record.error();
    QMap<QString, double> costs;
    const QJsonObject models = record->value(ModelCostKey).toObject();
    for (auto it = models.begin(); it != models.end(); ++it)
        costs.insert(it.key(), it.value().toDouble());
    return costs;
}

bool BudgetManager::isValidUser(const QString &user) const
{
    return m_userDict.value(user).isObject();
}

QStringList BudgetManager::users() const
{
    return m_userDict.keys();
}

Result<QJsonObject> BudgetManager::addCost(const QString &user, const QString &model, double cost)
{
    auto record = userRecord(user);
    if (!record)
        return record.error();
    record->insert(CurrentCostKey, record->value(CurrentCostKey).toDouble(0.0) + cost);
    QJsonObject models = record->value(ModelCostKey).toObject();
    models.insert(model, models.value(model).toDouble(0.0) + cost);
    record->insert(ModelCostKey, models);
    m_userDict.insert(user, *record);
    autoSave();
    return *record;
}

Result<QJsonObject> BudgetManager::updateCost(const QString &user, const QJsonObject &completion)
{
    if (completion.isEmpty())
        return makeError(u"One of completion or input/output text is needed to update the cost."_s);
    if (!isValidUser(user))
        return unknownUser(user);
    const QString model = completion.value(u"model"_s).toString();
    if (model.isEmpty())
        return makeError(u"The completion names no model."_s);
    const QJsonObject usage = completion.value(u"usage"_s).toObject();
    if (usage.isEmpty())
        return makeError(u"The completion has no usage block."_s);
    const auto prompt = qint64(usage.value(u"prompt_tokens"_s).toDouble());
    const auto output = qint64(usage.value(u"completion_tokens"_s).toDouble());
    const auto cost = priceOf(model, prompt, output);
    if (!cost)
        return cost.error();
    return addCost(user, model, *cost);
}

Result<QJsonObject> BudgetManager::updateCost(const QString &user, const QString &model, const QString &inputText,
                                              const QString &outputText)
{
    if (model.isEmpty() || (inputText.isEmpty() && outputText.isEmpty()))
        return makeError(u"One of completion or input/output text is needed to update the cost."_s);
    if (!isValidUser(user))
        return unknownUser(user);
    const auto cost = priceOf(model, countTokens(model, inputText), countTokens(model, outputText));
    if (!cost)
        return cost.error();
    return addCost(user, model, *cost);
}

Result<QJsonObject> BudgetManager::resetCost(const QString &user)
{
    auto record = userRecord(user);
    if (!record)
        return record.error();
    record->insert(CurrentCostKey, 0);
    record->insert(ModelCostKey, QJsonObject{});
    m_userDict.insert(user, *record);
    return *record;
}

Result<bool> BudgetManager::resetOnDuration(const QString &user)
{
    auto record = userRecord(user);
    if (!record)
        return record.error();
    if (!record->contains(DurationKey) || !record->contains(LastUpdatedAtKey))
        return false;
    const QDateTime current = now();
    const QDateTime lastUpdated = fromEpochSeconds(record->value(LastUpdatedAtKey).toDouble());
    bool due = false;
    if (record->value(DurationUnitKey).toString() == CalendarMonth)
        due = current >= lastUpdated.addMonths(1);
    else
        due = epochSeconds(current) - epochSeconds(lastUpdated) >= record->value(DurationKey).toDouble() * SecondsPerDay;
    if (!due)
        return false;
    auto reset = resetCost(user);
    if (!reset)
        return reset.error();
    QJsonObject updated = *reset;
    updated.insert(LastUpdatedAtKey, epochSeconds(current));
    if (updated.value(DurationUnitKey).toString() == CalendarMonth)   // the new month's length
        updated.insert(DurationKey, double(current.date().daysTo(current.date().addMonths(1))));
    m_userDict.insert(user, updated);
    autoSave();
    return true;
}

Result<void> BudgetManager::updateBudgetAllUsers()
{
    for (const QString &user : users()) {
        if (!m_userDict.value(user).toObject().contains(DurationKey))
            continue;
        if (auto reset = resetOnDuration(user); !reset)
            return reset.error();
    }
    return {};
}

Result<QJsonObject> BudgetManager::postJson(const QString &path, const QJsonObject &body) const
{
    if (m_apiBase.isEmpty())
        return makeError(u"Hosted mode needs an api base URL."_s);
    const QUrl url(m_apiBase + path);
    if (!url.isValid() || url.scheme().isEmpty())
        return makeError(u"Invalid api base URL: %1"_s.arg(m_apiBase));
    if (!QCoreApplication::instance())
        return makeError(u"Hosted mode needs a QCoreApplication (its event loop runs the HTTP call)."_s);

    QNetworkAccessManager network;
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    for (const auto &[name, value] : m_headers)
        request.setRawHeader(name, value);
    request.setTransferTimeout(m_options.timeoutMs);
    // A blocking call, as LiteLLM's: the local loop runs only until this reply finishes.
    QNetworkReply *reply = network.post(request, QJsonDocument(body).toJson(QJsonDocument::Compact));
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    if (!reply->isFinished())
        loop.exec(QEventLoop::ExcludeUserInputEvents);
    const QByteArray answer = reply->readAll();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QString networkError = reply->errorString();
    const bool transportFailed = reply->error() != QNetworkReply::NoError && status == 0;
    reply->deleteLater();
    if (transportFailed)
        return makeError(u"%1 failed: %2"_s.arg(url.toString(), networkError));

    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(answer, &error);
    if (status < 200 || status >= 300) {
        const QString message = document.object().value(u"error"_s).toObject().value(u"message"_s).toString();
        return makeError(u"%1 answered HTTP %2: %3"_s.arg(url.toString()).arg(status).arg(
            message.isEmpty() ? QString::fromUtf8(answer.left(200)) : message));
    }
    if (error.error != QJsonParseError::NoError || !document.isObject())
        return makeError(u"%1 answered something other than a JSON object"_s.arg(url.toString()));
    return document.object();
}

void BudgetGuard::setMaxBudget(double maxBudget)
{
    QMutexLocker lock(&m_mutex);
    m_maxBudget = maxBudget;
}

double BudgetGuard::maxBudget() const
{
    QMutexLocker lock(&m_mutex);
    return m_maxBudget;
}

double BudgetGuard::currentCost() const
{
    QMutexLocker lock(&m_mutex);
    return m_currentCost;
}

void BudgetGuard::addCost(double cost)
{
    QMutexLocker lock(&m_mutex);
    m_currentCost += cost;
}

void BudgetGuard::reset()
{
    QMutexLocker lock(&m_mutex);
    m_currentCost = 0.0;
}

Result<void> BudgetGuard::check() const
{
    QMutexLocker lock(&m_mutex);
    if (m_maxBudget > 0.0 && m_currentCost > m_maxBudget) {
        // Shortest round-trip form, as Python prints floats (0.1, not 0.10000000000000001).
        // Integral values keep their ".0", as Python's repr of a float does.
        const auto number = [](double value) {
            QString text = QString::number(value, 'g', QLocale::FloatingPointShortest);
            if (std::isfinite(value) && !text.contains(u'.') && !text.contains(u'e'))
                text += u".0"_s;
            return text;
        };
        return makeError(u"Budget has been exceeded! Current cost: %1, Max budget: %2"_s.arg(number(m_currentCost),
                                                                                          number(m_maxBudget)));
    }
    return {};
}

} // namespace Tollgate
