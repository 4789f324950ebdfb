"""No module of the services imports itself through others (issue 24: a core a newcomer reads in
an afternoon). Every import counts, at the top of a file or inside a function: a lazy import that
breaks a cycle at run time still ties the two files together for a reader (five such circles were
mended: the schemas that handed on their OpenAPI part, hubkeeper and hubmetrics, intake's hub
handlers)."""
import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "services"


def modules(root: Path = SERVICES) -> dict[str, Path]:
    """Dotted module name -> file, for every package under <root>/<service>/<package>/."""
    found = {}
    for service in root.iterdir():
        for package in service.iterdir() if service.is_dir() else ():
            if not (package / "__init__.py").exists():
                continue
            for file in package.rglob("*.py"):
                parts = file.relative_to(service).with_suffix("").parts
                found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = file
    return found


def imports(name: str, file: Path, known: set[str]) -> set[str]:
    """The known modules ``file`` imports (``from a import b`` counts a.b when that is a module)."""
    package = name if file.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in found if m in known and m != name}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def graph_of(found: dict[str, Path]) -> dict[str, set[str]]:
    known = set(found)
    # a package's __init__ only hands its modules' names on (its face): its own imports are not
    # followed, or every module that imports a sibling through the package would be in a circle
    return {name: set() if file.name == "__init__.py" else imports(name, file, known) for name, file in found.items()}


def test_no_module_of_the_services_imports_itself_through_others():
    assert cycles(graph_of(modules())) == []


def test_the_check_sees_a_circle_made_by_an_import_inside_a_function(tmp_path):
    package = tmp_path / "a" / "a"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "schemas.py").write_text("def __getattr__(name):\n    from a import doc\n    return doc\n")
    (package / "doc.py").write_text("from a.schemas import X\n")
    (package / "service.py").write_text("from .schemas import X\n")
    assert cycles(graph_of(modules(tmp_path))) == [["a.doc", "a.schemas"]]
