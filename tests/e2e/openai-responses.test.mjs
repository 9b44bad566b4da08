// End-to-end test: the official OpenAI Node SDK against a real tollgate process, on the
// Responses API and on chat completions translated to Anthropic's Messages API:
//  - responses.* relayed to fake OpenAI providers (node:http in this process, support.mjs)
//    behind openai/ deployments: create (output_text), streams to response.completed, a
//    follow-up with previous_response_id (pinned to the provider that stored the first
//    response: the group has two, served in turn, and each fake knows only its own),
//    retrieve, and the spend log priced to the nano-dollar with cached input tokens;
//  - chat.completions (plain and streamed) against an anthropic/ deployment backed by a fake
//    Anthropic provider;
//  - a budget refusal as RateLimitError.
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

const MASTER_KEY = 'sk-e2e-responses-master';
const OPENAI_PROVIDER_KEY = 'sk-openai-e2e-responses-provider';
const ANTHROPIC_PROVIDER_KEY = 'sk-ant-e2e-chat-provider';
// Prices in whole nano-dollars per token, so every expected spend is exact.
const GPT_PRICE = { input: 2000, output: 8000, cacheRead: 500 };
const CLAUDE_PRICE = { input: 3000, output: 15000, cacheRead: 300, cacheWrite: 3750 };

const { sdk: OpenAI, problem: sdkProblem } = await loadSdk('openai');

// A Responses usage block (input_tokens includes the cached ones) priced at GPT_PRICE.
const responsesNanos = (usage) => {
    const cached = usage.input_tokens_details.cached_tokens;
    return (usage.input_tokens - cached) * GPT_PRICE.input + cached * GPT_PRICE.cacheRead + usage.output_tokens * GPT_PRICE.output;
};
const claudeNanos = (usage) => usage.input_tokens * CLAUDE_PRICE.input + usage.output_tokens * CLAUDE_PRICE.output
    + usage.cache_read_input_tokens * CLAUDE_PRICE.cacheRead + usage.cache_creation_input_tokens * CLAUDE_PRICE.cacheWrite;

function writeConfig(dir, openaiOrigins, anthropicOrigin) {
    const file = path.join(dir, 'config.yaml');
    const gptDeployment = (origin, index) => `  - model_name: gpt-responses
    litellm_params:
      model: openai/gpt-e2e-responses
      api_base: ${origin}/v1
      api_key: os.environ/E2E_OPENAI_KEY
      timeout: 20
      input_cost_per_token: ${perToken(GPT_PRICE.input)}
      output_cost_per_token: ${perToken(GPT_PRICE.output)}
      cache_read_input_token_cost: ${perToken(GPT_PRICE.cacheRead)}
    model_info:
      id: e2e-responses-${index}
`;
    fs.writeFileSync(file, `# written by tests/e2e/openai-responses.test.mjs
model_list:
${openaiOrigins.map(gptDeployment).join('')}  - model_name: claude-via-chat
    litellm_params:
      model: anthropic/claude-sonnet-4-5
      api_base: ${anthropicOrigin}
      api_key: os.environ/E2E_ANTHROPIC_KEY
      timeout: 20
      input_cost_per_token: ${perToken(CLAUDE_PRICE.input)}
      output_cost_per_token: ${perToken(CLAUDE_PRICE.output)}
      cache_read_input_token_cost: ${perToken(CLAUDE_PRICE.cacheRead)}
      cache_creation_input_token_cost: ${perToken(CLAUDE_PRICE.cacheWrite)}
  - model_name: mock-responses
    litellm_params:
      model: mock/gpt-4o-mini
      input_cost_per_token: 0.000001
      output_cost_per_token: 0.000002
general_settings:
  master_key: ${MASTER_KEY}
`);
    return file;
}

