"""Each input field is declared once (grants.pipeline.fields.FIELDS), and what is not generated
from the declaration is held to it here, field by field: the typed line (LineInput), the
service's JSON line (LineIn), the facts the rules read, the notes on inputs no rule of a period
reads, and the README's column table."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from grants.domain import GrantType, Role
from grants.pipeline.fields import DEFAULTS, FIELDS, HEADER_ALIASES, OPTIONAL_FACTS, PARSERS, periods_reading
from grants.pipeline.inputs import LineInput
from grants.rules.facts import FACTS
from grants.service.api_models import LineIn

from .conftest import REPO


def test_the_typed_line_has_the_registry_fields_types_and_defaults_in_its_order():
    assert list(LineInput.model_fields) == list(FIELDS)
    for name, spec in FIELDS.items():
        info = LineInput.model_fields[name]
        assert info.is_required() == spec.required, name
        if spec.required or spec.default is not None:
            assert info.annotation == spec.type, name
        else:
            assert info.annotation == spec.type | None, name
        if not spec.required:
            assert info.default == spec.default, name


def test_the_json_line_has_the_registry_fields_and_their_summaries():
    assert list(LineIn.model_fields) == list(FIELDS)
    for name, spec in FIELDS.items():
        info = LineIn.model_fields[name]
        assert info.is_required() == spec.required, name
        assert info.description == spec.summary, name


def test_generated_tables_come_from_the_registry():
    assert set(PARSERS) == set(FIELDS) and all(PARSERS[n] is f.parse for n, f in FIELDS.items())
    assert set(HEADER_ALIASES) == set(FIELDS) - {"expenses"}
    assert all(HEADER_ALIASES[n][0] == n for n in HEADER_ALIASES)
    assert DEFAULTS == {n: f.default for n, f in FIELDS.items() if not f.required and n != "expenses"}
    assert all(f.summary and f.grammar and f.help_nb for f in FIELDS.values())


_KINDS = {"date": date, "bool": bool, "decimal": Decimal, "integer": int}


def test_a_field_the_rules_read_is_a_fact_of_the_same_type():
    for name, spec in FIELDS.items():
        if spec.fact is None:
            continue
        fact = FACTS[spec.fact]
        if fact.kind == "enum":
            assert spec.type in (GrantType, Role) and set(fact.values) == {v.value for v in spec.type}, name
        else:
            assert spec.type is _KINDS[fact.kind], name
        assert (spec.given is not None) == (not spec.required and spec.fact in (
            "via_agency", "private_commercial", "new_scheme", "agreement_signed", "first_gp_date")), name
    assert set(OPTIONAL_FACTS) == {n for n, f in FIELDS.items() if f.given is not None}


def test_an_optional_input_is_noted_as_unused_exactly_in_the_periods_that_do_not_read_it(engine):
    """The note «... er oppgitt, men ingen regel i perioden ... bruker den» and `periods_reading`
    come from the same rules: a field is read in a period, or noted there, never both."""
    for table in engine.ratebook.tables:
        noted = {field for field, _ in engine._unused_inputs[table.id]}
        read = {name for name in OPTIONAL_FACTS if table.id in periods_reading(name, engine.rulebook)}
        assert noted == set(OPTIONAL_FACTS) - read, table.id
    assert periods_reading("first_gp_date", engine.rulebook) == [
        t.id for t in engine.ratebook.tables if t.model == "B"]


def column_table(rulebook) -> str:
    """The README's table of input columns, from the registry (and, for which periods read an
    optional field, from the rules and rate tables)."""
    order = rulebook.ratebook.period_ids
    rows = ["| column | Norwegian headers accepted (and more in the table) | values (grammar) |", "|---|---|---|"]
    for name, spec in FIELDS.items():
        column, headers = f"`{name}`", ", ".join(spec.headers[1:4])
        if spec.prefixes:
            column = f"`{spec.prefixes[0]}<element>`"
            headers = ", ".join(f"{p}<element>" for p in spec.prefixes[1:])
        if not spec.required:
            periods = periods_reading(name, rulebook)
            when = "" if periods == order else (
                f", from {periods[0]}" if periods == order[order.index(periods[0]):] else f", {', '.join(periods)}")
            default = ", default ja" if spec.default is True else ""
            column += f" (optional{when}{default})"
        rows.append(f"| {column} | {headers} | {spec.grammar} |")
    return "\n".join(rows) + "\n"


def test_the_readme_column_table_is_the_registry(engine):
    expected = column_table(engine.rulebook)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert expected in readme, "README.md's input column table is not the registry's; it should read:\n" + expected
