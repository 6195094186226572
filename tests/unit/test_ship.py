"""What a red session says of what it was asked to keep."""

from __future__ import annotations

from pathlib import Path

from pytest_scratchimage.ship import not_kept


def test_a_red_session_names_what_it_did_not_keep_and_why() -> None:
    assert not_kept("app:tested", Path("out/app.tar"), "the session failed") == [
        "not tagged app:tested: the session failed",
        "not saved to out/app.tar: the session failed",
    ]
    assert not_kept(None, Path("a.tar"), "why") == ["not saved to a.tar: why"]
    assert not_kept("a:b", None, "why") == ["not tagged a:b: why"]
    assert not_kept(None, None, "why") == []
