// Shared helpers of the end-to-end tests: loading an SDK (a missing package is a failure with
// instructions, never a silent skip), starting the headless tollgate binary, and fake
// providers (node:http on 127.0.0.1, port 0) that speak a dialect over real HTTP:
//
//   startFakeAnthropic()  POST /v1/messages (JSON and SSE, tool_use, a 400 on request) and
//                         POST /v1/messages/count_tokens, as api.anthropic.com does.
//   startFakeOpenAI()     POST /v1/chat/completions (JSON and SSE) and POST /v1/responses
//                         (JSON and SSE, stored, previous_response_id), GET /v1/responses/{id}.
//
// Every fake records what it received (`requests`) and answers with fixed usage the tests
// price by hand.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export const here = path.dirname(fileURLToPath(import.meta.url));

const STARTUP_TIMEOUT_MS = 10_000;

// The default export of an npm package, or { problem } saying what to run.
export async function loadSdk(name) {
    const dir = path.join(here, 'node_modules', ...name.split('/'));
    if (!fs.existsSync(path.join(dir, 'package.json')))
        return { problem: `The official '${name}' npm package is not installed (${dir} is missing). `
            + 'Run `npm ci --prefix tests/e2e` from the repository root, then run this test again.' };
    try {
        return { sdk: (await import(name)).default };
    } catch (error) {
        return { problem: `Cannot load the '${name}' npm package from ${dir}: ${error.message}. `
            + 'Run `npm ci --prefix tests/e2e` from the repository root.' };
    }
}

export function withTimeout(promise, ms, what) {
    let timer;
    return Promise.race([
        promise,
        new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms); }),
    ]).finally(() => clearTimeout(timer));
}

export function tollgateBinary() {
    return process.env.TOLLGATE_BINARY || path.resolve(here, '../../build/dev/bin/tollgate');
}

// Spawns `tollgate --headless` on `configFile` (port 0) and resolves `port` from its
// "listening on" line. `env` is added to the process environment; 127.0.0.1 never goes
// through a proxy the environment may name.
export function startTollgate(configFile, dbFile, env = {}) {
    const binary = tollgateBinary();
    if (!fs.existsSync(binary))
        throw new Error(`tollgate binary not found at ${binary}: build it (cmake --build --preset dev) or set TOLLGATE_BINARY`);
    const noProxy = ['127.0.0.1', 'localhost', process.env.NO_PROXY, process.env.no_proxy].filter(Boolean).join(',');
    const child = spawn(binary, ['--headless', '--config', configFile, '--port', '0', '--db', dbFile], {
        env: { ...process.env, ...env, NO_PROXY: noProxy, no_proxy: noProxy },
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { stdout: '', stderr: '' };
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text) => { output.stderr += text; });
    const exited = new Promise((resolve) => {
        child.once('exit', (code, signal) => resolve({ code, signal }));
    });

    const port = new Promise((resolve, reject) => {
        const lines = readline.createInterface({ input: child.stdout });
        const timer = setTimeout(() => reject(new Error(
            `tollgate did not print its "listening on" line within ${STARTUP_TIMEOUT_MS} ms\n`
            + `stdout:\n${output.stdout}\nstderr:\n${output.stderr}`)), STARTUP_TIMEOUT_MS);
        lines.on('line', (line) => {
            output.stdout += `${line}\n`;
            const match = /^Tollgate \S+ listening on http:\/\/127\.0\.0\.1:(\d+)\/v1 \(/.exec(line);
            if (match) {
                clearTimeout(timer);
                resolve(Number(match[1]));
            }
        });
        child.once('error', (error) => {
            clearTimeout(timer);
            reject(new Error(`cannot start ${binary}: ${error.message}`));
        });
        exited.then(({ code, signal }) => {
            clearTimeout(timer);
            reject(new Error(`tollgate exited during start-up (code ${code}, signal ${signal})\n`
                + `stdout:\n${output.stdout}\nstderr:\n${output.stderr}`));
        });
    });
    const stop = async () => {
        if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGKILL');
            await withTimeout(exited, 5_000, 'exit after SIGKILL').catch(() => {});
        }
    };
    return { child, exited, port, output, stop };
}

// The management API with the master key: JSON in, JSON out.
export function adminClient(origin, masterKey) {
    return async (url, init = {}) => {
        const response = await fetch(`${origin}${url}`, {
            ...init, headers: { authorization: `Bearer ${masterKey}`, 'content-type': 'application/json' },
        });
        const text = await response.text();
        assert.ok(response.ok, `${init.method ?? 'GET'} ${url}: ${response.status} ${text}`);
        return JSON.parse(text);
    };
}

