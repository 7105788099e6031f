"""grants.io.output: the output path checked before computing, one atomic writer, and no text
from a file that a spreadsheet runs or a terminal obeys."""
from __future__ import annotations

import csv
import json
import os
import stat
import threading
from pathlib import Path

import pytest

import grants
from grants.errors import OutputFileError
from grants.io import atomic_output, check_output_path, looks_like_formula, spreadsheet_safe, terminal_safe
from grants.tools.portfolio import synthetic_portfolio, write_csv
from grants.io.writers import write_result
from tests.conftest import line

# --- check_output_path -------------------------------------------------------------------------


def test_a_writable_new_file_in_an_existing_folder_is_accepted(tmp_path):
    assert check_output_path(tmp_path / "ut.csv", suffixes=(".csv", ".json")) == tmp_path / "ut.csv"


def test_missing_folder_is_refused(tmp_path):
    with pytest.raises(OutputFileError, match="finnes ikke"):
        check_output_path(tmp_path / "mangler" / "ut.csv")


def test_target_that_is_a_folder_or_not_a_regular_file_is_refused(tmp_path):
    (tmp_path / "ut.csv").mkdir()
    with pytest.raises(OutputFileError, match="er en mappe"):
        check_output_path(tmp_path / "ut.csv")
    os.mkfifo(tmp_path / "rør.csv")
    with pytest.raises(OutputFileError, match="ikke en vanlig fil"):
        check_output_path(tmp_path / "rør.csv")


def test_read_only_mode_is_refused_even_for_root(tmp_path):
    out = tmp_path / "ut.csv"
    out.write_text("gammelt resultat")
    out.chmod(0o444)
    assert os.access(out, os.W_OK) or os.geteuid() != 0  # root could write it: the mode decides
    with pytest.raises(OutputFileError, match="skrivebeskyttet .modus 0444"):
        check_output_path(out)
    out.chmod(0o644)
    assert check_output_path(out) == out


def test_folder_without_write_bit_is_refused(tmp_path):
    folder = tmp_path / "lesbar"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(OutputFileError, match="mappen .* er skrivebeskyttet"):
            check_output_path(folder / "ut.csv")
    finally:
        folder.chmod(0o755)


def test_the_input_file_is_never_the_output(tmp_path):
    src = tmp_path / "søknad.csv"
    src.write_text("alis_id\n")
    with pytest.raises(OutputFileError, match="samme som innfilen"):
        check_output_path(src, input_path=src)
    link = tmp_path / "lenke.csv"
    link.symlink_to(src)
    with pytest.raises(OutputFileError, match="samme som innfilen"):
        check_output_path(link, input_path=tmp_path / "." / "søknad.csv")
    hard = tmp_path / "hard.csv"
    os.link(src, hard)
    with pytest.raises(OutputFileError, match="samme som innfilen"):
        check_output_path(hard, input_path=src)
    assert check_output_path(tmp_path / "ut.csv", input_path=src)


def test_suffix_outside_the_allowed_set_is_refused(tmp_path):
    with pytest.raises(OutputFileError, match=r"må slutte på \.csv eller \.json"):
        check_output_path(tmp_path / "ut.xlsx", suffixes=(".csv", ".json"))
    assert check_output_path(tmp_path / "UT.CSV", suffixes=(".csv",))


# --- atomic_output -----------------------------------------------------------------------------


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_writes_fsyncs_and_renames(tmp_path, monkeypatch):
    out = tmp_path / "ut.csv"
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    with atomic_output(out) as fh:
        fh.write("a;b\r\n1;2\n")
        (tmp_name,) = leftovers(tmp_path)  # the temporary file is beside the target
        assert tmp_name.startswith(".ut.csv.")
        assert not out.exists()  # nothing at the target until the rename
    assert out.read_bytes() == b"a;b\r\n1;2\n"  # newline="" keeps line ends as written
    assert synced, "the file was not fsynced"
    assert leftovers(tmp_path) == []


def test_failure_leaves_the_target_as_it_was_and_no_temp_file(tmp_path):
    out = tmp_path / "ut.csv"
    out.write_text("forrige resultat")
    with pytest.raises(RuntimeError, match="midt i"):
        with atomic_output(out) as fh:
            fh.write("halvt")
            raise RuntimeError("feil midt i skrivingen")
    assert out.read_text() == "forrige resultat"
    assert leftovers(tmp_path) == []


def test_unwritable_folder_is_an_output_error_not_a_traceback(tmp_path):
    with pytest.raises(OutputFileError, match="kan ikke skrive"):
        with atomic_output(tmp_path / "mangler" / "ut.csv") as fh:
            fh.write("x")


def test_temporary_names_are_unique_and_concurrent_runs_do_not_collide(tmp_path):
    out = tmp_path / "ut.csv"
    with atomic_output(out) as a, atomic_output(out) as b:
        assert len(leftovers(tmp_path)) == 2  # two temporary files, never one shared name
        a.write("A" * 1000)
        b.write("B" * 2000)
    assert out.read_text() == "A" * 1000  # a finished last: one whole file, never a mix
    assert leftovers(tmp_path) == []

    errors: list[BaseException] = []

    def writer(letter: str, n: int) -> None:
        try:
            for _ in range(30):
                with atomic_output(out) as fh:
                    fh.write(letter * n)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(c, 50_000 + i)) for i, c in enumerate("XYZW")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    content = out.read_text()
    assert len(set(content)) == 1 and len(content) == 50_000 + "XYZW".index(content[0])
    assert leftovers(tmp_path) == []


def test_mode_of_an_existing_target_is_kept_and_a_new_file_gets_the_umask_mode(tmp_path):
    out = tmp_path / "ut.csv"
    with atomic_output(out) as fh:
        fh.write("x")
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~_umask()  # not mkstemp's 0600
    out.chmod(0o640)
    with atomic_output(out) as fh:
        fh.write("y")
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


