"""Budget impact of a new rate table: the same lines under the base and the new table, with
totals per role, centrality class and municipality, and the change.

A new table that changes no amount at all is reported as such, in words: a silent no-op is
the commonest bug of this kind of tool.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from grants.pipeline.engine import Engine
from grants.errors import RateTableError
from grants.pipeline.inputs import LineInput, Rejection
from grants.money import format_nok
from grants.pipeline.months import shift_months
from grants.rates.tables import RateBook, RateTable
from grants.rules.rulebook import RuleBook
from grants.pipeline.vectorised import VectorEvaluator


@dataclass
class ImpactReport:
    base: RateTable
    new: RateTable
    lines: int
    changed_lines: int
    shift_months: int
    by: dict[str, pd.DataFrame]  # "total", "role", "centrality_class", "kommunenummer"
    municipality_names: dict[str, str]
    check_failures: list[str]  # properties of `rates check` the new table fails (quick run)

    @property
    def base_total(self) -> int:
        return int(self.by["total"]["base_nok"].iloc[0])

    @property
    def new_total(self) -> int:
        return int(self.by["total"]["new_nok"].iloc[0])

    def text(self, top: int = 15) -> str:
        out = [
            f"Budsjettvirkning: periode {self.base.id} ({self.base.status}) mot {self.new.file} "
            f"(periode {self.new.id}, {self.new.status}), {self.lines} linjer",
        ]
        if self.check_failures:
            out.append(
                "  ADVARSEL: den nye tabellen består ikke alle kontrollene i «alis-grant rates check» ("
                + "; ".join(self.check_failures) + "). Kjør kontrollen før tallene brukes."
            )
        if self.shift_months:
            out.append(f"  Linjenes datoer er flyttet {self.shift_months} måneder, fra periode {self.base.id} til {self.new.id}.")
        if self.changed_lines == 0:
            out.append(
                f"  INGEN ENDRING: den nye satstabellen gir nøyaktig samme beløp for alle {self.lines} linjer "
                f"(totalt {format_nok(self.base_total)}). Er det riktig fil?"
            )
        else:
            change = self.new_total - self.base_total
            pct = f" ({change / self.base_total:+.1%})".replace(".", ",") if self.base_total else ""
            out.append(
                f"  Totalt: {format_nok(self.base_total)} → {format_nok(self.new_total)}, endring {_signed(change)}{pct}"
                f"; {self.changed_lines} av {self.lines} linjer får nytt beløp."
            )
        if self.changed_lines == 0:
            return "\n".join(out)
        titles = {"role": "Per rolle", "centrality_class": "Per sentralitetsklasse", "kommunenummer": "Per kommune (størst endring først)"}
        for key, title in titles.items():
            frame = self.by[key]
            if key == "kommunenummer":
                frame = frame.reindex(frame["change_nok"].abs().sort_values(ascending=False).index).head(top)
            out.append(f"{title}:")
            for _, r in frame.iterrows():
                label = str(r[key])
                if key == "kommunenummer" and label in self.municipality_names:
                    label = f"{label} {self.municipality_names[label]}"
                out.append(
                    f"  {label:<22} {format_nok(int(r['base_nok'])):>16} → {format_nok(int(r['new_nok'])):>16}"
                    f"   {_signed(int(r['change_nok']))}"
                )
        return "\n".join(out)


def _signed(amount: int) -> str:
    return ("+" if amount >= 0 else "-") + format_nok(abs(amount))


def load_candidate(path: str | Path, rates_dir: Path | None = None) -> tuple[RateBook, RateTable]:
    """The shipped rate book with the candidate table added, or replacing the shipped table of
    the same period; validation errors name the file and the key."""
    book = RateBook.load(rates_dir, candidate=path)
    assert book.candidate is not None
    return book, book.candidate


def impact(frame: pd.DataFrame, base_period: str, new_table_path: str | Path, *, engine: Engine | None = None) -> ImpactReport:
    """Evaluate `frame` (typed columns, as VectorEvaluator takes) under both tables."""
    from grants.pipeline.engine import default_engine

    base_engine = engine or default_engine()
    base = base_engine.ratebook.get(base_period)
    book, new = load_candidate(new_table_path)
    new_engine = Engine(book, RuleBook.load(book), base_engine.centrality)
    a, b = base.period.first_day, new.period.first_day
    shift = (b.year - a.year) * 12 + (b.month - a.month)  # whole months; month ends stay month ends
    moved = frame
    if shift:
        moved = frame.copy()
        for col in ("start", "end", "agreement_signed", "first_gp_date"):
            if col in moved:
                moved[col] = [None if d is None or d != d else shift_months(pd.Timestamp(d).date(), shift)
                              for d in moved[col]]
    base_cols = _amounts(base_engine, frame, base)
    new_cols = _amounts(new_engine, moved, new)
    data = pd.DataFrame({
        "role": frame["role"].to_numpy(dtype=object),
        "centrality_class": base_cols["centrality_class"],
        "kommunenummer": base_cols["kommunenummer"],
        "base_nok": base_cols["amount_nok"],
        "new_nok": new_cols["amount_nok"],
    })
    data["change_nok"] = data["new_nok"] - data["base_nok"]
    by = {"total": data[["base_nok", "new_nok", "change_nok"]].sum().to_frame().T}
    for key in ("role", "centrality_class", "kommunenummer"):
        by[key] = data.groupby(key, as_index=False)[["base_nok", "new_nok", "change_nok"]].sum()
    changed = int(np.count_nonzero(data["change_nok"].to_numpy()))
    names = {}
    for code_set in base_engine.centrality.code_sets(base.centrality.classification):
        for m in base_engine.centrality.municipalities(base.centrality.classification, code_set):
            names.setdefault(m.number, m.name)
    return ImpactReport(base, new, len(frame), changed, shift, by, names, _quick_check(new_table_path))


def _quick_check(path: str | Path) -> list[str]:
    """The titles of the `rates check` properties the table fails, with a few examples each."""
    from grants.testing import check_rate_table

    report = check_rate_table(path, max_examples=20)
    return [r.title for r in report.results if not r.ok]


def _amounts(engine: Engine, frame: pd.DataFrame, table: RateTable) -> dict[str, np.ndarray]:
    """Amounts per line: vectorised for model A, the durable_rules path for model B."""
    if table.model == "A":
        return VectorEvaluator(engine).evaluate(frame, table.id, rates=table).columns
    records = frame.to_dict("records")
    result = engine.compute(records, table.id)
    amount = np.zeros(len(frame), dtype=np.int64)
    cls = np.zeros(len(frame), dtype=np.int64)
    numbers = frame["kommunenummer"].astype(str).str.zfill(4).to_numpy(dtype=object)
    for line in result.lines:
        amount[line.row - 1] += line.amount_nok
        cls[line.row - 1] = line.centrality_class
    return {"amount_nok": amount, "centrality_class": cls, "kommunenummer": numbers}


def frame_from_records(records: list[dict], engine: Engine) -> tuple[pd.DataFrame, list[Rejection]]:
    """Validate application rows (e.g. from a CSV file) into the typed frame, with rejections."""
    from grants.pipeline.columns import normalise, valid_lines

    cols = normalise(records, engine._elements)
    lines: list[LineInput] = [line for _, line in valid_lines(cols)]
    return VectorEvaluator.frame_from_lines(lines), cols.rejections


__all__ = ["ImpactReport", "impact", "load_candidate", "frame_from_records", "RateTableError"]
