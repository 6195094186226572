"""The size as people read it: the terminal's baseline table, the CI step summary in Markdown, and the HTML page,
opened in a real headless Chromium (Debian's ``chromium``; ``scripts/dev test`` installs it).

The screenshot of the page is kept as an artifact: in ``$SCRATCH_IMAGE_ARTIFACTS`` when set, else in the cache
folder (``.pytest_cache/d/scratchimage-artifacts``); the test prints where.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pytest_scratchimage.htmlreport import COLOURS

pytestmark = pytest.mark.integration

PROBE = "def test_probe(scratch_http): assert scratch_http.get('/number').ok"


def shifted_baseline(pytester: pytest.Pytester, args: list[str]) -> Path:
    """A baseline of the image as it is, then changed: libpython 100 KB smaller, a package that is gone since."""
    baseline = pytester.path / "baseline.json"
    written = pytester.runpytest(*args, f"--scratch-image-baseline={baseline}", "--scratch-image-update-baseline")
    assert written.ret == pytest.ExitCode.OK
    recorded = json.loads(baseline.read_text())
    recorded["breakdown"]["library:libpython"] -= 100_000
    recorded["breakdown"]["package:gone_pkg"] = 50_000
    recorded["size"] -= 50_000
    baseline.write_text(json.dumps(recorded))
    return baseline


def test_the_step_summary_and_the_terminal_show_size_budget_contributors_and_the_baseline_diff(
    pytester: pytest.Pytester, built_fixture_app: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(PROBE)
    args = ["--scratch-image", *built_fixture_app]
    baseline = shifted_baseline(pytester, args)
    summary = pytester.path / "step-summary.md"
    summary.write_text("an earlier step's summary\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    report = pytester.path / "report.json"
    result = pytester.runpytest(*args, f"--scratch-image-baseline={baseline}", f"--scratch-image-report={report}")
    assert result.ret == pytest.ExitCode.OK
    facts = json.loads(report.read_text())
    result.stdout.fnmatch_lines(
        [
            "largest  libpython *",
            "baseline * MB → * MB (+50.00 KB, +1.?%)",
            "  grew   libpython    * MB →    * MB   +100.00 KB",
            "  gone   gone_pkg     50.00 KB →        0 B    -50.00 KB",
        ]
    )
    text = summary.read_text()
    assert text.startswith("an earlier step's summary\n## Scratch image `pytest-scratchimage/random-api:")
    lines = text.splitlines()
    assert lines[1].endswith("`: passed")
    assert f"| size | {facts['size'] / 1e6:.2f} MB ({facts['size']:,} bytes); compressed " in text
    assert "| budget | 9.00 MB of size: headroom " in text
    assert f"| start | {facts['startup_seconds']:.2f} s from docker run to the first HTTP answer |" in text
    assert f"| memory | {facts['memory'] / 1e6:.2f} MB after warm-up |" in text
    top = facts["contributors"][0]
    assert f"| {top['name']} | {top['kind']} | {top['bytes'] / 1e6:.2f} MB | " in text
    assert "### Against the baseline: " in text
    assert re.search(r"^\| libpython \| library \| grew \| [0-9.]+ MB \| [0-9.]+ MB \| \+100\.00 KB \|$", text, re.M)
    assert "| gone_pkg | package | gone | 50.00 KB | 0 B | -50.00 KB |" in lines
    assert text.endswith("\n\n")


class Elements(HTMLParser):
    """Every element of a document: (tag, attributes), and the text of each ``text`` and ``td`` element."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {name: value or "" for name, value in attrs}))

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    def having(self, tag: str, **attributes: str) -> list[dict[str, str]]:
        return [a for t, a in self.found if t == tag and all(a.get(k) == v for k, v in attributes.items())]


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("chromium")
    if binary is None:
        pytest.skip("chromium is not installed (scripts/dev test installs Debian's chromium)")
    command = [
        binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}", *args,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=True)


def artifacts(pytestconfig: pytest.Config, tmp_path: Path) -> Path:
    if os.environ.get("SCRATCH_IMAGE_ARTIFACTS"):
        folder = Path(os.environ["SCRATCH_IMAGE_ARTIFACTS"])
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    cache = getattr(pytestconfig, "cache", None)
    return cache.mkdir("scratchimage-artifacts") if cache is not None else tmp_path


