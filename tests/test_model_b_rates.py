"""The model B rate-table fields for caps (expense scope, hours, amounts applied for) are
validated on load, with the key named."""
from __future__ import annotations


import pytest

from grants import RateTableError
from grants.rates.tables import load_rate_table
from tests.conftest import REPO

SHIPPED = REPO / "rates" / "2025-26.yaml"


def _table(tmp_path, old, new):
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "2025-26.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("old,new,message", [
    ("    applied_from: productivity_applied\n", "", "applied_from"),
    ("    applied_from: productivity_applied\n", "    applied_from: produktivitet\n", "applied_from"),
    ("    cap_source: prototype-2025-26-newest\n", "    cap_source: nowhere\n", "cap_source"),
    ("  source: prototype-2025-26-newest\n  note: >-\n    One expense", "  source: nowhere\n  note: >-\n    One expense",
     "expense_scope.source"),
    ("  scope: doctor\n", "  scope: kommune\n", "expense_scope.scope"),
    ("    expense_from_hours: [hourly_rate, supervision_rate_factor]\n",
     "    expense_from_hours: [hourly_rate, supervision_factor]\n", "supervision_factor"),
])
def test_bad_cap_fields_stop_the_load_naming_the_key(tmp_path, old, new, message):
    with pytest.raises(RateTableError, match=message):
        load_rate_table(_table(tmp_path, old, new))


def test_hours_only_on_an_element_capped_by_expense(tmp_path):
    path = _table(tmp_path, "    cap: expense\n    expense_from_hours", "    cap: none\n    expense_from_hours")
    with pytest.raises(RateTableError, match="expense_from_hours"):
        load_rate_table(path)


def test_the_shipped_table_has_the_new_fields_with_sources():
    t = load_rate_table(SHIPPED)
    ids = {s.id for s in t.sources}
    assert t.doctor_scope and t.expense_scope.source in ids
    assert t.element("produktivitet").cap == "applied" and t.element("produktivitet").applied_from == "productivity_applied"
    assert t.element("sentralitetstillegg").applied_from == "centrality_supplement_applied"
    assert t.hours_element == "veiledning"
