"""The layering of the product packages, read from their source with ``ast`` (nothing is imported).

monitor/ is the pure core; alerts/ knows neither the database nor the jobs; db/ knows no jobs;
the CLI (jobs/cli/) is a thin layer with no SQL of its own; no module imports itself in a circle.
Every import counts: module-level, inside functions, under ``if TYPE_CHECKING:``, relative ones.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("monitor", "db", "alerts", "jobs")
PROJECT = (*PRODUCT, "tests", "bench")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def exists(name: str, root: Path) -> bool:
    base = root.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imports(path: Path, root: Path) -> list[tuple[str, int]]:
    """(imported module, line) for every import of the file, ``from pkg import name`` resolved to
    the submodule ``pkg.name`` when there is one."""
    module = module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if base == "__future__":
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append((sub if exists(sub, root) else base, node.lineno))
    return sorted(set(found), key=lambda f: (f[1], f[0]))


def import_table(root: Path = ROOT, packages: tuple[str, ...] = PRODUCT) -> dict[str, list[tuple[str, int]]]:
    return {module_name(p, root): imports(p, root)
            for pkg in packages for p in sorted((root / pkg).rglob("*.py"))}


def offending(table, modules_under: str, bad) -> list[str]:
    return [f"{mod}:{line} imports {target}" for mod, found in table.items()
            if mod == modules_under or mod.startswith(modules_under + ".")
            for target, line in found if bad(target)]


def under(*packages: str):
    return lambda target: any(target == p or target.startswith(p + ".") for p in packages)


def cycles(table) -> list[str]:
    """Every elementary cycle of the module graph, each once, starting at its smallest module."""
    graph = {}
    for mod, found in table.items():
        targets = set()
        for target, _ in found:
            while target and target not in table:  # `import a.b.c` of a name, not a module
                target = target.rpartition(".")[0]
            if target and target != mod:
                targets.add(target)
        graph[mod] = sorted(targets)
    found_cycles = []
    for start in sorted(graph):
        back, todo = {start}, [start]  # the modules > start that lead back to start: the only ways on
        while todo:
            node = todo.pop()
            for m in graph:
                if m > start and m not in back and node in graph[m]:
                    back.add(m)
                    todo.append(m)
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    found_cycles.append(" -> ".join([*path, start]))
                elif nxt in back and nxt not in path:
                    stack.append((nxt, [*path, nxt]))
    return sorted(found_cycles)


def report(problems: list[str]) -> str:
    return "\n" + "\n".join(problems)


def test_monitor_imports_no_project_package():
    problems = offending(import_table(), "monitor", under(*(p for p in PROJECT if p != "monitor")))
    assert not problems, report(problems)


def test_alerts_never_imports_db_or_jobs():
    problems = offending(import_table(), "alerts", under("db", "jobs"))
    assert not problems, report(problems)


def test_db_never_imports_jobs():
    problems = offending(import_table(), "db", under("jobs"))
    assert not problems, report(problems)


def test_product_modules_import_one_another_without_cycles():
    found = cycles(import_table())
    assert not found, report(found)


def test_cli_modules_import_neither_sqlalchemy_nor_db_models():
    problems = offending(import_table(), "jobs.cli", under("sqlalchemy", "db.models"))
    assert not problems, report(problems)


# The text references APScheduler keeps in every deployment's job store: a stored job whose
# reference stops importing is deleted on load (apscheduler #341), and its catch-up run with it.
STORED_REFERENCES = ("jobs.scheduled:evaluate_job", "jobs.scheduled:countdown_job", "jobs.scheduled:deliver_job",
                     "jobs.scheduled:digest_job", "jobs.scheduled:calendar_check_job",
                     "jobs.scheduled:heartbeat_job", "jobs.scheduled:scan_inbox")


def test_every_job_reference_a_deployed_job_store_holds_still_imports():
    import importlib

    from jobs.config.daemon import DaemonSettings
    from jobs.daemon.run import job_specs

    registered = {spec.func for spec in job_specs("x.toml", DaemonSettings(inbox=Path("/inbox")), "test")}
    assert registered == set(STORED_REFERENCES)
    for reference in STORED_REFERENCES:
        module, name = reference.split(":")
        assert callable(getattr(importlib.import_module(module), name)), reference
