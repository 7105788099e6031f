"""What a developer meets first: compute's answer to a wrong argument, a short repr of a line's
result, and every Python example of the README, run as written."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap

import pytest

import grants
from tests.conftest import REPO

EXAMPLE = REPO / "fixtures" / "examples" / "soknad_2023.csv"


@pytest.mark.parametrize("given, words", [
    (str(EXAMPLE), "read_application("),
    (EXAMPLE, "read_application("),
    ({"alis_id": "A1"}, "single dict"),
    (None, "no lines"),
    (42, "'int'"),
])
def test_compute_given_a_path_a_dict_or_none_names_what_it_takes(given, words):
    with pytest.raises(TypeError) as info:
        grants.compute(given, period="2023")
    text = str(info.value)
    assert words in text and "list of dicts" in text and "DataFrame" in text and "read_application" in text
    with pytest.raises(TypeError):
        grants.explain(given, row=1, period="2023")


def test_a_line_results_repr_is_one_short_line():
    result = grants.compute(grants.read_application(EXAMPLE), period="2023")
    shown = repr(result.lines[0])
    assert shown.startswith("LineResult(row=1, alis_id=") and "amount_nok=" in shown and "status='ok'" in shown
    assert len(shown) < 160 and "\n" not in shown


def readme_python_blocks() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return [textwrap.dedent(block) for block in re.findall(r"```python\n(.*?)```", text, flags=re.S)]


def test_the_readme_has_python_examples():
    assert len(readme_python_blocks()) >= 2


@pytest.mark.parametrize("index", range(len(readme_python_blocks())))
def test_every_python_example_in_the_readme_runs_as_written(tmp_path, index):
    """Each ```python block of the README, run as a script in a fresh folder holding the
    project's fixtures/ (the files the examples name), by this interpreter with the package
    installed: an example that no longer runs fails here."""
    shutil.copytree(REPO / "fixtures", tmp_path / "fixtures")
    script = tmp_path / "example.py"
    script.write_text(readme_python_blocks()[index], encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"README example {index + 1} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
