"""The shipped rate tables and rules keep the project's promises: every number has a source,
every rule a citation and a period, and unofficial rates say so."""
from __future__ import annotations

from datetime import date

from grants.rates.tables import RateBook
from grants.rules.rulebook import RuleBook


def test_every_rate_table_is_marked_and_sourced(engine):
    for table in engine.ratebook.tables:
        assert table.status in ("official", "provisional", "illustrative")
        # no official rates were available: model A tables are illustrative, model B provisional
        assert table.status == ("illustrative" if table.model == "A" else "provisional")
        assert "ikke" in table.status_note.lower()
        ids = {s.id for s in table.sources}
        for p in (table.parameters or {}).values():
            assert p.source in ids
        for roles in (table.annual_rates or {}).values():
            for groups in roles.values():
                for amount in groups.values():
                    assert amount.source in ids


def test_domain_illustrative_amounts(engine):
    book = engine.ratebook
    assert book.get("2022").rate("alis_avtale.fastlege", "class_1_5").amount == 240000
    assert book.get("2022").rate("kun_veiledning.any", "class_6").amount == 60000
    for period in ("2023", "2023-24", "2024-25"):
        t = book.get(period)
        assert t.rate("alis_avtale.fastlege", "class_6").amount == 380000
        assert t.rate("alis_avtale.introduksjonslege", "class_6").amount == 320000
        assert t.rate("alis_avtale.annet_kommunalt", "class_1_5").amount == 200000
        assert t.rate("kun_veiledning.any", "class_1_5").amount == 75000


def test_periods_match_the_domain(engine):
    """The periods docs/DOMAIN.md gives are shipped with its dates; a later table may follow."""
    got = {t.id: (t.period.first_day.isoformat(), t.period.last_day.isoformat()) for t in engine.ratebook.tables}
    assert got.items() >= {
        "2022": ("2022-01-01", "2022-10-01"),
        "2023": ("2022-10-01", "2023-08-31"),
        "2023-24": ("2023-09-01", "2024-08-31"),
        "2024-25": ("2024-09-01", "2025-05-31"),
        "2025-26": ("2025-06-01", "2026-05-31"),
    }.items()
    assert all(t.period.first_day > date(2026, 5, 31) for t in engine.ratebook.tables[5:])


def test_every_rule_cites_and_is_dated(engine):
    for rule in engine.rulebook.rules:
        assert rule.citation.source.strip()
        assert rule.description.strip() and rule.text_nb.strip()
        assert rule.valid_from in engine.ratebook.period_ids


def test_eligibility_rules_start_in_the_domain_periods(engine):
    first = {}
    for r in engine.rulebook.rules:
        first.setdefault(r.id, r.valid_from)
    assert first["eligibility.new_specialisation_scheme"] == "2022"
    assert first["eligibility.via_agency"] == "2023"
    assert first["eligibility.vikar_longer_than_3_months"] == "2023"
    assert first["eligibility.private_commercial"] == "2024-25"
    assert first["eligibility.count_from_agreement_signed"] == "2023-24"


def test_loading_twice_gives_the_same_compiled_rules():
    a = RuleBook.load(RateBook.load())
    b = RuleBook.load(RateBook.load())
    assert a.digest == b.digest
