"""`alis-grant impact`: the budget impact of a new rate table on a portfolio."""
from __future__ import annotations

import argparse

from grants.commands._common import EXIT_OK, load_input, print_rate_notes, rate_table_path, say


def register(sub: argparse._SubParsersAction) -> None:
    imp = sub.add_parser("impact", help="budsjettvirkning av en ny satstabell")
    imp.add_argument("portfolio", help="søknadsfil eller syntetisk portefølje (CSV)")
    imp.add_argument("--base", required=True, help="periode å sammenligne med, f.eks. 2023")
    imp.add_argument("--new", required=True, help="ny satstabell: en fil (f.eks. rates/NY.yaml) eller en periode (f.eks. 2024-25)")
    imp.add_argument("--top", type=int, default=15, help="antall kommuner som vises (standard 15)")
    imp.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from grants.pipeline.engine import default_engine
    from grants.report.explain import rates_warning
    from grants.tools.impact import impact, lines_from_records

    engine = default_engine()
    label = args.new  # the period id or the path, as the user gave it (never the installed file's path)
    path = rate_table_path(args.new)
    print_rate_notes(engine, named=path)
    engine.ratebook.get(args.base)
    csv_input = load_input(args.portfolio)
    lines, rejections = lines_from_records(csv_input.lines, engine)
    if rejections:
        say(f"Merk: {len(rejections)} rader i porteføljen er avvist og ikke tatt med, f.eks. {rejections[0].text()}")
    report = impact(lines, args.base, path, engine=engine, new_label=label)
    warning = rates_warning({f"{report.base.id} (grunnlag)": report.base.status, f"{report.new.id} (ny)": report.new.status})
    if warning:
        say(warning)
        say()
    say(report.text(args.top))
    return EXIT_OK
