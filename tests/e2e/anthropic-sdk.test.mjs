// End-to-end test: the official Anthropic TypeScript SDK (what Claude Code is built on)
// against a real tollgate process serving POST /v1/messages:
//  - from a mock Claude model (create, stream, countTokens, the model list, auth and budget errors);
//  - relayed to a fake Anthropic provider (node:http in this process, support.mjs) behind an
//    anthropic/ deployment: create, stream, count_tokens, a tool round trip, the provider's 400,
//    a budget refusal, and the spend log priced to the nano-dollar with cache reads and writes;
//  - translated to OpenAI chat for an openai/ deployment backed by a fake OpenAI upstream.
// Run with `node --test`. Needs `npm ci --prefix tests/e2e` and a built tollgate binary (env
// TOLLGATE_BINARY, else ../../build/dev/bin/tollgate relative to this file).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
    ANTHROPIC, OPENAI, adminClient, assertSpend, loadSdk, perToken, spendRows, startFakeAnthropic, startFakeOpenAI,
    startTollgate,
} from './support.mjs';

const MASTER_KEY = 'sk-e2e-anthropic-master';
const ANTHROPIC_PROVIDER_KEY = 'sk-ant-e2e-provider-secret';
const OPENAI_PROVIDER_KEY = 'sk-openai-e2e-provider-secret';
// Prices in whole nano-dollars per token, so every expected spend is exact.
const MOCK_PRICE = { input: 3000, output: 15000 };
const CLAUDE_PRICE = { input: 3000, output: 15000, cacheRead: 300, cacheWrite: 3750 };
const GPT_PRICE = { input: 2500, output: 10000 };

const { sdk: Anthropic, problem: sdkProblem } = await loadSdk('@anthropic-ai/sdk');

// An Anthropic usage block priced at CLAUDE_PRICE, in nano-dollars.
const claudeNanos = (usage) => usage.input_tokens * CLAUDE_PRICE.input + usage.output_tokens * CLAUDE_PRICE.output
    + usage.cache_read_input_tokens * CLAUDE_PRICE.cacheRead + usage.cache_creation_input_tokens * CLAUDE_PRICE.cacheWrite;

function writeConfig(dir, anthropicOrigin, openaiOrigin) {
    const file = path.join(dir, 'config.yaml');
    fs.writeFileSync(file, `# written by tests/e2e/anthropic-sdk.test.mjs
model_list:
  - model_name: claude-mock
    litellm_params:
      model: mock/claude-sonnet-4-5
      input_cost_per_token: ${perToken(MOCK_PRICE.input)}
      output_cost_per_token: ${perToken(MOCK_PRICE.output)}
  - model_name: claude-sonnet-4-5
    litellm_params:
      model: anthropic/claude-sonnet-4-5
      api_base: ${anthropicOrigin}
      api_key: os.environ/E2E_ANTHROPIC_KEY
      timeout: 20
      input_cost_per_token: ${perToken(CLAUDE_PRICE.input)}
      output_cost_per_token: ${perToken(CLAUDE_PRICE.output)}
      cache_read_input_token_cost: ${perToken(CLAUDE_PRICE.cacheRead)}
      cache_creation_input_token_cost: ${perToken(CLAUDE_PRICE.cacheWrite)}
    model_info:
      id: e2e-anthropic-deployment
  - model_name: gpt-via-messages
    litellm_params:
      model: openai/gpt-e2e-upstream
      api_base: ${openaiOrigin}/v1
      api_key: os.environ/E2E_OPENAI_KEY
      timeout: 20
      input_cost_per_token: ${perToken(GPT_PRICE.input)}
      output_cost_per_token: ${perToken(GPT_PRICE.output)}
general_settings:
  master_key: ${MASTER_KEY}
`);
    return file;
}

