"""Benchmark the plugin and the images it makes: size, build, starts against their floor, sessions, load.

Run from the repository root with the project's venv: ``python bench/benchmark.py [--runs N] [--json PATH]``.
See bench/README.md for what each figure means and how it is measured.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import io
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from pytest_scratchimage.cleanup import OWNER, SESSION, Owner
from pytest_scratchimage.run import LOOPBACK, POLL, RunSpec, published_url, remove, start, wait_until_ready
from pytest_scratchimage.schema import COMPRESSIONS
from pytest_scratchimage.session import ScratchSession, connect
from pytest_scratchimage.settings import Settings, resolve
from pytest_scratchimage.sizes import format_size

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest's own dependency before Python 3.11
    import tomli as tomllib

CACHE = Path(".pytest_cache/d/scratchimage")  # what pytest uses, so the cold build's binary is reused
PROBE_TEST = "tests/integration/test_fixture_app.py"
PROBE_FILTER = "test_number_is_within_its_limits"
BENCH_PATH = "/number"
THIRD_PARTY = Path("examples/wsgidav")  # WsgiDAV from PyPI, configured by its two ini lines alone
TOP = 5
WRK_INSTALL = "apt-get install -y wrk"
BUSYBOX_INSTALL = "apt-get install -y busybox-static"
VALGRIND_INSTALL = "apt-get install -y valgrind"
FLOOR_ENGINE = "busybox httpd, FROM scratch"  # the engine's share of a start
FLOOR_PYTHON = "on host gunicorn"  # Python's share: the app unfrozen
ONE_TEST = "def test_one():\n    assert True\n"
SUITE_TESTS = 3000  # a suite's size: what the plugin costs each test when unused
SUITE = f"import pytest\n\n@pytest.mark.parametrize('i', range({SUITE_TESTS}))\ndef test_many(i):\n    assert i >= 0\n"
SUITE_PAIRS = 10
PARTS = ("overhead", "builds", "images", "edits")  # --only
SESSIONS: set[int] = set()  # the PIDs of the pytest sessions this script ran: what they made is theirs


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
class Image:
    """One image the starts were measured on: the fixture app at a compression, or the third-party app."""

    name: str
    size: int
    unpacked: int  # what StaticX's loader writes out at every start
    cached: bool  # its binary came from the cache
    build_seconds: dict[str, float]


@dataclass
class Overhead:
    """``pytest -q`` of a one-test project, the plugin installed but unused, against ``-p no:scratchimage``."""

    with_plugin: list[float] = field(default_factory=list)
    without: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)  # pair by pair
    instructions: list[int] = field(default_factory=list)  # with, without: callgrind's count, whatever the load
    skipped: str | None = None  # why there is no instruction count
    suite_ratios: list[float] = field(default_factory=list)  # the same for a suite of SUITE_TESTS tests, pair by pair
    suite_instructions: list[int] = field(default_factory=list)


@dataclass
class Edits:
    """A one-line edit of the app's module, then ``pytest --scratch-image``: seconds to the first answer."""

    layers: list[float] = field(default_factory=list)  # scratch_image_layout = layers, the runtime cached
    floor: list[float] = field(default_factory=list)  # the edited app started on host gunicorn, the same round
    single: list[float] = field(default_factory=list)  # layout = single: the whole binary made again
    delta: list[int] = field(default_factory=list)  # the app layer gzipped: what a code-only release pushes
    rebuilt: list[str] = field(default_factory=list)  # a layers round that made the runtime again (a defect)


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
    images: list[Image] = field(default_factory=list)
    starts: dict[str, list[float]] = field(default_factory=dict)  # target → seconds, round by round
    skipped: dict[str, str] = field(default_factory=dict)  # target → why it has no figure
    overhead: Overhead = field(default_factory=Overhead)
    memory_bytes: int | None = None
    throughput: list[Throughput] = field(default_factory=list)
    edits: Edits = field(default_factory=Edits)
    left_behind: list[str] = field(default_factory=list)  # containers and image tags still there at the end
    wrk: str = ""  # the load generator's command line, for the record


