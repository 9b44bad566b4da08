// End-to-end test: the official Anthropic TypeScript SDK (what Claude Code is built on)
// against a real tollgate process serving POST /v1/messages from a mock Claude model:
// create, stream, countTokens, the model list, an error, and the spend log. Run with
// `node --test`. Needs `npm ci --prefix tests/e2e` and a built tollgate binary (env
// TOLLGATE_BINARY, else ../../build/dev/bin/tollgate relative to this file).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const MASTER_KEY = 'sk-e2e-anthropic-master';
const INPUT_NANOS = 3000;    // $3 per 1M input tokens, in nano-dollars per token
const OUTPUT_NANOS = 15000;  // $15 per 1M output tokens

let Anthropic = null;
let sdkProblem = null;
try {
    Anthropic = (await import('@anthropic-ai/sdk')).default;
} catch (error) {
    sdkProblem = `Cannot load the '@anthropic-ai/sdk' npm package: ${error.message}. `
        + 'Run `npm ci --prefix tests/e2e` from the repository root.';
}

function startTollgate(dir) {
    const config = path.join(dir, 'config.yaml');
    fs.writeFileSync(config, `# written by tests/e2e/anthropic-sdk.test.mjs
model_list:
  - model_name: claude-sonnet-4-5
    litellm_params:
      model: mock/claude-sonnet-4-5
      input_cost_per_token: 0.000003
      output_cost_per_token: 0.000015
general_settings:
  master_key: ${MASTER_KEY}
`);
    const binary = process.env.TOLLGATE_BINARY || path.resolve(here, '../../build/dev/bin/tollgate');
    const child = spawn(binary, ['--headless', '--config', config, '--port', '0', '--db', path.join(dir, 'db.sqlite')],
        { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const port = new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('tollgate did not start within 10 s')), 10_000);
        readline.createInterface({ input: child.stdout }).on('line', (line) => {
            const match = /listening on http:\/\/127\.0\.0\.1:(\d+)\/v1/.exec(line);
            if (match) {
                clearTimeout(timer);
                resolve(Number(match[1]));
            }
        });
        exited.then((code) => { clearTimeout(timer); reject(new Error(`tollgate exited during start-up (${code})`)); });
    });
    return { child, exited, port };
}

if (sdkProblem) {
    it('@anthropic-ai/sdk npm package is installed', () => assert.fail(sdkProblem));
} else {
    describe('tollgate with the official Anthropic SDK', () => {
        let dir = null;
        let tollgate = null;
        let origin = null;
        let client = null;
        const admin = (url, init = {}) => fetch(`${origin}${url}`, {
            ...init, headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
        }).then((r) => r.json());

        before(async () => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-e2e-anthropic-'));
            tollgate = startTollgate(dir);
            origin = `http://127.0.0.1:${await tollgate.port}`;
            const { key } = await admin('/key/generate', { method: 'POST', body: '{}' });
            // ANTHROPIC_BASE_URL without /v1, as Claude Code takes it; the key as x-api-key.
            client = new Anthropic({ baseURL: origin, apiKey: key, maxRetries: 0, timeout: 15_000 });
        });

        after(async () => {
            tollgate?.child.kill('SIGKILL');
            await tollgate?.exited;
            if (dir)
                fs.rmSync(dir, { recursive: true, force: true });
        });

        it('creates a message, logged and charged at the model price', async () => {
            const message = await client.messages.create({
                model: 'claude-sonnet-4-5', max_tokens: 100, system: 'Be brief.',
                messages: [{ role: 'user', content: 'Hello from the Anthropic SDK' }],
            });
            assert.equal(message.type, 'message');
            assert.equal(message.role, 'assistant');
            assert.equal(message.stop_reason, 'end_turn');
            assert.equal(message.content[0].type, 'text');
            assert.ok(message.usage.input_tokens > 0 && message.usage.output_tokens > 0);
            const rows = await admin('/spend/logs');
            const row = rows.find((r) => r.call_type === 'anthropic_messages');
            assert.ok(row, JSON.stringify(rows));
            assert.equal(row.prompt_tokens, message.usage.input_tokens);
            assert.equal(row.completion_tokens, message.usage.output_tokens);
            assert.equal(Math.round(row.spend * 1e9),
                message.usage.input_tokens * INPUT_NANOS + message.usage.output_tokens * OUTPUT_NANOS);
        });

        it('streams a message', async () => {
            const stream = client.messages.stream({
                model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'Stream, please' }],
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
                model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'How many tokens?' }],
            });
            assert.ok(count.input_tokens > 0);
            const ids = [];
            for await (const model of client.models.list())
                ids.push(model.id);
            assert.deepEqual(ids, ['claude-sonnet-4-5']);
        });

        it('refuses a wrong key with an AuthenticationError', async () => {
            const wrong = new Anthropic({ baseURL: origin, apiKey: 'sk-wrong', maxRetries: 0 });
            await assert.rejects(
                wrong.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
                (error) => error instanceof Anthropic.AuthenticationError && error.error?.error?.type === 'authentication_error');
        });

        it('refuses a key over its budget with a RateLimitError naming the budget', async () => {
            const { key } = await admin('/key/generate', { method: 'POST', body: '{"max_budget": 0}' });
            const broke = new Anthropic({ baseURL: origin, authToken: key, apiKey: null, maxRetries: 0 });
            await assert.rejects(
                broke.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
                (error) => error instanceof Anthropic.RateLimitError && /budget/i.test(error.error?.error?.message));
        });
    });
}
