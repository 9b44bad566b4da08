// End-to-end test: the official OpenAI Node SDK against a real tollgate process.
//
// The test starts a fake OpenAI-compatible upstream (node:http, 127.0.0.1, port 0), writes a
// config.yaml with a mock model and an openai/ model relayed to the fake, spawns
// `tollgate --headless`, and talks to it only through the SDK. Run with `node --test`.
//
// Needs: `npm ci --prefix tests/e2e` (the `openai` package) and a built tollgate binary
// (env TOLLGATE_BINARY, else ../../build/dev/bin/tollgate relative to this file).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { loadSdk, readBody, sendJson, startTollgate, withTimeout } from './support.mjs';

const MASTER_KEY = 'sk-e2e-master-key';
const PROVIDER_KEY = 'sk-provider-e2e-secret-0123456789';
const UPSTREAM_MODEL = 'e2e-upstream-model';
const RATE_LIMITED_USER = 'e2e-rate-limited-user';
const DROP_MID_STREAM_USER = 'e2e-drop-mid-stream-user';
const PROVIDER_RATE_LIMIT_MESSAGE =
    'Rate limit reached for e2e-upstream-model in organization org-e2e on requests per min (RPM): Limit 1, Used 1, Requested 1.';
const CHUNK_INTERVAL_MS = 30;
const UPSTREAM_PIECES = ['Hello', ' from', ' the', ' fake', ' upstream', ' provider', '!'];
const UPSTREAM_TEXT = UPSTREAM_PIECES.join('');
const UPSTREAM_USAGE = { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 };
const UPSTREAM_STREAM_USAGE = { prompt_tokens: 13, completion_tokens: 8, total_tokens: 21 };
const MOCK_INPUT_COST = 0.000003;
const MOCK_OUTPUT_COST = 0.000011;
const SHUTDOWN_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------------------------------------
// The SDK: a missing node_modules is a failure with instructions, never a silent skip.

const { sdk: OpenAI, problem: sdkProblem } = await loadSdk('openai');

// ---------------------------------------------------------------------------------------------
// Fake OpenAI-compatible upstream.

function startFakeUpstream() {
    const requests = [];
    const server = http.createServer(async (request, response) => {
        const raw = await readBody(request);
        let body = null;
        try {
            body = JSON.parse(raw);
        } catch {
            body = null;
        }
        const record = { method: request.method, url: request.url, headers: request.headers, body, raw };
        requests.push(record);

        if (request.method !== 'POST' || request.url !== '/v1/chat/completions' || body === null) {
            sendJson(response, 404, {
                error: { message: `fake upstream: no route ${request.method} ${request.url}`, type: 'invalid_request_error', param: null, code: null },
            });
            return;
        }
        if (body.user === RATE_LIMITED_USER) {
            sendJson(response, 429, {
                error: { message: PROVIDER_RATE_LIMIT_MESSAGE, type: 'requests', param: null, code: 'rate_limit_exceeded' },
            });
            return;
        }

        const id = `chatcmpl-fake-${requests.length}`;
        const created = Math.floor(Date.now() / 1000);
        if (!body.stream) {
            sendJson(response, 200, {
                id,
                object: 'chat.completion',
                created,
                model: body.model,
                choices: [{
                    index: 0,
                    message: { role: 'assistant', content: UPSTREAM_TEXT, refusal: null },
                    logprobs: null,
                    finish_reason: 'stop',
                }],
                usage: UPSTREAM_USAGE,
                system_fingerprint: 'fp_e2e',
            });
            return;
        }

        const includeUsage = body.stream_options?.include_usage === true;
        const chunk = (choices, extra = {}) => {
            const object = { id, object: 'chat.completion.chunk', created, model: body.model, system_fingerprint: 'fp_e2e', choices, ...extra };
            if (includeUsage && !('usage' in object))
                object.usage = null;  // as OpenAI does when usage was asked for
            return `data: ${JSON.stringify(object)}\n\n`;
        };
        const dropAfter = body.user === DROP_MID_STREAM_USER ? 3 : Infinity;  // the provider dies mid-stream
        const events = [
            chunk([{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }]),
            ...UPSTREAM_PIECES.map((piece) => chunk([{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }])),
            chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]),
        ];
        if (includeUsage)
            events.push(chunk([], { usage: UPSTREAM_STREAM_USAGE }));
        events.push('data: [DONE]\n\n');

        response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
        let index = 0;
        const writeNext = () => {
            if (response.destroyed)
                return;
            if (index >= dropAfter) {
                response.socket?.destroy();
                return;
            }
            response.write(events[index++]);
            if (index < events.length)
                setTimeout(writeNext, CHUNK_INTERVAL_MS);
            else
                response.end();
        };
        writeNext();
    });
    return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve({ server, requests, port: server.address().port }));
    });
}

