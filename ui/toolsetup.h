#pragma once

#include <QList>
#include <QString>

namespace Tollgate {

// The ready set-ups of the "Connect a tool" page: what to paste into a coding tool or a
// script so it calls this gateway with one virtual key. They follow README.md's "Point your
// tools" (same variables, same files); pure text, so each is unit-tested.
namespace ToolSetup {

enum class Tool {
    ClaudeCode,        // Anthropic Messages: ANTHROPIC_BASE_URL (no /v1) + ANTHROPIC_AUTH_TOKEN
    CodexCli,          // OpenAI Responses: ~/.codex/config.toml, wire_api = "responses"
    Cursor,            // OpenAI chat: "Override OpenAI Base URL" (called from Cursor's servers)
    Continue,          // ~/.continue/config.yaml, provider openai
    Aider,             // --openai-api-base … --model openai/<model>
    OpenAiPython,      // openai SDK, base_url with /v1
    AnthropicPython,   // anthropic SDK, base_url without /v1
    Curl,              // a chat completion, to check the key and the model by hand
};

// Every tool, in the order the page lists them.
QList<Tool> allTools();
// "Claude Code", "Codex CLI", …: product names, not translated.
QString toolName(Tool tool);
// A stable id for object names and settings: "claude-code", "codex-cli", …
QString toolId(Tool tool);
// Whether the tool speaks Anthropic's Messages dialect (it wants a Claude model).
bool speaksAnthropic(Tool tool);

// What stands in for a key the window cannot show (the API returns a raw key only when it
// is created): the same "sk-…" as the README.
inline constexpr char16_t KeyPlaceholder[] = u"sk-…";

// The set-up text for `tool`: `baseUrl` is the gateway's root (http://127.0.0.1:4000; a
// trailing "/" or "/v1" is ignored — Anthropic's clients take the root, OpenAI's add /v1),
// `key` the virtual key (empty: KeyPlaceholder), `model` a model_name of the gateway (empty:
// a "your-model" placeholder). `smallModel` is Claude Code's ANTHROPIC_SMALL_FAST_MODEL
// (empty: `model`). Values are quoted for the file's language where they need it.
QString toolSetup(Tool tool, const QString &baseUrl, const QString &key, const QString &model,
                  const QString &smallModel = {});

// The gateway's root and its OpenAI base URL (root + "/v1") from any of the forms above.
QString rootUrl(const QString &baseUrl);
QString openAiUrl(const QString &baseUrl);

} // namespace ToolSetup

} // namespace Tollgate
