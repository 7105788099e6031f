"""Every file a command writes, through the real command line: never a file the command reads,
always through the one atomic writer (a planted temporary name, a kept mode, a symlinked
target, concurrent runs, a full disk), and every failure that stops a run is one readable,
terminal-safe line with exit 2."""
from __future__ import annotations

import ast
import os
import resource
import signal
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openpyxl
import pytest

from .cli_process import DISK_FULL, error_lines, no_memory_in, run_cli
from .conftest import FIXTURES, REPO

EXAMPLE = FIXTURES / "examples" / "soknad_2023.csv"
MODEL_B = FIXTURES / "examples" / "soknad_2025-26_timer.csv"
SESSIONS = FIXTURES / "examples" / "veiledningsokter_2025-26.csv"

COMMANDS = {
    # name: (arguments, with {out} for the output path; the file written, relative to {out}'s folder)
    "compute .xlsx": (["compute", EXAMPLE, "--period", "2023", "--quiet", "-o", "{out}"], "beregning.xlsx"),
    "compute .csv": (["compute", EXAMPLE, "--period", "2023", "--quiet", "-o", "{out}"], "resultat.csv"),
    "compute .json": (["compute", EXAMPLE, "--period", "2023", "--quiet", "-o", "{out}"], "resultat.json"),
    "template": (["template", "--period", "2023", "-o", "{out}"], "mal.xlsx"),
    "report": (["report", EXAMPLE, "--period", "2023", "-o", "{out}"], "rapport.html"),
    "portfolio": (["portfolio", "--lines", "20", "--seed", "1", "-o", "{out}"], "portefolje.csv"),
    "schema -o DIR": (["schema", "-o", "{dir}"], "public_api.json"),
}


def _args(name: str, folder: Path) -> tuple[list, Path]:
    args, written = COMMANDS[name]
    out = folder / written
    return [str(a).replace("{out}", str(out)).replace("{dir}", str(folder)) for a in args], out


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp"))


def _valid(path: Path) -> None:
    if path.suffix == ".xlsx":
        openpyxl.load_workbook(path).close()
    else:
        assert path.read_bytes().strip()


# --- -o never destroys an input ------------------------------------------------------------------


def test_the_output_is_never_a_file_the_command_reads_directly_or_through_a_link(tmp_path):
    """`compute ... --sessions okter.csv -o okter.csv` replaced the sessions with the result."""
    sessions = tmp_path / "okter.csv"
    sessions.write_bytes(SESSIONS.read_bytes())
    os.link(sessions, tmp_path / "hard.csv")
    for target in ("okter.csv", "hard.csv"):  # a symbolic link: the report below
        proc = run_cli("compute", MODEL_B, "--period", "2025-26", "--sessions", sessions, "-o", tmp_path / target)
        assert proc.returncode == 2, proc.stderr
        [message] = error_lines(proc)
        assert "er den samme som øktfilen (--sessions)" in message
        assert sessions.read_bytes() == SESSIONS.read_bytes()
    application = tmp_path / "søknad.csv"
    application.write_bytes(EXAMPLE.read_bytes())
    (tmp_path / "rapport.html").symlink_to(application)
    proc = run_cli("report", application, "--period", "2023", "-o", tmp_path / "rapport.html")
    assert proc.returncode == 2 and "er den samme som innfilen" in proc.stderr
    assert application.read_bytes() == EXAMPLE.read_bytes()


# --- one atomic writer for every file ------------------------------------------------------------


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_output_goes_through_the_atomic_writer(tmp_path, name):
    """A symlink planted at the old fixed temporary name is left alone, a 0600 target keeps its
    mode, a symlinked target is written through the link (as the CSV writer always did)."""
    args, out = _args(name, tmp_path)
    victim = tmp_path / "offer.txt"
    victim.write_text("urørt")
    (tmp_path / f".{out.name}.tmp").symlink_to(victim)
    real = tmp_path / "ekte" / out.name
    real.parent.mkdir()
    real.write_bytes(b"gammel")
    real.chmod(0o600)
    out.symlink_to(real)
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr
    assert victim.read_text() == "urørt"
    assert out.is_symlink() and os.readlink(out) == str(real)
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert real.read_bytes() != b"gammel"
    _valid(real)
    assert _temporaries(tmp_path) == [f".{out.name}.tmp"] and _temporaries(real.parent) == []


