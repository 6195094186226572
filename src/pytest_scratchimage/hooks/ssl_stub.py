# PyInstaller runtime hook of the "tls" trim (scratch_image_trim): a TLS-less stand-in for the stdlib
# ssl module, excluded with _ssl, _hashlib and so OpenSSL. gunicorn imports ssl unconditionally and
# reads a few names at import time; plain HTTP never calls into it. Anything that tries TLS gets a clear error.
import enum as _enum
import sys as _sys
import types as _types

_ssl = _types.ModuleType("ssl", "TLS is not available in this image (stub ssl module, no OpenSSL).")
_ssl.__file__ = "<ssl stub>"
_ssl.__pyinstaller_ssl_stub__ = True
_MESSAGE = "TLS is not available in this image: the ssl module is a stub (OpenSSL was left out)"


class SSLError(OSError):
    pass


class SSLZeroReturnError(SSLError):
    pass


class SSLWantReadError(SSLError):
    pass


class SSLWantWriteError(SSLError):
    pass


class SSLSyscallError(SSLError):
    pass


class SSLEOFError(SSLError):
    pass


class SSLCertVerificationError(SSLError, ValueError):
    pass


def _unavailable(*args, **kwargs):
    raise NotImplementedError(_MESSAGE)


class SSLContext:
    def __new__(cls, *args, **kwargs):
        _unavailable()


class SSLSocket:  # never instantiated; isinstance() checks answer False
    def __new__(cls, *args, **kwargs):
        _unavailable()


class SSLObject(SSLSocket):
    pass


class Purpose(_enum.Enum):
    SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
    CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"


class TLSVersion(_enum.IntEnum):
    MINIMUM_SUPPORTED = -2
    MAXIMUM_SUPPORTED = -1
    SSLv3 = 768
    TLSv1 = 769
    TLSv1_1 = 770
    TLSv1_2 = 771
    TLSv1_3 = 772


_Protocol = _enum.IntEnum("_SSLMethod", {"PROTOCOL_SSLv23": 2, "PROTOCOL_TLS_CLIENT": 16, "PROTOCOL_TLS_SERVER": 17})
_VerifyMode = _enum.IntEnum("VerifyMode", {"CERT_NONE": 0, "CERT_OPTIONAL": 1, "CERT_REQUIRED": 2})

_names = dict(
    SSLError=SSLError,
    SSLZeroReturnError=SSLZeroReturnError,
    SSLWantReadError=SSLWantReadError,
    SSLWantWriteError=SSLWantWriteError,
    SSLSyscallError=SSLSyscallError,
    SSLEOFError=SSLEOFError,
    SSLCertVerificationError=SSLCertVerificationError,
    CertificateError=SSLCertVerificationError,
    SSLContext=SSLContext,
    SSLSocket=SSLSocket,
    SSLObject=SSLObject,
    Purpose=Purpose,
    TLSVersion=TLSVersion,
    VerifyMode=_VerifyMode,
    CERT_NONE=_VerifyMode.CERT_NONE,
    CERT_OPTIONAL=_VerifyMode.CERT_OPTIONAL,
    CERT_REQUIRED=_VerifyMode.CERT_REQUIRED,
    PROTOCOL_SSLv23=_Protocol.PROTOCOL_SSLv23,
    PROTOCOL_TLS=_Protocol.PROTOCOL_SSLv23,
    PROTOCOL_TLS_CLIENT=_Protocol.PROTOCOL_TLS_CLIENT,
    PROTOCOL_TLS_SERVER=_Protocol.PROTOCOL_TLS_SERVER,
    SSL_ERROR_ZERO_RETURN=6,
    SSL_ERROR_WANT_READ=2,
    SSL_ERROR_WANT_WRITE=3,
    SSL_ERROR_WANT_X509_LOOKUP=4,
    SSL_ERROR_SYSCALL=5,
    SSL_ERROR_SSL=1,
    SSL_ERROR_WANT_CONNECT=7,
    SSL_ERROR_EOF=8,
    SSL_ERROR_INVALID_ERROR_CODE=10,
    HAS_SNI=False,
    HAS_ALPN=False,
    HAS_ECDH=False,
    HAS_NPN=False,
    HAS_TLSv1_3=False,
    HAS_NEVER_CHECK_COMMON_NAME=False,
    OPENSSL_VERSION="none (ssl stub)",
    OPENSSL_VERSION_INFO=(0, 0, 0, 0, 0),
    OPENSSL_VERSION_NUMBER=0,
    create_default_context=_unavailable,
    _create_default_https_context=_unavailable,
    _create_unverified_context=_unavailable,
    wrap_socket=_unavailable,
    get_server_certificate=_unavailable,
    DER_cert_to_PEM_cert=_unavailable,
    PEM_cert_to_DER_cert=_unavailable,
    get_default_verify_paths=_unavailable,
)
for _key, _value in _names.items():
    setattr(_ssl, _key, _value)


def __getattr__(name):  # an unknown name: fail like a missing attribute, with the reason
    raise AttributeError(f"module 'ssl' has no attribute {name!r} ({_MESSAGE})")


_ssl.__getattr__ = __getattr__
_sys.modules["ssl"] = _ssl
del _key, _value, _names
