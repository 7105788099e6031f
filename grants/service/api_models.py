"""The JSON contract: pydantic models of what a caller sends (one input line, a session, a batch
request) and what it gets back (one result row, a rejection, the batch document of
grants.io.writers.result_document). `alis-grant schema` writes their JSON Schemas; a test holds them
to a committed snapshot, so the contract never changes by accident.

The input line is deliberately loose in its *values* (a share may be 80, 80.5 or "80 %", a date
"2023-01-01" or "01.01.2023"): a bad value is a named rejection of that row, as in a CSV file.
It is strict in its *shape*: unknown fields and wrong JSON types are refused as a whole.

Its fields are the input fields of the registry grants.pipeline.fields (FIELDS), each typed for
JSON (a typed public class, so spelled out here); tests/test_field_registry.py holds them to the
registry field by field (names, which are required, descriptions) and tests/test_every_door.py
walks every field through every door. A JSON number is kept exact:
the service reads the body with Decimal numbers, and a number is judged by its exact value
through the same value grammar as a file's cell (80.50 and 8.05e1 are 80,5 %;
99.999999999999999999 has more than two decimals and is refused, never rounded by a float).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from grants.pipeline.fields import FIELDS
from pydantic import BaseModel, ConfigDict, Field, Strict, StrictBool, StrictFloat, StrictInt, StrictStr, WithJsonSchema

ExactNumber = Annotated[Decimal, Strict(), WithJsonSchema({"type": "number"})]
"""A JSON number read exactly (the service parses numbers as Decimal): its value, never a float's."""
Scalar = StrictStr | StrictInt | ExactNumber | StrictFloat
"""A numeric value: text in the file's grammar ("80,5", "12 500") or a JSON number. (A float
only from Python callers; JSON numbers arrive as Decimal.)"""
Flag = StrictBool | StrictStr
Text = StrictStr | StrictInt
"""An identifier or a code: text, or a JSON integer (301 reads as 0301)."""


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _help(name: str) -> str:
    return FIELDS[name].summary


class LineIn(_Closed):
    """One application line as JSON: the input columns (grants.pipeline.fields), with text or
    numbers as values. Names are the canonical English ones (the Norwegian column headers are
    for files)."""

    alis_id: Text = Field(description=_help("alis_id"))
    kommunenummer: Text = Field(description=_help("kommunenummer"))
    grant_type: StrictStr = Field(description=_help("grant_type"))
    role: StrictStr = Field(description=_help("role"))
    position_share: Scalar = Field(description=_help("position_share"))
    start: StrictStr = Field(description=_help("start"))
    end: StrictStr = Field(description=_help("end"))
    via_agency: Flag | None = Field(default=None, description=_help("via_agency"))
    private_commercial: Flag | None = Field(default=None, description=_help("private_commercial"))
    new_scheme: Flag | None = Field(default=None, description=_help("new_scheme"))
    agreement_signed: StrictStr | None = Field(default=None, description=_help("agreement_signed"))
    centrality_class: StrictInt | StrictStr | None = Field(default=None, description=_help("centrality_class"))
    first_gp_date: StrictStr | None = Field(default=None, description=_help("first_gp_date"))
    centrality_supplement_applied: Scalar | None = Field(default=None, description=_help("centrality_supplement_applied"))
    productivity_applied: Scalar | None = Field(default=None, description=_help("productivity_applied"))
    supervision_hours: Scalar | None = Field(default=None, description=_help("supervision_hours"))
    expenses: dict[StrictStr, Scalar] | None = Field(default=None, description=_help("expenses"))

    def record(self) -> dict[str, Any]:
        """The line as the engine's record (the same door as a CSV row): expenses become
        expense_<element> columns."""
        rec = self.model_dump(exclude_none=True, exclude={"expenses"})
        for element, amount in (self.expenses or {}).items():
            rec[f"expense_{element}"] = amount
        return rec


class SessionIn(_Closed):
    """One supervision session, as a row of the sessions file (`alis-grant compute --sessions`):
    the same columns and the same value grammar. A value not understood stops the request (400)
    naming the session's row, the column and the value, as the command line stops."""

    alis_id: Text = Field(description="the doctor's identifier, as on his lines")
    date: StrictStr | None = Field(description="the session's date, 2025-09-01 or 01.09.2025; null: named, not paid")
    hours: Scalar = Field(description="hours, at most two decimals: 2, 2.5 or \"2,5\"")
    kommunenummer: Text | None = Field(default=None, description="the municipality, when the doctor has lines in several")
    okt_id: Text | None = Field(default=None, description="the session's id: two sessions of one doctor on one date "
                                "with the same hours and different ids are both counted")

    def record(self) -> dict[str, Any]:
        """The session as a row of the sessions file."""
        return self.model_dump()


