"""The manifest in words (bokmål): what a result was computed from and how to verify it later.

One wording for every place a person reads it: the workbook's *Kontroll* sheet, the bottom of
the HTML report and `alis-grant verify`. The manifest itself is built by
grants.pipeline.provenance; this module only says it.
"""
from __future__ import annotations

from typing import Any, Mapping

def manifest_of(result: Any, output: dict[str, Any]) -> dict[str, Any] | None:
    """The result's manifest (grants.pipeline.provenance) with the options of the file written
    (`output`: format, and for CSV the language and separator); None for a result made without
    an engine's provenance."""
    if result.provenance is None:
        return None
    return result.provenance.manifest(result.rates_statuses, output)


MANIFEST_CHUNK = 30_000
"""Characters of the manifest's JSON per spreadsheet cell (Excel holds 32 767 in one): the
workbook keeps it in consecutive cells labelled KONTROLLDATA, read back in order."""
KONTROLLDATA = "Kontrolldata"

_STATUS_NB = {"official": "offisiell", "provisional": "foreløpig", "illustrative": "illustrativ (ikke offisiell)"}
_FORMAT_NB = {"csv": "CSV", "xlsx": "Excel-arbeidsbok", "json": "JSON", "html": "rapport (HTML)"}
_DELIMITER_NB = {",": "komma", ";": "semikolon", "\t": "tabulator"}


def _source_nb(record: Mapping[str, Any] | None, what: str) -> list[tuple[str, str]]:
    if record is None:
        return [(what, "ingen")]
    rows = record.get("rows")
    if record.get("kind") == "file":
        out = [(what, f"{record.get('name') or '(uten navn)'} ({_FORMAT_NB.get(record.get('format') or '', record.get('format') or 'fil')}"
                      + (f", arket «{record['sheet']}»" if record.get("sheet") else "") + f", {rows} rader)"),
               (f"{what}: SHA-256", record.get("sha256") or "ukjent")]
    elif record.get("kind") == "lines":
        out = [(what, f"{rows} linjer gitt som data (ikke en fil)")]
    else:
        out = [(what, "gitt som ferdig summerte timer: kan ikke kontrolleres")]
    if record.get("rows_sha256"):
        out.append((f"{what}: radenes SHA-256", record["rows_sha256"]))
    return out


def manifest_facts(manifest: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(what, value) pairs in bokmål: program, input, sessions, options, every data file and its
    SHA-256."""
    options = manifest.get("options") or {}
    out = [("Program", f"{manifest.get('package')} {manifest.get('version')}")]
    out += _source_nb(manifest.get("input"), "Innfil")
    out += _source_nb(manifest.get("sessions"), "Øktfil")
    period = options.get("period")
    out.append(("Periode", period if period else "ingen valgt: linjene er delt per periode"))
    ignored = options.get("ignore_columns") or []
    if ignored:
        out.append(("Kolonner holdt utenfor (--ignore-column)", ", ".join(f"«{c}»" for c in ignored)))
    if options.get("format") == "csv":
        out.append(("CSV", f"skilletegn {_DELIMITER_NB.get(options.get('delimiter') or ',', repr(options.get('delimiter')))}, "
                           f"språk {options.get('lang') or 'en'}"))
    if options.get("evaluator"):
        out.append(("Regelmotor (bare til informasjon; endrer ikke beløp)",
                    f"{options['evaluator']} (kjørte: {options.get('evaluator_ran') or 'ukjent'})"))
    embedded = manifest.get("embedded") or {}
    for name, sha in (manifest.get("rules_sha256") or {}).items():
        out.append((f"Regelfil {name}", f"SHA-256 {sha}" + (" (innebygd)" if name in (embedded.get("rules") or {}) else "")))
    used = manifest.get("rates_sha256") or {}
    for period_id, entry in (embedded.get("rates") or {}).items():
        status = _STATUS_NB.get(entry.get("status"), entry.get("status"))
        role = "brukt" if period_id in used else "lastet, ikke brukt"
        out.append((f"Satstabell {period_id} ({entry.get('file')}, {status}, {role})", f"SHA-256 {entry.get('sha256')} (innebygd)"))
    for name, sha in (manifest.get("centrality_sha256") or {}).items():
        out.append((f"Sentralitetsfil {name}", f"SHA-256 {sha}"))
    return out


def verify_command(result_name: str, manifest: Mapping[str, Any]) -> str:
    """The command that verifies a result file later, with its input named."""
    parts = ["alis-grant", "verify", _quoted(result_name)]
    source = manifest.get("input") or {}
    if source.get("kind") == "file" and source.get("name"):
        parts += ["--input", _quoted(source["name"])]
    sessions = manifest.get("sessions") or {}
    if sessions.get("kind") == "file" and sessions.get("name"):
        parts += ["--sessions", _quoted(sessions["name"])]
    return " ".join(parts)


def _quoted(name: str) -> str:
    import shlex

    return shlex.quote(name)


WHAT_VERIFY_PROVES = (
    "alis-grant verify beregner resultatet på nytt fra innfilen med reglene og satstabellene som er "
    "lagret i resultatet, og sammenligner linje for linje. Det viser at resultatet følger av denne innfilen etter "
    "disse reglene. Det er ingen signatur, og det sier ingenting om at opplysningene i innfilen er riktige."
)
