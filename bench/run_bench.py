#!/usr/bin/env python3
"""Tollgate load benchmark harness (stdlib only; normally started by bench/run). Runs the same scenarios against:
direct fake upstream, nginx reverse proxy, optionally Portkey, and any number of proxies under test (--target, e.g.
Tollgate with the master key and with a virtual key) -- interleaved in ONE run so machine noise mostly cancels, and
prints ratios vs direct and vs nginx.  Usage and method: bench/README.md.

Ports (all 127.0.0.1): 18080 nginx fake (JSON), 18081 nginx fake (static SSE), 18082 node fake (stream-aware),
18083 node fake +50 ms latency (--with-slow), 18090/18091/18092 nginx proxy (-> 18080 / 18082 / 18083), 18100 Portkey.
Dialects: the tp, lat and stream scenarios also run as tp-messages / tp-responses (etc.): the same measurement with
an Anthropic /v1/messages or OpenAI /v1/responses call instead of /v1/chat/completions (--dialects, --dialect-scenarios),
reported in a second table with each row's CPU per call next to the chat row's (the issue's "within 10 %" bar).
CPU pinning (2-core box): server under test on core 0; wrk/clients and the fake upstream on core 1; for the c=1
latency and streaming-TTFB scenarios everything (client, server, fake) runs on core 1, because cross-core wake-ups on this VM add
bimodal ms-scale tails (see README.md).
"""
import argparse, contextlib, json, os, shutil, signal, socket, statistics, subprocess, sys, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
RUN = os.path.join(HERE, '.run')   # work directory (logs, pid files, configs); git-ignored
RESULTS = os.path.join(HERE, 'results')
FAST, STREAM, SLOW = 'http://127.0.0.1:18080', 'http://127.0.0.1:18082', 'http://127.0.0.1:18083'
MANY = 'http://127.0.0.1:18084'   # node fake: 20 chunks 100 ms apart = 2-second streams
MANY_CHUNKS, MANY_INTERVAL_MS = 20, 100
# What one stream of the 'many' scenario costs at the targets' prices (tollgate-target.sh: gpt-4o-mini at
# $0.15/$0.60 per 1M tokens; the fake reports 42 prompt tokens and one completion token per chunk), in nano-USD.
MANY_STREAM_NANOUSD = 42 * 150 + MANY_CHUNKS * 600
TOLLGATE_MASTER_KEY = 'sk-bench-master-key-0001'
# Request path per dialect (bench/chat.lua and bench/sse-client.js build the matching bodies).
DIALECT_PATHS = {'chat': '/v1/chat/completions', 'messages': '/v1/messages', 'responses': '/v1/responses'}
BASE_SCENARIOS = ('tp', 'lat', 'stream')


def split_scenario(s):
    """'tp-messages' -> ('tp', 'messages'); 'tp' -> ('tp', 'chat')."""
    base, _, dialect = s.partition('-')
    return base, dialect or 'chat'
# Pinning needs taskset and two CPUs; without them nothing is pinned (numbers are then noisier, not wrong).
PIN = shutil.which('taskset') is not None and len(os.sched_getaffinity(0)) >= 2
SERVER_CORE, LOAD_CORE = ('0', '1')
procs = []


def pinned(core):
    return ['taskset', '-c', core] if PIN else []


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def start(name, argv, core, shell=False, env=None):
    out = open(os.path.join(RUN, name + '.log'), 'w')
    cmd = pinned(core) + (['bash', '-c', argv] if shell else argv)
    p = subprocess.Popen(cmd, cwd=RUN, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    procs.append((name, p))
    with open(os.path.join(RUN, 'pids'), 'a') as f:   # bench/run's trap kills these groups if we die uncleanly
        f.write(f'{p.pid}\n')
    return p


def stop(p):
    # Every process we start gets its own session, so its process group id == its pid: signal exactly that group
    # (the started program plus anything it forked), never anything else.
    try:
        os.killpg(p.pid, signal.SIGTERM)
        os.killpg(p.pid, signal.SIGCONT)   # a paused target (see paused()) handles the SIGTERM only once continued
        p.wait(5)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait(5)


def stop_all():
    for _, p in reversed(procs):
        stop(p)


def wait_port(url, timeout=20):
    host, port = url.split('//')[1].split('/')[0].split(':')
    t = time.time() + timeout
    while time.time() < t:
        try:
            socket.create_connection((host, int(port)), 0.3).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f'port {url} did not open within {timeout}s (see bench/run/*.log)')


