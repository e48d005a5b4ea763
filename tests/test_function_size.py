"""No function or method in the package is longer than 80 lines (issue 18).

A long function hides its parts: split it into small, well-named ones. Lines are counted
from the `def` (decorators excluded) to the function's last line, docstring included.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "empathy_gym"
# The limit the project sets itself (issue 18: "no function in the package exceeds 80 lines").
MAX_FUNCTION_LINES = 80


def function_lengths(source: str, filename: str) -> list[tuple[str, int, int]]:
    """(qualified name, first line, length in lines) of every function and method in `source`."""
    found: list[tuple[str, int, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                found.append((name, child.lineno, child.end_lineno - child.lineno + 1))
                visit(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(source, filename=filename), "")
    return found


def test_the_counter_sees_a_long_method_nested_in_a_class_and_a_function():
    body = "\n".join(f"        x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    source = f"class A:\n    def long(self):\n{body}\n\n    def short(self):\n        return 1\n"
    lengths = {name: length for name, _, length in function_lengths(source, "a.py")}
    assert lengths == {"A.long": MAX_FUNCTION_LINES + 1, "A.short": 2}
    nested = "def outer():\n    def inner():\n        return 1\n    return inner\n"
    assert [n for n, _, _ in function_lengths(nested, "b.py")] == ["outer", "outer.inner"]


def test_no_function_in_the_package_exceeds_the_limit():
    too_long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent)
        for name, line, length in function_lengths(path.read_text(), str(path)):
            if length > MAX_FUNCTION_LINES:
                too_long.append(f"{relative}:{line} {name}: {length} lines")
    assert not too_long, (
        f"functions longer than {MAX_FUNCTION_LINES} lines (split them into well-named parts):\n"
        + "\n".join(too_long)
    )
