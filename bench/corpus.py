"""The corpus: real stacks from PyPI, each configured by its app line and health path alone, built and probed.

Run from the repository root: ``python bench/corpus.py [--python 3.12] [--only NAME] [--rounds N]``. For each
Python a venv ``.corpus/venv-X.Y`` holds the plugin (editable) and ``bench/corpus-requirements.txt``. Each row
is a folder of ``bench/corpus/`` (the app's module, if it needs one and no example has it already, and a test
probing it with its own client), copied into a temporary project whose ``pyproject.toml`` sets ``scratch_image_app`` and
``scratch_image_health_path`` only, and run as a user runs it: ``python -m pytest --scratch-image``. Rows run
one after another; each result goes to ``bench/corpus.json`` as soon as it is known, and a row already there
is not run again (``--fresh`` runs them all, ``--only`` runs the rows named). The table goes into README.md
between the corpus markers. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import functools
import glob
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CORPUS = BENCH / "corpus"
REQUIREMENTS = BENCH / "corpus-requirements.txt"
VENVS = ROOT / ".corpus"
PYTHONS = ("3.11", "3.12", "3.13")
DETAIL = "3.12"  # the Python whose build the unused, learnt and advisor columns describe
BEGIN, END = "<!-- corpus table: begin -->", "<!-- corpus table: end -->"
TIMEOUT = 1800  # seconds for one row's session: a cold build takes 1.5-2.5 minutes on 2 cores
TAIL = 40
TIMES, MINUS = "\u00d7", "\u2212"  # x and - as the README prints them


@dataclass(frozen=True)
class Row:
    """One stack: its folder under bench/corpus, the distribution it is about, and its two ini lines."""

    name: str
    interface: str  # ASGI or WSGI, as the row means it; the plugin's check tells it on its own
    dist: str  # the distribution whose pinned version names the stack
    app: str
    health: str
    client: str  # what the row's test probes it with
    host_env: tuple[str, ...] = ()  # environment variables (NAME) pointed at a temporary folder for the host floor
    borrows: str = ""  # an example's app module (a path from the repository's root), the same app: not copied here


ROWS = (
    Row("fastapi", "ASGI", "fastapi", "notes_api:app", "/health", "requests: typed path, query, JSON body, 422"),
    Row("starlette", "ASGI", "starlette", "hello:app", "/health", "requests"),
    Row("litestar", "ASGI", "litestar", "shelf:app", "/health", "requests: typed path, JSON body"),
    Row("quart", "ASGI", "quart", "echo:app", "/health", "requests: template, JSON echo"),
    Row("django-asgi", "ASGI", "django", "site_asgi:app", "/health", "requests: template, 404"),
    Row("falcon-asgi", "ASGI", "falcon", "things:app", "/health", "requests: media in and out"),
    Row("prometheus-asgi", "ASGI", "prometheus-client", "prometheus_client:make_asgi_app()", "/metrics",
        "prometheus_client's text parser"),
    Row("flask", "WSGI", "flask", "hello:app", "/health", "requests: template, JSON echo"),
    Row("django", "WSGI", "django", "site_wsgi:app", "/health", "requests: template, 404"),
    Row("bottle", "WSGI", "bottle", "hello:app", "/health", "requests: template, JSON echo"),
    Row("pyramid", "WSGI", "pyramid", "hello:app", "/health", "requests: JSON renderer, JSON echo"),
    Row("falcon", "WSGI", "falcon", "things:app", "/health", "requests: media in and out"),
    Row("cherrypy", "WSGI", "cherrypy", "hello:app", "/health", "requests: JSON tools"),
    Row("httpbin", "WSGI", "httpbin", "httpbin:app", "/get", "requests: echo, status, headers, its landing page"),
    Row("pypiserver", "WSGI", "pypiserver", "index_app:create()", "/health",
        "a wheel uploaded as twine does, then pip install from the image", ("PYPI_ROOT",),
        "examples/pypiserver/index_app.py"),
    Row("wsgidav", "WSGI", "wsgidav", "dav_app:create()", "/", "WebDAV: PUT, PROPFIND, MOVE, DELETE", ("DAV_ROOT",),
        "examples/wsgidav/dav_app.py"),
    Row("radicale", "WSGI", "radicale", "calendar_app:create()", "/.web/",
        "CalDAV: MKCALENDAR, PUT, calendar-query REPORT", ("RADICALE_STORAGE",), "examples/radicale/calendar_app.py"),
    Row("dulwich", "WSGI", "dulwich", "git_app:app", "/info/refs", "git clone over smart HTTP"),
)  # fmt: skip


@dataclass
class Result:
    """One row on one Python, as the run found it."""

    row: str
    python: str  # the full version that was frozen
    passed: bool = False
    why: str = ""  # when not passed: the first failure line
    tests: str = ""  # the row's tests: "1 passed"
    exit_code: int | None = None
    size: int | None = None
    budget: int | None = None
    served: str = ""
    startup_seconds: float | None = None  # the session's own start
    starts: dict[str, list[float]] = field(default_factory=dict)  # engine, host, image: round by round
    unused: int | None = None
    unused_top: list[str] = field(default_factory=list)
    learnt: dict[str, Any] = field(default_factory=dict)
    levers: list[dict[str, Any]] = field(default_factory=list)
    build_seconds: dict[str, float] = field(default_factory=dict)
    session_seconds: float = 0.0
    commit: str = ""
    date: str = ""
    tail: str = ""  # the session's last lines when it did not pass


# --- venvs ----------------------------------------------------------------------------------------------


def interpreter(version: str) -> Path:
    """pyenv's newest ``version.*``, else ``pythonX.Y`` on PATH."""
    found = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}")))
    if found:
        return Path(found[-1])
    which = shutil.which(f"python{version}")
    if which is None:
        raise SystemExit(f"corpus: no Python {version} (neither pyenv's ~/.pyenv/versions/{version}.* nor on PATH)")
    return Path(which)


