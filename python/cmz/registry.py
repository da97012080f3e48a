"""cmz.Registry: the memory registry (libcmz's cmz_registry) over Python objects.

The registry holds every resource as bytes, which libcmz compresses by its type's policy and
releases under memory pressure; Python objects are turned into those bytes the way the
application's snapshot specification says:

- NumPy arrays: their raw bytes (dtype, shape and order kept); ``get`` decodes straight into
  a new array's memory, ``get(id, out=array)`` into an existing one.
- ``bytes``, ``bytearray``, ``memoryview``: their bytes.
- objects with ``snapshot()`` and ``restore(state)``: the state ``snapshot()`` returns
  (pickled); rebuilt as ``cls.__new__(cls)`` followed by ``restore(state)``.
- everything else: pickle protocol 5 with out-of-band buffers, so the arrays an object holds
  are copied once, into the registry, and come back as views of the bytes read out.

An object that cannot be serialized raises TypeError at ``add``. ``get`` always returns a new
object built from the registry's bytes; zero-copy access to the raw bytes is ``pin``.

The registry also remembers the object given to ``add``/``replace`` (the "live" object: a
weak reference where the type allows one, the object itself for dicts, lists, sets and
bytearrays, which cannot be weakly referenced) so that a snapshot takes its current state and
a rollback restores it in place, keeping its identity. A release forgets it.
"""

import atexit
import contextlib
import pickle
import struct
import sys
import threading
import weakref

from . import _cmz
from .snapshots import Snapshots

__all__ = ["Registry", "get_registry", "get_release_snapshot"]

# Every resource's bytes end with a trailer describing them (so that bytes brought back by
# a rollback are decoded by their own description): the pickled description, its length
# (8 bytes, little-endian) and this magic.
_MAGIC = b"CMZPYOB1"
_TAIL = struct.Struct("<Q8s")

_STRONG = (dict, list, set, bytearray)  # mutable, but not weakly referenceable


def _numpy_array(obj):
    np = sys.modules.get("numpy")
    if np is not None and isinstance(obj, np.ndarray) and not obj.dtype.hasobject:
        return np
    return None


def _pickle_parts(obj):
    """pickle protocol 5 with contiguous buffers out of band: (parts, lengths)."""
    parts = []

    def out_of_band(buf):
        try:
            parts.append(buf.raw())
        except BufferError:  # not contiguous: pickled in band
            return True
        return False

    try:
        data = pickle.dumps(obj, protocol=5, buffer_callback=out_of_band)
    except Exception as e:  # pickle raises TypeError, PicklingError, AttributeError...
        raise TypeError(f"cmz.Registry: cannot serialize {type(obj).__name__}: {e}") from e
    parts.insert(0, data)
    return parts, [memoryview(p).nbytes for p in parts]


def _unpickle(blob, lengths):
    mv = memoryview(blob)
    views, at = [], 0
    for n in lengths:
        views.append(mv[at:at + n])
        at += n
    return pickle.loads(views[0], buffers=views[1:])


def _is_custom(obj):
    return callable(getattr(obj, "snapshot", None)) and callable(getattr(obj, "restore", None))


def _serialize(obj):
    """(parts, description): the bytes that stand for obj, and how to read them back."""
    np = _numpy_array(obj)
    if np is not None:
        order = "F" if obj.flags.f_contiguous and not obj.flags.c_contiguous else "C"
        data = obj.T if order == "F" else np.ascontiguousarray(obj)
        return [data], ("ndarray", obj.nbytes, (obj.dtype, obj.shape, order))
    if isinstance(obj, (bytes, bytearray)):
        return [obj], (type(obj).__name__, len(obj), None)
    if isinstance(obj, memoryview):
        return [obj], ("memoryview", obj.nbytes, (obj.format, obj.shape, obj.c_contiguous))
    if _is_custom(obj):
        parts, lengths = _pickle_parts(obj.snapshot())
        return parts, ("custom", sum(lengths), lengths)
    parts, lengths = _pickle_parts(obj)
    return parts, ("pickle", sum(lengths), lengths)


