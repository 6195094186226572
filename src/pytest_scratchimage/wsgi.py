"""What is served, as the user names it: the WSGI app, and gunicorn's worker classes.

Loaded with the plugin (the settings name these), so it holds light records only (see plugin.py).
"""

from __future__ import annotations

from typing import NamedTuple

# gunicorn's own short names of its worker classes, and their modules
WORKER_MODULES = {
    "sync": "sync",
    "gthread": "gthread",
    "eventlet": "geventlet",
    "gevent": "ggevent",
    "tornado": "gtornado",
}


class AppSpec(NamedTuple):
    """A WSGI app named ``module:attribute``, or ``module:factory()`` to call a factory."""

    module: str
    attribute: str
    call: bool = False

    def __str__(self) -> str:
        return f"{self.module}:{self.attribute}{'()' if self.call else ''}"
