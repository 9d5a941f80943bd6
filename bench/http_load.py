"""The site's search over HTTP: gunicorn as in production (``gunicorn.conf.py``,
``wsgi:app``, the road graph preloaded and shared by the workers) on loopback, driven
by ``wrk`` (``apt-get install wrk``: a C client, so that it takes little of the CPU the
workers need) at several concurrencies, then by clients that ask at a fixed pace
(:func:`paced`: 50 clients, 100 requests a second in all);
requests/s, latency percentiles, every answer other than 200, and the memory of each
worker (Rss and Pss) after each level.

``bench/search.py`` calls :func:`serve`, :func:`search_paths`, :func:`run` and
:func:`table`. On its own, from the repository root, it makes a database of 1,000
trips on Porto and measures it (``--help``)::

    .venv/bin/python bench/http_load.py --graph porto.graph
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import math
import os
import re
import resource
import runpy
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import numpy as np

if TYPE_CHECKING:
    from carpool.services.search import SearchQuery

REPO_ROOT = Path(__file__).resolve().parent.parent

#: This machine's cores: gunicorn.conf.py runs its workers so many per core.
CORES = os.cpu_count() or 1

#: Add to the server's environment: 120 searches a minute from 127.0.0.1 would
#: otherwise answer 429.
NO_LIMITS = {"RATELIMIT_ENABLED": "False"}

# wrk's Lua. Each thread runs it in its own Lua state: it cycles through the paths from
# its own offset and tallies answers by status (any but 200 is an error here, not only
# wrk's >= 400); done() sums the threads' tallies and prints "@@ key value" lines.
# With a think time, a delay() function makes each connection wait that long after an
# answer before its next request, as a person reads the results before searching again.
_SCRIPT = """
paths = {%s}
i, statuses = 0, {}  -- globals: what setup() and done() reach in a thread's state
local threads = {}
function setup(thread)
  thread:set("i", (#threads * 7919) %% #paths)
  table.insert(threads, thread)
end
function request()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
%s
function response(status, headers, body)
  if status ~= 200 then statuses[status] = (statuses[status] or 0) + 1 end
end
function done(summary, latency, requests)
  local e = summary.errors
  print("@@ requests " .. summary.requests .. "\\n@@ duration_us " .. summary.duration)
  print("@@ socket_errors " .. (e.connect + e.read + e.write + e.timeout))
  for _, q in ipairs({50, 95, 99}) do print("@@ p" .. q .. "_us " .. latency:percentile(q)) end
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do print("@@ status_" .. status .. " " .. n) end
  end
end
"""


@dataclass(frozen=True)
class Server:
    """A running gunicorn: where it answers, and its master (the workers' parent)."""

    base_url: str
    master_pid: int


@dataclass(frozen=True)
class LoadResult:
    """One concurrency level. Memory in MiB, read after the load (nan without a pid)."""

    clients: int
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int  # non-200 answers + socket errors (connect, read, write, timeout)
    requests: int
    worker_rss_mb: float  # max over workers
    worker_pss_mb: float
    # Of the worker's Rss (max over workers), the pages of the memory-mapped search
    # spaces: file pages of the operating system's cache, one copy for every process.
    worker_spaces_rss_mb: float = math.nan
    master_rss_mb: float = math.nan
    master_pss_mb: float = math.nan
    total_pss_mb: float = math.nan  # master + workers: what the site takes, shared pages once
    workers: int = 0
    non_200: tuple[tuple[int, int], ...] = ()  # (status, count): which errors
    socket_errors: int = 0
    client_cpu: float = math.nan  # the client's CPU time / the run's (1.0: a core taken from the site)
    think_s: float = 0.0  # how long each client waited after an answer before asking again
    paced_per_s: float = 0.0  # requests a second the clients asked in all, at a fixed pace (0: not paced)


@contextlib.contextmanager
def serve(env: Mapping[str, str], *, workers: int | None = None, port: int = 8765) -> Iterator[Server]:
    """Start gunicorn (repo's conf, wsgi:app) with these extra environment variables;
    wait until it answers (GET /api/v1/openapi.json, 120 s at most: the graph loads
    first); yield the :class:`Server`; stop it (SIGTERM, wait) on exit. Its output goes
    to a temp log, printed if it fails to start."""
    with socket.socket() as probe:  # another server there would answer, and be measured
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"port {port} already answers: stop that server or pick another port")
    full_env = {**os.environ, **env, "CARPOOL_BIND": f"127.0.0.1:{port}"}
    if workers is not None:
        full_env["CARPOOL_WORKERS"] = str(workers)
    # The access log would cost a line per request: to /dev/null (the command line wins
    # over the conf file). cwd: this file's tree, for its wsgi.py, conf and carpool
    # package (gunicorn puts its cwd first on sys.path, before the editable install).
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null"]
    base_url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 120
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [*command, "wsgi:app"], cwd=REPO_ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            while process.poll() is None and time.monotonic() < deadline:
                with contextlib.suppress(OSError):
                    urllib.request.urlopen(f"{base_url}/api/v1/openapi.json", timeout=5).close()
                    break
                time.sleep(0.3)
            else:
                log.seek(0)
                print(log.read(), file=sys.stderr)
                state = "not answering after 120 s" if process.poll() is None else "exited"
                raise RuntimeError(f"gunicorn {state} (its log is above)")
            yield Server(base_url, process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)  # its graceful_timeout is 20 s
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def site_workers(env: Mapping[str, str]) -> int:
    """How many workers ``gunicorn.conf.py`` runs with these extra environment variables."""
    per_core = runpy.run_path(str(REPO_ROOT / "gunicorn.conf.py"))["workers_per_core"]
    return int(per_core({**os.environ, **env})) * CORES


def search_paths(queries: Sequence[SearchQuery]) -> list[str]:
    """``/api/v1/search`` paths for the queries: their points and day, the API's
    defaults for the rest (no flexible days, any time)."""

    def path(q: SearchQuery) -> str:
        (a, b), (c, d) = q.pickup, q.dropoff
        query = {"from": f"{a:.6f},{b:.6f}", "to": f"{c:.6f},{d:.6f}", "date": q.day.isoformat()}
        return "/api/v1/search?" + urlencode(query, safe=",")

    return [path(q) for q in queries]


def load(
    base_url: str,
    paths: Sequence[str],
    *,
    clients: int,
    duration_s: float = 20.0,
    think_s: float = 0.0,
    master_pid: int | None = None,
) -> LoadResult:
    """Drive the paths with wrk at this concurrency (connections = clients, threads =
    min(2, clients)), each client waiting ``think_s`` after an answer before its next
    request (0: at once, the most the server can answer); parse wrk's output; then
    read the memory of the master's workers."""
    lua_paths = ",".join('"' + p.replace("\\", "\\\\").replace('"', '\\"') + '"' for p in paths)
    think = f"function delay() return {round(think_s * 1000)} end" if think_s > 0 else ""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(_SCRIPT % (lua_paths, think))
        script.flush()
        command = [
            "wrk", f"-c{clients}", f"-t{min(2, clients)}", f"-d{max(1, round(duration_s))}s",
            # 50 clients wait long in gunicorn's queue: wrk's own timeout (2 s) would
            # drop the slow tail from the percentiles. gunicorn's is 30 s.
            "--timeout", "30s", "-s", script.name, base_url,
        ]  # fmt: skip
        cpu = -_children_cpu_s()
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        cpu += _children_cpu_s()
    figures: dict[str, int] = {}
    for m in re.finditer(r"^@@ (\w+) (\S+)$", output, re.MULTILINE):
        figures[m[1]] = figures.get(m[1], 0) + int(float(m[2]))  # a status: a line per thread
    if "requests" not in figures:
        raise RuntimeError(f"no figures in wrk's output:\n{output}")
    seconds = figures["duration_us"] / 1e6
    non_200 = tuple(sorted((int(k[7:]), n) for k, n in figures.items() if k.startswith("status_")))
    return LoadResult(
        clients=clients,
        requests_per_s=figures["requests"] / seconds,
        p50_ms=figures["p50_us"] / 1000,
        p95_ms=figures["p95_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        errors=sum(n for _, n in non_200) + figures["socket_errors"],
        requests=figures["requests"],
        **_memory_figures(master_pid),
        non_200=non_200,
        socket_errors=figures["socket_errors"],
        client_cpu=cpu / seconds,
        think_s=think_s,
    )


def paced(
    base_url: str,
    paths: Sequence[str],
    *,
    clients: int,
    per_s: float,
    duration_s: float = 20.0,
    master_pid: int | None = None,
) -> LoadResult:
    """Drive the paths at a fixed pace, ``per_s`` requests a second in all: each of the
    ``clients`` is due to ask every ``clients / per_s`` seconds (their schedules spread
    evenly over that period), a new connection each time (the site's gunicorn workers
    close theirs), and waits for its answer before its next request, which a slow
    answer then sends late. A request's time counts from the moment its schedule
    said, not from when it could be sent: one held back by a slow answer counts its
    wait too, as wrk2 measures
    (wrk's clients, which ask again at once or after a think time, ask less while the
    server is slow, and their percentiles leave out that wait). Python's asyncio, in
    this process: at a hundred requests a second it takes a few per cent of a core
    (``client_cpu``)."""
    url = urllib.parse.urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    period = clients / per_s
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    socket_errors = 0

    async def ask(path: str) -> int:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
            status = int((await reader.readline()).split()[1])
            await reader.read()  # headers and body, to the end: the server closes
            return status
        finally:
            writer.close()

    async def client(k: int, start: float) -> None:
        nonlocal socket_errors
        loop = asyncio.get_running_loop()
        due, sent = start + k * period / clients, 0
        while due < start + duration_s:
            await asyncio.sleep(max(0.0, due - loop.time()))
            try:
                status = await asyncio.wait_for(ask(paths[(k * 7919 + sent) % len(paths)]), timeout=30)
            except (OSError, TimeoutError, ValueError, IndexError):
                socket_errors += 1
            else:
                if status != 200:
                    statuses[status] = statuses.get(status, 0) + 1
            # A failed request counts too, with the time it took to fail (30 s for no
            # answer): the percentiles are those of every request asked.
            latencies.append(loop.time() - due)
            due, sent = due + period, sent + 1

    async def all_clients() -> float:
        start = asyncio.get_running_loop().time() + 0.1
        await asyncio.gather(*(client(k, start) for k in range(clients)))
        return asyncio.get_running_loop().time() - start

    cpu = -time.process_time()
    seconds = max(duration_s, asyncio.run(all_clients()))
    cpu += time.process_time()
    p50, p95, p99 = (
        float(np.percentile(latencies, q)) * 1000 if latencies else math.nan for q in (50, 95, 99)
    )
    return LoadResult(
        clients=clients,
        requests_per_s=len(latencies) / seconds,
        p50_ms=p50,
        p95_ms=p95,
        p99_ms=p99,
        errors=sum(statuses.values()) + socket_errors,
        requests=len(latencies),
        **_memory_figures(master_pid),
        non_200=tuple(sorted(statuses.items())),
        socket_errors=socket_errors,
        client_cpu=cpu / seconds,
        paced_per_s=per_s,
    )


def _memory_figures(master_pid: int | None) -> dict[str, float]:
    """A :class:`LoadResult`'s memory fields, read now from the master and its
    workers (nan without a pid)."""
    master, workers = _memory(master_pid) if master_pid is not None else ((math.nan,) * 3, [])
    return {
        "worker_rss_mb": max((rss for rss, _, _ in workers), default=math.nan),
        "worker_pss_mb": max((pss for _, pss, _ in workers), default=math.nan),
        "worker_spaces_rss_mb": max((spaces for _, _, spaces in workers), default=math.nan),
        "master_rss_mb": master[0],
        "master_pss_mb": master[1],
        "total_pss_mb": master[1] + sum(pss for _, pss, _ in workers),
        "workers": len(workers),
    }


def _children_cpu_s() -> float:
    """CPU seconds of the children waited for so far (wrk, once it has ended)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _rss_pss(pid: int) -> tuple[float, float, float]:
    """Rss, Pss and the Rss of the mapped search spaces, in MiB. Pss divides each
    shared page (the preloaded graph, which the workers inherit from the master, the
    search spaces' files) among its sharers: Rss counts it in each."""
    text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    kb = {m[1]: int(m[2]) for m in re.finditer(r"^(Rss|Pss):\s+(\d+) kB", text, re.MULTILINE)}
    return kb["Rss"] / 1024, kb["Pss"] / 1024, _spaces_rss_kb(pid) / 1024


def _spaces_rss_kb(pid: int) -> int:
    """The Rss of the mappings of files in a ``.spaces`` folder (``/proc/PID/smaps``:
    a header line per mapping, its path last, then its figures)."""
    total, in_spaces = 0, False
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            in_spaces = ".spaces/" in line
        elif in_spaces and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


def _memory(master_pid: int) -> tuple[tuple[float, float, float], list[tuple[float, float, float]]]:
    """The master's (Rss, Pss, spaces' Rss), and each of its workers' (its children in /proc)."""
    workers = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):  # a process gone meanwhile
            # After the ")" closing the command's name (which may hold spaces): state, ppid.
            if int(stat.read_text().rpartition(")")[2].split()[1]) == master_pid:
                workers.append(_rss_pss(int(stat.parent.name)))
    return _rss_pss(master_pid), workers


#: Levels of clients that each search again as soon as they have an answer (the most
#: the server can answer, and how long a search waits then), and of clients that read
#: their results first (clients, seconds), as people do: 50 people each searching again
#: half a second after an answer ask for up to 100 searches a second.
LEVELS: tuple[int | tuple[int, float], ...] = (1, 10, 50, (50, 0.5))
#: Levels of clients that ask at a fixed pace (:func:`paced`):
#: (clients, requests a second in all). 50 clients each asking every half second ask
#: 100 searches a second: issue 7's targets of 100 searches a second and of a p95 at
#: 50 clients, measured at once.
PACED_LEVELS: tuple[tuple[int, float], ...] = ((50, 100.0),)


def run(
    server: Server,
    paths: Sequence[str],
    levels: Sequence[int | tuple[int, float]] = LEVELS,
    *,
    paced_levels: Sequence[tuple[int, float]] = PACED_LEVELS,
    duration_s: float = 20.0,
) -> list[LoadResult]:
    """A warm-up of 5 s (discarded: each worker's first searches fill its caches), then
    each level in turn: a number of clients, or (clients, think time in seconds); then
    each paced level (clients, requests a second in all)."""
    load(server.base_url, paths, clients=10, duration_s=5)
    results = []
    for level in levels:
        clients, think_s = level if isinstance(level, tuple) else (level, 0.0)
        results.append(
            load(
                server.base_url,
                paths,
                clients=clients,
                duration_s=duration_s,
                think_s=think_s,
                master_pid=server.master_pid,
            )
        )
    for clients, per_s in paced_levels:
        results.append(
            paced(
                server.base_url,
                paths,
                clients=clients,
                per_s=per_s,
                duration_s=duration_s,
                master_pid=server.master_pid,
            )
        )
    return results


def table(results: Sequence[LoadResult]) -> str:
    """The results as a Markdown table, then a line for each level with errors."""
    lines = [
        "| clients | requests/s | p50 ms | p95 ms | p99 ms | requests | errors | worker Rss / Pss MiB "
        "(max) | of the Rss, mapped spaces | master Rss / Pss | total Pss | client CPU |",
        "|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {_level(r)} | {r.requests_per_s:,.1f} | {r.p50_ms:,.1f} | {r.p95_ms:,.1f} | {r.p99_ms:,.1f} "
            f"| {r.requests:,} | {r.errors:,} | {r.worker_rss_mb:,.0f} / {r.worker_pss_mb:,.0f} "
            f"({r.workers} workers) | {r.worker_spaces_rss_mb:,.0f} "
            f"| {r.master_rss_mb:,.0f} / {r.master_pss_mb:,.0f} "
            f"| {r.total_pss_mb:,.0f} | {r.client_cpu:.0%} |"
        )
    lines += [
        f"ERRORS at {_level(r)}: {', '.join(f'{n:,} × {s}' for s, n in r.non_200) or 'no status'}; "
        f"{r.socket_errors:,} socket errors"
        for r in results
        if r.errors
    ]
    return "\n".join(lines)


def _level(result: LoadResult) -> str:
    if result.paced_per_s:
        return f"{result.clients}, {result.paced_per_s:g}/s in all"
    return f"{result.clients}, {result.think_s:g} s apart" if result.think_s else str(result.clients)


def demo(argv: Sequence[str] | None = None) -> None:
    """1,000 trips on Porto in SQLite (bench/search.py's helpers), 200 searches as API
    paths, every level of :func:`run` for 10 s each."""
    parser = argparse.ArgumentParser(description=demo.__doc__)
    parser.add_argument("--graph", default=str(REPO_ROOT / "porto.graph"))
    parser.add_argument("--trips", type=int, default=1_000)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per level")
    parser.add_argument("--workers", type=int, help="default: gunicorn.conf.py's, 2 × cores")
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(REPO_ROOT / "bench"))
    import numpy as np
    import search as bench_search

    instance = Path(tempfile.mkdtemp())
    url = f"sqlite:///{instance / 'bench.sqlite'}"
    graph = Path(args.graph).resolve()  # the server runs in the repository's root
    app = bench_search.make_app(url, graph, instance)
    rng = np.random.default_rng(args.seed)
    first_day = dt.date.today() + dt.timedelta(days=1)
    with app.app_context():
        demand = bench_search.Demand.of_region()
        ids, _ = bench_search.publish(args.trips, demand, rng, first_day)
        paths = search_paths(bench_search.searches(ids, demand, rng, first_day, args.searches))
    env = {
        "DATABASE_URL": url,
        "ROAD_GRAPH": str(graph),
        "TIMEZONE": "Europe/Lisbon",
        "SECRET_KEY": "bench",
        "MAIL_OUTBOX": str(instance / "outbox"),
        **NO_LIMITS,
    }
    load_average = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"{len(ids):,} trips, {len(paths)} search paths, {os.cpu_count()} cores, load average {load_average}"
    )
    with serve(env, workers=args.workers) as server:
        print(table(run(server, paths, duration_s=args.duration)))


if __name__ == "__main__":
    demo()