# --- the machine and the environment ------------------------------------------------------------------


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


def user_env(**extra: str) -> dict[str, str]:
    """This environment as a user's shell has it: Python writes and reads its bytecode caches.

    A CI image or a dev container may set PYTHONDONTWRITEBYTECODE; then every import compiles its
    module again, which slows pytest's start and host gunicorn's, and would flatter the ratios.
    """
    environment = {
        k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith("PYTEST_")
    }
    return environment | extra


# --- pytest sessions: the cold build and the warm session ---------------------------------------------


def probe_session(report: Path, rebuild: bool) -> float:
    """Run a one-probe ``pytest --scratch-image`` session in a subprocess; return its wall-clock seconds."""
    command = [sys.executable, "-m", "pytest", "--scratch-image", f"--scratch-image-report={report}"]
    command += ["--scratch-image-rebuild"] if rebuild else []
    command += [PROBE_TEST, "-q", "-p", "no:randomly", "-k", PROBE_FILTER]
    started = time.monotonic()
    session = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=user_env())
    SESSIONS.add(session.pid)
    output, _ = session.communicate()
    seconds = time.monotonic() - started
    if session.returncode != 0 or not report.exists():
        tail = "\n".join(output.splitlines()[-30:])
        raise SystemExit(f"benchmark: {' '.join(command)} failed (exit code {session.returncode}):\n{tail}")
    return seconds


def read_report(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def measure_builds(results: Results, workdir: Path, warm_sessions: int) -> None:
    """The cold build (binary rebuilt) and the warm sessions (binary from the cache)."""
    log("cold session: rebuilding the binary")
    results.cold_session_seconds = round(probe_session(workdir / "cold.json", rebuild=True), 2)
    cold = read_report(workdir / "cold.json")
    results.image_tag = cold["tag"]
    results.size, results.compressed = cold["size"], cold["compressed"]
    results.contributors = cold["contributors"]
    results.build_seconds = dict(cold["seconds"]) | {"image": cold["image_seconds"]}
    probe_session(workdir / "warm-up.json", rebuild=False)  # bytecode caches written, as a user's second run
    for run in range(warm_sessions):
        seconds = probe_session(workdir / f"warm-{run}.json", rebuild=False)
        log(f"warm session {run + 1}/{warm_sessions}: {seconds:.2f} s")
        if not read_report(workdir / f"warm-{run}.json")["cached"]:
            log("warning: the warm session rebuilt the binary (did src/ or the app change meanwhile?)")
        results.warm_session_seconds.append(round(seconds, 3))


# --- the unused plugin's cost --------------------------------------------------------------------------


def bare_venv(folder: Path) -> Path:
    """A venv holding pytest and the plugin alone, so that no other plugin's start dilutes the ratio.

    This project's venv has pytest-xdist and Faker's pytest plugin too: Faker alone costs about 340 ms
    on both sides, which would flatter the plugin's share.
    """
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    python = folder / "bin" / "python"
    install = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-e", str(Path.cwd())]
    done = subprocess.run(install, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"benchmark: {' '.join(install)} failed:\n{done.stdout}{done.stderr}")
    return python


def pytest_seconds(python: Path, project: Path, *options: str) -> float:
    command = [str(python), "-m", "pytest", "-q", *options]
    started = time.monotonic()
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, env=user_env(), check=False)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"benchmark: {' '.join(command)} failed in {project}:\n{done.stdout}{done.stderr}")
    return seconds


def instructions(python: Path, project: Path, *options: str) -> int:
    """The instructions one run executes (valgrind's callgrind): the same count on a busy machine as on an idle one.

    ``-p no:cacheprovider`` keeps the run from writing, so that each is the same run.
    """
    with tempfile.NamedTemporaryFile(prefix="scratchimage-bench-callgrind-") as out:
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out.name}", str(python), "-m", "pytest"]
        command += ["-q", "-p", "no:cacheprovider", *options]
        done = subprocess.run(command, cwd=project, capture_output=True, text=True, env=user_env(), check=False)
        counted = re.search(r"Collected : ([0-9]+)", done.stderr)
        if done.returncode != 0 or counted is None:
            raise SystemExit(f"benchmark: {' '.join(command)} failed in {project}:\n{done.stdout}{done.stderr}")
        return int(counted[1])