if (sdkProblem) {
    it('openai npm package is installed', () => assert.fail(sdkProblem));
} else {
    describe('tollgate with the official OpenAI SDK: Responses API and chat → Anthropic', () => {
        let dir = null;
        let tollgate = null;
        let fakes = [];          // two fake OpenAI providers, one deployment each
        let fakeAnthropic = null;
        let baseURL = null;
        let client = null;
        let admin = null;
        let sessions = 0;
        const session = () => {
            const id = `e2e-responses-session-${++sessions}`;
            return { id, options: { headers: { 'x-session-id': id } } };
        };
        const responsesTo = (fake) => fake.requests.filter((r) => r.method === 'POST' && r.url === '/v1/responses');
        const allResponses = () => fakes.reduce((sum, fake) => sum + responsesTo(fake).length, 0);
        // The fake that created a response (its name is in the id).
        const fakeOf = (responseId) => fakes.find((fake) => responseId.startsWith(`resp_${fake.name}_`));

        before(async () => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-e2e-responses-'));
            const [a, b, anthropic] = await Promise.all([
                startFakeOpenAI({ name: 'a' }), startFakeOpenAI({ name: 'b' }), startFakeAnthropic(),
            ]);
            a.name = 'a';
            b.name = 'b';
            fakes = [a, b];
            fakeAnthropic = anthropic;
            tollgate = startTollgate(writeConfig(dir, fakes.map((fake) => fake.origin), fakeAnthropic.origin),
                path.join(dir, 'db.sqlite'), { E2E_OPENAI_KEY: OPENAI_PROVIDER_KEY, E2E_ANTHROPIC_KEY: ANTHROPIC_PROVIDER_KEY });
            const origin = `http://127.0.0.1:${await tollgate.port}`;
            baseURL = `${origin}/v1`;
            admin = adminClient(origin, MASTER_KEY);
            const { key } = await admin('/key/generate', { method: 'POST', body: '{}' });
            client = new OpenAI({ baseURL, apiKey: key, maxRetries: 0, timeout: 15_000 });
        });

        after(async () => {
            await tollgate?.stop();
            await Promise.all([...fakes, fakeAnthropic].filter(Boolean).map((fake) => fake.close()));
            if (dir)
                fs.rmSync(dir, { recursive: true, force: true });
        });

        describe('responses.* relayed to openai/ deployments', () => {
            it('responses.create: output_text, the provider\'s key, and the spend with cached tokens at the cache-read price', async () => {
                const { id, options } = session();
                const response = await client.responses.create({
                    model: 'gpt-responses', instructions: 'Be brief.', input: 'Hello, Responses',
                }, options);
                assert.equal(response.object, 'response');
                assert.equal(response.status, 'completed');
                assert.equal(response.output_text, OPENAI.responsesText);
                assert.deepEqual(response.usage, OPENAI.responsesUsage);

                const fake = fakeOf(response.id);
                assert.ok(fake, `response id ${response.id} names no fake`);
                const request = responsesTo(fake).at(-1);
                assert.equal(request.headers.authorization, `Bearer ${OPENAI_PROVIDER_KEY}`);
                assert.ok(!JSON.stringify(request.headers).includes(client.apiKey), 'the client key leaked to the provider');
                assert.equal(request.body.model, 'gpt-e2e-responses');
                assert.equal(request.body.input, 'Hello, Responses');
                assert.equal(request.body.instructions, 'Be brief.');

                const [row] = await spendRows(admin, id);
                assert.equal(row.dialect, 'responses');
                assert.equal(row.call_type, 'aresponses');
                assert.equal(row.model_group, 'gpt-responses');
                assert.equal(row.prompt_tokens, OPENAI.responsesUsage.input_tokens);
                assert.equal(row.completion_tokens, OPENAI.responsesUsage.output_tokens);
                assert.equal(row.cached_tokens, OPENAI.responsesUsage.input_tokens_details.cached_tokens);
                assert.equal(row.cache_write_tokens, 0);
                assertSpend(row, responsesNanos(OPENAI.responsesUsage));
            });

            it('responses.create({stream: true}): every event to response.completed, then the spend', async () => {
                const { id, options } = session();
                const stream = await client.responses.create({ model: 'gpt-responses', input: 'Stream, please', stream: true }, options);
                const types = [];
                let text = '';
                let completed = null;
                for await (const event of stream) {
                    types.push(event.type);
                    if (event.type === 'response.output_text.delta')
                        text += event.delta;
                    if (event.type === 'response.completed')
                        completed = event.response;
                }
                assert.equal(types[0], 'response.created');
                assert.equal(types.at(-1), 'response.completed');
                assert.equal(types.filter((type) => type === 'response.output_text.delta').length, OPENAI.responsesPieces.length);
                assert.equal(text, OPENAI.responsesText);
                assert.deepEqual(completed.usage, OPENAI.responsesStreamUsage);
                const [row] = await spendRows(admin, id);
                assert.equal(row.prompt_tokens, OPENAI.responsesStreamUsage.input_tokens);
                assert.equal(row.cached_tokens, OPENAI.responsesStreamUsage.input_tokens_details.cached_tokens);
                assertSpend(row, responsesNanos(OPENAI.responsesStreamUsage));
            });

            it('responses.stream(): text deltas and finalResponse()', async () => {
                const stream = client.responses.stream({ model: 'gpt-responses', input: 'Stream with the helper' });
                const deltas = [];
                stream.on('response.output_text.delta', (event) => deltas.push(event.delta));
                const final = await stream.finalResponse();
                assert.deepEqual(deltas, OPENAI.responsesPieces);
                assert.equal(final.status, 'completed');
                // finalResponse() adds no output_text unless a text format was asked for (SDK 5.x).
                assert.equal(final.output[0].content[0].text, OPENAI.responsesText);
            });

            it('continues with previous_response_id on the provider that stored the first response', async () => {
                // Two first responses: the group's two deployments answer in turn, so each
                // fake holds one. The follow-ups go in reverse order: unpinned, the turn would
                // send each to the other fake, which answers 400 (previous response not found).
                const firsts = [
                    await client.responses.create({ model: 'gpt-responses', input: 'First A' }),
                    await client.responses.create({ model: 'gpt-responses', input: 'First B' }),
                ];
                assert.notEqual(fakeOf(firsts[0].id), fakeOf(firsts[1].id), `both answered by one fake: ${firsts.map((r) => r.id)}`);
                for (const first of firsts.reverse()) {
                    const fake = fakeOf(first.id);
                    const before = responsesTo(fake).length;
                    const total = allResponses();
                    const followUp = await client.responses.create({
                        model: 'gpt-responses', previous_response_id: first.id, input: 'And then?',
                    });
                    assert.equal(followUp.output_text, OPENAI.followUpText(first.id));
                    assert.equal(followUp.previous_response_id, first.id);
                    assert.equal(responsesTo(fake).length, before + 1, `the follow-up of ${first.id} missed its provider`);
                    assert.equal(allResponses(), total + 1);
                    assert.equal(responsesTo(fake).at(-1).body.previous_response_id, first.id);
                }
            });

            it('responses.retrieve(id) reaches the provider that stored it', async () => {
                const created = await client.responses.create({ model: 'gpt-responses', input: 'Keep this one' });
                const fake = fakeOf(created.id);
                const retrieved = await client.responses.retrieve(created.id);
                assert.equal(retrieved.id, created.id);
                assert.equal(retrieved.status, 'completed');
                assert.equal(retrieved.output[0].content[0].text, OPENAI.responsesText);
                const get = fake.requests.at(-1);
                assert.equal(get.method, 'GET');
                assert.equal(get.url, `/v1/responses/${created.id}`);
                assert.equal(get.headers.authorization, `Bearer ${OPENAI_PROVIDER_KEY}`);
            });

            it('responses.retrieve of an id this gateway never relayed is a NotFoundError', async () => {
                const error = await client.responses.retrieve('resp_unknown_1').then(() => null, (caught) => caught);
                assert.ok(error instanceof OpenAI.NotFoundError, `expected NotFoundError, got ${error}`);
            });

            it('responses.create on a mock deployment', async () => {
                const response = await client.responses.create({ model: 'mock-responses', input: 'Hello, mock' });
                assert.equal(response.status, 'completed');
                assert.ok(response.output_text.length > 0, JSON.stringify(response));
                assert.ok(response.usage.input_tokens > 0 && response.usage.output_tokens > 0);
            });
        });

        describe('chat.completions translated to an anthropic/ deployment', () => {
            const messagesTo = () => fakeAnthropic.requests.filter((r) => r.url === '/v1/messages');
            const u = ANTHROPIC.usage;

            it('chat.completions.create: the Message as a chat completion, priced with cache reads and writes', async () => {
                const before = messagesTo().length;
                const { id, options } = session();
                const completion = await client.chat.completions.create({
                    model: 'claude-via-chat', max_tokens: 128,
                    messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello, Claude' }],
                }, options);
                assert.equal(completion.object, 'chat.completion');
                assert.equal(completion.choices[0].message.role, 'assistant');
                assert.equal(completion.choices[0].message.content, ANTHROPIC.text);
                assert.equal(completion.choices[0].finish_reason, 'stop');
                const promptTokens = u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens;
                assert.equal(completion.usage.prompt_tokens, promptTokens);
                assert.equal(completion.usage.completion_tokens, u.output_tokens);
                assert.equal(completion.usage.total_tokens, promptTokens + u.output_tokens);

                const received = messagesTo().slice(before);
                assert.equal(received.length, 1);
                const [request] = received;
                assert.equal(request.headers['x-api-key'], ANTHROPIC_PROVIDER_KEY);
                assert.ok(request.headers['anthropic-version']);
                assert.equal(request.body.model, 'claude-sonnet-4-5');
                assert.equal(request.body.max_tokens, 128);
                assert.ok(JSON.stringify(request.body.system).includes('Be brief.'), JSON.stringify(request.body));
                assert.deepEqual(request.body.messages.map((m) => m.role), ['user']);

                const [row] = await spendRows(admin, id);
                assert.equal(row.dialect, 'chat');
                assert.equal(row.prompt_tokens, promptTokens);
                assert.equal(row.cached_tokens, u.cache_read_input_tokens);
                assert.equal(row.cache_write_tokens, u.cache_creation_input_tokens);
                assertSpend(row, claudeNanos(u));
            });

            it('chat.completions.create({stream: true}): the Message stream as chunks, with the usage chunk', async () => {
                const { id, options } = session();
                const stream = await client.chat.completions.create({
                    model: 'claude-via-chat', stream: true, stream_options: { include_usage: true },
                    messages: [{ role: 'user', content: 'Stream, Claude' }],
                }, options);
                const deltas = [];
                const usageChunks = [];
                let finish = null;
                for await (const chunk of stream) {
                    const choice = chunk.choices?.[0];
                    if (choice?.delta?.content)
                        deltas.push(choice.delta.content);
                    if (choice?.finish_reason)
                        finish = choice.finish_reason;
                    if (chunk.usage)
                        usageChunks.push(chunk);
                }
                assert.deepEqual(deltas, ANTHROPIC.pieces);
                assert.equal(finish, 'stop');
                const s = ANTHROPIC.streamUsage;
                assert.equal(usageChunks.length, 1, JSON.stringify(usageChunks));
                assert.equal(usageChunks[0].usage.prompt_tokens, s.input_tokens + s.cache_read_input_tokens + s.cache_creation_input_tokens);
                assert.equal(usageChunks[0].usage.completion_tokens, s.output_tokens);
                assert.equal(messagesTo().at(-1).body.stream, true);
                const [row] = await spendRows(admin, id);
                assertSpend(row, claudeNanos(s));
            });
            it('round-trips a tool call: tool_calls from tool_use, a tool message as tool_result', async () => {
                const tools = [{
                    type: 'function',
                    function: {
                        name: 'get_weather', description: 'The weather in a city',
                        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
                    },
                }];
                const question = { role: 'user', content: 'What is the weather in Paris?' };
                const first = await client.chat.completions.create({ model: 'claude-via-chat', tools, messages: [question] });
                const offered = messagesTo().at(-1).body.tools;
                assert.equal(offered[0].name, 'get_weather');
                assert.deepEqual(offered[0].input_schema, tools[0].function.parameters);
                assert.equal(first.choices[0].finish_reason, 'tool_calls');
                const [call] = first.choices[0].message.tool_calls ?? [];
                assert.ok(call, JSON.stringify(first.choices[0].message));
                assert.equal(call.id, ANTHROPIC.toolId);
                assert.equal(call.type, 'function');
                assert.equal(call.function.name, 'get_weather');
                assert.deepEqual(JSON.parse(call.function.arguments), ANTHROPIC.toolInput);

                const second = await client.chat.completions.create({
                    model: 'claude-via-chat', tools,
                    messages: [question, first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '18 degrees, sunny' }],
                });
                assert.equal(second.choices[0].message.content, 'The tool said: 18 degrees, sunny');
                assert.equal(second.choices[0].finish_reason, 'stop');
                const sent = messagesTo().at(-1).body.messages;
                assert.deepEqual(sent.map((m) => m.role), ['user', 'assistant', 'user']);
                assert.ok(sent[1].content.some((block) => block.type === 'tool_use' && block.id === ANTHROPIC.toolId
                    && JSON.stringify(block.input) === JSON.stringify(ANTHROPIC.toolInput)), JSON.stringify(sent[1]));
                assert.ok(sent[2].content.some((block) => block.type === 'tool_result' && block.tool_use_id === ANTHROPIC.toolId),
                    JSON.stringify(sent[2]));
            });

            it('the provider\'s 400 surfaces as a BadRequestError with its message', async () => {
                const error = await client.chat.completions.create({
                    model: 'claude-via-chat', messages: [{ role: 'user', content: `Please ${ANTHROPIC.failTrigger}` }],
                }).then(() => null, (caught) => caught);
                assert.ok(error instanceof OpenAI.BadRequestError, `expected BadRequestError, got ${error}`);
                assert.equal(error.status, 400);
                assert.ok(error.message.includes(ANTHROPIC.errorMessage), `${error.message} / ${JSON.stringify(error.error)}`);
            });
        });

        describe('budgets', () => {
            it('a key over its budget gets a RateLimitError, and no provider is called', async () => {
                const { key } = await admin('/key/generate', { method: 'POST', body: '{"max_budget": 0}' });
                const broke = new OpenAI({ baseURL, apiKey: key, maxRetries: 0, timeout: 15_000 });
                const before = allResponses() + fakeAnthropic.requests.length;
                for (const call of [
                    () => broke.responses.create({ model: 'gpt-responses', input: 'x' }),
                    () => broke.chat.completions.create({ model: 'claude-via-chat', messages: [{ role: 'user', content: 'x' }] }),
                ]) {
                    const error = await call().then(() => null, (caught) => caught);
                    assert.ok(error instanceof OpenAI.RateLimitError, `expected RateLimitError, got ${error}`);
                    assert.equal(error.status, 429);
                    assert.match(error.error?.message ?? error.message, /budget/i);
                }
                assert.equal(allResponses() + fakeAnthropic.requests.length, before, 'a refused call reached a provider');
            });
        });

        it('recorded the spend of every call without a store warning', () => {
            assert.ok(!/spend not recorded/i.test(tollgate.output.stderr), `stderr:\n${tollgate.output.stderr}`);
        });
    });
}
