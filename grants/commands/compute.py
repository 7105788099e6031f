"""`alis-grant compute`: the main job: read the applications, compute, write, summarise."""
from __future__ import annotations

import argparse

from ..engine import default_engine
from ..errors import OutputFileError
from ..explain import outside_period_warning, rates_warning, summary
from ..money import format_nok
from ..sessions import sessions_for
from ..writers import write_result
from ._common import EXIT_OK, EXIT_REJECTED, check_output, delimiter, load_input, print_rate_notes, add_input_options, attach_source, say


def register(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("compute", help="beregn tilskudd for en CSV-fil med leger")
    c.add_argument("input", help="CSV-fil eller Excel-fil (.xlsx) med én linje per lege og tidsrom")
    c.add_argument("--period", help="tilskuddsperiode, f.eks. 2023; uten: linjene deles per periode")
    c.add_argument("-o", "--output", help="utfil: .csv eller .json")
    c.add_argument("--delimiter", type=delimiter, default=None,
                   help="skilletegn i CSV-utfilen: komma, semikolon eller tab (standard: som i innfilen)")
    c.add_argument("--quiet", action="store_true", help="bare advarsel og totalsum på skjermen")
    add_input_options(c)
    c.add_argument("--sessions", metavar="FIL",
                   help="veiledningsøkter (CSV: lege, dato, timer): timene summeres per lege i perioden")
    c.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    engine = default_engine()
    print_rate_notes(engine)
    if args.period:
        engine.ratebook.get(args.period)  # unknown period: stop before reading anything
    if args.output:
        check_output(args)
    csv_input = load_input(args.input, args.sheet)
    sessions = sessions_for(args.sessions, engine.ratebook, args.period) if args.sessions else None
    result = engine.compute(csv_input.records, args.period, ignore_columns=args.ignore_column, sessions=sessions)
    attach_source(result, csv_input)
    warning = rates_warning(result.rates_statuses)
    if warning:
        say(warning)
        say()
    if result.ignored_columns:
        cols = ", ".join(f"«{c}»" for c in result.ignored_columns)
        say(f"Merk: {'kolonnen' if len(result.ignored_columns) == 1 else 'kolonnene'} {cols} er ikke brukt i "
              "beregningen (--ignore-column); verdiene følger med i utfilen.")
    outside = outside_period_warning(result, args.period)
    if outside:
        say(outside)
        say()
    for note in result.notes:
        say(f"Merk: {note}")
    if args.quiet:
        n_lines, n_rej = len(result.lines), len(result.rejections)
        say(f"Totalt tilskudd: {format_nok(result.total_nok)} ({n_lines} {'linje' if n_lines == 1 else 'linjer'}, "
              f"{n_rej} {'avvist rad' if n_rej == 1 else 'avviste rader'})")
    else:
        say(summary(result))
    if args.output:
        try:
            write_result(result, args.output, args.delimiter or csv_input.delimiter)
        except OSError as exc:
            raise OutputFileError(f"kan ikke skrive utfilen {args.output}: {exc.strerror or exc}") from None
        say(f"Skrev {len(result.lines) + len(result.rejections)} rader til {args.output}")
    if warning:
        say()
        say(warning)
    return EXIT_REJECTED if result.rejections else EXIT_OK