def measure_overhead(pairs: int) -> Overhead:
    """A one-test project's ``pytest -q`` with the plugin installed and unused, then without it, in pairs;
    then a suite of ``SUITE_TESTS`` tests, where what the plugin costs each test adds up.

    Both run in a bare venv (`bare_venv`). The order alternates pair by pair, so that a drift of the
    machine's speed weighs on both sides.
    """
    overhead = Overhead()
    with tempfile.TemporaryDirectory(prefix="scratchimage-bench-project-") as folder:
        project = Path(folder)
        (project / "test_one.py").write_text(ONE_TEST)
        (project / "test_suite.py").write_text(SUITE)
        python = bare_venv(project / "venv")
        for run in paired_runs(python, project, "test_one.py"):  # warm-up: bytecode and page caches
            run()
        for with_plugin, without in timed_pairs(python, project, "test_one.py", pairs):
            overhead.with_plugin.append(round(with_plugin, 4))
            overhead.without.append(round(without, 4))
            overhead.ratios.append(round(with_plugin / without, 4))
        overhead.suite_ratios = [
            round(with_plugin / without, 4)
            for with_plugin, without in timed_pairs(python, project, "test_suite.py", SUITE_PAIRS)
        ]
        if shutil.which("valgrind"):
            overhead.instructions = [instructions(python, project, *run) for run in counted_runs("test_one.py")]
            overhead.suite_instructions = [instructions(python, project, *run) for run in counted_runs("test_suite.py")]
        else:
            overhead.skipped = f"no valgrind ({VALGRIND_INSTALL})"
    log(f"unused plugin: {summary(overhead.ratios, unit='x', digits=3)}")
    return overhead


def counted_runs(tests: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The options of the two runs, with the plugin and without it."""
    return (tests,), (tests, "-p", "no:scratchimage")


def paired_runs(python: Path, project: Path, tests: str) -> tuple[Callable[[], float], Callable[[], float]]:
    plugged, unplugged = counted_runs(tests)
    return functools.partial(pytest_seconds, python, project, *plugged), functools.partial(
        pytest_seconds, python, project, *unplugged
    )


def timed_pairs(python: Path, project: Path, tests: str, pairs: int) -> Iterator[tuple[float, float]]:
    """(with the plugin, without) seconds, ``pairs`` times, the order alternating."""
    plugged, unplugged = paired_runs(python, project, tests)
    for pair in range(pairs):
        if pair % 2:
            without, with_plugin = unplugged(), plugged()
        else:
            with_plugin, without = plugged(), unplugged()
        yield with_plugin, without


# --- the settings of a project and the plugin's sessions -------------------------------------------------


def project_ini(root: Path) -> dict[str, Any]:
    """The ``scratch_image_*`` settings of pyproject.toml, keyed without the prefix as ``resolve`` takes them."""
    options = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    return {key.removeprefix("scratch_image_"): value for key, value in options.items() if key.startswith("scratch_")}


def bench_settings(root: Path) -> Settings:
    """The project's settings as pytest resolves them (so the binary is the pytest session's, from the cache),
    probing BENCH_PATH instead of the health path."""
    return dataclasses.replace(resolve(project_ini(root), root), health_path=BENCH_PATH)


def image_facts(name: str, session: ScratchSession) -> Image:
    """Build (or take from the cache) the session's image; what it is and how it was made."""
    image = session.image()
    assert session.build is not None  # made with the image
    unpacked = sum(c.unpacked for c in session.build.contributors)
    return Image(name, image.size, unpacked, session.build.cached, dict(session.build.seconds))


# --- edit → first answer: the inner loop, by layout ------------------------------------------------------

EDIT_TEST = """
import json, pathlib, time

from pytest_scratchimage.inspect import compressed_size


def test_answers(scratch_image, scratch_http):
    answered = time.time()  # the fixture waited for the first answer: it has just come
    assert scratch_http.get("/number").status_code == 200
    layers = scratch_image.layers()
    delta = compressed_size(layers[-1:]) if len(layers) > 1 else None
    pathlib.Path("edit.json").write_text(json.dumps({"answered": answered, "delta": delta}))
"""