def _sessions() -> Any:
    return Field(default=None, description="supervision sessions (model B periods that price veiledning by hours), as "
                 "the sessions file's rows; an upload sends the file in the form field `sessions`")


def _ignore_columns() -> Any:
    return Field(default_factory=list, description="columns to leave out of the computation on purpose (as "
                 "`--ignore-column`): a field that resembles a known one, e.g. `expense_<unknown element>`; "
                 "their values come back beside the row")


class ComputeRequest(_Closed):
    """POST /compute with JSON."""

    period: StrictStr | None = Field(default=None, description="grant period, e.g. 2023; without: lines are split per period")
    lines: list[LineIn] = Field(min_length=1)
    traces: StrictBool = Field(default=False, description="include each line's trace (facts, rules, constants, arithmetic)")
    ignore_columns: list[StrictStr] = _ignore_columns()
    sessions: list[SessionIn] | None = _sessions()


class ExplainRequest(_Closed):
    """POST /explain: the batch the row belongs to (overlaps between lines matter) and the row."""

    period: StrictStr | None = None
    lines: list[LineIn] = Field(min_length=1)
    row: StrictInt = Field(ge=1, description="data row, numbered from 1 in the order of `lines`")
    ignore_columns: list[StrictStr] = _ignore_columns()
    sessions: list[SessionIn] | None = _sessions()


