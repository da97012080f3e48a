"""Builds the extension cmz._cmz against libcmz, offline (pip install --no-build-isolation).

Where libcmz comes from, first found wins:
  1. CMZ_BUILD_DIR=<a CMake build of this repository>: its libcmz.so, the tree's headers;
  2. an installed libcmz that pkg-config finds (`pkg-config cmz`);
  3. the tree's own build folder (../build, what `make build` makes).
The module records the library's folder as its run path, so no LD_LIBRARY_PATH is needed.
"""

import glob
import os
import shlex
import subprocess
import sys

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))
TREE = os.path.dirname(HERE)


def source_of(build):
    """The source tree a CMake build folder was configured from (its CMakeCache says)."""
    try:
        with open(os.path.join(build, "CMakeCache.txt"), encoding="utf-8") as f:
            for line in f:
                if line.startswith("cmz_SOURCE_DIR:"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return TREE


def from_build_dir(build):
    build = os.path.abspath(build)
    include = os.path.join(source_of(build), "include")
    if not os.path.exists(os.path.join(build, "libcmz.so")):
        sys.exit(f"setup.py: no libcmz.so in {build} (build it first: make build)")
    if not os.path.exists(os.path.join(include, "cmz", "cmz.h")):
        sys.exit(f"setup.py: no cmz headers in {include}")
    return {"include_dirs": [include], "library_dirs": [build], "libraries": ["cmz"],
            "runtime_library_dirs": [build]}


def from_pkg_config():
    try:
        out = subprocess.run(["pkg-config", "--cflags", "--libs", "cmz"], check=True,
                             capture_output=True, text=True).stdout
        libdir = subprocess.run(["pkg-config", "--variable=libdir", "cmz"], check=True,
                                capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    cfg = {"include_dirs": [], "library_dirs": [], "libraries": [], "extra_link_args": [],
           "runtime_library_dirs": [libdir] if libdir else []}
    for flag in shlex.split(out):
        if flag.startswith("-I"):
            cfg["include_dirs"].append(flag[2:])
        elif flag.startswith("-L"):
            cfg["library_dirs"].append(flag[2:])
        elif flag.startswith("-l"):
            cfg["libraries"].append(flag[2:])
        else:
            cfg["extra_link_args"].append(flag)
    return cfg


def libcmz():
    if os.environ.get("CMZ_BUILD_DIR"):
        return from_build_dir(os.environ["CMZ_BUILD_DIR"])
    cfg = from_pkg_config()
    if cfg:
        return cfg
    if os.path.exists(os.path.join(TREE, "build", "libcmz.so")):
        return from_build_dir(os.path.join(TREE, "build"))
    sys.exit("setup.py: libcmz not found: install it (pkg-config cmz), or build the tree "
             "(make build) and set CMZ_BUILD_DIR to the build folder")


sources = sorted(os.path.relpath(p, HERE) for p in glob.glob(os.path.join(HERE, "ext", "*.c")))
setup(ext_modules=[Extension("cmz._cmz", sources=sources, depends=["ext/ext.h"],
                             extra_compile_args=["-std=c11", "-fvisibility=hidden"],
                             **libcmz())])
