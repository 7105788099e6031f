"""`alis-grant template`: an empty application workbook for a period, ready to fill in."""
from __future__ import annotations

import argparse
from pathlib import Path

from grants.errors import OutputFileError
from grants.commands._common import EXIT_OK
from grants.io.output import check_output_path


def register(sub: argparse._SubParsersAction) -> None:
    t = sub.add_parser("template", help="lag en tom søknadsmal (.xlsx) med kolonner, lister og veiledning")
    t.add_argument("--period", help="tilskuddsperiode, f.eks. 2023 (standard: den siste perioden)")
    t.add_argument("-o", "--output", required=True, help="utfil, f.eks. mal.xlsx")
    t.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from grants.pipeline.engine import default_engine
    from grants.report.explain import rates_warning

    book = default_engine().ratebook
    table = book.get(args.period) if args.period else book.tables[-1]  # unknown period: exit 2
    out = Path(args.output)
    if out.suffix.lower() != ".xlsx":
        raise OutputFileError(f"malen {out} må slutte på .xlsx")
    check_output_path(out)
    from grants.tools.template import write_template

    write_template(table, out, default_engine().rulebook)
    warning = rates_warning({table.id: table.status})
    if warning:
        print(warning)
    print(f"Skrev søknadsmal for perioden {table.id} til {out}")
    return EXIT_OK
