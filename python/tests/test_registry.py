"""cmz.Registry over Python objects: every kind through add/get/compress/release, pins,
callbacks from the monitor thread, pressure with a small budget, no reference leaks."""

import gc
import sys
import threading
import time
import weakref

import numpy as np
import pytest

import cmz
from conftest import mixed_data


def registry(**kw):
    """Exact usage (the bytes held) and no monitor thread unless asked for."""
    kw.setdefault("usage", "registry")
    kw.setdefault("check_interval_ms", 0)
    return cmz.Registry(kw.pop("budget", 1 << 30), **kw)


class Scene:
    """A custom object: backed up and restored through snapshot()/restore()."""

    def __init__(self, frames=None):
        self.frames = frames if frames is not None else []
        self.restores = 0

    def snapshot(self):
        return {"frames": list(self.frames)}

    def restore(self, state):
        self.frames = list(state["frames"])
        self.restores = getattr(self, "restores", 0) + 1  # rebuilt objects skip __init__


class Plain:
    def __init__(self, a, w):
        self.a, self.w = a, w

    def __eq__(self, other):
        return self.a == other.a and np.array_equal(self.w, other.w)


def kinds():
    rng = np.random.default_rng(5)
    return {
        "c_array": rng.standard_normal((64, 300)).astype(np.float32),
        "f_array": np.asfortranarray(rng.integers(0, 9, (40, 70), dtype=np.int16)),
        "strided": np.arange(10_000, dtype=np.float64)[::3],
        "empty": np.empty((0, 3), dtype=np.int32),
        "zero_d": np.array(3.5),
        "bytes": mixed_data(50_000),
        "bytearray": bytearray(mixed_data(20_000, seed=2)),
        "memoryview": memoryview(np.arange(600, dtype=np.float32).reshape(20, 30)),
        "dict": {"name": "layer1", "w": rng.standard_normal(1000), "ids": [1, 2, 3]},
        "list": [1, "two", np.ones(100, dtype=np.uint8)],
        "set": {1, 2, 3},
        "plain": Plain(3, np.arange(50)),
    }


def equal(a, b):
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    if isinstance(a, memoryview):
        return a.format == b.format and a.shape == b.shape and a.tolist() == b.tolist()
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("kind", list(kinds()))
@pytest.mark.parametrize("compressed", [False, True])
def test_every_kind_round_trips(kind, compressed):
    obj = kinds()[kind]
    with registry() as reg:
        reg.add("temp_buffers:" + kind, obj)
        if compressed:
            reg.compress("temp_buffers:" + kind)
            assert reg.info("temp_buffers:" + kind)["state"] == "compressed"
        got = reg.get("temp_buffers:" + kind)
        assert got is not obj
        assert equal(obj, got)
        if isinstance(obj, np.ndarray):
            assert got.flags.writeable
            assert got.flags.c_contiguous == (kind != "f_array")


def test_custom_object_through_its_methods():
    with registry() as reg:
        s = Scene(["a", "b"])
        reg.add("render_cache:scene", s)
        got = reg.get("render_cache:scene")
        assert isinstance(got, Scene) and got.frames == ["a", "b"] and got.restores == 1


def test_array_out_and_compressed_get_decodes_in_place():
    a = np.linspace(0, 1, 1 << 18, dtype=np.float32).reshape(512, 512)
    with registry() as reg:
        reg.add("model_shards:w", a)
        reg.compress("model_shards:w")
        out = np.empty_like(a)
        assert reg.get("model_shards:w", out=out) is out
        assert np.array_equal(out, a)
        with pytest.raises(ValueError):
            reg.get("model_shards:w", out=np.empty(10, np.float32))


def test_unserializable_object_is_refused_at_add():
    with registry() as reg:
        with pytest.raises(TypeError, match="cannot serialize"):
            reg.add("temp_buffers:lock", {"lock": threading.Lock()})
        with pytest.raises(TypeError):
            reg.add("temp_buffers:fn", lambda: 1)
        assert "temp_buffers:lock" not in reg and len(reg) == 0


def test_container_protocol_and_errors():
    with registry() as reg:
        reg.add("temp_buffers:a", b"a" * 10)
        reg.add("render_cache:b", b"b" * 10)
        assert "temp_buffers:a" in reg and "temp_buffers:zz" not in reg
        assert len(reg) == 2 and sorted(reg) == ["render_cache:b", "temp_buffers:a"]
        with pytest.raises(cmz.ExistsError):
            reg.add("temp_buffers:a", b"x")
        with pytest.raises(cmz.NotFoundError):
            reg.get("temp_buffers:zz")
        with pytest.raises(ValueError):
            reg.add("no type", b"x")
        reg.replace("temp_buffers:a", {"now": "a dict"})
        assert reg.get("temp_buffers:a") == {"now": "a dict"}
        reg.remove("temp_buffers:a")
        assert "temp_buffers:a" not in reg and len(reg) == 1
        assert reg.usage > 0 and reg.budget == 1 << 30
        assert "render_cache" in reg.report()
        assert reg.stats()["types"]["render_cache"]["resources"] == 1
    assert reg.closed
    with pytest.raises(ValueError, match="closed"):
        reg.get("render_cache:b")


