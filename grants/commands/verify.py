"""`alis-grant verify`: the auditor's check of a result file, months later."""
from __future__ import annotations

import argparse

from grants.commands._common import say


def register(sub: argparse._SubParsersAction) -> None:
    v = sub.add_parser("verify", help="kontroller at et resultat kan gjenskapes fra innfilen med reglene det ble beregnet med")
    v.add_argument("result", metavar="RESULTAT",
                   help="resultatfilen: .csv (med kontrollfilen NAVN.csv.kontroll.json ved siden av), .json, .xlsx eller "
                        "rapporten (.html)")
    v.add_argument("--input", metavar="FIL",
                   help="innfilen resultatet ble beregnet fra (standard: filen kontrolldataene navngir, ved siden av "
                        "resultatet eller i mappen du står i); for linjer gitt som data: en JSON-fil med linjene eller "
                        "forespørselen til tjenesten")
    v.add_argument("--sessions", metavar="FIL", help="øktfilen resultatet ble beregnet med (standard: som for --input)")
    v.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from grants.tools.verify import verify

    verification = verify(args.result, input=args.input, sessions=args.sessions)
    say(verification.text())
    return verification.exit_code