def tree(pid):
    out, todo = [], [pid]
    while todo:
        q = todo.pop()
        out.append(q)
        try:
            for t in os.listdir(f'/proc/{q}/task'):
                with open(f'/proc/{q}/task/{t}/children') as f:
                    todo += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return out


def signal_tree(p, sig):
    # The started process group and every descendant (a server that left the group included).
    pids = tree(p.pid)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(p.pid, sig)
    for q in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(q, sig)


@contextlib.contextmanager
def paused(targets):
    """The Tollgate targets not measured now are stopped (SIGSTOP) for the measurement and continued after it: all
    targets share the server core, and a target's background work (a PostgreSQL server's autovacuum and checkpoints
    after a throughput run, the store's batches) would otherwise run during another target's measurement."""
    procs = [t.proc for t in targets if t.proc is not None and t.proc.poll() is None]
    for p in procs:
        signal_tree(p, signal.SIGSTOP)
    try:
        yield
    finally:
        for p in procs:
            signal_tree(p, signal.SIGCONT)


def rss_kib(pid):
    s = 0
    for q in tree(pid):
        try:
            with open(f'/proc/{q}/status') as f:
                s += next(int(l.split()[1]) for l in f if l.startswith('VmRSS:'))
        except (OSError, StopIteration):
            pass
    return s


def cpu_ticks(pid):
    s = 0
    for q in tree(pid):
        try:
            with open(f'/proc/{q}/stat') as f:
                v = f.read().rsplit(')', 1)[1].split()
            s += int(v[11]) + int(v[12])  # utime + stime (all threads)
        except OSError:
            pass
    return s


def settle(pid, step=0.1, limit=20.0):
    """Waits until `pid`'s tree is idle again (at most one clock tick of CPU in each of two `step`s in a row, or
    `limit` seconds); returns the CPU seconds it used meanwhile: the work a run left behind (the store's batches)."""
    first = last = cpu_ticks(pid)
    calm, end = 0, time.time() + limit
    while calm < 2 and time.time() < end:
        time.sleep(step)
        now = cpu_ticks(pid)
        calm = calm + 1 if now - last <= 1 else 0
        last = now
    return (last - first) / os.sysconf('SC_CLK_TCK')


