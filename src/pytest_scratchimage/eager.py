"""What a module imports when it is imported: every branch of its top level, for the ``unused`` trim.

A frozen app may take another branch at import than the recorded run took on the host. anyio imports
its submodules lazily when it can read its own source (``inspect.getsource``), as on the host, and all
at once when it cannot, as in PyInstaller's archive: a trim that left out what the record never saw
loaded broke its import. So the trim keeps whatever the used modules import at their top level, in
any branch (``try``, ``if``, a class body), and what those import in turn; only imports inside functions,
and those under a bare ``if TYPE_CHECKING:``, are left to the record. Source is read, nothing imported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path


def top_level_imports(source: str, package: str) -> set[str]:
    """The modules a module's top level may import (``from a import b`` gives ``a`` and ``a.b``);
    ``package`` resolves relative imports."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    found: set[str] = set()
    for node in _executed_at_import(tree.body):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module, node.level, package)
            if base:
                found.add(base)
                found |= {f"{base}.{alias.name}" for alias in node.names if alias.name != "*"}
    return found


def _executed_at_import(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    for node in body:
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _executed_at_import(node.orelse)
        elif isinstance(node, ast.If | ast.While | ast.For):
            yield from _executed_at_import([*node.body, *node.orelse])
        elif isinstance(node, ast.Try):
            blocks = [*node.body, *node.orelse, *node.finalbody, *(s for h in node.handlers for s in h.body)]
            yield from _executed_at_import(blocks)
        elif isinstance(node, ast.With | ast.ClassDef):
            yield from _executed_at_import(node.body)


def _is_type_checking(test: ast.expr) -> bool:
    """``if TYPE_CHECKING:`` or ``if typing.TYPE_CHECKING:``, alone: true for type checkers only."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _absolute(module: str | None, level: int, package: str) -> str | None:
    if not level:
        return module
    parts = package.split(".") if package else []
    if level - 1 >= len(parts):  # beyond the top-level package: Python refuses it
        return None
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, module] if module else base) or None


def source_of(name: str, roots: Iterable[str]) -> Path | None:
    """The source file of module ``name`` under one of ``roots``, by its path alone."""
    relative = Path(*name.split("."))
    for root in roots:
        for candidate in (Path(root) / relative / "__init__.py", Path(root) / relative.with_suffix(".py")):
            if candidate.is_file():
                return candidate
    return None


def eager_imports(loaded: Mapping[str, str], roots: Iterable[str], stdlib: Iterable[str] = ()) -> set[str]:
    """Every module the loaded ones under ``roots`` (name → file) import at their top level, in any branch,
    and so on through what those import: found on disk or not, so an extension module (anyio's
    ``_interpqueues`` on 3.13) or a module of the standard library counts as well as a package's source.
    The sources followed are those under ``roots`` and, for the modules the record did not see loaded,
    under ``stdlib``: a module the frozen app will import for the first time imports what it imports."""
    roots = list(roots)
    searched = [*roots, *stdlib]
    pending = [(name, Path(f)) for name, f in loaded.items() if f.endswith(".py") and _within(f, roots)]
    seen, found = {name for name, _ in pending}, set()
    while pending:
        name, path = pending.pop()
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for imported in top_level_imports(path.read_text(errors="replace"), package):
            if imported in seen:
                continue
            seen.add(imported)
            found.add(imported)
            source = None if imported in loaded else source_of(imported, searched)
            if source is not None:
                pending.append((imported, source))
    return found


def _within(path: str, roots: list[str]) -> bool:
    return any(path.startswith(root.rstrip("/") + "/") for root in roots)
