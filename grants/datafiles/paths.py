"""Where the data lives: the repository's rules/, rates/ and fixtures/centrality/.

In a source checkout (or an editable install) these are the top-level folders; in an installed
wheel they are shipped inside the package as grants/_data/ (see pyproject.toml).
"""
from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # grants/
_REPO_LAYOUT = {
    "rules": _PACKAGE.parent / "rules",
    "rates": _PACKAGE.parent / "rates",
    "centrality": _PACKAGE.parent / "fixtures" / "centrality",
}


def data_dir(name: str) -> Path:
    """The folder holding the named data set ("rules", "rates" or "centrality")."""
    shipped = _PACKAGE / "_data" / name
    if shipped.is_dir():
        return shipped
    return _REPO_LAYOUT[name]
