"""`alis-grant compute`: the main job: read the applications, compute, write, summarise."""
from __future__ import annotations

import argparse

from grants.errors import OutputFileError
from grants.io.output import sidecar_path
from grants.commands._common import (EXIT_OK, EXIT_REJECTED, LazyChoices, add_input_options, add_sessions_option,
                                     check_output, delimiter, load_input, print_rate_notes, say)

# Imports that `compute` needs only when it runs (or only for some options) are made inside
# run(): every command's parser is built on each start, so what is imported here every command
# pays for (start-up time).


def register(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("compute", help="beregn tilskudd for en søknadsfil (CSV eller Excel-arbeidsbok .xlsx)")
    c.add_argument("input", help="CSV-fil eller Excel-fil (.xlsx) med én linje per lege og tidsrom")
    c.add_argument("--period", help="tilskuddsperiode, f.eks. 2023; uten: linjene deles per periode")
    c.add_argument("-o", "--output", help="utfil: .csv, .json eller .xlsx (Excel-arbeidsbok med forklaringer)")
    c.add_argument("--lang", choices=("en", "nb"), default="en",
                   help="språk i CSV-utfilen: en (standard: stabile kolonnenavn for programmer) eller nb (norske overskrifter, verdier og datoer)")
    c.add_argument("--delimiter", type=delimiter, default=None,
                   help="skilletegn i CSV-utfilen: komma, semikolon eller tab (standard: som i innfilen)")
    c.add_argument("--quiet", action="store_true", help="bare advarsel og én linje med totalsum på skjermen, uten fremdriftsvisning")
    add_input_options(c)
    add_sessions_option(c, "veiledningsøkter (CSV eller .xlsx: lege, dato, timer): timene summeres per lege i perioden")
    c.add_argument("--evaluator", choices=LazyChoices("grants.pipeline.engine", "EVALUATORS"), default="auto", metavar="MÅTE",
                   help="hvordan reglene evalueres: auto (standard: durable_rules for små filer, kolonnevis fra "
                        "50 000 linjedeler og der durable_rules ikke er installert), durable (alltid durable_rules; "
                        "bare Python 3.11 og 3.12) eller vectorised (alltid kolonnevis); svaret er det samme; "
                        "alis-grant --version viser hva som brukes her")
    c.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from grants.pipeline.engine import default_engine
    from grants.service.public import compute
    from grants.report.explain import one_line_summary, outside_period_warning, rates_warning, summary
    from grants.report.progress import Steps, wanted

    engine = default_engine()
    print_rate_notes(engine)
    if args.period:
        engine.ratebook.get(args.period)  # unknown period: stop before reading anything
    workbook = False
    if args.output:
        check_output(args, sidecar=True)
        workbook = args.output.lower().endswith(".xlsx")
        if args.lang == "nb" and args.output.lower().endswith(".json"):
            raise OutputFileError("--lang nb gjelder CSV; JSON beholder de stabile navnene som andre programmer leser")
    with Steps(enabled=wanted(args.quiet)) as progress:
        progress.step(f"Leser {args.input}")
        csv_input = load_input(args.input, args.sheet)
        progress.step(f"Beregner {csv_input.n_rows} rader")
        result = compute(csv_input, args.period, engine=engine, ignore_columns=args.ignore_column,
                         sessions=args.sessions, evaluator=args.evaluator)
        if args.output:
            if workbook:
                from grants.io.workbook import write_workbook

                progress.step(f"Skriver {args.output}", total=len(result.lines) + len(result.rejections))
                write_workbook(result, args.output, engine.rulebook, progress.advance)
            else:
                from grants.io.writers import write_result

                progress.step(f"Skriver {args.output}")
                write_result(result, args.output, args.delimiter or csv_input.delimiter, args.lang)
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
    blank_rows = csv_input.table.blank_rows
    if not args.quiet:
        say(summary(result, total_line=False, blank_rows=blank_rows))
    if result.rejections and not result.lines:
        n = len(result.rejections)
        say(f"Ingen rader kunne beregnes: {'raden' if n == 1 else f'alle {n} radene'} er avvist; "
            "rett feilene som er nevnt og kjør på nytt.")
    if args.output:
        n_out = len(result.lines) + len(result.rejections)
        sidecar = f" og kontrollfilen {sidecar_path(args.output).name}" if args.output.lower().endswith(".csv") else ""
        say(f"Skrev {n_out} {'rad' if n_out == 1 else 'rader'} til {args.output}{sidecar}")
    if warning:
        say()
        say(warning)
    say(one_line_summary(result, blank_rows))
    return EXIT_REJECTED if result.rejections else EXIT_OK
