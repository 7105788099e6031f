"""An old (2020-2023) and a new (2024) municipality code name one municipality when SSB's name
and index agree (grants.rates.centrality.Municipality.identity): the files must make that a
one-to-one correspondence, apart from the municipalities 2024 created."""
from __future__ import annotations

import collections

from grants.rates.centrality import CentralityRegistry


def test_every_old_code_names_exactly_one_new_municipality():
    registry = CentralityRegistry()
    new = registry.municipalities("ssb-2024", "2024")
    old = registry.municipalities("ssb-2024", "2020")
    assert all(m.index is not None for m in new + old)
    by_identity = collections.Counter(m.identity for m in new)
    assert max(by_identity.values()) == 1  # two Herøy, two Våler ...: the index tells them apart
    unmatched_old = [m for m in old if m.identity not in by_identity]
    assert unmatched_old == []
    old_identities = {m.identity for m in old}
    created = sorted(m.name for m in new if m.identity not in old_identities)
    assert created == ["Haram"]  # split from Ålesund in 2024: its old code is Ålesund's
    for m in old:
        (match,) = [n for n in new if n.identity == m.identity]
        assert match.centrality_class == m.centrality_class


def test_the_new_codes_file_with_the_index_gives_the_same_classes_as_the_one_without(tmp_path):
    import csv
    from grants.datafiles.paths import data_dir

    folder = data_dir("centrality")
    with (folder / "sentralitet_2024.csv").open(encoding="utf-8", newline="") as fh:
        plain = {r["kommunenummer"]: r["sentralitetsklasse"] for r in csv.DictReader(fh)}
    with (folder / "sentralitet_2024_med_indeks.csv").open(encoding="utf-8", newline="") as fh:
        indexed = {r["kommunenummer"]: r["sentralitetsklasse"] for r in csv.DictReader(fh)}
    assert plain == indexed
