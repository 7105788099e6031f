"""What is shipped now: rules files, rate tables and centrality data that differ from the ones a
result was computed with, the `rates diff` view of them, and the lines that moves, then and now."""
from __future__ import annotations

from typing import Any, Mapping

from grants.errors import GrantsError
from grants.money import format_nok
from grants.pipeline.provenance import centrality_hashes
from grants.tools.verify.verdict import _SHOWN, DATA_CHANGED, NOTE, LineMove, Verification


def _centrality_changes(manifest: Mapping[str, Any], current: Any) -> list[str]:
    then = manifest.get("centrality_sha256") or {}
    now = dict(centrality_hashes(current.centrality.folder))
    return [f"{name} {'finnes ikke lenger' if name not in now else 'er endret'}" for name in then if then[name] != now.get(name)] + \
        [f"{name} er ny" for name in now if name not in then]


def _shipped_changes(v: Verification, manifest: Mapping[str, Any], embedded: Any, current: Any, fresh: Any,
                     lines: Any, sessions: Any, centrality_changed: list[str]) -> None:
    """Rules files and rate tables shipped now that differ from the embedded ones: which, what
    changed (the `rates diff` view) and which lines that moves, then and now."""
    from grants.service.public import compute
    from grants.tools.ratesdiff import RatesDiff, Side, compare

    then_rules = {name: e.get("sha256") for name, e in (manifest["embedded"].get("rules") or {}).items()}
    now_rules = dict(current.provenance.rules)
    rules_changed = [f"regelfilen {n} {'finnes ikke lenger' if n not in now_rules else 'er endret'}"
                     for n in then_rules if then_rules[n] != now_rules.get(n)]
    rules_changed += [f"regelfilen {n} er ny" for n in now_rules if n not in then_rules]
    used = list((manifest.get("rates_sha256") or {}).keys())
    then_rates = {p: e.get("sha256") for p, e in (manifest["embedded"].get("rates") or {}).items()}
    now_rates = {t.period: t.sha256 for t in current.provenance.rates}
    used_changed = [p for p in used if then_rates.get(p) != now_rates.get(p)]
    others = [p for p in sorted(set(then_rates) | set(now_rates)) if p not in used and then_rates.get(p) != now_rates.get(p)]
    if not rules_changed and not used_changed and not others and not centrality_changed:
        return
    parts: list[str] = []
    if used_changed:
        parts += [f"satstabellen {p} {'finnes ikke lenger' if p not in now_rates else 'er endret'}" for p in used_changed]
    parts += rules_changed
    if centrality_changed:
        parts.append("sentralitetsfilene: " + ", ".join(centrality_changed))
    views: list[str] = []
    for p in used:
        if (p in used_changed or rules_changed) and p in now_rates:
            a = Side(embedded.ratebook.get(p), f"lagret i resultatet ({p})", embedded)
            b = Side(current.ratebook.get(p), f"levert nå ({p})", current)
            views.append(RatesDiff(a, b, compare(a, b)).text())
    if fresh is not None:
        try:
            now = compute(lines, (manifest.get("options") or {}).get("period"), engine=current,
                          ignore_columns=(manifest.get("options") or {}).get("ignore_columns") or (), sessions=sessions)
        except GrantsError as exc:
            now = None
            views.append(f"Med dataene som leveres nå kan søknaden ikke beregnes: {exc}")
        if now is not None:
            v.moves = _moves(fresh, now)
    if not parts and not v.moves:
        v._add(NOTE, "satstabeller som resultatet ikke bruker er endret eller nye siden ("
                    + ", ".join(others) + "); ingen linje i resultatet endres av det.")
        return
    text = ("dataene som leveres med programmet nå er ikke de som er lagret i resultatet: " + "; ".join(parts or
            [f"satstabellene {', '.join(others)}"]) + ". Resultatet kontrolleres med de lagrede; med dagens ville det bli:")
    if fresh is None:
        text += " (ikke beregnet: innfilen er ikke den samme)"
    elif v.moves:
        text += "\n" + _moves_text(v.moves, fresh, now)
    else:
        text += " ingen linje endres."
    for view in views:
        text += "\n\n" + "\n".join("  " + line if line else "" for line in view.splitlines())
    v._add(DATA_CHANGED, text)


def _amounts(result: Any) -> dict[tuple[int, str | None], tuple[str, str]]:
    """(row, period) -> (doctor, the line's amount or rejection), for then/now."""
    out: dict[tuple[int, str | None], tuple[str, str]] = {}
    for line in result.lines:
        out[(line.row, line.period)] = (line.alis_id, format_nok(line.amount_nok))
    for rej in result.rejections:
        out[(rej.row, None)] = (rej.alis_id or "", f"avvist ({rej.message})")
    return out


def _moves(then: Any, now: Any) -> list[LineMove]:
    a, b = _amounts(then), _amounts(now)
    moves = []
    for key in sorted(set(a) | set(b), key=lambda k: (k[0], k[1] or "")):
        old, new = a.get(key), b.get(key)
        if (old and old[1]) != (new and new[1]):
            moves.append(LineMove(key[0], (old or new)[0], key[1], old[1] if old else "ingen linje",
                                  new[1] if new else "ingen linje"))
    return moves


def _moves_text(moves: list[LineMove], then: Any, now: Any) -> str:
    lines = [f"  rad {m.row} ({m.alis_id}{', ' + m.period if m.period else ''}): da {m.then}, nå {m.now}"
             for m in moves[:_SHOWN]]
    if len(moves) > _SHOWN:
        lines.append(f"  ... og {len(moves) - _SHOWN} linjer til")
    lines.append(f"  totalt: da {format_nok(then.total_nok)}, nå {format_nok(now.total_nok)}")
    return "\n".join(lines)