// ---------------------------------------------------------------------------------------------
// The tollgate process.

function writeConfig(dir, upstreamPort) {
    const file = path.join(dir, 'config.yaml');
    fs.writeFileSync(file, `# written by tests/e2e/openai-sdk.test.mjs
model_list:
  - model_name: e2e-mock
    litellm_params:
      model: mock/e2e-mock-model
      input_cost_per_token: ${MOCK_INPUT_COST.toFixed(6)}
      output_cost_per_token: ${MOCK_OUTPUT_COST.toFixed(6)}
    model_info:
      id: e2e-mock-deployment
  - model_name: e2e-relay
    litellm_params:
      model: openai/${UPSTREAM_MODEL}
      api_base: http://127.0.0.1:${upstreamPort}/v1
      api_key: os.environ/E2E_PROVIDER_KEY
      timeout: 30
    model_info:
      id: e2e-relay-deployment

general_settings:
  master_key: ${MASTER_KEY}
`);
    return file;
}

// ---------------------------------------------------------------------------------------------
// Helpers for the assertions.

const MESSAGES = [
    { role: 'system', content: 'You are a test.' },
    { role: 'user', content: 'Say hello to the end-to-end test, please.' },
];

async function collectStream(stream) {
    const started = performance.now();
    const result = { text: '', contentDeltas: 0, usageChunks: [], chunks: [], firstDeltaAt: null, lastDeltaAt: null, endedAt: null };
    for await (const chunk of stream) {
        const now = performance.now() - started;
        result.chunks.push(chunk);
        if (chunk.usage)
            result.usageChunks.push(chunk);
        const content = chunk.choices?.[0]?.delta?.content;
        if (typeof content === 'string' && content.length > 0) {
            result.text += content;
            result.contentDeltas += 1;
            result.firstDeltaAt ??= now;
            result.lastDeltaAt = now;
        }
    }
    result.endedAt = performance.now() - started;
    return result;
}

async function expectRejection(promise, ErrorClass, status) {
    try {
        await promise;
    } catch (error) {
        assert.ok(error instanceof ErrorClass,
            `expected ${ErrorClass.name}, got ${error?.constructor?.name}: ${error?.message}`);
        assert.equal(error.status, status);
        return error;
    }
    assert.fail(`expected ${ErrorClass.name} (${status}), but the call succeeded`);
}

// ---------------------------------------------------------------------------------------------

