"""The auditor's check: is this result what this program computes from this input under the rules
and rate tables it was computed with?

`verify(result, input=..., sessions=...)` reads the manifest a result carries (JSON: within
`provenance`; workbook: sheet *Kontroll*; HTML report: the data at the bottom; CSV: the sidecar
`NAME.csv.kontroll.json`), checks the input against the SHA-256 and the rows hash it names,
writes the EMBEDDED rules files and rate tables to a temporary folder and loads an engine from
them, computes again with the options the manifest names, renders the result in the file's own
format through the same writer, and compares cell by cell. Then it looks at what is shipped now:
rules or tables that differ from the embedded ones (the `rates diff` view, and the lines that
moves, then and now), and another program version.

Every outcome is said in bokmål; the exit code is the worst of them:
0 reproduced (a re-saved input with the same rows is a note); 1 the input is not the one, the
rules or a rate table shipped now differ, computed by another version with lines that differ,
or the result was altered; 2 cannot verify (no manifest, a CSV's sidecar missing or not
belonging to it, an unreadable file, the input missing).

What it proves: the result follows from this input under these rules. It is not a signature,
and it says nothing about whether the input is true.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Iterator, Mapping

from grants.errors import GrantsError
from grants.io.output import atomic_output, sidecar_path
from grants.money import format_nok
from grants.pipeline.provenance import MANIFEST_FORMAT, centrality_hashes, package_version, records_sha256
from grants.report.explain import rates_warning
from grants.report.kontroll import KONTROLLDATA, WHAT_VERIFY_PROVES

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
_SAFE_NAME = re.compile(r"[\w][\w.-]{0,120}\.ya?ml")
_PERIOD_ID = re.compile(r"\d{4}(-\d{2})?")


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


# --- the entry point ----------------------------------------------------------------------------


def verify(result: str | os.PathLike, *, input: Any = None, sessions: Any = None, engine: Any = None) -> Verification:
    """Verify a result file (.csv with its sidecar, .json, .xlsx or the HTML report).

    `input`: the application file's path (default: the file the manifest names, looked for
    beside the result and then in the current folder), or for a result computed from lines
    (library, service JSON) the lines (a list of dicts or a DataFrame) or a JSON file holding
    them (a list, or the service's request). `sessions` likewise. `engine`: the engine whose
    rules and tables count as "shipped now" (default: the installed ones)."""
    path = Path(result)
    v = Verification(path.name)
    try:
        _verify(v, path, input, sessions, engine)
    except _Cannot as exc:
        v._add(CANNOT_VERIFY, str(exc))
    except GrantsError as exc:  # a file that cannot be read or written on the way
        v._add(CANNOT_VERIFY, str(exc))
    return v


def _verify(v: Verification, path: Path, given_input: Any, given_sessions: Any, current: Any) -> None:
    from grants.service.public import compute

    doc = _read_result(path)
    v.format = doc.format
    manifest = doc.manifest
    _check_manifest(manifest)
    v.manifest = manifest
    options = manifest.get("options") or {}

    lines, application, input_note, input_ok = _input(v, manifest, given_input, path)
    session_rows, sessions_ok = _sessions(v, manifest, given_sessions, given_input, path)
    if doc.stale is not None and not (input_ok and sessions_ok):
        v.findings = [f for f in v.findings if f.outcome != INPUT_DIFFERS]  # the sidecar is the question
        raise _Cannot(doc.stale)

    embedded_engine = _embedded_engine(manifest)
    current = current if current is not None else _installed_engine()
    version_now = package_version()
    centrality_changed = _centrality_changes(manifest, current)

    fresh = None
    if input_ok and sessions_ok:
        fresh = _compute(compute, lines, options, embedded_engine, session_rows, "de innebygde reglene")
        v.differences = doc.compare(fresh, embedded_engine, application, lines)
        _judge(v, doc, fresh, input_note, version_now, centrality_changed)
    _shipped_changes(v, manifest, embedded_engine, current, fresh, lines, session_rows, centrality_changed)


def _judge(v: Verification, doc: "_ResultFile", fresh: Any, input_note: str | None, version_now: str,
           centrality_changed: list[str]) -> None:
    """Say what the comparison shows."""
    manifest = v.manifest or {}
    differences = v.differences
    version = manifest.get("version")
    if input_note:
        positions = [d for d in differences if d.column in _POSITION_COLUMNS]
        if positions and len(positions) == len(differences):
            differences = []
            input_note += " Radene står på andre linjer i den nye filen, så kolonnen med linjen i filen er ulik; alt annet er likt."
        v._add(NOTE, input_note)
    if doc.stale is not None and differences and not doc.lines_up(fresh):
        raise _Cannot(doc.stale)
    listed = _listing(differences)
    if not differences:
        n, k = len(fresh.lines), len(fresh.rejections)
        lines = "linjen" if n == 1 else f"alle {n} linjene"
        rejected = "ingen avviste rader" if k == 0 else "den avviste raden" if k == 1 else f"de {k} avviste radene"
        v._add(REPRODUCED, f"{lines}, {rejected} og totalen ({format_nok(fresh.total_nok)}) er like når resultatet "
                          "beregnes på nytt fra innfilen med reglene og satstabellene som er lagret i resultatet.")
        if doc.stale is not None:
            v._add(NOTE, "CSV-filen er lagret på nytt etter at kontrollfilen ble skrevet (andre bytes), men innholdet er "
                        "det samme celle for celle.")
        if version != version_now:
            v._add(NOTE, f"resultatet er laget med versjon {version}; denne versjonen ({version_now}) gir det samme.")
        return
    if version != version_now:
        v._add(OTHER_VERSION, f"resultatet er laget med {manifest.get('package')} {version}, og denne versjonen "
                             f"({version_now}) beregner {_values(differences)} annerledes. Det kan skyldes endringer "
                             "i programmet mellom versjonene, så det kalles ikke endret; kontroller med versjon "
                             f"{version} (pip install '{manifest.get('package')}=={version}') "
                             f"for et sikkert svar.\n{listed}")
        return
    if centrality_changed:
        v._add(DATA_CHANGED, "sentralitetsdataene er endret siden (" + ", ".join(centrality_changed) + "); de er ikke lagret "
                            "i resultatet, så beregningen på nytt bruker dagens, og "
                            f"{_values(differences)} {'er ulik' if len(differences) == 1 else 'er ulike'}. Det kan "
                            f"skyldes endringen; resultatet er ikke gjenskapt.\n{listed}")
        return
    what = "CSV-filen er endret etter at kontrollfilen ble skrevet" if doc.stale is not None else \
        "innholdet stemmer ikke med en ny beregning fra de lagrede dataene"
    v._add(ALTERED, f"{what}: {_values(differences)} {'er ulik' if len(differences) == 1 else 'er ulike'} (samme "
                   f"programversjon, samme innfil, samme regler og satser).\n{listed}")


def _values(differences: list[Difference]) -> str:
    return "1 verdi" if len(differences) == 1 else f"{len(differences)} verdier"


def _listing(differences: list[Difference]) -> str:
    lines = [f"  {d.text()}" for d in differences[:_SHOWN]]
    if len(differences) > _SHOWN:
        lines.append(f"  ... og {len(differences) - _SHOWN} til")
    return "\n".join(lines)


# --- the manifest -------------------------------------------------------------------------------


def _check_manifest(manifest: Any) -> None:
    if not isinstance(manifest, dict):
        raise _Cannot("kontrolldataene kan ikke leses (de er ikke et JSON-objekt)")
    fmt = manifest.get("manifest")
    if fmt is None:
        raise _Cannot("resultatet har ingen kontrolldata (det er laget av en eldre versjon, eller kontrolldataene er "
                      "fjernet); bare programversjonen og SHA-256 av reglene og satsene kan leses")
    if not isinstance(fmt, int) or fmt > MANIFEST_FORMAT:
        raise _Cannot(f"kontrolldataene har et nyere format ({fmt}) enn denne versjonen leser ({MANIFEST_FORMAT}); "
                      f"kontroller med versjon {manifest.get('version')}")
    for key in ("version", "embedded", "input", "options"):
        if key not in manifest:
            raise _Cannot(f"kontrolldataene mangler «{key}»")


def _embedded_engine(manifest: Mapping[str, Any]) -> Any:
    """An engine on the rules files and rate tables embedded in the manifest, each checked
    against the SHA-256 the manifest gives for it."""
    from grants.service.public import load_engine

    embedded = manifest.get("embedded") or {}
    rules, rates = embedded.get("rules") or {}, embedded.get("rates") or {}
    if not rules or not rates:
        raise _Cannot("kontrolldataene har ingen innebygde regler eller satstabeller")
    with tempfile.TemporaryDirectory(prefix="alis-verify-") as folder:
        rules_dir, rates_dir = Path(folder) / "rules", Path(folder) / "rates"
        rules_dir.mkdir()
        rates_dir.mkdir()
        for name, entry in rules.items():
            file = "memory.yaml" if name == "<memory>" else name
            if not _SAFE_NAME.fullmatch(file):
                raise _Cannot(f"kontrolldataene har en regelfil med et ugyldig navn: «{name}»")
            _write_embedded(rules_dir / file, entry, f"regelfilen {name}")
        for period, entry in rates.items():
            if not isinstance(period, str) or not _PERIOD_ID.fullmatch(period):
                raise _Cannot(f"kontrolldataene har en satstabell for en ugyldig periode: «{period}»")
            _write_embedded(rates_dir / f"{period}.yaml", entry, f"satstabellen {period}")
        try:
            return load_engine(rates_dir=rates_dir, rules_dir=rules_dir)
        except GrantsError as exc:
            raise _Cannot(f"reglene og satstabellene som er lagret i resultatet kan ikke lastes av denne versjonen "
                          f"({package_version()}): {_without(str(exc), folder)}; kontroller med versjon "
                          f"{manifest.get('version')}") from None


def _without(text: str, folder: str) -> str:
    return text.replace(folder + os.sep, "").replace(folder, "")


def _write_embedded(path: Path, entry: Any, what: str) -> None:
    if not isinstance(entry, dict) or not isinstance(entry.get("text"), str) or not entry["text"]:
        raise _Cannot(f"kontrolldataene mangler teksten til {what}")
    data = entry["text"].encode("utf-8", "surrogatepass")
    if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
        raise _Cannot(f"kontrolldataene er endret: teksten til {what} har ikke SHA-256-en de selv oppgir")
    with atomic_output(path, binary=True) as fh:  # the one writer, even in a private folder
        fh.write(data)


def _installed_engine() -> Any:
    from grants.pipeline.engine import default_engine

    return default_engine()


# --- input and sessions -------------------------------------------------------------------------


def _input(v: Verification, manifest: Mapping[str, Any], given: Any, result: Path) -> tuple[Any, Any, str | None, bool]:
    """(lines for compute, the application file or None, a note, whether it is the input)."""
    from grants.errors import InputFileError
    from grants.io.application import ApplicationFile, read_application

    record = manifest.get("input")
    if not isinstance(record, dict):
        raise _Cannot("kontrolldataene sier ikke hva resultatet er beregnet fra (resultatet er laget med motoren "
                      "direkte, ikke gjennom grants.compute eller kommandolinjen)")
    options = manifest.get("options") or {}
    if record.get("kind") == "file":
        if isinstance(given, ApplicationFile):  # already read by the caller
            ok, note = _same_source(v, record, given.sha256, given.rows_sha256, given.n_rows,
                                    f"innfilen {given.name or ''}".strip(), "innfilen")
            return given, given, note, ok
        if given is None or isinstance(given, (str, os.PathLike)):
            path = Path(given) if given is not None else _locate(record.get("name"), result, "innfilen", "--input")
            if not path.is_file():
                raise _Cannot(f"innfilen {path} finnes ikke; gi den med --input FIL")
            try:
                application = read_application(path, options.get("sheet"))
            except InputFileError as exc:
                raise _Cannot(f"innfilen kan ikke leses: {exc}") from None
            ok, note = _same_source(v, record, application.sha256, application.rows_sha256, application.n_rows,
                                    f"innfilen {path.name}", "innfilen")
            if ok and note:
                placed = _at_recorded_positions(application, record)
                if placed.file_lines != application.file_lines:
                    note += (" Radene står på andre linjer i den nye filen; resultatet er sammenlignet med linjene i den "
                             "opprinnelige, som kontrolldataene oppgir.")
                application = placed
            return application, application, note, ok
        lines = given
        digest, n = records_sha256(lines)
        ok, note = _same_source(v, record, None, digest, n, "linjene som er gitt", "innfilen")
        return lines, None, note, ok
    if record.get("kind") == "lines":
        if given is None:
            raise _Cannot("resultatet er beregnet fra linjer gitt som data (biblioteket eller tjenestens JSON), ikke en "
                          "fil; gi de samme linjene med --input FIL.json (en liste med linjer, eller forespørselen "
                          "til tjenesten)")
        if not record.get("rows_sha256"):
            raise _Cannot("kontrolldataene har ingen hash av linjene (de ble gitt i en form som ikke hashes); "
                          "linjene kan ikke kontrolleres")
        lines = _lines_from(given)[0] if isinstance(given, (str, os.PathLike)) else given
        digest, n = records_sha256(lines)
        ok, note = _same_source(v, record, None, digest, n, "linjene som er gitt", "linjene")
        return lines, None, note, ok
    raise _Cannot(f"kontrolldataene har en ukjent innfiltype: «{record.get('kind')}»")


def _at_recorded_positions(application: Any, record: Mapping[str, Any]) -> Any:
    """A file saved again with the same rows, its rows placed where the original's stood (the
    result names those lines), when the manifest says where and the file is of the same kind."""
    from dataclasses import replace

    from grants.io.application import ApplicationFile
    from grants.pipeline.provenance import expand_runs

    runs = record.get("positions") or ()
    try:
        if record.get("format") != application.kind or sum(int(n) for _, n in runs) != application.n_rows:
            return application
        positions = expand_runs(runs)
    except (TypeError, ValueError):
        return application
    return ApplicationFile(replace(application.table, positions=positions), application.name, application.sha256)


def _lines_from(path: str | os.PathLike) -> tuple[list[Any], list[Any] | None]:
    """Lines (and sessions) from a JSON file: a list of lines, or the service's request
    ({"lines": [...], "sessions": [...]}), read through the service's own model."""
    from decimal import Decimal

    try:  # numbers exact, as the service reads a request (a point or an exponent is a Decimal)
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"), parse_float=Decimal)
    except (OSError, ValueError) as exc:
        raise _Cannot(f"{path} kan ikke leses som JSON: {exc}") from None
    if isinstance(data, list):
        return data, None
    if isinstance(data, dict) and "lines" in data:
        from pydantic import ValidationError

        from grants.service.api_models import ComputeRequest

        try:
            request = ComputeRequest.model_validate(data)
        except ValidationError as exc:
            raise _Cannot(f"{path} er ikke en gyldig forespørsel til tjenesten: {exc.errors()[0].get('msg')}") from None
        sessions = [s.record() for s in request.sessions] if request.sessions is not None else None
        return [line.record() for line in request.lines], sessions
    raise _Cannot(f"{path} er verken en liste med linjer eller en forespørsel til tjenesten")


