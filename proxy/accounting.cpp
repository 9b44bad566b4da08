#include "accounting.h"

#include "../models/pricing.h"
#include "../models/tokencount.h"
#include "../models/instanceshare.h"
#include "../models/store/identityrepository.h"
#include "../models/store/leaserepository.h"
#include "apierror.h"
#include "auth.h"
#include "jsonscan.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QSqlDatabase>

#include <algorithm>
#include <cstring>
#include <limits>
#include <charconv>
#include <cmath>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcAccounting, "tollgate.accounting")

namespace Tollgate {

// USD as QByteArray::number(usd, 'g', 12) writes it (both are printf's %.12g: the same text for
// 2 million random amounts when this was written), a few times faster: the cost header on every
// call, two more on every virtual-key call.
QByteArray usdHeaderValue(NanoUsd nanos)
{
    // An amount of at most 12 significant digits (every amount below $1,000, and round ones such
    // as a budget of $1,000,000) is what %.12g of the double writes: the double is within 3e-16
    // of the decimal, far inside the 12th digit's rounding. Written here from the integer (~0.1k
    // instructions instead of to_chars' ~0.9k), the same bytes (tst_headervalues).
    if (nanos == 0)
        return QByteArrayLiteral("0");
    qint64 digits = nanos < 0 ? (nanos == std::numeric_limits<qint64>::min() ? 0 : -nanos) : nanos;
    int exponent = -9;   // the value is digits × 10^exponent
    while (digits != 0 && digits % 10 == 0) {
        digits /= 10;
        ++exponent;
    }
    char significant[24];
    const int count = int(std::to_chars(significant, significant + sizeof significant, digits).ptr - significant);
    if (digits != 0 && count <= 12) {
        char text[40];
        char *out = text;
        if (nanos < 0)
            *out++ = '-';
        const int leading = count - 1 + exponent;   // the decimal exponent of the first digit (below 12)
        if (leading < -4) {
            // d.ddde-XX
            *out++ = significant[0];
            if (count > 1) {
                *out++ = '.';
                std::memcpy(out, significant + 1, size_t(count - 1));
                out += count - 1;
            }
            *out++ = 'e';
            *out++ = '-';
            *out++ = char('0' + (-leading) / 10);
            *out++ = char('0' + (-leading) % 10);
        } else if (exponent >= 0) {
            std::memcpy(out, significant, size_t(count));
            out += count;
            std::memset(out, '0', size_t(exponent));
            out += exponent;
        } else if (count + exponent > 0) {
            const int whole = count + exponent;
            std::memcpy(out, significant, size_t(whole));
            out += whole;
            *out++ = '.';
            std::memcpy(out, significant + whole, size_t(count - whole));
            out += count - whole;
        } else {
            *out++ = '0';
            *out++ = '.';
            std::memset(out, '0', size_t(-(count + exponent)));
            out += -(count + exponent);
            std::memcpy(out, significant, size_t(count));
            out += count;
        }
        return QByteArray(text, out - text);
    }
    char text[32];
    const std::to_chars_result end = std::to_chars(text, text + sizeof text, nanosToUsd(nanos),
                                                   std::chars_format::general, 12);
    return QByteArray(text, end.ptr - text);
}

QByteArray millisecondsHeaderValue(double ms)
{
    char text[32];
    const std::to_chars_result end = std::to_chars(text, text + sizeof text, ms, std::chars_format::fixed, 3);
    return end.ec == std::errc() ? QByteArray(text, end.ptr - text) : QByteArray::number(ms, 'f', 3);
}

QByteArray integerHeaderValue(qint64 value)
{
    char text[24];
    const std::to_chars_result end = std::to_chars(text, text + sizeof text, value);
    return QByteArray(text, end.ptr - text);
}

namespace {

// Output of a call that sets no max_tokens, on a model whose limit nobody told us: reserve
// mode holds a typical answer; strict mode's bound is generous (128k tokens, the output
// limit of today's largest models) — set max_tokens or model_info.max_tokens to lower it.
constexpr qint64 DefaultMaxOutputTokens = 4096;
constexpr qint64 UnknownOutputLimit = 131'072;
// Tokens a provider's count of a prompt may exceed the gateway's by (message framing, a tool's
// schema, a document's wrapping), beside 2 % of it: where a price's tier begins, the bound takes
// the rates of a prompt that much longer.
constexpr qint64 TierMarginTokens = 1000;

BudgetConfig budgetConfig(const Budget &budget)
{
    return BudgetConfig{budget.maxBudget, budget.softBudget, budget.duration, budget.resetAt, budget.spend};
}

// The x-ratelimit-<scope>-* header names of a scope, made once (four concatenations a scope on
// every admitted call otherwise).
struct RateLimitHeaderNames
{
    QByteArray limitRequests;
    QByteArray remainingRequests;
    QByteArray limitTokens;
    QByteArray remainingTokens;
};

RateLimitHeaderNames makeRateLimitHeaderNames(const QString &scope)
{
    const QByteArray name = "x-ratelimit-" + scope.toLatin1();
    return {name + "-limit-requests", name + "-remaining-requests", name + "-limit-tokens", name + "-remaining-tokens"};
}

const RateLimitHeaderNames &rateLimitHeaderNames(const LedgerScope &scope)
{
    static const RateLimitHeaderNames key = makeRateLimitHeaderNames(u"key"_s);
    static const RateLimitHeaderNames user = makeRateLimitHeaderNames(u"user"_s);
    static const RateLimitHeaderNames endUser = makeRateLimitHeaderNames(u"end-user"_s);
    static const RateLimitHeaderNames global = makeRateLimitHeaderNames(u"global"_s);
    switch (scope.kind) {
    case LedgerScope::Kind::Key: return key;
    case LedgerScope::Kind::User: return user;
    case LedgerScope::Kind::EndUser: return endUser;
    default: return global;
    }
}

// Output tokens a call may produce: `bound` for strict mode, `estimate` for reserve mode.
struct OutputTokens
{
    qint64 bound = 0;
    qint64 estimate = 0;
    bool limited = false;   // the bound is a limit the provider keeps (sent, or the model's own)
};

// `typicalAnswer()`: reserve mode's estimate when no max_tokens is sent (asked only then).
template<typename TypicalAnswer>
OutputTokens requestedOutputTokens(const QJsonObject &body, const Deployment &deployment,
                                   const std::optional<ModelPrice> &price, TypicalAnswer typicalAnswer)
{
    // The model's limit: model_info.max_tokens (its output limit), else the catalogue's
    // context window, which no output exceeds.
    std::optional<qint64> limit = deployment.maxTokens;
    if (!limit && price && price->contextWindow)
        limit = price->contextWindow;
    // The six fields read here, in one walk of the members: a look-up costs ~0.4k
    // instructions, a member's key ~0.15k, and a body read without its prompt holds two or
    // three members.
    QJsonValue maxTokens[2];   // max_completion_tokens, max_tokens
    QJsonValue counts[2];      // n, best_of
    QJsonValue prediction;
    QJsonValue prompt;         // /v1/completions: a list is one completion (n of them) per prompt
    for (auto it = body.constBegin(); it != body.constEnd(); ++it) {
        const QString key = it.key();
        if (key == u"max_completion_tokens")
            maxTokens[0] = it.value();
        else if (key == u"max_tokens")
            maxTokens[1] = it.value();
        else if (key == u"n")
            counts[0] = it.value();
        else if (key == u"best_of")
            counts[1] = it.value();
        else if (key == u"prediction")
            prediction = it.value();
        else if (key == u"prompt")
            prompt = it.value();
    }
    // validate() let only whole numbers of 0 or more through; a huge one (1e300) is the limit.
    std::optional<qint64> sent;
    for (const QJsonValue &value : maxTokens) {
        if (!value.isDouble() || !(value.toDouble() >= 0))
            continue;
        sent = std::max(sent.value_or(0), roundSaturated(value.toDouble()));   // both sent: the larger may be the one obeyed
    }
    OutputTokens tokens;
    tokens.limited = sent || limit;
    if (sent) {
        tokens.bound = limit ? std::min(*sent, *limit) : *sent;
        tokens.estimate = tokens.bound;
    } else {
        tokens.bound = limit.value_or(UnknownOutputLimit);
        // Reserve mode holds a typical answer: the largest this deployment gave lately.
        tokens.estimate = std::min(tokens.bound, std::max(DefaultMaxOutputTokens, typicalAnswer()));
    }
    // n and best_of: that many completions, each up to the bound.
    qint64 completions = 1;
    for (const QJsonValue &value : counts) {
        const double count = value.toDouble(1);
        if (count > 1)
            completions = std::max(completions, roundSaturated(count));
    }
    // A list of strings or of token lists is that many prompts; a list of numbers is one.
    if (const QJsonArray prompts = prompt.toArray();
        prompts.size() > 1 && std::any_of(prompts.begin(), prompts.end(), [](const QJsonValue &p) { return !p.isDouble(); }))
        completions = mulSaturated(completions, prompts.size());
    tokens.bound = mulSaturated(tokens.bound, completions);
    tokens.estimate = mulSaturated(tokens.estimate, completions);
    // Predicted outputs: rejected prediction tokens are billed as completion tokens too, at
    // most one per byte of the prediction (rare: serialised only when present).
    if (prediction.isObject()) {
        const qint64 bytes = QJsonDocument(prediction.toObject()).toJson(QJsonDocument::Compact).size();
        tokens.bound = addSaturated(tokens.bound, mulSaturated(bytes, completions));
        tokens.estimate = addSaturated(tokens.estimate, mulSaturated(bytes, completions));
    }
    return tokens;
}

} // namespace

bool readableWithoutMessages(const RequestScan &scan, const QByteArray &raw)
{
    return scan.ok() && scan.numbersWrittenBackNoLonger() && scan.type("messages") == QJsonValue::Array
           && !scan.contains("mock_response") && onlyPlainContent(raw);
}

bool promptWalkReadsBesideMessages(const RequestScan &scan)
{
    // A look-up in the scan is ~30 instructions, in the read fields' QJsonObject ~400.
    static constexpr std::array<QByteArrayView, 8> Walked{"tools",         "functions", "tool_choice", "function_call",
                                                          "response_format", "prompt",  "input",       "suffix"};
    return std::any_of(Walked.begin(), Walked.end(), [&](QByteArrayView field) { return scan.contains(field); });
}

qint64 plainChatPromptBound(const QByteArray &raw, const QJsonObject &fields, const QString &model, bool walked)
{
    // Every token the prompt walk counts in the messages is a UTF-8 byte of a string (never
    // more than its text here), a JSON text the scan vouched is written back no longer, a
    // message's 3 (never more than twice its value's byte and the comma or bracket after it), a
    // name's 1 (its key is longer) or the reply's 3.
    return addSaturated(2 * qint64(raw.size()) + 6, walked ? boundRequestPromptTokens(fields, model) : 0);
}

qint64 countPrompt(const std::function<qint64()> &exactPrompt, const QJsonObject &body, const QString &model)
{
    return exactPrompt ? exactPrompt() : countRequestPromptTokens(body, model);
}

Accounting::Accounting(GatewayServices &services, const IClock &clock, BudgetEnforcement mode, QObject *parent)
    : QObject(parent), m_services(services), m_clock(clock), m_ledger(clock, mode)
{
    m_resetTimer.setSingleShot(true);
    m_resetTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_resetTimer, &QTimer::timeout, this, &Accounting::applyResets);
}

