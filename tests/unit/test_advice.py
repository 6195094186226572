"""The advisor: which levers, how safe by the record, in which order, and when even all do not fit."""

from __future__ import annotations

from collections.abc import Sequence

from pytest_scratchimage.advice import TEXT_DATA, Lever, advise, fitting, levers
from pytest_scratchimage.breakdown import Entry
from pytest_scratchimage.budget import Budget
from pytest_scratchimage.record import Record

KB = 1000


def entry(group: tuple[str, str], size: int, name: str, kind: str, used: bool = True) -> Entry:
    return Entry(group, b"x" * size, used, name, kind)


ENTRIES = [
    entry(("stdlib", "ssl"), 100 * KB, "ssl", "module"),
    entry(("stdlib", "_ssl"), 200 * KB, "lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so", "binary"),
    entry(("library", "libcrypto"), 1500 * KB, "libcrypto.so.3", "binary"),
    entry(("stdlib", "encodings"), 30 * KB, "encodings.utf_8", "module"),
    entry(("stdlib", "encodings"), 70 * KB, "encodings.cp1252", "module", used=False),
    entry(("stdlib", "_codecs_jp"), 200 * KB, "lib-dynload/_codecs_jp.cpython-311-x86_64-linux-gnu.so", "binary"),
    entry(("stdlib", "lzma"), 20 * KB, "lzma", "module", used=False),
    entry(("library", "liblzma"), 180 * KB, "liblzma.so.5", "binary", used=False),
    entry(("package", "django"), 600 * KB, "django/conf/locale/de/LC_MESSAGES/django.mo", "data", used=False),
    entry(("package", "django"), 900 * KB, "django/contrib/admin/locale/fr/LC_MESSAGES/django.mo", "data", used=False),
    entry(("package", "django"), 300 * KB, "django/contrib/admin/static/admin/css/base.css", "data"),
    entry(("package", "django"), 400 * KB, "django.db.backends.oracle", "module", used=False),
    entry(("library", "libpython"), 3000 * KB, "libpython3.11.so.1.0", "binary"),
]


def weigh(entries: Sequence[Entry]) -> int:
    """Stored bytes: the advisor takes the breakdown's weighing as given."""
    return sum(len(e.data) for e in entries)


def quiet() -> Record:
    """A record that loaded ssl (gunicorn does) but opened no TLS connection, and used no dropped codec."""
    return Record(modules={"ssl": "/py/ssl.py", "encodings.utf_8": "/py/encodings/utf_8.py"})


def by_setting(found: list[Lever]) -> dict[str, Lever]:
    return {lever.setting: lever for lever in found}


def test_every_unpulled_lever_is_weighed_and_the_safe_ones_come_first_largest_first() -> None:
    found = levers(ENTRIES, weigh, quiet(), trim=())
    assert [lever.setting for lever in found] == [
        'add "tls" to scratch_image_trim',
        'add "django/*.mo" to scratch_image_exclude_files',
        'add "codecs" to scratch_image_trim',
        'add "compression" to scratch_image_trim',
        'add "unused" to scratch_image_trim',
    ]
    assert [lever.safe for lever in found] == [True, True, True, True, False]
    assert found[0].saving == 1800 * KB  # ssl, _ssl and OpenSSL
    assert found[1].saving == 1500 * KB * TEXT_DATA  # both folders' .mo files; the used .css keeps its pattern out
    assert found[2].saving == 270 * KB  # cp1252 and the CJK extension, not utf_8
    # what the earlier levers leave out is not counted again: cp1252 and lzma are unused too
    assert found[4].saving == 400 * KB


def test_a_trim_already_on_and_an_excluded_pattern_are_not_offered_again() -> None:
    found = by_setting(levers(ENTRIES, weigh, quiet(), trim=("tls", "unused"), exclude_files=("django/conf/*",)))
    assert 'add "tls" to scratch_image_trim' not in found
    assert 'add "unused" to scratch_image_trim' not in found
    assert found['add "django/*.mo" to scratch_image_exclude_files'].saving == 900 * KB * TEXT_DATA  # not de


def test_tls_is_a_risk_where_a_recorded_run_opened_tls_or_loaded_an_https_client() -> None:
    opened = Record(modules={"ssl": ""}, tls=frozenset({"client api.example.org"}))
    lever = by_setting(levers(ENTRIES, weigh, opened, ()))['add "tls" to scratch_image_trim']
    assert not lever.safe
    assert "opened a TLS connection (client api.example.org)" in lever.why
    client = Record(modules={"ssl": "", "urllib3": "/site/urllib3/__init__.py"})
    lever = by_setting(levers(ENTRIES, weigh, client, ()))['add "tls" to scratch_image_trim']
    assert not lever.safe
    assert "urllib3 is loaded" in lever.why
    hashing = Record(modules={"ssl": "", "django.contrib.auth.hashers": "/site/django/contrib/auth/hashers.py"})
    lever = by_setting(levers(ENTRIES, weigh, hashing, ()))['add "tls" to scratch_image_trim']
    assert not lever.safe
    assert "pbkdf2_hmac needs OpenSSL" in lever.why


