"""Errors for people: the headline alone, or the headline and the log's tail, indented."""

from __future__ import annotations

import http.client

import docker.errors
import pytest
import requests
import urllib3.exceptions

from pytest_scratchimage.errors import (
    TAIL_LINES,
    EngineLost,
    ScratchImageError,
    engine_call,
    indent_tail,
    root_cause,
    tail,
)


def test_an_error_without_a_log_is_its_headline() -> None:
    error = ScratchImageError("run: it failed")
    assert (str(error), error.headline, error.log) == ("run: it failed", "run: it failed", "")
    assert str(ScratchImageError("run: it failed", "  \n ")) == "run: it failed"


def test_an_error_with_a_log_shows_its_tail_indented() -> None:
    error = ScratchImageError("freeze: PyInstaller exited", "one\ntwo\n")
    assert str(error) == "freeze: PyInstaller exited\n  | one\n  | two"
    assert error.log == "one\ntwo\n"


def test_the_tail_is_the_last_thirty_lines() -> None:
    log = "\n".join(f"line {i}" for i in range(100)) + "\n\n"
    assert TAIL_LINES == 30
    assert tail(log).splitlines() == [f"line {i}" for i in range(70, 100)]
    assert tail(log, 2) == "line 98\nline 99"
    assert indent_tail("a\nb\nc", 2) == "  | b\n  | c"


def _raised(error: BaseException, context: BaseException | None = None) -> BaseException:
    """``error`` as raised while handling ``context``, as requests raises its ConnectionError."""
    try:
        try:
            raise context or error
        except BaseException:
            if context is not None:
                raise error  # noqa: B904
            raise
    except BaseException as raised:
        return raised


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (
            _raised(
                requests.ConnectionError("HTTPConnectionPool(...): Max retries exceeded"),
                urllib3.exceptions.MaxRetryError(
                    None,  # type: ignore[arg-type]
                    "/v1.41/containers/c1/json",
                    urllib3.exceptions.NewConnectionError(None, "Failed to establish: [Errno 111] Connection refused"),  # type: ignore[arg-type]
                ),
            ),
            "Connection refused",
        ),
        (
            requests.ConnectionError(
                urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset"))
            ),
            "Connection reset",
        ),
        (
            requests.ConnectionError(
                urllib3.exceptions.ProtocolError("Connection aborted.", http.client.RemoteDisconnected("Remote end"))
            ),
            "Remote end",
        ),
        (requests.ConnectionError(FileNotFoundError(2, "No such file or directory")), "No such file or directory"),
        (
            requests.ReadTimeout("UnixHTTPConnectionPool(host='localhost', port=None): Read timed out."),
            "Read timed out.",
        ),
    ],
    ids=["refused", "reset", "closed", "no socket", "timeout"],
)
def test_the_reason_is_the_innermost_one(error: BaseException, reason: str) -> None:
    assert root_cause(error) == reason


def test_an_engine_lost_names_where_and_during_what(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    with pytest.raises(EngineLost) as lost, engine_call("the start of a container"):
        raise requests.ConnectionError(ConnectionRefusedError(111, "Connection refused"))
    assert str(lost.value) == (
        "engine: the Docker engine stopped answering at unix:///var/run/docker.sock during the start of a container "
        "(Connection refused); is dockerd running?"
    )
    assert lost.value.lost == str(lost.value).removesuffix("; is dockerd running?")


def test_a_missing_container_is_its_own_line_when_named_and_passes_otherwise() -> None:
    with (
        pytest.raises(ScratchImageError, match=r"^run: the container c1 was removed$"),
        engine_call("x", "run: the container c1 was removed"),
    ):
        raise docker.errors.NotFound("No such container: c1")
    with pytest.raises(docker.errors.NotFound), engine_call("x"):
        raise docker.errors.NotFound("No such container: c1")
    with pytest.raises(ScratchImageError, match=r"^run: its own$"), engine_call("x", "gone"):
        raise ScratchImageError("run: its own")
