"""The documentation holds together: links resolve, the nav is complete, the README's commands are CI's.

`mkdocs build --strict` (in .ci/run) checks the site too, but only where the docs extra is
installed and only for docs/; these checks need nothing but the repository and cover the
README as well.
"""

import re
import unicodedata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]

# The README's two commands, as CI runs the second one (.ci/run step 1): change both together.
MAIN_JOB_COMMAND = (
    "python3 -m venv .venv && . .venv/bin/activate && "
    "pip install -c constraints-cpu.txt -e . && empathy-gym evaluate"
)
TEST_COMMAND = (
    "python3 -m venv .venv && . .venv/bin/activate && "
    "pip install -c constraints-cpu.txt -e '.[dev,llm,rllib,report,minilm,trl,openenv]' && pytest"
)

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
SNIPPET = re.compile(r'^--8<--\s+"([^"]+)"\s*$', re.M)  # pymdownx.snippets, paths from the root
EXTERNAL = ("http://", "https://", "mailto:")


def _expanded(path: Path, root: Path = ROOT) -> str:
    """The page's text with pymdownx.snippets includes (paths from `root`) replaced by their files."""
    text = path.read_text(encoding="utf-8")
    return SNIPPET.sub(lambda m: (root / m.group(1)).read_text(encoding="utf-8"), text)


def _prose(text: str) -> str:
    """Text outside fenced code blocks and inline code, where a link is a link."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def slugify(heading: str) -> str:
    """Python-Markdown's toc slug (what MkDocs uses for heading ids)."""
    text = re.sub(r"`|\*\*|\*|\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def anchors(path: Path, root: Path = ROOT) -> set[str]:
    """The heading ids of a Markdown file."""
    return {slugify(h) for h in HEADING.findall(FENCE.sub("", _expanded(path, root)))}


def broken_links(path: Path, root: Path = ROOT) -> list[str]:
    """Relative links in `path` whose file (or heading anchor in a .md file) does not exist."""
    problems, shown = [], path.relative_to(root)
    for target in LINK.findall(_prose(_expanded(path, root))):
        if target.startswith(EXTERNAL):
            continue
        file_part, _, anchor = target.partition("#")
        where = (path.parent / file_part).resolve() if file_part else path
        if not where.exists():
            problems.append(f"{shown}: link {target!r}: {where} does not exist")
        elif anchor and where.suffix == ".md" and anchor not in anchors(where, root):
            problems.append(
                f"{shown}: link {target!r}: no heading with id {anchor!r} in {where.name}"
            )
    return problems


def nav_pages(nav: object) -> list[str]:
    """Every page path named in an mkdocs nav (nested lists and titled entries)."""
    if isinstance(nav, str):
        return [] if nav.startswith(EXTERNAL) else [nav]
    if isinstance(nav, list):
        return [page for item in nav for page in nav_pages(item)]
    if isinstance(nav, dict):
        return [page for value in nav.values() for page in nav_pages(value)]
    raise TypeError(f"mkdocs.yml nav: unexpected entry {nav!r}")


def _mkdocs() -> dict:
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_at_an_existing_file(path):
    assert not broken_links(path), "\n".join(broken_links(path))


def test_the_link_check_catches_a_broken_link_and_a_broken_anchor(tmp_path):
    (tmp_path / "there.md").write_text("# A heading\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](there.md#a-heading) [web](https://example.org) `[code](gone.md)`\n"
        "```\n[fenced](gone.md)\n```\n[gone](gone.md) ![img](missing.png) [anchor](there.md#nope)\n"
    )
    problems = broken_links(page, root=tmp_path)
    assert len(problems) == 3, problems
    assert "'gone.md'" in problems[0] and "'missing.png'" in problems[1] and "nope" in problems[2]


def test_slugs_match_the_headings_mkdocs_renders():
    assert (
        slugify("Listening pays, scripts do not (red team)")
        == "listening-pays-scripts-do-not-red-team"
    )
    assert slugify("The headline experiment: PPO under `comfort` vs **genuine**") == (
        "the-headline-experiment-ppo-under-comfort-vs-genuine"
    )


def test_every_nav_entry_exists_and_every_page_is_in_the_nav():
    config = _mkdocs()
    docs_dir = ROOT / config.get("docs_dir", "docs")
    pages = nav_pages(config["nav"])
    missing = [p for p in pages if not (docs_dir / p).is_file()]
    assert not missing, f"mkdocs.yml nav names pages that do not exist in {docs_dir}: {missing}"
    unlisted = sorted(
        str(p.relative_to(docs_dir))
        for p in docs_dir.rglob("*.md")
        if str(p.relative_to(docs_dir)) not in pages
    )
    assert not unlisted, (
        f"pages in {docs_dir} missing from mkdocs.yml nav (strict builds fail): {unlisted}"
    )


def test_mkdocs_config_builds_the_api_reference_with_material():
    config = _mkdocs()
    assert config["theme"]["name"] == "material"
    plugins = {next(iter(p)) if isinstance(p, dict) else p for p in config["plugins"]}
    assert {"search", "mkdocstrings"} <= plugins, plugins
    assert re.search(r"^::: empathy_gym\b", (DOCS / "api.md").read_text(), re.M)


def test_the_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Two commands.*?(?=^## )", readme, re.M | re.S)
    assert section, "README.md: no '## Two commands' section"
    blocks = re.findall(r"^```bash\n(.*?)^```", section.group(0), re.M | re.S)
    assert [b.strip() for b in blocks] == [MAIN_JOB_COMMAND, TEST_COMMAND], blocks
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert TEST_COMMAND in ci, ".ci/run no longer runs the README's test command as written"
