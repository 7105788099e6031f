"""`alis-grant schema`: the JSON Schemas of the input line, the requests and the results."""
from __future__ import annotations

import argparse
import json

from grants.commands._common import EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("schema", help="skriv JSON Schema for inndatalinjen og resultatet")
    s.add_argument("-o", "--output", metavar="MAPPE",
                   help="skriv én fil per skjema (<navn>.schema.json) og public_api.json hit; uten: alt på skjermen")
    s.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from grants import contract as api_contract

    if args.output:
        files = api_contract.snapshot_files()
        for path in api_contract.write(args.output, files):
            print(f"Skrev {path}")
        print(f"Kontraktens fingeravtrykk: {api_contract.fingerprint(files)}")
    else:
        print(json.dumps(api_contract.schemas(), ensure_ascii=False, indent=1))
    return EXIT_OK