def _umask() -> int:
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1], 8) for l in fh if l.startswith("Umask:"))


def test_a_read_only_target_is_never_replaced_even_without_a_check_first(tmp_path):
    out = tmp_path / "ut.csv"
    out.write_text("låst")
    out.chmod(0o444)
    with pytest.raises(OutputFileError, match="skrivebeskyttet"):
        with atomic_output(out) as fh:
            fh.write("nytt")
    assert out.read_text() == "låst" and leftovers(tmp_path) == []
    (tmp_path / "mappe.csv").mkdir()
    with pytest.raises(OutputFileError, match="er en mappe"):
        with atomic_output(tmp_path / "mappe.csv") as fh:
            fh.write("nytt")


def test_binary_mode(tmp_path):
    with atomic_output(tmp_path / "ut.xlsx", binary=True) as fh:
        fh.write(b"PK\x03\x04")
    assert (tmp_path / "ut.xlsx").read_bytes() == b"PK\x03\x04"


def test_a_symlinked_target_is_written_through_the_link(tmp_path):
    real = tmp_path / "ekte.csv"
    real.write_text("gammel")
    link = tmp_path / "lenke.csv"
    link.symlink_to(real)
    with atomic_output(link) as fh:
        fh.write("ny")
    assert link.is_symlink() and real.read_text() == "ny"


# --- spreadsheet and terminal safety -----------------------------------------------------------

DANGEROUS = ["=HYPERLINK(\"http://x\",\"klikk\")", "+4791234567", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=", "-"]
HARMLESS = ["A1", "0301", "80,5", " =1+1", "'=1", "", "Tromsø", "2023-01-31", "1-2"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_formula_text_is_prefixed_so_no_spreadsheet_runs_it(text):
    assert looks_like_formula(text)
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("text", HARMLESS)
def test_ordinary_text_is_unchanged(text):
    assert not looks_like_formula(text)
    assert spreadsheet_safe(text) == text


@pytest.mark.parametrize("value", [-5, 0, 275_000, None, 1.5])
def test_non_text_is_unchanged(value):
    assert spreadsheet_safe(value) is value


@pytest.mark.parametrize("raw,shown", [
    ("\x1b[2J\x1b]0;tittel\x07", "\\x1b[2J\\x1b]0;tittel\\x07"),
    ("rad\rover", "rad\\x0dover"),
    ("del\x7f c1\x9b31m", "del\\x7f c1\\x9b31m"),
    ("abc\u202eedcba", "abc\\u202eedcba"),
    ("linje 1\nlinje 2\tTromsø æøå", "linje 1\nlinje 2\tTromsø æøå"),
    ("nul\x00", "nul\\x00"),
])
def test_terminal_safe_escapes_control_characters_visibly(raw, shown):
    assert terminal_safe(raw) == shown
    assert not any(ord(c) < 32 and c not in "\n\t" for c in terminal_safe(raw))


# --- the writers use all of it ------------------------------------------------------------------

HOSTILE_IDS = ['=HYPERLINK("http://angrep.example","klikk")', "+4712345678", "-2+3", "@SUM(A1)", "\t=1+1", "\r=2"]


def cells_of(path: Path, delimiter: str) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh, delimiter=delimiter))


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_written_csv_has_no_cell_a_spreadsheet_would_run(tmp_path, delimiter):
    records = [line(alis_id=h) for h in HOSTILE_IDS]
    records.append(line(alis_id="OK1"))
    records.append(line(alis_id="=BAD()", position_share="=1+1"))  # a rejection carries the value too
    result = grants.compute(records, period="2023")
    out = tmp_path / "ut.csv"
    write_result(result, out, delimiter=delimiter)
    rows = cells_of(out, delimiter)
    header, body = rows[0], rows[1:]
    assert len(body) == len(records)  # every input row is in the file
    assert all(not looks_like_formula(cell) for row in rows for cell in row)
    ids = [r[header.index("alis_id")] for r in body]
    for hostile in HOSTILE_IDS:
        assert "'" + hostile.strip() in ids  # kept, as text (the engine strips the id's outer spaces)
    amounts = [r[header.index("amount_nok")] for r in body if r[header.index("amount_nok")]]
    assert amounts and all(a.lstrip("-").isdigit() for a in amounts)  # numbers stay numbers
    assert leftovers(tmp_path) == []


def test_json_output_goes_through_the_atomic_writer(tmp_path):
    out = tmp_path / "ut.json"
    out.write_text("forrige")
    result = grants.compute([line(alis_id="=X")], period="2023")
    write_result(result, out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["lines"][0]["alis_id"] == "=X"  # JSON is for programs: values as they are
    assert leftovers(tmp_path) == []


def test_result_writer_leaves_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    out = tmp_path / "ut.csv"
    out.write_text("forrige resultat")
    result = grants.compute([line()], period="2023")

    def broken_rows():
        yield from ()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(type(result), "iter_rows", lambda self: broken_rows())
    with pytest.raises(OutputFileError, match="kan ikke skrive"):
        write_result(result, out)
    assert out.read_text() == "forrige resultat"
    assert leftovers(tmp_path) == []


def test_portfolio_write_csv_is_atomic_and_refuses_a_missing_folder(tmp_path):
    records = synthetic_portfolio(20, seed=3, period="2023")
    out = tmp_path / "batch.csv"
    write_csv(records, out)
    assert len(cells_of(out, ",")) == 21
    assert leftovers(tmp_path) == []
    with pytest.raises(OutputFileError):
        write_csv(records, tmp_path / "mangler" / "batch.csv")
