"""Benchmark the fixture app's scratch image: size, build time, start time, memory and throughput.

Run from the repository root with the project's venv: ``python bench/benchmark.py [--runs N] [--json PATH]``.
See bench/README.md for what each figure means and how it is measured.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from pytest_scratchimage.run import LOOPBACK, RunSpec, remove, wait_until_ready
from pytest_scratchimage.session import ScratchSession, connect
from pytest_scratchimage.settings import COMPRESSIONS, Settings, resolve
from pytest_scratchimage.sizes import format_size

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest's own dependency before Python 3.11
    import tomli as tomllib

CACHE = Path(".pytest_cache/d/scratchimage")  # what pytest uses, so the cold build's binary is reused
PROBE_TEST = "tests/integration/test_fixture_app.py"
PROBE_FILTER = "test_number_is_within_its_limits"
BENCH_PATH = "/number"
WARM_SESSIONS = 3
TOP = 5
WRK_INSTALL = "apt-get install -y wrk"


@dataclass
class Machine:
    nproc: int
    memory_bytes: int
    cpu_model: str
    kernel: str
    docker: str
    python: str


@dataclass
class Throughput:
    """One wrk run against BENCH_PATH; ``skipped`` says why there is no figure."""

    target: str
    requests_per_second: float | None = None
    errors: list[str] = field(default_factory=list)  # wrk's non-2xx and socket error lines
    skipped: str | None = None


@dataclass
class Tradeoff:
    """Size against start time: the fixture app built with one ``scratch_image_compression``."""

    compression: str
    size: int
    cold_start_seconds: list[float]


@dataclass
class Results:
    machine: Machine
    image_tag: str = ""
    size: int = 0  # the engine's Size
    compressed: int = 0
    contributors: list[dict[str, Any]] = field(default_factory=list)  # the plugin's report, largest first
    cold_session_seconds: float = 0.0  # wall clock of the whole --scratch-image-rebuild session
    build_seconds: dict[str, float] = field(default_factory=dict)  # per stage, from the plugin's report
    warm_session_seconds: list[float] = field(default_factory=list)
    cold_start_seconds: list[float] = field(default_factory=list)  # docker run → first 200 on BENCH_PATH
    memory_bytes: int | None = None
    throughput: list[Throughput] = field(default_factory=list)
    tradeoffs: list[Tradeoff] = field(default_factory=list)  # every compression, the default's included
    wrk: str = ""  # the load generator's command line, for the record


# --- the machine -------------------------------------------------------------------------------------


def proc_field(path: str, name: str) -> str:
    """The first ``name: value`` line's value in a /proc file, or ``unknown``."""
    with contextlib.suppress(OSError):
        for line in Path(path).read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == name:
                return value.strip()
    return "unknown"


def machine(docker_version: str) -> Machine:
    memory_kib = proc_field("/proc/meminfo", "MemTotal").split()[0]
    return Machine(
        nproc=os.cpu_count() or 0,
        memory_bytes=int(memory_kib) * 1024 if memory_kib.isdigit() else 0,
        cpu_model=proc_field("/proc/cpuinfo", "model name"),
        kernel=platform.release(),
        docker=docker_version,
        python=platform.python_version(),
    )


# --- pytest sessions: the cold build and the warm session ---------------------------------------------


def probe_session(report: Path, rebuild: bool) -> float:
    """Run a one-probe ``pytest --scratch-image`` session in a subprocess; return its wall-clock seconds."""
    command = [sys.executable, "-m", "pytest", "--scratch-image", f"--scratch-image-report={report}"]
    command += ["--scratch-image-rebuild"] if rebuild else []
    command += [PROBE_TEST, "-q", "-p", "no:randomly", "-k", PROBE_FILTER]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    if done.returncode != 0 or not report.exists():
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
        raise SystemExit(f"benchmark: {' '.join(command)} failed (exit code {done.returncode}):\n{tail}")
    return seconds


