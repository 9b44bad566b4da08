#include "toolsetup.h"

using namespace Qt::StringLiterals;

namespace Tollgate::ToolSetup {

namespace {

// A word the shell takes as it is: no whitespace, quotes or metacharacters (non-ASCII
// letters, like the placeholder's "…", are plain word characters).
QString shellWord(const QString &value)
{
    static const QString special = u" \t\n'\"\\$`!*?[]{}()<>|&;#~"_s;
    bool plain = !value.isEmpty();
    for (const QChar c : value) {
        if (special.contains(c) || c.unicode() < 0x20) {
            plain = false;
            break;
        }
    }
    if (plain)
        return value;
    QString quoted = value;
    quoted.replace(u"'"_s, u"'\\''"_s);
    return u"'"_s + quoted + u"'"_s;
}

// A double-quoted string in Python, TOML and JSON alike (all three accept these escapes).
QString quotedString(const QString &value)
{
    QString escaped;
    escaped.reserve(value.size() + 2);
    escaped += u'"';
    for (const QChar c : value) {
        if (c == u'"' || c == u'\\')
            escaped += u'\\';
        if (c.unicode() < 0x20) {
            escaped += u"\\u%1"_s.arg(int(c.unicode()), 4, 16, QChar(u'0'));
            continue;
        }
        escaped += c;
    }
    escaped += u'"';
    return escaped;
}

// A YAML value: plain where YAML reads it back as the same string (a URL is; ": ", " #" and a
// leading indicator are not), else double-quoted.
QString yamlScalar(const QString &value)
{
    static const QString indicators = u"-?:,[]{}#&*!|>'\"%@`"_s;
    bool plain = !value.isEmpty() && !value.front().isSpace() && !value.back().isSpace()
                 && !indicators.contains(value.front()) && !value.contains(u": "_s) && !value.contains(u" #"_s)
                 && !value.endsWith(u':');
    for (const QChar c : value) {
        if (c.unicode() < 0x20)
            plain = false;
    }
    // Words YAML would read as something else than a string.
    static const QStringList nonStrings{u"true"_s, u"false"_s, u"yes"_s, u"no"_s, u"on"_s, u"off"_s,
                                        u"null"_s, u"~"_s};
    bool isNumber = false;
    value.toDouble(&isNumber);
    if (isNumber || nonStrings.contains(value, Qt::CaseInsensitive))
        plain = false;
    return plain ? value : quotedString(value);
}

// Inside a single-quoted shell word (curl's -d '…').
QString inSingleQuotes(const QString &value)
{
    QString escaped = value;
    return escaped.replace(u"'"_s, u"'\\''"_s);
}

} // namespace

QList<Tool> allTools()
{
    return {Tool::ClaudeCode, Tool::CodexCli,     Tool::Cursor,          Tool::Continue,
            Tool::Aider,      Tool::OpenAiPython, Tool::AnthropicPython, Tool::Curl};
}

QString toolName(Tool tool)
{
    switch (tool) {
    case Tool::ClaudeCode: return u"Claude Code"_s;
    case Tool::CodexCli: return u"Codex CLI"_s;
    case Tool::Cursor: return u"Cursor"_s;
    case Tool::Continue: return u"Continue"_s;
    case Tool::Aider: return u"Aider"_s;
    case Tool::OpenAiPython: return u"OpenAI SDK (Python)"_s;
    case Tool::AnthropicPython: return u"Anthropic SDK (Python)"_s;
    case Tool::Curl: return u"curl"_s;
    }
    return {};
}

QString toolId(Tool tool)
{
    switch (tool) {
    case Tool::ClaudeCode: return u"claude-code"_s;
    case Tool::CodexCli: return u"codex-cli"_s;
    case Tool::Cursor: return u"cursor"_s;
    case Tool::Continue: return u"continue"_s;
    case Tool::Aider: return u"aider"_s;
    case Tool::OpenAiPython: return u"openai-python"_s;
    case Tool::AnthropicPython: return u"anthropic-python"_s;
    case Tool::Curl: return u"curl"_s;
    }
    return {};
}

bool speaksAnthropic(Tool tool)
{
    return tool == Tool::ClaudeCode || tool == Tool::AnthropicPython;
}

QString rootUrl(const QString &baseUrl)
{
    QString root = baseUrl.trimmed();
    while (root.endsWith(u'/'))
        root.chop(1);
    if (root.endsWith(u"/v1"_s))
        root.chop(3);
    return root;
}

QString openAiUrl(const QString &baseUrl)
{
    return rootUrl(baseUrl) + u"/v1"_s;
}

QString toolSetup(Tool tool, const QString &baseUrl, const QString &key, const QString &model,
                  const QString &smallModel)
{
    const QString root = rootUrl(baseUrl);
    const QString v1 = openAiUrl(baseUrl);
    const QString apiKey = key.isEmpty() ? QString::fromUtf16(KeyPlaceholder) : key;
    const QString modelName = model.isEmpty() ? u"your-model"_s : model;
    switch (tool) {
    case Tool::ClaudeCode:
        // ANTHROPIC_AUTH_TOKEN goes out as "Authorization: Bearer", which Tollgate reads like x-api-key.
        return u"export ANTHROPIC_BASE_URL=%1\n"
               "export ANTHROPIC_AUTH_TOKEN=%2\n"
               "export ANTHROPIC_MODEL=%3\n"
               "export ANTHROPIC_SMALL_FAST_MODEL=%4\n"
               "claude\n"_s.arg(shellWord(root), shellWord(apiKey), shellWord(modelName),
                                shellWord(smallModel.isEmpty() ? modelName : smallModel));
    case Tool::CodexCli:
        // Codex reads the key from the variable env_key names; the export is a TOML comment so
        // the whole text can go into config.toml as it is.
        return u"# ~/.codex/config.toml — and in the shell that runs codex:\n"
               "#   export TOLLGATE_API_KEY=%1\n"
               "model = %2\n"
               "model_provider = \"tollgate\"\n"
               "\n"
               "[model_providers.tollgate]\n"
               "name = \"Tollgate\"\n"
               "base_url = %3\n"
               "env_key = \"TOLLGATE_API_KEY\"\n"
               "wire_api = \"responses\"\n"_s.arg(shellWord(apiKey), quotedString(modelName), quotedString(v1));
    case Tool::Cursor:
        // Not a file: the fields of Cursor's settings, as Cursor names them.
        return u"Cursor → Settings → Models\n"
               "  OpenAI API Key:            %1\n"
               "  Override OpenAI Base URL:  %2\n"
               "  Add model:                 %3\n"_s.arg(apiKey, v1, modelName);
    case Tool::Continue:
        return u"# ~/.continue/config.yaml\n"
               "models:\n"
               "  - name: %1\n"
               "    provider: openai\n"
               "    model: %2\n"
               "    apiBase: %3\n"
               "    apiKey: %4\n"_s.arg(yamlScalar(modelName + u" (Tollgate)"_s), yamlScalar(modelName),
                                         yamlScalar(v1), yamlScalar(apiKey));
    case Tool::Aider:
        // Aider routes through LiteLLM: "openai/" picks the OpenAI-compatible client and is
        // stripped again, so the gateway sees the model_name itself.
        return u"aider --openai-api-base %1 --openai-api-key %2 --model %3\n"_s.arg(
            shellWord(v1), shellWord(apiKey), shellWord(u"openai/"_s + modelName));
    case Tool::OpenAiPython:
        return u"from openai import OpenAI\n"
               "\n"
               "client = OpenAI(base_url=%1, api_key=%2)\n"
               "response = client.responses.create(model=%3, input=\"Hi\")\n"
               "print(response.output_text)\n"
               "\n"
               "# Chat completions work with every model of the gateway:\n"
               "chat = client.chat.completions.create(model=%3, messages=[{\"role\": \"user\", \"content\": \"Hi\"}])\n"
               "print(chat.choices[0].message.content)\n"_s.arg(quotedString(v1), quotedString(apiKey),
                                                                quotedString(modelName));
    case Tool::AnthropicPython:
        return u"import anthropic\n"
               "\n"
               "client = anthropic.Anthropic(base_url=%1, api_key=%2)\n"
               "message = client.messages.create(\n"
               "    model=%3, max_tokens=256, messages=[{\"role\": \"user\", \"content\": \"Hi\"}]\n"
               ")\n"
               "print(message.content[0].text)\n"_s.arg(quotedString(root), quotedString(apiKey),
                                                        quotedString(modelName));
    case Tool::Curl:
        return u"curl %1/chat/completions \\\n"
               "  -H \"Authorization: Bearer %2\" \\\n"
               "  -H \"Content-Type: application/json\" \\\n"
               "  -d '{\"model\": %3, \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}'\n"_s.arg(
                   shellWord(v1), apiKey, inSingleQuotes(quotedString(modelName)));
    }
    return {};
}

} // namespace Tollgate::ToolSetup