def edit_project(root: Path, folder: Path, layout: str) -> Path:
    """A copy of the fixture app with its settings, in ``layout``, and one test that notes its first answer."""
    shutil.copytree(root / "fixtures" / "app", folder / "app")
    ini = project_ini(root) | {"app_path": ["app"], "layout": layout}
    lines = [f"scratch_image_{name} = {json.dumps(value)}" for name, value in ini.items()]
    (folder / "pyproject.toml").write_text("[tool.pytest.ini_options]\n" + "\n".join(lines) + "\n")
    (folder / "test_edit.py").write_text(EDIT_TEST)
    return folder


def edited_session(project: Path, round_: int) -> tuple[float, dict[str, Any], str]:
    """Edit the app's module (a line of code), run the session; seconds from the edit to the first answer."""
    module = project / "app" / "random_api.py"
    module.write_text(module.read_text() + f"\nEDITED = {round_}\n")
    started = time.time()
    command = [sys.executable, "-m", "pytest", "--scratch-image", "-p", "no:randomly", "-q", "test_edit.py"]
    session = subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=user_env())  # fmt: skip
    SESSIONS.add(session.pid)
    output, _ = session.communicate()
    if session.returncode != 0:
        raise SystemExit(f"benchmark: the edit session in {project} failed:\n{output[-3000:]}")
    seen = json.loads((project / "edit.json").read_text())
    return seen["answered"] - started, seen, output


def measure_edits(root: Path, rounds: int) -> Edits:
    """Edit → first answer with the runtime cached (layers) against the edited app on host gunicorn, round by
    round, and once with the whole binary made again (single)."""
    edits = Edits()
    env = user_env()
    with tempfile.TemporaryDirectory(prefix="scratchimage-bench-edit-") as folder:
        layered = edit_project(root, Path(folder) / "layers", "layers")
        for warm in range(2):  # the runtime's cold build, then a warm session
            edited_session(layered, -1 - warm)
        for round_ in range(rounds):
            seconds, seen, output = edited_session(layered, round_)
            if "building" in output:
                edits.rebuilt.append(next(line for line in output.splitlines() if "building" in line))
            edits.layers.append(round(seconds, 3))
            edits.delta.append(int(seen["delta"]))
            edits.floor.append(round(host_start(layered / "app", str(bench_settings(root).app), BENCH_PATH, env), 3))
            log(f"edit round {round_ + 1}/{rounds}: layers {seconds:.2f} s, floor {edits.floor[-1]:.2f} s")
        single = edit_project(root, Path(folder) / "single", "single")
        edited_session(single, -1)  # its first build, so that the edit is the one change
        seconds, _, _ = edited_session(single, 0)
        edits.single.append(round(seconds, 3))
        log(f"edit, layout = single: {seconds:.2f} s")
    return edits


# --- starts: the images, and their floor ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def wait_for_http(url: str, timeout: float = 30.0) -> None:
    """Poll ``url`` as ``run.wait_until_ready`` does (every POLL seconds) until any HTTP answer."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=1.0)
            return
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
            time.sleep(POLL)


def gunicorn_command(app_dir: Path, app: str, port: int, workers: int = 2, worker_class: str = "sync") -> list[str]:
    """The app on host gunicorn, configured as the image's launcher configures it (``asgi`` for an ASGI app)."""
    from gunicorn.config import KNOWN_SETTINGS

    control = ["--no-control-socket"] if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS) else []
    bind = ["-b", f"{LOOPBACK}:{port}", "-w", str(workers), "-k", worker_class]
    return [sys.executable, "-m", "gunicorn", "--chdir", str(app_dir), *bind, *control, app]