class Picture:
    """The pixels of a PNG such as Chromium writes (8 bits a channel, RGB or RGBA, not interlaced), read with zlib.

    Written here rather than taken from Pillow: Pillow installed beside the examples' apps goes into their images
    (Django's PyInstaller hook collects it) and breaks their budgets.
    """

    def __init__(self, path: Path) -> None:
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
        chunks: dict[bytes, bytes] = {}
        offset = 8
        while offset < len(data):
            (length,), kind = struct.unpack(">I", data[offset : offset + 4]), data[offset + 4 : offset + 8]
            chunks[kind] = chunks.get(kind, b"") + data[offset + 8 : offset + 8 + length]
            offset += 12 + length
        self.width, self.height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
        assert (depth, colour, interlace) in {(8, 2, 0), (8, 6, 0)}, "an 8-bit RGB or RGBA PNG, not interlaced"
        self.channels = 3 if colour == 2 else 4
        self.rows = self._unfilter(zlib.decompress(chunks[b"IDAT"]))

    def _unfilter(self, raw: bytes) -> list[bytes]:
        stride, n = self.width * self.channels, self.channels
        rows, previous = [], bytes(stride)
        for y in range(self.height):
            kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
            if kind == 2:
                line = bytearray((a + b) & 255 for a, b in zip(line, previous, strict=True))
            elif kind in (1, 3, 4):
                for i in range(stride):
                    left = line[i - n] if i >= n else 0
                    up, corner = previous[i], previous[i - n] if i >= n else 0
                    if kind == 1:
                        line[i] = (line[i] + left) & 255
                    elif kind == 3:
                        line[i] = (line[i] + (left + up) // 2) & 255
                    else:
                        p = left + up - corner
                        pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                        line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
            rows.append(bytes(line))
            previous = rows[-1]
        return rows

    def share(self, colour: str, top: int, bottom: int) -> float:
        """The share of the pixels of rows ``top`` to ``bottom`` that are ``colour`` (#rrggbb), give or take 6."""
        target = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
        near = total = 0
        for row in self.rows[top:bottom]:
            for x in range(0, len(row), self.channels):
                total += 1
                near += abs(row[x] - target[0]) + abs(row[x + 1] - target[1]) + abs(row[x + 2] - target[2]) <= 6
        return near / total


def test_the_html_report_renders_in_headless_chromium(
    pytester: pytest.Pytester,
    built_fixture_app: list[str],
    pytestconfig: pytest.Config,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytester.makepyfile(PROBE)
    args = ["--scratch-image", *built_fixture_app, "-o", "scratch_image_budget_warn=8MB"]
    baseline = shifted_baseline(pytester, args)
    page = pytester.path / "out" / "size.html"
    result = pytester.runpytest(*args, f"--scratch-image-baseline={baseline}", f"--scratch-image-html={page}")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines([f"html report written to {page}"])
    source = page.read_text()
    assert not re.search(r"(?:src|href)\s*=|url\(|@import|https?:|<script", source)  # nothing to fetch when viewed

    dom = Elements()
    dom.feed(chromium(tmp_path / "profile", "--dump-dom", page.as_uri()).stdout)
    kinds = {a["data-kind"] for a in dom.having("rect", **{"class": "kind"})}
    assert kinds == {"stdlib", "library", "staticx", "package", "loader"}
    entries = dom.having("rect", **{"class": "entry"})
    assert len(entries) >= 30
    libpython = dom.having("rect", **{"class": "entry", "data-name": "libpython"})
    assert len(libpython) == 1
    assert libpython[0]["data-kind"] == "library"
    assert float(libpython[0]["width"]) * float(libpython[0]["height"]) > 0.15 * 1200 * 640  # 27 % of the bytes
    assert {"libpython", "libc", "gunicorn", "falcon"} <= {t.strip() for t in dom.texts}
    for mark in ("measured",):
        assert dom.having("rect", **{"class": mark})
    for mark in ("limit", "warn", "baseline"):
        assert dom.having("line", **{"class": mark})
    assert {"budget 9.00 MB", "warn 8.00 MB"} <= {t.strip() for t in dom.texts}
    assert len(dom.having("tr", **{"class": "grew"})) == 1
    assert len(dom.having("tr", **{"class": "shrank"})) == 1
    assert dom.having("table", id="runtime")
    assert not any(t.startswith("not measured") for t in dom.texts)  # start and memory, both measured
    assert dom.having("table", id="metadata")
    assert any(t.startswith("sha256:") for t in dom.texts)
    assert "Every gate passed." in dom.texts

    screenshot = artifacts(pytestconfig, tmp_path) / "scratch-image-report.png"
    chromium(tmp_path / "profile", f"--screenshot={screenshot}", "--window-size=1280,1400", page.as_uri())
    with capsys.disabled():
        print(f"\nscreenshot of the HTML report: {screenshot}")
    picture = Picture(screenshot)
    assert (picture.width, picture.height) == (1280, 1400)
    for kind in ("stdlib", "library", "staticx", "package"):
        assert picture.share(COLOURS[kind], 300, 1000) > 0.01, kind  # each kind shows as a coloured area
    assert picture.share(COLOURS["library"], 300, 1000) > 0.1  # libpython's box, the largest
    assert picture.share(COLOURS["library"], 0, 250) == 0  # above the treemap: the title and the budget
