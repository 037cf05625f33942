"""The layers (DESIGN.md: Layers) hold: no app imports one above it.

    walkandtalk/ (urls, admin site, dashboard, settings)        may import everything
    patrols/                                                    participants and the outbox
    participants/                                               the outbox only
    walkandtalk/outbox/                                         no app of ours

Every .py file is parsed with `ast`, so imports inside functions count as much as those at the top
(a lazy import is still a dependency, it just fails later), and so do `import_module("...")` and
`apps.get_model("app.Model")` with a literal name. Work that spans two apps is reached
through the lower app's signals and registries (participants/privacy.py), not by importing up.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OUTBOX = "walkandtalk.outbox"


@dataclass(frozen=True)
class Import:
    path: str  # relative to the repository, with forward slashes
    line: int
    target: str  # the dotted name imported: "patrols.models.Walk", "walkandtalk.admin"

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.target}"


def layer_of(module: str) -> str | None:
    """Which layer a dotted module name belongs to; None for code that is not ours (django, ...)."""
    if module == OUTBOX or module.startswith(OUTBOX + "."):
        return "outbox"
    top = module.split(".", 1)[0]
    return top if top in ("walkandtalk", "patrols", "participants") else None


# What each layer may import, besides itself and code that is not ours.
MAY_IMPORT = {
    "outbox": set(),
    "participants": {"outbox"},
    "patrols": {"participants", "outbox"},
    "walkandtalk": {"participants", "patrols", "outbox"},
}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_in(path: Path, root: Path = ROOT) -> list[Import]:
    """Every import in the file, at any depth, as the dotted names it brings in, in line order."""
    relative = path.relative_to(root).as_posix()
    module = module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=relative)):
        if isinstance(node, ast.Import):
            found += [Import(relative, node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # from . import x, from ..models import y
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            # `from walkandtalk import outbox` brings in walkandtalk.outbox, not walkandtalk itself
            found += [Import(relative, node.lineno, f"{source}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            called, name = getattr(node.func, "attr", getattr(node.func, "id", None)), node.args[0].value
            if called in ("import_module", "__import__") and isinstance(name, str):
                found.append(Import(relative, node.lineno, name))
            elif called == "get_model" and isinstance(name, str):  # "patrols.Walk" or "patrols", "Walk"
                app_label, _, model = name.partition(".")
                found.append(Import(relative, node.lineno, f"{app_label}.models.{model}".rstrip(".")))
    return sorted(found, key=lambda imported: imported.line)


def our_python_files(root: Path) -> list[Path]:
    files = []
    for top in ("walkandtalk", "participants", "patrols"):
        files += sorted((root / top).rglob("*.py"))
    return files


def breaches(root: Path = ROOT) -> list[Import]:
    """Imports that go up a layer."""
    found = []
    for path in our_python_files(root):
        here = layer_of(module_name(path, root))
        for imported in imports_in(path, root):
            there = layer_of(imported.target)
            if there is None or there == here or there in MAY_IMPORT[here]:
                continue
            found.append(imported)
    return found


def test_no_app_imports_a_layer_above_it():
    found = breaches()
    if found:
        pytest.fail("Imports that break the layers (DESIGN.md: Layers):\n" + "\n".join(map(str, found)))


def test_the_check_sees_imports_inside_functions_and_relative_ones(tmp_path):
    """The checker itself: a lazy import inside a function and a relative import both count."""
    package = tmp_path / "participants"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "sneaky.py").write_text(
        "from . import models\n\ndef later():\n    from patrols.booking import cancel_walk\n"
        "    return apps.get_model('patrols.Walk')\n"
    )
    targets = [(i.line, i.target) for i in imports_in(package / "sneaky.py", tmp_path)]
    assert targets == [
        (1, "participants.models"),
        (4, "patrols.booking.cancel_walk"),
        (5, "patrols.models.Walk"),
    ]
    found = breaches(tmp_path)
    assert [str(i) for i in found] == [
        "participants/sneaky.py:4 imports patrols.booking.cancel_walk",
        "participants/sneaky.py:5 imports patrols.models.Walk",
    ]
