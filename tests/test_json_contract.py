"""Every command's ``--json`` keys stay as they are: existing users' scripts keep working. A key may be
added (run ``python -m tests.json_contract --update``), never removed or renamed."""

from __future__ import annotations

import json

import pytest

from tests.json_contract import PINNED, commands, run, shape

PINNED_SHAPES: dict[str, list[str]] = json.loads(PINNED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def argvs(tmp_path_factory):
    return commands(tmp_path_factory.mktemp("json"))


def test_every_pinned_document_is_still_produced(argvs):
    assert sorted(argvs) == sorted(PINNED_SHAPES)


@pytest.mark.parametrize("name", sorted(PINNED_SHAPES))
def test_json_keys_are_kept(name, argvs):
    code, doc = run(argvs[name])
    assert code == (2 if name == "error" else code)  # the document is printed whatever the exit code
    missing = sorted(set(PINNED_SHAPES[name]) - shape(doc))
    assert not missing, f"`mfa {' '.join(argvs[name])}` lost --json keys users script against: {missing}"


def test_shape_merges_lists_and_nests():
    assert shape({"a": [{"b": 1}, {"c": {"d": 2}}], "e": []}) == {"a", "a[].b", "a[].c", "a[].c.d", "e"}
