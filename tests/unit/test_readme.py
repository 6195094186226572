"""The README's reference tables are the schema's: every setting and option, in order, with its default."""

from __future__ import annotations

import re
from pathlib import Path

from pytest_scratchimage.options import FLAGS
from pytest_scratchimage.schema import SCHEMA

README = (Path(__file__).parents[2] / "README.md").read_text()


def table(header: str) -> list[list[str]]:
    """The cells of the README table whose header row starts with ``header``."""
    lines = README[README.index(header) :].splitlines()[2:]
    rows = [line for line in lines[: next(i for i, line in enumerate(lines) if not line.startswith("|"))]]
    return [[cell.strip() for cell in row.strip().strip("|").split("|")] for row in rows]


def test_the_settings_table_is_the_schema() -> None:
    rows = table("| ini option | default | meaning |")
    assert [row[0] for row in rows] == [f"`{setting.ini}`" for setting in SCHEMA]
    shown = [re.sub(r"`", "", row[1]) for row in rows]
    assert shown == [setting.shown_default if setting.shown_default != "none" else "" for setting in SCHEMA]


def test_the_options_table_is_every_flag_and_every_twin_of_a_setting() -> None:
    rows = table("| command-line option | meaning |")
    twins = [setting for setting in SCHEMA if setting.flag]
    assert [row[0].strip("`").split()[0] for row in rows] == [flag.option for flag in FLAGS] + [s.option for s in twins]
    shown = [row[0].strip("`") for row in rows[len(FLAGS) :]]
    assert shown == [f"{setting.option} {setting.flag}" for setting in twins]
    assert all(f"`{setting.ini}`" in row[1] for setting, row in zip(twins, rows[len(FLAGS) :], strict=True))
