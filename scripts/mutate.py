"""Mutation testing of the pure modules: does each small change of the code make a unit test fail?

For each module it makes every mutant (a comparison flipped, a constant moved, a condition negated, a
``raise`` dropped, an operator swapped, an element left out of a literal collection, ``and``/``or``
swapped), runs that module's unit tests against a copy of the package holding the mutant, and counts
the mutants some test killed. Prints the survivors (file, line, change) and each module's score; exits
1 when a module scores under ``--min``.

    python scripts/mutate.py                    # every module below, 90 % each
    python scripts/mutate.py settings sizes     # some of them
    python scripts/mutate.py --jobs 2 --min 90

A line that carries ``# mutation: equivalent`` is not mutated: say on it why no test can tell.
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "pytest_scratchimage"
EQUIVALENT = "# mutation: equivalent"

# module → the unit tests that exercise it (a mutant must make one of them fail)
MODULES = {
    "sizes": ["tests/unit/test_sizes.py"],
    "budget": ["tests/unit/test_budget.py", "tests/unit/test_assertions.py"],
    "markers": ["tests/unit/test_markers.py"],
    "schema": ["tests/unit/test_settings.py", "tests/unit/test_readme.py", "tests/plugin/test_help.py"],
    "settings": ["tests/unit/test_settings.py"],
    "options": ["tests/unit/test_options.py", "tests/unit/test_readme.py", "tests/plugin/test_help.py"],
    "report": ["tests/unit/test_report.py"],
    "diff": ["tests/unit/test_diff.py", "tests/unit/test_report.py"],
    "audit": ["tests/unit/test_audit.py"],
    "treemap": ["tests/unit/test_treemap.py", "tests/unit/test_htmlreport.py"],
    "htmlreport": ["tests/unit/test_htmlreport.py"],
    "stepsummary": ["tests/unit/test_stepsummary.py"],
    "trim": ["tests/unit/test_trim.py"],
    "diagnose": ["tests/unit/test_diagnose.py"],
    "launcher": ["tests/unit/test_launcher.py", "tests/unit/test_freeze.py"],
    "wsgi": ["tests/unit/test_launcher.py", "tests/unit/test_settings.py"],
    "errors": ["tests/unit/test_errors.py"],
    "record": ["tests/unit/test_record.py", "tests/unit/test_breakdown.py"],
    "breakdown": ["tests/unit/test_breakdown.py", "tests/unit/test_breakdown_readers.py"],
    "eager": ["tests/unit/test_eager.py", "tests/unit/test_record.py"],
    "retention": ["tests/unit/test_retention.py"],
}
SWAPS: dict[type[ast.AST], type[ast.AST]] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Mult,
    ast.And: ast.Or, ast.Or: ast.And,
}  # fmt: skip


@dataclass(frozen=True)
class Mutant:
    module: str
    line: int
    change: str
    source: str


def skipped_lines(source: str) -> set[int]:
    return {number for number, line in enumerate(source.splitlines(), 1) if EQUIVALENT in line}


def docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings: changing them changes no behaviour."""
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.add(id(value))
    return found


