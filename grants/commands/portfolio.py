"""`alis-grant portfolio`: a synthetic national portfolio for benchmarks and impact runs."""
from __future__ import annotations

import argparse

from grants.commands._common import EXIT_OK, check_output


def register(sub: argparse._SubParsersAction) -> None:
    port = sub.add_parser("portfolio", help="lag en syntetisk nasjonal portefølje (CSV) for tester og budsjettvirkning")
    port.add_argument("--lines", type=int, default=2500, help="antall linjer (standard 2500)")
    port.add_argument("--seed", type=int, default=1, help="frø: samme frø gir samme portefølje (standard 1)")
    port.add_argument("--period", default="2023", help="periode linjene gjelder (standard 2023)")
    port.add_argument("-o", "--output", required=True, help="CSV-fil som skrives")
    port.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from grants.pipeline.engine import default_engine
    from grants.tools.portfolio import synthetic_portfolio, write_csv

    default_engine().ratebook.get(args.period)
    check_output(args, (".csv",))  # before generating anything: a missing folder is a message, not a traceback
    records = synthetic_portfolio(args.lines, args.seed, args.period)
    write_csv(records, args.output)
    print(f"Skrev {len(records)} syntetiske linjer ({len({r['alis_id'] for r in records})} leger) for perioden "
          f"{args.period} til {args.output}. Fordelingene er antakelser, ikke data (se grants/tools/portfolio.py).")
    return EXIT_OK