def test_pin_is_read_only_and_busy():
    data = mixed_data(100_000)
    with registry() as reg:
        reg.add("temp_buffers:t", data)
        reg.compress("temp_buffers:t")
        with reg.pin("temp_buffers:t") as view:
            assert view.readonly and bytes(view) == data
            with pytest.raises(TypeError):
                view[0] = 0
            with pytest.raises(cmz.BusyError):
                reg.replace("temp_buffers:t", b"x")
            with pytest.raises(cmz.BusyError):
                reg.remove("temp_buffers:t")
            assert reg.info("temp_buffers:t")["pins"] == 1
        assert reg.info("temp_buffers:t")["pins"] == 0
        reg.remove("temp_buffers:t")


def test_close_with_live_pins_keeps_the_memory():
    data = mixed_data(200_000)
    reg = registry()
    reg.add("temp_buffers:t", data)
    pinned = reg.pin("temp_buffers:t")
    view = pinned.__enter__()
    reg.close()  # the registry is freed once the pin ends
    assert bytes(view) == data
    with pytest.raises(ValueError, match="closed"):
        reg.get("temp_buffers:t")
    pinned.__exit__(None, None, None)
    assert reg.closed


RULES = """releasable_resources:
  temp_buffers:
    priority: 3
    max_retain_time: 1
"""


def test_callbacks_run_on_the_monitor_thread(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    seen = []
    done = threading.Event()

    def on_release(res_id, res_type, raw_size):
        seen.append((res_id, res_type, raw_size, threading.current_thread() is threading.main_thread()))
        done.set()

    with registry(rules=str(rules), check_interval_ms=20, on_release=on_release) as reg:
        reg.add("temp_buffers:idle", b"z" * 1000)
        assert done.wait(10)  # released by the monitor once idle for a second
        assert seen[0][:3] == ("temp_buffers:idle", "temp_buffers", 1000 + seen[0][2] - 1000)
        assert seen[0][3] is False
        for _ in range(100):  # the record goes with the release
            if len(reg) == 0:
                break
            time.sleep(0.01)
        assert "temp_buffers:idle" not in reg and len(reg) == 0


def test_callback_exception_is_reported_not_lost(tmp_path, monkeypatch):
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    reported = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: reported.append(u.exc_value))

    def boom(*args):
        raise RuntimeError("callback failed")

    with registry(rules=str(rules), check_interval_ms=20, on_release=boom) as reg:
        reg.add("temp_buffers:idle", b"z" * 100)
        for _ in range(500):
            if reported:
                break
            time.sleep(0.01)
        assert reported and isinstance(reported[0], RuntimeError)
        reg.add("temp_buffers:other", b"y")  # still working


def test_pressure_with_a_small_budget():
    levels = []
    rng = np.random.default_rng(9)
    with registry(budget=1 << 20, on_pressure=lambda level, u, b: levels.append(level)) as reg:
        for i in range(8):  # incompressible: the reaper has to release
            reg.add(f"temp_buffers:t{i}", rng.integers(0, 255, 200_000, dtype=np.uint8))
        assert reg.usage <= reg.budget
        assert reg.stats()["total"]["released"] > 0
        assert len(reg) == reg.stats()["total"]["resources"]
        assert reg.reap(1 << 30) >= 0
        # a type with no release rule cannot go: the level stays up and is reported
        reg.add("scratch:x", rng.integers(0, 255, 900_000, dtype=np.uint8))
        assert levels and levels[-1] in ("warning", "emergency")
        assert reg.check() in ("warning", "emergency")


def test_no_reference_leaks_over_many_cycles():
    arr = np.arange(1000, dtype=np.float32)
    d = {"w": np.arange(10)}  # a rollback in place replaces its items: not arr
    refs = sys.getrefcount(arr), sys.getrefcount(d)

    def cycle(reg, i):
        reg.add("temp_buffers:a", arr)
        reg.add("model_shards:d", d)
        reg.get("temp_buffers:a")
        reg.get("model_shards:d")
        reg.compress("temp_buffers:a")
        reg.get("temp_buffers:a")
        with reg.pin("temp_buffers:a") as v:
            bytes(v[:4])
        reg.snapshots.take_snapshot("model_shards:d")
        reg.snapshots.rollback("model_shards:d")
        reg.release("model_shards:d")
        reg.snapshots.rollback("model_shards:d")
        reg.snapshots.list_snapshots()
        reg.remove("temp_buffers:a")
        reg.remove("model_shards:d")
        try:
            reg.get("temp_buffers:missing")
        except cmz.NotFoundError:
            pass

    with registry() as reg:
        for i in range(50):
            cycle(reg, i)
        gc.collect()
        before = len(gc.get_objects())
        for i in range(1000):
            cycle(reg, i)
        gc.collect()
        assert len(gc.get_objects()) - before < 50
    del reg
    gc.collect()
    assert (sys.getrefcount(arr), sys.getrefcount(d)) == refs


