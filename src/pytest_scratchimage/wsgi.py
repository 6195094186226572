"""What is served, as the user names it: the WSGI or ASGI app (the check on the host tells which).

Loaded with the plugin (the settings name these), so it holds light records only (see plugin.py).
"""

from __future__ import annotations

from typing import NamedTuple


class AppSpec(NamedTuple):
    """An app named ``module:attribute``, or ``module:factory()`` to call a factory."""

    module: str
    attribute: str
    call: bool = False

    def __str__(self) -> str:
        return f"{self.module}:{self.attribute}{'()' if self.call else ''}"
