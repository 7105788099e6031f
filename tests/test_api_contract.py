"""The public contract (grants.__all__ with signatures, and the JSON Schemas) is held to the
committed snapshot in tests/api_snapshot/ and recorded in CHANGELOG.md."""
from __future__ import annotations

import json
import re

import pytest

import grants
from grants import contract as api_contract
from grants.service.api_models import BatchResult, LineIn
from grants.cli import main
from grants.io.reader import read_table
from grants.io.writers import result_document

from .conftest import FIXTURES, REPO, line

SNAPSHOT = REPO / "tests" / "api_snapshot"
HOW = "run `.venv/bin/alis-grant schema -o tests/api_snapshot` and add a CHANGELOG.md entry with the new fingerprint"


def _committed() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in SNAPSHOT.iterdir() if p.is_file()}


def test_public_api_and_schemas_match_the_committed_snapshot():
    current, committed = api_contract.snapshot_files(), _committed()
    assert sorted(current) == sorted(committed), f"snapshot files differ: {HOW}"
    changed = [name for name in current if current[name] != committed[name]]
    assert not changed, f"the public API changed ({', '.join(changed)}): {HOW}"


def test_changelog_quotes_the_current_fingerprint():
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    quoted = re.findall(r"API fingerprint: ([0-9a-f]{16})", changelog)
    assert quoted, "CHANGELOG.md quotes no API fingerprint"
    assert api_contract.fingerprint() in quoted, f"CHANGELOG.md has no entry for the current API: {HOW}"


def test_a_change_to_all_changes_the_snapshot(monkeypatch):
    before = api_contract.snapshot_files()
    monkeypatch.setattr(grants, "__all__", [*grants.__all__, "default_engine_alias"], raising=True)
    monkeypatch.setattr(grants, "default_engine_alias", grants.default_engine, raising=False)
    after = api_contract.snapshot_files()
    assert after["public_api.json"] != before["public_api.json"]
    assert api_contract.fingerprint(after) != api_contract.fingerprint(before)


def test_every_name_in_all_exists_and_the_documented_ones_are_there():
    for name in grants.__all__:
        assert hasattr(grants, name), name
    for name in ("compute", "explain", "load_rates", "load_rules", "Engine", "LineInput", "GrantResult", "LineResult"):
        assert name in grants.__all__
    assert callable(grants.explain) and grants.explain.__module__ == "grants.service.public"


def test_schema_command_writes_the_snapshot_files(tmp_path, capsys):
    assert main(["schema", "-o", str(tmp_path)]) == 0
    written = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()}
    assert written == api_contract.snapshot_files()
    assert api_contract.fingerprint() in capsys.readouterr().out
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) >= {"line_input", "batch_result"}
    assert printed["line_input"]["additionalProperties"] is False


@pytest.mark.parametrize("example,period", [("soknad_2023.csv", "2023"), ("soknad_2025-26.csv", "2025-26"), ("soknad_2023.csv", None)])
def test_the_json_document_matches_its_schema_with_provenance_everywhere(engine, example, period):
    result = engine.compute(read_table(FIXTURES / "examples" / example).records(), period)
    doc = BatchResult.model_validate(result_document(result))
    used = set(result.rates_statuses)
    assert doc.provenance is not None and set(doc.provenance.rates_sha256) == used
    assert doc.provenance.version == grants.__version__
    assert doc.traces and all(t.provenance.rates_sha256.keys() == {t.period.id} for t in doc.traces)
    assert set(doc.provenance.rules_sha256) == {p.name for p in (REPO / "rules").glob("*.yaml")}


def test_provenance_hashes_are_the_files_sha256(engine):
    import hashlib

    result = engine.compute([line()], "2023")
    prov = result.provenance_json()
    assert prov["rates_sha256"]["2023"]["sha256"] == hashlib.sha256((REPO / "rates" / "2023.yaml").read_bytes()).hexdigest()
    for name, digest in prov["rules_sha256"].items():
        assert digest == hashlib.sha256((REPO / "rules" / name).read_bytes()).hexdigest()


def test_rates_and_rules_from_another_folder_change_the_amount_and_the_hash(tmp_path, engine):
    rates = tmp_path / "rates"
    rates.mkdir()
    for p in (REPO / "rates").glob("*.yaml"):
        text = p.read_text(encoding="utf-8")
        if p.name == "2023.yaml":
            assert "300000" in text
            text = text.replace("300000", "360000")
        (rates / p.name).write_text(text, encoding="utf-8")
    own = grants.load_engine(rates_dir=rates, rules_dir=REPO / "rules")
    theirs = grants.compute([line()], "2023", engine=own)
    ours = engine.compute([line()], "2023")
    assert theirs.total_nok != ours.total_nok
    assert theirs.provenance_json()["rates_sha256"]["2023"]["sha256"] != ours.provenance_json()["rates_sha256"]["2023"]["sha256"]
    assert theirs.provenance_json()["rules_sha256"] == ours.provenance_json()["rules_sha256"]
    book = grants.load_rates(rates)
    assert grants.load_rules(REPO / "rules", book).rules
    with pytest.raises(grants.GrantsError):
        grants.load_rates(tmp_path / "missing")


def test_explain_is_the_bokmal_explanation_of_one_row(engine):
    lines = [line(), line(alis_id="T2", position_share="120")]
    text = grants.explain(lines, 1, "2023")
    assert "Rad 1, lege T1" in text and "Sum for raden" in text and "ADVARSEL" in text
    assert "avvist" in grants.explain(lines, 2, "2023")
    with pytest.raises(IndexError):
        grants.explain(lines, 3, "2023")


def test_wire_line_is_strict_in_shape_and_loose_in_values():
    ok = LineIn.model_validate({**line(), "position_share": 80.5, "expenses": {"veiledning": "12 500"}})
    assert ok.record()["expense_veiledning"] == "12 500"
    for bad in ({**line(), "unknown": 1}, {**line(), "position_share": [80]}, {**line(), "alis_id": True}):
        with pytest.raises(Exception):
            LineIn.model_validate(bad)
