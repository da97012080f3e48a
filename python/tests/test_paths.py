"""File names are bytes on POSIX: a policy file whose path is not valid UTF-8 is read,
reported and named like any other (os.fsdecode's surrogateescape), never a
UnicodeDecodeError from the binding."""

import os
import shutil

import pytest

from cmz import _cmz

HERE = os.path.dirname(os.path.abspath(__file__))
POLICY = os.path.join(HERE, "..", "..", "configs", "compression_layers.yaml")


@pytest.fixture
def odd_dir(tmp_path):
    d = os.path.join(os.fsencode(tmp_path), b"caf\xe9")  # Latin-1, not UTF-8
    os.mkdir(d)
    return d


def test_policy_entry_names_a_non_utf8_source(odd_dir):
    path = os.path.join(odd_dir, b"policy.yaml")
    shutil.copy(POLICY, path)
    entry = _cmz.policy_entry("default", config=path)
    assert entry["source"] == os.fsdecode(path)
    assert _cmz.policy_verify(path)["path"] == os.fsdecode(path)


def test_policy_error_names_a_non_utf8_file(odd_dir):
    path = os.path.join(odd_dir, b"bad.yaml")
    with open(path, "w") as f:
        f.write("compression_policy:\n  default:\n    algorithm: nope\n")
    with pytest.raises(_cmz.PolicyError) as e:
        _cmz.policy_verify(path)
    assert e.value.file == os.fsdecode(path)
    assert e.value.line == 2
