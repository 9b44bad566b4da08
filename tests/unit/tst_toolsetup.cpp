#include "ui/toolsetup.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace Tollgate;
using ToolSetup::Tool;

// The "Connect a tool" set-ups: README's "Point your tools" with the real base URL, key and model.
class TestToolSetup : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void baseUrlFormsAllGiveTheRootAndV1();
    void claudeCodeUsesTheRootAndAnthropicVariables();
    void codexConfigSpeaksResponsesAndNamesItsKeyVariable();
    void cursorNamesItsFields();
    void continueYamlHasTheV1BaseAndKey();
    void aiderPrefixesTheModelWithOpenAi();
    void openAiSdkHasV1AndAnthropicSdkHasNot();
    void curlCallsChatCompletions();
    void aMissingKeyOrModelIsAPlaceholder();
    void oddValuesAreQuotedForEachLanguage();
    void everyToolHasANameAndASetUp();
};

namespace {
const QString Base = u"http://127.0.0.1:4321"_s;
const QString Key = u"sk-AbCdEfGhIjKlMnOpQrStUv"_s;
} // namespace

void TestToolSetup::baseUrlFormsAllGiveTheRootAndV1()
{
    for (const QString &form : QStringList{Base, Base + u"/"_s, Base + u"/v1"_s, Base + u"/v1/"_s}) {
        QCOMPARE(ToolSetup::rootUrl(form), Base);
        QCOMPARE(ToolSetup::openAiUrl(form), Base + u"/v1"_s);
    }
}

void TestToolSetup::claudeCodeUsesTheRootAndAnthropicVariables()
{
    const QString text = ToolSetup::toolSetup(Tool::ClaudeCode, Base + u"/v1"_s, Key, u"claude-sonnet-4-5"_s,
                                              u"claude-haiku-4-5"_s);
    QCOMPARE(text, u"export ANTHROPIC_BASE_URL=http://127.0.0.1:4321\n"
                   "export ANTHROPIC_AUTH_TOKEN=sk-AbCdEfGhIjKlMnOpQrStUv\n"
                   "export ANTHROPIC_MODEL=claude-sonnet-4-5\n"
                   "export ANTHROPIC_SMALL_FAST_MODEL=claude-haiku-4-5\n"
                   "claude\n"_s);
    // Without a small model, the chosen one serves both.
    QVERIFY(ToolSetup::toolSetup(Tool::ClaudeCode, Base, Key, u"gpt-4o"_s)
                .contains(u"export ANTHROPIC_SMALL_FAST_MODEL=gpt-4o\n"_s));
}

void TestToolSetup::codexConfigSpeaksResponsesAndNamesItsKeyVariable()
{
    const QString text = ToolSetup::toolSetup(Tool::CodexCli, Base, Key, u"gpt-4o"_s);
    QVERIFY(text.contains(u"model = \"gpt-4o\"\nmodel_provider = \"tollgate\"\n"_s));
    QVERIFY(text.contains(u"[model_providers.tollgate]\nname = \"Tollgate\"\n"
                          "base_url = \"http://127.0.0.1:4321/v1\"\n"
                          "env_key = \"TOLLGATE_API_KEY\"\n"
                          "wire_api = \"responses\"\n"_s));
    QVERIFY(text.contains(u"#   export TOLLGATE_API_KEY=sk-AbCdEfGhIjKlMnOpQrStUv\n"_s));
    // The key is only in a comment: the text stays valid TOML for config.toml.
    for (const QString &line : text.split(u'\n')) {
        if (line.contains(Key))
            QVERIFY2(line.startsWith(u'#'), qPrintable(line));
    }
}

void TestToolSetup::cursorNamesItsFields()
{
    const QString text = ToolSetup::toolSetup(Tool::Cursor, Base, Key, u"gpt-4o"_s);
    QVERIFY(text.contains(u"Override OpenAI Base URL:  http://127.0.0.1:4321/v1\n"_s));
    QVERIFY(text.contains(u"OpenAI API Key:            sk-AbCdEfGhIjKlMnOpQrStUv\n"_s));
    QVERIFY(text.contains(u"Add model:                 gpt-4o\n"_s));
}

void TestToolSetup::continueYamlHasTheV1BaseAndKey()
{
    QCOMPARE(ToolSetup::toolSetup(Tool::Continue, Base, Key, u"gpt-4o"_s),
             u"# ~/.continue/config.yaml\n"
             "models:\n"
             "  - name: gpt-4o (Tollgate)\n"
             "    provider: openai\n"
             "    model: gpt-4o\n"
             "    apiBase: http://127.0.0.1:4321/v1\n"
             "    apiKey: sk-AbCdEfGhIjKlMnOpQrStUv\n"_s);
}

void TestToolSetup::aiderPrefixesTheModelWithOpenAi()
{
    QCOMPARE(ToolSetup::toolSetup(Tool::Aider, Base, Key, u"gpt-4o"_s),
             u"aider --openai-api-base http://127.0.0.1:4321/v1 --openai-api-key sk-AbCdEfGhIjKlMnOpQrStUv "
             "--model openai/gpt-4o\n"_s);
    // A model_name that already has a provider prefix keeps it: Aider strips only its own.
    QVERIFY(ToolSetup::toolSetup(Tool::Aider, Base, Key, u"openai/gpt-4o"_s).contains(u"--model openai/openai/gpt-4o"_s));
}