def _same_source(v: Verification, record: Mapping[str, Any], sha256: str | None, rows_sha256: str, n_rows: int,
                 what: str, called: str) -> tuple[bool, str | None]:
    """Is the given file (or lines) the one the manifest names? A note when only its bytes differ."""
    if sha256 is not None and sha256 == record.get("sha256"):
        return True, None
    if rows_sha256 == record.get("rows_sha256"):
        if sha256 is None:
            return True, None
        return True, (f"{what} er ikke byte for byte den samme som resultatet ble beregnet fra (SHA-256 "
                      f"{sha256[:12]}…, ventet {str(record.get('sha256'))[:12]}…), men radene er de samme "
                      f"({n_rows}): filen er lagret på nytt med de samme radene.")
    expected = record.get("name") or called
    v._add(INPUT_DIFFERS, f"{what} er ikke den resultatet ble beregnet fra ({expected}, {record.get('rows')} rader, "
                         f"radenes SHA-256 {str(record.get('rows_sha256'))[:12]}…): den har {n_rows} rader med "
                         f"SHA-256 {rows_sha256[:12]}…"
                         + (f" (filens SHA-256 {sha256[:12]}…, ventet {str(record.get('sha256'))[:12]}…)" if sha256 else "")
                         + ". Resultatet er ikke beregnet på nytt.")
    return False, None


