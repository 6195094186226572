"""pypiserver, the minimal package index, as a WSGI app: the packages in PYPI_ROOT (default
/tmp/packages, made if missing: /tmp is the one writable place of a hardened image), no authentication.

pypiserver (on Bottle) imports one of its modules by a name it computes, renders its welcome page
from a template file in its package on request, and reads its own version through importlib.metadata.
"""

from __future__ import annotations

import os
from typing import Any

import pypiserver


def create() -> Any:
    root = os.environ.get("PYPI_ROOT", "/tmp/packages")
    os.makedirs(root, exist_ok=True)
    return pypiserver.app(roots=[root], authenticate=[], password_file=".")
