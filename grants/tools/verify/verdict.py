"""The outcomes of a verification and their words in bokmål: each finding, the differences
found, the lines the data shipped now would move, and the text `alis-grant verify` prints."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grants.report.explain import rates_warning
from grants.report.kontroll import WHAT_VERIFY_PROVES


REPRODUCED, NOTE = "reproduced", "note"
INPUT_DIFFERS, DATA_CHANGED, OTHER_VERSION, ALTERED = "input_differs", "data_changed", "other_version", "altered"
CANNOT_VERIFY = "cannot_verify"
EXIT_CODES = {REPRODUCED: 0, NOTE: 0, INPUT_DIFFERS: 1, DATA_CHANGED: 1, OTHER_VERSION: 1, ALTERED: 1, CANNOT_VERIFY: 2}
"""Each outcome's exit code; a verification exits with the highest of its outcomes."""
_HEADINGS = {REPRODUCED: "GJENSKAPT", NOTE: "MERK", INPUT_DIFFERS: "IKKE SAMME INNFIL",
             DATA_CHANGED: "REGLER ELLER SATSER ER ENDRET SIDEN", OTHER_VERSION: "ANNEN PROGRAMVERSJON",
             ALTERED: "RESULTATET ER ENDRET", CANNOT_VERIFY: "KAN IKKE KONTROLLERES"}
_SHOWN = 20
"""Differences listed by name; the rest are counted."""


@dataclass(frozen=True)
class Finding:
    """One outcome, in bokmål."""

    outcome: str
    text: str

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.outcome]


@dataclass(frozen=True)
class Difference:
    """A cell (or value) where the result file and the computation from the embedded data differ."""

    where: str  # bokmål: where in the file
    in_file: str | None  # None: missing in the file
    computed: str | None  # None: missing in the new computation
    column: str | None = None  # the column's stable name, where known

    def text(self) -> str:
        return f"{self.where}: i filen {_shown(self.in_file)}, beregnet på nytt {_shown(self.computed)}"


def _shown(value: str | None) -> str:
    if value is None:
        return "(finnes ikke)"
    return f"«{value if len(value) <= 80 else value[:77] + '...'}»"


@dataclass(frozen=True)
class LineMove:
    """A line that the data shipped now computes differently: then (embedded) and now."""

    row: int
    alis_id: str
    period: str | None
    then: str
    now: str


@dataclass
class Verification:
    """The outcome of verifying one result file: findings (bokmål), the differences found, the
    lines the data shipped now would move, and the exit code."""

    result: str
    format: str | None = None
    manifest: dict[str, Any] | None = None
    findings: list[Finding] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    moves: list[LineMove] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return max((f.exit_code for f in self.findings), default=2)

    @property
    def reproduced(self) -> bool:
        """Every line and the total as computed again, and nothing that makes the result differ."""
        return self.exit_code == 0

    @property
    def outcomes(self) -> list[str]:
        return [f.outcome for f in self.findings]

    def _add(self, outcome: str, text: str) -> None:
        self.findings.append(Finding(outcome, text))

    def text(self) -> str:
        out = [f"Kontroll av {self.result}" + (f" ({_FORMAT_NB.get(self.format, self.format)})" if self.format else "")]
        m = self.manifest
        if m is not None:
            src = m.get("input") or {}
            what = (f"fra {src.get('name')}" if src.get("kind") == "file" else
                    f"fra {src.get('rows')} linjer gitt som data" if src.get("kind") == "lines" else "uten innfil")
            period = (m.get("options") or {}).get("period")
            out.append(f"Beregnet med {m.get('package')} {m.get('version')} {what}"
                       + (f", periode {period}" if period else ", linjene delt per periode") + ".")
            statuses = {p: e.get("status") for p, e in (m.get("rates_sha256") or {}).items() if isinstance(e, dict)}
            warning = rates_warning(statuses) if all(s in _RATES_STATUSES for s in statuses.values()) else None
            if warning:
                out.append(warning)
        order = (CANNOT_VERIFY, INPUT_DIFFERS, ALTERED, OTHER_VERSION, REPRODUCED, NOTE, DATA_CHANGED)
        for outcome in order:
            for f in self.findings:
                if f.outcome == outcome:
                    out.append("")
                    out.append(f"{_HEADINGS[outcome]}: {f.text}")
        out.append("")
        code = self.exit_code
        worst = [f.outcome for f in self.findings if f.exit_code == code and f.outcome != NOTE]
        verdict = "; ".join(dict.fromkeys(_HEADINGS[o].lower() for o in worst)) or "kan ikke kontrolleres"
        out.append(f"Utfall: {verdict} (avslutningskode {code}).")
        if code != 2:
            out.append(WHAT_VERIFY_PROVES)
        return "\n".join(out)


_RATES_STATUSES = ("official", "provisional", "illustrative")
_FORMAT_NB = {"csv": "CSV med kontrollfil", "json": "JSON", "xlsx": "Excel-arbeidsbok", "html": "HTML-rapport"}


class _Cannot(Exception):
    """Verification stops: the message (bokmål) says why and what to do."""