def _locate(name: Any, result: Path, what: str, option: str) -> Path:
    """A file the manifest names (base name only): beside the result, else in the current folder."""
    if not isinstance(name, str) or not name or Path(name).name != name:
        raise _Cannot(f"kontrolldataene har ikke navnet på {what}; gi den med {option} FIL")
    for folder in (result.parent, Path.cwd()):
        if (folder / name).is_file():
            return folder / name
    raise _Cannot(f"{what} «{name}» finnes ikke ved siden av resultatet eller i mappen du står i; gi den med {option} FIL")


def _sessions(v: Verification, manifest: Mapping[str, Any], given: Any, given_input: Any, result: Path) -> tuple[Any, bool]:
    """(sessions for compute, whether they are the ones)."""
    from grants.errors import InputFileError

    record = manifest.get("sessions")
    if record is None:
        if given is not None:
            raise _Cannot("resultatet er beregnet uten veiledningsøkter, men --sessions er gitt; utelat den")
        return None, True
    kind = record.get("kind")
    if kind == "hours":
        raise _Cannot("veiledningsøktene ble gitt som ferdig summerte timer, ikke som økter; de kan ikke kontrolleres")
    if kind == "file":
        if given is None or isinstance(given, (str, os.PathLike)):
            path = Path(given) if given is not None else _locate(record.get("name"), result, "øktfilen", "--sessions")
            if not path.is_file():
                raise _Cannot(f"øktfilen {path} finnes ikke; gi den med --sessions FIL")
            from grants.io.sessions_file import sessions_record

            try:
                found = sessions_record(path)
            except InputFileError as exc:
                raise _Cannot(f"øktfilen kan ikke leses: {exc}") from None
            ok, note = _same_source(v, record, found.sha256, found.rows_sha256 or "", found.rows, f"øktfilen {path.name}",
                                    "øktfilen")
            if note:
                v._add(NOTE, note)
            return str(path), ok
        digest, n = records_sha256(given)
        ok, _ = _same_source(v, record, None, digest, n, "øktene som er gitt", "øktene")
        return given, ok
    if kind == "lines":
        rows = given
        if rows is None and isinstance(given_input, (str, os.PathLike)) and str(given_input).lower().endswith(".json"):
            rows = _lines_from(given_input)[1]
        elif isinstance(rows, (str, os.PathLike)):
            rows = _lines_from(rows)[0]
        if rows is None:
            raise _Cannot("resultatet er beregnet med veiledningsøkter gitt som data; gi dem med --sessions FIL.json "
                          "(eller forespørselen til tjenesten med --input)")
        digest, n = records_sha256(rows)
        ok, _ = _same_source(v, record, None, digest, n, "øktene som er gitt", "øktene")
        return rows, ok
    raise _Cannot(f"kontrolldataene har en ukjent økttype: «{kind}»")


