"""Every number of every shipped rate table is pinned by golden figures written down by hand
(fixtures/golden/<period>.csv, described in tests/golden.py and fixtures/golden/README.md).

- The engine gives every golden figure, through the public `compute` and through the command line.
- Each number of each shipped table, moved by one unit in its last written place in a temporary
  copy of rates/ (240000 -> 240001 and 239999; 0.60 -> 0.61 and 0.59; a date by one day each
  way), makes the golden comparison fail on a row that names that cell, or is refused when the
  table is loaded. The numbers are read from the YAML itself, so a new parameter is covered
  without a change here, and fails until a golden row pins it.
- A shipped table without a golden file fails, naming the table. The rule is on the shipped
  tables (rates/): a period added in a temporary copy by tests/test_new_period.py needs none,
  since its figures could only be derived from the copied table, which golden figures must not be.
"""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

import grants
from grants.cli import main
from grants.datafiles.paths import data_dir
from grants.errors import GrantsError
from grants.money import to_kroner
from tests.conftest import shipped_book
from tests.golden import (
    AMOUNT,
    NOT_PRICED,
    Golden,
    compare,
    compute_golden,
    golden_files,
    numbers_of,
    observed_from_cli_csv,
    observed_from_result,
    with_number_moved,
)

GOLDEN_FILES = golden_files()
RATES = data_dir("rates")
SHIPPED = {Path(t.file).name: t.id for t in shipped_book().tables}
"""The shipped tables (drafts are left out, as by every command): file name -> period."""


def _numbers():
    for file_name, period in sorted(SHIPPED.items()):
        for number in numbers_of((RATES / file_name).read_text(encoding="utf-8")):
            yield pytest.param(file_name, period, number, id=f"{file_name}:{number.cell}")


NUMBERS = list(_numbers())


def _golden(period: str, file_name: str) -> Golden:
    if period not in GOLDEN_FILES:
        pytest.fail(f"rates/{file_name} has no golden figures: write fixtures/golden/{period}.csv")
    return GOLDEN_FILES[period]


# -- which tables have golden figures -----------------------------------------------------------

def test_every_shipped_rate_table_has_a_golden_file():
    missing = [f"rates/{name} has no golden figures: write fixtures/golden/{period}.csv (see fixtures/golden/README.md)"
               for name, period in sorted(SHIPPED.items()) if period not in GOLDEN_FILES]
    assert not missing, "\n".join(missing)


def test_every_golden_file_is_for_a_shipped_period():
    assert set(GOLDEN_FILES) <= set(SHIPPED.values()), sorted(set(GOLDEN_FILES) - set(SHIPPED.values()))


def test_the_missing_golden_file_check_names_the_table(monkeypatch):
    """The check above can fail: with one golden file gone it names that table."""
    import tests.test_golden as here

    gone = sorted(GOLDEN_FILES)[-1]
    monkeypatch.setattr(here, "GOLDEN_FILES", {p: g for p, g in GOLDEN_FILES.items() if p != gone})
    with pytest.raises(AssertionError, match=rf"rates/{gone}\.yaml has no golden figures"):
        test_every_shipped_rate_table_has_a_golden_file()


def test_every_pin_names_a_number_of_its_table_and_every_number_is_pinned():
    for file_name, period in sorted(SHIPPED.items()):
        cells = {n.cell for n in numbers_of((RATES / file_name).read_text(encoding="utf-8"))}
        golden = _golden(period, file_name)
        unknown = golden.pinned_cells() - cells
        assert not unknown, f"{golden.name}: satsfelt names cells that rates/{file_name} does not have: {sorted(unknown)}"
        unpinned = cells - golden.pinned_cells() - set(NOT_PRICED)
        assert not unpinned, f"rates/{file_name}: no golden row pins {sorted(unpinned)}"


def test_the_numbers_are_read_from_the_yaml():
    """The enumeration finds the money and the days of every kind of table."""
    cells = {(name, n.cell) for name, _, n in (p.values for p in NUMBERS)}
    for name in SHIPPED:
        assert {(name, "period.first_day"), (name, "period.last_day"), (name, "maximum_summed_share_percent")} <= cells
    assert ("2022.yaml", "annual_rates.kun_veiledning.any.class_6.amount") in cells
    assert ("2025-26.yaml", "parameters.supervision_hours.value") in cells
    by_cell = {(name, n.cell): n for name, _, n in (p.values for p in NUMBERS)}
    assert by_cell[("2025-26.yaml", "parameters.practice_compensation_share.value")].moved(1) == "0.61"
    assert by_cell[("2025-26.yaml", "parameters.supervision_hours.value")].moved(-1) == "57.74"
    assert by_cell[("2022.yaml", "period.first_day")].moved(-1) == "2021-12-31"


# -- the engine gives the golden figures ------------------------------------------------------

@pytest.mark.parametrize("period", sorted(GOLDEN_FILES))
def test_the_engine_gives_every_golden_figure(engine, period):
    golden = GOLDEN_FILES[period]
    result = compute_golden(engine, golden)
    problems = compare(observed_from_result(result, golden), golden, f"{period}.yaml")
    assert not problems, "\n".join(problems)
    assert result.total_nok == sum(int(row[AMOUNT]) for row in golden.rows)


def test_the_command_line_gives_every_golden_figure(tmp_path, capsys):
    for period, golden in sorted(GOLDEN_FILES.items()):
        out = tmp_path / f"{period}.csv"
        argv = ["compute", str(golden.path), "--period", period, "-o", str(out), "--quiet"]
        for column in golden.not_input:
            argv += ["--ignore-column", column]
        code = main(argv)
        capsys.readouterr()
        rejected = any(row["forventet_status"] == "rejected" for row in golden.rows)
        assert code == (1 if rejected else 0)
        problems = compare(observed_from_cli_csv(out.read_text(encoding="utf-8"), golden), golden, f"{period}.yaml")
        assert not problems, "\n".join(problems)