def venv(version: str) -> Path:
    """The venv of ``version`` with the plugin and the corpus's packages, made or brought up to date."""
    folder = VENVS / f"venv-{version}"
    python = folder / "bin" / "python"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = folder / "corpus-requirements.sha256"
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    if not python.exists():
        log(f"{version}: making {folder}")
        subprocess.run([str(interpreter(version)), "-m", "venv", str(folder)], check=True)
    log(f"{version}: installing the plugin and {REQUIREMENTS.name}")
    install = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-e", str(ROOT)]
    subprocess.run([*install, "-r", str(REQUIREMENTS)], check=True)
    stamp.write_text(wanted)
    return python


def interpreters(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """Each Python to run on, and the interpreter of its venv: ``--interpreter``'s own, else the corpus's."""
    if args.interpreter is not None:
        found = subprocess.run(
            [str(args.interpreter), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=True,
        )
        return [(found.stdout.strip(), args.interpreter)]
    return [(version, venv(version)) for version in args.python or PYTHONS]


def pinned() -> dict[str, str]:
    lines = (line.split("#")[0].strip() for line in REQUIREMENTS.read_text().splitlines())
    return dict(line.split("==", 1) for line in lines if "==" in line)


# --- one row --------------------------------------------------------------------------------------------


def pyproject(row: Row, layout: str | None = None) -> str:
    """The row's whole configuration: its app line and its health path (and the layout, when one is asked)."""
    return (
        "[tool.pytest.ini_options]\n"
        f"scratch_image_app = {json.dumps(row.app)}\n"
        f"scratch_image_health_path = {json.dumps(row.health)}\n"
    ) + (f"scratch_image_layout = {json.dumps(layout)}\n" if layout else "")


def user_env() -> dict[str, str]:
    """This environment without the outer session's PYTEST_* variables and with bytecode caches allowed."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith("PYTEST_")}


def junit_counts(path: Path) -> dict[str, int]:
    if not path.exists():
        return {}
    root = ElementTree.parse(path).getroot()
    suite = root.find("testsuite") if root.tag == "testsuites" else root
    if suite is None:
        return {}
    return {key: int(suite.get(key, "0")) for key in ("tests", "failures", "errors", "skipped")}


def tests_line(counts: dict[str, int]) -> str:
    if not counts:
        return "no tests ran"
    passed = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
    parts = [f"{passed} passed"] + [f"{counts[k]} {k}" for k in ("failures", "errors", "skipped") if counts[k]]
    return ", ".join(parts)


GATE = re.compile(r"^FAILED (?!\S+::)(.*)$", re.MULTILINE)  # a session gate's line, not a test's
FAILURE = re.compile(r"^(?:FAILED|ERROR) \S+::\S+ - (.*)$|^E   +(.+)$", re.MULTILINE)


def verdict(output: str, exit_code: int, counts: dict[str, int]) -> tuple[bool, str]:
    """Whether the stack works in its image zero-config, and why not.

    It works when every test of the row ran and passed, and no gate failed but the size budget: the budget
    is a figure of the table (size against 9 MB), not something the app needs to run.
    """
    green = bool(counts) and counts["tests"] > 0 and counts["failures"] == counts["errors"] == counts["skipped"] == 0
    gates = [line for line in GATE.findall(output) if not line.startswith("scratch_image_budget:")]
    if green and not gates:
        return True, ""
    if gates:
        return False, gates[0]
    found = FAILURE.search(output)
    if found:
        return False, next(group for group in found.groups() if group)
    lines = [line for line in output.splitlines() if line.strip()]
    return False, lines[-1] if lines else f"pytest exited with code {exit_code}"


def build_facts(project: Path) -> dict[str, Any]:
    found = sorted((project / ".pytest_cache" / "d" / "scratchimage").glob("*/build.json"))
    return dict(json.loads(found[-1].read_text())) if found else {}


def learnt_in_venv(project: Path) -> dict[str, Any]:
    """What the record taught the freeze (``record.needs``: modules, data, metadata), how the app is served
    and at which level; read by the row's Python, whose standard library the record's paths name."""
    from pytest_scratchimage.record import Record, needs

    facts = build_facts(project)
    if not facts.get("record"):
        return {}
    taught = needs(Record.from_dict(facts["record"]), [project])
    return {
        "modules": len(taught.hidden_imports),
        "data": [place_of(source, target) for source, target in taught.datas],
        "metadata": list(taught.metadata),
        "level": facts.get("level", {}),
        "served": facts.get("served", {}),
    }


def place_of(source: str, target: str) -> str:
    """A learnt file or folder as the app finds it: ``wsgidav/dir_browser/htdocs``."""
    return os.path.normpath(os.path.join(target, os.path.basename(source)))


def run_row(row: Row, python: Path, rounds: int, layout: str | None = None) -> Result:
    """The row's session in a temporary project, then its starts against their floor."""
    version = subprocess.run(
        [str(python), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    result = Result(row.name, version, commit=commit(), date=datetime.date.today().isoformat())
    with tempfile.TemporaryDirectory(prefix=f"scratchimage-corpus-{row.name}-") as folder:
        project = Path(folder)
        shutil.copytree(CORPUS / row.name, project, dirs_exist_ok=True)
        if row.borrows:
            shutil.copy(ROOT / row.borrows, project)
        (project / "pyproject.toml").write_text(pyproject(row, layout))
        command = [str(python), "-m", "pytest", "--scratch-image", "--scratch-image-report=report.json"]
        command += ["--junitxml=junit.xml", "-p", "no:randomly", "--color=no", "-rfE"]
        started = time.monotonic()
        try:
            done = subprocess.run(
                command, cwd=project, env=user_env(), capture_output=True, text=True, timeout=TIMEOUT, check=False
            )
            output, result.exit_code = done.stdout + done.stderr, done.returncode
        except subprocess.TimeoutExpired as expired:
            output = str(expired.stdout or "") + f"\nthe session took longer than {TIMEOUT} s"
        result.session_seconds = round(time.monotonic() - started, 1)
        counts = junit_counts(project / "junit.xml")
        result.tests = tests_line(counts)
        result.passed, result.why = verdict(output, result.exit_code or 0, counts)
        if not result.passed:
            result.tail = "\n".join(output.splitlines()[-TAIL:])
        read_report(result, project / "report.json")
        facts = build_facts(project)
        result.build_seconds = dict(facts.get("seconds", {}))
        if facts:
            found = in_venv(python, project, row, rounds if result.size is not None else 0)
            result.learnt, result.starts = found.get("learnt", {}), found.get("starts", {})
    return result


def read_report(result: Result, path: Path) -> None:
    if not path.exists():
        return
    report = json.loads(path.read_text())
    result.size, result.budget = report.get("size"), report.get("budget", {}).get("limit")
    result.served, result.startup_seconds = report.get("served", ""), report.get("startup_seconds")
    contributors = report.get("contributors", [])
    result.unused = sum(c.get("unused", 0) for c in contributors)
    dead = sorted((c for c in contributors if c.get("unused")), key=lambda c: -int(c["unused"]))
    result.unused_top = [f"{c['name']} {size(c['unused'])}" for c in dead[:2]]
    result.levers = list(report.get("levers", []))


def in_venv(python: Path, project: Path, row: Row, rounds: int) -> dict[str, Any]:
    """What the record learnt, and ``rounds`` of starts against the floor, read and measured by the row's Python."""
    command = [str(python), str(Path(__file__).resolve()), "--in-venv", str(project), "--rounds", str(rounds)]
    command += [f"--host-env={name}" for name in row.host_env]
    done = subprocess.run(command, capture_output=True, text=True, env=user_env(), timeout=900, check=False)
    if done.returncode != 0:
        log(f"{row.name}: not measured: {done.stderr.strip().splitlines()[-3:]}")
        return {}
    return dict(json.loads(done.stdout))


# --- the starts, measured in the row's venv (this script run by its Python) --------------------------------


def starts_in_venv(project: Path, rounds: int, host_env: list[str]) -> dict[str, list[float]]:
    """Rounds of: the image (cached binary), the app on host gunicorn, busybox FROM scratch: benchmark.py's
    floor, measured as it measures it."""
    sys.path.insert(0, str(BENCH))
    import benchmark

    from pytest_scratchimage.cleanup import OWNER, SESSION, Owner
    from pytest_scratchimage.run import RunSpec
    from pytest_scratchimage.session import ScratchSession, connect
    from pytest_scratchimage.settings import resolve

    settings = resolve(benchmark.project_ini(project), project)
    cache = project / ".pytest_cache" / "d" / "scratchimage"
    client = connect()
    busybox, why = benchmark.static_busybox()
    if busybox is None:
        raise SystemExit(f"corpus: no floor: {why}")
    session = ScratchSession(settings, cache, lambda message: None)
    labels = {OWNER: str(Owner.current()), SESSION: "corpus"}
    tag = benchmark.busybox_image(client, busybox, f"pytest-scratchimage/corpus-floor:{os.getpid()}", labels)
    with contextlib.ExitStack() as stack:
        stack.callback(session.close)
        stack.callback(lambda: client.images.remove(tag))
        session.image()
        assert session.build is not None
        assert session.build.served is not None
        worker = session.build.served.worker_class
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="scratchimage-corpus-host-")))
        for name in host_env:
            (folder / name.lower()).mkdir()  # WsgiDAV refuses a root that does not exist
        env = benchmark.user_env(**{name: str(folder / name.lower()) for name in host_env})
        spec = RunSpec(tag, 65535, 8000, True, labels=labels)
        targets: dict[str, Callable[[], float]] = {
            "engine": functools.partial(benchmark.container_start, client, spec, "/", settings.ready_timeout),
            "host": functools.partial(
                benchmark.host_start, settings.app_path[0], str(settings.app), settings.health_path, env, worker
            ),
            "image": functools.partial(benchmark.image_start, session),
        }
        results = benchmark.Results(benchmark.machine(client.version()["Version"]))
        benchmark.measure_starts(targets, rounds, results)
        return results.starts


# --- the table --------------------------------------------------------------------------------------------


def size(count: int) -> str:
    from pytest_scratchimage.sizes import format_size

    return format_size(count)


def ratio(starts: dict[str, list[float]]) -> float | None:
    if not all(starts.get(k) for k in ("engine", "host", "image")):
        return None
    return statistics.median(
        i / (e + h) for e, h, i in zip(starts["engine"], starts["host"], starts["image"], strict=True)
    )


def start_cell(result: Result) -> str:
    found = ratio(result.starts)
    if found is None:
        return "-"
    return f"{found:.2f}{TIMES} ({statistics.median(result.starts['image']):.2f} s)"


def size_cell(result: Result) -> str:
    if result.size is None:
        return "-"
    over = result.budget is not None and result.size > result.budget
    return f"**{size(result.size)}**" if over else size(result.size)


def pass_cell(result: Result | None, notes: list[str]) -> str:
    if result is None:
        return "not run"
    if result.passed:
        return "yes"
    python = ".".join(result.python.split(".")[:2])
    notes.append(f"{result.row} on {python}: {result.why}")
    return f"no [{len(notes)}]"


def learnt_cell(result: Result | None) -> str:
    if result is None or not result.learnt:
        return "-"
    learnt = result.learnt
    served = learnt.get("served", {})
    parts = [f"{served.get('interface', '?').upper()} → {served.get('worker_class', '?')} worker"]
    level = learnt.get("level", {})
    if level.get("level", 2) != 2:
        parts.append(f"-O level {level['level']} ({level.get('why', '')})")
    parts.append(f"{learnt['modules']} modules")
    if learnt["data"]:
        shown = ", ".join(f"`{place}`" for place in learnt["data"][:3])
        more = f" and {len(learnt['data']) - 3} more" if len(learnt["data"]) > 3 else ""
        parts.append(f"data {shown}{more}")
    if learnt["metadata"]:
        names = learnt["metadata"]
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        parts.append(f"metadata of {shown}")
    return "; ".join(parts)


def lever_text(lever: dict[str, Any]) -> str:
    found = re.fullmatch(r'add "(.+)" to scratch_image_(\w+)', lever["setting"])
    setting = f"{found[2]} `{found[1]}`" if found else lever["setting"]
    return f"{setting} {MINUS}{size(lever['saving'])}" + ("" if lever["safe"] else " (risk)")


def advisor_cell(result: Result | None) -> str:
    if result is None or result.size is None:
        return "-"
    safe = [lever for lever in result.levers if lever["safe"]]
    if result.budget is not None and result.size > result.budget:
        from pytest_scratchimage.advice import Lever, fitting

        levers = [Lever(**lever) for lever in result.levers]
        count = fitting(levers, result.size, result.budget)
        if count is None:
            return "over 9 MB: no lever fits it"
        fits = ", ".join(lever_text(lever) for lever in result.levers[:count])
        return f"over {size(result.budget)}: {fits} → {size(result.size - sum(lv.saving for lv in levers[:count]))}"
    if not safe:
        return "nothing safe"
    return ", ".join(lever_text(lever) for lever in safe[:2])


def unused_cell(result: Result | None) -> str:
    if result is None or result.unused is None:
        return "-"
    return f"{size(result.unused)}" + (f" ({', '.join(result.unused_top)})" if result.unused_top else "")


def per_python(results: dict[str, Result], row: Row, pythons: list[str], cell: Any) -> str:
    return " / ".join(cell(results[key]) if (key := f"{p}/{row.name}") in results else "-" for p in pythons)


def table(results: dict[str, Result]) -> str:
    pythons = ran(results)
    detail = DETAIL if DETAIL in pythons else (pythons[-1] if pythons else DETAIL)
    versions = pinned()
    notes: list[str] = []
    head = " / ".join(pythons)
    lines = [
        f"| stack | client of the probe | passes ({head}) | size ({head}) | start {TIMES} floor ({head}) "
        f"| unused ({detail}) | the record learnt ({detail}) | the advisor proposes ({detail}) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in ROWS:
        passes = []
        for python in pythons:
            passes.append(pass_cell(results.get(f"{python}/{row.name}"), notes))
        mine = results.get(f"{detail}/{row.name}")
        stack = f"{row.dist} {versions.get(row.dist, '?')} ({row.interface})"
        lines.append(
            f"| {stack}: `{row.app}`, `{row.health}` | {row.client} | {' / '.join(passes)} "
            f"| {per_python(results, row, pythons, size_cell)} | {per_python(results, row, pythons, start_cell)} "
            f"| {unused_cell(mine)} | {learnt_cell(mine)} | {advisor_cell(mine)} |"
        )
    lines += ["", *(f"[{number}] {why}" for number, why in enumerate(notes, 1))] if notes else []
    return "\n".join(lines)


def ran(results: dict[str, Result]) -> list[str]:
    """The Pythons the results are of, oldest first: ``3.11``."""
    return sorted({key.split("/")[0] for key in results}, key=lambda v: tuple(map(int, v.split("."))))


def rates(results: dict[str, Result]) -> str:
    parts = []
    for python in ran(results):
        mine = [r for key, r in results.items() if key.startswith(python + "/")]
        if mine:
            passed = sum(r.passed for r in mine)
            within = sum(r.size is not None and r.budget is not None and r.size <= r.budget for r in mine)
            version = mine[0].python
            parts.append(
                f"Python {version}: {passed} of {len(mine)} pass ({100 * passed / len(mine):.0f} %), "
                f"{within} within the default 9 MB budget"
            )
    return "; ".join(parts)


def section(results: dict[str, Result], command: str) -> str:
    dates = sorted({r.date for r in results.values()})
    commits = sorted({r.commit for r in results.values() if r.commit})
    when = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}" if dates else "-"
    nproc = os.cpu_count()
    return "\n".join(
        [
            BEGIN,
            f"`{command}`, {when}, on this {nproc}-core machine (Linux {platform.release()}), plugin at "
            f"{', '.join(commits) or '-'}. {rates(results)}. Sizes in **bold** are over the default 9 MB budget;"
            f" start {TIMES} floor is the median over the rounds of the image's first answer after `docker run`, set"
            " against busybox `FROM scratch` plus the same app on host gunicorn, measured in the same rounds.",
            "",
            table(results),
            END,
        ]
    )


def write_readme(path: Path, results: dict[str, Result], command: str) -> None:
    text = path.read_text() if path.exists() else ""
    block = section(results, command)
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)
    log(f"the table is in {path}")


