"""The linter is part of the test command: `ruff check` over the repository, with the rules in
pyproject.toml ([tool.ruff.lint]: pyflakes, syntax errors, pylint's errors). An undefined name
on an error path (a `raise RulesError(...)` without its import) is a crash that no other test
may reach; the linter finds it before a user does."""
from __future__ import annotations

import subprocess
import sys

from .conftest import REPO


def test_ruff_finds_nothing():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(REPO)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
