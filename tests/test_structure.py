"""The house's arrows: imports run one way, down the layers, and no two modules import each other."""

import ast
import importlib.util
from collections import defaultdict
from fnmatch import fnmatch
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "empathy_gym"
# Lowest first. A module may import its own layer and the layers before it, never after.
LAYERS = [
    "acts",
    "text",
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
    "cli",
    "__init__",
]


# Inside `simulator/`, lowest first, derived from what each module imports: the numbers and
# the appraisal schema; the person's state; the dynamics that move it (they never know how
# a message was read); the readers (the LLM reader uses dynamics constants); the registry
# (`readers/__init__`, which builds every reader, the LLM one included); the person's
# voice; the person (read -> update -> speak, and the batched turn); replay on top.
# Modules on one line may import each other's line and the lines before it.
SIMULATOR_LAYERS = [
    ("params", "appraisal"),
    ("state",),
    ("dynamics",),
    ("voice",),  # speaks from state and persona; the LLM person checks its words with it
    ("readers.*",),
    ("llm_person",),
    ("readers",),
    ("person",),
    ("replay",),
    ("",),  # the package itself
]
SIMULATOR = "empathy_gym.simulator"


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


def simulator_rank(module: str) -> int:
    """The line of `SIMULATOR_LAYERS` a module under `empathy_gym.simulator` sits on."""
    name = module[len(SIMULATOR) + 1 :] if module != SIMULATOR else ""
    for rank, patterns in enumerate(SIMULATOR_LAYERS):
        if any(name == p or (p.endswith("*") and fnmatch(name, p)) for p in patterns):
            return rank
    raise AssertionError(f"{module}: not placed in SIMULATOR_LAYERS (tests/test_structure.py)")


def upward_in_simulator(graph: dict[str, set[str]]) -> list[str]:
    """Imports between simulator modules that run from a lower line to a higher one."""
    inside = (SIMULATOR, SIMULATOR + ".")
    return sorted(
        f"{source} imports {target}"
        for source, targets in graph.items()
        if source.startswith(inside)
        for target in targets
        if target.startswith(inside)
        and target != SIMULATOR
        and simulator_rank(target) > simulator_rank(source)
    )


def test_every_simulator_module_has_a_line():
    modules = [m for m in map(module_name, PACKAGE.rglob("*.py")) if layer(m) == "simulator"]
    assert [simulator_rank(m) for m in modules]  # raises naming the module without a line


def test_imports_run_down_the_lines_inside_the_simulator():
    upward = upward_in_simulator(imports())
    assert not upward, "simulator imports that run upward:\n" + "\n".join(upward)


def test_the_simulator_check_sees_an_upward_import():
    graph = {
        "empathy_gym.simulator.dynamics": {"empathy_gym.simulator.readers.rule"},
        "empathy_gym.simulator.readers.rule": {"empathy_gym.simulator.state"},
    }
    assert upward_in_simulator(graph) == [
        "empathy_gym.simulator.dynamics imports empathy_gym.simulator.readers.rule"
    ]


def imports_of_testing(graph: dict[str, set[str]]) -> list[str]:
    """Imports of `empathy_gym.testing` from anywhere but the testing package itself."""
    return sorted(
        f"{source} imports {target}"
        for source, targets in graph.items()
        if layer(source) != "testing"
        for target in targets
        if target == "empathy_gym.testing" or target.startswith("empathy_gym.testing.")
    )


def test_the_library_never_imports_testing():
    offenders = imports_of_testing(imports())
    assert not offenders, "the library imports its test stand-ins:\n" + "\n".join(offenders)


def test_the_testing_check_sees_the_cli_import_a_stand_in():
    graph = {
        "empathy_gym.cli": {"empathy_gym.testing.fake_server"},
        "empathy_gym.testing.tiny_model": {"empathy_gym.testing.fake_server"},
    }
    assert imports_of_testing(graph) == ["empathy_gym.cli imports empathy_gym.testing.fake_server"]


def test_no_two_simulator_modules_share_a_name():
    names = defaultdict(list)
    for path in (PACKAGE / "simulator").rglob("*.py"):
        if path.name != "__init__.py":
            names[path.stem].append(str(path.relative_to(PACKAGE)))
    assert not {n: p for n, p in names.items() if len(p) > 1}


def test_moved_modules_leave_nothing_at_their_old_paths():
    for old in ("empathy_gym.simulator.lexicon", "empathy_gym.simulator.rule"):
        assert importlib.util.find_spec(old) is None, f"{old} still importable"