def _compute(compute: Any, lines: Any, options: Mapping[str, Any], engine: Any, sessions: Any, what: str) -> Any:
    try:
        return compute(lines, options.get("period"), engine=engine, ignore_columns=options.get("ignore_columns") or (),
                       sessions=sessions)
    except GrantsError as exc:
        raise _Cannot(f"resultatet kan ikke beregnes på nytt med {what}: {exc}") from None


# --- what is shipped now ------------------------------------------------------------------------


def _centrality_changes(manifest: Mapping[str, Any], current: Any) -> list[str]:
    then = manifest.get("centrality_sha256") or {}
    now = dict(centrality_hashes(current.centrality.folder))
    return [f"{name} {'finnes ikke lenger' if name not in now else 'er endret'}" for name in then if then[name] != now.get(name)] + \
        [f"{name} er ny" for name in now if name not in then]


def _shipped_changes(v: Verification, manifest: Mapping[str, Any], embedded: Any, current: Any, fresh: Any,
                     lines: Any, sessions: Any, centrality_changed: list[str]) -> None:
    """Rules files and rate tables shipped now that differ from the embedded ones: which, what
    changed (the `rates diff` view) and which lines that moves, then and now."""
    from grants.service.public import compute
    from grants.tools.ratesdiff import RatesDiff, Side, compare

    then_rules = {name: e.get("sha256") for name, e in (manifest["embedded"].get("rules") or {}).items()}
    now_rules = dict(current.provenance.rules)
    rules_changed = [f"regelfilen {n} {'finnes ikke lenger' if n not in now_rules else 'er endret'}"
                     for n in then_rules if then_rules[n] != now_rules.get(n)]
    rules_changed += [f"regelfilen {n} er ny" for n in now_rules if n not in then_rules]
    used = list((manifest.get("rates_sha256") or {}).keys())
    then_rates = {p: e.get("sha256") for p, e in (manifest["embedded"].get("rates") or {}).items()}
    now_rates = {t.period: t.sha256 for t in current.provenance.rates}
    used_changed = [p for p in used if then_rates.get(p) != now_rates.get(p)]
    others = [p for p in sorted(set(then_rates) | set(now_rates)) if p not in used and then_rates.get(p) != now_rates.get(p)]
    if not rules_changed and not used_changed and not others and not centrality_changed:
        return
    parts: list[str] = []
    if used_changed:
        parts += [f"satstabellen {p} {'finnes ikke lenger' if p not in now_rates else 'er endret'}" for p in used_changed]
    parts += rules_changed
    if centrality_changed:
        parts.append("sentralitetsfilene: " + ", ".join(centrality_changed))
    views: list[str] = []
    for p in used:
        if (p in used_changed or rules_changed) and p in now_rates:
            a = Side(embedded.ratebook.get(p), f"lagret i resultatet ({p})", embedded)
            b = Side(current.ratebook.get(p), f"levert nå ({p})", current)
            views.append(RatesDiff(a, b, compare(a, b)).text())
    if fresh is not None:
        try:
            now = compute(lines, (manifest.get("options") or {}).get("period"), engine=current,
                          ignore_columns=(manifest.get("options") or {}).get("ignore_columns") or (), sessions=sessions)
        except GrantsError as exc:
            now = None
            views.append(f"Med dataene som leveres nå kan søknaden ikke beregnes: {exc}")
        if now is not None:
            v.moves = _moves(fresh, now)
    if not parts and not v.moves:
        v._add(NOTE, "satstabeller som resultatet ikke bruker er endret eller nye siden ("
                    + ", ".join(others) + "); ingen linje i resultatet endres av det.")
        return
    text = ("dataene som leveres med programmet nå er ikke de som er lagret i resultatet: " + "; ".join(parts or
            [f"satstabellene {', '.join(others)}"]) + ". Resultatet kontrolleres med de lagrede; med dagens ville det bli:")
    if fresh is None:
        text += " (ikke beregnet: innfilen er ikke den samme)"
    elif v.moves:
        text += "\n" + _moves_text(v.moves, fresh, now)
    else:
        text += " ingen linje endres."
    for view in views:
        text += "\n\n" + "\n".join("  " + line if line else "" for line in view.splitlines())
    v._add(DATA_CHANGED, text)


