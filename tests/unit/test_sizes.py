"""Sizes as people write them in the budget: decimal units by default, binary ones when asked."""

from __future__ import annotations

import pytest

from pytest_scratchimage.sizes import METRICS, format_size, parse_size


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("9MB", 9_000_000),
        ("8.5MB", 8_500_000),
        ("9000KB", 9_000_000),
        ("1GB", 1_000_000_000),
        ("1KiB", 1024),
        ("8MiB", 8 * 1024**2),
        ("1GiB", 1024**3),
        ("9000000", 9_000_000),
        ("512B", 512),
        ("9mb", 9_000_000),
        ("9 MB", 9_000_000),
        ("  9MB\n", 9_000_000),
        ("1.25kib", 1280),
        ("1", 1),
        ("0.001KB", 1),
    ],
)
def test_parse_size_accepts(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(
    "text", ["nine", "-3MB", "0", "0MB", "", "   ", "9XB", "MB", "9 M B", "1.5.2MB", "0.0000001MB"]
)
def test_parse_size_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="is not"):
        parse_size(text)


def test_parse_size_error_names_the_accepted_form() -> None:
    with pytest.raises(ValueError, match=r"'9XB' is not a size such as 9MB"):
        parse_size("9XB")


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (999_499, "999.50 KB"),
        (999_500, "1.00 MB"),
        (1000, "1.00 KB"),
        (400_000, "400.00 KB"),
        (8_123_456, "8.12 MB"),
        (9_000_000, "9.00 MB"),
        (1_500_000_000, "1.50 GB"),
        (-400_000, "-400.00 KB"),
    ],
)
def test_format_size_uses_decimal_units(size: int, text: str) -> None:
    assert format_size(size) == text


@pytest.mark.parametrize("text", ["9MB", "8.5MB", "123KB", "2GB"])
def test_format_size_reads_back_as_the_budget_was_written(text: str) -> None:
    assert parse_size(format_size(parse_size(text)).replace(" ", "")) == parse_size(text)


def test_a_budget_limits_the_size_or_the_compressed_size() -> None:
    assert METRICS == ("size", "compressed")
