"""Objects shared between threads and torn down or changed while in use: a registry closed
or freed while another thread (or its monitor) is inside it, a FrameReader closed during a
read, a Compressor held by a thread at fork(), a settings dict emptied during policy_change.
Each case runs in a child interpreter with PYTHONMALLOC=malloc, so that a use after free
shows as a crash or garbage (glibc's checks, reused memory) rather than passing by luck."""

import os
import subprocess
import sys
import textwrap


def run_child(code, timeout=60):
    env = dict(os.environ, PYTHONMALLOC="malloc")
    code = "import sys; sys.path.insert(0, %r)\n" % os.path.dirname(__file__) + textwrap.dedent(code)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True,
                       text=True, timeout=timeout, env=env)
    assert r.returncode == 0, f"rc={r.returncode}\n{r.stdout}\n{r.stderr[-3000:]}"
    return r.stdout


def test_registry_freed_while_its_monitor_waits_to_call_back():
    """The monitor's callback waits for the GIL while the main thread drops the last
    reference: the callback must not run on (nor hand back a reference to) the dying
    object."""
    out = run_child("""
        import sys, threading, time
        from cmz import _cmz
        sys.setswitchinterval(10)  # the main thread keeps the GIL while it spins
        calls = []
        for i in range(20):
            r = _cmz._Registry(1000, usage="system", check_interval_ms=1,
                               on_pressure=lambda *a: calls.append(a))
            end = time.perf_counter() + 0.02
            while time.perf_counter() < end:  # the first check now waits for the GIL
                pass
            del r
            time.sleep(0.002)  # pending calls run
        print("done")
    """)
    assert out.strip() == "done"


def test_registry_closed_while_another_thread_reads():
    """close() from one thread while another decodes a resource: the registry is freed
    after that call ends, and the reader gets its bytes or ValueError (closed)."""
    out = run_child("""
        import threading, time
        from cmz import _cmz
        from conftest import mixed_data
        data = mixed_data(1 << 16) * 64
        results = []
        for i in range(8):
            r = _cmz._Registry(1 << 40, usage="registry", check_interval_ms=0)
            r.add("t:x", [data])
            r.compress("t:x")
            started = threading.Event()

            def read():
                started.set()
                try:
                    while True:
                        assert r.read_range("t:x", 0, len(data)) == data
                except ValueError as e:
                    results.append(str(e))

            t = threading.Thread(target=read)
            t.start()
            started.wait()
            time.sleep(0.01)
            r.close()
            t.join()
        print(results[0])
    """)
    assert "closed" in out


def test_frame_reader_closed_during_a_read():
    out = run_child("""
        import threading, time
        import cmz
        from cmz import _cmz
        from conftest import mixed_data
        frame = cmz.compress(mixed_data(1 << 20) * 4, chunk_size=1 << 16)
        errors = []
        for i in range(8):
            fr = _cmz.FrameReader(frame, threads=1)
            started = threading.Event()

            def read():
                started.set()
                try:
                    while True:
                        fr.read(0, fr.content_size)
                except ValueError as e:
                    errors.append(str(e))

            t = threading.Thread(target=read)
            t.start()
            started.wait()
            time.sleep(0.01)
            fr.close()
            t.join()
        print(errors[0])
    """)
    assert "closed" in out


def test_fork_while_another_thread_holds_a_compressor():
    """fork() while a thread is inside Compressor.compress: the child, which has no such
    thread, can still use the object (its lock, held by a thread that is not there, is
    replaced) instead of waiting forever."""
    out = run_child("""
        import os, threading, time, warnings
        import cmz
        from conftest import SLOW, mixed_data
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12)
        c = cmz.Compressor(**SLOW)
        d = cmz.Decompressor()
        data = mixed_data(1 << 20) * 4  # a few tenths of a second: the fork comes mid-call
        started = threading.Event()

        def work():
            started.set()
            c.compress(data)

        t = threading.Thread(target=work)
        t.start()
        started.wait()
        time.sleep(0.05)
        pid = os.fork()
        if pid == 0:
            small = b"hello" * 100
            ok = d.decompress(c.compress(small)) == small
            os._exit(0 if ok else 1)
        for _ in range(400):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.025)
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            status = "hung"
        t.join()
        print(status)
    """)
    assert out.strip() == "0"


def test_registry_closed_from_its_monitors_callback():
    """close() called by on_pressure, on the monitor thread: freeing the registry joins that
    thread, so it is done later on the main thread, not by the callback."""
    out = run_child("""
        import time
        from cmz import _cmz
        holder = {}

        def on_pressure(*args):
            holder["r"].close()
            holder["closed in callback"] = holder["r"].closed

        holder["r"] = _cmz._Registry(1000, usage="system", check_interval_ms=1,
                                     on_pressure=on_pressure)
        for _ in range(200):
            if "closed in callback" in holder:
                break
            time.sleep(0.01)
        time.sleep(0.05)
        print(holder.get("closed in callback"), holder["r"].closed)
    """, timeout=20)
    assert out.split() == ["True", "True"]


def test_policy_change_settings_emptied_during_the_call():
    """The settings' strings are held for the call: a dict emptied meanwhile (here by the
    config path's __fspath__; another thread could too, the GIL being released) does not
    leave the library reading freed strings."""
    policy = os.path.join(os.path.dirname(__file__), "..", "..", "configs",
                          "compression_layers.yaml")
    out = run_child(f"""
        import os, shutil, tempfile
        from cmz import _cmz
        path = os.path.join(tempfile.mkdtemp(), "policy.yaml")
        shutil.copy({policy!r}, path)
        # made at run time: not shared with constants, freed when the dict lets them go;
        # rans (level 0 only) is in every build
        settings = {{"".join(["le", "vel"]): "".join(["0", ""]),
                     "algorithm": "".join(["ra", "ns"])}}

        class Path:
            def __fspath__(self):
                settings.clear()
                # new strings of the same sizes take the freed memory over
                self.junk = ["".join(["#", str(i)[:1] * n]) for i in range(64) for n in (0, 3, 4)]
                return path

        _cmz.policy_change("create", "mytype", settings, Path())
        e = _cmz.policy_entry("mytype", config=path)
        print(e["algorithm"], e["level"])
    """)
    assert out.split() == ["rans", "0"]