def _amounts(result: Any) -> dict[tuple[int, str | None], tuple[str, str]]:
    """(row, period) -> (doctor, the line's amount or rejection), for then/now."""
    out: dict[tuple[int, str | None], tuple[str, str]] = {}
    for line in result.lines:
        out[(line.row, line.period)] = (line.alis_id, format_nok(line.amount_nok))
    for rej in result.rejections:
        out[(rej.row, None)] = (rej.alis_id or "", f"avvist ({rej.message})")
    return out


def _moves(then: Any, now: Any) -> list[LineMove]:
    a, b = _amounts(then), _amounts(now)
    moves = []
    for key in sorted(set(a) | set(b), key=lambda k: (k[0], k[1] or "")):
        old, new = a.get(key), b.get(key)
        if (old and old[1]) != (new and new[1]):
            moves.append(LineMove(key[0], (old or new)[0], key[1], old[1] if old else "ingen linje",
                                  new[1] if new else "ingen linje"))
    return moves


def _moves_text(moves: list[LineMove], then: Any, now: Any) -> str:
    lines = [f"  rad {m.row} ({m.alis_id}{', ' + m.period if m.period else ''}): da {m.then}, nå {m.now}"
             for m in moves[:_SHOWN]]
    if len(moves) > _SHOWN:
        lines.append(f"  ... og {len(moves) - _SHOWN} linjer til")
    lines.append(f"  totalt: da {format_nok(then.total_nok)}, nå {format_nok(now.total_nok)}")
    return "\n".join(lines)


# --- the result file, by format -----------------------------------------------------------------

_POSITION_COLUMNS = frozenset({"file_line", "where"})
"""Columns that say where a row stood in the input file: a re-saved file may move its rows."""