Accounting::~Accounting()
{
    if (m_services.identities)
        m_services.identities->setObserver(nullptr);
    m_leases.reset();   // gives the leases back while the ledger is still here
}

void Accounting::enableSharedBudgets(const BudgetLeases::Options &options)
{
    m_ledger.setShared(true, options.sliceDivisor);
    LeaseRepository::setSharedSpend(true);
    m_leases = std::make_unique<BudgetLeases>(m_ledger, m_services.store, m_clock, options);
}

void Accounting::waitForLeases(const Decision &decision, std::function<void()> resume)
{
    if (!m_leases) {
        resume();
        return;
    }
    m_leases->request(decision.leaseNeeds, std::move(resume));
}

void Accounting::setGlobalBudget(const Budget &globalLimits, bool persistWindow)
{
    // The global scope stays in the ledger without a budget too: it counts every call from
    // the first, so a budget set (or removed) later applies to the true spend of the period.
    BudgetConfig config;
    config.max = globalLimits.maxBudget;
    config.soft = globalLimits.softBudget;
    config.duration = globalLimits.duration;
    config.resetAt = globalLimits.resetAt;
    const BudgetState state = setBudget(LedgerScope::global(), config);
    // Persist the window now, so a restart finds the same one.
    if (m_services.store && persistWindow) {
        m_services.store->write(IdentityRepository::saveGlobalSpend(
                                    state.spend, state.resetAt, state.duration ? state.duration->toString() : QString()),
                                m_services.context);
    }
    rearmResetTimer();
}

