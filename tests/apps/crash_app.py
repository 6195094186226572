"""A plain WSGI app that answers once, then crashes whole, as a segfault or the OOM killer ends an app.

With ``CRASH_AFTER_FIRST`` set, its second request kills gunicorn's arbiter (SIGKILL: no shutdown, no restart of
the worker) and the worker itself; the marker of the first answer is in /tmp, shared by the workers. Without it,
as on the host that builds the image, it answers every request.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterable
from typing import Any

MARKER = "/tmp/crash-app-answered"


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if os.environ.get("CRASH_AFTER_FIRST"):
        try:
            os.close(os.open(MARKER, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            os.kill(os.getppid(), signal.SIGKILL)
            os._exit(70)
    body = b"answered\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
