"""The assertion helpers on small fakes: failures say what was found, not only that something differs."""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pytest

from pytest_scratchimage.assertions import (
    assert_no_shell,
    assert_runs_as,
    assert_size_within,
    assert_stops_gracefully,
)
from pytest_scratchimage.breakdown import Contributor
from pytest_scratchimage.image import ScratchImage
from pytest_scratchimage.run import ScratchContainer


class ExecResult(NamedTuple):
    exit_code: int | None
    output: bytes


@dataclass
class FakeContainer:
    """What the engine's container answers to ``top`` and ``exec_run``."""

    users: dict[int, int] = field(default_factory=dict)
    shell_exit_code: int = 127
    shell_output: bytes = b'exec: "/bin/sh": stat /bin/sh: no such file or directory'
    exit_code: int = 0  # after stop
    log: bytes = b""
    attrs: dict[str, Any] = field(default_factory=dict)
    stopped_with: list[int] = field(default_factory=list)

    def stop(self, timeout: int) -> None:
        self.stopped_with.append(timeout)
        self.attrs = {"State": {"ExitCode": self.exit_code}}

    def reload(self) -> None:
        pass

    def logs(self) -> bytes:
        return self.log

    def top(self, ps_args: str) -> dict[str, Any]:
        rows = [[str(pid), str(uid), "/app"] for pid, uid in self.users.items()]
        return {"Titles": ["PID", "UID", "CMD"], "Processes": rows}

    def exec_run(self, command: list[str]) -> ExecResult:
        return ExecResult(self.shell_exit_code, self.shell_output)


def layer(files: tuple[str, ...]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in files:
            info = tarfile.TarInfo(path.lstrip("/"))
            info.type = tarfile.DIRTYPE if path == "/tmp" else tarfile.REGTYPE
            tar.addfile(info, io.BytesIO())
    return buffer.getvalue()


def image(size: int = 8_000_000, files: tuple[str, ...] = ("/app", "/tmp")) -> ScratchImage:
    client: Any = None  # never reached: the layers are already known
    top = [Contributor("library", "libpython", 2_600_000), Contributor("package", "falcon", 200_000)]
    return ScratchImage("scratch:test", "sha256:1", size, 65535, 8000, {}, client, top, _layers=[layer(files)])


def container(fake: FakeContainer) -> ScratchContainer:
    engine: Any = fake
    return ScratchContainer("c1", "http://127.0.0.1:1234", 8000, 0.5, "/", engine)


@pytest.mark.parametrize("budget", ["9MB", 9_000_000, "8.6MiB"])
def test_assert_size_within_passes(budget: str | int) -> None:
    assert_size_within(image(size=9_000_000), budget)


def test_assert_size_within_fails_with_the_breach_and_the_tag() -> None:
    with pytest.raises(AssertionError) as info:
        assert_size_within(image(size=9_400_000), "9MB")
    assert str(info.value) == (
        "image 9.40 MB (9,400,000 bytes) > budget 9.00 MB (+400.00 KB, 4.4% over); "
        "largest: libpython 2.60 MB, falcon 200.00 KB: scratch:test"
    )


def test_assert_size_within_rejects_a_bad_budget() -> None:
    with pytest.raises(ValueError, match="'nine' is not a size"):
        assert_size_within(image(), "nine")


def test_assert_runs_as_passes_when_every_process_has_the_uid() -> None:
    assert_runs_as(container(FakeContainer({1: 65535, 7: 65535, 8: 65535})), 65535)


def test_assert_runs_as_names_the_other_processes() -> None:
    fake = FakeContainer({1: 65535, 9: 0, 8: 1000})
    with pytest.raises(AssertionError) as info:
        assert_runs_as(container(fake), 65535)
    assert str(info.value) == "expected every process to run as UID 65535; found PID 8 as UID 1000, PID 9 as UID 0"


def test_assert_runs_as_fails_without_processes() -> None:
    with pytest.raises(AssertionError, match="found no process"):
        assert_runs_as(container(FakeContainer({})), 65535)


def test_assert_no_shell_passes_for_a_shell_less_image() -> None:
    assert_no_shell(image(), container(FakeContainer()))
    assert_no_shell(image())


def test_assert_no_shell_lists_the_shells_in_the_files() -> None:
    with pytest.raises(AssertionError) as info:
        assert_no_shell(image(files=("/app", "/bin", "/bin/busybox", "/bin/sh", "/usr/bin/shasum")))
    assert str(info.value) == "the image holds shells: /bin/busybox, /bin/sh"


def test_assert_no_shell_fails_when_a_shell_starts() -> None:
    fake = FakeContainer(shell_exit_code=0, shell_output=b"  hello  ")
    with pytest.raises(AssertionError) as info:
        assert_no_shell(image(), container(fake))
    assert str(info.value) == "/bin/sh started in the container (exit code 0): hello"


@pytest.mark.parametrize("exit_code", [126, 127, 1])
def test_a_shell_that_does_not_start_passes(exit_code: int) -> None:
    assert_no_shell(image(), container(FakeContainer(shell_exit_code=exit_code)))


def test_assert_stops_gracefully_passes_on_a_clean_exit_and_gives_the_engine_whole_seconds() -> None:
    fake = FakeContainer()
    assert_stops_gracefully(container(fake), within=2.5)
    assert fake.stopped_with == [3]


def test_assert_stops_gracefully_names_the_kill_and_ends_with_the_apps_log() -> None:
    log = b"".join(f"line {n}\n".encode() for n in range(40)) + b"[9] [INFO] Booting worker with pid: 9\n"
    with pytest.raises(AssertionError) as info:
        assert_stops_gracefully(container(FakeContainer(exit_code=137, log=log)), within=2.5)
    headline, *shown = str(info.value).splitlines()
    assert headline.startswith("expected a clean exit within 2.5 s of SIGTERM; the container took ")
    assert headline.endswith(" s and exited with code 137 (SIGKILL); the app's log ends:")
    assert shown[-1] == "  | [9] [INFO] Booting worker with pid: 9"
    assert len(shown) == 30


def test_assert_stops_gracefully_fails_an_unclean_exit_without_a_kill() -> None:
    with pytest.raises(AssertionError, match=r"exited with code 2; the app's log ends:\n  \| app: Child exited"):
        assert_stops_gracefully(container(FakeContainer(exit_code=2, log=b"app: Child exited\n")))


def test_assert_stops_gracefully_fails_a_clean_exit_that_came_too_late() -> None:
    with pytest.raises(AssertionError, match=r"within 0 s of SIGTERM; .* exited with code 0; the app's log ends"):
        assert_stops_gracefully(container(FakeContainer()), within=0.0)
