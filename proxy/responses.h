#pragma once

#include "sse.h"

#include <QByteArray>
#include <QByteArrayList>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace Tollgate {
class RequestScan;
}

namespace Tollgate::Responses {

// OpenAI's Responses API (POST /v1/responses, what Codex CLI speaks), relayed as it is to
// providers that serve it. The gateway meters it with the machinery chat completions use:
// admission bounds a chat-completions-shaped stand-in of the request, and the usage comes
// from the Response (or the stream's response.completed event).

// A Responses request checked, and its prompt as a chat-completions body for counting.
struct AccountingBody
{
    // model, user, stream, max_tokens (= max_output_tokens, absent when absent) and messages,
    // tools, tool_choice, response_format holding everything the provider bills as input.
    // Only for Accounting::admit / boundRequestPromptTokens / countRequestPromptTokens: it is
    // never sent upstream (the provider gets the Responses request itself).
    QJsonObject chat;
    QString error;        // non-empty: the request is refused with a 400 saying this
    QString errorParam;   // the field the error is about (the error envelope's `param`)
};

// Checks what the gateway relies on (model; input a string or an array; instructions a
// string; stream a boolean; max_output_tokens a whole number of 0 or more;
// previous_response_id and user strings; null counts as absent) and refuses background
// responses, whose cost arrives after the call and cannot be metered. Every input item is
// counted: messages with their parts (text exactly, images at their family's maximum — by
// file id as high detail —, files like chat's file parts), function calls and their outputs,
// reasoning items (their summary, content and encrypted content: billed as input), and any
// other item or part as its compact JSON text (never fewer bytes than tokens), plus the
// images and files it holds. Function tools become chat tools; other tools (web_search,
// file_search, mcp, custom…) and a prompt template reference are counted as JSON in a system
// message; text.format becomes response_format.
//
// Not countable here (the provider holds it): the context of previous_response_id,
// conversation and item_reference items, a stored prompt template's own text, and what
// hosted tools (web search, file search) add to the input while the response runs.
// `withPrompt` false: checked the same, but the chat body carries only what admission reads of
// it, max_tokens (the prompt is bounded some other way: see PromptExtras::promptBound).
// `scan`: `request` was read without its prompt (input, instructions, tools: only with
// `withPrompt` false); the scan gives their types.
AccountingBody accountingBody(const QJsonObject &request, bool withPrompt = true, const RequestScan *scan = nullptr);

// A mock Response, shaped as OpenAI's API reference shows it.
struct MockResult
{
    QByteArray body;            // the Response JSON (also when streaming: the final Response)
    QByteArrayList events;      // streaming: whole SSE event blocks "event: <type>\ndata: <json>\n\n", in order
    Usage usage;
};

// A Response with one assistant message holding `text`, echoing the request's settings
// (instructions, max_output_tokens, previous_response_id, tools, tool_choice, text,
// temperature, top_p, parallel_tool_calls, metadata, …) the way the API does. `incomplete`:
// the text was cut at max_output_tokens (status "incomplete", incomplete_details.reason
// "max_output_tokens", a response.incomplete event instead of response.completed).
// A stream is response.created, response.in_progress, response.output_item.added,
// response.content_part.added, response.output_text.delta (a word at a time),
// response.output_text.done, response.content_part.done, response.output_item.done,
// response.completed with the usage; sequence_number counts from 0.
MockResult mockResponse(const QJsonObject &request, const QString &responseId, const QString &model,
                        const QString &text, qint64 inputTokens, qint64 outputTokens, bool stream,
                        bool incomplete = false);

// The usage of a Response (its `usage`: input_tokens, output_tokens — reasoning tokens are
// part of them —, total_tokens, input_tokens_details.cached_tokens); nullopt without one.
std::optional<Usage> usageOfResponse(const QJsonObject &response);

// What the relay needs to know about one streamed Responses event.
struct StreamEventInfo
{
    QByteArray type;              // "response.output_text.delta", …; empty if it has none
    std::optional<Usage> usage;   // response.completed / response.incomplete / response.failed
    bool terminal = false;        // response.completed, response.incomplete, response.failed
    bool failed = false;          // response.failed, or an `error` event (which need not be terminal)
    QString responseId;           // response.created (and the terminal events): the response's id
    QString serviceTier;          // the terminal events: the response's service_tier (empty: none)
};

// The server-side tool calls in a Response's text (its `output`, or a whole Response or event):
// every "type" key whose value is "web_search_call", "file_search_call",
// "code_interpreter_call" or "image_generation_call" — a key, not text (a quote inside a
// string is escaped), so none is missed and none is made up by content. Code interpreter
// calls count one session per distinct "container_id" (at least one).
ToolUses hostedToolCalls(QByteArrayView text);

// An input item that names an item the provider stored, which it adds to the prompt: type
// "item_reference" (in any case, spaces around it), or no type (absent, null or empty: the API
// reads it as a reference) with an id and no role (absent, null or empty).
bool isItemReference(const QJsonObject &item);

// The field of a Responses request that names context the provider keeps and bills as input:
// "prompt" (a stored prompt template) or "input" (an item reference, isItemReference); empty
// when none.
QString storedContextField(const QJsonObject &request);

// What a call declaring these Responses `tools` is expected to use of the fee-billed ones: one
// of each kind declared (web search, file search, a code interpreter container, an image).
// Reserve mode holds their fees; a call charged without its answer's count is charged them.
ToolUses expectedToolUses(const QJsonValue &tools);

// Whether a Responses request asks its model to reason: its "reasoning" object (an effort of
// "none": false; else true); nullopt without one.
std::optional<bool> asksReasoning(const QJsonObject &request);

// Whether a Responses request's `tools` declare a tool the provider runs itself (web_search,
// web_search_preview, file_search, code_interpreter, image_generation, mcp, and any type not
// known to run on the client): everything but function, custom, local_shell, shell,
// apply_patch and computer_use(_preview), whose calls come back to the client.
bool declaresHostedTools(const QJsonValue &tools);

// Reads the type from the `event:` line (else from the data's top-level "type", without
// parsing the JSON); parses the data only for response.created, the terminal events and
// error — never for deltas and the other events.
StreamEventInfo inspectEvent(const SseEvent &event);

} // namespace Tollgate::Responses