# --- the run ----------------------------------------------------------------------------------------------


def commit() -> str:
    done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip()


def load(path: Path) -> dict[str, Result]:
    if not path.exists():
        return {}
    return {key: Result(**value) for key, value in json.loads(path.read_text()).items()}


def save(path: Path, results: dict[str, Result]) -> None:
    ordered = {key: dataclasses.asdict(results[key]) for key in sorted(results)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(ordered, indent=1) + "\n")


def log(message: str) -> None:
    print(f"corpus: {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = [row.name for row in ROWS]
    parser.add_argument("--python", action="append", choices=PYTHONS, help="run on this Python (default: all three)")
    parser.add_argument("--only", action="append", choices=names, metavar="NAME", help=f"run this row: {names}")
    parser.add_argument(
        "--interpreter", type=Path, help="run the rows with this Python, whose venv holds the plugin and their packages"
    )
    parser.add_argument("--rounds", type=int, default=5, help="rounds of starts against the floor (default: 5)")
    parser.add_argument("--fresh", action="store_true", help="run rows already in the results again")
    parser.add_argument(
        "--layout",
        choices=("single", "layers"),
        help="set scratch_image_layout too (pass --results and --readme elsewhere)",
    )
    parser.add_argument("--results", type=Path, default=BENCH / "corpus.json", help="the resumable results file")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md", help="where the table goes")
    parser.add_argument("--table-only", action="store_true", help="write the table from the results; run nothing")
    parser.add_argument("--in-venv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--host-env", action="append", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rounds < (0 if args.in_venv else 1):
        parser.error("--rounds must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.in_venv is not None:
        learnt = learnt_in_venv(args.in_venv)
        starts = starts_in_venv(args.in_venv, args.rounds, args.host_env) if args.rounds else {}
        print(json.dumps({"learnt": learnt, "starts": starts}))
        return 0
    results = load(args.results)
    if not args.table_only:
        rows = [row for row in ROWS if not args.only or row.name in args.only]
        for version, python in interpreters(args):
            for row in rows:
                key = f"{version}/{row.name}"
                if key in results and not (args.fresh or args.only):
                    log(f"{key}: in {args.results.name} already")
                    continue
                log(f"{key}: building and probing")
                result = run_row(row, python, args.rounds, args.layout)
                results[key] = result
                save(args.results, results)
                verdict_line = "passes" if result.passed else f"FAILS: {result.why}"
                log(f"{key}: {verdict_line}; {size(result.size) if result.size else '-'}; {start_cell(result)}")
    command = "python bench/corpus.py" + "".join(f" --python {p}" for p in args.python or ())
    command += f" --layout {args.layout}" if args.layout else ""
    write_readme(args.readme, results, command)
    return 0 if all(r.passed for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
