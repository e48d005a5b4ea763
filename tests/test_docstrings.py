"""Every public function, class and method in the package says what it does (issue 18, point 6).

Checked with `ast`: module-level functions and classes whose names do not start with `_`,
and the methods (properties included) of such classes. Dunder methods are exempt: their
meaning is Python's. A property's setter or deleter shares its getter's docstring.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "empathy_gym"


def _is_public(name: str) -> bool:
    return not name.startswith("_")


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _is_setter_or_deleter(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(
        isinstance(d, ast.Attribute) and d.attr in ("setter", "deleter")
        for d in node.decorator_list
    )


def missing_docstrings(source: str, filename: str) -> list[str]:
    """Return "line qualified.name" for each public function, class or method without a docstring."""
    missing: list[str] = []

    def visit_class(node: ast.ClassDef, prefix: str) -> None:
        for child in node.body:
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                exempt = _is_dunder(child.name) or _is_setter_or_deleter(child)
                if _is_public(child.name) and not exempt and ast.get_docstring(child) is None:
                    missing.append(f"{child.lineno} {prefix}{child.name}")
            elif isinstance(child, ast.ClassDef) and _is_public(child.name):
                check(child, prefix)

    def check(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, prefix: str) -> None:
        if ast.get_docstring(node) is None:
            missing.append(f"{node.lineno} {prefix}{node.name}")
        if isinstance(node, ast.ClassDef):
            visit_class(node, f"{prefix}{node.name}.")

    for node in ast.parse(source, filename=filename).body:
        is_definition = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        if is_definition and _is_public(node.name):
            check(node, "")
    return missing


def test_the_checker_finds_what_lacks_a_docstring_and_skips_what_is_exempt():
    source = '''
def bare(): pass
def _private(): pass
async def documented():
    """Says what it does."""
class Public:
    def __init__(self): pass
    def method(self): pass
    @property
    def value(self):
        """The value."""
    @value.setter
    def value(self, v): pass
    def _helper(self): pass
    class Inner:
        def inner_method(self): pass
class _Private:
    def method(self): pass
'''
    assert missing_docstrings(source, "sample.py") == [
        "2 bare",
        "6 Public",
        "8 Public.method",
        "15 Public.Inner",
        "16 Public.Inner.inner_method",
    ]


def test_every_public_function_class_and_method_has_a_docstring():
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).as_posix()
        missing += [f"{relative}:{item}" for item in missing_docstrings(path.read_text(), relative)]
    assert not missing, (
        f"{len(missing)} public function(s)/class(es)/method(s) lack a docstring; "
        "add a line saying what each does or returns:\n" + "\n".join(missing)
    )
