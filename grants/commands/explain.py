"""`alis-grant explain`: one row, rule by rule, in bokmål."""
from __future__ import annotations

import argparse

from grants.commands._common import (EXIT_FATAL, EXIT_OK, EXIT_REJECTED, add_input_options, add_sessions_option, load_input,
                                     print_rate_notes, say)


def register(sub: argparse._SubParsersAction) -> None:
    e = sub.add_parser("explain", help="forklar beregningen av én rad")
    e.add_argument("input")
    e.add_argument("--row", type=int, required=True, help="dataradnummer (første rad under overskriften er 1)")
    e.add_argument("--period", help="tilskuddsperiode; uten: alle periodene raden berører")
    add_input_options(e)
    add_sessions_option(e, "veiledningsøkter (CSV eller .xlsx: lege, dato, timer), som for compute")
    e.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from grants.money import format_nok
    from grants.service.public import compute
    from grants.pipeline.engine import default_engine
    from grants.report.explain import explain_line, explain_rejection, rates_warning

    engine = default_engine()
    print_rate_notes(engine)
    if args.period:
        engine.ratebook.get(args.period)
    csv_input = load_input(args.input, args.sheet)
    n = csv_input.n_rows
    if not 1 <= args.row <= n:
        rows = f"datarader 1–{n}" if n else "ingen datarader"
        say(f"Feil: filen har {rows}; rad {args.row} finnes ikke", err=True)
        return EXIT_FATAL
    result = compute(csv_input, args.period, engine=engine, ignore_columns=args.ignore_column, sessions=args.sessions)
    warning = rates_warning({line.period: line.rates_status for line in result.lines if line.row == args.row})
    if warning:
        say(warning)
        say()
    rejection = result.rejection(args.row)
    if rejection is not None:
        say(explain_rejection(rejection))
        return EXIT_REJECTED
    lines = [line for line in result.lines if line.row == args.row]
    say("\n\n".join(explain_line(line, engine.rulebook) for line in lines))
    say()
    say(f"Sum for raden: {format_nok(sum(line.amount_nok for line in lines))}")
    return EXIT_OK
