"""Greets whoever asks, with a banner made of this very docstring.

Built at import, as PLY, docopt and many command-line tools do: under ``-OO`` ``__doc__`` is None and
the import fails with a TypeError, while ``-O`` (asserts only) leaves it alone.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import Any

BANNER = "banner: " + __doc__


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    body = f"{BANNER.splitlines()[0]} (optimize {sys.flags.optimize})\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
