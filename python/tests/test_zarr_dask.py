"""Zarr arrays with compressor=Cmz(...) and a Dask computation over them on a
distributed.LocalCluster of two worker processes (issue 24, item 4). Kept to seconds: one
cluster for the module, small arrays."""

import json
import os
import subprocess
import sys

import pytest

import cmz

np = pytest.importorskip("numpy", reason="numpy is missing (python3-numpy)")
pytest.importorskip("numcodecs", reason="numcodecs is missing (python3-numcodecs)")
zarr = pytest.importorskip("zarr", reason="zarr is missing (python3-zarr)")

from cmz.numcodecs import Cmz  # noqa: E402  (after the skips)



def weights(shape, seed=3):
    rng = np.random.default_rng(seed)
    return (np.cumsum(rng.normal(size=shape), axis=-1) * 1e-2).astype(np.float32)


@pytest.mark.parametrize("compressor", [Cmz(), Cmz(algorithm="lz4", filter="shuffle"),
                                        Cmz(chunk_size=16384, threads=2)])
def test_zarr_array_reads_back_equal(tmp_path, compressor):
    a = weights((300, 1000))
    z = zarr.open(str(tmp_path / "w.zarr"), mode="w", shape=a.shape, chunks=(64, 256),
                  dtype=a.dtype, compressor=compressor)
    z[:] = a
    # the stored metadata is the codec's JSON configuration
    meta = json.loads((tmp_path / "w.zarr" / ".zarray").read_text())
    assert meta["compressor"] == compressor.get_config()
    # each chunk file is a .cmz frame
    assert cmz.info((tmp_path / "w.zarr" / "0.0").read_bytes())["content_size"] == 64 * 256 * 4
    back = zarr.open(str(tmp_path / "w.zarr"), mode="r")
    assert back.compressor == compressor
    assert np.array_equal(back[:], a)
    assert np.array_equal(back[10:70, 250:600], a[10:70, 250:600])  # partial chunks


def test_zarr_integer_and_fortran_order():
    a = np.arange(100_000, dtype=np.int64).reshape(250, 400) % 1009
    z = zarr.array(a, chunks=(100, 100), compressor=Cmz(), order="F")
    assert z.nbytes_stored < a.nbytes // 4
    assert np.array_equal(z[:], a)
    z[5:7] = -1
    a[5:7] = -1
    assert np.array_equal(z[:], a)


# ---- Dask on a LocalCluster of two worker processes ----

@pytest.fixture(scope="module")
def client(tmp_path_factory):
    pytest.importorskip("dask", reason="dask is missing (python3-dask)")
    distributed = pytest.importorskip("distributed",
                                      reason="distributed is missing (python3-distributed)")
    import dask

    # The workers are new processes: they import cmz from where this process did.
    here = os.path.dirname(os.path.dirname(os.path.abspath(cmz.__file__)))
    path = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (here, path) if p)
    space = str(tmp_path_factory.mktemp("dask"))  # not dask-worker-space in the source tree
    try:
        with dask.config.set({"temporary-directory": space}):
            with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                          host="127.0.0.1", dashboard_address=":0",
                                          local_directory=space, silence_logs=40) as cluster:
                with distributed.Client(cluster) as c:
                    yield c
    finally:
        if path is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = path


def test_workers_import_this_cmz(client):
    files = client.run(lambda: __import__("cmz").__file__)
    assert len(files) == 2 and set(files.values()) == {cmz.__file__}


def test_dask_over_zarr_equals_numpy(client, tmp_path):
    import dask.array as da

    a = weights((512, 1024))
    path = str(tmp_path / "w.zarr")
    # written by the workers ...
    da.from_array(a, chunks=(128, 256)).to_zarr(path, compressor=Cmz())
    z = zarr.open(path, mode="r")
    assert z.compressor == Cmz() and np.array_equal(z[:], a)
    # ... and read and computed by them
    x = da.from_zarr(path)
    got = client.compute([x.sum(axis=0), (x * x).mean(), x.max(axis=1)], sync=True)
    want = [a.sum(axis=0), (a * a).mean(), a.max(axis=1)]
    for g, w in zip(got, want):
        assert np.allclose(g, w, rtol=1e-5, atol=1e-4)
    assert np.array_equal(client.compute(x[100:300, 7::5], sync=True), a[100:300, 7::5])


def test_bench_script_runs():
    """bench/zarr_dask.py at a tiny size, so that it cannot rot unnoticed."""
    pytest.importorskip("distributed", reason="distributed is missing (python3-distributed)")
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench",
                          "zarr_dask.py")
    r = subprocess.run([sys.executable, script, "--smoke"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "| Cmz(" in r.stdout and "| Blosc " in r.stdout and "Zstd" in r.stdout, r.stdout
