#!/usr/bin/python3
"""Release snapshots over Python objects (cmz.Registry, the application's snapshot_recovery_demo):

  1. registers resources of different release priorities, as the application keeps them:
     model shards (NumPy float32 weights, priority 1), a render cache (an RGBA frame array,
     2), temp buffers (a dict holding arrays, 3), an audio cache (4), a subtitle index
     (custom objects with snapshot()/restore(), 6);
  2. snapshots each with the application's calls: only priorities up to the threshold (3)
     are taken;
  3. edits the render cache in place and rolls it back: the same array object gets its
     pixels back;
  4. releases a model shard (the registry snapshots it first) and rebuilds it from the
     snapshot instead of reloading it;
  5. shows expiry: the snapshots' clock jumps past their ttl.

Every step prints what happened and the memory used; every restored resource is compared
with the original. Exit status 0 when every rollback gave the original back.

Usage: PYTHONPATH=<build>/python /usr/bin/python3 examples/snapshot_recovery_demo.py
"""

import sys

import numpy as np

import cmz

MiB = 1 << 20
rng = np.random.default_rng(7)  # the same data on every machine


def weights(n_bytes):
    """Weights-like float32: small values on a coarse grid (they compress a little)."""
    return (rng.integers(-1000, 1001, n_bytes // 4) / 16384.0).astype(np.float32)


def frame():
    """A 1920x1080 RGBA frame: a horizontal gradient, letterboxed, with a noisy inset."""
    img = np.zeros((1080, 1920, 4), np.uint8)
    img[..., :3] = (np.arange(1920) * 255 // 1919).astype(np.uint8)[None, :, None]
    img[:140], img[940:] = 0, 0
    img[300:700, 600:1300, :3] += rng.integers(0, 16, (400, 700, 3), dtype=np.uint8)
    img[..., 3] = 255
    return img


class SubtitleIndex:
    """The application's custom object: backed up through snapshot(), put back by restore()."""

    def __init__(self, lines):
        self.lines = lines

    def snapshot(self):
        return {"lines": list(self.lines)}

    def restore(self, state):
        self.lines = list(state["lines"])


def show_memory(reg, when):
    t = reg.stats()["total"]
    s = reg.snapshots.stats()
    print(f"   memory {when:<28} resources {t['resources']:2} holding "
          f"{t['stored_bytes'] / MiB:7.2f} MiB (raw {t['raw_bytes'] / MiB:7.2f}) | snapshots "
          f"{s['count']:2} holding {s['bytes'] / MiB:6.2f} MiB | usage {reg.usage / MiB:7.2f} MiB")


def check(what, same):
    print(f"   {what}: {'equal to the original' if same else 'DIFFERS from the original'}")
    return same


def main():
    ok = True
    with cmz.Registry(512 * MiB, usage="registry", check_interval_ms=0) as reg:
        snapshot_manager = reg.snapshots  # cmz.get_release_snapshot() for the default one
        snapshot_manager.set_clock(0.0)  # the demo's clock, to show expiry without waiting

        print("== 1. resources of different release priorities")
        shards = {"model_shards:encoder": weights(24 * MiB),
                  "model_shards:decoder": weights(16 * MiB)}
        render = frame()
        resources = dict(shards)
        resources["render_cache:frame1"] = render
        resources["temp_buffers:scratch"] = {"step": 3, "logits": weights(2 * MiB)}
        resources["audio_cache:track1"] = rng.standard_normal(MiB).astype(np.float32)
        resources["subtitle_index:en"] = SubtitleIndex([f"{i}: she said" for i in range(5000)])
        for res_id, obj in resources.items():
            reg.add(res_id, obj)
            print(f"   registered {res_id:<24} {reg.info(res_id)['kind']:<8} "
                  f"{reg.info(res_id)['raw_size'] / MiB:6.2f} MiB")
        show_memory(reg, "after registration")

        config = snapshot_manager.config
        print(f"\n== 2. snapshots by priority (threshold {config['snapshot_priority_threshold']}, "
              f"ttl {config['snapshot_ttl']} s, at most {config['max_snapshots']})")
        for res_id in resources:
            taken = snapshot_manager.take_snapshot(res_id, {"reason": "before editing"})
            print(f"   take_snapshot({res_id!r:<26}) -> {taken}")
        for s in snapshot_manager.list_snapshots():
            print(f"   snapshot {s['res_id']:<22} priority {s['priority']}  "
                  f"{s['raw_size'] / MiB:7.2f} MiB -> {s['stored_size'] / MiB:6.2f} MiB "
                  f"({s['codec']})")
        show_memory(reg, "after the snapshots")

        print("\n== 3. the render cache is edited in place, then rolled back")
        original = render.copy()
        render[140:940, :, :3] = 255 - render[140:940, :, :3]  # an edit gone wrong
        print("   edited render_cache:frame1 (the array the application holds)")
        show_memory(reg, "after the edit")
        rolled = snapshot_manager.rollback("render_cache:frame1")
        print(f"   rollback('render_cache:frame1') -> {rolled}")
        ok &= check("the same array object, its pixels", np.array_equal(render, original))
        show_memory(reg, "after the rollback")

        print("\n== 4. a model shard is released, then rebuilt from its snapshot")
        snapshot_manager.set_clock(60.0)
        reg.release("model_shards:encoder")
        print(f"   released model_shards:encoder: registered now? "
              f"{'model_shards:encoder' in reg}")
        show_memory(reg, "after the release")
        rolled = snapshot_manager.rollback("model_shards:encoder")
        print(f"   rollback('model_shards:encoder') -> {rolled}: registered now? "
              f"{'model_shards:encoder' in reg}")
        ok &= check("model_shards:encoder",
                    np.array_equal(reg.get("model_shards:encoder"), shards["model_shards:encoder"]))
        show_memory(reg, "after rebuilding it")

        ttl = snapshot_manager.config["snapshot_ttl"]
        print(f"\n== 5. expiry: the clock moves on ({ttl} s after the first snapshots; the "
              f"release's snapshot is 60 s younger)")
        snapshot_manager.set_clock(ttl + 1.0)
        removed = snapshot_manager.cleanup()
        left = [s["res_id"] for s in snapshot_manager.list_snapshots()]
        print(f"   cleanup() removed {removed}; left: {', '.join(left) or 'none'}")
        show_memory(reg, "after expiry")
    print("\nsnapshot demo (Python):", "every rollback gave the original back" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
