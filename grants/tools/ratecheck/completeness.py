"""Check `completeness`: every rate or element the rules need is in the table, everything in the
table is used, and every grant type x role x class is priced from it."""
from __future__ import annotations

from typing import Any

from grants.domain import CentralityGroup
from grants.tools.ratecheck.context import GRANT_TYPES, ROLES, Context, expected_rate_path, group_of
from grants.tools.ratecheck.lines import line_dict
from grants.tools.ratecheck.report import PropertyResult


def check_completeness(ctx: Context) -> PropertyResult:
    t = ctx.table
    problems: list[str] = []
    if t.model == "A":
        paths = ctx.rate_paths
        for path in paths:
            for group in CentralityGroup:
                try:
                    t.rate(path, group.value)
                except KeyError as exc:
                    problems.append(f"{t.file}: {exc.args[0]}: mangler, men reglene velger satsen i perioden {t.id}")
        for gt, roles in (t.annual_rates or {}).items():
            for role in roles:
                if f"{gt}.{role}" not in paths:
                    problems.append(
                        f"{t.file}: annual_rates.{gt}.{role}: ingen regel velger denne satsen i perioden "
                        f"{t.id}, så den blir aldri brukt (reglene velger {', '.join(paths)})"
                    )
        checked = f"{len(paths)} satsstier × {len(CentralityGroup)} grupper"
    else:
        element_rules = [r for r in ctx.rules if r.kind == "element" and r.element]
        named = {r.element for r in element_rules}
        params = t.parameters or {}
        elements = t.elements or {}
        for r in element_rules:
            spec = elements.get(r.element or "")
            if spec is None:
                problems.append(f"{t.file}: elements.{r.element}: mangler, men regelen {r.id} bruker elementet")
                continue
            for ref in (spec.annual_maximum or []) + [x for x in (spec.share, spec.window_months) if x]:
                if ref not in params:
                    problems.append(f"{t.file}: elements.{r.element}: parameteren {ref!r} mangler under parameters")
            for ref in spec.share_of or []:
                if ref not in elements:
                    problems.append(f"{t.file}: elements.{r.element}.share_of: elementet {ref!r} mangler")
        for name in elements:
            if name not in named:
                problems.append(
                    f"{t.file}: elements.{name}: ingen regel gir dette elementet i perioden {t.id}, så det blir aldri brukt"
                )
        checked = f"{len(named)} elementer med parametere"
    # every grant type x role x class, priced from the table
    probes = []
    for gt in GRANT_TYPES:
        for role in ROLES:
            for cls in range(1, 7):
                probes.append(line_dict(f"P{len(probes) + 1}", "0301", gt, role, "100",
                                    t.period.first_day, t.period.last_day, cls))
    result = ctx.compute(probes)
    for rej in result.rejections:
        problems.append(f"{_probe_label(probes[rej.row - 1])}: linjen ble avvist: {rej.message}")
    paths = set(ctx.rate_paths)
    for r in result.lines:
        if t.model != "A" or r.status.value != "ok":
            continue
        probe = probes[r.row - 1]
        expected_group = group_of(probe["centrality_class"])
        # the path from the probe's own grant type and role, not the one the engine chose
        expected_path = expected_rate_path(t, probe["grant_type"], probe["role"])
        if r.rate_path not in paths or r.centrality_group != expected_group or r.rate_path != expected_path:
            problems.append(f"{_probe_label(probe)}: fikk satsen annual_rates.{r.rate_path}.{r.centrality_group}, "
                            f"ventet annual_rates.{expected_path}.{expected_group}")
        elif r.annual_rate != t.rate(expected_path, expected_group).amount:
            problems.append(f"{_probe_label(probe)}: årssatsen {r.annual_rate} er ikke tabellens "
                            f"annual_rates.{expected_path}.{expected_group}")
    if problems:
        return PropertyResult("completeness", False, "; ".join(problems[:8]) + (
            f" (og {len(problems) - 8} til)" if len(problems) > 8 else ""))
    return PropertyResult("completeness", True,
                          f"{checked}; {len(probes)} kombinasjoner av tilskuddstype, rolle og sentralitetsklasse beregnet")


def _probe_label(probe: dict[str, Any]) -> str:
    return f"{probe['grant_type']}, {probe['role']}, sentralitetsklasse {probe['centrality_class']}"
