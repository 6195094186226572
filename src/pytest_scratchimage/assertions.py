"""Assertion helpers whose failures say what was found, not just that something differs."""

from __future__ import annotations

from .budget import Budget
from .errors import indent_tail
from .image import ScratchImage
from .run import ScratchContainer
from .sizes import parse_size


def assert_size_within(image: ScratchImage, budget: str | int, metric: str = "size") -> None:
    """The image's ``metric`` (``size``, the engine's ``Size``; or ``compressed``) is at most ``budget``."""
    __tracebackhide__ = True
    limit = Budget(parse_size(budget) if isinstance(budget, str) else budget, metric)
    breach = limit.breach(image.measure(metric), image.breakdown(), image.levers)
    if breach:
        line, _, levers = breach.partition("\n")
        raise AssertionError(f"{line}: {image.tag}" + (f"\n{levers}" if levers else ""))


def assert_runs_as(container: ScratchContainer, uid: int) -> None:
    """Every process in the container runs as ``uid``."""
    __tracebackhide__ = True
    users = container.process_users()
    others = {pid: user for pid, user in users.items() if user != uid}
    if not users or others:
        found = ", ".join(f"PID {pid} as UID {user}" for pid, user in sorted(others.items())) or "no process"
        raise AssertionError(f"expected every process to run as UID {uid}; found {found}")


def assert_no_shell(image: ScratchImage, container: ScratchContainer | None = None) -> None:
    """No shell in the image's files and, given a running container, none can be started in it."""
    __tracebackhide__ = True
    if image.shells():
        raise AssertionError(f"the image holds shells: {', '.join(image.shells())}")
    if container is not None:
        probe = container.probe_shell()
        if probe.started:
            raise AssertionError(f"{probe.shell} started in the container (exit code 0): {probe.output}")


def assert_stops_gracefully(container: ScratchContainer, within: float = 10.0) -> None:
    """``docker stop`` reaches the app: it exits with code 0 within ``within`` seconds, before any SIGKILL."""
    __tracebackhide__ = True
    seconds, code = container.stop(timeout=within)
    if code != 0 or seconds >= within:
        raise AssertionError(
            f"expected a clean exit within {within:g} s of SIGTERM; the container took {seconds:.2f} s "
            f"and exited with code {code}{' (SIGKILL)' if code == 137 else ''}; the app's log ends:\n"
            + indent_tail(container.logs())
        )
