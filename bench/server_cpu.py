"""The HTTP server's own CPU per request: a trivial WSGI app or the portal, under the server
command of Procfile.prod-local or a candidate, driven over loopback with keep-alive.

    .venv/bin/python bench/server_cpu.py --app trivial                     # the Procfile's web
    .venv/bin/python bench/server_cpu.py --app trivial --servers "procfile,sync:4,gthread:2x4"
    .venv/bin/python bench/server_cpu.py --app portal --servers "inprocess,procfile" --rounds 3

bench/request_cpu.py measures what Django costs a request in one process, with no HTTP; the
load test (bench/load.py) reads what the gunicorn processes cost under locust, which is more.
What of the difference is the server's (its accept and poll loops, HTTP parsing, the WSGI
environ, hand-offs between threads, socket system calls) this measures. Each server command
is started on 127.0.0.1 (`--port`, 8200-8299), warmed for `--warm` s, then driven for
`--seconds` by `--connections` keep-alive connections of this process (asyncio; closed loop,
or paced to `--rate` requests/s in all), and the CPU (user + system, /proc, workers retired by
`--max-requests` included) of the server's processes is divided by the requests answered.
Servers named in `--servers` run in turn, `--rounds` times (interleaved: the machine's speed
changes minute to minute; only neighbours compare). `client ms` is this process's CPU a
request (the load generator's; not the server's).

Servers: `procfile` is Procfile.prod-local's `web` line with the prod-local variables (the
application swapped for the trivial one with `--app trivial`); `gthread:WxT[:K]` gunicorn's
gthread with W workers, T threads, keep-alive K s, and `sync:W` its sync workers, both with
the Procfile's other options; `inprocess`, no server: the WSGI application called in this
process, one request after another (what Django alone costs the same requests), and
`inprocess-paced` the same at `--rate` (idle between requests as a server's worker is). Candidates
not in requirements.txt (BENCHMARKS.md, "third session, branch i-server": measured, not
adopted; `pip install granian==2.8.7` to run them): `granian:W[xT]` granian's WSGI interface,
W workers, T blocking threads each, and `granian-frozen:W[xT]` the same with what
busanhub/gunicorn_conf.py does in gunicorn's master done in each worker
(bench/server_frozen.py).

`--app portal` runs on a throw-away database `<DATABASE_URL's name>_srvcpu` (seeded with a
small city through bench/city.py, dropped at the end) under busanhub.settings.prod with the
prod-local variables, Celery on memory://, and asks for `/` as a visitor and `/` and `/me/`
signed in (`--paths`), round robin over the connections. Last line: `k=v ...` (mean server
CPU ms a request per server).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TRIVIAL_APP = "bench.server_trivial:application"
PORTAL_APP = "busanhub.wsgi:application"


def out(line: str = "") -> None:
    print(line, flush=True)


def procfile_web() -> str:
    for line in (ROOT / "Procfile.prod-local").read_text().splitlines():
        if line.startswith("web:"):
            return line.split(":", 1)[1].strip()
    raise SystemExit("Procfile.prod-local has no web line")


def server_command(spec: str, *, app: str, port: int, env: dict[str, str]) -> list[str]:
    """The command line of server `spec` (module docstring) serving `app` on `port`."""
    if spec == "procfile":
        line = re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], procfile_web())
        words = shlex.split(line)
        if app != PORTAL_APP:
            words = [app if word in ("busanhub.wsgi", PORTAL_APP) else word for word in words]
        return [w if "127.0.0.1:" not in w else f"127.0.0.1:{port}" for w in words]
    kind, _, shape = spec.partition(":")
    gunicorn_rest = [
        "-c",
        "python:busanhub.gunicorn_conf",
        "--bind",
        f"127.0.0.1:{port}",
        "--max-requests",
        "20000",
        "--max-requests-jitter",
        "2000",
        "--timeout",
        "60",
        "--log-level",
        "warning",
    ]
    if kind == "gthread":
        sizes, _, keepalive = shape.partition(":")
        workers, threads = sizes.split("x")
        return [
            ".venv/bin/gunicorn",
            app,
            *gunicorn_rest,
            "--workers",
            workers,
            "--threads",
            threads,
            "--keep-alive",
            keepalive or "75",
        ]
    if kind == "sync":
        return [".venv/bin/gunicorn", app, *gunicorn_rest, "--workers", shape]
    if kind in ("granian", "granian-frozen"):
        workers, _, threads = shape.partition("x")
        if kind == "granian-frozen":
            env["SERVER_CPU_APP"] = "trivial" if app == TRIVIAL_APP else "portal"
            app = "bench.server_frozen:application"
        return [
            ".venv/bin/granian",
            "--interface",
            "wsgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            workers,
            "--blocking-threads",
            threads or "1",
            "--log-level",
            "warning",
            "--no-ws",
            "--http",
            "1",
            app,
        ]
    raise SystemExit(f"unknown server {spec!r}")


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` and its descendants, the living and the
    reaped (a worker `--max-requests` retired counts in its parent's children times)."""
    import psutil

    total = 0.0
    root = psutil.Process(pid)
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