std::optional<BudgetState> Accounting::globalBudget() const
{
    return m_ledger.budget(LedgerScope::global());
}

void Accounting::setSpend(const LedgerScope &scope, NanoUsd spend)
{
    m_ledger.setSpend(scope, spend);
    if (m_leases && m_services.store)
        m_services.store->write(LeaseRepository::setSpend(scope, spend), m_services.context);
    if (scope.kind != LedgerScope::Kind::Global || !m_services.store)
        return;
    if (const auto state = m_ledger.budget(scope)) {
        m_services.store->write(IdentityRepository::saveGlobalSpend(
                                    state->spend, state->resetAt, state->duration ? state->duration->toString() : QString()),
                                m_services.context);
    }
}

void Accounting::adoptStoredSpend(const LedgerScope &scope, NanoUsd spend, const QDateTime &window)
{
    const std::optional<BudgetState> state = m_ledger.budget(scope);
    if (!state || state->spend == spend)
        return;
    const bool sameWindow = state->resetAt.isValid() == window.isValid()
                            && (!window.isValid() || state->resetAt.toMSecsSinceEpoch() == window.toMSecsSinceEpoch());
    if (!sameWindow)
        return;
    m_ledger.setSpend(scope, spend);
    IdentityRegistry *identities = m_services.identities;
    if (!identities)
        return;
    switch (scope.kind) {
    case LedgerScope::Kind::Key: identities->setKeyBudgetState(scope.id, spend, state->resetAt); break;
    case LedgerScope::Kind::User: identities->setUserBudgetState(scope.id, spend, state->resetAt); break;
    case LedgerScope::Kind::EndUser: identities->setEndUserBudgetState(scope.id, spend, state->resetAt); break;
    case LedgerScope::Kind::Global:
    case LedgerScope::Kind::KeyModel: break;
    }
}

