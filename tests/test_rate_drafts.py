"""Rate drafts are first-class: one loader for every command; a draft in rates/
(another name, or status: draft) is skipped with a note; a table named by path is loaded there."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grants import Engine
from grants.tools.impact import load_candidate
from grants.datafiles.paths import data_dir
from grants.rates.tables import RateBook
from grants.rules.rulebook import RuleBook
from grants.testing import check_rate_table
from tests.conftest import line

RATES = data_dir("rates")


@pytest.fixture()
def rates_with_drafts(tmp_path: Path) -> Path:
    folder = tmp_path / "rates"
    shutil.copytree(RATES, folder)
    shutil.copy(folder / "2023.yaml", folder / "NY.yaml")  # the README's workflow: a draft beside the tables
    text = (folder / "2025-26.yaml").read_text(encoding="utf-8")
    draft = (text.replace('id: "2025-26"', 'id: "2026-27"').replace("first_day: 2025-06-01", "first_day: 2026-06-01")
             .replace("last_day: 2026-05-31", "last_day: 2027-05-31").replace("status: provisional", "status: draft"))
    (folder / "2026-27.yaml").write_text(draft, encoding="utf-8")
    return folder


def test_drafts_in_the_folder_are_skipped_with_a_note(rates_with_drafts: Path):
    book = RateBook.load(rates_with_drafts)
    assert "2026-27" not in book.period_ids and "2023" in book.period_ids
    assert any("NY.yaml" in n and "ikke en periode" in n for n in book.skipped)
    assert any("2026-27.yaml" in n and "draft" in n for n in book.skipped)


def test_an_engine_on_a_folder_with_a_draft_still_computes(rates_with_drafts: Path):
    book = RateBook.load(rates_with_drafts)
    engine = Engine(book, RuleBook.load(book))
    result = engine.compute([line()], "2023")
    assert result.total_nok == 275000


def test_a_table_named_by_path_is_loaded_there(rates_with_drafts: Path):
    book, candidate = load_candidate(rates_with_drafts / "NY.yaml", rates_with_drafts)
    assert candidate.id == "2023" and book.get("2023") is candidate
    report = check_rate_table(rates_with_drafts / "NY.yaml", rates_dir=rates_with_drafts, max_examples=5)
    assert report.result("loads").ok, report.text()


def test_a_broken_table_with_a_period_name_still_stops_the_run(rates_with_drafts: Path):
    (rates_with_drafts / "2023.yaml").write_text("period: [", encoding="utf-8")
    with pytest.raises(Exception, match="2023.yaml"):
        RateBook.load(rates_with_drafts)
