#!/usr/bin/python3
"""Zarr arrays through Dask: cmz's numcodecs codec (cmz.numcodecs.Cmz) against numcodecs'
Blosc and Zstd, on the same arrays in one run (issue 24, item 6).

Data:
  1. the corpus's float32 weights (every FLOAT tensor of ../shared/corpus/*.onnx, as
     bench/python_peers.py and bench/onnx.h collect them), one 1-D array, 1 MiB chunks;
  2. a generated fp16 attention cache, 32 heads x 4096 positions x 128 dims (bench/typed's
     kv set made with NumPy: per-channel sinusoids of the position plus 2% noise), one head
     per chunk (1 MiB).

Each array is written to a Zarr DirectoryStore (in a temporary folder) by a Dask graph on a
distributed.LocalCluster of two worker processes (one thread each) and read back by a
reduction over it. The array is first held by the workers (persisted), so the write time is
compression plus the store's files, not the transfer from this process; the read time is
reading, decompressing and a sum. Candidates: Cmz with its defaults (zstd level 1 and a
filter for the dtype: planes for floats; in a build without zstd, the build's default codec,
cmz.default_codec(), which the table's label names), Cmz(level=3), Cmz(algorithm="rans") (the registry
policy's model_weights codec), numcodecs Zstd (its default, level 1), Blosc's default in
Zarr (lz4-5 shuffle) and Blosc's best setting for the data: the smallest of its codecs x
noshuffle/shuffle/bitshuffle x clevel 5, 9 on the array's first four chunks. Every figure is
the median of --reps runs, candidates interleaved; every read is checked against the array once.

Usage: PYTHONPATH=build/python /usr/bin/python3 bench/zarr_dask.py [--reps N] [--corpus DIR]
       [--quick] [--smoke] [--write docs/BENCH.md]
--write replaces the section between the markers in that file with the tables.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in bench/ from the import of python_peers
try:
    import cmz
    from cmz.numcodecs import Cmz
except ImportError as e:
    sys.exit(f"zarr_dask: cannot import cmz.numcodecs ({e}): set PYTHONPATH=<build>/python "
             "(make build) and install python3-numcodecs")
try:
    import dask
    import dask.array as da
    import distributed
    import numcodecs
    import numpy as np
    import zarr
except ImportError as e:
    sys.exit(f"zarr_dask: {e}: scripts/bootstrap installs python3-numpy, python3-zarr, "
             "python3-dask and python3-distributed")
from python_peers import onnx_floats, table, write_section  # noqa: E402  (written once)

BEGIN = "<!-- zarr_dask: begin (bench/zarr_dask.py --write) -->"
END = "<!-- zarr_dask: end -->"
MB = 1e6


def corpus_weights(corpus):
    models = sorted(f for f in os.listdir(corpus) if f.endswith(".onnx")) if os.path.isdir(
        corpus) else []
    if not models:
        return None, 0
    raw = b"".join(onnx_floats(os.path.join(corpus, m)) for m in models)
    return np.frombuffer(raw, dtype="<f4"), len(models)


def kv_cache(heads=32, seq=4096, dim=128, seed=7):
    rng = np.random.default_rng(seed)
    amp = 0.2 + 2.0 * rng.random((heads, 1, dim)) * rng.random((heads, 1, dim))
    phase = 2 * np.pi * rng.random((heads, 1, dim))
    freq = 10000.0 ** (-(np.arange(dim) % 64) / 64.0)
    pos = np.arange(seq)[None, :, None]
    noise = (rng.random((heads, seq, dim)) + rng.random((heads, seq, dim)) - 1.0) * 0.02 * amp
    return (amp * np.sin(pos * freq + phase) + noise).astype(np.float16)


def blosc_best(a, chunk):
    """Blosc's smallest setting on the array's first chunks: (codec, stored bytes)."""
    from numcodecs import Blosc
    sample = np.ascontiguousarray(a.reshape(-1)[:4 * chunk])
    best = None
    for cname in numcodecs.blosc.list_compressors():
        for shuffle in (Blosc.NOSHUFFLE, Blosc.SHUFFLE, Blosc.BITSHUFFLE):
            for clevel in (5, 9):
                c = Blosc(cname=cname, clevel=clevel, shuffle=shuffle)
                size = sum(len(c.encode(sample[i:i + chunk]))
                           for i in range(0, sample.size, chunk))
                if best is None or size < best[1]:
                    best = (c, size)
    return best[0]


def label(c, dtype):
    if isinstance(c, Cmz):
        s = c.settings_for(dtype)
        args = ", ".join(f"{k}={v!r}" for k, v in c.get_config().items()
                         if k != "id" and v != Cmz().get_config()[k])
        level = s.get("level", _cmz_level(s["algorithm"]))
        return f"Cmz({args}): {s['algorithm']}-{level} {s['filter']}/{s.get('typesize', 1)}"
    if c.codec_id == "blosc":
        shuffle = {0: "noshuffle", 1: "shuffle", 2: "bitshuffle"}[c.shuffle]
        return f"Blosc {c.cname}-{c.clevel} {shuffle}"
    return f"Zstd level {c.level}"


def _cmz_level(algorithm):
    with cmz.Compressor(algorithm=algorithm) as c:
        return c.params["level"]


def run_once(client, x, a, codec, folder):
    path = os.path.join(folder, "a.zarr")
    shutil.rmtree(path, ignore_errors=True)
    t0 = time.perf_counter()
    x.to_zarr(path, compressor=codec, compute=True)
    t1 = time.perf_counter()
    total = client.compute(da.from_zarr(path).sum(dtype="f8"), sync=True)
    t2 = time.perf_counter()
    stored = zarr.open(path, mode="r").nbytes_stored
    return stored, t1 - t0, t2 - t1, total


def bench(client, name, a, chunks, reps, folder):
    x = client.persist(da.from_array(a, chunks=chunks))
    distributed.wait(x)
    chunk = int(np.prod(chunks))
    cands = [Cmz(), Cmz(level=3), Cmz(algorithm="rans"), numcodecs.Zstd(),
             numcodecs.Blosc(cname="lz4", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE),
             blosc_best(a, chunk)]
    want = float(a.sum(dtype="f8"))
    runs = {i: [] for i in range(len(cands))}
    for i, c in enumerate(cands):  # warm-up, and the check of every codec's read
        stored, _, _, total = run_once(client, x, a, c, folder)
        back = zarr.open(os.path.join(folder, "a.zarr"), mode="r")[:]
        if not np.array_equal(back, a) or not np.isclose(total, want, rtol=1e-9):
            sys.exit(f"zarr_dask: {label(c, a.dtype)} did not read back {name} equal")
    for _ in range(reps):
        for i, c in enumerate(cands):
            runs[i].append(run_once(client, x, a, c, folder))
    rows = []
    for i, c in enumerate(cands):
        stored = runs[i][0][0]
        w = statistics.median(r[1] for r in runs[i])
        r = statistics.median(r[2] for r in runs[i])
        rows.append((label(c, a.dtype), a.nbytes / stored, stored / MB, w * 1e3, r * 1e3,
                     a.nbytes / MB / w, a.nbytes / MB / r))
    del x
    return rows


def bar(rows, what):
    """Cmz() (the first row) against Blosc's best (the last)."""
    cm, best = rows[0], rows[-1]
    wr, rr = cm[3] / best[3], cm[4] / best[4]
    ok = cm[2] < best[2] and wr <= 1.1 and rr <= 1.1
    return (f"{what}: Cmz() against Blosc's best (stores less, writes and reads in ≤ 1.1× its "
            f"time): "
            f"stored {cm[2]:.2f} vs {best[2]:.2f} MB, write {wr:.2f}×, read {rr:.2f}× — "
            f"**{'met' if ok else 'NOT met'}**.")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--corpus", default=os.path.join(HERE, "..", "..", "shared", "corpus"))
    ap.add_argument("--quick", action="store_true", help="fewer runs, a smaller cache")
    ap.add_argument("--smoke", action="store_true",
                    help="one run on a tiny cache, no corpus: that the script works (a test)")
    ap.add_argument("--write", metavar="FILE", help="replace the section in FILE (BENCH.md)")
    a = ap.parse_args()
    if a.quick or a.smoke:
        a.reps = min(a.reps, 1 if a.smoke else 2)
    seq = 64 if a.smoke else 1024 if a.quick else 4096
    # the workers import cmz from where this process did
    here = os.path.dirname(os.path.dirname(os.path.abspath(cmz.__file__)))
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (here, os.environ.get("PYTHONPATH")) if p)
    folder = tempfile.mkdtemp(prefix="cmz-zarr-dask.")
    fmt = ["", "{:.3f}", "{:.2f}", "{:.0f}", "{:.0f}", "{:.0f}", "{:.0f}"]
    header = ["codec", "ratio", "stored MB", "write ms", "read ms", "write MB/s", "read MB/s"]
    out = [f"Measured by `bench/zarr_dask.py --reps {a.reps}` ({os.cpu_count()} cores, "
           f"{time.strftime('%Y-%m-%d')}; cmz {cmz.__version__}, numcodecs "
           f"{numcodecs.__version__}, zarr {zarr.__version__}, dask {dask.__version__}, "
           f"distributed {distributed.__version__}). Two worker processes, one thread each; "
           f"MB = 10^6 bytes of array data; medians of {a.reps} runs."]
    try:
        with dask.config.set({"temporary-directory": folder}):
            with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                          host="127.0.0.1", dashboard_address=":0",
                                          local_directory=folder, silence_logs=40) as cl, \
                    distributed.Client(cl) as client:
                w, models = (None, 0) if a.smoke else corpus_weights(a.corpus)
                if a.smoke:
                    out.append("\n--smoke: no weights rows.")
                elif w is None:
                    out.append(f"\nThe corpus ({a.corpus}) is missing: no weights rows.")
                else:
                    rows = bench(client, "weights", w, (1 << 18,), a.reps, folder)
                    out.append(f"\n**float32 weights of the corpus** ({w.nbytes / MB:.1f} MB, "
                               f"{models} models; chunks of 1 MiB)\n")
                    out.append(table(header, rows, fmt))
                    out.append("\n" + bar(rows, "Bar"))
                kv = kv_cache(seq=seq)
                rows = bench(client, "kv cache", kv, (1,) + kv.shape[1:], a.reps, folder)
                out.append(f"\n**fp16 attention cache (generated)** {kv.shape}, "
                           f"{kv.nbytes / MB:.1f} MB; one head per chunk\n")
                out.append(table(header, rows, fmt))
                out.append("\n" + bar(rows, "The same comparison (the issue's bar is on the "
                                                "weights)"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    text = "\n".join(out)
    print(text)
    if a.write:
        write_section(a.write, BEGIN, END, text, "zarr_dask")


if __name__ == "__main__":
    main()