BudgetState Accounting::setBudget(const LedgerScope &scope, const BudgetConfig &config)
{
    const std::optional<BudgetState> before = m_leases ? m_ledger.budget(scope) : std::nullopt;
    const BudgetState after = m_ledger.setBudget(scope, config);
    if (m_leases)
        sharedBudgetChanged(scope, before, after);
    return after;
}

void Accounting::sharedBudgetChanged(const LedgerScope &scope, const std::optional<BudgetState> &before,
                                     const BudgetState &after)
{
    if (!before)
        return;   // the first load: the row, if any, is as the store has it
    // Ledger::setBudget moves the window only when the period was added or changed.
    if (after.duration && before->resetAt != after.resetAt && m_services.store)
        m_services.store->write(LeaseRepository::startWindow(scope, after.spend, after.resetAt), m_services.context);
    if (before->max && (!after.max || *after.max < *before->max))
        giveLeaseBack(scope);
}

void Accounting::load(const Budget &globalLimits)
{
    // The global scope: limits as configured (none is a scope without a max, which still
    // counts), spend and window from the store.
    BudgetConfig global;
    global.max = globalLimits.maxBudget;
    global.soft = globalLimits.softBudget;
    global.duration = globalLimits.duration;
    global.resetAt = globalLimits.resetAt;
    if (m_services.store) {
        auto stored = m_services.store->readNow([](QSqlDatabase &db) -> QVariant {
            return IdentityRepository::loadGlobalSpend(db);
        });
        if (stored && !stored->toJsonObject().isEmpty()) {
            const QJsonObject state = stored->toJsonObject();
            global.spend = state.value(u"spend_nanousd"_s).toInteger();
            global.resetAt = IdentityJson::parseTime(state.value(u"budget_reset_at"_s));
            // A changed period starts a fresh window; a removed one keeps counting (as
            // Ledger::setBudget does at run time).
            if (global.duration && state.value(u"budget_duration"_s).toString() != global.duration->toString()) {
                global.spend = 0;
                global.resetAt = globalLimits.resetAt;
            }
        }
    }
    if (!global.duration)
        global.resetAt = QDateTime();
    else if (!global.resetAt.isValid())
        global.resetAt = global.duration->addTo(m_clock.now());
    m_ledger.setBudget(LedgerScope::global(), global);
    if (IdentityRegistry *identities = m_services.identities) {
        for (const User *user : identities->users())
            userChanged(*user);
        for (const VirtualKey *key : identities->keys())
            keyChanged(*key);
        for (const EndUser *endUser : identities->endUsers())
            endUserChanged(*endUser);
        identities->setObserver(this);
    }
    applyResets();
}

RateLimits Accounting::localLimits(const RateLimits &limits) const
{
    return m_live <= 1 ? limits : instanceShare(limits, m_live, m_rank);
}

void Accounting::setInstanceShare(int live, int rank)
{
    live = std::max(live, 1);
    rank = qBound(0, rank, live - 1);
    if (live == m_live && rank == m_rank)
        return;
    m_live = live;
    m_rank = rank;
    IdentityRegistry *identities = m_services.identities;
    if (!identities)
        return;
    for (const VirtualKey *key : identities->keys())
        m_ledger.setLimits(LedgerScope::key(key->token), localLimits(key->limits));
    for (const User *user : identities->users())
        m_ledger.setLimits(LedgerScope::user(user->userId), localLimits(user->limits));
    for (const EndUser *endUser : identities->endUsers())
        m_ledger.setLimits(LedgerScope::endUser(endUser->userId), localLimits(endUser->limits));
}

void Accounting::keyChanged(const VirtualKey &key)
{
    const LedgerScope scope = LedgerScope::key(key.token);
    setBudget(scope, budgetConfig(key.budget));
    m_ledger.setLimits(scope, localLimits(key.limits));
    syncKeyModelBudgets(key);
    rearmResetTimer();
}

void Accounting::syncKeyModelBudgets(const VirtualKey &key)
{
    QStringList models;
    for (auto it = key.modelMaxBudget.begin(); it != key.modelMaxBudget.end(); ++it) {
        const QJsonObject entry = it.value().toObject();
        BudgetConfig config;
        config.max = usdToNanos(entry.value(u"budget_limit"_s).toVariant().toDouble());
        if (auto duration = Duration::parse(entry.value(u"time_period"_s).toString()))
            config.duration = *duration;
        config.spend = usdToNanos(entry.value(u"spend"_s).toDouble(0.0));
        config.resetAt = IdentityJson::parseTime(entry.value(u"budget_reset_at"_s));
        setBudget(LedgerScope::keyModel(key.token, it.key()), config);
        models.append(it.key());
    }
    for (const QString &old : m_keyModels.value(key.token)) {
        if (!models.contains(old)) {
            giveLeaseBack(LedgerScope::keyModel(key.token, old));
            m_ledger.removeBudget(LedgerScope::keyModel(key.token, old));
        }
    }
    if (models.isEmpty())
        m_keyModels.remove(key.token);
    else
        m_keyModels.insert(key.token, models);
}