def stop(server: subprocess.Popen[bytes]) -> None:
    """Stop a server this script started, by its PID: SIGTERM (gunicorn stops its workers), then SIGKILL."""
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def host_start(app_dir: Path, app: str, path: str, env: dict[str, str], worker_class: str = "sync") -> float:
    """Seconds from exec to the first answer on ``path`` of the app unfrozen on host gunicorn."""
    port = free_port()
    started = time.monotonic()
    command = gunicorn_command(app_dir, app, port, worker_class=worker_class)
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_http(f"http://{LOOPBACK}:{port}{path}")
        return time.monotonic() - started
    finally:
        stop(server)


def static_busybox() -> tuple[Path | None, str]:
    """A statically linked busybox (it runs FROM scratch), or None and why not."""
    from elftools.elf.elffile import ELFFile

    found = shutil.which("busybox")
    if found is None:
        return None, f"busybox is not installed (install it with: {BUSYBOX_INSTALL})"
    with open(found, "rb") as stream:
        if any(segment["p_type"] == "PT_INTERP" for segment in ELFFile(stream).iter_segments()):
            return None, f"{found} is linked dynamically: it cannot run FROM scratch (install {BUSYBOX_INSTALL})"
    return Path(found), ""


def busybox_image(client: Any, busybox: Path, tag: str, labels: dict[str, str]) -> str:
    """``FROM scratch``: busybox and one page, busybox httpd as the entrypoint, as user 65535, port 8000."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data, mode in [("busybox", busybox.read_bytes(), 0o755), ("www/index.html", b"ok\n", 0o644)]:
            entry = tarfile.TarInfo(name)
            entry.size, entry.mode = len(data), mode
            tar.addfile(entry, io.BytesIO(data))
    entrypoint = json.dumps(["/busybox", "httpd", "-f", "-p", "8000", "-h", "/www"])
    changes = ["USER 65535", "EXPOSE 8000/tcp", f"ENTRYPOINT {entrypoint}"]
    changes += [f"LABEL {json.dumps(key)}={json.dumps(value)}" for key, value in labels.items()]
    client.api.import_image_from_data(buffer.getvalue(), repository=tag, changes=changes)
    return tag


def container_start(client: Any, spec: RunSpec, path: str, timeout: float) -> float:
    """Seconds from ``docker run`` to the first answer on ``path``, measured as ``ScratchSession.start`` does."""
    started = time.monotonic()
    container = start(client, spec)
    try:
        url = published_url(container, spec.port, spec.address)
        wait_until_ready(container, url + path, timeout)
        return time.monotonic() - started
    finally:
        remove(container)


def image_start(session: ScratchSession) -> float:
    container = session.start()
    session.remove(container)
    return container.startup_seconds


def measure_starts(targets: dict[str, Callable[[], float]], runs: int, results: Results) -> None:
    """Every target once per round, in a new random order each round (one warm-up round not counted)."""
    for name in targets:
        targets[name]()  # page cache, bytecode caches
        results.starts[name] = []
    for run in range(runs):
        order = list(targets)
        random.shuffle(order)
        for name in order:
            results.starts[name].append(round(targets[name](), 4))
        log(f"start round {run + 1}/{runs}: " + ", ".join(f"{n} {results.starts[n][-1]:.3f}" for n in targets))


def start_targets(
    results: Results, settings: Settings, sessions: dict[str, ScratchSession], third: ScratchSession | None, stack: Any
) -> dict[str, Callable[[], float]]:
    """What is started each round: the floors, each compression's image, the third-party app and its floor."""
    client = connect()
    targets: dict[str, Callable[[], float]] = {}
    busybox, why = static_busybox()
    if busybox is None:
        results.skipped[FLOOR_ENGINE] = why
        log(f"skipping the floor's engine share: {why}")
    else:
        labels = {OWNER: str(Owner.current()), SESSION: "benchmark"}
        tag = busybox_image(client, busybox, "pytest-scratchimage/bench-floor:busybox", labels)
        stack.callback(lambda: client.images.remove(tag))
        spec = RunSpec(tag, 65535, 8000, True, labels=labels)
        targets[FLOOR_ENGINE] = functools.partial(container_start, client, spec, "/", settings.ready_timeout)
    env = user_env()
    app = str(settings.app)
    targets[f"fixture app {FLOOR_PYTHON}"] = functools.partial(host_start, settings.app_path[0], app, BENCH_PATH, env)
    for compression, session in sessions.items():
        targets[f"fixture app, compression = {compression}"] = functools.partial(image_start, session)
    if third is not None:
        dav_root = stack.enter_context(tempfile.TemporaryDirectory(prefix="scratchimage-bench-dav-"))
        third_env = user_env(DAV_ROOT=dav_root)
        third_app, health = str(third.settings.app), third.settings.health_path
        targets[f"{THIRD_PARTY.name} {FLOOR_PYTHON}"] = functools.partial(
            host_start, third.settings.app_path[0], third_app, health, third_env
        )
        targets[f"{THIRD_PARTY.name}, default image"] = functools.partial(image_start, third)
    return targets