// The spend log rows of one session (the x-session-id the test sent). The row is written
// before the answer's end reaches the client, but polled briefly all the same.
export async function spendRows(admin, sessionId, count = 1) {
    let rows = [];
    for (let attempt = 0; attempt < 20; ++attempt) {
        rows = await admin(`/spend/logs?session_id=${encodeURIComponent(sessionId)}`);
        if (rows.length >= count)
            return rows;
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.fail(`expected ${count} spend log row(s) for session ${sessionId}, got ${JSON.stringify(rows)}`);
}

// Whole nano-dollars per token; prices in config.yaml are these / 1e9, so every part of a
// cost is a whole number of nano-dollars and the expected spend is exact.
export const perToken = (nanos) => (nanos / 1e9).toFixed(9);

export function assertSpend(row, expectedNanos) {
    const expected = expectedNanos / 1e9;
    assert.ok(Math.abs(row.spend - expected) < 1e-12,
        `spend ${row.spend}, expected ${expected} (${expectedNanos} nano-dollars); row ${JSON.stringify(row)}`);
}

// ---------------------------------------------------------------------------------------------
// Fake providers.

export function readBody(request) {
    return new Promise((resolve, reject) => {
        const parts = [];
        request.on('data', (part) => parts.push(part));
        request.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
        request.on('error', reject);
    });
}

export function sendJson(response, status, object) {
    const text = JSON.stringify(object);
    response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    response.end(text);
}

// Writes SSE events a few milliseconds apart, then ends the response.
function sendEvents(response, events, intervalMs = 5) {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    let index = 0;
    const writeNext = () => {
        if (response.destroyed)
            return;
        response.write(events[index++]);
        if (index < events.length)
            setTimeout(writeNext, intervalMs);
        else
            response.end();
    };
    writeNext();
}

// An HTTP server on 127.0.0.1 (port 0) whose `route(record, response)` answers every request;
// records are { method, url, headers, body (parsed JSON or null), raw }.
function startFakeServer(route) {
    const requests = [];
    const server = http.createServer(async (request, response) => {
        const raw = await readBody(request);
        let body = null;
        try {
            body = raw ? JSON.parse(raw) : null;
        } catch {
            body = null;
        }
        const record = { method: request.method, url: request.url, headers: request.headers, body, raw };
        requests.push(record);
        try {
            route(record, response);
        } catch (error) {
            sendJson(response, 500, { error: { message: `fake upstream crashed: ${error.stack}` } });
        }
    });
    return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const port = server.address().port;
            resolve({
                server, requests, port, origin: `http://127.0.0.1:${port}`,
                close: () => {
                    server.closeAllConnections();
                    return new Promise((done) => server.close(done));
                },
            });
        });
    });
}

// --- Anthropic -------------------------------------------------------------------------------

export const ANTHROPIC = {
    text: 'Hello from the fake Anthropic upstream!',
    pieces: ['Hello', ' from', ' the fake', ' Anthropic', ' upstream!'],
    // Anthropic's input_tokens leaves out the cached and cache-written prompt tokens.
    usage: { input_tokens: 21, output_tokens: 9, cache_read_input_tokens: 1000, cache_creation_input_tokens: 40 },
    streamUsage: { input_tokens: 17, output_tokens: 5, cache_read_input_tokens: 2000, cache_creation_input_tokens: 80 },
    countTokens: 4242,
    // A user message containing this gets Anthropic's 400.
    failTrigger: 'PLEASE-FAIL-WITH-400',
    errorMessage: 'messages.0.content: fake upstream refuses this request (e2e)',
    toolId: 'toolu_fake_01',
    toolInput: { city: 'Paris' },
};

const lastMessage = (body) => body.messages?.at(-1);
const contentBlocks = (message) => (typeof message?.content === 'string'
    ? [{ type: 'text', text: message.content }] : (message?.content ?? []));

// What the fake answers a Messages request with: a tool call when tools are offered and the
// last message holds no tool result, the tool result echoed when it does, else the text.
function anthropicContent(body) {
    const blocks = contentBlocks(lastMessage(body));
    const result = blocks.find((block) => block.type === 'tool_result');
    if (result) {
        const text = typeof result.content === 'string' ? result.content
            : (result.content ?? []).map((part) => part.text ?? '').join('');
        return { content: [{ type: 'text', text: `The tool said: ${text}` }], stop_reason: 'end_turn' };
    }
    if (Array.isArray(body.tools) && body.tools.length > 0) {
        return {
            content: [
                { type: 'text', text: 'Let me look that up.' },
                { type: 'tool_use', id: ANTHROPIC.toolId, name: body.tools[0].name, input: ANTHROPIC.toolInput },
            ],
            stop_reason: 'tool_use',
        };
    }
    return { content: [{ type: 'text', text: ANTHROPIC.text }], stop_reason: 'end_turn' };
}