def _with_trailer(parts, desc):
    text = pickle.dumps(desc, protocol=5)
    return parts + [text, _TAIL.pack(len(text), _MAGIC)]


def _track(obj, desc):
    """A callable giving the live object back (or None once it is gone), or None."""
    if desc[0] in ("bytes", "memoryview"):
        return None
    try:
        return weakref.ref(obj)
    except TypeError:
        if isinstance(obj, _STRONG) or desc[0] == "custom" or hasattr(obj, "__dict__"):
            return lambda: obj
        return None


def _restore_in_place(live, new, desc):
    """Puts new's content into live (same kind); False when it cannot (shape changed...)."""
    kind = desc[0]
    if kind == "custom":
        live.restore(new)
    elif kind == "ndarray":
        if live.shape != new.shape or live.dtype != new.dtype or not live.flags.writeable:
            return False
        live[...] = new
    elif isinstance(live, (dict, set)) and type(new) is type(live):
        live.clear()
        live.update(new)
    elif isinstance(live, (list, bytearray)) and type(new) is type(live):
        live[:] = new
    elif hasattr(live, "__dict__") and type(new) is type(live):
        live.__dict__.clear()
        live.__dict__.update(new.__dict__)
    else:
        return False
    return True


class _Record:
    __slots__ = ("desc", "total", "live")

    def __init__(self, desc, total, live):
        self.desc, self.total, self.live = desc, total, live


def _released(registry_ref, res_id, res_type, raw_size):
    """on_release of the C registry (monitor or caller thread, the GIL taken)."""
    self = registry_ref()
    if self is None:
        return
    c = self.__dict__.get("_c")
    if c is not None and not c.closed and not c.contains(res_id):
        self._records.pop(res_id, None)
    if self._on_release is not None:
        self._on_release(res_id, res_type, raw_size)


def _pressure(registry_ref, level, usage, budget):
    self = registry_ref()
    if self is not None and self._on_pressure is not None:
        self._on_pressure(level, usage, budget)


