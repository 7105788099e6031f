"""The README's commands for the workbook, the template and rates diff run as written."""
from __future__ import annotations

import shlex

import openpyxl
import pytest

from grants.cli import main
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
COMMANDS = [
    "alis-grant compute fixtures/examples/soknad_2023.csv --period 2023 -o beregning.xlsx",
    "alis-grant template --period 2023 -o mal.xlsx",
    "alis-grant rates diff 2023 2024-25",
]


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs(command, tmp_path, monkeypatch, capsys):
    assert f"    {command}" in README  # shown in the README exactly like this
    (tmp_path / "fixtures").symlink_to(REPO / "fixtures")
    monkeypatch.chdir(tmp_path)
    assert main(shlex.split(command)[1:]) == 0
    out = capsys.readouterr().out
    assert "ADVARSEL" in out
    if "-o" in command:
        wb = openpyxl.load_workbook(tmp_path / shlex.split(command)[-1])
        assert wb.sheetnames
