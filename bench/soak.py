#!/usr/bin/env python3
"""Hostile-traffic soak of one Tollgate gateway (loopback only, bounded in time and size).

While well-formed calls run on a virtual key with a budget, the gateway gets at the same time
  - slowloris connections: a request head sent a byte at a time, never finished;
  - malformed or oversized requests: bad JSON, wrong types, huge heads, 10,000 headers,
    bare-LF heads, lying or conflicting Content-Length, oversized bodies, garbage bytes;
  - a flood of cross-site posts: what a web page can send without a CORS preflight
    (text/plain bodies with a foreign Origin or Sec-Fetch-Site: cross-site) to management
    and LLM routes.
It passes when the gateway never crashes, its RSS stays under --max-rss-mib, every well-formed
call is answered 200 with its cost, no hostile request gets a 2xx, and the spend log afterwards
holds exactly the well-formed calls with exactly the cost their answers reported.

Usage: bench/soak.py --binary build/release/bin/tollgate [--slowloris 1000] [--bad 10000]
                     [--cross 5000] [--good 400] [--json out.json]
Python 3 standard library only. Everything it starts is stopped on exit.
"""

import argparse
import asyncio
import csv
import decimal
import io
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HOST = "127.0.0.1"

# No master key: every local caller is admin, the case where a cross-site post would do the most
# harm. The mock provider answers, so the soak measures the gateway alone.
CONFIG = """\
model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: mock/gpt-4o-mini
      input_cost_per_token: 0.00000015
      output_cost_per_token: 0.0000006
    model_info:
      max_tokens: 16384
"""


def http_json(port, method, path, body=None, key=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"http://{HOST}:{port}{path}", data=data, method=method)
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=30) as response:
        return response.status, dict(response.headers), response.read()


class Gateway:
    def __init__(self, binary, workdir):
        self.workdir = workdir
        config = os.path.join(workdir, "soak.yaml")
        with open(config, "w") as f:
            f.write(CONFIG)
        self.log_path = os.path.join(workdir, "tollgate.log")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [binary, "--headless", "--config", config, "--port", "0", "--db", os.path.join(workdir, "soak.db")],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.port = None
        deadline = time.time() + 20
        while time.time() < deadline and self.port is None:
            if self.process.poll() is not None:
                raise SystemExit(f"tollgate exited at start:\n{open(self.log_path).read()}")
            for line in open(self.log_path):
                if "listening on http://127.0.0.1:" in line:
                    self.port = int(line.split("listening on http://127.0.0.1:")[1].split("/")[0])
            time.sleep(0.05)
        if self.port is None:
            raise SystemExit("tollgate did not start")
        self.peak_rss_kib = 0
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def rss_kib(self):
        try:
            with open(f"/proc/{self.process.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def _sample(self):
        while not self._stop.is_set():
            self.peak_rss_kib = max(self.peak_rss_kib, self.rss_kib())
            time.sleep(0.1)

    def alive(self):
        return self.process.poll() is None

    def stop(self):
        self._stop.set()
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


async def read_status(reader, timeout):
    """The status of the first response on the connection, or None when it closed without one."""
    try:
        line = await asyncio.wait_for(reader.readline(), timeout)
    except (asyncio.TimeoutError, ConnectionError):
        return None
    parts = line.split()
    if len(parts) >= 2 and parts[0].startswith(b"HTTP/"):
        try:
            return int(parts[1])
        except ValueError:
            return None
    return None


async def exchange(port, payload, timeout=15.0):
    """Sends raw bytes on a new connection; returns the first response's status (None: closed)."""
    try:
        reader, writer = await asyncio.open_connection(HOST, port)
    except OSError:
        return "connect-failed"
    try:
        writer.write(payload)
        try:
            await writer.drain()
        except ConnectionError:
            pass
        return await read_status(reader, timeout)
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, OSError):
            pass


def request_bytes(method, path, headers, body=b"", line_end=b"\r\n"):
    head = f"{method} {path} HTTP/1.1".encode() + line_end
    for name, value in headers:
        head += f"{name}: {value}".encode() + line_end
    return head + line_end + body