class ResultRow(BaseModel):
    """One output row: a computed line in one period, or a rejected row (status rejected, with
    only row, ids, period, reason and rates_status). Model B periods add one `<element>_nok`
    column per element and `basis`; a file upload adds `file_line` and the officer's own columns."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, StrictInt | StrictStr | None] = Field(init=False)  # type: ignore[assignment]

    row: int
    alis_id: str | None
    kommunenummer: str | None
    kommunenavn: str | None = None
    period: str | None
    grant_type: str | None = None
    role: str | None = None
    position_share: str | None = None
    start: str | None = None
    end: str | None = None
    counted_start: str | None = None
    counted_end: str | None = None
    whole_months: int | None = None
    centrality_class: int | None = None
    centrality_source: Literal["ssb", "input"] | None = None
    annual_rate: int | str | None = None
    amount_nok: int | None
    status: Literal["ok", "ineligible", "outside_period", "rejected"]
    reason: str
    rule_ids: str | None = None
    rates_status: Literal["official", "provisional", "illustrative"] | None


class RejectionOut(_Closed):
    """A row that was not computed: where (row, column as written, value) and why, in bokmål."""

    row: int
    column: str | None
    value: str | None
    message: str
    text: str
    where: str | None = Field(default=None, description="where the row stood in the file («linje 12»), for a file")
    alis_id: str | None = Field(default=None, description="the doctor's id as written on the row, when it has one")
    kommunenummer: str | None = Field(default=None, description="the municipality number as written on the row")
    kommunenavn: str | None = Field(default=None, description="its name, when the number names a municipality")


class TotalOut(_Closed):
    key: str
    name: str
    lines: int
    amount_nok: int


class Totals(_Closed):
    by_municipality: list[TotalOut]
    by_doctor: list[TotalOut]
    by_period: list[TotalOut]


class RateTableHash(_Closed):
    file: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    status: Literal["official", "provisional", "illustrative"]


class ProvenanceOut(_Closed):
    """What produced the result: check a rate file with `sha256sum`."""

    package: str
    version: str
    rules_sha256: dict[str, str]
    rates_sha256: dict[str, RateTableHash]


class SourceOut(_Closed):
    """What a run read (the application or the sessions), as its manifest records it."""

    kind: Literal["file", "lines", "hours"] = Field(description="file: a CSV or .xlsx file; lines: rows given as "
                                                     "data (JSON lines); hours: sessions given already summed")
    name: str | None = Field(description="the file's name (no folder)")
    format: str | None = Field(description="csv or xlsx, for a file")
    sheet: str | None = Field(description="the workbook's sheet read")
    sha256: str | None = Field(description="the SHA-256 of the file's bytes")
    rows: int
    rows_sha256: str | None = Field(description="the hash of the rows as read (the same for a file saved again "
                                    "with the same rows); see grants.pipeline.provenance")
    positions: list[list[int]] | None = Field(description="a file's data rows' CSV lines or Excel rows, as runs "
                                              "[first, count]")


class EmbeddedFile(_Closed):
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    text: str


class EmbeddedTable(EmbeddedFile):
    file: str
    status: Literal["official", "provisional", "illustrative", "draft"]


class EmbeddedOut(_Closed):
    """Every rules file and rate table the engine had loaded, whole, so the result can be
    computed again when they have changed or are gone."""

    rules: dict[str, EmbeddedFile]
    rates: dict[str, EmbeddedTable]


class ManifestOut(ProvenanceOut):
    """The result's manifest: what produced it and everything needed to compute it again
    (`alis-grant verify`, `grants.verify`)."""

    manifest: int = Field(description="the manifest's layout version")
    centrality_sha256: dict[str, str]
    input: SourceOut | None
    sessions: SourceOut | None
    options: dict[str, Any] = Field(description="period, sheet, ignore_columns, evaluator (for information: it "
                                    "does not change money), and the output's format (and for CSV lang, delimiter)")
    embedded: EmbeddedOut


class PeriodOut(_Closed):
    id: str
    first_day: str
    last_day: str


class Trace(_Closed):
    """Why one line got its amount: facts, rules run (with citations), constants, arithmetic."""

    row: int
    period: PeriodOut
    status: Literal["ok", "ineligible"]
    input: dict[str, Any]
    centrality: dict[str, Any]
    interval: dict[str, list[str]]
    rules: list[dict[str, Any]]
    assumptions: list[dict[str, Any]]
    months: dict[str, Any]
    constants: dict[str, Any]
    calculation: dict[str, Any]
    elements: list[dict[str, Any]]
    reasons: list[str]
    notes: list[str]
    facts: dict[str, Any] | None = Field(
        description="the facts posted to the rules for this part, dates as ISO text; null when no rule saw the part")
    provenance: ProvenanceOut


class BatchResult(_Closed):
    """The result of a batch: the JSON file `alis-grant compute -o X.json` writes, and the body of
    a 200 from POST /compute (there `traces` only when asked for)."""

    rates_status: dict[str, Literal["official", "provisional", "illustrative"]]
    warning: str | None = Field(description="bokmål warning when a rate table used is not official")
    provenance: ManifestOut | None
    input_rows: int
    total_nok: int
    lines: list[ResultRow]
    rejections: list[RejectionOut]
    totals: Totals
    notes: list[str] = Field(default_factory=list, description="bokmål notes on the batch as a whole "
                             "(supervision sessions not paid, possible duplicate sessions)")
    file_notes: list[str] = Field(default_factory=list, description="bokmål notes from reading an uploaded file "
                                  "(lines above the header not read as data, hidden Excel columns read, which sheet "
                                  "was read); empty for JSON lines. The command line prints them instead")
    warnings: list[str] = Field(default_factory=list, description="bokmål warnings on the batch as a whole, as the "
                                "command line prints them (most lines outside the period asked for: the period "
                                "is probably wrong)")
    traces: list[Trace] | None = None


class ErrorItem(_Closed):
    """One problem in an error response: where (`loc`: the path in the request, or
    ["columns", <column>] for a column of the input), what kind (`type`), in bokmål (`msg`)."""

    loc: list[str]
    type: str
    msg: str


class ErrorOut(_Closed):
    """Every error response (400, 401, 404, 405, 408, 413, 415, 422, 500): a bokmål message for
    people, and the problems one by one for programs: for 422 by location in the request, for a
    400 about input columns by column; an empty list when the message says it all."""

    detail: str
    errors: list[ErrorItem]


class VocabularyOut(_Closed):
    """GET /vocabulary: the words people read for the stable names in the JSON (the one bokmål
    vocabulary, grants.report.vocabulary_nb), so a client shows what the workbook and report show."""

    status: dict[str, str] = Field(description="line status -> bokmål (ok -> innvilget, ...)")
    values: dict[str, dict[str, str]] = Field(description="column -> (code -> bokmål) for columns holding codes")
    columns: dict[str, str] = Field(description="output column -> bokmål header")


class ExplainOut(_Closed):
    row: int
    text: str = Field(description="the explanation in bokmål, as `alis-grant explain` prints it")
    status: Literal["ok", "ineligible", "outside_period", "rejected"]
    provenance: ProvenanceOut | None


SCHEMAS: dict[str, type[BaseModel]] = {
    "line_input": LineIn,
    "compute_request": ComputeRequest,
    "explain_request": ExplainRequest,
    "session_input": SessionIn,
    "result_row": ResultRow,
    "batch_result": BatchResult,
    "error": ErrorOut,
}
"""The models `alis-grant schema` writes, as <name>.schema.json."""