class _ResultFile:
    """A result file as read: its manifest, and how to compare it with a new computation."""

    format = ""
    stale: str | None = None  # a CSV whose sidecar names another SHA-256: why it may not belong

    def __init__(self, path: Path, raw: bytes):
        self.path, self.raw = path, raw
        self.manifest: Any = None

    def compare(self, fresh: Any, engine: Any, application: Any, lines: Any) -> list[Difference]:
        return _differences(self.items(), self.render_items(fresh, engine, application))

    def lines_up(self, fresh: Any) -> bool:
        return True

    def items(self) -> dict[str, tuple[str, str | None]]:
        raise NotImplementedError

    def render_items(self, fresh: Any, engine: Any, application: Any) -> dict[str, tuple[str, str | None]]:
        raise NotImplementedError


def _differences(mine: dict[str, tuple[str, str | None]], theirs: dict[str, tuple[str, str | None]]) -> list[Difference]:
    """Items are location label -> (text, column name); compared by label."""
    out = []
    for label in dict.fromkeys([*mine, *theirs]):
        a, b = mine.get(label), theirs.get(label)
        if (a and a[0]) != (b and b[0]):
            out.append(Difference(label, a[0] if a else None, b[0] if b else None, (a or b)[1]))
    return out


def _read_result(path: Path) -> _ResultFile:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _Cannot(f"resultatfilen {path} finnes ikke") from None
    except OSError as exc:
        raise _Cannot(f"resultatfilen {path} kan ikke leses: {exc.strerror or exc}") from None
    head = raw[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if raw.startswith(b"PK\x03\x04"):
        doc: _ResultFile = _Workbook(path, raw)
    elif head.startswith(b"{"):
        doc = _Json(path, raw)
    elif head[:15].lower().startswith((b"<!doctype html", b"<html")):
        doc = _Html(path, raw)
    else:
        doc = _Csv(path, raw)
    doc.load()
    return doc


class _Json(_ResultFile):
    format = "json"

    def load(self) -> None:
        try:
            self.doc = json.loads(self.raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise _Cannot(f"{self.path.name} kan ikke leses som JSON: {exc}") from None
        if not isinstance(self.doc, dict):
            raise _Cannot(f"{self.path.name} er ikke et resultat fra alis-grant (ikke et JSON-objekt)")
        self.manifest = self.doc.get("provenance")
        if self.manifest is None:
            raise _Cannot(f"{self.path.name} har ingen «provenance» med kontrolldata")

    def items(self) -> dict[str, tuple[str, str | None]]:
        return dict(_flatten(_comparable(self.doc, self.doc)))

    def render_items(self, fresh: Any, engine: Any, application: Any) -> dict[str, tuple[str, str | None]]:
        from grants.io.writers import write_json_stream

        out = io.StringIO()
        write_json_stream(fresh, out)
        return dict(_flatten(_comparable(json.loads(out.getvalue()), self.doc)))


def _comparable(doc: dict[str, Any], shape: dict[str, Any]) -> dict[str, Any]:
    """The document without what is not the result: its manifest, the traces' provenance
    (version and hashes, checked through the manifest), the service's reading notes; traces
    only when the file has them (the service leaves them out unless asked)."""
    out = {k: v for k, v in doc.items() if k not in ("provenance", "file_notes")}
    if "traces" not in shape or shape.get("traces") is None:
        out.pop("traces", None)
    elif isinstance(out.get("traces"), list):
        out["traces"] = [{k: v for k, v in t.items() if k != "provenance"} if isinstance(t, dict) else t
                         for t in out["traces"]]
    return out


def _flatten(value: Any, path: str = "", column: str | None = None) -> Iterator[tuple[str, tuple[str, str | None]]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _flatten(item, f"{path}, «{key}»" if path else f"«{key}»", str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            label = f"{path}[{i}]"
            if isinstance(item, dict) and "row" in item and path in ("«lines»", "«rejections»", "«traces»"):
                label += f" (rad {item['row']})"
            yield from _flatten(item, label, column)
    else:
        yield path, (json.dumps(value, ensure_ascii=False), column)


class _Csv(_ResultFile):
    format = "csv"

    def load(self) -> None:
        side = sidecar_path(self.path)
        try:
            data = side.read_bytes()
        except FileNotFoundError:
            raise _Cannot(f"kontrollfilen {side.name} mangler ved siden av {self.path.name}: en CSV-fil bærer ikke "
                          "kontrolldata selv; uten kontrollfilen kan den ikke kontrolleres") from None
        except OSError as exc:
            raise _Cannot(f"kontrollfilen {side.name} kan ikke leses: {exc.strerror or exc}") from None
        try:
            doc = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise _Cannot(f"kontrollfilen {side.name} kan ikke leses som JSON: {exc}") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("csv"), dict):
            raise _Cannot(f"kontrollfilen {side.name} er ikke en kontrollfil fra alis-grant")
        self.manifest = doc.get("provenance")
        actual = hashlib.sha256(self.raw).hexdigest()
        named = doc["csv"].get("sha256")
        if actual != named:
            self.stale = (f"kontrollfilen {side.name} hører ikke til denne CSV-filen: den oppgir SHA-256 "
                          f"{str(named)[:12]}…, filen har {actual[:12]}… (CSV-filen er endret, eller kontrollfilen er "
                          "fra en annen kjøring)")
        try:
            self.text = self.raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _Cannot(f"{self.path.name} er ikke UTF-8 (byte {exc.start}); den er lagret på nytt i et annet "
                          "program og kan ikke sammenlignes") from None

    def _options(self) -> tuple[str, str]:
        options = self.manifest.get("options") or {}
        return options.get("delimiter") or ",", options.get("lang") or "en"

    def _rows(self, text: str) -> list[list[str]]:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=self._options()[0]))

    def _fresh_text(self, fresh: Any) -> str:
        from grants.io.writers import write_csv

        out = io.StringIO(newline="")
        delimiter, lang = self._options()
        write_csv(fresh, out, delimiter, lang)
        return out.getvalue()

    def _columns(self, fresh: Any) -> list[str]:
        return list(fresh.columns)

    def _items(self, rows: list[list[str]], names: list[str]) -> dict[str, tuple[str, str | None]]:
        out: dict[str, tuple[str, str | None]] = {}
        if not rows:
            return out
        header = rows[0]
        for i, name in enumerate(header):
            out[f"overskriften, kolonne {i + 1}"] = (name, None)
        for n, row in enumerate(rows[1:], start=2):
            where = f"linje {n} (rad {row[0] if row else '?'})"
            for i, cell in enumerate(row):
                title = header[i] if i < len(header) else f"kolonne {i + 1}"
                label = f"{where}, «{title}»"
                if label in out:
                    label += f" (kolonne {i + 1})"
                out[label] = (cell, names[i] if i < len(names) else None)
        return out

    def compare(self, fresh: Any, engine: Any, application: Any, lines: Any) -> list[Difference]:
        names = self._columns(fresh)
        self._fresh_rows = self._rows(self._fresh_text(fresh))
        self._file_rows = self._rows(self.text)
        return _differences(self._items(self._file_rows, names), self._items(self._fresh_rows, names))

    def lines_up(self, fresh: Any) -> bool:
        """Same header, same rows and the same doctor, municipality and period on each: the CSV
        is this result, edited; otherwise the sidecar belongs to another file."""
        mine, theirs = self._file_rows, self._fresh_rows
        if len(mine) != len(theirs) or not mine or mine[0] != theirs[0]:
            return False
        names = self._columns(fresh)
        keys = [i for i, n in enumerate(names) if n in ("row", "alis_id", "kommunenummer", "period")]
        return all([a[i] if i < len(a) else None for i in keys] == [b[i] if i < len(b) else None for i in keys]
                   for a, b in zip(mine[1:], theirs[1:]))


class _Workbook(_ResultFile):
    format = "xlsx"
    _SKIP = "Kontroll"

    def load(self) -> None:
        self.sheets = self._read(self.path.name, self.raw)
        kontroll = self.sheets.get(self._SKIP)
        if kontroll is None:
            raise _Cannot(f"{self.path.name} har ikke arket «Kontroll» med kontrolldata (laget av en eldre versjon, "
                          "eller arket er fjernet)")
        parts = []
        for _, cells in kontroll.rows:
            label = next((text for col, text, _ in cells if col == 1), "")
            if label.startswith(KONTROLLDATA + " "):
                parts.append(next((text for col, text, _ in cells if col == 2), ""))
        if not parts:
            raise _Cannot(f"arket «Kontroll» i {self.path.name} har ingen kontrolldata")
        try:
            self.manifest = json.loads("".join(parts))
        except ValueError as exc:
            raise _Cannot(f"kontrolldataene på arket «Kontroll» kan ikke leses: {exc}") from None

    @staticmethod
    def _read(name: str, raw: bytes) -> dict[str, Any]:
        from grants.errors import InputFileError
        from grants.io.xlsx import read_sheets

        try:
            return {s.name: s for s in read_sheets(name, raw, max(len(raw) * 100, 1 << 26))}
        except InputFileError as exc:
            raise _Cannot(f"{name} kan ikke leses: {exc}") from None

    @classmethod
    def _cells(cls, sheets: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
        from grants.io.xlsx import column_letters

        out: dict[str, tuple[str, str | None]] = {}
        for name, sheet in sheets.items():
            if name == cls._SKIP:
                continue
            header: dict[int, str] = {}
            for _, cells in sheet.rows:
                if len(cells) >= 2:
                    header = {col: text for col, text, _ in cells}
                    break
            out[f"ark «{name}»"] = ("finnes", None)
            row_col = next((col for col, title in header.items() if title == "Rad"), None)
            for row, cells in sheet.rows:
                data_row = next((text for col, text, _ in cells if col == row_col), None) if row_col else None
                for col, text, _ in cells:
                    title = header.get(col)
                    where = (f"ark «{name}», celle {column_letters(col)}{row}"
                             + (f" (rad {data_row}, «{title}»)" if data_row and title and data_row.isdigit() else
                                f" («{title}»)" if title else ""))
                    out[where] = (text, _COLUMN_OF.get(title or ""))
        return out

    def items(self) -> dict[str, tuple[str, str | None]]:
        return self._cells(self.sheets)

    def render_items(self, fresh: Any, engine: Any, application: Any) -> dict[str, tuple[str, str | None]]:
        from grants.io.workbook import write_workbook

        with tempfile.TemporaryDirectory(prefix="alis-verify-") as folder:
            target = Path(folder) / self.path.name
            write_workbook(fresh, target, engine.rulebook)
            return self._cells(self._read(self.path.name, target.read_bytes()))


_COLUMN_OF = {"Linje/rad i filen": "file_line"}
"""Workbook headers whose column says where the row stood in the input file."""


class _Html(_ResultFile):
    format = "html"

    def load(self) -> None:
        from grants.report.html import KONTROLL_ID

        try:
            self.text = self.raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Cannot(f"{self.path.name} er ikke UTF-8 (byte {exc.start})") from None
        parser = _Page(KONTROLL_ID)
        parser.feed(self.text)
        parser.close()
        if parser.data is None:
            raise _Cannot(f"{self.path.name} har ingen kontrolldata nederst (laget av en eldre versjon, eller delen er fjernet)")
        try:
            self.manifest = json.loads(parser.data)
        except ValueError as exc:
            raise _Cannot(f"kontrolldataene i {self.path.name} kan ikke leses: {exc}") from None
        self.page = parser

    def items(self) -> dict[str, tuple[str, str | None]]:
        return self.page.items

    def render_items(self, fresh: Any, engine: Any, application: Any) -> dict[str, tuple[str, str | None]]:
        from grants.report.html import KONTROLL_ID, report_page

        options = self.manifest.get("options") or {}
        period = options.get("period")
        tables = [engine.ratebook.get(period)] if period else []
        source = (self.manifest.get("input") or {}).get("name") or ""
        records = application.lines if application is not None else []
        page = _Page(KONTROLL_ID)
        page.feed(report_page(fresh, tables, rulebook=engine.rulebook, source=source, records=records, name=self.path.name))
        page.close()
        return page.items


class _Page(HTMLParser):
    """The report's text, item by item, labelled by where it stands: a table cell by its table,
    row and column header; other text by its section and element. The section «Kontroll» is
    the manifest: its JSON is kept apart, its words are not compared."""

    _TEXT = {"td", "th", "dt", "dd", "p", "pre", "li", "h1", "h2", "h3", "title", "summary", "text", "code", "footer"}

    def __init__(self, kontroll_id: str):
        super().__init__(convert_charrefs=True)
        self.kontroll_id = kontroll_id
        self.items: dict[str, tuple[str, str | None]] = {}
        self.data: str | None = None
        self._stack: list[tuple[str, dict[str, str | None]]] = []
        self._buffer: list[str] = []
        self._section = "sidehodet"
        self._in_kontroll = 0
        self._table: str | None = None
        self._headers: list[str] = []
        self._row = 0
        self._col = 0
        self._first_cell = ""
        self._count: dict[str, int] = {}
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section" and a.get("id") == "kontroll":
            self._in_kontroll = 1
        elif self._in_kontroll and tag == "section":
            self._in_kontroll += 1
        if tag == "table":
            self._table = a.get("data-doctor") and f"lege {a['data-doctor']}" or a.get("class") or self._section
            self._headers, self._row, self._in_head = [], 0, False
        elif tag == "thead":
            self._in_head = True
        elif tag == "tbody":
            self._in_head = False
        elif tag == "tr":
            self._col = 0
            if not self._in_head:
                self._row += 1
        if tag in self._TEXT or (tag == "pre" and a.get("id") == self.kontroll_id):
            self._flush()
            self._stack.append((tag, a))

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self._in_kontroll:
            self._in_kontroll -= 1
            return
        if tag == "table":
            self._table = None
        if self._stack and self._stack[-1][0] == tag:
            _, attrs = self._stack.pop()
            text = " ".join("".join(self._buffer).split())
            raw = "".join(self._buffer)
            self._buffer = []
            if attrs.get("id") == self.kontroll_id:
                self.data = raw
                return
            if self._in_kontroll:
                return
            if tag == "h2":
                self._section = text
            self._add(tag, attrs, text)

    def handle_data(self, data: str) -> None:
        if self._stack:
            self._buffer.append(data)

    def _flush(self) -> None:
        if self._stack and self._buffer:  # text before a nested element belongs to the outer one
            self._buffer.append(" ")

    def _add(self, tag: str, attrs: dict[str, str | None], text: str) -> None:
        if tag in ("td", "th") and self._table is not None:
            first = self._col
            span = attrs.get("colspan") or "1"
            self._col += int(span) if span.isdigit() and 0 < int(span) < 1000 else 1
            if self._in_head:
                self._headers += [text] * (self._col - first)
                where = f"tabell «{self._table}», overskrift {first + 1}"
            else:
                if first == 0:
                    self._first_cell = text
                title = self._headers[first] if first < len(self._headers) else f"kolonne {first + 1}"
                where = f"tabell «{self._table}», rad {self._row} («{self._first_cell}»), «{title}»"
            self.items[self._unique(where)] = (text, None)
            return
        what = {"pre": "forklaringen", "p": "avsnitt", "li": "punkt", "dd": "verdi", "dt": "felt", "text": "tekst i tidslinjen",
                "title": "tittel"}.get(tag, tag)
        ident = attrs.get("data-row")
        label = f"«{self._section}», {what}" + (f" for rad {ident}" if ident else "")
        self.items[self._unique(label)] = (text, None)

    def _unique(self, label: str) -> str:
        n = self._count.get(label, 0) + 1
        self._count[label] = n
        return label if n == 1 else f"{label} ({n})"
