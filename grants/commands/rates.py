"""`alis-grant rates list|show|check`: the rate tables, and the checks before a new one is published."""
from __future__ import annotations

import argparse

from grants.commands._common import EXIT_OK, EXIT_REJECTED, load_input, print_rate_notes, rate_table_path


def register(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("rates", help="vis satstabellene")
    rsub = r.add_subparsers(dest="rates_command", required=True, metavar="{list,show,check,diff}")
    rsub.add_parser("list", help="list periodene og satstabellenes status")
    show = rsub.add_parser("show", help="vis én periodes satser og regler")
    show.add_argument("period", nargs="?", help="periode (standard: alle)")
    check = rsub.add_parser("check", help="kontroller en ny satstabell før den publiseres")
    check.add_argument("table", help="satstabell, f.eks. rates/NY.yaml")
    check.add_argument("--examples", type=int, default=200, help="tilfeldige eksempler per egenskap (standard 200)")
    diff = rsub.add_parser("diff", help="sammenlign to perioder, eller et utkast og en periode")
    diff.add_argument("a", metavar="A", help="periode (f.eks. 2023) eller satstabell-utkast (rates/NY.yaml)")
    diff.add_argument("b", metavar="B", help="periode eller satstabell-utkast å sammenligne med")
    diff.add_argument("--portfolio", metavar="FIL", help="søknad (CSV): vis hva endringen gjør med hver linje og totalen")
    r.set_defaults(handler=run)


def _rates_diff(args: argparse.Namespace) -> int:
    from grants.pipeline.engine import default_engine
    from grants.report.explain import rates_warning
    from grants.tools.ratesdiff import diff, load_side

    shipped = default_engine().ratebook
    a, b = load_side(args.a, shipped), load_side(args.b, shipped)
    records = load_input(args.portfolio).lines if args.portfolio else None
    report = diff(a, b, records, args.portfolio)
    warning = rates_warning({a.label: a.table.status, b.label: b.table.status})
    if warning:
        print(warning)
        print()
    print(report.text())
    return EXIT_REJECTED if report.rejected else EXIT_OK


def _rates_check(args: argparse.Namespace) -> int:
    from grants.testing import check_rate_table

    rate_table_path(args.table)  # a missing file is exit 2, like every command; a broken one fails the check
    report = check_rate_table(args.table, max_examples=args.examples)
    print(report.text())
    return EXIT_OK if report.ok else EXIT_REJECTED


def run(args: argparse.Namespace) -> int:
    if args.rates_command == "check":
        return _rates_check(args)
    if args.rates_command == "diff":
        return _rates_diff(args)
    from grants.money import format_nok, to_kroner
    from grants.pipeline.engine import default_engine, evaluator_in_use
    from grants.pipeline.inputs import HEADER_ALIASES
    from grants.report.explain import MONTH_METHOD_NB, STATUS_NB, rates_warning
    from grants.report.vocabulary_nb import TABLE_STATUS_NB, date_nb
    from grants.rules.conditions import describe
    from grants.rules.ruletext import number_nb, rule_text

    engine = default_engine()
    print_rate_notes(engine)
    book = engine.ratebook
    if args.rates_command == "list":
        warning = rates_warning({t.id: t.status for t in book.tables})
        if warning:
            print(warning)
            print()
        rows = [("periode", "første dag", "siste dag", "søknadsfrist", "modell", "hele måneder", "satstabell")]
        for t in book.tables:
            p = t.period
            rows.append((t.id, date_nb(p.first_day), date_nb(p.last_day), date_nb(p.deadline) if p.deadline else "ukjent",
                         t.model, MONTH_METHOD_NB[t.whole_months], TABLE_STATUS_NB.get(t.status, t.status)))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for r in rows:
            print("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())
        print()
        print(evaluator_in_use(engine.vector_threshold))
        return EXIT_OK
    tables = [book.get(args.period)] if args.period else book.tables
    warning = rates_warning({t.id: t.status for t in tables})
    if warning:
        print(warning)
        print()
    for t in tables:
        p = t.period
        print(f"Periode {t.id}: {p.first_day:%d.%m.%Y}–{p.last_day:%d.%m.%Y}, frist {p.deadline.strftime('%d.%m.%Y') if p.deadline else 'ukjent'}")
        print(f"  Kilde for perioden: {t.source(p.source).title}")
        print(f"  Modell {t.model}; status: {STATUS_NB[t.status]}: {t.status_note}")
        print(f"  Hele måneder: {MONTH_METHOD_NB[t.whole_months]}; sentralitet: {t.centrality.classification} (kommunenumre {t.centrality.preferred_codes} først)")
        minimum = f"{number_nb(t.minimum_share_percent)} %" if t.minimum_share_percent is not None else "ingen"
        print(f"  Stillingsandel: samlet høyst {number_nb(t.maximum_summed_share_percent)} % på overlappende linjer; "
              f"minste stillingsandel: {minimum}; kilde: {t.source(t.share_limits_source).title}")
        if t.model == "A":
            print("  Årssatser ved 100 % stilling (klasse 1–5 / klasse 6):")
            paths = [f"{gt.value}.{role}" for gt, roles in (t.annual_rates or {}).items() for role in roles]
            width = max(map(len, paths), default=0)  # the whole name padded, so every row's amounts line up
            for path in paths:
                low = t.rate(path, "class_1_5")
                high = t.rate(path, "class_6")
                print(f"    {path:<{width}} {format_nok(low.amount):>12} / {format_nok(high.amount):>12}   kilde: {t.source(low.source).title}")
        else:
            print("  Parametere:")
            for name, p in (t.parameters or {}).items():
                value = f"{p.value.normalize():f}".replace(".", ",")
                print(f"    {name:<32} {value:>10}   {p.title_nb or ''}; kilde: {t.source(p.source).title}")
            print("  Elementer (årlig maksimum ved 100 % stilling):")
            for name, e in (t.elements or {}).items():
                if e.annual_maximum:
                    how = f"{' × '.join(e.annual_maximum)} = {format_nok(to_kroner(t.annual_maximum(name)))}"
                else:
                    how = f"{e.share} × ({' + '.join(e.share_of or [])})"
                cap = {"expense": "tak: utgifter", "applied": "tak: søkt beløp", "none": "uten utgiftstak"}[e.cap]
                if e.applied_from:
                    cap += f" (kolonne {HEADER_ALIASES[e.applied_from][1]})"
                if e.expense_from_hours:
                    cap += f", eller veiledning_timer × {' × '.join(e.expense_from_hours)}"
                if e.cap_source:
                    cap += f"; kilde for taket: {t.source(e.cap_source).title}"
                print(f"    {name:<22} {how}; {cap}")
            scope = t.expense_scope
            if scope is None or scope.scope == "line":
                print("  Utgifter og søkte beløp gjelder hver linje for seg.")
            else:
                print("  Utgifter og søkte beløp gjelder legen for hele perioden i kommunen (én gang per element), "
                      f"med taket summen av linjenes maksimum; kilde: {t.source(scope.source).title}")
        print("  Regler i kraft:")
        for r in engine.rulebook.valid_in(t.id):
            if r.kind == "share_minimum" and t.value(r.parameter or "") is None:
                print(f"    {r.id} ({r.kind}): gjelder ikke i perioden ({r.parameter} er tom i satstabellen)")
            else:
                print(f"    {r.id} ({r.kind}): {rule_text(r, t)}")
            if r.when is not None:
                print(f"        når {describe(r.when)}")
            print(f"        kilde: {r.citation.text()}")
        print()
    return EXIT_OK
