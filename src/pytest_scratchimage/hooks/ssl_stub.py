# PyInstaller runtime hook of the "tls" trim (scratch_image_trim): a TLS-less stand-in for the stdlib
# ssl module, excluded with _ssl, _hashlib and so OpenSSL. gunicorn imports ssl unconditionally and
# reads a few names at import time, as do clients (redis-py's VerifyFlags): the stub has every public name of
# ssl, its enums and constants with ssl's own values; plain HTTP never calls into it. Anything that tries TLS gets
# a clear error.
import enum as _enum
import sys as _sys
import types as _types
from collections import namedtuple
from socket import SO_TYPE, SOCK_STREAM, SOL_SOCKET, create_connection, socket
from socket import error as socket_error

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


class MemoryBIO(SSLSocket):
    pass


class SSLSession(SSLSocket):
    pass


DefaultVerifyPaths = namedtuple(
    "DefaultVerifyPaths", "cafile capath openssl_cafile_env openssl_cafile openssl_capath_env openssl_capath"
)


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


_Protocol = _enum.IntEnum(
    "_SSLMethod",
    {
        "PROTOCOL_TLS": 2, "PROTOCOL_TLSv1": 3, "PROTOCOL_TLSv1_1": 4, "PROTOCOL_TLSv1_2": 5,
        "PROTOCOL_TLS_CLIENT": 16, "PROTOCOL_TLS_SERVER": 17,
    },
)  # fmt: skip
_VerifyMode = _enum.IntEnum("VerifyMode", {"CERT_NONE": 0, "CERT_OPTIONAL": 1, "CERT_REQUIRED": 2})
# ssl's enums of plain numbers (OpenSSL's constants), each member also a name of the module, as in ssl
_ENUMS = (
    _enum.IntFlag(
        "Options",
        {
            "OP_NO_SSLv2": 0, "OP_SINGLE_DH_USE": 0, "OP_SINGLE_ECDH_USE": 0, "OP_LEGACY_SERVER_CONNECT": 4,
            "OP_ENABLE_KTLS": 8, "OP_IGNORE_UNEXPECTED_EOF": 128, "OP_NO_TICKET": 16384, "OP_NO_COMPRESSION": 131072,
            "OP_ENABLE_MIDDLEBOX_COMPAT": 1048576, "OP_CIPHER_SERVER_PREFERENCE": 4194304, "OP_NO_SSLv3": 33554432,
            "OP_NO_TLSv1": 67108864, "OP_NO_TLSv1_2": 134217728, "OP_NO_TLSv1_1": 268435456,
            "OP_NO_TLSv1_3": 536870912, "OP_NO_RENEGOTIATION": 1073741824, "OP_ALL": 2147483728,
        },
    ),
    _enum.IntFlag(
        "VerifyFlags",
        {
            "VERIFY_DEFAULT": 0, "VERIFY_CRL_CHECK_LEAF": 4, "VERIFY_CRL_CHECK_CHAIN": 12, "VERIFY_X509_STRICT": 32,
            "VERIFY_ALLOW_PROXY_CERTS": 64, "VERIFY_X509_TRUSTED_FIRST": 32768, "VERIFY_X509_PARTIAL_CHAIN": 524288,
        },
    ),
    _enum.IntEnum(
        "SSLErrorNumber",
        {
            "SSL_ERROR_SSL": 1, "SSL_ERROR_WANT_READ": 2, "SSL_ERROR_WANT_WRITE": 3, "SSL_ERROR_WANT_X509_LOOKUP": 4,
            "SSL_ERROR_SYSCALL": 5, "SSL_ERROR_ZERO_RETURN": 6, "SSL_ERROR_WANT_CONNECT": 7, "SSL_ERROR_EOF": 8,
            "SSL_ERROR_INVALID_ERROR_CODE": 10,
        },
    ),
    _enum.IntEnum(
        "AlertDescription",
        {
            f"ALERT_DESCRIPTION_{name}": number
            for name, number in {
                "CLOSE_NOTIFY": 0, "UNEXPECTED_MESSAGE": 10, "BAD_RECORD_MAC": 20, "RECORD_OVERFLOW": 22,
                "DECOMPRESSION_FAILURE": 30, "HANDSHAKE_FAILURE": 40, "BAD_CERTIFICATE": 42,
                "UNSUPPORTED_CERTIFICATE": 43, "CERTIFICATE_REVOKED": 44, "CERTIFICATE_EXPIRED": 45,
                "CERTIFICATE_UNKNOWN": 46, "ILLEGAL_PARAMETER": 47, "UNKNOWN_CA": 48, "ACCESS_DENIED": 49,
                "DECODE_ERROR": 50, "DECRYPT_ERROR": 51, "PROTOCOL_VERSION": 70, "INSUFFICIENT_SECURITY": 71,
                "INTERNAL_ERROR": 80, "USER_CANCELLED": 90, "NO_RENEGOTIATION": 100, "UNSUPPORTED_EXTENSION": 110,
                "CERTIFICATE_UNOBTAINABLE": 111, "UNRECOGNIZED_NAME": 112, "BAD_CERTIFICATE_STATUS_RESPONSE": 113,
                "BAD_CERTIFICATE_HASH_VALUE": 114, "UNKNOWN_PSK_IDENTITY": 115,
            }.items()
        },
    ),
)  # fmt: skip

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
    PROTOCOL_SSLv23=_Protocol.PROTOCOL_TLS,
    **{member.name: member for member in _Protocol},
    **{enum.__name__: enum for enum in _ENUMS},
    **{name: member for enum in _ENUMS for name, member in enum.__members__.items()},
    **dict.fromkeys(("HAS_SNI", "HAS_ALPN", "HAS_ECDH", "HAS_NPN", "HAS_PSK", "HAS_NEVER_CHECK_COMMON_NAME"), False),
    **dict.fromkeys(("HAS_SSLv2", "HAS_SSLv3", "HAS_TLSv1", "HAS_TLSv1_1", "HAS_TLSv1_2", "HAS_TLSv1_3"), False),
    OPENSSL_VERSION="none (ssl stub)",
    OPENSSL_VERSION_INFO=(0, 0, 0, 0, 0),
    OPENSSL_VERSION_NUMBER=0,
    PEM_HEADER="-----BEGIN CERTIFICATE-----",
    PEM_FOOTER="-----END CERTIFICATE-----",
    CHANNEL_BINDING_TYPES=[],
    MemoryBIO=MemoryBIO,
    SSLSession=SSLSession,
    DefaultVerifyPaths=DefaultVerifyPaths,
    namedtuple=namedtuple,
    socket=socket,
    socket_error=socket_error,
    create_connection=create_connection,
    SOCK_STREAM=SOCK_STREAM,
    SOL_SOCKET=SOL_SOCKET,
    SO_TYPE=SO_TYPE,
    create_default_context=_unavailable,
    _create_default_https_context=_unavailable,
    _create_unverified_context=_unavailable,
    wrap_socket=_unavailable,
    get_server_certificate=_unavailable,
    DER_cert_to_PEM_cert=_unavailable,
    PEM_cert_to_DER_cert=_unavailable,
    get_default_verify_paths=_unavailable,
    **dict.fromkeys(("RAND_add", "RAND_bytes", "RAND_status", "RAND_pseudo_bytes"), _unavailable),
    **dict.fromkeys(("cert_time_to_seconds", "get_protocol_name", "match_hostname"), _unavailable),
)
for _key, _value in _names.items():
    setattr(_ssl, _key, _value)


def __getattr__(name):  # an unknown name: fail like a missing attribute, with the reason
    raise AttributeError(f"module 'ssl' has no attribute {name!r} ({_MESSAGE})")


_ssl.__getattr__ = __getattr__
_sys.modules["ssl"] = _ssl
del _key, _value, _names