if (sdkProblem) {
    it('openai npm package is installed', () => {
        assert.fail(sdkProblem);
    });
} else {
    describe('tollgate with the official OpenAI SDK', () => {
        let tempDir = null;
        let fake = null;
        let tollgate = null;
        let client = null;
        let baseURL = null;

        const upstreamChatRequests = () => fake.requests.filter((r) => r.url === '/v1/chat/completions');

        before(async () => {
            tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-e2e-'));
            fake = await startFakeUpstream();
            const configFile = writeConfig(tempDir, fake.port);
            tollgate = startTollgate(configFile, path.join(tempDir, 'tollgate.db'), { E2E_PROVIDER_KEY: PROVIDER_KEY });
            const port = await tollgate.port;
            baseURL = `http://127.0.0.1:${port}/v1`;
            // No retries: a retried 429 would hide what the gateway answered (and take seconds).
            client = new OpenAI({ baseURL, apiKey: MASTER_KEY, maxRetries: 0, timeout: 15_000 });
        });

        after(async () => {
            await tollgate?.stop();
            if (fake) {
                fake.server.closeAllConnections();
                await new Promise((resolve) => fake.server.close(resolve));
            }
            if (tempDir)
                fs.rmSync(tempDir, { recursive: true, force: true });
        });

        it('lists both models', async () => {
            const page = await client.models.list();
            const ids = page.data.map((model) => model.id);
            assert.ok(ids.includes('e2e-mock'), `models: ${ids.join(', ')}`);
            assert.ok(ids.includes('e2e-relay'), `models: ${ids.join(', ')}`);
            for (const model of page.data)
                assert.equal(model.object, 'model');
        });

        it('chat completion on the mock model, priced with the custom prices', async () => {
            const { data: completion, response } = await client.chat.completions
                .create({ model: 'e2e-mock', messages: MESSAGES })
                .withResponse();
            assert.equal(completion.object, 'chat.completion');
            assert.equal(completion.choices.length, 1);
            assert.equal(completion.choices[0].message.role, 'assistant');
            assert.ok(completion.choices[0].message.content.length > 0, 'empty content');
            assert.equal(completion.choices[0].finish_reason, 'stop');
            const usage = completion.usage;
            assert.ok(usage, 'no usage');
            assert.ok(usage.prompt_tokens > 0 && usage.completion_tokens > 0, JSON.stringify(usage));
            assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);

            assert.equal(response.headers.get('x-litellm-model-group'), 'e2e-mock');
            assert.equal(response.headers.get('x-litellm-model-id'), 'e2e-mock-deployment');
            const cost = Number(response.headers.get('x-litellm-response-cost'));
            const expected = usage.prompt_tokens * MOCK_INPUT_COST + usage.completion_tokens * MOCK_OUTPUT_COST;
            assert.ok(Math.abs(cost - expected) < 1e-12, `x-litellm-response-cost ${cost}, expected ${expected}`);
        });

        it('chat completion on the relayed model reaches the provider with its own key', async () => {
            const before = upstreamChatRequests().length;
            const completion = await client.chat.completions.create({ model: 'e2e-relay', messages: MESSAGES, temperature: 0.25 });
            assert.equal(completion.object, 'chat.completion');
            assert.equal(completion.choices[0].message.content, UPSTREAM_TEXT);
            assert.deepEqual(completion.usage, UPSTREAM_USAGE);

            const received = upstreamChatRequests().slice(before);
            assert.equal(received.length, 1, 'the provider should get exactly one request');
            const [request] = received;
            assert.equal(request.headers.authorization, `Bearer ${PROVIDER_KEY}`);
            assert.ok(!JSON.stringify(request.headers).includes(MASTER_KEY), 'the master key leaked to the provider');
            assert.equal(request.body.model, UPSTREAM_MODEL);
            assert.deepEqual(request.body.messages, MESSAGES);
            assert.equal(request.body.temperature, 0.25);
            assert.ok(!request.body.stream, 'non-streaming call relayed as a stream');
        });

        it('text completion on the mock model', async () => {
            const completion = await client.completions.create({ model: 'e2e-mock', prompt: 'Once upon a time' });
            assert.equal(completion.object, 'text_completion');
            assert.ok(completion.choices[0].text.length > 0, 'empty text');
            assert.ok(completion.usage.prompt_tokens > 0);
        });

        it('streams the mock model without a usage chunk unless asked', async () => {
            const plain = await client.chat.completions.create({ model: 'e2e-mock', messages: MESSAGES });
            const result = await collectStream(await client.chat.completions.create({ model: 'e2e-mock', messages: MESSAGES, stream: true }));
            assert.ok(result.contentDeltas >= 3, `only ${result.contentDeltas} content deltas`);
            assert.equal(result.text, plain.choices[0].message.content);
            assert.equal(result.usageChunks.length, 0, 'usage chunk sent without stream_options.include_usage');
            assert.ok(result.chunks.every((chunk) => chunk.choices.length > 0), 'a chunk with empty choices was sent');
            assert.equal(result.chunks.at(-1).choices[0].finish_reason, 'stop');
        });

        it('streams the mock model with exactly one usage chunk when asked', async () => {
            const plain = await client.chat.completions.create({ model: 'e2e-mock', messages: MESSAGES });
            const result = await collectStream(await client.chat.completions.create({
                model: 'e2e-mock', messages: MESSAGES, stream: true, stream_options: { include_usage: true },
            }));
            assert.ok(result.contentDeltas >= 3, `only ${result.contentDeltas} content deltas`);
            assert.equal(result.text, plain.choices[0].message.content);
            assert.equal(result.usageChunks.length, 1, `usage chunks: ${JSON.stringify(result.usageChunks)}`);
            const [usageChunk] = result.usageChunks;
            assert.deepEqual(usageChunk.choices, []);
            assert.deepEqual(usageChunk.usage, plain.usage);
            assert.equal(result.chunks.at(-1), usageChunk, 'the usage chunk must come last');
        });

        it('relays the provider stream chunk by chunk, without the usage chunk it did not ask for', async () => {
            const before = upstreamChatRequests().length;
            const result = await collectStream(await client.chat.completions.create({ model: 'e2e-relay', messages: MESSAGES, stream: true }));
            assert.equal(result.text, UPSTREAM_TEXT);
            assert.equal(result.contentDeltas, UPSTREAM_PIECES.length);
            const gap = result.lastDeltaAt - result.firstDeltaAt;
            assert.ok(gap >= 3 * CHUNK_INTERVAL_MS,
                `deltas were buffered: first at ${result.firstDeltaAt.toFixed(1)} ms, last at ${result.lastDeltaAt.toFixed(1)} ms`);
            assert.ok(result.endedAt - result.firstDeltaAt >= 3 * CHUNK_INTERVAL_MS,
                `first delta at ${result.firstDeltaAt.toFixed(1)} ms, stream ended at ${result.endedAt.toFixed(1)} ms`);
            assert.equal(result.usageChunks.length, 0, `usage chunk sent without stream_options.include_usage: ${JSON.stringify(result.usageChunks)}`);
            assert.ok(result.chunks.every((chunk) => chunk.choices.length > 0), 'a chunk with empty choices was sent');

            const received = upstreamChatRequests().slice(before);
            assert.equal(received.length, 1);
            const [request] = received;
            assert.equal(request.headers.authorization, `Bearer ${PROVIDER_KEY}`);
            assert.equal(request.body.model, UPSTREAM_MODEL);
            assert.equal(request.body.stream, true);
            // The gateway asks the provider for usage (to price the call) even if the client did not.
            assert.equal(request.body.stream_options?.include_usage, true);
        });

        it('relays the provider usage chunk when the client asks for it', async () => {
            const result = await collectStream(await client.chat.completions.create({
                model: 'e2e-relay', messages: MESSAGES, stream: true, stream_options: { include_usage: true },
            }));
            assert.equal(result.text, UPSTREAM_TEXT);
            assert.equal(result.contentDeltas, UPSTREAM_PIECES.length);
            assert.ok(result.lastDeltaAt - result.firstDeltaAt >= 3 * CHUNK_INTERVAL_MS,
                `deltas were buffered: first at ${result.firstDeltaAt.toFixed(1)} ms, last at ${result.lastDeltaAt.toFixed(1)} ms`);
            assert.equal(result.usageChunks.length, 1, `usage chunks: ${JSON.stringify(result.usageChunks)}`);
            const [usageChunk] = result.usageChunks;
            assert.deepEqual(usageChunk.choices, []);
            assert.deepEqual(usageChunk.usage, UPSTREAM_STREAM_USAGE);
            assert.equal(result.chunks.at(-1), usageChunk, 'the usage chunk must come last');
        });

        it('embeddings on the mock model (encoding_format: float)', async () => {
            const response = await client.embeddings.create({
                model: 'e2e-mock', input: ['first text', 'second text'], encoding_format: 'float', dimensions: 24,
            });
            assert.equal(response.object, 'list');
            assert.equal(response.data.length, 2);
            for (const [index, item] of response.data.entries()) {
                assert.equal(item.index, index);
                assert.equal(item.embedding.length, 24);
                assert.ok(item.embedding.every((value) => typeof value === 'number' && Number.isFinite(value)));
                const norm = Math.hypot(...item.embedding);
                assert.ok(Math.abs(norm - 1) < 1e-6, `embedding not normalised: |v| = ${norm}`);
            }
            assert.notDeepEqual(response.data[0].embedding, response.data[1].embedding);
            assert.ok(response.usage.prompt_tokens > 0);
        });

        it('embeddings on the mock model with the SDK default (base64) encoding',
            async () => {
                // The SDK asks for encoding_format "base64" when the caller names none, and decodes it.
                const response = await client.embeddings.create({ model: 'e2e-mock', input: 'some text', dimensions: 16 });
                const [item] = response.data;
                assert.equal(item.embedding.length, 16, `decoded ${item.embedding.length} values: ${JSON.stringify(item.embedding)}`);
                const norm = Math.hypot(...item.embedding);
                assert.ok(Math.abs(norm - 1) < 1e-5, `embedding not normalised: |v| = ${norm}`);
            });

        it('a wrong API key raises AuthenticationError (401, auth_error)', async () => {
            const stranger = new OpenAI({ baseURL, apiKey: 'sk-e2e-wrong-key', maxRetries: 0, timeout: 15_000 });
            const error = await expectRejection(
                stranger.chat.completions.create({ model: 'e2e-mock', messages: MESSAGES }),
                OpenAI.AuthenticationError, 401);
            assert.equal(error.error?.type, 'auth_error', JSON.stringify(error.error));
            assert.equal(error.type, 'auth_error');
        });

        it('an unknown model raises BadRequestError (400) naming it', async () => {
            const error = await expectRejection(
                client.chat.completions.create({ model: 'no-such-model', messages: MESSAGES }),
                OpenAI.BadRequestError, 400);
            const message = error.error?.message ?? '';
            assert.ok(message.startsWith('Invalid model name passed in model='), `message: ${message}`);
            assert.ok(message.includes('no-such-model'), `message: ${message}`);
        });

        it("a provider's 429 surfaces as RateLimitError with the provider's message", async () => {
            const before = upstreamChatRequests().length;
            const error = await expectRejection(
                client.chat.completions.create({ model: 'e2e-relay', messages: MESSAGES, user: RATE_LIMITED_USER }),
                OpenAI.RateLimitError, 429);
            assert.equal(error.error?.message, PROVIDER_RATE_LIMIT_MESSAGE, JSON.stringify(error.error));
            assert.equal(error.code, 'rate_limit_exceeded');
            assert.ok(error.message.includes(PROVIDER_RATE_LIMIT_MESSAGE), error.message);
            assert.equal(upstreamChatRequests().length - before, 1, 'the provider should be called once');
        });

        it("a provider's 429 to a streaming request surfaces as RateLimitError", async () => {
            const error = await expectRejection(
                (async () => collectStream(await client.chat.completions.create({
                    model: 'e2e-relay', messages: MESSAGES, user: RATE_LIMITED_USER, stream: true,
                })))(),
                OpenAI.RateLimitError, 429);
            assert.equal(error.error?.message, PROVIDER_RATE_LIMIT_MESSAGE, JSON.stringify(error.error));
        });

        it('a provider that dies mid-stream ends the stream with an error event', async () => {
            const stream = await client.chat.completions.create({
                model: 'e2e-relay', messages: MESSAGES, user: DROP_MID_STREAM_USER, stream: true,
            });
            let text = '';
            const error = await withTimeout((async () => {
                try {
                    for await (const chunk of stream)
                        text += chunk.choices?.[0]?.delta?.content ?? '';
                } catch (caught) {
                    return caught;
                }
                return null;
            })(), 10_000, 'the end of a stream whose provider died');
            assert.ok(error instanceof OpenAI.APIError, `expected an APIError from the stream, got ${error}`);
            assert.equal(error.error?.type, 'upstream_error', JSON.stringify(error.error));
            assert.equal(text, UPSTREAM_PIECES.slice(0, 2).join(''), 'the deltas before the failure arrive');
        });

        it('exits with code 0 on SIGTERM', async () => {
            assert.equal(tollgate.child.exitCode, null, `tollgate exited early\nstderr:\n${tollgate.output.stderr}`);
            tollgate.child.kill('SIGTERM');
            const { code, signal } = await withTimeout(tollgate.exited, SHUTDOWN_TIMEOUT_MS, 'tollgate exit after SIGTERM');
            assert.equal(signal, null, `killed by ${signal}\nstderr:\n${tollgate.output.stderr}`);
            assert.equal(code, 0, `exit code ${code}\nstderr:\n${tollgate.output.stderr}`);
        });

        it('recorded the spend of every call without a store warning', () => {
            // The spend log is not reachable through the OpenAI API; the gateway warns on stderr
            // when a row cannot be written.
            assert.ok(!/spend not recorded/i.test(tollgate.output.stderr), `stderr:\n${tollgate.output.stderr}`);
        });
    });
}
