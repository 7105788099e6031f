"""The subcommands of `alis-grant`, one module each. Each module has `register(sub)`, which adds
its parser and sets `handler`; `COMMANDS` is the order they appear in the help text."""
from __future__ import annotations

from grants.commands import compute, explain, impact, portfolio, rates, report, schema, serve, template, verify

COMMANDS = (compute, explain, report, verify, rates, template, impact, portfolio, schema, serve)
"""Add a new command module here (one line), in the order `alis-grant --help` lists it."""
