"""`compute --lang nb` (Norwegian CSV for people, English by default for programs) and the
progress display (only on a terminal, never with --quiet)."""
from __future__ import annotations

import csv
import io
import subprocess
import sys
import time

from grants.cli import main
from grants.report.progress import Steps, wanted
from grants.report.vocabulary_nb import COLUMN_NB
from tests.conftest import FIXTURES

EXAMPLE = FIXTURES / "examples" / "soknad_2023.csv"


def _rows(path):
    text = path.read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def test_lang_nb_csv_has_norwegian_headers_values_and_dates(capsys, tmp_path):
    out = tmp_path / "res.csv"
    assert main(["compute", str(EXAMPLE), "--period", "2023", "-o", str(out), "--lang", "nb"]) == 0
    rows = _rows(out)
    assert list(rows[0])[:4] == ["Rad", "Lege (ALIS-id)", "Kommunenummer", "Kommune"]
    first, fourth = rows[0], rows[3]
    assert first["Status"] == "innvilget" and fourth["Status"] == "ikke rett"
    assert first["Fra"] == "01.10.2022" and first["Regnet til"] == "31.08.2023"
    assert first["Beløp (kr)"] == "275000" and first["Tilskuddstype"] == "ALIS-avtale"
    assert first["Klasse fra"] == "SSB"


def test_default_csv_keeps_the_stable_english_names(capsys, tmp_path):
    out = tmp_path / "res.csv"
    assert main(["compute", str(EXAMPLE), "--period", "2023", "-o", str(out)]) == 0
    rows = _rows(out)
    assert list(rows[0])[:3] == ["row", "alis_id", "kommunenummer"]
    assert rows[0]["status"] == "ok" and rows[0]["start"] == "2022-10-01"
    assert not set(rows[0]) & (set(COLUMN_NB.values()) - set(COLUMN_NB))


def test_lang_nb_with_json_is_refused_before_computing(capsys, tmp_path):
    out = tmp_path / "res.json"
    code = main(["compute", str(EXAMPLE), "--period", "2023", "-o", str(out), "--lang", "nb"])
    stdout, err = capsys.readouterr()
    assert code == 2 and "JSON" in err and not out.exists() and "Totalt" not in stdout


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_wanted_only_on_a_terminal_without_quiet():
    assert wanted(False, _Tty()) is True
    assert wanted(True, _Tty()) is False
    assert wanted(False, io.StringIO()) is False


def test_progress_shows_after_the_delay_and_not_before():
    screen = _Tty()
    with Steps(enabled=True, delay=0.05, file=screen) as steps:
        steps.step("Leser")
        time.sleep(0.8)
        steps.step("Skriver", total=100)
        steps.advance(50)
        time.sleep(0.5)
        assert steps.shown
    assert "Leser" in screen.getvalue() and "Skriver" in screen.getvalue()
    assert "50%" in screen.getvalue()
    quick = _Tty()
    with Steps(enabled=True, delay=5, file=quick) as steps:
        steps.step("Leser")
    assert not steps.shown and quick.getvalue() == ""


def test_disabled_progress_writes_nothing():
    screen = _Tty()
    with Steps(enabled=False, delay=0, file=screen) as steps:
        steps.step("Leser")
        time.sleep(0.05)
    assert not steps.shown and screen.getvalue() == ""


def test_workbook_reports_its_progress(engine, tmp_path):
    from grants.io.workbook import write_workbook
    from tests.conftest import line

    result = engine.compute([line(alis_id=f"L{i}") for i in range(3)] + [line(alis_id="X", role="ukjent")], "2023")
    seen = []
    write_workbook(result, tmp_path / "b.xlsx", progress=seen.append)
    assert seen[0] == 0 and seen[-1] == 4


def test_compute_through_a_pipe_has_no_progress_output(tmp_path):
    """A real process whose stdout is a pipe: no progress bar escapes on either stream."""
    proc = subprocess.run(
        [sys.executable, "-m", "grants.cli", "compute", str(EXAMPLE), "--period", "2023"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0
    assert "\x1b[" not in proc.stdout and "\x1b[" not in proc.stderr
    assert proc.stdout.rstrip().splitlines()[-1].startswith("Totalt tilskudd: 1 142 500 kr (9 rader inn")


def test_one_line_summary_uses_the_one_vocabulary(engine):
    from grants.report.explain import one_line_summary, summary
    from tests.conftest import line

    result = engine.compute([line(), line(alis_id="B", via_agency="ja"), line(alis_id="C", role="ukjent")], "2023")
    text = one_line_summary(result, blank_rows=2)
    assert text == "Totalt tilskudd: 275 000 kr (3 rader inn, 2 linjer: 1 innvilget, 1 ikke rett; 1 avvist; 2 tomme rader)"
    full = summary(result, blank_rows=2)
    assert "Rader inn: 3 (2 tomme rader hoppet over); linjer: 2 (1 innvilget, 1 ikke rett); avvist: 1 rad." in full
    assert full.endswith(text)


def test_one_line_summary_singular(engine):
    from grants.report.explain import one_line_summary
    from tests.conftest import line

    text = one_line_summary(engine.compute([line()], "2023"), blank_rows=1)
    assert text == "Totalt tilskudd: 275 000 kr (1 rad inn, 1 linje: 1 innvilget, 0 ikke rett; 0 avvist; 1 tom rad)"