@dataclass
class Tally:
    answered: int = 0
    failed: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


async def response_read(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """One response off a keep-alive connection: (status, whether the server closes)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip().lower()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status, headers.get("connection") == "close"


async def connection_run(
    port: int, requests: itertools.cycle, until: float, interval: float, tally: Tally
) -> None:
    reader = writer = None
    next_at = time.monotonic()
    while time.monotonic() < until:
        if writer is None:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(next(requests))
        try:
            status, closes = await response_read(reader)
        except (asyncio.IncompleteReadError, ConnectionError):
            tally.failed += 1
            writer.close()
            writer = None
            continue
        tally.answered += 1
        tally.statuses[status] = tally.statuses.get(status, 0) + 1
        if status >= 400:
            tally.failed += 1
        if closes:
            writer.close()
            writer = None
        if interval:
            next_at += interval
            delay = next_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
    if writer is not None:
        writer.close()


def drive(port: int, raw: list[bytes], *, seconds: float, connections: int, rate: float) -> Tally:
    """`connections` keep-alive connections sending `raw`'s requests in turn for `seconds`."""
    tally = Tally()
    interval = connections / rate if rate else 0.0

    async def run() -> None:
        until = time.monotonic() + seconds
        await asyncio.gather(
            *(
                connection_run(
                    port,
                    itertools.cycle(raw[i % len(raw) :] + raw[: i % len(raw)]),
                    until,
                    interval,
                    tally,
                )
                for i in range(connections)
            )
        )

    asyncio.run(run())
    return tally


def request_bytes(path: str, cookies: str = "", language: str = "ko-KR,ko;q=0.9,en;q=0.8") -> bytes:
    # What a browser sends, roughly: the server parses all of it.
    lines = [
        f"GET {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        f"Accept-Language: {language}",
        "Accept-Encoding: gzip, deflate",
        "Connection: keep-alive",
    ]
    if cookies:
        lines.append(f"Cookie: {cookies}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def server_start(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen:
    log = open(ROOT / "var" / f"server_cpu_{port}.log", "ab")  # noqa: SIM115 - lives with it
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{command[0]} exited {process.returncode}: see {log.name}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
            return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit(f"{' '.join(command)} did not answer in 120 s")


def server_stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def environ_for(raw: bytes) -> dict:
    """The WSGI environ a server would build for request `raw` (no body)."""
    import io

    head = raw.decode("latin-1").split("\r\n")
    method, target, protocol = head[0].split(" ")
    path, _, query = target.partition("?")
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8210",
        "SERVER_PROTOCOL": protocol,
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for line in head[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            environ["HTTP_" + name.strip().upper().replace("-", "_")] = value.strip()
    return environ


def measure_inprocess(args, raw: list[bytes], *, paced: bool) -> dict:
    """The same requests through the portal's WSGI application in this process, one after
    another, no HTTP: what Django costs them (request_started/finished included, as the
    response's close() sends it)."""
    if args.app == "trivial":
        from bench.server_trivial import application
    else:
        from busanhub.wsgi import application
    statuses: dict[int, int] = {}

    def start_response(status, headers, exc_info=None):
        code = int(status.split(" ", 1)[0])
        statuses[code] = statuses.get(code, 0) + 1

    def send(request: bytes) -> None:
        response = application(environ_for(request), start_response)
        try:
            for _chunk in response:
                pass
        finally:
            if hasattr(response, "close"):
                response.close()

    requests = itertools.cycle(raw)
    for _ in range(3 * len(raw)):
        send(next(requests))
    statuses.clear()
    count = int(args.rate * args.seconds) if args.rate else 3000
    load = os.getloadavg()[0]
    started, cpu_start = time.monotonic(), time.process_time()
    interval = 1 / args.rate if paced and args.rate else 0.0
    next_at = time.monotonic()
    for _ in range(count):
        send(next(requests))
        if interval:  # idle between requests as a paced server's worker is
            next_at += interval
            if (delay := next_at - time.monotonic()) > 0:
                time.sleep(delay)
    cpu, elapsed = time.process_time() - cpu_start, time.monotonic() - started
    failed = sum(n for code, n in statuses.items() if code >= 400)
    return {
        "server": "inprocess-paced" if paced else "inprocess",
        "requests": count,
        "failed": failed,
        "statuses": statuses,
        "rps": count / elapsed,
        "server_ms": cpu * 1000 / count,
        "client_ms": 0.0,
        "load": load,
    }


def measure(spec: str, args, env: dict[str, str], raw: list[bytes]) -> dict:
    if spec in ("inprocess", "inprocess-paced"):
        return measure_inprocess(args, raw, paced=spec == "inprocess-paced")
    app = TRIVIAL_APP if args.app == "trivial" else PORTAL_APP
    command = server_command(spec, app=app, port=args.port, env=env)
    process = server_start(command, env, args.port)
    try:
        drive(args.port, raw, seconds=args.warm, connections=args.connections, rate=args.rate)
        load = os.getloadavg()[0]
        before, own_before = tree_cpu_seconds(process.pid), time.process_time()
        started = time.monotonic()
        tally = drive(
            args.port, raw, seconds=args.seconds, connections=args.connections, rate=args.rate
        )
        elapsed = time.monotonic() - started
        cpu = tree_cpu_seconds(process.pid) - before
        own = time.process_time() - own_before
    finally:
        server_stop(process)
    return {
        "server": spec,
        "requests": tally.answered,
        "failed": tally.failed,
        "statuses": tally.statuses,
        "rps": tally.answered / elapsed,
        "server_ms": cpu * 1000 / max(tally.answered, 1),
        "client_ms": own * 1000 / max(tally.answered, 1),
        "load": load,
    }


def environment(args) -> dict[str, str]:
    """prod-local's variables (scripts/prod_local.py), Celery on memory://, this host."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("prod_local", ROOT / "scripts" / "prod_local.py")
    prod_local = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(prod_local)
    values = prod_local.environment()
    values["CELERY_BROKER_URL"] = "memory://"
    values["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    values["DJANGO_SETTINGS_MODULE"] = "busanhub.settings.prod"
    os.environ.update(values)
    if args.app == "portal" and prod_local.static_changed():
        prod_local.manage(values, "collectstatic", "--noinput", "-v", "0")
    return dict(os.environ)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", choices=("trivial", "portal"), default="trivial")
    parser.add_argument("--servers", default="procfile", help="comma-separated (module doc)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=15.0, help="measured, per run")
    parser.add_argument("--warm", type=float, default=4.0, help="unmeasured first, per run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rate", type=float, default=0.0, help="requests/s in all; 0: no pause")
    parser.add_argument("--port", type=int, default=8210)
    parser.add_argument("--paths", default="/ anonymous,/,/me/")
    parser.add_argument("--citizens", type=int, default=40)
    parser.add_argument("--language", default="ko-KR,ko;q=0.9,en;q=0.8", help="Accept-Language")
    args = parser.parse_args()
    if not (0 < args.connections <= 100 and args.seconds + args.warm <= 60):
        raise SystemExit("bounded: at most 100 connections and 60 s a run")
    (ROOT / "var").mkdir(exist_ok=True)
    env = environment(args)
    servers = args.servers.split(",")
    old_config = None
    if args.app == "trivial":
        raw = [request_bytes("/")]
    else:
        import django

        django.setup()
        from django.db import connection
        from django.test.utils import setup_databases

        from bench import city
        from bench.load import plan_build

        test = connection.settings_dict.setdefault("TEST", {})
        test["NAME"] = f"{connection.settings_dict['NAME']}_srvcpu"
        old_config = setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
        n = args.citizens
        counts = city.Counts(
            citizens=n,
            merchants=5,
            payments=n // 2,
            reports=n // 2,
            traders=10,
            orders=50,
            lots=5,
            events_per_lot=4,
            courses=2,
            enrolments=n // 2,
        )
        plan = plan_build(city.seed_city(counts=counts, prefix="srvcpu"), citizens=n, per_role=n)
        url = urlsplit(os.environ["DATABASE_URL"])
        env["DATABASE_URL"] = urlunsplit(url._replace(path="/" + test["NAME"]))
        raw = []
        for citizen in plan["citizens"]:
            cookie = f"sessionid={citizen['session']}; csrftoken={citizen['csrf']}"
            for path in args.paths.split(","):
                name, _, who = path.partition(" ")
                raw.append(request_bytes(name, "" if who == "anonymous" else cookie, args.language))
    try:
        from bench.cpu import cpu_model

        out(
            f"# server CPU per request: {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC; "
            f"{cpu_model()} x{os.cpu_count()}; app {args.app}; {args.connections} keep-alive "
            f"connections, {args.rate or 'no pause'} req/s; {args.seconds:g} s after "
            f"{args.warm:g} s; paths {args.paths if args.app == 'portal' else '/'}"
        )
        out(
            f"  {'round':>5} {'server':<16} {'server ms':>9} {'client ms':>9} {'req/s':>7} "
            f"{'requests':>8} {'failed':>6} {'load':>5}"
        )
        results: dict[str, list[float]] = {spec: [] for spec in servers}
        for round_ in range(1, args.rounds + 1):
            for spec in servers:
                row = measure(spec, args, env, raw)
                results[spec].append(row["server_ms"])
                out(
                    f"  {round_:>5} {spec:<16} {row['server_ms']:>9.3f} {row['client_ms']:>9.3f} "
                    f"{row['rps']:>7.0f} {row['requests']:>8} {row['failed']:>6} "
                    f"{row['load']:>5.1f}"
                    + ("" if set(row["statuses"]) <= {200} else f" statuses {row['statuses']}")
                )
        out(
            " ".join(f"{spec}={sum(values) / len(values):.3f}" for spec, values in results.items())
            + f" app={args.app} load={os.getloadavg()[0]:.1f}"
        )
    finally:
        if old_config is not None:
            from django.db import connections
            from django.test.utils import teardown_databases

            connections.close_all()
            teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
