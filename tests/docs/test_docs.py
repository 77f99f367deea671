"""The manual builds with --strict, documents every spec key, and the examples run."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
import re
import shutil
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import causalkit
from causalkit.spec.models import SPEC_TYPES

ROOT = Path(__file__).parents[2]


def test_mkdocs_builds_strict(tmp_path: Path) -> None:
    exe = shutil.which("mkdocs") or str(Path(sys.executable).with_name("mkdocs"))
    proc = subprocess.run([exe, "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "site" / "index.html").exists()


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> None:
    if model in seen:
        return
    seen.add(model)
    for field in model.model_fields.values():
        stack = [field.annotation]
        while stack:
            ann = stack.pop()
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                _models(ann, seen)
            stack.extend(typing.get_args(ann))


def test_spec_reference_is_current() -> None:
    from causalkit.spec.reference import reference_markdown

    current = (ROOT / "docs" / "spec-reference.md").read_text()
    assert current == reference_markdown(), (
        "docs/spec-reference.md is stale: regenerate it with "
        "python -c 'from causalkit.spec.reference import reference_markdown as r; "
        "open(\"docs/spec-reference.md\", \"w\").write(r())'"
    )


def test_spec_page_documents_every_key() -> None:
    text = (ROOT / "docs" / "spec.md").read_text() + (ROOT / "docs" / "spec-reference.md").read_text()
    seen: set[type[BaseModel]] = set()
    for model in SPEC_TYPES.values():
        _models(model, seen)
    missing = sorted(
        f"{m.__name__}.{f.alias or name}"
        for m in seen for name, f in m.model_fields.items()
        if f"`{f.alias or name}`" not in text and f"`schedule.{name}`" not in text
        and f"`{name}`" not in text
    )
    assert not missing, f"docs/spec.md does not mention: {missing}"


EXAMPLES = sorted(p for p in (ROOT / "examples").rglob("*.py") if not p.name.startswith("_"))


def _runs_example(text: str, script: Path) -> bool:
    area = script.parent.name
    by_glob = f'"examples" / "{area}"' in text and ".glob(" in text
    return by_glob or script.name in text


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_example_is_run_by_a_test(script: Path) -> None:
    """Each shape's tests run its examples (and check what they print); none is orphaned."""
    tests = [p for p in (ROOT / "tests").rglob("test_*.py") if "docs" not in p.parts]
    runners = [p.relative_to(ROOT) for p in tests if _runs_example(p.read_text(), script)]
    assert runners, f"no test runs {script.relative_to(ROOT)}"


def _public_objects() -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for info in pkgutil.walk_packages(causalkit.__path__, "causalkit."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # optional extras (spark) may be missing
            continue
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != info.name:
                continue
            if inspect.isfunction(obj) or (inspect.isclass(obj)
                                           and not issubclass(obj, BaseModel | Exception)
                                           and not _is_enum(obj)):
                out.append((f"{info.name}.{name}", obj))
    return out


def _is_enum(obj: object) -> bool:
    import enum

    return isinstance(obj, type) and issubclass(obj, enum.Enum)


def test_every_public_function_has_a_docstring_example() -> None:
    missing = []
    for qual, obj in _public_objects():
        doc = inspect.getdoc(obj) or ""
        if ">>>" in doc:
            continue
        if inspect.isclass(obj):
            # a class passes when its docstring or the module's docstring shows it in use
            module_doc = inspect.getdoc(sys.modules[obj.__module__]) or ""
            if re.search(rf"\b{obj.__name__}\b", module_doc) and ">>>" in module_doc:
                continue
        missing.append(qual)
    assert not missing, f"public objects without a docstring example: {missing}"


# -- sample outputs: generated from the code by scripts/docs_outputs.py --------------------------

def _docs_outputs() -> Any:
    path = ROOT / "scripts" / "docs_outputs.py"
    spec = importlib.util.spec_from_file_location("docs_outputs", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["docs_outputs"] = module   # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_sample_outputs_are_what_the_code_prints() -> None:
    """Every marked sample output (``<!-- output: CMD -->`` + a fenced block) matches a run of
    CMD now, up to times, durations and versions. Each command runs once, two at a time."""
    docs_outputs = _docs_outputs()
    drifted = docs_outputs.check(docs_outputs.pages())
    assert not drifted, ("sample outputs drifted from the code; regenerate them with "
                         "`python scripts/docs_outputs.py`:\n"
                         + "\n\n".join(d.diff() for d in drifted))


def test_every_console_block_is_generated() -> None:
    """A ```console block in the manual is a sample output: it must carry its command's mark."""
    docs_outputs = _docs_outputs()
    fence = re.compile(r"^([ \t]*)```console[ \t]*$", re.M)
    unmarked = []
    for page in docs_outputs.pages():
        text = page.read_text()
        marked = {b.line + 1 for b in docs_outputs.blocks(page, text)}
        for m in fence.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            if line not in marked:
                unmarked.append(f"{page.relative_to(ROOT)}:{line}")
    assert not unmarked, f"```console blocks without an <!-- output: ... --> mark: {unmarked}"


def test_a_drifted_sample_output_is_caught_and_regenerated(tmp_path: Path) -> None:
    docs_outputs = _docs_outputs()
    page = tmp_path / "page.md"
    page.write_text("Intro.\n\n- item\n\n  <!-- output: causalkit validate "
                    "designs/ab_match_filter.yaml -->\n  ```console\n  $ causalkit validate "
                    "designs/ab_match_filter.yaml\n  ok: designs/old.yaml\n  ```\n\nEnd.\n")
    runner = docs_outputs.Runner()
    drifted = docs_outputs.check([page], runner)
    assert len(drifted) == 1
    assert "+ok: designs/ab_match_filter.yaml (ab: match-filter-v2)" in drifted[0].diff()
    assert docs_outputs.update([page], runner) == [page]
    assert page.read_text().endswith(
        "  ok: designs/ab_match_filter.yaml (ab: match-filter-v2)\n  ```\n\nEnd.\n")
    assert docs_outputs.check([page], runner) == []
    # a mark without its block is an error, not a silently ignored line
    page.write_text("<!-- output: causalkit schema -->\n\ntext\n")
    with pytest.raises(docs_outputs.DocsOutputError, match="not followed by a fenced block"):
        docs_outputs.blocks(page)


def test_normalization_ignores_only_what_changes_between_runs() -> None:
    normalize = _docs_outputs().normalize
    assert normalize("now 2026-11-30T16:31:08Z done in 2.3 s") == \
        normalize("now 2027-01-02T00:00:00Z done in 11 s")
    assert normalize("+0.3393 [+0.2524, +0.4263]") != normalize("+0.3392 [+0.2524, +0.4263]")
