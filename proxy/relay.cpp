#include "relay.h"

#include "../models/callid.h"
#include "../models/pricing.h"
#include "../models/tokencount.h"
#include "accounting.h"
#include "../models/store/spendjournal.h"
#include "../models/store/store.h"
#include "anthropic.h"
#include "apierror.h"
#include "jsonreader.h"
#include "jsonscan.h"
#include "metrics.h"
#include "providers/mockprovider.h"
#include "responses.h"
#include "upstream/upstreamclient.h"

#include <QJsonDocument>
#include <QLoggingCategory>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcRelay, "tollgate.relay")

namespace Tollgate {

namespace {

// What the relay reads of a provider's whole JSON answer: its "usage" (in the dialect of the
// call) and, for a Responses call, its "id".
struct AnswerInfo
{
    std::optional<Usage> usage;
    QString id;
    QString serviceTier;   // the answer's service_tier (OpenAI's chat and Responses answers)
    ToolUses hostedTools;  // Responses: the server-side tool calls in its output (when counted)
};

std::optional<Usage> usageOf(CallType type, const QJsonObject &usage)
{
    switch (type) {
    case CallType::Messages: return usageFromAnthropic(usage);
    case CallType::Responses: return usageFromResponses(usage);
    default: return usageFromChat(usage);
    }
}

UsageDialect usageDialect(CallType type)
{
    switch (type) {
    case CallType::Messages: return UsageDialect::Anthropic;
    case CallType::Responses: return UsageDialect::Responses;
    default: return UsageDialect::Chat;
    }
}

// An answer past this many bytes is never parsed into a DOM on the gateway thread.
constexpr qsizetype MaxParsedAnswerBytes = 16LL * 1024 * 1024;

// nullopt when the answer is not a JSON object. Splits the top level and parses only the
// members needed; an escaped or repeated key falls back to parsing the whole answer (one that
// is not past MaxParsedAnswerBytes).
// `countTools`: a Responses answer's output is searched for server-side tool calls.
std::optional<AnswerInfo> answerInfo(CallType type, const QByteArray &body, bool countTools)
{
    QVarLengthArray<JsonMember, 24> members;
    qsizetype close = 0;
    const bool scanned = scanJsonObject(body, &members, &close);
    if (scanned) {
        const JsonMember *usage = nullptr;
        const JsonMember *id = nullptr;
        const JsonMember *tier = nullptr;
        const JsonMember *output = nullptr;
        bool plain = true;
        for (const JsonMember &member : members) {
            plain = plain && !member.keyEscaped;
            if (member.key == "usage") {
                plain = plain && !usage;
                usage = &member;
            } else if (member.key == "id") {
                plain = plain && !id;
                id = &member;
            } else if (member.key == "service_tier") {
                plain = plain && !tier;
                tier = &member;
            } else if (member.key == "output") {
                plain = plain && !output;
                output = &member;
            }
        }
        const auto value = [&body](const JsonMember *member) {
            return QByteArray::fromRawData(body.constData() + member->valueFrom, member->valueTo - member->valueFrom);
        };
        if (plain) {
            AnswerInfo info;
            if (usage && body.at(usage->valueFrom) == '{') {
                bool isObject = false;
                info.usage = usageFromText(usageDialect(type), value(usage), &isObject);
                if (!isObject)
                    return std::nullopt;  // unusable counts are no usage; broken JSON is no answer
            }
            if (id && type == CallType::Responses)
                info.id = jsonStringValue(value(id));
            if (tier && type != CallType::Messages)  // Anthropic's tiers change no price
                info.serviceTier = jsonStringValue(value(tier));
            if (output && countTools && type == CallType::Responses)
                info.hostedTools = Responses::hostedToolCalls(value(output));
            return info;
        }
    }
    // Escaped or repeated keys, or what the scan could not read: parsed, unless too large to parse
    // here (a DOM several times its size, seconds of this thread: 200 MB took 2.5 GB and 20 s).
    // Then its usage is not read (the output is counted, within the call's limit), or, unscanned,
    // it is no answer.
    if (body.size() > MaxParsedAnswerBytes)
        return scanned ? std::optional<AnswerInfo>(AnswerInfo{}) : std::nullopt;
    const QJsonDocument document = QJsonDocument::fromJson(body);
    if (!document.isObject())
        return std::nullopt;
    AnswerInfo info;
    const QJsonValue usage = document.object().value(u"usage"_s);
    if (usage.isObject())
        info.usage = usageOf(type, usage.toObject());
    if (type == CallType::Responses)
        info.id = document.object().value(u"id"_s).toString();
    if (type != CallType::Messages)
        info.serviceTier = document.object().value(u"service_tier"_s).toString();
    if (countTools && type == CallType::Responses)
        info.hostedTools = Responses::hostedToolCalls(
            QJsonDocument(document.object().value(u"output"_s).toArray()).toJson(QJsonDocument::Compact));
    return info;
}

// A stream's text kept in case its usage never comes (counted then).
constexpr qsizetype MaxKeptStreamText = 16LL * 1024 * 1024;
// A stream event is at most this large (a Responses stream's last event repeats the whole answer:
// a long one is a few MB).
constexpr qsizetype MaxStreamEventBytes = 16LL * 1024 * 1024;
// A stream's bytes the client has not taken, past which the provider's answer waits (and down to
// which it resumes): a client that does not read held every byte of its stream in the gateway
// (300 MB sent: 743 MB resident).
constexpr qint64 MaxUnsentBytes = 1024 * 1024;
constexpr qint64 ResumeUnsentBytes = MaxUnsentBytes / 4;

QByteArray sseEvent(const QByteArray &data)
{
    return "data: " + data + "\n\n";
}

// {"error": …} as a stream event (leading whitespace allowed).
bool isErrorEvent(const QByteArray &data)
{
    return data.trimmed().startsWith("{\"error\"");
}

double millisecondsBetween(SteadyClock::time_point from, SteadyClock::time_point to)
{
    return std::chrono::duration<double, std::milli>(to - from).count();
}

} // namespace

RelayCall::RelayCall(GatewayServices &services, Params params, ResponderPtr responder)
    : m_services(services)
    , m_params(std::move(params))
    , m_responder(std::move(responder))
    , m_callId(newCallId())
    , m_startTime(QDateTime::currentDateTimeUtc())
{
}

void RelayCall::start()
{
    std::weak_ptr<RelayCall> weak = weak_from_this();
    m_responder->setDisconnectHandler([weak] {
        if (auto self = weak.lock())
            self->onClientGone();
    });
    // A body read without its prompt never holds a mock_response (the scan's readers send such
    // a request down the full parse).
    const bool mock = m_params.deployment.provider == Provider::Mock
                      || m_params.deployment.mockResponse.has_value()
                      || (!m_params.partialBody && m_params.body.value(u"mock_response"_s).isString());
    if (mock)
        startMock();
    else
        startUpstream();
}

void RelayCall::startMock()
{
    const bool responses = m_params.type == CallType::Responses;
    const QJsonObject request = m_params.upstreamBody.value_or(m_params.body);
    m_stream = m_params.type != CallType::Embedding && request.value(u"stream"_s).toBool(false);
    m_clientWantsUsage = request.value(u"stream_options"_s).toObject().value(u"include_usage"_s).toBool(false);
    m_upstreamStarted = m_upstreamDone = SteadyClock::now();
    MockAnswer answer = responses
        ? mockResponsesAnswer(m_params.deployment, request, m_params.body, m_callId, m_stream)
        : mockAnswer(m_params.type, m_params.deployment, m_params.body, m_callId, m_stream, m_clientWantsUsage);
    m_usage = answer.usage;
    if (responses)
        m_responseId = QJsonDocument::fromJson(answer.body).object().value(u"id"_s).toString();
    m_status = 200;
    auto self = shared_from_this();
    if (!m_stream) {
        m_body = std::move(answer.body);
        settle(u"success"_s, [self] {
            HttpResponse response;
            response.body = self->m_body;
            response.headers = self->gatewayHeaders(true);
            self->m_responder->send(std::move(response));
        });
        return;
    }
    m_streaming = true;
    m_responder->beginStream(200, QByteArrayLiteral("text/event-stream"), gatewayHeaders(false));
    // Everything at once but the end, which waits until the call is recorded: chat's events
    // are data payloads ended by [DONE], the Responses API's whole events ended by
    // response.completed.
    QByteArray out;
    if (responses) {
        m_terminal = answer.events.isEmpty() ? QByteArray() : answer.events.takeLast();
        out = answer.events.join();
    } else {
        for (const QByteArray &event : std::as_const(answer.events))
            out += sseEvent(event);
        m_terminal = QByteArrayLiteral("data: [DONE]\n\n");
    }
    m_responder->writeChunk(out);
    m_sawDone = true;
    settle(u"success"_s, [self] {
        self->m_responder->writeChunk(self->m_terminal);
        self->m_responder->endStream();
    });
}

void RelayCall::startUpstream()
{
    PreparedCall call = prepareUpstreamCall(m_params.type, m_params.deployment,
                                            m_params.upstreamBody.value_or(m_params.body), m_params.rawBody,
                                            m_params.clientHeaders, m_params.partialBody, m_params.spliceSite);
    m_stream = call.stream;
    m_clientWantsUsage = call.clientWantsUsage;
    m_upstreamStarted = SteadyClock::now();

    auto self = shared_from_this();
    UpstreamHandlers handlers;
    handlers.onHead = [self](int status, const HeaderList &headers) { self->onHead(status, headers); };
    handlers.onData = [self](const QByteArray &chunk) { self->onData(chunk); };
    handlers.onDone = [self](const UpstreamResult &result) { self->onDone(result); };
    m_upstreamId = m_services.upstream->start(std::move(call.request), std::move(handlers));
}

void RelayCall::onHead(int status, const HeaderList &headers)
{
    m_status = status;
    for (const auto &[name, value] : headers) {
        if (equalsIgnoringCase(name, "content-type")) {
            m_contentType = value;
            break;
        }
    }
    const bool success = status >= 200 && status < 300;
    if (m_stream && success && m_contentType.contains("text/event-stream") && m_responder->isConnected()) {
        m_streaming = true;
        m_responder->beginStream(200, QByteArrayLiteral("text/event-stream"), gatewayHeaders(false));
    }
}

void RelayCall::onData(const QByteArray &chunk)
{
    if (!m_streaming) {
        holdAnswerPart(chunk);
        return;
    }
    m_parser.feed(chunk);
    relayToClient(isDialectStream() ? relayDialectEvents() : relayChatEvents());
    if (m_parser.pendingBytes() > MaxStreamEventBytes && !m_settling && !m_finished) {
        // An event that does not end would be held whole (a hostile provider's gigabyte took three
        // of memory): the stream is cut, and charged as a provider that was still writing it.
        m_services.upstream->cancel(m_upstreamId);
        m_upstreamId = 0;
        m_upstreamDone = SteadyClock::now();
        m_chargeHeld = !deliveredPart();
        m_cutWhileWriting = deliveredPart();
        failMidStream(502, u"upstream_error"_s,
                      u"The provider sent a stream event larger than %1 bytes."_s.arg(MaxStreamEventBytes));
    }
}

QByteArray RelayCall::relayChatEvents()
{
    QByteArray out;
    SseEvent event;
    while (m_parser.next(event)) {
        if (event.isDone()) {
            // Held back until the call is recorded: [DONE] tells the client it is complete.
            m_sawDone = true;
            m_terminal = QByteArrayLiteral("data: [DONE]\n\n");
            continue;
        }
        const ChunkInfo info = inspectChunk(event.data);
        if (info.usage)
            m_usage = info.usage;
        if (!info.serviceTier.isEmpty())
            m_answerTier = info.serviceTier;
        if (info.usageOnly && !m_clientWantsUsage)
            continue;  // we asked for it, the client did not
        if (!info.usageOnly && isErrorEvent(event.data)) {
            // A provider's error event in the stream: the call failed, after what it sent
            // (charged if that was anything).
            m_streamError = true;
        } else if (!info.usageOnly) {
            ++m_streamedEvents;
            // Kept (bounded) in case the stream ends without a usage block.
            if (!m_usage && m_streamedBytes < MaxKeptStreamText) {
                m_streamedBytes += event.data.size();
                m_streamedPayloads.append(event.data);
            }
        }
        out += event.raw;
    }
    return out;
}

void RelayCall::holdAnswerPart(const QByteArray &chunk)
{
    if (m_settling || m_finished)
        return;   // refused already
    HeldAnswers &answers = m_services.answers;
    qint64 limit = answers.maxEach();
    if (const qint64 responderLimit = m_responder->maxAnswerBytes(); responderLimit >= 0)
        limit = std::min(limit, responderLimit);
    switch (answers.take(m_held, chunk.size(), limit)) {
    case HeldAnswers::Room::Held:
        m_body += chunk;
        return;
    case HeldAnswers::Room::Wait:
        // The answers held fill the total: the rest of this one waits at the provider.
        m_body += chunk;
        answers.waitForRoom(pauseUpstream(&RelayCall::m_waitingForRoom));
        return;
    case HeldAnswers::Room::PastItsLimit:
        break;
    }
    m_services.upstream->cancel(m_upstreamId);
    m_upstreamId = 0;
    m_upstreamDone = SteadyClock::now();
    releaseHeldAnswer();
    // The provider answered (and bills) the call; its usage was in the part not read: charged
    // what admission held for it, as a call whose answer never came.
    m_chargeHeld = true;
    failBeforeAnswer(errorResponse(ApiError::UpstreamError,
                                   u"The provider's answer is larger than %1 bytes."_s.arg(limit)),
                     u"failure"_s);
}

void RelayCall::releaseHeldAnswer()
{
    m_waitingForRoom = false;
    m_services.answers.release(m_held);
    m_body.clear();
}

void RelayCall::relayToClient(const QByteArray &bytes)
{
    if (bytes.isEmpty())
        return;
    m_responder->writeChunk(bytes);
    if (m_upstreamPaused || m_upstreamId == 0 || m_responder->unsentBytes() <= MaxUnsentBytes)
        return;
    m_responder->whenUnsentFallTo(ResumeUnsentBytes, pauseUpstream(&RelayCall::m_upstreamPaused));
}

std::function<void()> RelayCall::pauseUpstream(bool RelayCall::*paused)
{
    this->*paused = true;
    m_services.upstream->setPaused(m_upstreamId, true);
    return [weak = weak_from_this(), paused] {
        auto self = weak.lock();
        if (!self || !((*self).*paused))
            return;
        (*self).*paused = false;
        if (self->m_upstreamId != 0 && !self->m_finished)
            self->m_services.upstream->setPaused(self->m_upstreamId, false);
    };
}

QByteArray RelayCall::relayDialectEvents()
{
    using Kind = DialectEventInfo::Kind;
    const bool anthropic = m_params.type == CallType::Messages;
    QByteArray out;
    SseEvent event;
    while (m_parser.next(event)) {
        if (m_sawDone)
            continue;  // nothing comes after the end
        const DialectEventInfo info = inspectDialectEvent(event, anthropic);
        if (!info.responseId.isEmpty())
            m_responseId = info.responseId;
        switch (info.kind) {
        case Kind::Start:
            if (info.usage)
                m_startUsage = info.usage;
            break;
        case Kind::Usage:
            m_finalUsageUnusable = info.usageUnusable;
            if (info.usage) {
                // message_delta's usage is cumulative; its input counts may be left out (0):
                // message_start's stand.
                Usage usage = *info.usage;
                if (m_startUsage && usage.promptTokens == 0) {
                    usage.promptTokens = m_startUsage->promptTokens;
                    usage.cachedTokens = m_startUsage->cachedTokens;
                    usage.cacheWriteTokens = m_startUsage->cacheWriteTokens;
                    usage.cacheWrite1hTokens = m_startUsage->cacheWrite1hTokens;
                }
                usage.totalTokens = usage.promptTokens + usage.completionTokens;
                m_usage = usage;
            }
            break;
        case Kind::Terminal:
            if (info.usage)
                m_usage = info.usage;
            if (!info.serviceTier.isEmpty())
                m_answerTier = info.serviceTier;
            // The final Response lists the server-side tool calls that ran.
            if (m_usage && m_params.hostedTools && !anthropic)
                m_usage->tools = Responses::hostedToolCalls(event.data);
            if (!m_usage && m_startUsage && anthropic && !m_finalUsageUnusable)
                m_usage = m_startUsage;  // a message_stop without message_delta: no output counted
            // (a message_delta whose usage cannot be billed leaves it unset: the output is counted)
            // Held back until the call is recorded: it tells the client the answer is complete.
            m_sawDone = true;
            m_terminal = event.raw;
            continue;
        case Kind::Failed:
            if (info.usage)
                m_usage = info.usage;
            m_streamError = true;
            break;
        case Kind::Content:
            ++m_streamedEvents;
            // Kept (bounded) in case the stream ends without its final usage.
            if (!m_usage && m_streamedBytes < MaxKeptStreamText) {
                m_streamedBytes += event.data.size();
                m_streamedPayloads.append(event.data);
            }
            break;
        case Kind::Other:
            break;
        }
        out += event.raw;
    }
    return out;
}

void RelayCall::onDone(const UpstreamResult &result)
{
    m_upstreamDone = SteadyClock::now();
    m_upstreamId = 0;
    if (m_finished || m_settling)
        return;
    auto self = shared_from_this();

    if (result.status != UpstreamResult::Status::Ok) {
        const QString base = m_params.deployment.apiBase;
        const bool timeout = result.status == UpstreamResult::Status::Timeout;
        const ApiError error = timeout ? ApiError::Timeout : ApiError::UpstreamError;
        const QString message = timeout
            ? u"The provider at %1 did not answer within %2 s."_s.arg(base).arg(m_params.deployment.timeoutSeconds)
            : u"Could not reach the provider at %1: %2"_s.arg(base, result.message);
        // A provider that got the whole request but did not answer in time works on (and bills)
        // it all the same: charged as admitted, unless a stream already told what it delivered.
        m_chargeHeld = timeout && result.requestSent && !deliveredPart();
        m_cutWhileWriting = timeout && deliveredPart();
        if (m_streaming) {
            const ApiErrorInfo info = apiErrorInfo(error);
            failMidStream(info.status, info.type, message);
        } else {
            failBeforeAnswer(errorResponse(error, message), timeout ? u"timeout"_s : u"failure"_s);
        }
        return;
    }

    if (m_streaming) {
        // A last event without its blank line is read like the others (its usage counts), then
        // relayed, ended.
        if (!m_parser.remainder().trimmed().isEmpty()) {
            m_parser.feed(QByteArrayLiteral("\n\n"));
            const QByteArray rest = isDialectStream() ? relayDialectEvents() : relayChatEvents();
            if (!rest.isEmpty())
                m_responder->writeChunk(rest);
        }
        settle(m_streamError ? u"failure"_s : u"success"_s, [self] {
            if (self->m_sawDone)
                self->m_responder->writeChunk(self->m_terminal);
            self->m_responder->endStream();
        });
        return;
    }

    const bool success = m_status >= 200 && m_status < 300;
    if (!success) {
        // The provider's own error: passed through with its status and body.
        HttpResponse response;
        response.status = m_status > 0 ? m_status : 502;
        response.contentType = m_contentType.isEmpty() ? QByteArrayLiteral("application/json") : m_contentType;
        response.body = m_body;
        response.headers = gatewayHeaders(false);
        failBeforeAnswer(response, u"failure"_s);
        return;
    }
    // The answer is relayed as the provider sent it: only its top level is checked, and only
    // its "usage" is parsed.
    std::optional<AnswerInfo> info = answerInfo(m_params.type, m_body, m_params.hostedTools);
    if (!info) {
        failBeforeAnswer(errorResponse(ApiError::UpstreamError,
                                       u"The provider at %1 sent a malformed answer (not a JSON object)."_s
                                           .arg(m_params.deployment.apiBase)),
                         u"failure"_s);
        return;
    }
    m_usage = info->usage;
    if (m_usage && !info->hostedTools.isEmpty())
        m_usage->tools = info->hostedTools;
    m_responseId = info->id;
    m_answerTier = info->serviceTier;
    settle(m_clientGone ? u"client_disconnected"_s : u"success"_s, [self] {
        HttpResponse response;
        response.contentType = self->m_contentType.isEmpty() ? QByteArrayLiteral("application/json")
                                                             : self->m_contentType;
        response.body = self->m_body;
        response.headers = self->gatewayHeaders(true);
        self->m_responder->send(std::move(response));
    });
}

void RelayCall::onClientGone()
{
    if (m_finished)
        return;
    if (!m_stream && m_upstreamId != 0 && !m_settling) {
        // A non-streamed call: the provider answers (and bills) it whether or not anyone waits,
        // and cancelling would not stop it. Its answer is awaited and recorded with its usage.
        m_clientGone = true;
        return;
    }
    if (m_upstreamId != 0) {
        m_services.upstream->cancel(m_upstreamId);
        m_upstreamId = 0;
        m_upstreamDone = SteadyClock::now();
    }
    if (m_settling)
        return;  // recorded already; nothing left to write
    settle(u"client_disconnected"_s, [] {});
}

void RelayCall::abort(const QString &reason)
{
    if (m_finished || m_settling)
        return;
    if (m_upstreamId != 0) {
        m_services.upstream->cancel(m_upstreamId);
        m_upstreamId = 0;
        m_upstreamDone = SteadyClock::now();
        // Shutdown: the provider has (or is about to have) the request and will bill it.
        m_chargeHeld = !deliveredPart();
    }
    if (m_streaming)
        failMidStream(503, u"service_unavailable"_s, reason);
    else
        failBeforeAnswer(errorResponse(ApiError::ServiceUnavailable, reason), u"failure"_s);
}

void RelayCall::failBeforeAnswer(const HttpResponse &response, const QString &status)
{
    m_failStatus = response.status;
    m_failReason = errorMessageOf(response.body);
    auto self = shared_from_this();
    settle(status, [self, response] {
        HttpResponse sent = response;
        // The call's id: its spend-log row (a failed call may be charged) is found by it.
        if (!std::any_of(sent.headers.cbegin(), sent.headers.cend(),
                         [](const auto &header) { return header.first == "x-litellm-call-id"; }))
            sent.headers.append({QByteArrayLiteral("x-litellm-call-id"), self->m_callId.toLatin1()});
        self->m_responder->send(std::move(sent));
    });
}

void RelayCall::failMidStream(int status, const QString &type, const QString &message)
{
    m_failStatus = status;
    m_failReason = message.left(500);
    // The 200 head is gone: tell the client in the stream (SDKs raise on an error event).
    auto self = shared_from_this();
    QByteArray event;
    if (m_params.type == CallType::Messages) {
        event = "event: error\ndata: " + Anthropic::errorBody(status, message) + "\n\n";
    } else if (m_params.type == CallType::Responses) {
        const QJsonObject failed{
            {u"type"_s, u"response.failed"_s},
            {u"response"_s, QJsonObject{{u"id"_s, m_responseId},
                                        {u"object"_s, u"response"_s},
                                        {u"status"_s, u"failed"_s},
                                        {u"error"_s, QJsonObject{{u"code"_s, type}, {u"message"_s, message}}}}}};
        event = "event: response.failed\ndata: " + compactJson(failed) + "\n\n";
    } else {
        event = sseEvent(errorBody(status, type, message));
    }
    settle(u"failure"_s, [self, event] {
        self->m_responder->writeChunk(event);
        self->m_responder->endStream();
    });
}

void RelayCall::addUntoldOutput(Usage &usage, qint64 tokens) const
{
    if (m_params.audioOutput) {
        usage.audioCompletionTokens = usage.completionTokens;   // an answer that may be audio: all of it
        return;
    }
    if (m_params.price && m_params.price->reasoningIsDearer())
        usage.reasoningTokens = std::min(usage.completionTokens - usage.audioCompletionTokens,
                                         usage.reasoningTokens + std::max<qint64>(tokens, 0));
}

NanoUsd RelayCall::cost(bool *priceUnknown) const
{
    const std::optional<ModelPrice> &price = m_params.price;
    *priceUnknown = !price.has_value();
    if (!m_usage || !price)
        return 0;
    ToolUses tools = m_usage->tools;
    if (m_params.chatWebSearch)
        tools.webSearches = std::max<qint64>(tools.webSearches, 1);
    // The tier that served the call, as the answer says; else the one asked for.
    const ServiceTier tier = m_answerTier.isEmpty() ? m_params.requestedTier : serviceTierOf(m_answerTier);
    const auto costAt = [&](const ModelPrice &rates) {
        return rates.cost(m_usage->promptTokens, m_usage->completionTokens, m_usage->cachedTokens,
                          m_usage->cacheWriteTokens, m_usage->cacheWrite1hTokens, tools, m_usage->audioPromptTokens,
                          m_usage->audioCompletionTokens, m_usage->reasoningTokens);
    };
    return tier == ServiceTier::Standard ? costAt(*price) : costAt(price->forServiceTier(tier));
}

void RelayCall::settle(const QString &status, std::function<void()> complete)
{
    if (m_settling || m_finished)
        return;
    m_settling = true;
    if (m_upstreamDone.time_since_epoch().count() == 0)
        m_upstreamDone = SteadyClock::now();

    SpendLogRow row = logRow(status);
    // The tier the provider chose for a call that left it to the provider: the next such call to
    // this deployment is reserved at it.
    if (m_params.tierLeftToProvider && !m_answerTier.isEmpty())
        m_services.providerTiers.insert(m_params.deployment.id, serviceTierOf(m_answerTier));
    row.httpStatus = m_failStatus;
    row.reason = m_failReason;
    // A stream that failed after content reached the client (upstream reset, timeout,
    // shutdown, a provider's error event) is charged for what was delivered: the provider
    // bills it. A failure before any content costs nothing.
    const bool charged = status == u"success" || status == u"client_disconnected" || deliveredPart() || m_chargeHeld;
    bool outputCounted = false;   // the output was counted from the relayed text, not told
    const QString &model = m_params.deployment.underlyingModel();
    // Texts past MaxTokenizedBytes count as their bytes (never tokenized on this thread).
    const auto countedPrompt = [&]() -> qint64 {
        const qint64 shown = m_params.rawBody.size() > MaxTokenizedBytes
                                 ? m_params.rawBody.size()
                                 : countPrompt(m_params.exactPrompt, m_params.body, model);
        return addSaturated(shown, m_params.hiddenPromptTokens);
    };
    const auto countedOutput = [&]() -> qint64 {
        if (!m_streaming && m_body.size() > MaxTokenizedBytes)
            return m_body.size();   // its bytes, never parsed here (a byte is at most a token)
        const QString text = m_streaming ? streamedText(m_streamedPayloads) : answerText(m_body);
        if (text.size() > MaxTokenizedBytes)
            return text.toUtf8().size();
        return countTextTokens(text, model);
    };
    if (m_chargeHeld) {
        // No answer came (timeout, shutdown) though the provider had the request: charged what
        // admission held for it, its prompt and the output it was admitted for (strict: the
        // bound; reserve: the estimate). Charging nothing let a slow provider's calls go free.
        Usage held;
        if (m_startUsage)
            held = *m_startUsage;
        else
            held.promptTokens = countedPrompt();
        held.completionTokens = std::max<qint64>(m_params.heldOutputTokens, 0);
        held.totalTokens = held.promptTokens + held.completionTokens;
        held.tools = held.tools.atLeast(m_params.expectedTools);
        addUntoldOutput(held, held.completionTokens);
        m_usage = held;
        row.costEstimated = true;
    } else if (charged && !m_usage) {
        // An answer or a stream without a usable usage block (client gone, broken off, a
        // provider without it or with counts that are no numbers): the tokens are counted from
        // the request and the text relayed — never $0.
        Usage estimate;
        // Anthropic's message_start told the exact prompt; else it is counted.
        if (m_startUsage)
            estimate = *m_startUsage;
        else
            estimate.promptTokens = countedPrompt();
        estimate.completionTokens = countedOutput();
        addUntoldOutput(estimate, estimate.completionTokens);
        outputCounted = true;
        estimate.totalTokens = estimate.promptTokens + estimate.completionTokens;
        estimate.tools = estimate.tools.atLeast(m_params.expectedTools);
        m_usage = estimate;
        row.costEstimated = true;
    } else if (charged && m_params.type != CallType::Embedding
               && (m_usage->promptTokens <= 0 || m_usage->completionTokens <= 0)) {
        // A usage of 0 tokens beside a prompt or an answer (a broken or hostile upstream) is
        // no count of them: what was sent and relayed is counted instead. Zeros made every
        // call free.
        Usage checked = *m_usage;
        if (checked.promptTokens <= 0)
            checked.promptTokens = countedPrompt();
        if (checked.completionTokens <= 0) {
            checked.completionTokens = countedOutput();
            addUntoldOutput(checked, checked.completionTokens);
            outputCounted = true;
        }
        if (checked.promptTokens != m_usage->promptTokens || checked.completionTokens != m_usage->completionTokens) {
            checked.totalTokens = checked.promptTokens + checked.completionTokens;
            m_usage = checked;
            row.costEstimated = true;
        }
    }
    // No call brings more output than its limit (max_tokens and the like, the model's own): a larger
    // count is a provider's error (900 million tokens told for max_tokens 10) or the bytes of a
    // long answer counted as its tokens, and charged a strict budget many times over.
    if (charged && m_usage && m_params.outputLimit > 0 && m_usage->completionTokens > m_params.outputLimit
        && m_params.type != CallType::Embedding) {
        if (!outputCounted)
            qCWarning(lcRelay) << "the provider told" << m_usage->completionTokens << "output tokens for a call limited to"
                               << m_params.outputLimit << "; charged the limit";
        Usage capped = *m_usage;
        capped.completionTokens = m_params.outputLimit;
        capped.audioCompletionTokens = std::min(capped.audioCompletionTokens, capped.completionTokens);
        capped.totalTokens = capped.promptTokens + capped.completionTokens;
        m_usage = capped;
        row.costEstimated = true;
    }
    // Output the provider bills but the relayed text does not show: a model that reasons unseen, an
    // audio answer. Counted from the text, or told by a usage block before the stream's end (a
    // running count: vLLM's continuous_usage_stats), it is at least what admission held for the
    // output. So is a stream the provider was still writing when it was cut: it timed out (a client
    // that reads slowly paused it: the provider wrote on), or an event did not end.
    const bool hiddenOutput = m_params.reasonsUnseen || m_params.audioOutput;
    const bool cutShort = m_streaming && !m_sawDone;
    if (charged && m_usage && !m_chargeHeld && m_params.type != CallType::Embedding
        && (m_cutWhileWriting || (hiddenOutput && (outputCounted || cutShort)))) {
        Usage floored = *m_usage;
        floored.completionTokens = std::max(floored.completionTokens, m_params.heldOutputTokens);
        addUntoldOutput(floored, floored.completionTokens - m_usage->completionTokens);
        floored.totalTokens = floored.promptTokens + floored.completionTokens;
        if (floored.completionTokens != m_usage->completionTokens
            || floored.audioCompletionTokens != m_usage->audioCompletionTokens) {
            m_usage = floored;
            row.costEstimated = true;
        }
    }
    if (charged && m_usage) {
        row.promptTokens = m_usage->promptTokens;
        row.completionTokens = m_usage->completionTokens;
        row.totalTokens = m_usage->totalTokens;
        row.cachedTokens = m_usage->cachedTokens;
        row.cacheWriteTokens = m_usage->cacheWriteTokens;
        row.cacheWrite1hTokens = m_usage->cacheWrite1hTokens;
    }
    if (charged)
        row.spend = cost(&row.priceUnknown);
    const NanoUsd spend = row.spend;
    if (Metrics *metrics = m_services.metrics)
        metrics->recordCall(row, overheadMs() / 1000.0);

    JournalRecord record;
    record.row = std::move(row);
    QList<Store::WriteJob> jobs;
    if (Accounting *accounting = m_services.accounting) {
        if (charged && m_usage && !m_chargeHeld && m_params.type != CallType::Embedding)
            accounting->noteAnswer(m_params.deployment.id, m_usage->completionTokens);
        if (charged)
            jobs = accounting->settle(m_params.reservation, spend, m_usage ? m_usage->totalTokens : 0, &record.states);
        else
            accounting->release(m_params.reservation);
    }
    // A response the provider keeps: remembered, and stored in the spend row's batch.
    if (status == u"success" && m_params.onResponse && !m_responseId.isEmpty()) {
        if (std::optional<Store::WriteJob> job = m_params.onResponse(m_responseId, m_usage.value_or(Usage())))
            jobs.append(std::move(*job));
    }

    auto self = shared_from_this();
    auto done = [self, complete = std::move(complete)] {
        complete();
        self->finish();
    };
    if (!m_services.store) {
        done();
        return;
    }
    // The spend-log row and the new spend totals commit together. Journaled, the call is
    // durable already and answers at once; otherwise it answers after COMMIT.
    // `done` runs once: after the journal write or after COMMIT, whichever answers first. A
    // journaled call's commit is not reported back (nothing is left to do then): only its failure.
    const auto doneOnce = [shared = std::make_shared<std::function<void()>>(std::move(done))] {
        if (*shared)
            std::exchange(*shared, {})();
    };
    // Recorded and answered from the event loop, with the other calls settled in this pass:
    // callers of settle() never see the call finish inside it.
    SettledCall call;
    call.record = std::move(record);
    call.inFlightSeq = m_inFlightSeq;
    call.jobs = std::move(jobs);
    call.context = m_services.context;
    call.done = [doneOnce](const Result<void> &result) {
        if (!result)
            qCWarning(lcRelay) << "spend not recorded:" << result.error().message;
        doneOnce();
    };
    call.delivery = Store::Delivery::FailuresWhenAnsweredNow;
    m_services.store->recordSpendSoon(std::move(call), doneOnce);
}

SpendLogRow RelayCall::logRow(const QString &status) const
{
    SpendLogRow row;
    row.requestId = m_callId;
    row.callType = m_params.callTypeName.isEmpty() ? callTypeName(m_params.type) : m_params.callTypeName;
    // A key regenerated while this call ran: logged under its new token, as its history is.
    row.apiKey = m_services.identities ? m_services.identities->currentToken(m_params.apiKeyHash) : m_params.apiKeyHash;
    row.startTime = m_startTime;
    row.endTime = QDateTime::currentDateTimeUtc();
    row.model = m_params.deployment.upstreamModel;
    row.modelGroup = m_params.deployment.modelName;
    row.modelId = m_params.deployment.id;
    row.endUser = m_params.endUser;
    row.userId = m_params.userId;
    row.status = status;
    row.dialect = m_params.dialect;
    row.sessionId = m_params.sessionId;
    return row;
}

void RelayCall::noteInFlight()
{
    // A crash while the provider works on the call would lose its cost (the provider bills it):
    // the journal keeps what admission held for it until the call settles (Store::noteInFlight).
    if (!awaitsProvider() || !m_services.store || !m_services.accounting)
        return;
    const std::optional<Accounting::InFlight> held = m_services.accounting->inFlight(m_params.reservation);
    if (!held)
        return;
    JournalRecord record;
    record.row = logRow(InterruptedStatus);
    record.row.promptTokens = held->promptTokens;
    record.row.completionTokens = m_params.heldOutputTokens;
    record.row.totalTokens = held->promptTokens + m_params.heldOutputTokens;
    record.row.spend = held->cost;
    record.row.costEstimated = true;
    record.row.priceUnknown = !m_params.price.has_value();
    record.row.reason = u"The gateway stopped while the provider had the call; charged what was held for it."_s;
    record.states = held->states;
    m_inFlightSeq = m_services.store->noteInFlight(record);
}

void RelayCall::finish()
{
    if (m_finished)
        return;
    m_finished = true;
    // The answer's bytes are the client's connection's now (or nobody's).
    releaseHeldAnswer();
    if (onFinished)
        onFinished(this);
}

double RelayCall::overheadMs() const
{
    const auto now = SteadyClock::now();
    const auto upstreamEnd = m_upstreamDone.time_since_epoch().count() ? m_upstreamDone : now;
    const double upstreamMs = m_upstreamStarted.time_since_epoch().count()
                                  ? millisecondsBetween(m_upstreamStarted, upstreamEnd)
                                  : 0.0;
    return std::max(0.0, millisecondsBetween(m_params.receivedAt, now) - upstreamMs);
}

HeaderList RelayCall::gatewayHeaders(bool withCost) const
{
    const double overhead = overheadMs();
    HeaderList headers;
    headers.reserve(m_params.admissionHeaders.size() + 5);   // one allocation, not a copy and a regrowth
    headers.append(m_params.admissionHeaders);
    headers.append({QByteArrayLiteral("x-litellm-call-id"), m_callId.toLatin1()});
    headers.append({QByteArrayLiteral("x-litellm-model-id"), m_params.deployment.id.toUtf8()});
    headers.append({QByteArrayLiteral("x-litellm-model-group"), m_params.deployment.modelName.toUtf8()});
    headers.append({QByteArrayLiteral("x-litellm-overhead-duration-ms"), millisecondsHeaderValue(overhead)});
    if (withCost) {
        bool unknown = false;
        const NanoUsd spend = cost(&unknown);
        headers.append({QByteArrayLiteral("x-litellm-response-cost"), usdHeaderValue(spend)});
    }
    return headers;
}

} // namespace Tollgate