void Accounting::keyRemoved(const QString &token)
{
    const LedgerScope scope = LedgerScope::key(token);
    giveLeaseBack(scope);
    m_ledger.removeBudget(scope);
    m_ledger.removeLimits(scope);
    for (const QString &model : m_keyModels.take(token)) {
        giveLeaseBack(LedgerScope::keyModel(token, model));
        m_ledger.removeBudget(LedgerScope::keyModel(token, model));
    }
    rearmResetTimer();
}

void Accounting::keyReplaced(const QString &oldToken, const VirtualKey &key)
{
    if (oldToken == key.token) {
        keyChanged(key);
        return;
    }
    // A regenerated key is the same key: its spend, window, rate windows and the calls in
    // flight under the old token move to the new one (those calls settle on it). Else each
    // regeneration would start from the spend without them, and from empty rate windows.
    const auto move = [this](const LedgerScope &from, const LedgerScope &to) {
        giveLeaseBack(from);  // shared mode: leased on the old scope's row, which goes
        if (!m_ledger.renameScope(from, to)) {
            m_ledger.removeBudget(from);
            m_ledger.removeLimits(from);
        }
    };
    move(LedgerScope::key(oldToken), LedgerScope::key(key.token));
    const QStringList models = m_keyModels.take(oldToken);
    for (const QString &model : models)
        move(LedgerScope::keyModel(oldToken, model), LedgerScope::keyModel(key.token, model));
    if (!models.isEmpty())
        m_keyModels.insert(key.token, models);
    keyChanged(key);
}

void Accounting::userChanged(const User &user)
{
    const LedgerScope scope = LedgerScope::user(user.userId);
    setBudget(scope, budgetConfig(user.budget));
    m_ledger.setLimits(scope, localLimits(user.limits));
    rearmResetTimer();
}

void Accounting::userRemoved(const QString &userId)
{
    giveLeaseBack(LedgerScope::user(userId));
    m_ledger.removeBudget(LedgerScope::user(userId));
    m_ledger.removeLimits(LedgerScope::user(userId));
    rearmResetTimer();
}

void Accounting::endUserChanged(const EndUser &endUser)
{
    const LedgerScope scope = LedgerScope::endUser(endUser.userId);
    setBudget(scope, budgetConfig(endUser.budget));
    m_ledger.setLimits(scope, localLimits(endUser.limits));
    rearmResetTimer();
}

void Accounting::endUserRemoved(const QString &userId)
{
    giveLeaseBack(LedgerScope::endUser(userId));
    m_ledger.removeBudget(LedgerScope::endUser(userId));
    m_ledger.removeLimits(LedgerScope::endUser(userId));
    rearmResetTimer();
}

