#!/usr/bin/env node
// Added latency of the relay at low load: one keep-alive connection, sequential requests,
// interleaved rounds "direct to the fake upstream" and "through Tollgate", median of each.
// Usage: node bench/relay-latency.mjs [--binary build/release/bin/tollgate] [--requests 2000]
// Prints one JSON line and a short table. No thresholds: a measurement, not a test.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const here = dirname(fileURLToPath(import.meta.url));
const binary = opt('binary', join(here, '..', 'build', 'release', 'bin', 'tollgate'));
const total = Number(opt('requests', 2000));
// --model bench-mock measures the gateway alone (answered by the built-in mock provider).
const model = opt('model', 'bench-model');
const rounds = 5;

const answer = JSON.stringify({
  id: 'chatcmpl-bench', object: 'chat.completion', created: 1700000000, model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the fake upstream.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 42, completion_tokens: 17, total_tokens: 59 },
});
const upstream = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
    res.end(answer);
  });
});
await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
const upstreamPort = upstream.address().port;

const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-'));
writeFileSync(join(dir, 'config.yaml'), `model_list:
  - model_name: bench-model
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: http://127.0.0.1:${upstreamPort}/v1
      api_key: sk-upstream
      input_cost_per_token: 0.00000015
      output_cost_per_token: 0.0000006
  - model_name: bench-mock
    litellm_params:
      model: mock/gpt-4o-mini
      input_cost_per_token: 0.00000015
      output_cost_per_token: 0.0000006
general_settings:
  master_key: sk-bench-master
`);
const gateway = spawn(binary, ['--headless', '--config', join(dir, 'config.yaml'), '--port', '0', '--db', join(dir, 'bench.db')],
  { stdio: ['ignore', 'pipe', 'inherit'] });
const gatewayPort = await new Promise((resolve, reject) => {
  let out = '';
  gateway.stdout.on('data', (data) => {
    out += data;
    const match = out.match(/listening on http:\/\/127\.0\.0\.1:(\d+)\/v1/);
    if (match) resolve(Number(match[1]));
  });
  gateway.on('exit', (code) => reject(new Error(`tollgate exited with ${code}`)));
});

const body = JSON.stringify({
  model, temperature: 0.2, max_tokens: 64, user: 'bench-user',
  messages: [{ role: 'system', content: 'You are a terse assistant.' }, { role: 'user', content: 'Say hello in five words.' }],
});
function makeClient(port, path) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return () => new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent,
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench-master', 'content-length': Buffer.byteLength(body) } },
    (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - started) / 1000)
        : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const direct = makeClient(upstreamPort, '/v1/chat/completions');
const viaGateway = makeClient(gatewayPort, '/v1/chat/completions');

const samples = { direct: [], gateway: [] };
for (let i = 0; i < 200; ++i) { await direct(); await viaGateway(); } // warm-up
for (let round = 0; round < rounds; ++round) {
  for (let i = 0; i < total / rounds; ++i) samples.direct.push(await direct());
  for (let i = 0; i < total / rounds; ++i) samples.gateway.push(await viaGateway());
}
const pct = (values, p) => { const s = [...values].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const result = {
  requests: total,
  direct_p50_us: pct(samples.direct, 0.5), direct_p99_us: pct(samples.direct, 0.99),
  gateway_p50_us: pct(samples.gateway, 0.5), gateway_p99_us: pct(samples.gateway, 0.99),
};
result.added_p50_us = result.gateway_p50_us - result.direct_p50_us;
console.log(`JSON ${JSON.stringify(result)}`);
console.log(`| path | p50 µs | p99 µs |\n|---|---|---|\n| direct | ${result.direct_p50_us.toFixed(0)} | ${result.direct_p99_us.toFixed(0)} |\n| via Tollgate | ${result.gateway_p50_us.toFixed(0)} | ${result.gateway_p99_us.toFixed(0)} |\n| added p50 | ${result.added_p50_us.toFixed(0)} | |`);

gateway.kill('SIGTERM');
await new Promise((resolve) => gateway.on('exit', resolve));
upstream.close();
