"""reg.snapshots: the release snapshots of a cmz.Registry (libcmz's cmz_snapshots) under the
application's names. python/cmz/registry.py says how objects become bytes; docs/SNAPSHOTS.md
what a snapshot is."""

import json
import weakref

from . import _cmz

__all__ = ["Snapshots"]


class Snapshots:
    """The release snapshots of a Registry (reg.snapshots), with the application's names.

    A snapshot keeps a resource's bytes compressed, so that a change or a release can be
    undone. Eligible types: those whose release rule's priority number is at most
    snapshot_priority_threshold. One snapshot per id; it expires snapshot_ttl seconds after
    it was taken; over max_snapshots the oldest go.
    """

    def __init__(self, registry):
        self._registry = weakref.ref(registry)

    @property
    def _reg(self):
        reg = self._registry()
        if reg is None:
            raise ValueError("the registry of these snapshots is gone")
        return reg

    def take_snapshot(self, res_id, res_metadata=None):
        """Takes a snapshot of res_id's current state (a live object's too: its snapshot()
        for a custom object, which may raise; the resource is then left as it was).
        res_metadata: a str or a JSON-serializable value kept with it (at most 255 bytes).
        True when taken; False when not registered, not eligible, disabled or too large."""
        reg = self._reg
        if res_metadata is not None and not isinstance(res_metadata, str):
            res_metadata = json.dumps(res_metadata, sort_keys=True, default=str)
        if not reg._c.contains(res_id):
            return False
        reg._sync(res_id)
        try:
            return reg._c.snap_take(res_id, res_metadata) == "taken"
        except _cmz.NotFoundError:  # released meanwhile
            return False

    def rollback(self, res_id):
        """Restores res_id from its snapshot: in place where it is still registered (an
        array's contents, a dict's, list's or set's items, a custom object's restore(), an
        object's attributes: the object keeps its identity), registered again where it was
        released. True when restored; False when it has no snapshot."""
        reg = self._reg
        if not reg._c.snap_has(res_id):
            return False
        live = reg._live(res_id)
        try:
            reg._c.snap_rollback(res_id)
        except _cmz.NotFoundError:  # expired or deleted meanwhile
            return False
        reg._rolled_back(res_id, live)
        return True

    def has_snapshot(self, res_id):
        """True when res_id has a snapshot."""
        return self._reg._c.snap_has(res_id)

    @staticmethod
    def _app_info(d):
        d["res_id"] = d["id"]
        d["size"] = d["raw_size"]
        return d

    def list_snapshots(self):
        """The snapshots, oldest first: dicts with res_id, type, metadata, priority,
        automatic, raw_size, stored_size, codec, age, expires_in..."""
        return [self._app_info(d) for d in self._reg._c.snap_list()]

    def get_snapshot_info(self, res_id):
        """res_id's snapshot as a dict (as list_snapshots), or None."""
        d = self._reg._c.snap_info(res_id)
        return None if d is None else self._app_info(d)

    def update_config(self, config):
        """Applies the keys of config: max_snapshots, snapshot_ttl (seconds),
        snapshot_priority_threshold, and cmz's max_bytes (None: no limit), cleanup_interval,
        codec, level, on_release. Validated first: nothing changes on an error (ValueError,
        KeyError for an unknown key). Returns the configuration in force."""
        c = self._reg._c
        c.snap_set_config(dict(config))
        return c.snap_config()

    @property
    def config(self):
        """The configuration in force, as a dict."""
        return self._reg._c.snap_config()

    def delete(self, res_id):
        """Removes res_id's snapshot; False when it had none."""
        return self._reg._c.snap_delete(res_id)

    def clear(self):
        """Removes every snapshot."""
        self._reg._c.snap_clear()

    def cleanup(self):
        """Removes the expired snapshots now; returns how many."""
        return self._reg._c.snap_cleanup()

    def stats(self):
        """Counters: count, bytes, raw_bytes, taken, automatic, refused, rollbacks, expired,
        evicted."""
        return self._reg._c.snap_stats()

    def set_clock(self, seconds):
        """For tests and demos: the snapshots' clock reads `seconds` from now on (expiry
        without waiting); None restores the real clock."""
        self._reg._c._set_clock(seconds)

    def __len__(self):
        return self.stats()["count"]