def changes(node: ast.AST, skip: set[int]) -> Iterator[tuple[str, ast.AST | None]]:
    """(description, replacement) for each mutation of ``node`` itself; None removes a statement."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in SWAPS:
                other = copy.deepcopy(node)
                other.ops[i] = SWAPS[type(op)]()
                yield f"{type(op).__name__} → {SWAPS[type(op)].__name__}", other
    elif isinstance(node, ast.BinOp | ast.BoolOp) and type(node.op) in SWAPS:
        other = copy.deepcopy(node)
        other.op = SWAPS[type(node.op)]()
        yield f"{type(node.op).__name__} → {SWAPS[type(node.op)].__name__}", other
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "not dropped", node.operand
    elif isinstance(node, ast.Constant) and id(node) not in skip:
        value = node.value
        if isinstance(value, bool):
            yield f"{value} → {not value}", ast.Constant(not value)
        elif isinstance(value, int | float):
            yield f"{value} → {value + 1}", ast.Constant(value + 1)
        elif isinstance(value, str) and value:
            yield f"{value[:20]!r} → 'XX…'", ast.Constant("XX" + value)
    elif isinstance(node, ast.Raise):
        yield "raise dropped", None
    elif isinstance(node, ast.If | ast.While | ast.IfExp):
        negated = copy.deepcopy(node)
        negated.test = ast.UnaryOp(ast.Not(), node.test)
        yield "condition negated", negated
    elif isinstance(node, ast.Set | ast.Tuple | ast.List) and all(isinstance(e, ast.Constant) for e in node.elts):
        for i, element in enumerate(node.elts):
            fewer = copy.deepcopy(node)
            del fewer.elts[i]
            yield f"{element.value!r} left out", fewer  # type: ignore[attr-defined]
    elif isinstance(node, ast.Dict) and all(isinstance(k, ast.Constant) for k in node.keys) and len(node.keys) > 1:
        for i, key in enumerate(node.keys):
            fewer = copy.deepcopy(node)
            del fewer.keys[i], fewer.values[i]
            yield f"{key.value!r}: … left out", fewer  # type: ignore[union-attr]


class Replace(ast.NodeTransformer):
    """Replaces the one node ``target`` (by identity in a fresh copy of the tree)."""

    def __init__(self, target: ast.AST, replacement: ast.AST | None) -> None:
        self.target, self.replacement = target, replacement

    def visit(self, node: ast.AST) -> ast.AST | None:
        if node is self.target:
            return self.replacement if self.replacement is not None else ast.Pass()
        return super().visit(node)  # type: ignore[no-any-return]


def mutants(target: str) -> Iterator[Mutant]:
    """Every mutant of ``module``, or of the named top-level definitions of ``module:name,name``."""
    module, _, names = target.partition(":")
    source = (PACKAGE / f"{module}.py").read_text()
    tree = ast.parse(source)
    skip, docs = skipped_lines(source), docstrings(tree)
    untouched = {id(n) for a in ast.walk(tree) for part in _not_code(a) for n in ast.walk(part)}
    chosen = [d for d in tree.body if getattr(d, "name", None) in names.split(",")] if names else [tree]
    inside = {id(n) for definition in chosen for n in ast.walk(definition)}
    for index, node in enumerate(ast.walk(tree)):
        line = getattr(node, "lineno", 0)
        if line in skip or id(node) in untouched or id(node) not in inside:
            continue
        for change, replacement in changes(node, docs):
            fresh = ast.parse(source)
            target = list(ast.walk(fresh))[index]
            fixed = Replace(target, replacement and _same_shape(replacement, target)).visit(fresh)
            try:
                mutated = ast.unparse(ast.fix_missing_locations(fixed))
            except (AttributeError, TypeError, ValueError):
                continue
            yield Mutant(module, line, change, mutated)


def _not_code(node: ast.AST) -> list[ast.AST]:
    """Parts of ``node`` that are not behaviour: annotations, f-strings, ``if TYPE_CHECKING:`` blocks."""
    if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
        return [node.annotation]
    if isinstance(node, ast.FunctionDef) and node.returns is not None:
        return [node.returns]
    if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
        return [node]
    return [node] if isinstance(node, ast.JoinedStr) else []


def _same_shape(replacement: ast.AST, target: ast.AST) -> ast.AST:
    """The replacement made from the original tree, carried over to the copy's position."""
    return ast.copy_location(copy.deepcopy(replacement), target)


def passed(mutant: Mutant, tests: list[str], workdir: Path) -> int | None:
    """How many tests pass with the mutant in place; None when one fails (or the package cannot be imported).

    A mutant that makes tests skip (the plugin's own hooks are mutated too) passes fewer: it is caught.
    """
    copy_of = workdir / "src"
    shutil.copytree(PACKAGE.parent, copy_of, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    (copy_of / "pytest_scratchimage" / f"{mutant.module}.py").write_text(mutant.source)
    env = {**os.environ, "PYTHONPATH": str(copy_of), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *tests]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    counts = re.search(r"(\d+) passed", done.stdout.splitlines()[-1] if done.stdout.strip() else "")
    return int(counts[1]) if done.returncode == 0 and counts else None


def run(target: str, jobs: int) -> tuple[int, list[Mutant]]:
    tests, module = MODULES[target], target.partition(":")[0]
    with tempfile.TemporaryDirectory() as scratch:
        unchanged = Mutant(module, 0, "none", (PACKAGE / f"{module}.py").read_text())
        expected = passed(unchanged, tests, Path(scratch))
        if expected is None:
            raise SystemExit(f"mutate: {' '.join(tests)} fail without any mutant: fix them first")
    every = list(mutants(target))
    with tempfile.TemporaryDirectory() as scratch, ThreadPoolExecutor(jobs) as pool:
        folders = [Path(scratch, str(i)) for i in range(len(every))]
        results = list(pool.map(lambda pair: passed(pair[0], tests, pair[1]), zip(every, folders, strict=True)))
    return len(every), [m for m, count in zip(every, results, strict=True) if count == expected]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help=f"some of: {', '.join(m.partition(':')[0] for m in MODULES)}")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--min", type=float, default=90.0, help="the lowest score (%%) a module may have")
    arguments = parser.parse_args()
    names = {target.partition(":")[0]: target for target in MODULES}
    unknown = set(arguments.modules) - set(names)
    if unknown:
        parser.error(f"unknown modules {sorted(unknown)}; known: {', '.join(names)}")
    failing = []
    for module in arguments.modules or names:
        total, survivors = run(names[module], arguments.jobs)
        score = 100.0 * (total - len(survivors)) / total if total else 100.0
        for mutant in survivors:
            print(f"  survived  src/pytest_scratchimage/{module}.py:{mutant.line}  {mutant.change}")
        print(f"{module:10} {score:5.1f} %  ({total - len(survivors)} of {total} mutants killed)", flush=True)
        if score < arguments.min:
            failing.append(module)
    if failing:
        print(f"under {arguments.min:g} %: {', '.join(failing)}")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
