"""Run by the interpreter that will be frozen, in a fresh process: can it find what the settings name?

Reads a JSON request on stdin, prints one JSON list of problems on stdout, then imports the app, which
fails with the app's own traceback on stderr. Nothing of pytest-scratchimage is imported: this file runs
as a plain script, beside the user's code.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import json
import sys
from typing import Any


def findable(name: str) -> bool:
    """A module or package of that name can be imported (its parents are imported to find it)."""
    if name in sys.modules:  # find_spec refuses modules loaded without a spec (lazy overlay modules)
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def worker_problem(name: str) -> str | None:
    """Why gunicorn could not load the worker class ``name`` (a short name or a dotted path), or None."""
    from gunicorn.workers import SUPPORTED_WORKERS

    if "." not in name and name not in SUPPORTED_WORKERS:
        return f"gunicorn has no worker of that name (it has {', '.join(SUPPORTED_WORKERS)}); or give a dotted path"
    path = str(SUPPORTED_WORKERS.get(name, name))
    module, _, attribute = path.rpartition(".")
    try:
        getattr(importlib.import_module(module), attribute)
    except Exception as error:
        return f"{path} cannot be loaded ({type(error).__name__}: {error})"
    return None


def problems(request: dict[str, Any]) -> list[list[str]]:
    found: list[list[str]] = []
    for setting, names in request["modules"].items():
        found += [[setting, name, "no module of that name can be imported"] for name in names if not findable(name)]
    for name in request["distributions"]:
        try:
            importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            found.append(["scratch_image_copy_metadata", name, "no distribution of that name is installed"])
    worker = worker_problem(request["worker_class"])
    if worker:
        found.append(["scratch_image_worker_class", request["worker_class"], worker])
    return found


def main() -> None:
    request = json.load(sys.stdin)
    sys.path[:0] = request["path"]
    print(json.dumps(problems(request)), flush=True)
    module = importlib.import_module(request["module"])
    getattr(module, request["attribute"])


if __name__ == "__main__":
    main()
