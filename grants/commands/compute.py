"""`alis-grant compute`: the main job: read the applications, compute, write, summarise."""
from __future__ import annotations

import argparse

from ..engine import default_engine
from ..errors import OutputFileError
from ..explain import one_line_summary, rates_warning, summary
from ..progress import Steps, wanted
from ..writers import write_result
from ._common import EXIT_OK, EXIT_REJECTED, check_output, delimiter, load_input


def register(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("compute", help="beregn tilskudd for en CSV-fil med leger")
    c.add_argument("input", help="CSV-fil (komma eller semikolon, UTF-8)")
    c.add_argument("--period", help="tilskuddsperiode, f.eks. 2023; uten: linjene deles per periode")
    c.add_argument("-o", "--output", help="utfil: .csv, .json eller .xlsx (Excel-arbeidsbok med forklaringer)")
    c.add_argument("--lang", choices=("en", "nb"), default="en",
                   help="språk i CSV-utfilen: en (standard: stabile kolonnenavn for programmer) eller nb (norske overskrifter, verdier og datoer)")
    c.add_argument("--delimiter", type=delimiter, default=None,
                   help="skilletegn i CSV-utfilen: komma, semikolon eller tab (standard: som i innfilen)")
    c.add_argument("--quiet", action="store_true", help="bare advarsel og én linje med totalsum på skjermen, uten fremdriftsvisning")
    c.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    engine = default_engine()
    if args.period:
        engine.ratebook.get(args.period)  # unknown period: stop before reading anything
    workbook = False
    if args.output:
        check_output(args)
        workbook = args.output.lower().endswith(".xlsx")
        if args.lang == "nb" and args.output.lower().endswith(".json"):
            raise OutputFileError("--lang nb gjelder CSV; JSON beholder de stabile navnene som andre programmer leser")
    with Steps(enabled=wanted(args.quiet)) as progress:
        progress.step(f"Leser {args.input}")
        csv_input = load_input(args.input)
        progress.step(f"Beregner {len(csv_input.records)} rader")
        result = engine.compute(csv_input.records, args.period)
        if args.output:
            try:
                if workbook:
                    from ..workbook import write_workbook

                    progress.step(f"Skriver {args.output}", total=len(result.lines) + len(result.rejections))
                    write_workbook(result, args.output, engine.rulebook, progress.advance)
                else:
                    progress.step(f"Skriver {args.output}")
                    write_result(result, args.output, args.delimiter or csv_input.delimiter, args.lang)
            except OSError as exc:
                raise OutputFileError(f"kan ikke skrive utfilen {args.output}: {exc.strerror or exc}") from None
    warning = rates_warning(result.rates_statuses)
    if warning:
        print(warning)
        print()
    if result.ignored_columns:
        cols = result.ignored_columns
        print(f"Merk: {'kolonnen' if len(cols) == 1 else 'kolonnene'} {', '.join(cols)} er ikke brukt i beregningen.")
    blank_rows = getattr(csv_input, "blank_rows", None)  # when the reader counts skipped blank rows
    if not args.quiet:
        print(summary(result, total_line=False, blank_rows=blank_rows))
    if result.rejections and not result.lines:
        n = len(result.rejections)
        print(f"Ingen rader kunne beregnes: {'raden' if n == 1 else f'alle {n} radene'} er avvist; "
              "rett feilene som er nevnt og kjør på nytt.")
    if args.output:
        print(f"Skrev {len(result.lines) + len(result.rejections)} rader til {args.output}")
    if warning:
        print()
        print(warning)
    print(one_line_summary(result, blank_rows))
    return EXIT_REJECTED if result.rejections else EXIT_OK