function anthropicStream(body, id) {
    const event = (type, data) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    const usage = ANTHROPIC.streamUsage;
    const { content, stop_reason: stopReason } = anthropicContent(body);
    const events = [
        event('message_start', {
            message: {
                id, type: 'message', role: 'assistant', model: body.model, content: [],
                stop_reason: null, stop_sequence: null,
                usage: { ...usage, output_tokens: 1 },
            },
        }),
        event('ping', {}),
    ];
    content.forEach((block, index) => {
        if (block.type === 'text') {
            events.push(event('content_block_start', { index, content_block: { type: 'text', text: '' } }));
            const pieces = block.text === ANTHROPIC.text ? ANTHROPIC.pieces : [block.text];
            for (const piece of pieces)
                events.push(event('content_block_delta', { index, delta: { type: 'text_delta', text: piece } }));
        } else {
            events.push(event('content_block_start', { index, content_block: { ...block, input: {} } }));
            const json = JSON.stringify(block.input);
            const half = Math.floor(json.length / 2);
            for (const part of [json.slice(0, half), json.slice(half)])
                events.push(event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: part } }));
        }
        events.push(event('content_block_stop', { index }));
    });
    // As Anthropic sends it: the final output count, the input counts left out.
    events.push(event('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } }));
    events.push(event('message_stop', {}));
    return events;
}

export function startFakeAnthropic() {
    let counter = 0;
    return startFakeServer((record, response) => {
        const { method, url, body } = record;
        const path = url.split('?')[0];
        const anthropicError = (status, type, message) => sendJson(response, status, { type: 'error', error: { type, message } });
        if (method === 'POST' && path === '/v1/messages/count_tokens' && body) {
            sendJson(response, 200, { input_tokens: ANTHROPIC.countTokens });
            return;
        }
        if (method !== 'POST' || path !== '/v1/messages' || !body) {
            anthropicError(404, 'not_found_error', `fake Anthropic: no route ${method} ${url}`);
            return;
        }
        if (!body.model || !Number.isInteger(body.max_tokens) || !Array.isArray(body.messages)) {
            anthropicError(400, 'invalid_request_error', `fake Anthropic: model, max_tokens and messages are required: ${record.raw}`);
            return;
        }
        if (contentBlocks(lastMessage(body)).some((block) => block.text?.includes(ANTHROPIC.failTrigger))) {
            anthropicError(400, 'invalid_request_error', ANTHROPIC.errorMessage);
            return;
        }
        const id = `msg_fake_${++counter}`;
        if (body.stream) {
            sendEvents(response, anthropicStream(body, id));
            return;
        }
        sendJson(response, 200, {
            id, type: 'message', role: 'assistant', model: body.model, ...anthropicContent(body),
            stop_sequence: null, usage: ANTHROPIC.usage,
        });
    });
}

// --- OpenAI ----------------------------------------------------------------------------------

export const OPENAI = {
    chatText: 'Hello from the fake OpenAI chat upstream!',
    chatPieces: ['Hello', ' from', ' the fake', ' OpenAI', ' chat upstream!'],
    chatUsage: { prompt_tokens: 31, completion_tokens: 11, total_tokens: 42, prompt_tokens_details: { cached_tokens: 0 } },
    responsesText: 'Hello from the fake Responses upstream!',
    responsesPieces: ['Hello', ' from', ' the fake', ' Responses', ' upstream!'],
    followUpText: (previous) => `Continuing ${previous}.`,
    // OpenAI's input_tokens includes the cached ones.
    responsesUsage: { input_tokens: 1500, input_tokens_details: { cached_tokens: 1024 }, output_tokens: 12,
        output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 1512 },
    responsesStreamUsage: { input_tokens: 700, input_tokens_details: { cached_tokens: 512 }, output_tokens: 6,
        output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 706 },
};

function chatCompletion(record, response, counter) {
    const { body } = record;
    const id = `chatcmpl-fake-${counter}`;
    const created = Math.floor(Date.now() / 1000);
    if (!body.stream) {
        sendJson(response, 200, {
            id, object: 'chat.completion', created, model: body.model,
            choices: [{ index: 0, message: { role: 'assistant', content: OPENAI.chatText, refusal: null }, logprobs: null, finish_reason: 'stop' }],
            usage: OPENAI.chatUsage,
        });
        return;
    }
    const includeUsage = body.stream_options?.include_usage === true;
    const chunk = (choices, extra = {}) => `data: ${JSON.stringify({
        id, object: 'chat.completion.chunk', created, model: body.model, choices, ...(includeUsage ? { usage: null } : {}), ...extra,
    })}\n\n`;
    const events = [
        chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]),
        ...OPENAI.chatPieces.map((piece) => chunk([{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }])),
        chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]),
    ];
    if (includeUsage)
        events.push(chunk([], { usage: OPENAI.chatUsage }));
    events.push('data: [DONE]\n\n');
    sendEvents(response, events);
}

