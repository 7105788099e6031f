"""`alis-grant`: the finance officer's command line. A thin layer: each subcommand lives in its
own module under grants/commands/ (read, compute, write, tell); this one builds the parser, maps
errors to exit codes and speaks bokmål.

Exit codes: 0 every row computed (ok or ineligible); 1 some rows rejected (the good rows are
still computed and written); 2 nothing could be computed (missing or unreadable file, unknown
period, broken rate or rules file).
"""
from __future__ import annotations

import argparse
import sys

from grants.commands import COMMANDS
from grants.commands._common import EXIT_FATAL, EXIT_OK, EXIT_REJECTED  # noqa: F401 - re-exported
from grants.errors import ColumnChoiceError, GrantsError, UnknownIgnoredColumnError, cli_remedy


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


class _Version(argparse.Action):
    """`--version`: the package and Python version and which evaluator runs the rules here.
    Worked out when asked for, so that building the parser loads no engine."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: object):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="vis versjon, Python og hvilken regelmotor som brukes, og avslutt")

    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[no-untyped-def]
        import platform

        from grants.pipeline.engine import evaluator_in_use
        from grants.pipeline.provenance import package_version

        print(f"alis-grant {package_version()} (Python {platform.python_version()})")
        print(evaluator_in_use())
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="alis-grant",
        description="Beregn tilskudd fra Nasjonal ALIS og veiledning per linje, lege og kommune.",
    )
    p.add_argument("--version", action=_Version)
    sub = p.add_subparsers(dest="command", required=True, metavar="KOMMANDO", title="kommandoer")
    for command in COMMANDS:
        command.register(sub)
    return p


def _fail(text: str) -> int:
    """One readable line on stderr, made terminal-safe (a message may quote the file's bytes),
    and exit 2: exit 1 means only "some rows rejected"."""
    from grants.io.output import terminal_safe

    print(f"Feil: {terminal_safe(text)}", file=sys.stderr)
    return EXIT_FATAL


def _what(args: argparse.Namespace) -> str:
    """The command and its input, for a message about a failure that is no one's fault in particular."""
    source = getattr(args, "input", None)
    return f"«{args.command}»" + (f" av {source}" if source else "")


def main(argv: list[str] | None = None) -> int:
    """Run one command. Every failure that stops a run ends in one line saying what, which file
    and what to do, with exit 2; ALIS_GRANT_DEBUG=1 shows the traceback of an unexpected one."""
    import os

    _bokmal_argparse()
    args = _parser().parse_args(argv)
    try:
        return args.handler(args)
    except ColumnChoiceError as exc:  # the library's words name ignore_columns=; here it is an option
        return _fail(exc.worded(cli_remedy))
    except UnknownIgnoredColumnError as exc:
        return _fail(exc.worded("--ignore-column"))
    except GrantsError as exc:
        return _fail(str(exc))
    except BrokenPipeError:  # pragma: no cover - e.g. piped into head
        return EXIT_OK
    except MemoryError:
        return _fail(f"ikke nok minne til å fullføre {_what(args)}; del filen opp i mindre filer, eller kjør på en "
                     "maskin med mer minne (utfilen er ikke endret)")
    except KeyboardInterrupt:
        print("Avbrutt.", file=sys.stderr)
        return 130
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        return _fail(f"{_what(args)} stoppet: {exc.strerror or exc}{where}; rett dette og kjør på nytt")
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a bug, said in one line
        if os.environ.get("ALIS_GRANT_DEBUG") == "1":
            raise
        return _fail(f"intern feil i alis-grant under {_what(args)} ({type(exc).__name__}: {str(exc)[:200]}); "
                     "kjør på nytt med ALIS_GRANT_DEBUG=1 for detaljer og meld fra om feilen")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