def third_party_session() -> ScratchSession:
    """The third-party example with its own settings and its own cache folder (its test session's)."""
    root = THIRD_PARTY.resolve()
    settings = resolve(project_ini(root), root)
    cache = root / ".pytest_cache" / "d" / "scratchimage"
    return ScratchSession(settings, cache, functools.partial(log_as, THIRD_PARTY.name))


# --- load: wrk against host gunicorn and the container, and memory ---------------------------------------


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
    command = gunicorn_command(app_dir, module, port)
    server = subprocess.Popen(command, env=user_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://{LOOPBACK}:{port}"
        wait_for_http(url + BENCH_PATH)
        yield url
    finally:
        stop(server)


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


# --- the whole run ---------------------------------------------------------------------------------------


def measure_images(results: Results, settings: Settings, runs: int, duration: int, third_party: bool) -> None:
    """Each compression's image, the other layout's and the third-party app's, their starts against the floor,
    memory and load."""
    with contextlib.ExitStack() as stack:
        sessions = {}
        for compression in COMPRESSIONS:
            variant = dataclasses.replace(settings, compression=compression)
            session = ScratchSession(variant, CACHE, functools.partial(log_as, compression))
            stack.callback(session.close)
            results.images.append(image_facts(f"fixture app, compression = {compression}", session))
            sessions[compression] = session
        other = "single" if settings.layout == "layers" else "layers"  # the layout the project does not use
        alternative = ScratchSession(
            dataclasses.replace(settings, layout=other), CACHE, functools.partial(log_as, other)
        )
        stack.callback(alternative.close)
        results.images.append(image_facts(f"fixture app, layout = {other}", alternative))
        third = None
        if third_party:
            third = third_party_session()
            stack.callback(third.close)
            results.images.append(image_facts(f"{THIRD_PARTY.name}, default image", third))
        targets = start_targets(results, settings, sessions, third, stack)
        targets[f"fixture app, layout = {other}"] = functools.partial(image_start, alternative)
        measure_starts(targets, runs, results)
        default = sessions[COMPRESSIONS[0]]
        results.memory_bytes = default.container().memory()
        results.throughput = measure_throughput(default, settings, duration)


def ours(labels: dict[str, str] | None) -> bool:
    """Made by this script or by a pytest session it ran (the owner label names the process)."""
    owner = Owner.parse((labels or {}).get(OWNER, ""))
    return owner is not None and owner.host == socket.gethostname() and owner.pid in SESSIONS | {os.getpid()}


def owned_leftovers(client: Any) -> list[str]:
    """Containers and image tags that this run's sessions made and that are still there."""
    listed = client.api.containers(all=True, filters={"label": OWNER})
    containers = [f"container {c['Id'][:12]}" for c in listed if ours(c.get("Labels"))]
    listed = client.api.images(filters={"label": OWNER})
    return containers + [f"image {t}" for i in listed if ours(i.get("Labels")) for t in i.get("RepoTags") or []]


def left_behind(client: Any, timeout: float = 30.0) -> list[str]:
    """What the run's sessions left, once their removals (detached, at a session's end) had ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while (found := owned_leftovers(client)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


# --- output ----------------------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"benchmark: {message}", file=sys.stderr, flush=True)


def log_as(what: str, message: str) -> None:
    log(f"{what}: {message}")


def summary(values: list[float], unit: str = "s", digits: int = 2) -> str:
    """``median unit, median of n (min-max)``."""
    if not values:
        return "-"
    low, high = min(values), max(values)
    return (
        f"{statistics.median(values):.{digits}f} {unit}, median of {len(values)} ({low:.{digits}f}-{high:.{digits}f})"
    )


def floor_rounds(results: Results, python_floor: str) -> list[float] | None:
    """Each round's floor: the engine's share plus Python's, both measured in that round."""
    engine, python = results.starts.get(FLOOR_ENGINE), results.starts.get(python_floor)
    if not engine or not python:
        return None
    return [a + b for a, b in zip(engine, python, strict=True)]


def ratios(results: Results, target: str, python_floor: str) -> list[float]:
    """``target``'s start over its floor, round by round (paired: both measured in the same round)."""
    floor = floor_rounds(results, python_floor)
    if floor is None:
        return []
    return [start / base for start, base in zip(results.starts[target], floor, strict=True)]


def python_floor_of(target: str) -> str:
    return f"{target.split(',')[0]} {FLOOR_PYTHON}"


def start_rows(results: Results) -> list[tuple[str, str]]:
    rows = []
    for target, seconds in results.starts.items():
        row = summary(seconds)
        if FLOOR_PYTHON not in target and target != FLOOR_ENGINE:
            paired = ratios(results, target, python_floor_of(target))
            row += f"; {summary(paired, unit='x its floor')}" if paired else ""
        rows.append((f"start: {target}", row))
    for python_floor in [t for t in results.starts if t.endswith(FLOOR_PYTHON)]:
        floor = floor_rounds(results, python_floor)
        if floor is not None:
            rows.append((f"floor: {FLOOR_ENGINE} + {python_floor}", summary(floor)))
    rows += [(f"start: {target}", f"skipped: {why}") for target, why in results.skipped.items()]
    return rows


def image_rows(results: Results) -> list[tuple[str, str]]:
    rows = []
    for image in results.images:
        build = "cached binary" if image.cached else ", ".join(f"{k} {v:.1f} s" for k, v in image.build_seconds.items())
        size = f"{format_size(image.size)} ({image.size:,} bytes), unpacked {format_size(image.unpacked)}"
        rows.append((f"image: {image.name}", f"{size}; build: {build}"))
    return rows


def edit_rows(edits: Edits) -> list[tuple[str, str]]:
    """The inner loop's rows: edit → first answer by layout, against the floor, and the release delta."""
    if not edits.layers:
        return []
    paired = [seconds / floor for seconds, floor in zip(edits.layers, edits.floor, strict=True)]
    rebuilt = f"; runtime made again in {len(edits.rebuilt)} rounds: {edits.rebuilt[0]}" if edits.rebuilt else ""
    deltas = [float(delta) for delta in edits.delta]
    return [
        ("edit: layout = layers", f"{summary(edits.layers)}; {summary(paired, unit='x its floor')}{rebuilt}"),
        ("edit: floor", f"{summary(edits.floor)} (the edited app on host gunicorn, the same rounds)"),
        ("edit: layout = single", summary(edits.single)),
        ("release delta", f"{summary(deltas, unit='bytes', digits=0)} (the app layer gzipped)"),
    ]


def overhead_seconds(overhead: Overhead) -> str:
    """The unused plugin's pairs in seconds: with it, and without it."""
    return f"with it {summary(overhead.with_plugin, digits=3)}; without {summary(overhead.without, digits=3)}"


def overhead_instructions(overhead: Overhead, counts: list[int]) -> str:
    if not counts:
        return f"skipped: {overhead.skipped}" if overhead.skipped else "-"
    plugged, unplugged = counts
    return f"{plugged / unplugged:.3f} x ({plugged:,} against {unplugged:,}, one run each under callgrind)"


def throughput_row(row: Throughput) -> tuple[str, str]:
    if row.requests_per_second is None:
        return f"req/s {row.target}", f"skipped: {row.skipped}"
    errors = f" ({'; '.join(row.errors)})" if row.errors else ""
    return f"req/s {row.target}", f"{row.requests_per_second:,.0f}{errors}"


def table_rows(results: Results) -> list[tuple[str, str]]:
    m = results.machine
    stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in results.build_seconds.items())
    top = ", ".join(f"{c['name']} {format_size(c['bytes'])}" for c in results.contributors[:TOP])
    memory = format_size(results.memory_bytes) if results.memory_bytes is not None else "-"
    overhead = results.overhead
    return [
        ("machine", f"{m.nproc} CPUs, {m.memory_bytes / 1024**3:.1f} GiB, {m.cpu_model}"),
        ("software", f"Linux {m.kernel}, Docker {m.docker}, Python {m.python}"),
        ("image size", f"{format_size(results.size)} ({results.size:,} bytes, the engine's Size)"),
        ("compressed", f"{format_size(results.compressed)} ({results.compressed:,} bytes, gzipped layers)"),
        (f"largest {TOP}", top),
        ("cold session", f"{results.cold_session_seconds:.1f} s wall clock (pytest, binary rebuilt)"),
        ("build stages", stages),
        ("warm session", summary(results.warm_session_seconds)),
        ("unused plugin", f"{summary(overhead.ratios, unit='x', digits=3)} ({overhead_seconds(overhead)})"),
        ("its instructions", overhead_instructions(overhead, overhead.instructions)),
        (f"unused, {SUITE_TESTS:,} tests", summary(overhead.suite_ratios, unit="x", digits=3)),
        (f"unused, {SUITE_TESTS:,} tests: instructions", overhead_instructions(overhead, overhead.suite_instructions)),
        *image_rows(results),
        *start_rows(results),
        *edit_rows(results.edits),
        ("memory", f"{memory} after 20 requests (page cache excluded)"),
        *(throughput_row(row) for row in results.throughput),
        ("load", results.wrk),
        ("left behind", ", ".join(results.left_behind) or "nothing (containers and image tags, after the run)"),
    ]  # fmt: skip


