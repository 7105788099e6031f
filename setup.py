"""Package discovery, the one thing pyproject.toml cannot say: every package under grants/ is
found automatically (a new subpackage needs no entry here), and the data folders rules/, rates/
and fixtures/centrality/ ship as grants._data.* (the mapping is in pyproject.toml)."""
from setuptools import find_packages, setup

DATA_PACKAGES = ["grants._data.rules", "grants._data.rates", "grants._data.centrality"]

setup(packages=find_packages(include=["grants", "grants.*"]) + DATA_PACKAGES)