def pin(pid, core):
    if not PIN:
        return
    for q in tree(pid):
        subprocess.run(['taskset', '-a', '-p', '-c', core, str(q)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Target:
    def __init__(self, name, url, headers='', stream_url=None, start=None, pid_for=None, key=None):
        # Several instances behind one name: "URL1,URL2" (tp only: clients split their connections over them).
        self.urls = url.split(',')
        url = self.urls[0]
        self.name, self.url, self.headers, self.stream_url = name, url, headers, stream_url or url
        self.key = key              # Bearer key for this target (None: the global --key)
        self.start = start          # function(upstream) -> Popen, or None (externally managed / fixed)
        self.pid_for = pid_for      # function(scenario) -> pid to measure RSS/CPU, or None
        self.proc, self.upstream = None, None
        self.rewarm = None

    def ensure(self, upstream):
        if self.start and (self.proc is None or self.upstream != upstream):
            restarted = self.proc is not None
            if self.proc:
                stop(self.proc)
            self.proc, self.upstream = self.start(upstream), upstream
            for u in self.urls:
                wait_port(u)
            time.sleep(0.5)
            if restarted and self.rewarm:
                self.rewarm(self, upstream)   # a restarted proxy is cold again (JIT, pools): warm it before measuring

    def hdrs(self, upstream):
        return self.headers.replace('{UPSTREAM}', upstream)


def sampler(pid, stop_evt, out):
    c0, peak = cpu_ticks(pid), 0
    while not stop_evt.wait(0.25):
        peak = max(peak, rss_kib(pid))
    out['cpu_s'] = (cpu_ticks(pid) - c0) / os.sysconf('SC_CLK_TCK')
    out['rss_peak_kib'] = max(peak, rss_kib(pid))


@contextlib.contextmanager
def sampling(pid):
    """CPU and peak RSS of `pid`'s process tree while the block runs (nothing without a pid); the sampler thread
    stops on every way out of the block, Ctrl-C / SIGTERM included."""
    extra, evt, th = {}, threading.Event(), None
    if pid:
        th = threading.Thread(target=sampler, args=(pid, evt, extra), daemon=True)
        th.start()
    try:
        yield extra
    finally:
        evt.set()
        if th:
            th.join()


def wrk(url, conns, secs, headers, key, pid=None, dialect='chat'):
    env = dict(os.environ, BENCH_HEADERS=headers, BENCH_KEY=key, BENCH_DIALECT=dialect)
    cmd = pinned(LOAD_CORE) + ['wrk', '-t1', f'-c{conns}', f'-d{secs}s', '--timeout', '5s',
           '-s', os.path.join(HERE, 'chat.lua'), url.rstrip('/') + DIALECT_PATHS[dialect]]
    with sampling(pid) as extra:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=secs + 30, env=env)
    line = next((l for l in r.stdout.splitlines() if l.startswith('JSON ')), None)
    if not line:
        raise SystemExit('wrk failed: ' + r.stdout + r.stderr)
    d = json.loads(line[5:])
    d['errors'] = d['err_connect'] + d['err_read'] + d['err_write'] + d['err_status'] + d['err_timeout']
    if 'cpu_s' in extra and d['requests']:
        d['cpu_us_per_req'] = extra['cpu_s'] * 1e6 / d['requests']
        d['rss_peak_mib'] = extra['rss_peak_kib'] / 1024
    return d


def wrk_split(urls, conns, secs, headers, key, pid=None, dialect='chat'):
    """wrk against several instances at once, conns split evenly; one CPU sample of `pid`'s tree (every instance
    and what they share) for the lot. Requests, req/s and errors add up; the latency percentiles are the worst
    instance's."""
    if len(urls) == 1:
        return wrk(urls[0], conns, secs, headers, key, pid, dialect)
    out = [None] * len(urls)

    def one(i):
        out[i] = wrk(urls[i], max(1, conns // len(urls)), secs, headers, key, None, dialect)
    with sampling(pid) as extra:
        threads = [threading.Thread(target=one, args=(i,)) for i in range(len(urls))]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    d = dict(out[0])
    for k in ('requests', 'rps', 'errors', 'err_connect', 'err_read', 'err_write', 'err_status', 'err_timeout'):
        d[k] = sum(r.get(k, 0) or 0 for r in out)
    for k in ('p50_us', 'p90_us', 'p99_us', 'max_us'):
        if all(k in r for r in out):
            d[k] = max(r[k] for r in out)
    if 'cpu_s' in extra and d['requests']:
        d['cpu_us_per_req'] = extra['cpu_s'] * 1e6 / d['requests']
        d['rss_peak_mib'] = extra['rss_peak_kib'] / 1024
    return d


def sse(url, headers, key, n, conc, secs, pin_client=True, warmup=5, dialect='chat'):
    cmd = (pinned(LOAD_CORE) if pin_client else []) + ['node', os.path.join(HERE, 'sse-client.js'), '--url', url, '--n', str(n),
           '--concurrency', str(conc), '--max-seconds', str(secs), '--warmup', str(warmup), '--dialect', dialect]
    for h in filter(None, headers.split('|')):
        cmd += ['--header', h]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=secs + 30, env=dict(os.environ, BENCH_KEY=key))
    line = next((l for l in r.stdout.splitlines() if l.startswith('JSON ')), None)
    if not line:
        raise SystemExit('sse-client failed: ' + r.stdout + r.stderr)
    return json.loads(line[5:])


def global_spend_nanousd(url):
    """Tollgate's logged spend (GET /global/spend with the master key), in nano-USD; None if not a Tollgate."""
    import urllib.request
    req = urllib.request.Request(url.rstrip('/') + '/global/spend', headers={'Authorization': 'Bearer ' + TOLLGATE_MASTER_KEY})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return round(json.loads(r.read())['spend'] * 1e9)
    except Exception:
        return None


def many(t, url, headers, key, n, pid):
    """n concurrent 2-second streams at once: wall time for all, per-stream p50/p99, peak RSS, and (Tollgate) whether
    the logged spend grew by exactly the cost of n + 1 warm-up streams."""
    before = global_spend_nanousd(url) if t.name.startswith('tollgate') else None
    with sampling(pid) as extra:
        r = sse(url, headers, key, n, n, 60, pin_client=False, warmup=1)
    if 'rss_peak_kib' in extra:
        r['rss_peak_mib'] = extra['rss_peak_kib'] / 1024
    if before is not None:
        time.sleep(0.5)
        after = global_spend_nanousd(url)
        if after is not None:
            r['spend_nanousd'] = after - before
            r['spend_expected_nanousd'] = (r['requests'] + 1) * MANY_STREAM_NANOUSD   # + the one warm-up stream
    return r


def med(rows, k):
    v = [r[k] for r in rows if k in r]
    return statistics.median(v) if v else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--proxy-url', help='URL of the proxy under test, e.g. http://127.0.0.1:18200')
    ap.add_argument('--proxy-cmd', help='shell command that starts the proxy (run from bench/run/, pinned to core 0); '
                    '{UPSTREAM} is replaced by the fake upstream base URL (no /v1), {PORT} by the proxy-url port')
    ap.add_argument('--proxy-name', default='proxy')
    ap.add_argument('--proxy-headers', default='', help='extra headers "Name: v|Name2: v2" ({UPSTREAM} allowed)')
    ap.add_argument('--proxy-stream-url', help='if the proxy is started elsewhere and points at the stream fake')
    ap.add_argument('--proxy-pid', type=int, help='pid of an externally started proxy (enables CPU/RSS columns and '
                    'core pinning for it; the harness re-pins it with taskset)')
    ap.add_argument('--target', nargs=4, action='append', default=[], metavar=('NAME', 'URL', 'KEY', 'CMD'),
                    help='a proxy under test (repeatable): name, http://127.0.0.1:PORT, Bearer key, shell command that '
                    'starts it ({PORT}/{UPSTREAM} replaced as for --proxy-cmd)')
    ap.add_argument('--out', help='write the markdown table here (and the raw JSON next to it, same name .json)')
    ap.add_argument('--key', default='sk-bench-0123456789abcdef0123456789abcdef', help='Bearer key sent by clients')
    ap.add_argument('--portkey', action='store_true', help='include Portkey gateway (bench/node_modules)')
    ap.add_argument('--no-nginx', action='store_true')
    ap.add_argument('--duration', type=int, default=15, help='seconds per throughput run')
    ap.add_argument('--conns', type=int, default=64)
    ap.add_argument('--lat-duration', type=int, default=8, help='seconds per c=1 latency run')
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--warmup', type=int, default=8, help='seconds of unrecorded c=conns load per target first (JIT, pools)')
    ap.add_argument('--stream-n', type=int, default=100)
    ap.add_argument('--many-n', type=int, default=1000, help="concurrent 2-second streams in the 'many' scenario")
    ap.add_argument('--with-slow', action='store_true', help='also: 50 ms upstream, c=64 (realistic-latency check)')
    ap.add_argument('--scenarios', default='tp,lat,stream,many', help='comma list of tp,lat,stream,many,slow; also '
                    'tp-messages, stream-responses, ... to name one dialect run (then --dialects adds nothing)')
    ap.add_argument('--dialects', default='messages,responses',
                    help="dialects measured besides chat: comma list of messages,responses, or 'none'")
    ap.add_argument('--dialect-scenarios', default='tp,lat,stream',
                    help='which of the selected tp,lat,stream scenarios also run per dialect')
    ap.add_argument('--dialect-duration', type=int, help='seconds per dialect throughput run (default: --duration)')
    ap.add_argument('--keep-others-running', action='store_true',
                    help='do not pause the Tollgate targets that are not being measured (see paused())')
    ap.add_argument('--json', help='write raw results here (default bench/results/<time>.json)')
    a = ap.parse_args()
    scen = expand_scenarios(a)
    os.makedirs(RUN, exist_ok=True)
    os.makedirs(RESULTS, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # SIGTERM -> SystemExit -> finally: stop_all()
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
    try:
        return run(a, scen)
    finally:
        stop_all()


def expand_scenarios(a):
    """The scenario list in run order: each of tp/lat/stream is followed by its dialect runs (tp, tp-messages,
    tp-responses, lat, ...), so a target restarts only when the upstream changes (tp/lat: nginx, stream: Node)."""
    named = [s for s in a.scenarios.split(',') if s]
    explicit = any('-' in s for s in named)
    dialects = [] if a.dialects in ('', 'none') or explicit else a.dialects.split(',')
    for d in dialects + [split_scenario(s)[1] for s in named]:
        if d not in DIALECT_PATHS:
            raise SystemExit(f'unknown dialect {d!r} (chat, messages, responses)')
    per = set(a.dialect_scenarios.split(','))
    scen = []
    for s in named:
        scen.append(s)
        if s in BASE_SCENARIOS and s in per:
            scen += [f'{s}-{d}' for d in dialects if d != 'chat']
    for s in scen:
        if split_scenario(s)[0] not in BASE_SCENARIOS + ('many', 'slow'):
            raise SystemExit(f'unknown scenario {s!r}')
    if a.with_slow and 'slow' not in scen:
        scen.append('slow')
    return scen


def run(a, scen):
    up = start('nginx-upstream', ['nginx', '-p', RUN + '/', '-c', os.path.join(HERE, 'nginx-upstream.conf')], LOAD_CORE)
    fake = start('fake-stream', ['node', os.path.join(HERE, 'fake-upstream.js'), '--port', '18082',
                                 '--chunks', '10', '--chunk-interval-ms', '2'], LOAD_CORE)
    if 'many' in scen:
        start('fake-many', ['node', os.path.join(HERE, 'fake-upstream.js'), '--port', '18084', '--chunks', str(MANY_CHUNKS),
                            '--chunk-interval-ms', str(MANY_INTERVAL_MS)], LOAD_CORE)
        wait_port(MANY)
    if 'slow' in scen:
        start('fake-slow', ['node', os.path.join(HERE, 'fake-upstream.js'), '--port', '18083', '--latency-ms', '50'], LOAD_CORE)
        wait_port(SLOW)
    wait_port(FAST)
    wait_port(STREAM)

    def direct_pid(s):
        pid = up.pid if split_scenario(s)[0] in ('tp', 'lat') else fake.pid
        return pid
    targets = [Target('direct', FAST, stream_url=STREAM, pid_for=direct_pid)]
    if not a.no_nginx:
        px = start('nginx-proxy', ['nginx', '-p', RUN + '/', '-c', os.path.join(HERE, 'nginx-proxy.conf')], SERVER_CORE)
        wait_port('http://127.0.0.1:18090')
        targets.append(Target('nginx', 'http://127.0.0.1:18090', stream_url='http://127.0.0.1:18091',
                              pid_for=lambda s, p=px: p.pid))
    if a.portkey:
        pk = start('portkey', ['node', '-r', os.path.join(HERE, 'loopback-only.cjs'),
                               os.path.join(HERE, 'node_modules/@portkey-ai/gateway/build/start-server.js'),
                               '--port=18100', '--headless'], SERVER_CORE)
        wait_port('http://127.0.0.1:18100')
        targets.append(Target('portkey', 'http://127.0.0.1:18100',
                               headers='x-portkey-provider: openai|x-portkey-custom-host: {UPSTREAM}/v1',
                               pid_for=lambda s, p=pk: p.pid))
    for name, url, key, cmd in a.target:
        port = url.split(',')[0].rsplit(':', 1)[1].split('/')[0]   # {PORT}: the first instance's
        t = Target(name, url, headers=a.proxy_headers, key=key)
        t.start = lambda u, c=cmd, p=port, n=name: start(n, c.replace('{UPSTREAM}', u).replace('{PORT}', p),
                                                         SERVER_CORE, shell=True)
        t.pid_for = lambda s, tt=t: tt.proc.pid
        targets.append(t)
    if a.proxy_url:
        t = Target(a.proxy_name, a.proxy_url, headers=a.proxy_headers, stream_url=a.proxy_stream_url)
        if a.proxy_pid:
            pin(a.proxy_pid, SERVER_CORE)
            t.pid_for = lambda s, p=a.proxy_pid: p
        if a.proxy_cmd:
            port = a.proxy_url.rsplit(':', 1)[1].split('/')[0]
            t.start = lambda u, c=a.proxy_cmd, p=port: start(a.proxy_name, c.replace('{UPSTREAM}', u).replace('{PORT}', p),
                                                            SERVER_CORE, shell=True)
            t.pid_for = lambda s, tt=t: tt.proc.pid
            if '{UPSTREAM}' not in a.proxy_cmd and not a.proxy_stream_url:
                log('note: --proxy-cmd has no {UPSTREAM}; streaming scenario uses the same instance')
        targets.append(t)

    res = {t.name: {s: [] for s in scen} for t in targets}

    def rewarm(t, upstream):
        if a.warmup > 0:
            w = wrk_split(t.urls, a.conns, a.warmup, t.hdrs(upstream), t.key or a.key)
            log(f'rewarm {t.name:8} {w["rps"]:.0f} req/s, errors {w["errors"]}')
    for t in targets:
        t.rewarm = rewarm
    idle = {}
    for t in targets:
        t.ensure(FAST)
        if t.pid_for:
            idle[t.name] = rss_kib(t.pid_for('tp')) / 1024
        if a.warmup > 0:
            w = wrk_split(t.urls, a.conns, a.warmup, t.hdrs(FAST), t.key or a.key)
            log(f'warmup {t.name:8} {w["rps"]:.0f} req/s, errors {w["errors"]}')
            # The dialects' code paths warm too (a quarter of the warm-up each; none in --smoke).
            for d in sorted({split_scenario(s)[1] for s in scen} - {'chat'}):
                if a.warmup >= 4 and t.name != 'portkey' and len(t.urls) == 1:
                    w = wrk(t.url, a.conns, a.warmup // 4, t.hdrs(FAST), t.key or a.key, dialect=d)
                    log(f'warmup {t.name:8} {d:9} {w["rps"]:.0f} req/s, errors {w["errors"]}')
    for rep in range(a.reps):
        for s in scen:
            for t in targets:
                if s == 'many' and t.name in ('nginx', 'portkey'):
                    continue                   # the anchor here is the fake itself ('direct')
                base, dialect = split_scenario(s)
                if dialect != 'chat' and t.name == 'portkey':
                    continue                   # Portkey is the chat anchor only
                if len(t.urls) > 1 and (base != 'tp' or dialect != 'chat'):
                    continue                   # several instances: throughput and CPU per call (chat) only
                upstream = {'tp': FAST, 'lat': FAST, 'stream': STREAM, 'slow': SLOW, 'many': MANY}[base]
                t.ensure(upstream)
                pid = t.pid_for(s) if t.pid_for else None
                if base == 'tp' and t.name == 'direct':
                    pin(up.pid, SERVER_CORE)   # direct: the fake itself is the server under test
                if base in ('lat', 'stream') and pid and t.name != 'direct':
                    pin(pid, LOAD_CORE)        # lat/stream: client, server, fake on ONE core (no cross-core wake-ups)
                others = [] if a.keep_others_running else [o for o in targets if o is not t and o.start]
                with paused(others):
                    time.sleep(1)                  # let the previous run's background work (GC, closes) settle
                    if base == 'tp':
                        secs = a.duration if dialect == 'chat' else (a.dialect_duration or a.duration)
                        r = wrk_split(t.urls, a.conns, secs, t.hdrs(upstream), t.key or a.key, pid, dialect)
                    elif base == 'lat':
                        r = wrk(t.url, 1, a.lat_duration, t.hdrs(upstream), t.key or a.key, pid, dialect)
                    elif s == 'many':
                        r = many(t, MANY if t.name == 'direct' else t.url, t.hdrs(upstream), t.key or a.key, a.many_n,
                                 pid if t.name != 'direct' else None)
                    elif s == 'slow':
                        url = {'direct': SLOW, 'nginx': 'http://127.0.0.1:18092'}.get(t.name, t.url)
                        r = wrk(url, a.conns, a.lat_duration, t.hdrs(upstream), t.key or a.key, None)
                    else:
                        if t.name != 'direct' and t.start is None and t.stream_url == t.url and t.name not in ('nginx', 'portkey'):
                            continue
                        r = sse(t.stream_url, t.hdrs(upstream), t.key or a.key, a.stream_n, 1, 30, dialect=dialect)
                    if pid:
                        # The CPU a run left behind (settled before the next target runs) is part of its calls' cost.
                        drain = settle(pid)
                        if r.get('cpu_us_per_req') is not None and r.get('requests'):
                            r['cpu_drain_us_per_req'] = drain * 1e6 / r['requests']
                            r['cpu_us_per_req'] += r['cpu_drain_us_per_req']
                    if base == 'tp' and t.name == 'direct':
                        pin(up.pid, LOAD_CORE)
                    if base in ('lat', 'stream') and pid and t.name != 'direct':
                        pin(pid, SERVER_CORE)
                res[t.name][s].append(r)
                log(f'rep{rep + 1} {s:16} {t.name:8} ' + json.dumps(r))
    md = a.out or os.path.join(RESULTS, time.strftime('%Y-%m-%d-%H%M%S') + '.md')
    out = a.json or os.path.splitext(md)[0] + '.json'
    with open(out, 'w') as f:
        json.dump({'args': vars(a), 'pinned': PIN, 'idle_rss_mib': idle, 'results': res}, f, indent=1)
    lines = []
    report(res, [t.name for t in targets], a, lines.append)
    lines.append('\nidle RSS before load (MiB): ' + ', '.join(f'{k} {v:.1f}' for k, v in idle.items()))
    text = '\n'.join(lines) + '\n'
    print(text, end='')
    with open(md, 'w') as f:
        f.write(f'# bench/run {time.strftime("%Y-%m-%d %H:%M:%S %Z")}\n\n`{" ".join(sys.argv[1:])}`\n' + text)
    log('table: ' + os.path.relpath(md, os.path.dirname(HERE)) + ', raw results: ' + os.path.relpath(out, os.path.dirname(HERE)))


def report_dialects(res, names, dialects, g, f, print):
    """Per target, each metric for chat and the other dialects side by side, and each dialect's CPU per call over
    chat's (the issue's bar: within 10 %, i.e. <= 1.10)."""
    key = lambda b, d: b if d == 'chat' else f'{b}-{d}'
    others = dialects[1:]
    print('\nDialects (same scenarios; chat = the table above; messages: POST /v1/messages to an anthropic/ deployment, '
          'responses: POST /v1/responses to the openai/ one; same prompt, same fake answers):\n')
    cols = ([f'CPU µs/req {d}' for d in dialects] + [f'CPU {d}/chat' for d in others] + [f'tp req/s {d}' for d in dialects]
            + [f'lat p50 µs {d}' for d in dialects]
            + [f'TTFB p50 µs {d}' for d in dialects] + [f'TTFB p99 µs {d}' for d in dialects] + ['end event seen', 'errors'])
    print('| target | ' + ' | '.join(cols) + ' |')
    print('|---|' + '---|' * len(cols))
    bar = []
    for n in names:
        if not any(res[n].get(key(b, d)) for b in BASE_SCENARIOS for d in others):
            continue
        cpu = {d: g(n, key('tp', d), 'cpu_us_per_req') for d in dialects}
        ratio = {d: (cpu[d] / cpu['chat'] if cpu[d] and cpu['chat'] else None) for d in others}
        tp = {d: g(n, key('tp', d), 'rps') for d in dialects}
        seen = [g(n, key('stream', d), 'done_marker_ok') for d in dialects]
        streams = [g(n, key('stream', d), 'requests') for d in dialects]
        errs = sum((r.get('errors', 0) or 0) for d in dialects for b in BASE_SCENARIOS for r in res[n].get(key(b, d), []))
        cells = ([f(cpu[d], '{:.1f}') for d in dialects] + [f(ratio[d], '{:.3f}') for d in others]
                 + [f(tp[d]) for d in dialects]
                 + [f(g(n, key('lat', d), 'p50_us')) for d in dialects]
                 + [f(g(n, key('stream', d), 'ttfb_p50_us')) for d in dialects]
                 + [f(g(n, key('stream', d), 'ttfb_p99_us')) for d in dialects]
                 + ['/'.join(f(x) for x in seen) + (' of ' + '/'.join(f(x) for x in streams) if any(streams) else ''),
                    str(errs)])
        print('| ' + n + ' | ' + ' | '.join(cells) + ' |')
        if n.startswith('tollgate'):
            bar += [f'{n} {d} {ratio[d]:.3f}× ({"met" if ratio[d] <= 1.10 else "missed"})' for d in others if ratio[d]]
    if bar:
        print('\nCPU per call vs chat, bar <= 1.10×: ' + '; '.join(bar))


def report(res, names, a, print=print):
    M = {n: {s: {k: med(v, k) for k in (v[0].keys() if v else [])} for s, v in res[n].items()} for n in names}
    def g(n, s, k):
        return M.get(n, {}).get(s, {}).get(k)
    def f(x, fmt='{:.0f}'):
        return '-' if x is None else fmt.format(x)
    print(f'\nMedian of {a.reps} interleaved reps. tp = wrk -t1 -c{a.conns} -d{a.duration}s; lat = wrk -t1 -c1 -d{a.lat_duration}s; '
          f'stream = {a.stream_n} sequential SSE requests (10 chunks, 2 ms apart). ' + ('tp: server under test on core 0, wrk+fake on core 1; lat and stream: all on core 1.' if PIN else 'not pinned (no taskset or < 2 CPUs).') + '\n')
    print('| target | tp req/s | x direct | x nginx | tp p50 ms | tp p99 ms | CPU µs/req | peak RSS MiB | lat p50 µs | lat p90 µs | lat p99 µs | +p50 vs direct µs | +p50 vs nginx µs | TTFB p50 µs | TTFB p99 µs | +TTFB vs direct µs | errors |')
    print('|---|' + '---|' * 16)
    for n in names:
        tp = g(n, 'tp', 'rps')
        d, x = g('direct', 'tp', 'rps'), g('nginx', 'tp', 'rps')
        lp, dl, xl = g(n, 'lat', 'p50_us'), g('direct', 'lat', 'p50_us'), g('nginx', 'lat', 'p50_us')
        tt, dt = g(n, 'stream', 'ttfb_p50_us'), g('direct', 'stream', 'ttfb_p50_us')
        errs = sum((r.get('errors', 0) or 0) for s in res[n].values() for r in s)
        print('| ' + ' | '.join([n, f(tp), f(tp / d if tp and d else None, '{:.3f}'), f(tp / x if tp and x else None, '{:.3f}'),
              f(g(n, 'tp', 'p50_us') and g(n, 'tp', 'p50_us') / 1000, '{:.2f}'), f(g(n, 'tp', 'p99_us') and g(n, 'tp', 'p99_us') / 1000, '{:.2f}'),
              f(g(n, 'tp', 'cpu_us_per_req'), '{:.1f}'), f(g(n, 'tp', 'rss_peak_mib'), '{:.1f}'),
              f(lp), f(g(n, 'lat', 'p90_us')), f(g(n, 'lat', 'p99_us')),
              f(lp - dl if lp is not None and dl is not None else None), f(lp - xl if lp is not None and xl is not None else None),
              f(tt), f(g(n, 'stream', 'ttfb_p99_us')), f(tt - dt if tt is not None and dt is not None else None), str(errs)]) + ' |')
    dialects = [d for d in DIALECT_PATHS if d != 'chat' and any(res[n].get(f'{b}-{d}') for n in names for b in BASE_SCENARIOS)]
    if dialects:
        report_dialects(res, names, ['chat'] + dialects, g, f, print)
    if any(res[n].get('many') for n in names):
        print(f'\n{a.many_n} concurrent {MANY_CHUNKS * MANY_INTERVAL_MS / 1000:.0f}-second streams (all started at once; '
              'wall = first start to last end):\n')
        print('| target | completed | wall s | stream p50 ms | stream p99 ms | TTFB p99 ms | [DONE] seen | peak RSS MiB | spend logged = expected | errors |')
        print('|---|' + '---|' * 9)
        for n in names:
            if not res[n].get('many'):
                continue
            sp, ex = g(n, 'many', 'spend_nanousd'), g(n, 'many', 'spend_expected_nanousd')
            spend = '-' if sp is None or ex is None else ('yes' if sp == ex else f'no ({sp} vs {ex} nano-USD)')
            print('| ' + ' | '.join([n, f(g(n, 'many', 'requests')), f(g(n, 'many', 'seconds'), '{:.2f}'),
                  f(g(n, 'many', 'total_p50_us') and g(n, 'many', 'total_p50_us') / 1000),
                  f(g(n, 'many', 'total_p99_us') and g(n, 'many', 'total_p99_us') / 1000),
                  f(g(n, 'many', 'ttfb_p99_us') and g(n, 'many', 'ttfb_p99_us') / 1000),
                  f(g(n, 'many', 'done_marker_ok')), f(g(n, 'many', 'rss_peak_mib'), '{:.1f}'), spend,
                  f(g(n, 'many', 'errors'))]) + ' |')
    if any(res[n].get('slow') for n in names):
        print('\nslow upstream (+50 ms), c=' + str(a.conns) + ':')
        for n in names:
            if res[n].get('slow'):
                print(f'  {n:8} req/s {f(g(n, "slow", "rps"))}  p50 {f(g(n, "slow", "p50_us"))} µs  p99 {f(g(n, "slow", "p99_us"))} µs')


if __name__ == '__main__':
    sys.exit(main())