def read_report(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def measure_builds(results: Results, workdir: Path) -> None:
    """The cold build (binary rebuilt) and the median warm session (binary from the cache)."""
    log("cold session: rebuilding the binary (a minute or two)")
    results.cold_session_seconds = round(probe_session(workdir / "cold.json", rebuild=True), 2)
    cold = read_report(workdir / "cold.json")
    results.image_tag = cold["tag"]
    results.size, results.compressed = cold["size"], cold["compressed"]
    results.contributors = cold["contributors"]
    results.build_seconds = dict(cold["seconds"]) | {"image": cold["image_seconds"]}
    for run in range(WARM_SESSIONS):
        log(f"warm session {run + 1}/{WARM_SESSIONS}")
        seconds = probe_session(workdir / f"warm-{run}.json", rebuild=False)
        if not read_report(workdir / f"warm-{run}.json")["cached"]:
            log("warning: the warm session rebuilt the binary (did src/ or the app change meanwhile?)")
        results.warm_session_seconds.append(round(seconds, 2))


# --- the app's settings and the plugin's session ------------------------------------------------------


def project_ini(root: Path) -> dict[str, Any]:
    """The ``scratch_image_*`` settings of pyproject.toml, keyed without the prefix as ``resolve`` takes them."""
    options = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    return {key.removeprefix("scratch_image_"): value for key, value in options.items() if key.startswith("scratch_")}


def bench_settings(root: Path) -> Settings:
    """The project's settings as pytest resolves them (so the binary is the pytest session's, from the cache),
    probing BENCH_PATH instead of the health path."""
    return dataclasses.replace(resolve(project_ini(root), root), health_path=BENCH_PATH)


def measure_cold_starts(session: ScratchSession, runs: int) -> list[float]:
    """``docker run`` → first answer on BENCH_PATH, hardened, ``runs`` times; each container removed after."""
    seconds = []
    for run in range(runs):
        container = session.start()
        seconds.append(round(container.startup_seconds, 3))
        log(f"cold start {run + 1}/{runs}: {container.startup_seconds:.3f} s")
        session.remove(container)
    return seconds


# --- load: wrk against host gunicorn and the container ------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def wait_for_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=1.0)
            return
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def wrk_command(url: str, duration: int) -> list[str]:
    return ["wrk", "-t2", "-c8", f"-d{duration}s", url]


def run_wrk(target: str, url: str, duration: int) -> Throughput:
    done = subprocess.run(wrk_command(url, duration), capture_output=True, text=True, check=True)
    rate = re.search(r"^Requests/sec:\s+([0-9.]+)", done.stdout, re.MULTILINE)
    errors = [line.strip() for line in done.stdout.splitlines() if line.strip().startswith(("Non-2xx", "Socket"))]
    if rate is None:
        return Throughput(target, skipped=f"no Requests/sec in wrk's output: {done.stdout.strip()}")
    log(f"{target}: {float(rate[1]):,.0f} req/s")
    return Throughput(target, float(rate[1]), errors)


@contextlib.contextmanager
def host_gunicorn(app_dir: Path, module: str) -> Iterator[str]:
    """The same app on host gunicorn (2 workers, loopback); stopped by its PID on exit."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--chdir", str(app_dir), "-w", "2", "-b", f"{LOOPBACK}:{port}"]
    server = subprocess.Popen([*command, module], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://{LOOPBACK}:{port}"
        wait_for_http(url + BENCH_PATH)
        yield url
    finally:
        server.terminate()  # gunicorn's arbiter stops its workers on SIGTERM
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def loopback_options(session: ScratchSession, port: int, network_mode: str) -> dict[str, object]:
    """The plugin's hardened run options, on ``network_mode`` with nothing published, bound to loopback:``port``."""
    image = session.image()
    environment = dict(session.settings.env) | {"GUNICORN_CMD_ARGS": f"--bind {LOOPBACK}:{port}"}
    spec = RunSpec(image.tag, image.user, image.port, session.settings.hardened, environment, session.labels())
    options = spec.options()
    del options["ports"]
    return options | {"network_mode": network_mode}


def listening_addresses(container: Any, timeout: float) -> list[str]:
    """What gunicorn says it listens on ("Listening at: http://…"), read from the container's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.findall(r"Listening at: (\S+)", bytes(container.logs()).decode(errors="replace"))
        if found:
            return list(found)
        time.sleep(0.1)
    return []


def honours_bind(session: ScratchSession, port: int) -> str | None:
    """None when the frozen app binds where GUNICORN_CMD_ARGS says, else why not.

    Checked in a container without any network, so a binary that ignores the variable never listens on
    the host's 0.0.0.0.
    """
    container = session.client().containers.run(session.image().tag, **loopback_options(session, port, "none"))
    try:
        found = listening_addresses(container, session.settings.ready_timeout)
    finally:
        remove(container)
    if found == [f"http://{LOOPBACK}:{port}"]:
        return None
    return f"the frozen app ignores GUNICORN_CMD_ARGS='--bind {LOOPBACK}:{port}' (it listens on {found or 'nothing'})"


def host_network_throughput(session: ScratchSession, duration: int) -> Throughput:
    """The container on the host's network stack (no docker-proxy), bound to loopback only."""
    target = "container, network_mode=host"
    port = free_port()
    refusal = honours_bind(session, port)
    if refusal is not None:
        log(f"skipping {target}: {refusal}")
        return Throughput(target, skipped=refusal)
    options = loopback_options(session, port, "host")
    container = session.client().containers.run(session.image().tag, **options)
    try:
        url = f"http://{LOOPBACK}:{port}"
        wait_until_ready(container, url + BENCH_PATH, session.settings.ready_timeout)
        return run_wrk(target, url + BENCH_PATH, duration)
    finally:
        remove(container)


def measure_throughput(session: ScratchSession, settings: Settings, duration: int) -> list[Throughput]:
    targets = ["host gunicorn", "container, published port", "container, network_mode=host"]
    if shutil.which("wrk") is None:
        reason = f"wrk is not installed (install it with: {WRK_INSTALL})"
        log(f"skipping the req/s rows: {reason}")
        return [Throughput(target, skipped=reason) for target in targets]
    with host_gunicorn(settings.app_path[0], str(settings.app)) as url:
        rows = [run_wrk(targets[0], url + BENCH_PATH, duration)]
    rows.append(run_wrk(targets[1], session.container().url + BENCH_PATH, duration))
    rows.append(host_network_throughput(session, duration))
    return rows


def measure_containers(results: Results, settings: Settings, runs: int, duration: int) -> None:
    """Cold starts, memory and req/s through the plugin's session; everything it started is removed."""
    session = ScratchSession(settings, CACHE, lambda message: log(f"scratch image: {message}"))
    try:
        results.cold_start_seconds = measure_cold_starts(session, runs)
        results.memory_bytes = session.container().memory()
        results.throughput = measure_throughput(session, settings, duration)
    finally:
        session.close()


def measure_tradeoffs(results: Results, settings: Settings, runs: int) -> None:
    """Each compression's image size and cold starts: one build each (the default's is cached by now)."""
    for compression in COMPRESSIONS:
        variant = dataclasses.replace(settings, compression=compression)
        session = ScratchSession(variant, CACHE, functools.partial(log_as, compression))
        try:
            size = session.image().size
            results.tradeoffs.append(Tradeoff(compression, size, measure_cold_starts(session, runs)))
        finally:
            session.close()


# --- output -------------------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"benchmark: {message}", file=sys.stderr, flush=True)


def log_as(what: str, message: str) -> None:
    log(f"{what}: {message}")


def median_of(values: list[float], unit: str = "s") -> str:
    if not values:
        return "-"
    listed = ", ".join(f"{v:.2f}" for v in values)
    return f"{statistics.median(values):.2f} {unit} median of {len(values)} ({listed})"


def throughput_row(row: Throughput) -> tuple[str, str]:
    if row.requests_per_second is None:
        return f"req/s {row.target}", f"skipped: {row.skipped}"
    errors = f" ({'; '.join(row.errors)})" if row.errors else ""
    return f"req/s {row.target}", f"{row.requests_per_second:,.0f}{errors}"


def tradeoff_row(row: Tradeoff) -> tuple[str, str]:
    start = median_of(row.cold_start_seconds)
    return f"compression = {row.compression}", f"{format_size(row.size)}, cold start {start}"


def table_rows(results: Results) -> list[tuple[str, str]]:
    m = results.machine
    stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in results.build_seconds.items())
    top = ", ".join(f"{c['name']} {format_size(c['bytes'])}" for c in results.contributors[:TOP])
    memory = format_size(results.memory_bytes) if results.memory_bytes is not None else "-"
    return [
        ("machine", f"{m.nproc} CPUs, {m.memory_bytes / 1024**3:.1f} GiB, {m.cpu_model}"),
        ("software", f"Linux {m.kernel}, Docker {m.docker}, Python {m.python}"),
        ("image size", f"{format_size(results.size)} ({results.size:,} bytes, the engine's Size)"),
        ("compressed", f"{format_size(results.compressed)} ({results.compressed:,} bytes, gzipped layers)"),
        (f"largest {TOP}", top),
        ("cold session", f"{results.cold_session_seconds:.1f} s wall clock (pytest, binary rebuilt)"),
        ("build stages", stages),
        ("warm session", median_of(results.warm_session_seconds)),
        ("cold start", median_of(results.cold_start_seconds) + f", docker run → first 200 on {BENCH_PATH}"),
        ("memory", f"{memory} after 20 requests (page cache excluded)"),
        *(throughput_row(row) for row in results.throughput),
        *(tradeoff_row(row) for row in results.tradeoffs),
        ("load", results.wrk),
    ]


def print_table(results: Results) -> None:
    rows = table_rows(results)
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def write_json(results: Results, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dataclasses.asdict(results), indent=2) + "\n")
    print(f"\nresults written to {path}")


# --- main ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="cold starts to take the median of (default: 5)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each wrk run (default: 10)")
    parser.add_argument("--json", type=Path, default=Path("bench/results.json"), help="where to write the results")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.duration < 1:
        parser.error("--runs and --duration must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    root = Path.cwd()
    if not (root / PROBE_TEST).exists():
        raise SystemExit(f"benchmark: run me from the repository root (no {PROBE_TEST} here)")
    settings = bench_settings(root)
    docker_version = connect().version()["Version"]
    results = Results(machine(docker_version), wrk=" ".join(wrk_command(f"<url>{BENCH_PATH}", args.duration)))
    with tempfile.TemporaryDirectory(prefix="scratchimage-bench-") as workdir:
        measure_builds(results, Path(workdir))
    measure_containers(results, settings, args.runs, args.duration)
    measure_tradeoffs(results, settings, args.runs)
    print_table(results)
    write_json(results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
