"""SSB centrality classes by municipality number, for each classification a rate table names.

Both the 2020-2023 and the 2024 municipality codes resolve; the period's preferred code set is
tried first and the trace records which set and which file answered.
"""
from __future__ import annotations

import csv
import threading
from dataclasses import dataclass
from pathlib import Path


from grants.errors import RateTableError
from grants.datafiles.paths import data_dir
from grants.datafiles.yaml_loader import load_yaml


@dataclass(frozen=True, slots=True)
class Municipality:
    number: str
    name: str
    centrality_class: int
    code_set: str
    classification: str
    index: int | None = None  # SSB's centrality index (0-1000), where the file gives it

    @property
    def identity(self) -> tuple[str, ...]:
        """One municipality whatever its code set: Tjeldsund is 5412 on 2020-2023 codes and 5512
        on 2024 codes. SSB gives an old code the index of the municipality it became part of,
        so the name (spaces folded: «Deatnu - Tana» is «Deatnu-Tana») with the index names one
        municipality in both sets (tests/test_centrality_identity.py holds this to the files);
        without an index, the code is all there is."""
        if self.index is None:
            return (self.classification, self.code_set, self.number)
        return (self.classification, "".join(self.name.casefold().split()), str(self.index))


class CentralityRegistry:
    """Classification files: classification id -> code set -> number -> Municipality.

    The index (classifications.yaml) is read at once; a classification's files are read when it
    is first looked up, so a run reads only the classifications its periods name."""

    def __init__(self, folder: Path | None = None):
        self.folder = folder or data_dir("centrality")
        spec = load_yaml((self.folder / "classifications.yaml").read_text(encoding="utf-8"))
        self.titles: dict[str, str] = {}
        self._files: dict[str, dict[str, str]] = {}
        self._loaded: dict[str, dict[str, dict[str, Municipality]]] = {}
        self._lock = threading.Lock()
        for cid, entry in spec["classifications"].items():
            self.titles[cid] = entry["title"]
            self._files[cid] = dict(entry["codes"])

    def _codes(self, classification: str) -> dict[str, dict[str, Municipality]]:
        """One classification's code sets, read on first use (a KeyError for an unknown one)."""
        hit = self._loaded.get(classification)
        if hit is None:
            files = self._files[classification]
            with self._lock:
                hit = self._loaded.get(classification)
                if hit is None:
                    hit = {code_set: self._read(classification, code_set, self.folder / filename)
                           for code_set, filename in files.items()}
                    self._loaded[classification] = hit
        return hit

    @staticmethod
    def _read(cid: str, code_set: str, path: Path) -> dict[str, Municipality]:
        out = {}
        with path.open(encoding="utf-8", newline="") as fh:
            for rec in csv.DictReader(fh):
                number = rec["kommunenummer"].strip().zfill(4)
                cls = int(rec["sentralitetsklasse"])
                if not 1 <= cls <= 6:
                    raise RateTableError(f"{path}: kommunenummer {number}: class {cls} outside 1-6")
                index = (rec.get("sentralitetsindeks") or "").strip()
                out[number] = Municipality(number, rec["kommunenavn"].strip(), cls, code_set, cid,
                                           int(index) if index else None)
        return out

    def has(self, classification: str) -> bool:
        return classification in self._files

    def lookup(self, number: str, classification: str, preferred_codes: str) -> Municipality | None:
        """The municipality, trying the preferred code set first; None when unknown."""
        sets = self._codes(classification)
        hit = sets.get(preferred_codes, {}).get(number)
        if hit is not None:
            return hit
        for code_set, table in sets.items():
            if code_set != preferred_codes and number in table:
                return table[number]
        return None

    def code_sets(self, classification: str) -> list[str]:
        return list(self._files[classification])

    def municipalities(self, classification: str, code_set: str) -> list[Municipality]:
        return list(self._codes(classification)[code_set].values())