def test_registries_are_collected():
    before = len(gc.get_objects())
    for _ in range(200):
        r = registry()
        r.add("temp_buffers:x", {"a": 1})
        del r
    gc.collect()
    assert len(gc.get_objects()) - before < 50


def test_get_releases_the_gil():
    """Another thread runs Python code while a large compressed array decodes."""
    a = np.tile(np.linspace(0, 1, 1 << 16, dtype=np.float32), 64)
    with registry() as reg:
        reg.add("model_shards:big", a)
        reg.compress("model_shards:big")
        ticks = []
        stop = threading.Event()

        def spin():
            while not stop.is_set():
                ticks.append(1)
                time.sleep(0)

        t = threading.Thread(target=spin)
        t.start()
        for _ in range(5):
            reg.get("model_shards:big")
        stop.set()
        t.join()
        assert ticks


def test_threads_share_a_registry_with_its_monitor():
    errors = []

    def work(t):
        try:
            for i in range(60):
                rid = f"temp_buffers:t{t}"
                reg.add(rid, {"i": i, "w": np.full(2000, i, np.float32)})
                got = reg.get(rid)
                assert got["i"] == i and got["w"][0] == i
                reg.snapshots.take_snapshot(rid)
                reg.release(rid)
                assert reg.snapshots.rollback(rid)
                reg.remove(rid)
        except Exception as e:  # reported below, in the main thread
            errors.append(e)

    with registry(check_interval_ms=1, budget=4 << 20) as reg:
        threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors, errors[0]


def test_on_release_may_roll_back():
    """The library calls on_release with its lock released: the callback may use the
    registry (here: rebuild what was released at once)."""
    seen = []

    def rebuild(res_id, res_type, raw_size):
        seen.append(res_id)
        reg.snapshots.rollback(res_id)

    with registry(on_release=rebuild) as reg:
        reg.add("model_shards:x", np.arange(10))
        reg.release("model_shards:x")
        assert seen == ["model_shards:x"] and "model_shards:x" in reg
        assert np.array_equal(reg.get("model_shards:x"), np.arange(10))


def test_registry_in_a_forked_child():
    import os

    with registry(check_interval_ms=50) as reg:
        reg.add("temp_buffers:f", b"f" * 100)
        pid = os.fork()
        if pid == 0:  # the child: its monitor thread is not here; the registry says so
            try:
                reg.get("temp_buffers:f")
                code = 1
            except ValueError as e:
                code = 0 if "fork" in str(e) else 2
            except BaseException:
                code = 3
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.WEXITSTATUS(status) == 0
        assert reg.get("temp_buffers:f") == b"f" * 100


def test_last_reference_dropped_in_a_callback(tmp_path):
    """The monitor thread cannot free its own registry (freeing joins it): the last
    reference dropped there is handed to the main thread."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    holder = []
    done = threading.Event()
    collected = threading.Event()
    freed_on = []

    def on_release(*args):
        r = holder.pop()
        weakref.finalize(r._c, lambda: (freed_on.append(threading.current_thread()),
                                        collected.set()))
        del r  # the last reference goes with this frame, on the monitor thread
        done.set()

    holder.append(registry(rules=str(rules), check_interval_ms=20, on_release=on_release))
    holder[0].add("temp_buffers:idle", b"z" * 100)
    assert done.wait(10)
    for _ in range(200):  # the main thread frees it
        if collected.is_set():
            break
        time.sleep(0.01)
    assert collected.is_set()
    assert freed_on == [threading.main_thread()]


def test_policy_and_rules_files(tmp_path):
    import os

    configs = os.path.join(os.path.dirname(__file__), "..", "..", "configs")
    with registry(policy=os.path.join(configs, "compression_layers.yaml"),
                  rules=os.path.join(configs, "releasable_resources.yaml")) as reg:
        reg.add("render_cache:f", np.zeros(1 << 20, np.uint8))
        reg.release("render_cache:f")  # compress_before_release in the rules
        assert reg.info("render_cache:f")["state"] == "compressed"
    bad = tmp_path / "rules.yaml"
    bad.write_text("releasable_resources:\n  temp_buffers:\n    priority: zero\n"
                   "    max_retain_time: 30\n")
    for policy in (None, os.path.join(configs, "compression_layers.yaml")):
        with pytest.raises(cmz.PolicyError) as e:
            registry(policy=policy, rules=str(bad))
        assert e.value.line == 3 and e.value.file.endswith("rules.yaml")