class Registry:
    """Large resources kept in a memory budget: compressed by policy, released under pressure.

    Registry(budget=None, *, usage=None, warning=0.75, emergency=0.9, reserve=None,
             policy=None, rules=None, check_interval_ms=None, threads=None,
             on_pressure=None, on_release=None)

    budget: bytes (None: cgroup v2 memory.max, else MemTotal). usage: what is compared with
    it, 'auto', 'process', 'cgroup', 'system' or 'registry' (the bytes the registry holds,
    exact). warning/emergency: fractions of the budget where the reaper starts and where it
    releases everything releasable. policy/rules: paths of the compression policy and the
    release rules YAML files (None: the built-in ones). check_interval_ms: the monitor
    thread's period (0: no thread). on_pressure(level, usage, budget) and
    on_release(id, type, raw_size) are called from the monitor thread (or the thread whose
    call released); an exception in them goes to sys.unraisablehook.

    Ids are "type:name" ("model_shards:layer1"): the type selects the policy and the rule.
    Errors: cmz.NotFoundError (a KeyError-like LookupError), cmz.BusyError while pinned,
    cmz.ExistsError, TypeError for an object that cannot be serialized.
    """

    def __init__(self, budget=None, *, usage=None, warning=0.75, emergency=0.9, reserve=None,
                 policy=None, rules=None, check_interval_ms=None, threads=None,
                 on_pressure=None, on_release=None):
        for name, fn in (("on_pressure", on_pressure), ("on_release", on_release)):
            if fn is not None and not callable(fn):
                raise TypeError(f"{name} must be callable or None")
        self._records = {}
        self._classes = {}  # res_id -> class of a custom object (kept across a release)
        self._on_pressure, self._on_release = on_pressure, on_release
        ref = weakref.ref(self)  # the C object must not keep its owner alive
        self._c = _cmz._Registry(
            budget, usage=usage, warning=warning, emergency=emergency, reserve=reserve,
            policy=policy, rules=rules, check_interval_ms=check_interval_ms, threads=threads,
            on_pressure=lambda *a: _pressure(ref, *a), on_release=lambda *a: _released(ref, *a))
        self.snapshots = Snapshots(self)

    # ---- registration ----

    def add(self, res_id, obj):
        """Registers obj under res_id (its bytes: the caller may drop obj)."""
        self._put(res_id, obj, self._c.add)

    def replace(self, res_id, obj):
        """Replaces res_id's content by obj (BusyError while pinned)."""
        self._put(res_id, obj, self._c.replace)

    def _put(self, res_id, obj, call):
        parts, desc = _serialize(obj)
        parts = _with_trailer(parts, desc)
        if desc[0] == "custom":
            self._classes[res_id] = type(obj)
        call(res_id, parts)
        if not self._c.contains(res_id):  # the reaper took it at once: nothing to remember
            self._records.pop(res_id, None)
            return
        total = sum(memoryview(p).nbytes for p in parts)
        self._records[res_id] = _Record(desc, total, _track(obj, desc))

    def remove(self, res_id):
        """Forgets res_id and frees its memory (BusyError while pinned)."""
        self._c.remove(res_id)
        self._records.pop(res_id, None)
        if not self._c.snap_has(res_id):  # a rollback still needs a custom object's class
            self._classes.pop(res_id, None)

    # ---- access ----

    def _describe(self, res_id):
        """(description, total bytes) of res_id's bytes: cached, or read from the trailer."""
        rec = self._records.get(res_id)
        if rec is not None:
            return rec.desc, rec.total
        total = self._c.size(res_id)
        n, magic = _TAIL.unpack(self._c.read_range(res_id, total - _TAIL.size, _TAIL.size))
        if magic != _MAGIC:
            raise ValueError(f"cmz.Registry: '{res_id}' was not registered by cmz.Registry")
        desc = pickle.loads(self._c.read_range(res_id, total - _TAIL.size - n, n))
        self._records[res_id] = _Record(desc, total, None)
        return desc, total

    def get(self, res_id, out=None):
        """A new object equal to res_id's content (see the module's docstring).

        For an array, out= (a C-contiguous array of the same size) receives the bytes instead
        and is returned.
        """
        desc, total = self._describe(res_id)
        kind, n, extra = desc
        if kind == "ndarray":
            return self._get_array(res_id, desc, total, out)
        if out is not None:
            raise TypeError("get: out= is for NumPy arrays")
        if kind == "bytes":  # decoded straight into the bytes object, without the trailer
            return self._c.read_range(res_id, 0, n)
        blob = bytearray(total)
        got = self._c.get_into(res_id, blob)
        if got != total:  # replaced meanwhile by another thread: describe it again
            self._records.pop(res_id, None)
            return self.get(res_id)
        if kind == "bytearray":
            del blob[n:]
            return blob
        if kind == "memoryview":
            fmt, shape, _ = extra
            del blob[n:]
            try:
                return memoryview(blob).cast(fmt, shape)
            except (TypeError, ValueError):  # a format cast() does not take: the bytes
                return memoryview(blob)
        value = _unpickle(blob, extra)
        if kind == "custom":
            cls = self._classes.get(res_id)
            if cls is None:
                raise TypeError(f"get: the class of '{res_id}' is unknown")
            obj = cls.__new__(cls)
            obj.restore(value)
            return obj
        return value

    def _get_array(self, res_id, desc, total, out):
        import numpy as np

        dtype, shape, order = desc[2]
        if out is not None:
            if not out.flags.c_contiguous or out.nbytes != desc[1]:
                raise ValueError(f"get: out must be C-contiguous and {desc[1]} bytes")
            self._c.read_into(res_id, 0, out)  # the bytes without the trailer
            return out
        buf = np.empty(total, np.uint8)
        got = self._c.get_into(res_id, buf)
        if got != total:
            self._records.pop(res_id, None)
            return self.get(res_id)
        arr = buf[:desc[1]].view(dtype)
        return arr.reshape(shape[::-1]).T if order == "F" else arr.reshape(shape)

    @contextlib.contextmanager
    def pin(self, res_id):
        """Context manager: res_id's raw bytes as a read-only memoryview, kept resident (and
        never released or compressed) until the block ends; BusyError for replace, remove,
        release or rollback meanwhile."""
        desc, _ = self._describe(res_id)
        pin = self._c.pin(res_id)
        base = memoryview(pin)
        view = base[:desc[1]]
        try:
            yield view
        finally:
            view.release()
            base.release()
            pin.release()

    def info(self, res_id):
        """A dict: id, type, state ('raw' or 'compressed'), raw_size, stored_size, pins,
        idle_seconds, and kind (how the object is held: 'ndarray', 'bytes', 'pickle'...)."""
        d = self._c.info(res_id)
        d["kind"] = self._describe(res_id)[0][0]
        return d

    def __contains__(self, res_id):
        return self._c.contains(res_id)

    def __len__(self):
        return len(self._records)

    def __iter__(self):
        return iter([i for i in list(self._records) if self._c.contains(i)])

    # ---- memory ----

    def release(self, res_id):
        """Releases res_id now, as the reaper would (a snapshot is taken first where its type
        is eligible; a compress_before_release type is compressed instead)."""
        self._c.release(res_id)
        if not self._c.contains(res_id):
            self._records.pop(res_id, None)

    def compress(self, res_id):
        """Compresses res_id now with its type's policy (the application's
        compress_with_policy)."""
        self._c.compress(res_id)

    def reap(self, nbytes):
        """Asks the reaper for nbytes; returns the bytes given back."""
        return self._c.reap(nbytes)

    def check(self):
        """Checks the usage now (the reaper acts); returns 'none', 'warning' or 'emergency'."""
        return self._c.check()

    @property
    def usage(self):
        """The usage now, in bytes, from the usage source."""
        return self._c.memory()[0]

    @property
    def budget(self):
        """The budget in force, in bytes."""
        return self._c.memory()[1]

    def stats(self):
        """{'total': {...}, 'types': {type: {...}}} (resources, raw_bytes, stored_bytes,
        compressed, released, restored, compress_seconds, decompress_seconds)."""
        return self._c.stats()

    def report(self):
        """The registry's printable report (a table per type and the totals)."""
        return self._c.report()

    # ---- for the snapshots (snapshots.py) ----

    def _live(self, res_id):
        rec = self._records.get(res_id)
        return rec.live() if rec is not None and rec.live is not None else None

    def _sync(self, res_id):
        """Stores the live object's state now (which may differ from the bytes held)."""
        live = self._live(res_id)
        if live is not None:
            self.replace(res_id, live)

    def _rolled_back(self, res_id, live):
        """After a rollback: reads the restored bytes' own description, and puts their
        content into the live object of before (if any) in place."""
        rec = self._records.pop(res_id, None)
        desc, total = self._describe(res_id)
        if live is None:
            return
        if desc[0] == "custom":  # its state, for its restore()
            blob = bytearray(total)
            self._c.get_into(res_id, blob)
            state = _unpickle(blob, desc[2])
        else:
            state = self.get(res_id)
        if _restore_in_place(live, state, desc):
            self._records[res_id].live = rec.live

    # ---- lifetime ----

    def close(self):
        """Stops the monitor and frees everything (memory pinned by a live pin stays valid
        until it ends)."""
        self._c.close()
        self._records.clear()

    @property
    def closed(self):
        """True once closed."""
        return self._c.closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        if self.closed:
            return "<cmz.Registry closed>"
        usage, budget = self._c.memory()
        return f"<cmz.Registry {len(self)} resources, usage {usage} of {budget} bytes>"


_default = None
_default_lock = threading.Lock()


def get_registry():
    """The process's default Registry (made on first use with the default settings)."""
    global _default
    with _default_lock:
        if _default is None or _default.closed:
            _default = Registry()
            atexit.register(_default.close)  # the monitor stops before the interpreter
        return _default


def get_release_snapshot():
    """The default registry's snapshots (the application's get_release_snapshot())."""
    return get_registry().snapshots
