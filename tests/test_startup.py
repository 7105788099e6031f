"""Start-up cost of the command line (issue 11): the fast paths must give the same answers as
the slow ones they replace, and `compute` must not import what it does not use."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from grants.datafiles import yaml_loader
from grants.datafiles.paths import data_dir
from grants.datafiles.yaml_loader import load_yaml


def _shipped_yaml():
    return sorted(p for kind in ("rates", "rules", "centrality") for p in data_dir(kind).glob("*.yaml"))


def test_libyaml_is_used_when_pyyaml_has_it():
    assert (yaml_loader._FastLoader is not None) == bool(getattr(yaml, "__with_libyaml__", False))


@pytest.mark.parametrize("path", _shipped_yaml(), ids=lambda p: p.name)
def test_the_c_parser_reads_every_shipped_file_as_the_python_one_does(path):
    text = path.read_text(encoding="utf-8")
    fast, slow = load_yaml(text), load_yaml(text, fast=False)
    assert fast == slow
    assert repr(fast) == repr(slow)  # the same types too (int, str, date, float), in the same order


@pytest.mark.parametrize("text", [
    "a: 1\nb: 2.50\nc: 2023-01-01\nd: '0301'\ne: 0301\nf: yes\ng: ~\nh: [1, {x: y}]\ni: 1_000\nj: .inf\nk: 0o17\n",
    "- !!str 12\n- !!float 3\n- 12:30\n- 1e3\n- 2023-01-01T10:00:00\n- |\n  two\n  lines\n",
])
def test_both_parsers_agree_on_scalars_of_every_kind(text):
    assert repr(load_yaml(text)) == repr(load_yaml(text, fast=False))


@pytest.mark.parametrize("text", ["a: 1\nb: 2\na: 3\n", "x:\n  k: 1\n  k: 2\n"])
def test_a_repeated_key_is_refused_naming_it_and_its_lines(text):
    with pytest.raises(yaml.YAMLError) as fast:
        load_yaml(text)
    with pytest.raises(yaml.YAMLError) as slow:
        load_yaml(text, fast=False)
    assert "appears twice" in str(fast.value)
    assert str(fast.value) == str(slow.value)


def test_a_broken_file_gets_the_python_parsers_message():
    text = "a: [1, 2\nb: 3\n"
    with pytest.raises(yaml.YAMLError) as fast:
        load_yaml(text)
    with pytest.raises(yaml.YAMLError) as slow:
        load_yaml(text, fast=False)
    assert str(fast.value) == str(slow.value)  # libyaml words it differently, without the excerpt
