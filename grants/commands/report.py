"""`alis-grant report`: the report for the case file, one self-contained HTML page."""
from __future__ import annotations

import argparse
import os
import stat
import tempfile
from pathlib import Path

from ..engine import default_engine
from ..errors import OutputFileError
from ..explain import rates_warning
from ..money import format_nok
from ..report_html import rejected_lines, render_report
from ._common import EXIT_OK, EXIT_REJECTED, load_input


def register(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("report", help="lag en rapport (HTML) for saksmappen, med tidslinje")
    r.add_argument("input", help="CSV-fil (komma eller semikolon, UTF-8)")
    r.add_argument("--period", help="tilskuddsperiode, f.eks. 2023; uten: linjene deles per periode")
    r.add_argument("-o", "--output", required=True, help="rapportfil som skrives: .html")
    r.set_defaults(handler=run)


def _check_target(output: str, input_path: str) -> Path:
    """Refuse, before computing anything, a report the tool could not write or should not."""
    out = Path(output)
    if out.suffix.lower() not in (".html", ".htm"):
        raise OutputFileError(f"rapportfilen {out} må slutte på .html")
    folder = out.parent
    if not folder.is_dir():
        raise OutputFileError(f"mappen {folder} finnes ikke; opprett den eller velg en annen plassering for rapporten")
    if out.exists():
        if out.resolve() == Path(input_path).resolve():
            raise OutputFileError(f"rapportfilen {out} er den samme som innfilen; velg et annet navn")
        if out.is_dir():
            raise OutputFileError(f"{out} er en mappe, ikke en fil; velg et filnavn for rapporten")
        if not out.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
            raise OutputFileError(f"rapportfilen {out} er skrivebeskyttet; velg et annet navn eller fjern skrivebeskyttelsen")
    return out


def _write_atomic(path: Path, text: str) -> None:
    """Write beside `path` and move into place: a failure leaves no half-written report.
    (Private until the shared atomic writer grants/io/output.py is merged.)"""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run(args: argparse.Namespace) -> int:
    engine = default_engine()
    tables = [engine.ratebook.get(args.period)] if args.period else []  # unknown period: stop first
    out = _check_target(args.output, args.input)
    csv_input = load_input(args.input)
    result = engine.compute(csv_input.records, args.period)
    page = render_report(result, tables, rulebook=engine.rulebook, source=Path(args.input).name,
                         rejected=rejected_lines(csv_input.records, result.rejections))
    try:
        _write_atomic(out, page)
    except OSError as exc:
        raise OutputFileError(f"kan ikke skrive rapportfilen {out}: {exc.strerror or exc}") from None
    warning = rates_warning({t.id: t.status for t in tables} | result.rates_statuses)
    if warning:
        print(warning)
        print()
    if not result.lines:
        print(f"Ingen linjer er beregnet: alle {len(result.rejections)} rader er avvist. "
              f"Rapporten med begrunnelsene er skrevet til {out}.")
        return EXIT_REJECTED
    n_lines, n_rej = len(result.lines), len(result.rejections)
    print(f"Skrev rapporten til {out}: {n_lines} {'linje' if n_lines == 1 else 'linjer'}, "
          f"{n_rej} {'avvist rad' if n_rej == 1 else 'avviste rader'}, totalt tilskudd {format_nok(result.total_nok)}.")
    return EXIT_REJECTED if result.rejections else EXIT_OK
