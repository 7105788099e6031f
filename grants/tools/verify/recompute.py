"""Computing a result again: the manifest checked, an engine loaded from the rules files and
rate tables embedded in it, the input and the sessions found and checked against the hashes it
names, and the computation with the options it names."""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Mapping

from grants.errors import GrantsError
from grants.io.output import atomic_output
from grants.pipeline.provenance import MANIFEST_FORMAT, package_version, records_sha256
from grants.tools.verify.verdict import INPUT_DIFFERS, NOTE, Verification, _Cannot


_SAFE_NAME = re.compile(r"[\w][\w.-]{0,120}\.ya?ml")
_PERIOD_ID = re.compile(r"\d{4}(-\d{2})?")

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