def test_the_productivity_window_ends_the_day_before_the_same_date_24_months_later(engine):
    """First day as fastlege 15.09.2023: the window is 15.09.2023-14.09.2025, so a line from
    16.06.2025 has 2 whole months in it (16.06-15.07, 16.07-15.08), 125 000 x 2/12 = 20 833 kr.
    First day a day later (the window ending 15.09.2025) gives 3 months, 31 250 kr."""
    def produktivitet(first_gp_date):
        rec = {"alis_id": "W", "kommunenummer": "0301", "grant_type": "alis_avtale", "role": "fastlege",
               "position_share": "100", "start": "2025-06-16", "end": "2026-05-31", "first_gp_date": first_gp_date}
        (line,) = grants.compute([rec], period="2025-26", engine=engine).lines
        return next(e for e in line.elements if e.element == "produktivitet")

    two = produktivitet("2023-09-15")
    assert (two.window, two.months, to_kroner(two.granted)) == ((date(2023, 9, 15), date(2025, 9, 14)), 2, 20_833)
    three = produktivitet("2023-09-16")
    assert (three.window, three.months, to_kroner(three.granted)) == ((date(2023, 9, 16), date(2025, 9, 15)), 3, 31_250)


def test_a_wrong_golden_figure_fails_naming_the_file_the_row_and_the_cells(engine):
    """The comparison can fail, and says where."""
    golden = GOLDEN_FILES[sorted(GOLDEN_FILES)[0]]
    n, row = next((n, r) for n, r in enumerate(golden.rows, start=1) if r["forventet_status"] == "ok" and r["satsfelt"])
    wrong = Golden(golden.period, golden.path, golden.header,
                   [dict(r, forventet_belop=str(int(r[AMOUNT]) + 1)) if i == n else r
                    for i, r in enumerate(golden.rows, start=1)])
    problems = compare(observed_from_result(compute_golden(engine, wrong), wrong), wrong, f"{golden.period}.yaml")
    assert len(problems) == 1
    assert problems[0].startswith(f"fixtures/golden/{golden.period}.csv row {n} ({row['tilfelle']}), forventet_belop")
    assert f"{golden.period}.yaml:{row['satsfelt'].split()[0]}" in problems[0]


# -- every number, moved by one, is caught ----------------------------------------------------

@pytest.fixture(scope="module")
def rates_copy(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("golden") / "rates"
    shutil.copytree(RATES, folder)
    return folder


def _with_table(rates_copy: Path, file_name: str, text: str):
    """An engine on the copy with `file_name` replaced by `text` (then put back); or the
    loader's refusal."""
    path = rates_copy / file_name
    original = path.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    try:
        return grants.load_engine(rates_dir=rates_copy)
    except GrantsError as refused:
        return refused
    finally:
        path.write_text(original, encoding="utf-8")


def _check_number(rates_copy: Path, file_name: str, number, golden: Golden) -> None:
    """Move `number` of `file_name` by one unit each way; each way must be refused on load
    (naming the table) or change a golden figure of a row that pins it (the comparison's message
    names `<table file>:<cell>`). At least one way must reach the golden figures."""
    text = (rates_copy / file_name).read_text(encoding="utf-8")
    named = f"{file_name}:{number.cell}"
    caught = []
    for step in (1, -1):
        moved = f"{named} moved from {number.text} to {number.moved(step)}"
        engine = _with_table(rates_copy, file_name, with_number_moved(text, number, step))
        if isinstance(engine, GrantsError):
            assert number.cell not in NOT_PRICED, f"{moved}: refused on load ({engine})"
            assert file_name in str(engine), f"{moved}: refused without naming the table: {engine}"
            continue
        problems = compare(observed_from_result(compute_golden(engine, golden), golden), golden, file_name)
        if number.cell in NOT_PRICED:
            assert not problems, f"{moved}: listed as never priced, but golden figures moved:\n" + "\n".join(problems)
            continue
        naming = [p for p in problems if named in p]
        assert naming, (f"{moved}: no golden figure of a row pinning it changed"
                        + ("; other rows did:\n" + "\n".join(problems) if problems else ""))
        caught.append(step)
    assert caught or number.cell in NOT_PRICED, f"{named}: refused on load both ways, so no golden figure pins it"


@pytest.mark.parametrize("file_name,period,number", NUMBERS)
def test_each_number_moved_by_one_changes_a_golden_figure_that_names_it(rates_copy, file_name, period, number):
    _check_number(rates_copy, file_name, number, _golden(period, file_name))


def test_a_number_no_golden_row_pins_fails_naming_the_table_and_the_cell(rates_copy):
    """The mutation test can fail: with the hourly rate taken out of every row's satsfelt, the
    moved rate changes figures but none of a row that pins it, and the failure names it."""
    (file_name, period, number), = [p.values for p in NUMBERS if p.values[2].cell == "parameters.hourly_rate.value"]
    golden = GOLDEN_FILES[period]
    unpinned = Golden(golden.period, golden.path, golden.header,
                      [dict(r, satsfelt=" ".join(c for c in r["satsfelt"].split() if c != number.cell))
                       for r in golden.rows])
    with pytest.raises(AssertionError, match=rf"{file_name}:{number.cell} moved from 1375 to 1376: no golden figure"):
        _check_number(rates_copy, file_name, number, unpinned)
