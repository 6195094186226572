"""The trims: what each leaves out, and that the build spec carries them."""

from __future__ import annotations

import encodings
import pkgutil
import sys
from pathlib import Path

import pytest

from pytest_scratchimage import trim
from pytest_scratchimage.build import freeze_spec
from pytest_scratchimage.schema import TRIMS
from pytest_scratchimage.settings import resolve


def test_the_tls_trim_leaves_out_openssl_and_ships_the_ssl_stub() -> None:
    assert trim.excludes(("tls",)) == ("ssl", "_ssl", "_hashlib")
    (hook,) = trim.runtime_hooks(("tls",))
    assert hook.is_file()
    compile(hook.read_text(), str(hook), "exec")


def test_the_codecs_trim_keeps_utf8_latin1_and_idna_only() -> None:
    left_out = trim.excludes(("codecs",))
    assert "encodings.shift_jis" in left_out
    assert "encodings.cp1252" in left_out
    assert not {"encodings.utf_8", "encodings.latin_1", "encodings.idna", "encodings.aliases"} & set(left_out)


def test_the_spec_carries_the_trims_and_the_excluded_files(tmp_path: Path) -> None:
    settings = resolve({"app": "a:b", "trim": ["compression", "tls"], "exclude_files": ["*.po"]}, tmp_path)
    spec = freeze_spec(settings, tmp_path / "launcher.py")
    assert {"bz2", "_lzma", "_ssl"} <= set(spec.excludes)
    text = spec.render(tmp_path)
    assert "EXCLUDED_FILES = ['*.po']" in text
    assert "ssl_stub.py" in text
    assert "a.datas = kept(a.datas)" in text


def test_the_ssl_stub_refuses_tls_and_keeps_what_gunicorn_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ssl", sys.modules["ssl"])  # restored after the stub replaces it
    exec(compile((trim.HOOKS / "ssl_stub.py").read_text(), "ssl_stub.py", "exec"), {})
    stub = sys.modules["ssl"]
    assert stub.CERT_NONE == 0
    assert issubclass(stub.SSLError, OSError)
    with pytest.raises(NotImplementedError, match="TLS is not available in this image"):
        stub.create_default_context()


def test_the_ssl_stub_has_every_public_name_of_ssl_and_its_enums_values(monkeypatch: pytest.MonkeyPatch) -> None:
    import ssl
    import types

    monkeypatch.setitem(sys.modules, "ssl", ssl)
    exec(compile((trim.HOOKS / "ssl_stub.py").read_text(), "ssl_stub.py", "exec"), {})
    stub = sys.modules["ssl"]
    public = {name for name, value in vars(ssl).items() if not name.startswith("_")}
    names = {name for name in public if not isinstance(getattr(ssl, name), types.ModuleType)}
    assert sorted(names - set(vars(stub))) == []  # "from ssl import VerifyFlags" (redis-py) works in the image
    for enum in (ssl.VerifyFlags, ssl.VerifyMode, ssl.SSLErrorNumber, ssl.AlertDescription, ssl.TLSVersion):
        assert {n: int(m) for n, m in getattr(stub, enum.__name__).__members__.items()} == {
            n: int(m) for n, m in enum.__members__.items()
        }
    assert stub.VERIFY_X509_STRICT == ssl.VERIFY_X509_STRICT
    assert stub.PROTOCOL_TLS_CLIENT == ssl.PROTOCOL_TLS_CLIENT
    with pytest.raises(NotImplementedError, match="TLS is not available in this image"):
        stub.RAND_bytes(16)


def test_the_codecs_trim_leaves_out_every_codec_but_the_kept_ones() -> None:
    every = {module.name for module in pkgutil.iter_modules(encodings.__path__)}
    kept = {
        "aliases", "utf_8", "utf_8_sig", "latin_1", "ascii", "idna", "raw_unicode_escape", "unicode_escape",
        "utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le", "utf_32_be", "charmap", "cp437",
        "iso8859_1", "base64_codec", "hex_codec", "punycode", "undefined",
    }  # fmt: skip
    assert trim.excludes(("codecs",)) == tuple(sorted(f"encodings.{name}" for name in every - kept))


def test_the_compression_trim_leaves_out_bz2_and_lzma_with_their_extensions() -> None:
    assert trim.excludes(("compression",)) == ("bz2", "_bz2", "lzma", "_lzma")


def test_trims_add_up_in_order_and_only_tls_has_a_runtime_hook() -> None:
    assert trim.excludes(("tls", "compression")) == ("ssl", "_ssl", "_hashlib", "bz2", "_bz2", "lzma", "_lzma")
    assert trim.runtime_hooks(("codecs", "compression")) == ()
    assert trim.excludes(()) == ()


def test_every_trim_the_settings_accept_is_a_lever() -> None:
    assert tuple(trim.LEVERS) == TRIMS
