"""What `check_rate_table` returns: one `PropertyResult` per check, gathered in a `CheckReport`
that prints itself in bokmål."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


PROPERTY_TITLES: dict[str, str] = {
    "loads": "lastes inn",
    "completeness": "fullstendig: alle satser og elementer reglene trenger finnes",
    "class6_not_below_class15": "klasse 6 aldri under klasse 1–5",
    "non_negative": "ingen negative beløp",
    "monotone_in_period": "linjer i perioden: stiger med stillingsandel og sluttdato, 0 hele måneder gir 0 kr",
    "full_year": "12 hele måneder med 100 % gir årssatsen (en kortere periode: sin del av den)",
    "neighbours": "ingen overlapp med naboperiodene utover én felles grensedag",
    "no_month_paid_twice": "ingen måned betales i to perioder",
}
"""Check name -> the bokmål title `CheckReport.text()` prints, in the order the checks run (a
check may word its title for the table it ran on: `PropertyResult.heading`)."""


@dataclass(frozen=True)
class PropertyResult:
    """One check: its name (a key of PROPERTY_TITLES), whether it held, a bokmål message, and
    for a failure found on a computed line the smallest counter-example (the line dict)."""

    name: str
    ok: bool
    message: str
    counterexample: dict[str, Any] | None = None
    heading: str | None = None  # the title worded for this table (e.g. its period's length)

    @property
    def title(self) -> str:
        return self.heading or PROPERTY_TITLES.get(self.name, self.name)


@dataclass
class CheckReport:
    """The outcome of `check_rate_table`: one result per check that ran."""

    table_path: Path
    period_id: str | None
    results: list[PropertyResult]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    ok: bool = field(init=False)

    def __post_init__(self) -> None:
        self.ok = bool(self.results) and all(r.ok for r in self.results)

    def result(self, name: str) -> PropertyResult | None:
        return next((r for r in self.results if r.name == name), None)

    @property
    def failures(self) -> list[PropertyResult]:
        return [r for r in self.results if not r.ok]

    def text(self) -> str:
        """One line per check (OK / FEIL); a failure adds its smallest counter-example."""
        period = f"periode {self.period_id}" if self.period_id else "periode ukjent"
        out = [f"Kontroll av satstabellen {self.table_path} ({period})"]
        for r in self.results:
            out.append(f"{'OK  ' if r.ok else 'FEIL'}  {r.title}: {r.message}")
            if not r.ok and r.counterexample is not None:
                out.append("      minste moteksempel: " + json.dumps(r.counterexample, ensure_ascii=False))
        ran = {r.name for r in self.results}
        skipped = [PROPERTY_TITLES[n] for n in PROPERTY_TITLES if n not in ran]
        if skipped:
            out.append("IKKE KJØRT  " + "; ".join(skipped) + " (tabellen kan ikke brukes før feilen over er rettet)")
        out.extend(f"MERK  {n}" for n in self.notes)
        failed = len(self.failures)
        verdict = "alle kontroller bestått" if self.ok else f"{failed} av {len(self.results)} kontroller feilet"
        out.append(f"Resultat: {verdict} ({self.seconds:.1f} s)")
        return "\n".join(out)
