"""Where durable_rules is not installed (Python 3.13 and later) the rules run through their numpy
compilation: `evaluator="auto"` chooses it, `evaluator="durable"` is refused saying why and what
to use, and `--version` and `rates list` say which evaluator runs (a compute run does not).

Below Python 3.13 the absence is made in a subprocess that blocks the import of durable_rules'
C engine; from 3.13 on it is real (the subprocess's block changes nothing there)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from grants.rules import durable_adapter
from tests.conftest import FIXTURES, REPO

EXAMPLE = FIXTURES / "examples" / "soknad_2023.csv"

_WITHOUT_DURABLE_RULES = r'''
import contextlib, io, json, sys
sys.modules["durable_rules_engine"] = None  # import durable_rules_engine now raises ImportError
import grants
from grants.cli import main
from grants.errors import EvaluatorUnavailableError

example, out_dir = sys.argv[1], sys.argv[2]
seen = {}

def screen(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as stop:
            code = stop.code
    return {"code": code, "out": out.getvalue(), "err": err.getvalue()}

seen["version"] = screen("--version")
seen["rates_list"] = screen("rates", "list")
seen["compute"] = screen("compute", example, "--period", "2023", "-o", out_dir + "/auto.csv")
seen["compute_durable"] = screen("compute", example, "--period", "2023", "-o", out_dir + "/durable.csv",
                                 "--evaluator", "durable")
from grants.commands._common import load_input
result = grants.compute(load_input(example).lines, "2023")
seen["library"] = {"evaluator": result.evaluator, "total": result.total_nok,
                   "amounts": [l.amount_nok for l in result.lines]}
try:
    grants.compute([], "2023", evaluator="durable")
except EvaluatorUnavailableError as exc:
    seen["library_durable"] = {"error": type(exc).__name__, "message": str(exc),
                               "is_grants_error": isinstance(exc, grants.GrantsError)}
else:
    seen["library_durable"] = {"error": None}
print(json.dumps(seen))
'''


@pytest.fixture(scope="module")
def without(tmp_path_factory):
    """What the program says and computes in a process where durable_rules cannot be imported."""
    out_dir = tmp_path_factory.mktemp("numpy_only")
    proc = subprocess.run([sys.executable, "-c", _WITHOUT_DURABLE_RULES, str(EXAMPLE), str(out_dir)],
                          capture_output=True, text=True, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    seen["dir"] = out_dir
    return seen


def test_auto_runs_the_numpy_compilation_and_gives_the_same_money(without, engine, tmp_path, capsys):
    """The same money as this interpreter's evaluator (durable_rules below Python 3.13)."""
    from grants.cli import main
    from grants.commands._common import load_input

    here = engine.compute(load_input(str(EXAMPLE)).lines, "2023")
    assert without["library"]["evaluator"] == "vectorised"
    assert without["library"]["amounts"] == [l.amount_nok for l in here.lines]
    assert without["library"]["total"] == here.total_nok == 1_142_500
    assert without["compute"]["code"] == 0
    assert main(["compute", str(EXAMPLE), "--period", "2023", "-o", str(tmp_path / "here.csv"), "--quiet"]) == 0
    capsys.readouterr()
    written = (without["dir"] / "auto.csv").read_text(encoding="utf-8")
    assert written == (tmp_path / "here.csv").read_text(encoding="utf-8") and written.count("\n") == 10


def test_the_durable_evaluator_is_refused_saying_why_and_what_to_use(without):
    refused = without["library_durable"]
    assert refused["error"] == "EvaluatorUnavailableError" and refused["is_grants_error"]
    message = refused["message"]
    assert "«durable» kan ikke brukes" in message and "durable_rules" in message  # what, and why
    assert "«auto»" in message and "«vectorised»" in message  # what to use instead
    cli = without["compute_durable"]
    assert cli["code"] == 2 and cli["err"].startswith("Feil: evaluator «durable» kan ikke brukes")
    assert "--evaluator auto eller vectorised" in cli["err"]
    assert not (without["dir"] / "durable.csv").exists()  # refused before anything is written


def test_version_and_rates_list_say_the_numpy_compilation_runs(without):
    version = without["version"]
    assert version["code"] == 0
    assert version["out"].startswith("alis-grant ") and f"Python {sys.version_info.major}." in version["out"]
    assert "Regelmotor: numpy" in version["out"] and "durable_rules" in version["out"]
    assert without["rates_list"]["code"] == 0
    assert without["rates_list"]["out"].rstrip().splitlines()[-1].startswith("Regelmotor: numpy")


def test_a_compute_run_does_not_say_which_evaluator_ran(without):
    screen = without["compute"]["out"]
    assert "Totalt tilskudd" in screen  # the summary is there
    assert "Regelmotor" not in screen and "kolonnevis" not in screen and "durable" not in screen


def test_version_and_rates_list_say_which_evaluator_runs_here(capsys):
    from grants.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    version = capsys.readouterr().out
    assert main(["rates", "list"]) == 0
    listed = capsys.readouterr().out.rstrip().splitlines()[-1]
    expected = "Regelmotor: durable_rules" if durable_adapter.available() else "Regelmotor: numpy"
    assert version.splitlines()[1].startswith(expected) and listed.startswith(expected)


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="durable_rules is installed below Python 3.13 only")
def test_durable_rules_is_installed_and_runs_below_python_3_13():
    """Below 3.13 the differential tests must not skip for want of durable_rules."""
    assert durable_adapter.available(), durable_adapter.unavailable_reason()


@pytest.mark.skipif(sys.version_info < (3, 13), reason="from Python 3.13 on only")
def test_from_python_3_13_durable_rules_is_not_installed_and_the_reason_says_why():
    from importlib import metadata

    with pytest.raises(metadata.PackageNotFoundError):
        metadata.version("durable-rules")  # the environment marker in pyproject.toml
    assert not durable_adapter.available()
    reason = durable_adapter.unavailable_reason()
    assert reason and "Python 3.13" in reason and "PyEval_CallObject" in reason
