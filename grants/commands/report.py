"""`alis-grant report`: the report for the case file, one self-contained HTML page."""
from __future__ import annotations

import argparse
from pathlib import Path

from grants.commands._common import (EXIT_OK, EXIT_REJECTED, add_input_options, add_sessions_option, check_output, load_input,
                                     print_rate_notes, say)


def register(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("report", help="lag en rapport (HTML) for saksmappen, med tidslinje")
    r.add_argument("input", help="CSV-fil eller Excel-fil (.xlsx)")
    r.add_argument("--period", help="tilskuddsperiode, f.eks. 2023; uten: linjene deles per periode")
    r.add_argument("-o", "--output", required=True, help="rapportfil som skrives: .html")
    add_input_options(r)
    add_sessions_option(r, "veiledningsøkter (CSV eller .xlsx: lege, dato, timer), som for compute: rapporten viser det "
                           "compute betaler")
    r.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from grants.io.output import atomic_output
    from grants.money import format_nok
    from grants.pipeline.engine import default_engine
    from grants.report.explain import rates_warning
    from grants.service.public import compute
    from grants.report.html import report_page

    engine = default_engine()
    print_rate_notes(engine)
    tables = [engine.ratebook.get(args.period)] if args.period else []  # unknown period: stop first
    out = check_output(args, (".html", ".htm"))
    csv_input = load_input(args.input, args.sheet)
    result = compute(csv_input, args.period, engine=engine, ignore_columns=args.ignore_column, sessions=args.sessions)
    page = report_page(result, tables, rulebook=engine.rulebook, source=Path(args.input).name, records=csv_input.lines,
                       name=out.name)
    with atomic_output(out, encoding="utf-8", newline="\n") as fh:
        fh.write(page)
    warning = rates_warning({t.id: t.status for t in tables} | result.rates_statuses)
    if warning:
        say(warning)
        say()
    for note in result.notes:
        say(f"Merk: {note}")
    if not result.lines:
        say(f"Ingen linjer er beregnet: alle {len(result.rejections)} rader er avvist. "
              f"Rapporten med begrunnelsene er skrevet til {out}.")
        return EXIT_REJECTED
    n_lines, n_rej = len(result.lines), len(result.rejections)
    say(f"Skrev rapporten til {out}: {n_lines} {'linje' if n_lines == 1 else 'linjer'}, "
          f"{n_rej} {'avvist rad' if n_rej == 1 else 'avviste rader'}, totalt tilskudd {format_nok(result.total_nok)}.")
    return EXIT_REJECTED if result.rejections else EXIT_OK
