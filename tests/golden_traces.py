"""The golden traces: the trace of every line of the shipped examples and golden batches, as
the engine wrote them one line at a time before traces were read from the store in columns
(fixtures/golden/traces/, written by that builder). The provenance (package version and data
hashes) is left out: it changes with every release and data edit, and tests/test_trace.py
pins it.

A deliberate change of what a trace shows (a rule's text, a rate, a new field) is written
down with `python -m tests.golden_traces`, and the diff of fixtures/golden/traces/ reviewed."""
from __future__ import annotations

from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "fixtures" / "examples"
GOLDEN = REPO / "fixtures" / "golden"

CASES: dict[str, dict[str, Any]] = {
    "soknad_2023": {"file": EXAMPLES / "soknad_2023.csv"},
    "soknad_2025-26": {"file": EXAMPLES / "soknad_2025-26.csv", "period": "2025-26"},
    "soknad_2025-26_timer": {"file": EXAMPLES / "soknad_2025-26_timer.csv", "period": "2025-26",
                             "sessions": EXAMPLES / "veiledningsokter_2025-26.csv"},
    **{f"golden_{p}": {"file": GOLDEN / f"{p}.csv", "period": p, "golden": True}
       for p in ("2022", "2023", "2023-24", "2024-25", "2025-26")},
}


def traces_of_case(grants: Any, case: dict[str, Any]) -> list[dict[str, Any]]:
    """The traces of a case through the public API (an example read as the command line reads
    it; a golden file's rows with its period), without their provenance."""
    kwargs: dict[str, Any] = {}
    if case.get("period"):
        kwargs["period"] = case["period"]
    if case.get("sessions"):
        kwargs["sessions"] = str(case["sessions"])
    if case.get("golden"):
        from tests.golden import read_golden

        golden = read_golden(case["file"])
        result = grants.compute(golden.rows, ignore_columns=golden.not_input, **kwargs)
    else:
        result = grants.compute(grants.read_application(case["file"]), **kwargs)
    out = []
    for trace in result.traces():
        trace = dict(trace)
        trace.pop("provenance")
        out.append(trace)
    return out


def write() -> None:
    """Write the golden traces with the engine installed here."""
    import json

    import grants

    for name, case in CASES.items():
        with open(GOLDEN / "traces" / f"{name}.json", "w", encoding="utf-8") as fh:
            json.dump(traces_of_case(grants, case), fh, ensure_ascii=False, indent=1)
            fh.write("\n")


if __name__ == "__main__":
    write()
