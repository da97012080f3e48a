"""reg.snapshots with the application's names: the issue's calls as written, take/rollback of
every kind (in place, keeping identity), rebuilding after a release, expiry through the
clock hook, a failing snapshot(), the configuration."""

import numpy as np
import pytest

import cmz
from test_registry import Plain, Scene, equal, kinds, registry


def test_the_applications_calls_as_written():
    from cmz import get_release_snapshot  # the only change: the import

    cmz.get_registry().add("model_shards:layer1", np.arange(4096, dtype=np.float32))
    snapshot_manager = get_release_snapshot()
    snapshot_manager.take_snapshot("model_shards:layer1")
    snapshot_manager.has_snapshot("model_shards:layer1")
    snapshot_manager.rollback("model_shards:layer1")
    snapshot_manager.list_snapshots(); snapshot_manager.get_snapshot_info("model_shards:layer1")
    snapshot_manager.update_config({"max_snapshots": 30, "snapshot_ttl": 900,
                                    "snapshot_priority_threshold": 2})
    # and what they did
    assert snapshot_manager is cmz.get_release_snapshot()
    assert snapshot_manager.has_snapshot("model_shards:layer1")
    info = snapshot_manager.get_snapshot_info("model_shards:layer1")
    assert info["res_id"] == "model_shards:layer1" and info["priority"] == 1
    assert [s["res_id"] for s in snapshot_manager.list_snapshots()] == ["model_shards:layer1"]
    c = snapshot_manager.config
    assert (c["max_snapshots"], c["snapshot_ttl"], c["snapshot_priority_threshold"]) == (30, 900, 2)
    assert snapshot_manager.get_snapshot_info("model_shards:nothing") is None
    assert snapshot_manager.take_snapshot("model_shards:nothing") is False
    assert snapshot_manager.rollback("model_shards:nothing") is False
    cmz.get_registry().remove("model_shards:layer1")
    snapshot_manager.clear()


def mutate(obj, step):
    if isinstance(obj, np.ndarray):
        obj[...] = step
    elif isinstance(obj, dict):
        obj["k"] = step
    elif isinstance(obj, set):
        obj.add(100 + step)
    elif isinstance(obj, (list, Scene)):
        (obj.frames if isinstance(obj, Scene) else obj).append(str(step))
    elif isinstance(obj, bytearray):
        obj[:1] = bytes([step])
    else:
        obj.a = step


@pytest.mark.parametrize("kind", ["c_array", "f_array", "bytearray", "dict", "list", "set",
                                  "plain", "scene"])
def test_rollback_restores_in_place_keeping_identity(kind):
    import copy

    obj = Scene(["a"]) if kind == "scene" else kinds()[kind]
    with registry() as reg:
        reg.add("model_shards:x", obj)
        mutate(obj, 1)  # changed after add: the snapshot takes its state then
        state = copy.deepcopy(obj)
        assert reg.snapshots.take_snapshot("model_shards:x", "before the edit")
        assert reg.snapshots.get_snapshot_info("model_shards:x")["metadata"] == "before the edit"
        mutate(obj, 2)
        assert reg.snapshots.rollback("model_shards:x") is True
        if kind == "scene":  # through its restore(): the same object
            assert obj.frames == state.frames and obj.restores == 1
            assert reg.get("model_shards:x").frames == state.frames
        else:
            assert equal(state, obj)
            assert equal(state, reg.get("model_shards:x"))


@pytest.mark.parametrize("kind", list(kinds()))
def test_release_then_rollback_registers_again(kind):
    obj = kinds()[kind]
    with registry() as reg:
        reg.add("model_shards:r", obj)
        reg.release("model_shards:r")  # the registry snapshots it first (priority 1)
        assert "model_shards:r" not in reg and len(reg) == 0
        assert reg.snapshots.has_snapshot("model_shards:r")
        assert reg.snapshots.get_snapshot_info("model_shards:r")["automatic"]
        assert reg.snapshots.rollback("model_shards:r")
        assert "model_shards:r" in reg and len(reg) == 1
        assert equal(obj, reg.get("model_shards:r"))
        assert reg.snapshots.rollback("model_shards:r")  # a snapshot stays


def test_custom_object_rebuilt_after_release():
    with registry() as reg:
        reg.add("render_cache:s", Scene(["a", "b"]))
        reg.snapshots.update_config({"on_release": True})
        reg.release("render_cache:s")  # compress_before_release: kept compressed
        assert "render_cache:s" in reg
        reg.add("temp_buffers:s", Scene(["c"]))
        reg.release("temp_buffers:s")
        assert "temp_buffers:s" not in reg
        assert reg.snapshots.rollback("temp_buffers:s")
        got = reg.get("temp_buffers:s")
        assert isinstance(got, Scene) and got.frames == ["c"]