Accounting::Decision Accounting::admit(const Caller &caller, const QString &endUser, const Deployment &deployment,
                                       const QJsonObject &body, const std::optional<ModelPrice> &price,
                                       const PromptExtras &extras)
{
    Decision decision;
    // api.md §5: the master key (and open access) has no key or user budget or limits of its
    // own, but its calls count like any other: for their end user, whose budget and limits
    // apply to every call naming them, and for the global budget, which caps every call.
    AdmissionRequest request;
    const QString &token = caller.tokenHashText;
    const bool virtualKey = caller.kind == Caller::Kind::VirtualKey;
    if (virtualKey) {
        request.budgets.append(LedgerScope::key(token));
        request.limits.append(LedgerScope::key(token));
        if (!caller.userId.isEmpty() && m_services.identities && m_services.identities->user(caller.userId)) {
            request.budgets.append(LedgerScope::user(caller.userId));
            request.limits.append(LedgerScope::user(caller.userId));
        }
    }
    if (!endUser.isEmpty()) {
        request.budgets.append(LedgerScope::endUser(endUser));
        request.limits.append(LedgerScope::endUser(endUser));
    }
    request.budgets.append(LedgerScope::global());
    if (virtualKey && m_keyModels.value(token).contains(deployment.modelName))
        request.budgets.append(LedgerScope::keyModel(token, deployment.modelName));

    // The prompt is bounded by its UTF-8 bytes (no tokenizing), the output by max_tokens or
    // the model's maximum: their price is an upper bound of the call's cost, so the
    // reservations of calls in flight cover what they can spend. Where that bound would refuse
    // the call or fill a limit, the ledger asks for the exact count (tiktoken's tokens, as the
    // provider will bill them): the bound never admits what the exact count would refuse.
    const OutputTokens output = extras.noOutput
        ? OutputTokens{}
        : requestedOutputTokens(body, deployment, price, [&] { return typicalAnswer(deployment.id); });
    const QString &model = deployment.underlyingModel();
    const qint64 promptBound
        = std::max<qint64>(1, addSaturated(extras.promptBound ? *extras.promptBound : boundRequestPromptTokens(body, model),
                                           std::max<qint64>(extras.hiddenTokens, 0)));
    using CacheWrites = PromptExtras::CacheWrites;
    // Cache writes cost more than input (Anthropic: 1.25× for 5 minutes, 2× for an hour).
    // An answer that may be audio: its output at the dearer of the text and the audio rates; a
    // reasoning rate above the text one (output_cost_per_reasoning_token): the output at it.
    const auto priced = [&](const ModelPrice &rates, qint64 prompt, qint64 outputTokens, qint64 writes, qint64 writes1h) {
        NanoUsd dearest = rates.cost(prompt, outputTokens, 0, writes, writes1h, extras.expectedTools);
        if (extras.audioOutput)
            dearest = std::max(dearest, rates.cost(prompt, outputTokens, 0, writes, writes1h, extras.expectedTools, 0, outputTokens));
        if (rates.reasoningIsDearer())
            dearest = std::max(dearest, rates.cost(prompt, outputTokens, 0, writes, writes1h, extras.expectedTools, 0, 0,
                                                   outputTokens));
        return dearest;
    };
    // A price that changes with the prompt's size: the bound's rates are those of a prompt a little
    // longer than counted, since the provider's count (framing, a tool's schema) decides the tier:
    // 14 tokens short of 200k were admitted at the lower rate and billed at twice it.
    const auto upperBound = [&](qint64 prompt) {
        const qint64 writes = extras.cacheWrites == CacheWrites::None ? 0 : prompt;
        const qint64 writes1h = extras.cacheWrites == CacheWrites::OneHour ? writes : 0;
        if (!price->isTiered())
            return priced(*price, prompt, output.bound, writes, writes1h);
        const qint64 margin = addSaturated(prompt / 50, TierMarginTokens);   // 2 % and some
        return priced(price->forPromptSize(addSaturated(prompt, margin)), prompt, output.bound, writes, writes1h);
    };
    const auto estimate = [&](qint64 prompt) { return priced(*price, prompt, output.estimate, 0, 0); };
    request.estimatedTokens = promptBound;
    request.priceKnown = price.has_value();
    if (price) {
        request.upperBoundCost = upperBound(promptBound);
        request.estimatedCost = estimate(promptBound);
    }
    bool countDeferred = false;
    request.refine = [&](qint64 &tokens, NanoUsd &upperBoundCost, NanoUsd &estimated) {
        if ((extras.promptBytes >= 0 ? extras.promptBytes : tokens) > MaxTokenizedBytes)
            return;   // the bound stands (MaxTokenizedBytes)
        if (!extras.exactPromptCount && extras.countOffThread && tokens > InlineCountTokens) {
            countDeferred = true;   // the bound stands for now (needsExactCount)
            return;
        }
        const qint64 counted = extras.exactPromptCount ? *extras.exactPromptCount
                                                       : countPrompt(extras.exactPrompt, body, model);
        const qint64 exact = std::max<qint64>(1, addSaturated(counted, std::max<qint64>(extras.hiddenTokens, 0)));
        if (exact >= tokens)
            return;
        tokens = exact;
        if (price) {
            // Another maker's tokenizer is not public: the count is cl100k_base's, an estimate that
            // a text of digits or of rare characters exceeds several times over (Llama, Mistral
            // and Qwen split every digit). The bound stays the bytes: a byte is at most a token.
            bool exactTokenizer = false;
            encodingForModel(model, &exactTokenizer);
            if (exactTokenizer)
                upperBoundCost = upperBound(exact);
            estimated = estimate(exact);
        }
    };

    Admission admission = m_ledger.admit(request);
    if (!admission.resets.isEmpty()) {
        persistResets(admission.resets);
        rearmResetTimer();
    }
    if (admission.waitsForLease()) {
        // Shared budgets: the lease must grow first. While the store does not answer leases, a
        // call that needs one is refused at once rather than left waiting.
        if (m_leases && m_leases->unavailable()) {
            decision.refusal = errorResponse(ApiError::ServiceUnavailable,
                                             u"The shared budget store does not answer; budgeted calls cannot be "
                                             "admitted until it does."_s,
                                             admission.leaseNeeds.first().scope.paramName(),
                                             {{QByteArrayLiteral("retry-after"), QByteArrayLiteral("1")}});
            return decision;
        }
        decision.leaseNeeds = admission.leaseNeeds;
        return decision;
    }
    if (!admission.admitted() && countDeferred) {
        decision.needsExactCount = true;   // counted elsewhere, then admitted again
        return decision;
    }
    if (!admission.admitted()) {
        const Refusal &refusal = *admission.refusal;
        HeaderList headers;
        if (refusal.retryAfterMs >= 0)
            headers.append({QByteArrayLiteral("retry-after"), QByteArray::number(refusal.retryAfterSeconds())});
        if (refusal.resetsAt.isValid())
            headers.append({QByteArrayLiteral("x-ratelimit-reset-at"), refusal.resetsAt.toString(Qt::ISODateWithMs).toLatin1()});
        const ApiError error = refusal.kind == Refusal::Kind::RateLimit ? ApiError::Throttling : ApiError::BudgetExceeded;
        decision.refusal = errorResponse(error, refusal.message, refusal.param, headers);
        return decision;
    }
    decision.reservation = admission.reservation;
    decision.heldOutputTokens = m_ledger.enforcement() == BudgetEnforcement::Strict ? output.bound : output.estimate;
    decision.outputLimit = output.limited ? output.bound : 0;
    decision.headers.reserve(qsizetype(admission.limits.size()) * 4 + 2);
    for (const LimitStatus &status : admission.limits) {
        const RateLimitHeaderNames &names = rateLimitHeaderNames(status.scope);
        if (status.requestLimit) {
            decision.headers.append({names.limitRequests, integerHeaderValue(*status.requestLimit)});
            decision.headers.append({names.remainingRequests, integerHeaderValue(status.remainingRequests)});
        }
        if (status.tokenLimit) {
            decision.headers.append({names.limitTokens, integerHeaderValue(*status.tokenLimit)});
            decision.headers.append({names.remainingTokens, integerHeaderValue(status.remainingTokens)});
        }
    }
    if (admission.keySpend)
        decision.headers.append({QByteArrayLiteral("x-litellm-key-spend"), usdHeaderValue(*admission.keySpend)});
    if (admission.keyMaxBudget)
        decision.headers.append({QByteArrayLiteral("x-litellm-key-max-budget"), usdHeaderValue(*admission.keyMaxBudget)});
    return decision;
}