if (sdkProblem) {
    it('@anthropic-ai/sdk npm package is installed', () => assert.fail(sdkProblem));
} else {
    describe('tollgate with the official Anthropic SDK', () => {
        let dir = null;
        let tollgate = null;
        let fakeAnthropic = null;
        let fakeOpenAI = null;
        let origin = null;
        let client = null;
        let admin = null;
        let sessions = 0;
        // A fresh session id per call: its spend log row is then found by ?session_id=.
        const session = () => {
            const id = `e2e-anthropic-session-${++sessions}`;
            return { id, options: { headers: { 'x-session-id': id } } };
        };
        const messagesTo = (fake) => fake.requests.filter((r) => r.url.split('?')[0] === '/v1/messages');

        before(async () => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-e2e-anthropic-'));
            [fakeAnthropic, fakeOpenAI] = await Promise.all([startFakeAnthropic(), startFakeOpenAI()]);
            tollgate = startTollgate(writeConfig(dir, fakeAnthropic.origin, fakeOpenAI.origin), path.join(dir, 'db.sqlite'),
                { E2E_ANTHROPIC_KEY: ANTHROPIC_PROVIDER_KEY, E2E_OPENAI_KEY: OPENAI_PROVIDER_KEY });
            origin = `http://127.0.0.1:${await tollgate.port}`;
            admin = adminClient(origin, MASTER_KEY);
            const { key } = await admin('/key/generate', { method: 'POST', body: '{}' });
            // ANTHROPIC_BASE_URL without /v1, as Claude Code takes it; the key as x-api-key.
            client = new Anthropic({ baseURL: origin, apiKey: key, maxRetries: 0, timeout: 15_000 });
        });

        after(async () => {
            await tollgate?.stop();
            await fakeAnthropic?.close();
            await fakeOpenAI?.close();
            if (dir)
                fs.rmSync(dir, { recursive: true, force: true });
        });

        describe('a mock Claude model', () => {
            it('creates a message, logged and charged at the model price', async () => {
                const { id, options } = session();
                const message = await client.messages.create({
                    model: 'claude-mock', max_tokens: 100, system: 'Be brief.',
                    messages: [{ role: 'user', content: 'Hello from the Anthropic SDK' }],
                }, options);
                assert.equal(message.type, 'message');
                assert.equal(message.role, 'assistant');
                assert.equal(message.stop_reason, 'end_turn');
                assert.equal(message.content[0].type, 'text');
                assert.ok(message.usage.input_tokens > 0 && message.usage.output_tokens > 0);
                const [row] = await spendRows(admin, id);
                assert.equal(row.call_type, 'anthropic_messages');
                assert.equal(row.dialect, 'messages');
                assert.equal(row.prompt_tokens, message.usage.input_tokens);
                assert.equal(row.completion_tokens, message.usage.output_tokens);
                assertSpend(row, message.usage.input_tokens * MOCK_PRICE.input + message.usage.output_tokens * MOCK_PRICE.output);
            });

            it('streams a message', async () => {
                const stream = client.messages.stream({
                    model: 'claude-mock', max_tokens: 100, messages: [{ role: 'user', content: 'Stream, please' }],
                });
                let text = '';
                stream.on('text', (piece) => { text += piece; });
                const final = await stream.finalMessage();
                assert.ok(text.length > 0);
                assert.equal(final.content[0].text, text);
                assert.equal(final.stop_reason, 'end_turn');
                assert.ok(final.usage.output_tokens > 0);
            });

            it('counts tokens and lists models', async () => {
                const count = await client.messages.countTokens({
                    model: 'claude-mock', messages: [{ role: 'user', content: 'How many tokens?' }],
                });
                assert.ok(count.input_tokens > 0);
                const ids = [];
                for await (const model of client.models.list())
                    ids.push(model.id);
                assert.deepEqual(ids.sort(), ['claude-mock', 'claude-sonnet-4-5', 'gpt-via-messages']);
            });

            it('refuses a wrong key with an AuthenticationError', async () => {
                const wrong = new Anthropic({ baseURL: origin, apiKey: 'sk-wrong', maxRetries: 0 });
                await assert.rejects(
                    wrong.messages.create({ model: 'claude-mock', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
                    (error) => error instanceof Anthropic.AuthenticationError && error.error?.error?.type === 'authentication_error');
            });

            it('refuses a key over its budget with a RateLimitError naming the budget', async () => {
                const { key } = await admin('/key/generate', { method: 'POST', body: '{"max_budget": 0}' });
                const broke = new Anthropic({ baseURL: origin, authToken: key, apiKey: null, maxRetries: 0 });
                await assert.rejects(
                    broke.messages.create({ model: 'claude-mock', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
                    (error) => error instanceof Anthropic.RateLimitError && /budget/i.test(error.error?.error?.message));
            });
        });

        describe('an anthropic/ deployment relayed to a fake Anthropic provider', () => {
            it('creates a message: the provider\'s answer, its key, and the spend to the nano-dollar', async () => {
                const before = messagesTo(fakeAnthropic).length;
                const { id, options } = session();
                const message = await client.messages.create({
                    model: 'claude-sonnet-4-5', max_tokens: 200, system: 'Be brief.',
                    messages: [{ role: 'user', content: 'Hello, relayed' }],
                }, options);
                assert.equal(message.type, 'message');
                assert.equal(message.content[0].text, ANTHROPIC.text);
                assert.equal(message.stop_reason, 'end_turn');
                assert.deepEqual(message.usage, ANTHROPIC.usage);

                const received = messagesTo(fakeAnthropic).slice(before);
                assert.equal(received.length, 1);
                const [request] = received;
                assert.equal(request.headers['x-api-key'], ANTHROPIC_PROVIDER_KEY);
                assert.ok(request.headers['anthropic-version'], 'no anthropic-version header');
                assert.ok(!request.raw.includes(MASTER_KEY) && !JSON.stringify(request.headers).includes(client.apiKey),
                    'the client key leaked to the provider');
                assert.equal(request.body.model, 'claude-sonnet-4-5');
                assert.equal(request.body.system, 'Be brief.');
                assert.equal(request.body.max_tokens, 200);

                const [row] = await spendRows(admin, id);
                assert.equal(row.dialect, 'messages');
                assert.equal(row.model_group, 'claude-sonnet-4-5');
                const u = ANTHROPIC.usage;
                assert.equal(row.prompt_tokens, u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens);
                assert.equal(row.completion_tokens, u.output_tokens);
                assert.equal(row.cached_tokens, u.cache_read_input_tokens);
                assert.equal(row.cache_write_tokens, u.cache_creation_input_tokens);
                assertSpend(row, claudeNanos(u));
            });

            it('streams a message (finalMessage), charged from message_start and message_delta', async () => {
                const { id, options } = session();
                const stream = client.messages.stream({
                    model: 'claude-sonnet-4-5', max_tokens: 200, messages: [{ role: 'user', content: 'Stream, relayed' }],
                }, options);
                const pieces = [];
                stream.on('text', (piece) => pieces.push(piece));
                const final = await stream.finalMessage();
                assert.deepEqual(pieces, ANTHROPIC.pieces);
                assert.equal(final.content[0].text, ANTHROPIC.text);
                assert.equal(final.stop_reason, 'end_turn');
                assert.equal(final.usage.output_tokens, ANTHROPIC.streamUsage.output_tokens);
                assert.equal(final.usage.cache_read_input_tokens, ANTHROPIC.streamUsage.cache_read_input_tokens);

                const [row] = await spendRows(admin, id);
                const u = ANTHROPIC.streamUsage;
                assert.equal(row.prompt_tokens, u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens);
                assert.equal(row.completion_tokens, u.output_tokens);
                assert.equal(row.cached_tokens, u.cache_read_input_tokens);
                assert.equal(row.cache_write_tokens, u.cache_creation_input_tokens);
                assertSpend(row, claudeNanos(u));
            });

            it('counts tokens with the provider\'s count', async () => {
                const before = fakeAnthropic.requests.length;
                const count = await client.messages.countTokens({
                    model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'How many tokens?' }],
                });
                assert.equal(count.input_tokens, ANTHROPIC.countTokens);
                const received = fakeAnthropic.requests.slice(before);
                assert.equal(received.length, 1);
                assert.equal(received[0].url, '/v1/messages/count_tokens');
                assert.equal(received[0].headers['x-api-key'], ANTHROPIC_PROVIDER_KEY);
                assert.equal(received[0].body.model, 'claude-sonnet-4-5');
            });

            const weatherTool = {
                name: 'get_weather', description: 'The weather in a city',
                input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
            };

            it('round-trips a tool call: tool_use, then tool_result', async () => {
                const question = { role: 'user', content: 'What is the weather in Paris?' };
                const first = await client.messages.create({
                    model: 'claude-sonnet-4-5', max_tokens: 200, tools: [weatherTool], messages: [question],
                });
                assert.equal(first.stop_reason, 'tool_use');
                const call = first.content.find((block) => block.type === 'tool_use');
                assert.ok(call, JSON.stringify(first.content));
                assert.equal(call.id, ANTHROPIC.toolId);
                assert.equal(call.name, 'get_weather');
                assert.deepEqual(call.input, ANTHROPIC.toolInput);

                const before = messagesTo(fakeAnthropic).length;
                const second = await client.messages.create({
                    model: 'claude-sonnet-4-5', max_tokens: 200, tools: [weatherTool],
                    messages: [question, { role: 'assistant', content: first.content },
                        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '18 degrees, sunny' }] }],
                });
                assert.equal(second.stop_reason, 'end_turn');
                assert.equal(second.content[0].text, 'The tool said: 18 degrees, sunny');
                const [request] = messagesTo(fakeAnthropic).slice(before);
                assert.deepEqual(request.body.messages[1].content.at(-1),
                    { type: 'tool_use', id: ANTHROPIC.toolId, name: 'get_weather', input: ANTHROPIC.toolInput });
                assert.equal(request.body.messages[2].content[0].tool_use_id, ANTHROPIC.toolId);
            });

            it('streams a tool call (input_json_delta)', async () => {
                const final = await client.messages.stream({
                    model: 'claude-sonnet-4-5', max_tokens: 200, tools: [weatherTool],
                    messages: [{ role: 'user', content: 'Weather in Paris, streamed?' }],
                }).finalMessage();
                assert.equal(final.stop_reason, 'tool_use');
                const call = final.content.find((block) => block.type === 'tool_use');
                assert.deepEqual(call?.input, ANTHROPIC.toolInput, JSON.stringify(final.content));
            });

            it('surfaces the provider\'s 400 as a BadRequestError with its message', async () => {
                const { id, options } = session();
                const error = await client.messages.create({
                    model: 'claude-sonnet-4-5', max_tokens: 20,
                    messages: [{ role: 'user', content: `Please ${ANTHROPIC.failTrigger}` }],
                }, options).then(() => null, (caught) => caught);
                assert.ok(error instanceof Anthropic.BadRequestError, `expected BadRequestError, got ${error}`);
                assert.equal(error.status, 400);
                assert.equal(error.error?.error?.message, ANTHROPIC.errorMessage, JSON.stringify(error.error));
                assert.equal(error.error?.error?.type, 'invalid_request_error');
                const [row] = await spendRows(admin, id);
                assert.equal(row.spend, 0, JSON.stringify(row));
            });

            it('refuses a key over its budget with a RateLimitError, never calling the provider', async () => {
                const { key } = await admin('/key/generate', { method: 'POST', body: '{"max_budget": 0}' });
                const broke = new Anthropic({ baseURL: origin, apiKey: key, maxRetries: 0 });
                const before = fakeAnthropic.requests.length;
                const error = await broke.messages.create({
                    model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'x' }],
                }).then(() => null, (caught) => caught);
                assert.ok(error instanceof Anthropic.RateLimitError, `expected RateLimitError, got ${error}`);
                assert.match(error.error?.error?.message ?? '', /budget/i);
                assert.equal(fakeAnthropic.requests.length, before, 'a refused call reached the provider');
            });
        });

        describe('an openai/ deployment, translated from Messages to chat completions', () => {
            const chatTo = () => fakeOpenAI.requests.filter((r) => r.url === '/v1/chat/completions');

            it('creates a message from the provider\'s chat completion', async () => {
                const before = chatTo().length;
                const { id, options } = session();
                const message = await client.messages.create({
                    model: 'gpt-via-messages', max_tokens: 64, system: 'You are translated.',
                    messages: [{ role: 'user', content: 'Hello through a translation' }],
                }, options);
                assert.equal(message.type, 'message');
                assert.equal(message.role, 'assistant');
                assert.equal(message.content[0].type, 'text');
                assert.equal(message.content[0].text, OPENAI.chatText);
                assert.equal(message.stop_reason, 'end_turn');
                assert.equal(message.usage.input_tokens, OPENAI.chatUsage.prompt_tokens);
                assert.equal(message.usage.output_tokens, OPENAI.chatUsage.completion_tokens);

                const received = chatTo().slice(before);
                assert.equal(received.length, 1);
                const [request] = received;
                assert.equal(request.headers.authorization, `Bearer ${OPENAI_PROVIDER_KEY}`);
                assert.equal(request.body.model, 'gpt-e2e-upstream');
                assert.deepEqual(request.body.messages.map((m) => m.role), ['system', 'user']);
                assert.equal(request.body.messages[0].content, 'You are translated.');

                const [row] = await spendRows(admin, id);
                assert.equal(row.dialect, 'messages');
                assert.equal(row.prompt_tokens, OPENAI.chatUsage.prompt_tokens);
                assertSpend(row, OPENAI.chatUsage.prompt_tokens * GPT_PRICE.input + OPENAI.chatUsage.completion_tokens * GPT_PRICE.output);
            });

            it('streams a message from the provider\'s chat stream', async () => {
                const { id, options } = session();
                const stream = client.messages.stream({
                    model: 'gpt-via-messages', max_tokens: 64, messages: [{ role: 'user', content: 'Stream through a translation' }],
                }, options);
                let text = '';
                stream.on('text', (piece) => { text += piece; });
                const final = await stream.finalMessage();
                assert.equal(text, OPENAI.chatText);
                assert.equal(final.content[0].text, OPENAI.chatText);
                assert.equal(final.stop_reason, 'end_turn');
                assert.equal(final.usage.output_tokens, OPENAI.chatUsage.completion_tokens);
                const [row] = await spendRows(admin, id);
                assertSpend(row, OPENAI.chatUsage.prompt_tokens * GPT_PRICE.input + OPENAI.chatUsage.completion_tokens * GPT_PRICE.output);
            });
        });

        it('recorded the spend of every call without a store warning', () => {
            assert.ok(!/spend not recorded/i.test(tollgate.output.stderr), `stderr:\n${tollgate.output.stderr}`);
        });
    });
}
