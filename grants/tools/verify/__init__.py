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

import os
from pathlib import Path
from typing import Any

from grants.errors import GrantsError
from grants.money import format_nok
from grants.pipeline.provenance import package_version
from grants.tools.verify.recompute import _check_manifest, _compute, _embedded_engine, _input, _installed_engine, _sessions
from grants.tools.verify.result_files import _read_result, _ResultFile
from grants.tools.verify.shipped_now import _centrality_changes, _shipped_changes
from grants.tools.verify.verdict import (ALTERED, CANNOT_VERIFY, DATA_CHANGED, INPUT_DIFFERS, NOTE, OTHER_VERSION,
                                         REPRODUCED, _SHOWN, Difference, Verification, _Cannot)


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


_POSITION_COLUMNS = frozenset({"file_line", "where"})
"""Columns that say where a row stood in the input file: a re-saved file may move its rows."""


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