def malformed_payloads(vkey):
    """Each entry: (name, bytes). None of them may be answered with a 2xx."""
    auth = ("Authorization", f"Bearer {vkey}")
    json_type = ("Content-Type", "application/json")
    host = ("Host", HOST)

    def chat(body, extra=()):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return request_bytes("POST", "/v1/chat/completions",
                             [host, auth, json_type, ("Content-Length", str(len(raw))), *extra], raw)

    messages = [{"role": "user", "content": "hi"}]
    cases = [
        ("invalid-json", chat(b'{"model": "gpt-4o-mini", "messages": [')),
        ("not-an-object", chat(b'[1, 2, 3]')),
        ("no-model", chat({"messages": messages})),
        ("unknown-model", chat({"model": "no-such-model", "messages": messages})),
        ("messages-not-array", chat({"model": "gpt-4o-mini", "messages": "hi"})),
        ("max-tokens-negative", chat({"model": "gpt-4o-mini", "messages": messages, "max_tokens": -1})),
        ("max-tokens-float", chat({"model": "gpt-4o-mini", "messages": messages, "max_tokens": 1.5})),
        ("max-tokens-string", chat({"model": "gpt-4o-mini", "messages": messages, "max_tokens": "10"})),
        ("n-zero", chat({"model": "gpt-4o-mini", "messages": messages, "n": 0})),
        ("user-too-long", chat({"model": "gpt-4o-mini", "messages": messages, "user": "u" * 300})),
        ("deep-nesting", chat(b'{"model": "gpt-4o-mini", "messages": ' + b"[" * 5000 + b"]" * 5000 + b"}")),
        ("bad-key", request_bytes("POST", "/v1/chat/completions",
                                  [host, ("Authorization", "Bearer sk-not-a-key"), json_type,
                                   ("Content-Length", "2")], b"{}")),
        ("huge-header", request_bytes("GET", "/v1/models", [host, auth, ("X-Filler", "a" * 1_000_000)])),
        ("many-headers", request_bytes("GET", "/v1/models",
                                       [host, auth] + [(f"X-H{i}", "v") for i in range(10_000)])),
        ("lf-only-huge-head", request_bytes("GET", "/v1/models", [host, auth, ("X-Filler", "b" * 100_000)],
                                            line_end=b"\n")),
        ("oversized-content-length", request_bytes("POST", "/v1/chat/completions",
                                                   [host, auth, json_type, ("Content-Length", str(10**9))],
                                                   b"{" * 1024)),
        ("oversized-body", chat(b'{"model": "gpt-4o-mini", "messages": [], "pad": "' + b"x" * (33 * 1024 * 1024)
                                + b'"}')),
        ("negative-content-length", request_bytes("POST", "/v1/chat/completions",
                                                  [host, auth, json_type, ("Content-Length", "-5")], b"{}")),
        ("conflicting-lengths", request_bytes("POST", "/v1/chat/completions",
                                              [host, auth, json_type, ("Content-Length", "2"),
                                               ("Content-Length", "40"), ("Transfer-Encoding", "chunked")],
                                              b"{}")),
        ("garbage", bytes(random.Random(7).getrandbits(8) for _ in range(4096))),
        ("garbage-request-line", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64 + b"\r\n\r\n"),
        ("foreign-host", request_bytes("GET", "/v1/models", [("Host", "evil.example"), auth])),
        ("wrong-method", request_bytes("DELETE", "/v1/chat/completions", [host, auth])),
    ]
    return cases


def cross_site_payloads():
    host = ("Host", HOST)
    body = b'{"models": [], "max_budget": 1000}'
    forms = []
    for path in ("/key/generate", "/model/new", "/user/new", "/v1/chat/completions", "/gateway/pause"):
        forms.append((f"origin {path}", request_bytes(
            "POST", path, [host, ("Origin", "https://evil.example"), ("Content-Type", "text/plain"),
                           ("Content-Length", str(len(body)))], body)))
        forms.append((f"fetch-site {path}", request_bytes(
            "POST", path, [host, ("Sec-Fetch-Site", "cross-site"), ("Content-Type", "text/plain"),
                           ("Content-Length", str(len(body)))], body)))
    return forms


async def slowloris(port, count, seconds, results):
    async def one():
        try:
            reader, writer = await asyncio.open_connection(HOST, port)
        except OSError:
            results["connect-failed"] = results.get("connect-failed", 0) + 1
            return
        head = b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
        ended = "held-open"
        try:
            deadline = time.monotonic() + seconds
            i = 0
            while time.monotonic() < deadline:
                writer.write(head[i:i + 1] if i < len(head) else b"a")
                i += 1
                await writer.drain()
                try:
                    data = await asyncio.wait_for(reader.read(256), 1.0)
                except asyncio.TimeoutError:
                    continue
                if data:
                    parts = data.split()
                    ended = parts[1].decode() if len(parts) > 1 and data.startswith(b"HTTP/") else "data"
                else:
                    ended = "closed"
                break
        except (ConnectionError, OSError):
            ended = "reset"
        finally:
            writer.close()
        results[ended] = results.get(ended, 0) + 1

    await asyncio.gather(*(one() for _ in range(count)))


async def hostile(port, cases, total, concurrency, results):
    queue = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(cases[i % len(cases)])

    async def worker():
        while True:
            try:
                name, payload = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            status = await exchange(port, payload)
            key = (name, status)
            results[key] = results.get(key, 0) + 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))


