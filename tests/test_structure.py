"""The structure rule: one module per concern, and no module under grants/ longer than
MAX_LINES lines. A module that grows past it is split along its concerns, not let grow."""
from __future__ import annotations

from pathlib import Path

from .conftest import REPO

MAX_LINES = 700


def _too_long(root: Path, limit: int) -> list[str]:
    """Every Python module under `root` longer than `limit` lines, with its length."""
    out = []
    for path in sorted(root.rglob("*.py")):
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > limit:
            out.append(f"{path.relative_to(root.parent).as_posix()} has {n} lines")
    return out


def test_no_module_under_grants_is_longer_than_the_limit():
    too_long = _too_long(REPO / "grants", MAX_LINES)
    assert not too_long, f"modules over {MAX_LINES} lines (split them along their concerns): " + "; ".join(too_long)


def test_a_module_over_the_limit_is_named_with_its_length(tmp_path):
    package = tmp_path / "grants"
    (package / "sub").mkdir(parents=True)
    (package / "short.py").write_text("x = 1\n" * 3, encoding="utf-8")
    (package / "sub" / "long.py").write_text("x = 1\n" * 12, encoding="utf-8")
    assert _too_long(package, 10) == ["grants/sub/long.py has 12 lines"]