@pytest.mark.parametrize("name", ["compute .xlsx", "compute .csv", "template", "report", "schema -o DIR"])
def test_a_full_disk_is_one_clear_line_exit_2_the_old_file_intact_and_no_temporary_left(tmp_path, name):
    args, out = _args(name, tmp_path)
    out.write_bytes(b"forrige versjon")
    proc = run_cli(*args, shim=DISK_FULL, env={"ALIS_TEST_FULL_AFTER": "100"})
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    [message] = [line for line in error_lines(proc) if line.startswith("Feil:")]
    assert "disken er full" in message and "frigjør plass" in message and str(out.parent) in message
    if name != "schema -o DIR":  # the schema's first file is another one, which did not exist
        assert str(out.name) in message and "den gamle filen er uendret" in message
    assert out.read_bytes() == b"forrige versjon"
    assert _temporaries(tmp_path) == []


def test_a_file_size_limit_of_the_system_is_a_clear_line_too(tmp_path):
    """A real write error from the kernel, no injection: RLIMIT_FSIZE makes writes past it fail."""
    out = tmp_path / "beregning.xlsx"

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead of a signal
        resource.setrlimit(resource.RLIMIT_FSIZE, (8_000, 8_000))

    proc = run_cli("compute", EXAMPLE, "--period", "2023", "--quiet", "-o", out, preexec_fn=small_files)
    assert proc.returncode == 2, proc.stderr
    [message] = [line for line in error_lines(proc) if line.startswith("Feil:")]
    assert "filen blir større enn systemet tillater" in message
    assert not out.exists() and _temporaries(tmp_path) == []


def test_concurrent_runs_writing_one_workbook_all_succeed_and_leave_a_whole_workbook(tmp_path):
    out = tmp_path / "beregning.xlsx"
    with ThreadPoolExecutor(2) as pool:
        procs = list(pool.map(lambda _: run_cli("compute", EXAMPLE, "--period", "2023", "--quiet", "-o", out), range(2)))
    assert [p.returncode for p in procs] == [0, 0], [p.stderr for p in procs]
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:5] == ["Linjer", "Sammendrag", "Forklaring", "Satser", "Avviste"]
    assert _temporaries(tmp_path) == []


def test_no_module_writes_a_file_except_through_the_atomic_writer():
    """Any file added later goes through grants.io.output.atomic_output: no other write call in
    the package (the service's upload, written to its own private folder to be read, is the one
    exception, named here)."""
    allowed = {("grants/service/batch.py", "write_bytes")}
    found = []
    for path in sorted((REPO / "grants").rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        if rel == "grants/io/output.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("write_text", "write_bytes", "replace", "rename", "mkstemp", "NamedTemporaryFile"):
                if name in ("replace", "rename") and not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                                                          and func.value.id == "os"):
                    continue
                found.append((rel, name))
            elif name in ("save", "save_workbook"):  # openpyxl's own savers open the path themselves
                found.append((rel, name))
            elif name == "open" and any(isinstance(a, ast.Constant) and isinstance(a.value, str) and set(a.value) & set("wax")
                                        for a in node.args[1:2] + [k.value for k in node.keywords if k.arg == "mode"]):
                found.append((rel, name))
    assert set(found) <= allowed, sorted(set(found) - allowed)


# --- every failure is one readable line ----------------------------------------------------------


def test_running_out_of_memory_is_one_line_and_exit_2(tmp_path):
    proc = run_cli("compute", EXAMPLE, "--period", "2023", "-o", tmp_path / "ut.csv",
                   shim=no_memory_in("grants.io.csvfile", "_read_csv_lines"))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    [message] = error_lines(proc)
    assert "ikke nok minne" in message and str(EXAMPLE) in message and "del filen opp" in message
    assert not (tmp_path / "ut.csv").exists()


def test_an_unexpected_error_is_one_line_and_exit_2_not_a_traceback_with_exit_1(tmp_path):
    shim = """
import grants.io.csvfile as _r
def _broken(*args, **kwargs):
    raise ZeroDivisionError("a bug")
_r._read_csv_lines = _broken
"""
    proc = run_cli("compute", EXAMPLE, "--period", "2023", shim=shim)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    [message] = error_lines(proc)
    assert "intern feil" in message and "ZeroDivisionError" in message and "ALIS_GRANT_DEBUG=1" in message


def test_a_whole_file_error_quoting_the_file_cannot_drive_the_terminal(tmp_path):
    """An escape sequence in the file (here right after a quoted field) is shown, not obeyed."""
    src = tmp_path / "søknad.csv"
    src.write_bytes(b'lege_id;kommunenr;tilskuddstype;rolle;stillingsandel;fra;til\n'
                    b'"A1"\x1b[2J\x1b]0;pwned\x07;0301;alis_avtale;fastlege;80;2023-01-01;2023-09-30\n')
    proc = run_cli("compute", src, "--period", "2023")
    assert proc.returncode == 2
    assert "\x1b" not in proc.stderr and "\x07" not in proc.stderr
    [message] = error_lines(proc)
    assert "\\x1b[2J" in message
