"""Start-up cost of the command line: the fast paths must give the same answers as
the slow ones they replace, and `compute` must not import what it does not use."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from grants.datafiles import yaml_loader
from grants.datafiles.paths import data_dir
from grants.datafiles.yaml_loader import load_yaml
from tests.conftest import needs_durable_rules


def _shipped_yaml():
    return sorted(p for kind in ("rates", "rules", "centrality") for p in data_dir(kind).glob("*.yaml"))


def test_libyaml_is_used_when_pyyaml_has_it():
    assert (yaml_loader._FastLoader is not None) == bool(getattr(yaml, "__with_libyaml__", False))


@pytest.mark.parametrize("path", _shipped_yaml(), ids=lambda p: p.name)
def test_the_c_parser_reads_every_shipped_file_as_the_python_one_does(path):
    text = path.read_text(encoding="utf-8")
    fast, slow = load_yaml(text), load_yaml(text, fast=False)
    assert fast == slow
    assert repr(fast) == repr(slow)  # the same types too (int, str, date, float), in the same order


@pytest.mark.parametrize("text", [
    "a: 1\nb: 2.50\nc: 2023-01-01\nd: '0301'\ne: 0301\nf: yes\ng: ~\nh: [1, {x: y}]\ni: 1_000\nj: .inf\nk: 0o17\n",
    "- !!str 12\n- !!float 3\n- 12:30\n- 1e3\n- 2023-01-01T10:00:00\n- |\n  two\n  lines\n",
])
def test_both_parsers_agree_on_scalars_of_every_kind(text):
    assert repr(load_yaml(text)) == repr(load_yaml(text, fast=False))


@pytest.mark.parametrize("text", ["a: 1\nb: 2\na: 3\n", "x:\n  k: 1\n  k: 2\n"])
def test_a_repeated_key_is_refused_naming_it_and_its_lines(text):
    with pytest.raises(yaml.YAMLError) as fast:
        load_yaml(text)
    with pytest.raises(yaml.YAMLError) as slow:
        load_yaml(text, fast=False)
    assert "appears twice" in str(fast.value)
    assert str(fast.value) == str(slow.value)


def test_a_broken_file_gets_the_python_parsers_message():
    text = "a: [1, 2\nb: 3\n"
    with pytest.raises(yaml.YAMLError) as fast:
        load_yaml(text)
    with pytest.raises(yaml.YAMLError) as slow:
        load_yaml(text, fast=False)
    assert str(fast.value) == str(slow.value)  # libyaml words it differently, without the excerpt


# --- the load-time check of the rules, through the column evaluator ---------------------------


@needs_durable_rules
def test_the_load_time_probes_fire_the_same_rules_in_both_evaluators(engine):
    """The check that every combination is priced fires the probes over columns; it is only as
    good as that evaluator's agreement with durable_rules on exactly these facts, which are one
    fact table read both ways."""
    from grants.pipeline.facts import fire
    from grants.pipeline.plans import probes

    labels, table = probes(engine.ratebook)
    assert len(labels) == table.n >= 2 * 6 * len(engine.ratebook.tables)
    columns = fire(table, engine.rulebook, None)
    durable = fire(table, engine.rulebook, engine.runner)
    as_names = lambda fired: [sorted(fired.names[int(c)]) for c in fired.codes]  # noqa: E731
    assert as_names(columns) == as_names(durable)
    assert all(as_names(columns))  # every probe matched some rule: the comparison is not between empties


def _remove_rule(path, rule_id):
    text = path.read_text(encoding="utf-8")
    start = text.index(f"  - id: {rule_id}\n")
    nxt = text.find("\n  - id: ", start + 1)
    path.write_text(text[:start] + (text[nxt + 1:] if nxt != -1 else ""), encoding="utf-8")


@pytest.mark.parametrize("rule_id, kind", [
    ("rate.alis_avtale.introduksjonslege", "select_rate"),
    ("centrality.class_6", "select_centrality_group"),
])
def test_a_gap_in_the_rules_is_still_caught_when_the_engine_is_built(ratebook, rules_copy, rule_id, kind):
    from grants import Engine, RulesError
    from grants.rules.rulebook import RuleBook

    _remove_rule(rules_copy / "pricing.yaml", rule_id)
    book = RuleBook.load(ratebook, rules_copy)  # the file itself is fine: only the whole has a gap
    with pytest.raises(RulesError) as info:
        Engine(ratebook, book)
    assert kind in str(info.value) and "hull i regelverket" in str(info.value)


def test_an_overlap_in_the_rules_is_still_caught_when_the_engine_is_built(ratebook, rules_copy):
    from grants import Engine, RulesError
    from grants.rules.rulebook import RuleBook

    path = rules_copy / "pricing.yaml"
    text = path.read_text(encoding="utf-8")
    assert "{fact: centrality_class, lte: 5}" in text
    path.write_text(text.replace("{fact: centrality_class, lte: 5}", "{fact: centrality_class, lte: 6}"), encoding="utf-8")
    with pytest.raises(RulesError) as info:
        Engine(ratebook, RuleBook.load(ratebook, rules_copy))
    assert "centrality class 6" in str(info.value)


# --- what a command imports -------------------------------------------------------------------


_NOT_FOR_COMPUTE_TO_CSV = ("fastapi", "starlette", "uvicorn", "rich", "openpyxl", "hypothesis", "jinja2",
                           "grants.service.api_models", "grants.service.app", "grants.report.html",
                           "grants.io.workbook", "grants.io.sessions_file", "grants.tools.impact", "grants.testing")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport json, sys; print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True, timeout=120)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_compute_to_csv_imports_only_what_it_needs(tmp_path):
    from tests.conftest import FIXTURES

    example = FIXTURES / "examples" / "soknad_2023.csv"
    assert example.exists()
    loaded = _modules_after(
        "from grants.cli import main\n"
        f"code = main(['compute', {str(example)!r}, '--period', '2023', '-o', {str(tmp_path / 'out.csv')!r}, '--quiet'])\n"
        "assert code in (0, 1), code\n"
    )
    assert "grants.pipeline.engine" in loaded  # the run did happen
    assert (tmp_path / "out.csv").exists()
    assert not {m for m in loaded if m.split(".")[0] in _NOT_FOR_COMPUTE_TO_CSV or m in _NOT_FOR_COMPUTE_TO_CSV}


def test_importing_grants_or_building_the_parser_loads_no_engine():
    loaded = _modules_after("import grants, grants.cli\ngrants.cli._parser()\n")
    assert not {"grants.pipeline.engine", "pandas", "numpy", "pydantic", "durable_rules_engine"} & loaded


def test_the_public_names_are_all_there_and_load_on_first_use():
    import grants

    for name in grants.__all__:
        assert getattr(grants, name) is not None
        assert name in dir(grants)
    assert grants.__version__
    with pytest.raises(AttributeError):
        grants.no_such_name  # noqa: B018


def test_building_an_engine_needs_no_pandas():
    loaded = _modules_after("from grants.pipeline.engine import Engine\nEngine()\n")
    assert "pandas" not in loaded


# --- centrality data, read when first needed --------------------------------------------------


def test_centrality_files_are_read_on_first_lookup(tmp_path):
    import shutil

    from grants.errors import RateTableError
    from grants.rates.centrality import CentralityRegistry
    folder = tmp_path / "centrality"
    shutil.copytree(data_dir("centrality"), folder)
    registry = CentralityRegistry(folder)
    assert registry.has("ssb-2024") and not registry._loaded
    assert registry.lookup("0301", "ssb-2024", "2024").centrality_class == 1
    assert set(registry._loaded) == {"ssb-2024"}

    broken = folder / "sentralitet_2024_med_indeks.csv"
    text = broken.read_text(encoding="utf-8")
    assert "0301,Oslo,1," in text
    broken.write_text(text.replace("0301,Oslo,1,", "0301,Oslo,9,"), encoding="utf-8")
    fresh = CentralityRegistry(folder)
    with pytest.raises(RateTableError, match="outside 1-6"):
        fresh.lookup("0301", "ssb-2024", "2024")


def test_the_evaluator_option_still_checks_its_value_against_the_engines_list(capsys, tmp_path):
    from grants.cli import main
    from grants.pipeline.engine import EVALUATORS

    with pytest.raises(SystemExit) as info:
        main(["compute", str(tmp_path / "x.csv"), "--evaluator", "nope"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "ugyldig valg: 'nope'" in err and all(repr(e) in err for e in EVALUATORS)
