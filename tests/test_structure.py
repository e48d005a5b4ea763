"""The house's arrows: imports run one way, down the layers, and no two modules import each other."""

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "empathy_gym"
# Lowest first. A module may import its own layer and the layers before it, never after.
LAYERS = [
    "acts",
    "conf",
    "personas",
    "llm",
    "simulator",
    "rewards",
    "agents",
    "envs",
    "rollout",
    "eval",
    "serve",
    "train_grpo",
    "train",
    "testing",
    "cli_personas",
    "cli",
    "__init__",
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports() -> dict[str, set[str]]:
    """Every empathy_gym import of every module, at any depth (lazy imports inside functions count)."""
    known = {module_name(p) for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        source = module_name(path)
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("empathy_gym")
            ):
                names = [f"{node.module}.{a.name}" for a in node.names]
                graph[source] |= {n if n in known else node.module for n in names}
            elif isinstance(node, ast.Import):
                graph[source] |= {a.name for a in node.names if a.name.startswith("empathy_gym")}
    return graph


def test_every_module_has_a_layer():
    assert {layer(module_name(p)) for p in PACKAGE.rglob("*.py")} <= set(LAYERS)


def test_imports_run_down_the_layers():
    upward = sorted(
        f"{source} imports {target}"
        for source, targets in imports().items()
        for target in targets
        if target != "empathy_gym" and LAYERS.index(layer(target)) > LAYERS.index(layer(source))
    )
    assert not upward, "imports that run upward:\n" + "\n".join(upward)


def test_no_import_cycles_between_modules():
    graph = imports()
    cycles = []
    for source, targets in graph.items():
        for target in targets:
            if source != target and source in graph.get(target, ()) and source < target:
                cycles.append(f"{source} <-> {target}")
    assert not cycles, cycles
