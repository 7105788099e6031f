"""`alis-grant`: the finance officer's command line. A thin layer: read, compute, write, tell.

Exit codes: 0 every row computed (ok or ineligible); 1 some rows rejected (the good rows are
still computed and written); 2 nothing could be computed (missing or unreadable file, unknown
period, broken rate or rules file).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .csv_reader import read_lines_csv
from .engine import default_engine
from .errors import GrantsError, OutputFileError
from .explain import MONTH_METHOD_NB, STATUS_NB, explain_line, explain_rejection, rates_warning, summary
from .money import format_nok, to_kroner
from .rules import describe_condition
from .writers import write_result

EXIT_OK, EXIT_REJECTED, EXIT_FATAL = 0, 1, 2


_ARGPARSE_NB = {
    "usage: ": "bruk: ",
    "options": "valg",
    "positional arguments": "argumenter",
    "show this help message and exit": "vis denne hjelpen og avslutt",
    "the following arguments are required: %s": "disse argumentene mangler: %s",
    "%(prog)s: error: %(message)s\n": "%(prog)s: feil: %(message)s\n",
    "invalid choice: %(value)r (choose from %(choices)s)": "ugyldig valg: %(value)r (velg blant %(choices)s)",
    "unrecognized arguments: %s": "ukjente argumenter: %s",
    "expected one argument": "mangler verdi",
    "invalid %(type)s value: %(value)r": "ugyldig verdi: %(value)r",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s: %(message)s",
}


def _bokmal_argparse() -> None:
    """argparse's own words (usage, options, errors) in bokmål: it looks them up through
    gettext at call time, so a lookup table is all it takes."""
    original = argparse._  # type: ignore[attr-defined]
    if getattr(original, "bokmal", False):
        return

    def translate(text: str) -> str:
        return _ARGPARSE_NB.get(text, original(text))

    translate.bokmal = True  # type: ignore[attr-defined]
    argparse._ = translate  # type: ignore[attr-defined]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="alis-grant",
        description="Beregn tilskudd fra Nasjonal ALIS og veiledning per linje, lege og kommune.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="KOMMANDO",
                           title="kommandoer")
    c = sub.add_parser("compute", help="beregn tilskudd for en CSV-fil med leger")
    c.add_argument("input", help="CSV-fil (komma eller semikolon, UTF-8)")
    c.add_argument("--period", help="tilskuddsperiode, f.eks. 2023; uten: linjene deles per periode")
    c.add_argument("-o", "--output", help="utfil: .csv eller .json")
    c.add_argument("--delimiter", type=_delimiter, default=None,
                   help="skilletegn i CSV-utfilen: komma, semikolon eller tab (standard: som i innfilen)")
    c.add_argument("--quiet", action="store_true", help="bare advarsel og totalsum på skjermen")
    e = sub.add_parser("explain", help="forklar beregningen av én rad")
    e.add_argument("input")
    e.add_argument("--row", type=int, required=True, help="dataradnummer (første rad under overskriften er 1)")
    e.add_argument("--period", help="tilskuddsperiode; uten: alle periodene raden berører")
    r = sub.add_parser("rates", help="vis satstabellene")
    rsub = r.add_subparsers(dest="rates_command", required=True, metavar="{list,show,check}")
    rsub.add_parser("list", help="list periodene og satstabellenes status")
    show = rsub.add_parser("show", help="vis én periodes satser og regler")
    show.add_argument("period", nargs="?", help="periode (standard: alle)")
    check = rsub.add_parser("check", help="kontroller en ny satstabell før den publiseres")
    check.add_argument("table", help="satstabell, f.eks. rates/NY.yaml")
    check.add_argument("--examples", type=int, default=200, help="tilfeldige eksempler per egenskap (standard 200)")
    imp = sub.add_parser("impact", help="budsjettvirkning av en ny satstabell")
    imp.add_argument("portfolio", help="søknadsfil eller syntetisk portefølje (CSV)")
    imp.add_argument("--base", required=True, help="periode å sammenligne med, f.eks. 2023")
    imp.add_argument("--new", required=True, help="ny satstabell, f.eks. rates/NY.yaml")
    imp.add_argument("--top", type=int, default=15, help="antall kommuner som vises (standard 15)")
    port = sub.add_parser("portfolio", help="lag en syntetisk nasjonal portefølje (CSV) for tester og budsjettvirkning")
    port.add_argument("--lines", type=int, default=2500, help="antall linjer (standard 2500)")
    port.add_argument("--seed", type=int, default=1, help="frø: samme frø gir samme portefølje (standard 1)")
    port.add_argument("--period", default="2023", help="periode linjene gjelder (standard 2023)")
    port.add_argument("-o", "--output", required=True, help="CSV-fil som skrives")
    return p


_DELIMITERS = {",": ",", "komma": ",", "comma": ",", ";": ";", "semikolon": ";", "semicolon": ";",
               "tab": "\t", "\t": "\t", "\\t": "\t"}


def _delimiter(value: str) -> str:
    try:
        return _DELIMITERS[value.strip().lower()]
    except KeyError:
        raise argparse.ArgumentTypeError(f"ukjent skilletegn «{value}»; bruk komma, semikolon eller tab") from None


def _check_output(args: argparse.Namespace) -> None:
    """Refuse an output the tool cannot write well before computing anything."""
    out = Path(args.output)
    if out.suffix.lower() not in (".csv", ".json"):
        raise OutputFileError(f"utfilen {out} må slutte på .csv eller .json (Excel åpner .csv)")
    if out.exists() and out.resolve() == Path(args.input).resolve():
        raise OutputFileError(f"utfilen {out} er den samme som innfilen; velg et annet navn så søknaden ikke overskrives")


def main(argv: list[str] | None = None) -> int:
    _bokmal_argparse()
    args = _parser().parse_args(argv)
    try:
        if args.command == "compute":
            return _compute(args)
        if args.command == "explain":
            return _explain(args)
        if args.command == "impact":
            return _impact(args)
        if args.command == "portfolio":
            return _portfolio(args)
        return _rates(args)
    except GrantsError as exc:
        print(f"Feil: {exc}", file=sys.stderr)
        return EXIT_FATAL
    except BrokenPipeError:  # pragma: no cover - e.g. piped into head
        return EXIT_OK


def _load(path: str):
    csv_input = read_lines_csv(path)
    for note in csv_input.notes:
        print(f"Merk: {note}", file=sys.stderr)
    return csv_input


def _compute(args: argparse.Namespace) -> int:
    engine = default_engine()
    if args.period:
        engine.ratebook.get(args.period)  # unknown period: stop before reading anything
    if args.output:
        _check_output(args)
    csv_input = _load(args.input)
    result = engine.compute(csv_input.records, args.period)
    warning = rates_warning(result.rates_statuses)
    if warning:
        print(warning)
        print()
    if result.ignored_columns:
        cols = result.ignored_columns
        print(f"Merk: {'kolonnen' if len(cols) == 1 else 'kolonnene'} {', '.join(cols)} er ikke brukt i beregningen.")
    if args.quiet:
        n_lines, n_rej = len(result.lines), len(result.rejections)
        print(f"Totalt tilskudd: {format_nok(result.total_nok)} ({n_lines} {'linje' if n_lines == 1 else 'linjer'}, "
              f"{n_rej} {'avvist rad' if n_rej == 1 else 'avviste rader'})")
    else:
        print(summary(result))
    if args.output:
        try:
            write_result(result, args.output, args.delimiter or csv_input.delimiter)
        except OSError as exc:
            raise OutputFileError(f"kan ikke skrive utfilen {args.output}: {exc.strerror or exc}") from None
        print(f"Skrev {len(result.lines) + len(result.rejections)} rader til {args.output}")
    if warning:
        print()
        print(warning)
    return EXIT_REJECTED if result.rejections else EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    engine = default_engine()
    if args.period:
        engine.ratebook.get(args.period)
    csv_input = _load(args.input)
    n = len(csv_input.records)
    if not 1 <= args.row <= n:
        rows = f"datarader 1–{n}" if n else "ingen datarader"
        print(f"Feil: filen har {rows}; rad {args.row} finnes ikke", file=sys.stderr)
        return EXIT_FATAL
    result = engine.compute(csv_input.records, args.period)
    warning = rates_warning({line.period: line.rates_status for line in result.lines if line.row == args.row})
    if warning:
        print(warning)
        print()
    rejection = result.rejection(args.row)
    if rejection is not None:
        print(explain_rejection(rejection))
        return EXIT_REJECTED
    lines = [line for line in result.lines if line.row == args.row]
    print("\n\n".join(explain_line(line, engine.rulebook) for line in lines))
    print()
    print(f"Sum for raden: {format_nok(sum(line.amount_nok for line in lines))}")
    return EXIT_OK


def _impact(args: argparse.Namespace) -> int:
    from .impact import frame_from_records, impact

    engine = default_engine()
    engine.ratebook.get(args.base)
    csv_input = _load(args.portfolio)
    frame, rejections = frame_from_records(csv_input.records, engine)
    if rejections:
        print(f"Merk: {len(rejections)} rader i porteføljen er avvist og ikke tatt med, f.eks. {rejections[0].text()}")
    report = impact(frame, args.base, args.new, engine=engine)
    warning = rates_warning({f"{report.base.id} (grunnlag)": report.base.status, f"{report.new.id} (ny)": report.new.status})
    if warning:
        print(warning)
        print()
    print(report.text(args.top))
    return EXIT_OK


def _portfolio(args: argparse.Namespace) -> int:
    from .portfolio import synthetic_portfolio, write_csv

    default_engine().ratebook.get(args.period)
    records = synthetic_portfolio(args.lines, args.seed, args.period)
    write_csv(records, args.output)
    print(f"Skrev {len(records)} syntetiske linjer ({len({r['alis_id'] for r in records})} leger) for perioden "
          f"{args.period} til {args.output}. Fordelingene er antakelser, ikke data (se grants/portfolio.py).")
    return EXIT_OK


def _rates_check(args: argparse.Namespace) -> int:
    from .testing import check_rate_table

    report = check_rate_table(args.table, max_examples=args.examples)
    print(report.text())
    return EXIT_OK if report.ok else EXIT_REJECTED


def _rates(args: argparse.Namespace) -> int:
    if args.rates_command == "check":
        return _rates_check(args)
    engine = default_engine()
    book = engine.ratebook
    if args.rates_command == "list":
        warning = rates_warning({t.id: t.status for t in book.tables})
        if warning:
            print(warning)
            print()
        print(f"{'periode':<9} {'første dag':<11} {'siste dag':<11} {'frist':<11} {'modell':<6} {'måneder':<11} status")
        for t in book.tables:
            p = t.period
            deadline = p.deadline.isoformat() if p.deadline else "ukjent"
            print(f"{t.id:<9} {p.first_day.isoformat():<11} {p.last_day.isoformat():<11} {deadline:<11} {t.model:<6} {t.whole_months:<11} {t.status}")
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
        if t.model == "A":
            print("  Årssatser ved 100 % stilling (klasse 1–5 / klasse 6):")
            for gt, roles in (t.annual_rates or {}).items():
                for role in roles:
                    low = t.rate(f"{gt.value}.{role}", "class_1_5")
                    high = t.rate(f"{gt.value}.{role}", "class_6")
                    print(f"    {gt.value}.{role:<20} {format_nok(low.amount):>12} / {format_nok(high.amount):>12}   kilde: {t.source(low.source).title}")
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
                print(f"    {name:<22} {how}; {cap}")
        print("  Regler i kraft:")
        for r in engine.rulebook.valid_in(t.id):
            print(f"    {r.id} ({r.kind}): {r.text_nb}")
            if r.when is not None:
                print(f"        når {describe_condition(r.when)}")
            print(f"        kilde: {r.citation.text()}")
        print()
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
