"""`alis-grant serve`: the HTTP service and the upload page (grants.service.app) on uvicorn."""
from __future__ import annotations

import argparse
import os
import sys

from grants.commands._common import EXIT_FATAL, EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("serve", help="start HTTP-tjenesten og opplastingssiden")
    s.add_argument("--host", default="127.0.0.1",
                   help="adresse å lytte på (standard 127.0.0.1; en annen adresse krever ALIS_GRANT_TOKEN)")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--workers", type=int, default=1, help="antall prosesser (standard 1)")
    s.add_argument("--max-bytes", type=int, default=None, help="største forespørsel i byte (standard 5 000 000)")
    s.add_argument("--rates-dir", default=None, help="mappe med egne satstabeller (standard: de som følger med)")
    s.add_argument("--rules-dir", default=None, help="mappe med egne regelfiler (standard: de som følger med)")
    s.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from grants.service.app import ServiceConfig, create_app, is_loopback

    env = {}
    if not is_loopback(args.host):
        if not os.environ.get("ALIS_GRANT_TOKEN"):
            print(f"Feil: tjenesten skal lytte på {args.host}, utenfor maskinen; sett en tilgangsnøkkel i "
                  "miljøvariabelen ALIS_GRANT_TOKEN først (og sett en TLS-proxy foran, se README)", file=sys.stderr)
            return EXIT_FATAL
        env["ALIS_GRANT_REQUIRE_TOKEN"] = "1"
    if args.max_bytes is not None:
        env["ALIS_GRANT_MAX_BYTES"] = str(args.max_bytes)
    if args.rates_dir:
        env["ALIS_GRANT_RATES_DIR"] = os.path.abspath(args.rates_dir)
    if args.rules_dir:
        env["ALIS_GRANT_RULES_DIR"] = os.path.abspath(args.rules_dir)
    os.environ.update(env)  # worker processes read their configuration from the environment
    create_app(ServiceConfig.from_env())  # load and check rates and rules before listening

    import uvicorn

    print(f"alis-grant: tjenesten lytter på http://{args.host}:{args.port}/ (siden), /docs (API)", file=sys.stderr)
    from grants.service.server import logging_config

    # The service logs its own access lines (path only, never the query string); the protocol
    # closes a connection whose request headers do not arrive in time (grants/service/server.py).
    uvicorn.run("grants.service.app:app_from_env", factory=True, host=args.host, port=args.port,
                workers=args.workers, log_level="info", access_log=False, log_config=logging_config(),
                http="grants.service.server:HeaderDeadlineProtocol")
    return EXIT_OK
