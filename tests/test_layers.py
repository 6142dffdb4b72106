"""The package's structure, as docs/architecture.md states it.

* One-way layers: every import of every module of ``siamtrack``, ``siamtrack_cli`` and the
  development tools ``tools/siamtrack_dev`` (module level and inside functions, relative and
  absolute, read with ``ast``) goes to the importer's own layer or a lower one, and no modules
  import each other in a cycle.
* ``tools/*.py`` hold no logic: they import a command's (or a development tool's) ``main`` and call it.
* No module is longer than 300 lines.
* ``siamtrack_cli`` imports neither torch nor siamtrack before parsing arguments.
"""
import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# package: the folder holding it
PACKAGES = {"siamtrack": REPO, "siamtrack_cli": REPO, "siamtrack_dev": REPO / "tools"}
MAX_LINES = 300

# Bottom up (docs/architecture.md). A module belongs to the layer of the longest prefix listed.
LAYERS = {
    "siamtrack.utils": 1, "siamtrack.structures": 1, "siamtrack.config": 1,
    "siamtrack.model_zoo": 1, "siamtrack.packaged_configs": 1,
    "siamtrack.modeling": 2,
    "siamtrack.checkpoint": 3, "siamtrack.export": 3,
    "siamtrack.data": 4,
    "siamtrack.tracking": 5,
    "siamtrack.evaluation": 6, "siamtrack.evaluation.speed": 6,
    "siamtrack.engine": 7,
    "siamtrack.integrations": 8, "siamtrack_cli": 8,
    "siamtrack": 9,  # the package root: registers everything on `import siamtrack`; nothing imports it
    "siamtrack_dev": 10,  # tools/siamtrack_dev: checks and studies of the library, not shipped
}
# No exceptions: every import points down the layer order and every module is short enough.


def module_files():
    """``{module name: path}`` of every module of PACKAGES (a package is its ``__init__``)."""
    found = {}
    for package, folder in PACKAGES.items():
        for path in sorted((folder / package).rglob("*.py")):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = module_files()


def layer_of(module):
    """The layer of ``module``: that of the longest prefix in LAYERS."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in LAYERS:
            return LAYERS[prefix]
    raise AssertionError(f"{module} has no layer: add its folder to LAYERS and docs/architecture.md")


def _resolve(name):
    """The module an import of ``name`` reaches: ``name`` itself, or its longest known prefix
    (``from x import function`` reaches ``x``)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module, path):
    """``(line, imported module)`` for every import of a siamtrack module in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(base + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        for name in names:
            target = _resolve(name)
            if target is not None and target != module:
                found.append((node.lineno, target))
    return found


def import_graph():
    """``{(importer, imported): (first line, imported as named)}`` over all modules, with the
    packages whose ``__init__`` an import runs (``a.b.c`` runs ``a.b``), except the importer's
    own and the root ``siamtrack`` (reached only by naming it: it is what users import)."""
    edges = {}
    for module, path in MODULES.items():
        own = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
        for line, target in imports_of(module, path):
            parts = target.split(".")
            for end in range(1, len(parts) + 1):
                reached = ".".join(parts[:end])
                implicit_ok = reached not in own and reached != "siamtrack"
                if reached in MODULES and reached != module and (reached == target or implicit_ok):
                    edges.setdefault((module, reached), (line, target))
    return edges


EDGES = import_graph()


def _edge(src, dst):
    line, named = EDGES[(src, dst)]
    via = f" (importing {named})" if named != dst else ""
    return f"{MODULES[src].relative_to(REPO)}:{line}: {src} -> {dst}{via}"


def strongly_connected(nodes, edges):
    """Tarjan's strongly connected components of the directed graph."""
    graph = defaultdict(list)
    for src, dst in edges:
        graph[src].append(dst)
    index, low, on_stack, stack, components = {}, {}, set(), [], []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in graph[node]:
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            components.append(component)

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return components


def test_every_module_has_a_layer():
    for module in MODULES:
        layer_of(module)


def test_no_upward_import():
    upward = [_edge(src, dst) for src, dst in sorted(EDGES)
              if layer_of(dst) > layer_of(src)]
    assert not upward, "imports of a higher layer (docs/architecture.md):\n" + "\n".join(upward)


def test_no_import_cycle():
    edges = list(EDGES)
    cycles = [sorted(c) for c in strongly_connected(MODULES, edges) if len(c) > 1]
    report = []
    for members in cycles:
        inside = set(members)
        report.append("cycle:\n  " + "\n  ".join(_edge(s, d) for s, d in sorted(edges) if s in inside and d in inside))
    assert not cycles, "\n".join(report)


def test_no_module_over_300_lines():
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    over = sorted(f"{MODULES[m].relative_to(REPO)}: {n} lines" for m, n in long.items())
    assert not over, f"modules over {MAX_LINES} lines:\n" + "\n".join(over)


TOOLS = sorted(p for p in (REPO / "tools").glob("*.py") if p.name != "install_detectron2.py")


def _is_main_call(stmt):
    """``if __name__ == "__main__": sys.exit(main())``."""
    if not (isinstance(stmt, ast.If) and ast.unparse(stmt.test) in ("__name__ == '__main__'", '__name__ == "__main__"')):
        return False
    return len(stmt.body) == 1 and not stmt.orelse and ast.unparse(stmt.body[0]) == "sys.exit(main())"


@pytest.mark.parametrize("tool", TOOLS, ids=[p.name for p in TOOLS])
def test_tool_is_a_thin_wrapper(tool):
    """tools/*.py (but install_detectron2.py, which runs before siamtrack is installed) import
    the ``main`` of a siamtrack_cli command or of a development tool of ``tools/siamtrack_dev``
    and call it; nothing else."""
    body = ast.parse(tool.read_text(encoding="utf-8")).body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    logic = [ast.unparse(s).splitlines()[0] for s in body if not (
        (isinstance(s, ast.Import) and [a.name for a in s.names] == ["sys"])
        or (isinstance(s, ast.ImportFrom) and (s.module or "").startswith(("siamtrack_cli.", "siamtrack_dev."))
            and [a.name for a in s.names] == ["main"])
        or _is_main_call(s))]
    assert not logic, f"{tool.name} holds more than an import and a main() call: {logic}"
    assert any(_is_main_call(s) for s in body), f"{tool.name} does not call sys.exit(main())"


def test_commands_parse_before_importing_torch_or_siamtrack():
    """Every siamtrack_cli module imports only the standard library when loaded, so --help and
    argument errors answer without torch, detectron2 or siamtrack (which registers everything)."""
    commands = sorted(m for m in MODULES if m.startswith("siamtrack_cli.")) + ["siamtrack_dev.gpu_check_cli"]
    code = (f"import sys\nsys.path.insert(0, {str(REPO / 'tools')!r})\n" + "".join(f"import {m}\n" for m in commands)
            + "heavy = sorted(m for m in ('torch', 'detectron2', 'siamtrack', 'numpy', 'cv2') if m in sys.modules)\n"
            + "print(','.join(heavy))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"loaded before parsing: {result.stdout.strip()}"