def test_failing_snapshot_leaves_the_resource_as_it_was():
    class Broken(Scene):
        fail = False

        def snapshot(self):
            if self.fail:
                raise RuntimeError("cannot snapshot now")
            return super().snapshot()

    with registry() as reg:
        b = Broken(["kept"])
        reg.add("model_shards:b", b)
        b.fail = True
        b.frames.append("unsaved")
        with pytest.raises(RuntimeError, match="cannot snapshot"):
            reg.snapshots.take_snapshot("model_shards:b")
        assert not reg.snapshots.has_snapshot("model_shards:b")
        b.fail = False
        assert reg.get("model_shards:b").frames == ["kept"]
        assert reg.info("model_shards:b")["kind"] == "custom"


def test_expiry_through_the_clock_hook():
    with registry() as reg:
        snaps = reg.snapshots
        snaps.set_clock(1000.0)
        reg.add("model_shards:e", b"e" * 5000)
        assert snaps.take_snapshot("model_shards:e")
        snaps.set_clock(1000.0 + 599)
        assert snaps.has_snapshot("model_shards:e")
        assert snaps.get_snapshot_info("model_shards:e")["expires_in"] == pytest.approx(1, abs=0.01)
        snaps.set_clock(1000.0 + 601)
        assert not snaps.has_snapshot("model_shards:e")
        assert snaps.rollback("model_shards:e") is False
        assert snaps.stats()["expired"] == 1
        snaps.update_config({"snapshot_ttl": 10})
        assert snaps.take_snapshot("model_shards:e")
        snaps.set_clock(1000.0 + 700)
        assert snaps.cleanup() == 1 and len(snaps) == 0
        snaps.set_clock(None)


def test_priority_threshold_and_config():
    with registry() as reg:
        snaps = reg.snapshots
        reg.add("subtitle_index:s", b"s" * 100)  # priority 6: not eligible by default (3)
        reg.add("render_cache:r", b"r" * 100)
        assert snaps.take_snapshot("subtitle_index:s") is False
        assert snaps.take_snapshot("render_cache:r") is True
        snaps.update_config({"snapshot_priority_threshold": 6})
        assert snaps.take_snapshot("subtitle_index:s") is True
        before = snaps.config
        with pytest.raises(ValueError):
            snaps.update_config({"snapshot_ttl": 0, "max_snapshots": 5})
        with pytest.raises(KeyError):
            snaps.update_config({"max_snapshot": 5})
        assert snaps.config == before  # nothing changed
        snaps.update_config({"max_snapshots": 1})
        assert [s["res_id"] for s in snaps.list_snapshots()] == ["subtitle_index:s"]
        assert snaps.delete("subtitle_index:s") and not snaps.delete("subtitle_index:s")
        snaps.update_config({"max_snapshots": 0})
        assert snaps.take_snapshot("render_cache:r") is False
        snaps.update_config({"max_snapshots": 20, "codec": "lz4", "max_bytes": None})
        assert snaps.take_snapshot("render_cache:r", {"why": "edit"})
        assert snaps.get_snapshot_info("render_cache:r")["metadata"] == '{"why": "edit"}'
        snaps.clear()
        assert snaps.list_snapshots() == []


def test_rollback_while_pinned_is_busy():
    with registry() as reg:
        a = np.ones(100)
        reg.add("model_shards:p", a)
        assert reg.snapshots.take_snapshot("model_shards:p")
        with reg.pin("model_shards:p"):
            with pytest.raises(cmz.BusyError):
                reg.snapshots.rollback("model_shards:p")
        assert reg.snapshots.rollback("model_shards:p")


def test_plain_object_rolled_back_in_place():
    with registry() as reg:
        p = Plain(1, np.arange(3))
        reg.add("model_shards:p", p)
        assert reg.snapshots.take_snapshot("model_shards:p")
        p.a = 5
        assert reg.snapshots.rollback("model_shards:p")
        assert p.a == 1


def test_the_demo_runs():
    import os
    import subprocess
    import sys

    demo = os.path.join(os.path.dirname(__file__), "..", "..", "examples",
                        "snapshot_recovery_demo.py")
    r = subprocess.run([sys.executable, demo], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "every rollback gave the original back" in r.stdout
    assert "take_snapshot('audio_cache:track1'      ) -> False" in r.stdout