void TestToolSetup::openAiSdkHasV1AndAnthropicSdkHasNot()
{
    const QString openAi = ToolSetup::toolSetup(Tool::OpenAiPython, Base, Key, u"gpt-4o"_s);
    QVERIFY(openAi.contains(
        u"client = OpenAI(base_url=\"http://127.0.0.1:4321/v1\", api_key=\"sk-AbCdEfGhIjKlMnOpQrStUv\")\n"_s));
    QVERIFY(openAi.contains(u"client.responses.create(model=\"gpt-4o\", input=\"Hi\")"_s));
    QVERIFY(openAi.contains(u"client.chat.completions.create(model=\"gpt-4o\""_s));

    const QString anthropic = ToolSetup::toolSetup(Tool::AnthropicPython, Base + u"/v1"_s, Key, u"claude-sonnet-4-5"_s);
    QVERIFY(anthropic.contains(
        u"client = anthropic.Anthropic(base_url=\"http://127.0.0.1:4321\", api_key=\"sk-AbCdEfGhIjKlMnOpQrStUv\")\n"_s));
    QVERIFY(anthropic.contains(u"model=\"claude-sonnet-4-5\", max_tokens=256"_s));
    QVERIFY(!anthropic.contains(u"/v1"_s));
}

void TestToolSetup::curlCallsChatCompletions()
{
    QCOMPARE(ToolSetup::toolSetup(Tool::Curl, Base, Key, u"gpt-4o"_s),
             u"curl http://127.0.0.1:4321/v1/chat/completions \\\n"
             "  -H \"Authorization: Bearer sk-AbCdEfGhIjKlMnOpQrStUv\" \\\n"
             "  -H \"Content-Type: application/json\" \\\n"
             "  -d '{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}'\n"_s);
}

void TestToolSetup::aMissingKeyOrModelIsAPlaceholder()
{
    for (const Tool tool : ToolSetup::allTools()) {
        const QString text = ToolSetup::toolSetup(tool, Base, QString(), QString());
        QVERIFY2(text.contains(u"sk-…"_s), qPrintable(ToolSetup::toolName(tool)));
        QVERIFY2(text.contains(u"your-model"_s), qPrintable(ToolSetup::toolName(tool)));
    }
    // The placeholder reads as in the README: unquoted.
    QVERIFY(ToolSetup::toolSetup(Tool::ClaudeCode, Base, {}, u"m"_s).contains(u"ANTHROPIC_AUTH_TOKEN=sk-…\n"_s));
}

void TestToolSetup::oddValuesAreQuotedForEachLanguage()
{
    const QString odd = u"team \"x\" it's"_s;
    QVERIFY(ToolSetup::toolSetup(Tool::ClaudeCode, Base, Key, odd)
                .contains(u"export ANTHROPIC_MODEL='team \"x\" it'\\''s'\n"_s));
    QVERIFY(ToolSetup::toolSetup(Tool::CodexCli, Base, Key, odd).contains(u"model = \"team \\\"x\\\" it's\"\n"_s));
    QVERIFY(ToolSetup::toolSetup(Tool::OpenAiPython, Base, Key, odd).contains(u"model=\"team \\\"x\\\" it's\""_s));
    QVERIFY(ToolSetup::toolSetup(Tool::Continue, Base, Key, u"gpt: 4"_s).contains(u"    model: \"gpt: 4\"\n"_s));
    QVERIFY(ToolSetup::toolSetup(Tool::Continue, Base, Key, u"[x]"_s).contains(u"    model: \"[x]\"\n"_s));
    QVERIFY(ToolSetup::toolSetup(Tool::Continue, Base, Key, u"true"_s).contains(u"    model: \"true\"\n"_s));
    QVERIFY(ToolSetup::toolSetup(Tool::Curl, Base, Key, odd).contains(u"{\"model\": \"team \\\"x\\\" it'\\''s\""_s));
}

void TestToolSetup::everyToolHasANameAndASetUp()
{
    QSet<QString> ids;
    for (const Tool tool : ToolSetup::allTools()) {
        QVERIFY(!ToolSetup::toolName(tool).isEmpty());
        ids.insert(ToolSetup::toolId(tool));
        QVERIFY(ToolSetup::toolSetup(tool, Base, Key, u"gpt-4o"_s).contains(Key));
    }
    QCOMPARE(ids.size(), 8);
    QVERIFY(ToolSetup::speaksAnthropic(Tool::ClaudeCode));
    QVERIFY(ToolSetup::speaksAnthropic(Tool::AnthropicPython));
    QVERIFY(!ToolSetup::speaksAnthropic(Tool::CodexCli));
}

QTEST_GUILESS_MAIN(TestToolSetup)
#include "tst_toolsetup.moc"