def test_a_used_codec_or_lzma_makes_its_trim_a_risk_and_no_record_makes_every_trim_one() -> None:
    record = Record(modules={"encodings.cp1252": "", "lzma": ""})
    found = by_setting(levers(ENTRIES, weigh, record, ("unused",)))  # else it takes lzma first, as a risk too
    assert not found['add "codecs" to scratch_image_trim'].safe
    assert "used encodings.cp1252" in found['add "codecs" to scratch_image_trim'].why
    assert not found['add "compression" to scratch_image_trim'].safe
    blind = by_setting(levers(ENTRIES, weigh, None, ()))
    assert 'add "unused" to scratch_image_trim' not in blind  # the trim needs a record
    assert not blind['add "tls" to scratch_image_trim'].safe


def test_small_exclude_patterns_are_left_out() -> None:
    tiny = [entry(("package", "shop"), 10 * KB, "shop/locale/de.mo", "data", used=False)]
    assert levers(tiny, weigh, quiet(), ("tls", "codecs", "compression", "unused")) == []


LEVERS = [
    Lever('add "tls" to scratch_image_trim', 1_700_000, True, "safe by the record: no TLS"),
    Lever('add "django/*.mo" to scratch_image_exclude_files', 1_500_000, True, "safe by the record: none opened"),
    Lever('add "unused" to scratch_image_trim', 2_000_000, False, "only what the probes reached was recorded"),
]


def test_the_advice_names_the_first_levers_that_fit_with_each_resulting_size() -> None:
    assert fitting(LEVERS, 13_000_000, 10_000_000) == 2
    assert fitting(LEVERS, 13_000_000, 11_300_000) == 1
    lines = advise(LEVERS, 13_000_000, 10_000_000)
    assert lines == [
        "  the first 2 levers fit it (estimated from the breakdown):",
        '  1. add "tls" to scratch_image_trim: -1.70 MB → 11.30 MB; safe by the record: no TLS',
        '  2. add "django/*.mo" to scratch_image_exclude_files: -1.50 MB → 9.80 MB; safe by the record: none opened',
    ]


def test_the_advice_says_when_even_every_lever_does_not_fit() -> None:
    assert fitting(LEVERS, 20_000_000, 10_000_000) is None
    lines = advise(LEVERS, 20_000_000, 10_000_000)
    assert lines[0].startswith("  even every lever does not fit it: together they save about 5.20 MB, to 14.80 MB")
    assert lines[3] == (
        '  3. add "unused" to scratch_image_trim: -2.00 MB → 14.80 MB; risk: only what the probes reached was recorded'
    )


def test_a_breach_is_one_line_then_its_levers_and_a_warning_prescribes_for_its_level() -> None:
    budget = Budget(10_000_000, warn=9_000_000)
    first, *rest = (budget.breach(13_000_000, (), LEVERS) or "").splitlines()
    assert first.startswith("image 13.00 MB (13,000,000 bytes) > budget 10.00 MB")
    assert rest == advise(LEVERS, 13_000_000, 10_000_000)
    warning = budget.warning(9_500_000, LEVERS) or ""
    assert warning.splitlines()[1:] == advise(LEVERS, 9_500_000, 9_000_000)
    assert budget.breach(13_000_000) is not None
    assert "\n" not in (budget.breach(13_000_000) or "")  # no levers known: the one line alone


DRIVERS = [  # PyInstaller's Django hook takes every backend, and so the drivers installed beside Django
    entry(("package", "psycopg"), 300 * KB, "psycopg.connection", "module", used=False),
    entry(("package", "psycopg_binary"), 250 * KB, "psycopg_binary/_psycopg.cpython-311-x86_64-linux-gnu.so", "binary",
          used=False),
    entry(("library", "libcrypto-3a0647ea"), 1400 * KB, "psycopg_binary.libs/libcrypto-3a0647ea.so.3", "binary",
          used=False),
    entry(("package", "psycopg_binary"), 10 * KB, "psycopg_binary.pq", "module", used=False),
    entry(("package", "redis"), 40 * KB, "redis.client", "module", used=False),  # under MIN_SAVING: no line
    entry(("package", "falcon"), 200 * KB, "falcon.app", "module"),
    entry(("package", "falcon"), 300 * KB, "falcon.asgi", "module", used=False),  # used in part: not offered
    entry(("library", "libcrypto-9f"), 900 * KB, "other.libs/libcrypto-9f.so.3", "binary", used=False),  # no modules
]  # fmt: skip


def test_a_package_no_recorded_run_used_is_offered_whole_with_the_libraries_its_wheel_bundles() -> None:
    found = by_setting(levers([*ENTRIES, *DRIVERS], weigh, quiet(), trim=("tls", "codecs", "compression")))
    binary = found['add "psycopg_binary" to scratch_image_excludes']
    assert (binary.saving, binary.safe) == (1660 * KB, True)  # its extension, its module, its OpenSSL
    assert binary.why == "safe by the record: no recorded run imported any of its 1 modules"
    assert found['add "psycopg" to scratch_image_excludes'].saving == 300 * KB
    offered = [setting for setting in found if setting.endswith("scratch_image_excludes")]
    assert offered == ['add "psycopg_binary" to scratch_image_excludes', 'add "psycopg" to scratch_image_excludes']


def test_without_a_record_no_package_is_offered() -> None:
    found = levers([*ENTRIES, *DRIVERS], weigh, None, trim=("tls", "codecs", "compression"))
    assert not [lever for lever in found if lever.setting.endswith("scratch_image_excludes")]