def good_calls(port, vkey, count, out):
    """Well-formed calls on one keep-alive connection each, alongside the hostile load."""
    import http.client
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    for i in range(count):
        body = json.dumps({"model": "gpt-4o-mini", "user": "soak-end-user",
                           "messages": [{"role": "user", "content": f"Hello {i}, say something."}]})
        try:
            connection.request("POST", "/v1/chat/completions", body,
                               {"Authorization": f"Bearer {vkey}", "Content-Type": "application/json"})
            response = connection.getresponse()
            data = response.read()
            cost = response.getheader("x-litellm-response-cost")
            ok = response.status == 200 and json.loads(data).get("choices") and cost is not None
            out.append((ok, response.status, decimal.Decimal(cost) if cost else None))
        except Exception as error:  # noqa: BLE001 - every failure is a counted result here
            out.append((False, repr(error), None))
            connection.close()
            connection = http.client.HTTPConnection(HOST, port, timeout=30)
    connection.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--slowloris", type=int, default=1000)
    parser.add_argument("--slowloris-seconds", type=float, default=20.0)
    parser.add_argument("--bad", type=int, default=10000)
    parser.add_argument("--cross", type=int, default=5000)
    parser.add_argument("--good", type=int, default=400, help="well-formed calls per client (4 clients)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--max-rss-mib", type=float, default=150.0)
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    workdir = tempfile.mkdtemp(prefix="tollgate-soak-")
    gateway = Gateway(os.path.abspath(args.binary), workdir)
    failures = []
    try:
        idle_rss = gateway.rss_kib() / 1024
        # One key for the well-formed calls (its spend log is checked), another for the malformed.
        keys = [json.loads(http_json(gateway.port, "POST", "/key/generate",
                                     {"key_alias": alias, "max_budget": 1000.0, "rpm_limit": 1000000})[2])
                for alias in ("soak-good", "soak-hostile")]
        vkey, token = keys[0]["key"], keys[0]["token"]
        hostile_key = keys[1]["key"]

        good = []
        clients = [threading.Thread(target=good_calls, args=(gateway.port, vkey, args.good, good))
                   for _ in range(4)]
        started = time.monotonic()
        for client in clients:
            client.start()

        slow_results, bad_results, cross_results = {}, {}, {}

        async def attack():
            await asyncio.gather(
                slowloris(gateway.port, args.slowloris, args.slowloris_seconds, slow_results),
                hostile(gateway.port, malformed_payloads(hostile_key), args.bad, args.concurrency, bad_results),
                hostile(gateway.port, cross_site_payloads(), args.cross, args.concurrency, cross_results))

        asyncio.run(attack())
        for client in clients:
            client.join()
        wall = time.monotonic() - started

        if not gateway.alive():
            failures.append(f"tollgate exited with {gateway.process.returncode}")
        answered = [g for g in good if g[0]]
        if len(answered) != len(good):
            wrong = [g[1] for g in good if not g[0]][:10]
            failures.append(f"{len(good) - len(answered)} of {len(good)} well-formed calls failed: {wrong}")
        for (name, status), n in sorted(bad_results.items(), key=str):
            if isinstance(status, int) and 200 <= status < 300:
                failures.append(f"malformed '{name}' got {status} ({n}x)")
        for (name, status), n in sorted(cross_results.items(), key=str):
            if isinstance(status, int) and 200 <= status < 300:
                failures.append(f"cross-site '{name}' got {status} ({n}x)")
        held = slow_results.get("held-open", 0)
        if held:
            failures.append(f"{held} slowloris connections were still open after {args.slowloris_seconds} s")

        # The spend log holds exactly the well-formed calls, at exactly the cost they reported.
        logged_rows, logged_spend = 0, decimal.Decimal(0)
        if gateway.alive():
            _, _, csv_body = http_json(gateway.port, "GET", f"/spend/logs/export.csv?api_key={token}")
            for row in csv.DictReader(io.StringIO(csv_body.decode())):
                logged_rows += 1
                logged_spend += decimal.Decimal(row["spend"])
            reported = sum((g[2] for g in answered), decimal.Decimal(0))
            nano = decimal.Decimal("1e-9")
            if logged_rows != len(answered):
                failures.append(f"spend log has {logged_rows} rows for the key, {len(answered)} calls answered")
            if abs(logged_spend - reported) > nano * len(answered):
                failures.append(f"spend log sums to {logged_spend}, the answers reported {reported}")
            _, _, info = http_json(gateway.port, "GET", f"/key/info?key={token}")
            key_spend = decimal.Decimal(str(json.loads(info)["info"]["spend"]))
            if abs(key_spend - logged_spend) > nano * len(answered):
                failures.append(f"the key's spend {key_spend} differs from its spend log {logged_spend}")
        peak = gateway.peak_rss_kib / 1024
        if peak > args.max_rss_mib:
            failures.append(f"peak RSS {peak:.1f} MiB over {args.max_rss_mib} MiB")

        figures = {
            "wall_s": round(wall, 1),
            "idle_rss_mib": round(idle_rss, 1),
            "peak_rss_mib": round(peak, 1),
            "good_calls": len(good), "good_answered": len(answered),
            "spend_rows": logged_rows, "spend_usd": str(logged_spend),
            "slowloris": slow_results,
            "malformed": {f"{n}:{s}": c for (n, s), c in sorted(bad_results.items(), key=str)},
            "cross_site": {f"{n}:{s}": c for (n, s), c in sorted(cross_results.items(), key=str)},
            "failures": failures,
        }
        print(json.dumps(figures, indent=1))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(figures, f, indent=1)
    finally:
        gateway.stop()
        if failures:
            print(f"log kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if failures:
        print("SOAK FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    print("soak passed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