def print_table(results: Results) -> None:
    rows = table_rows(results)
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def write_json(results: Results, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dataclasses.asdict(results), indent=2) + "\n")
    print(f"\nresults written to {path}")


# --- main ------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="rounds of starts, every target once each (default: 10)")
    parser.add_argument("--warm", type=int, default=5, help="warm sessions to take the median of (default: 5)")
    parser.add_argument("--pairs", type=int, default=40, help="pytest runs with and without the plugin (default: 40)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each wrk run (default: 10)")
    parser.add_argument("--no-third-party", action="store_true", help=f"leave out {THIRD_PARTY} (a cold build)")
    parser.add_argument("--edits", type=int, default=5, help="rounds of edit → first answer (default: 5)")
    parser.add_argument(
        "--only", choices=PARTS, action="append", help=f"measure only these parts (repeatable): {', '.join(PARTS)}"
    )
    parser.add_argument("--json", type=Path, default=Path("bench/results.json"), help="where to write the results")
    args = parser.parse_args(argv)
    if min(args.runs, args.warm, args.pairs, args.duration, args.edits) < 1:
        parser.error("--runs, --warm, --pairs, --duration and --edits must be at least 1")
    args.only = args.only or list(PARTS)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    root = Path.cwd()
    if not (root / PROBE_TEST).exists():
        raise SystemExit(f"benchmark: run me from the repository root (no {PROBE_TEST} here)")
    settings = bench_settings(root)
    client = connect()
    results = Results(
        machine(client.version()["Version"]), wrk=" ".join(wrk_command(f"<url>{BENCH_PATH}", args.duration))
    )
    if "overhead" in args.only:
        results.overhead = measure_overhead(args.pairs)
    if "builds" in args.only:
        with tempfile.TemporaryDirectory(prefix="scratchimage-bench-") as workdir:
            measure_builds(results, Path(workdir), args.warm)
    if "images" in args.only:
        measure_images(results, settings, args.runs, args.duration, not args.no_third_party)
    if "edits" in args.only:
        results.edits = measure_edits(root, args.edits)
    results.left_behind = left_behind(client)
    print_table(results)
    write_json(results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