namespace {

qint64 steadyHours()
{
    return std::chrono::duration_cast<std::chrono::hours>(SteadyClock::now().time_since_epoch()).count();
}

} // namespace

void Accounting::noteAnswer(const QString &deploymentId, qint64 completionTokens)
{
    if (completionTokens <= DefaultMaxOutputTokens && !m_answerSizes.contains(deploymentId))
        return;  // nothing to learn: the default holds it
    AnswerSizes &sizes = m_answerSizes[deploymentId];
    const qint64 hour = steadyHours();
    if (hour != sizes.hour) {
        sizes.previous = hour == sizes.hour + 1 ? sizes.current : 0;
        sizes.current = 0;
        sizes.hour = hour;
    }
    sizes.current = std::max(sizes.current, std::clamp<qint64>(completionTokens, 0, UnknownOutputLimit));
}

qint64 Accounting::typicalAnswer(const QString &deploymentId) const
{
    const auto it = m_answerSizes.constFind(deploymentId);
    if (it == m_answerSizes.cend())
        return DefaultMaxOutputTokens;
    const qint64 hour = steadyHours();
    qint64 largest = 0;
    if (it->hour == hour)
        largest = std::max(it->current, it->previous);
    else if (it->hour + 1 == hour)
        largest = it->current;
    return std::max(largest, DefaultMaxOutputTokens);
}

QList<Store::WriteJob> Accounting::settle(ReservationId reservation, NanoUsd cost, qint64 tokens,
                                          QList<JournalBudgetState> *states)
{
    QList<Store::WriteJob> jobs;
    if (!reservation.isValid())
        return jobs;
    const std::optional<Settlement> settlement = m_ledger.settle(reservation, cost, tokens);
    if (!settlement)
        return jobs;
    // Every budget of the call grows by the same cost (the ledger clamps it at 0). The store
    // adds it to what it holds rather than writing the ledger's total: another process on the
    // same database adds its calls too, and the journal's replay adds exactly the same.
    const NanoUsd added = std::max<NanoUsd>(cost, 0);
    jobs.reserve(settlement->spends.size());  // one list each, not a regrowth per budget
    if (states)
        states->reserve(states->size() + settlement->spends.size());
    for (const SpendUpdate &update : settlement->spends) {
        const auto state = m_ledger.budget(update.scope);
        const QDateTime resetAt = state ? state->resetAt : QDateTime();
        const QString duration = state && state->duration ? state->duration->toString() : QString();
        persistSpend(update.scope, update.spend, resetAt, duration, added, jobs);
        if (update.leaseUsed > 0 && m_leases)
            jobs.append(m_leases->settled(update.scope, update.leaseUsed));
        if (states)
            states->append({update.scope, added, resetAt, duration});
    }
    recordEvents(settlement->events);
    return jobs;
}