function responseObject(id, body, text, usage, status = 'completed') {
    return {
        id, object: 'response', created_at: Math.floor(Date.now() / 1000), status, model: body.model,
        error: null, incomplete_details: null, instructions: body.instructions ?? null,
        output: status === 'completed' ? [{
            type: 'message', id: `msg_${id}`, status: 'completed', role: 'assistant',
            content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
        }] : [],
        parallel_tool_calls: true, previous_response_id: body.previous_response_id ?? null,
        store: body.store !== false, temperature: 1, text: { format: { type: 'text' } }, tool_choice: 'auto', tools: [],
        top_p: 1, truncation: 'disabled', usage: status === 'completed' ? usage : null, metadata: {},
    };
}

function createResponse(record, response, id, stored) {
    const { body } = record;
    const previous = body.previous_response_id;
    if (previous && !stored.has(previous)) {
        sendJson(response, 400, { error: { message: `Previous response with id '${previous}' not found.`, type: 'invalid_request_error', param: 'previous_response_id', code: 'previous_response_not_found' } });
        return;
    }
    const text = previous ? OPENAI.followUpText(previous) : OPENAI.responsesText;
    if (!body.stream) {
        const object = responseObject(id, body, text, OPENAI.responsesUsage);
        if (object.store)
            stored.set(id, object);
        sendJson(response, 200, object);
        return;
    }
    const final = responseObject(id, body, text, OPENAI.responsesStreamUsage);
    if (final.store)
        stored.set(id, final);
    let sequence = 0;
    const event = (type, data) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...data })}\n\n`;
    const item = final.output[0];
    const pieces = previous ? [text] : OPENAI.responsesPieces;
    const events = [
        event('response.created', { response: responseObject(id, body, '', null, 'in_progress') }),
        event('response.in_progress', { response: responseObject(id, body, '', null, 'in_progress') }),
        event('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } }),
        event('response.content_part.added', { item_id: item.id, output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } }),
        ...pieces.map((delta) => event('response.output_text.delta', { item_id: item.id, output_index: 0, content_index: 0, delta, logprobs: [] })),
        event('response.output_text.done', { item_id: item.id, output_index: 0, content_index: 0, text, logprobs: [] }),
        event('response.content_part.done', { item_id: item.id, output_index: 0, content_index: 0, part: item.content[0] }),
        event('response.output_item.done', { output_index: 0, item }),
        event('response.completed', { response: final }),
    ];
    sendEvents(response, events);
}

// `name` tells two fakes apart: it is part of every response id (resp_<name>_<n>).
export function startFakeOpenAI({ name = 'fake' } = {}) {
    let counter = 0;
    const stored = new Map();
    return startFakeServer((record, response) => {
        const { method, url, body } = record;
        const path = url.split('?')[0];
        if (method === 'POST' && path === '/v1/chat/completions' && body) {
            chatCompletion(record, response, ++counter);
            return;
        }
        if (method === 'POST' && path === '/v1/responses' && body) {
            createResponse(record, response, `resp_${name}_${++counter}`, stored);
            return;
        }
        const match = /^\/v1\/responses\/([^/]+)$/.exec(path);
        if (method === 'GET' && match) {
            const object = stored.get(decodeURIComponent(match[1]));
            if (object)
                sendJson(response, 200, object);
            else
                sendJson(response, 404, { error: { message: `No response found with id '${match[1]}'.`, type: 'invalid_request_error', param: null, code: null } });
            return;
        }
        sendJson(response, 404, { error: { message: `fake OpenAI: no route ${method} ${url}`, type: 'invalid_request_error', param: null, code: null } });
    });
}
