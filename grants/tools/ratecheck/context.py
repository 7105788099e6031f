"""What every check is given: the engine with the candidate table published, and the inputs a
generated line may use."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from grants.domain import CentralityGroup, GrantType, Role
from grants.pipeline.engine import Engine
from grants.rates.tables import RateTable

MUNICIPALITIES = ("0301", "1151", "4601", "5412", "3401", "5512", "1508", "3024")
"""Oslo (1), Utsira (6), Bergen (2), Tjeldsund on its 2020 code (6), Kongsvinger on its 2024
code (3), Tjeldsund on its 2024 code (6), Ålesund on its 2024 code (3), Bærum on its 2020
code (1): class 6 and classes 1-5 on both code sets."""


GRANT_TYPES = tuple(g.value for g in GrantType)


ROLES = tuple(r.value for r in Role)


DAY = timedelta(days=1)


EXTRA_DAYS = 27  # fewer days than any month has: added to a line, they never make a whole month


@dataclass
class Context:
    engine: Engine
    table: RateTable
    max_examples: int
    seed: int

    @property
    def rules(self):
        return self.engine.rulebook.valid_in(self.table.id)

    @property
    def rate_paths(self) -> list[str]:
        return sorted({r.rate for r in self.rules if r.kind == "select_rate" and r.rate})

    def compute(self, lines: list[dict[str, Any]]) -> Any:
        """The lines computed in this table's period."""
        return self.engine.compute(lines, self.table.id)

    def compute_across(self, lines: list[dict[str, Any]]) -> Any:
        """The lines computed without a period: split at the period boundaries."""
        return self.engine.compute(lines, None)


def expected_rate_path(table: RateTable, grant_type: str, role: str) -> str | None:
    """The rate a line of this grant type and role must get, read from the table alone (never
    from what the engine chose, so that a rule selecting the wrong rate is caught): its own
    role's rate; a fastlegevikar without one gets the fastlege rate (docs/DOMAIN.md); kun
    veiledning has one rate for every role (`any`). None: the table prices no such line."""
    rates = (table.annual_rates or {}).get(grant_type, {})
    for candidate in (role, "fastlege" if role == Role.FASTLEGEVIKAR.value else None, "any"):
        if candidate in rates:
            return f"{grant_type}.{candidate}"
    return None


def group_of(cls: int) -> str:
    return CentralityGroup.CLASS_6.value if cls == 6 else CentralityGroup.CLASS_1_5.value