std::optional<Accounting::InFlight> Accounting::inFlight(ReservationId reservation) const
{
    const std::optional<Held> held = m_ledger.held(reservation);
    if (!held)
        return std::nullopt;
    InFlight call;
    call.cost = std::max<NanoUsd>(held->cost, 0);
    call.promptTokens = held->tokens;
    call.states.reserve(held->budgets.size());
    for (const LedgerScope &scope : held->budgets) {
        const auto state = m_ledger.budget(scope);
        call.states.append({scope, call.cost, state ? state->resetAt : QDateTime(),
                            state && state->duration ? state->duration->toString() : QString()});
    }
    return call;
}

void Accounting::release(ReservationId reservation)
{
    if (reservation.isValid())
        m_ledger.release(reservation);
}

void Accounting::persistSpend(const LedgerScope &scope, NanoUsd spend, const QDateTime &resetAt,
                              const QString &duration, NanoUsd added, QList<Store::WriteJob> &jobs)
{
    // The registry keeps the new state; the store gets one increment whatever moved (addSpend
    // moves the stored window itself when the call's is newer). A scope the registry does not
    // know (deleted meanwhile) writes nothing.
    IdentityRegistry *identities = m_services.identities;
    using Change = IdentityRegistry::BudgetStateChange;
    switch (scope.kind) {
    case LedgerScope::Kind::Key:
        if (!identities || identities->setKeyBudgetState(scope.id, spend, resetAt) == Change::Unknown)
            return;
        break;
    case LedgerScope::Kind::User:
        if (!identities || identities->setUserBudgetState(scope.id, spend, resetAt) == Change::Unknown)
            return;
        break;
    case LedgerScope::Kind::EndUser:
        if (!identities || identities->setEndUserBudgetState(scope.id, spend, resetAt) == Change::Unknown)
            return;
        break;
    case LedgerScope::Kind::Global:
        break;
    case LedgerScope::Kind::KeyModel: {
        // The per-model spend lives in the key's JSON: its increment changes that entry only,
        // never the key's spend column (which the key's own increment counts).
        const qsizetype split = scope.id.indexOf(u'\n');
        if (!identities || split <= 0
            || !identities->setKeyModelBudgetState(scope.id.left(split), scope.id.mid(split + 1), spend, resetAt))
            return;
        break;
    }
    }
    jobs.append(IdentityRepository::addSpend(scope, added, resetAt, duration));
}

void Accounting::giveLeaseBack(const LedgerScope &scope)
{
    if (m_leases)
        m_leases->giveBack(scope);
}

void Accounting::recordEvents(const QList<ThresholdEvent> &events)
{
    if (events.isEmpty() || !m_services.store)
        return;
    QList<Store::WriteJob> jobs;
    for (const ThresholdEvent &event : events) {
        static const char *const names[] = {"soft_budget", "80%", "95%", "100%"};
        const QString kind = QString::fromLatin1(names[int(event.kind)]);
        qCInfo(lcAccounting).noquote() << "budget" << event.scope.paramName() << event.scope.displayId() << "passed" << kind;
        jobs.append(IdentityRepository::audit({u"gateway"_s, u"budget.threshold"_s, event.scope.paramName(),
                                               event.scope.displayId(),
                                               {{u"threshold"_s, kind},
                                                {u"spend"_s, nanosToUsd(event.spend)},
                                                {u"budget"_s, nanosToUsd(event.budget)}}}));
    }
    m_services.store->write(IdentityRepository::all(jobs), m_services.context);
}

void Accounting::applyResets()
{
    const QList<ResetEvent> resets = m_ledger.applyResets();
    if (!resets.isEmpty())
        persistResets(resets);
    rearmResetTimer();
}

void Accounting::persistResets(const QList<ResetEvent> &resets)
{
    QList<Store::WriteJob> jobs;
    for (const ResetEvent &reset : resets) {
        // A window move with nothing added: it never zeroes a window another process (or this
        // one's next call) already moved to, and a call after it moves the window all the same
        // if this write is lost.
        const auto state = m_ledger.budget(reset.scope);
        persistSpend(reset.scope, 0, reset.nextResetAt,
                     state && state->duration ? state->duration->toString() : QString(), 0, jobs);
        jobs.append(IdentityRepository::audit({u"gateway"_s, u"budget.reset"_s, reset.scope.paramName(),
                                               reset.scope.displayId(),
                                               {{u"spend_before"_s, nanosToUsd(reset.spendBefore)},
                                                {u"next_reset_at"_s, IdentityJson::time(reset.nextResetAt)}}}));
    }
    if (m_services.store && !jobs.isEmpty())
        m_services.store->write(IdentityRepository::all(jobs), m_services.context);
}

void Accounting::rearmResetTimer()
{
    const QDateTime next = m_ledger.nextResetAt();
    if (!next.isValid()) {
        m_resetTimer.stop();
        return;
    }
    const qint64 ms = std::max<qint64>(0, m_clock.now().msecsTo(next));
    // QTimer takes an int: far-away resets are re-checked daily.
    m_resetTimer.start(int(std::min<qint64>(ms, 24LL * 3600 * 1000)));
}

} // namespace Tollgate
