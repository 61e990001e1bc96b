"""`pip install .` (repository root) and `pip install bindings/python` build
libdlnsgd with CMake and ship it inside the package, offline (no index); the
installed package then works from another directory with no environment
variable, and DLNSGD_LIBRARY still overrides the shipped library.

Each install goes into a fresh venv from a copy of the repository (so the
source tree under test is not touched), and builds the library from scratch.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import dlnsgd

REPO = Path(__file__).resolve().parents[3]

# A short run from outside the source tree: where the package and the library
# come from, the versions, and a few SGD steps that lower the loss.
SCRIPT = """
import importlib.metadata, numpy as np, dlnsgd
print(dlnsgd.__file__)
print(dlnsgd.library_path())
print(dlnsgd.__version__, importlib.metadata.version("dlnsgd"), dlnsgd.version_string())
rng = np.random.default_rng(3)
rows, cols = rng.integers(0, 6, 40), rng.integers(0, 5, 40)
with dlnsgd.Model([5, 4, 4, 6], seed=2, learning_rate=0.05, ridge=1e-3) as m:
    m.init_weights(dlnsgd.Init.GAUSSIAN, [0.5])
    m.set_observations(rows, cols, rng.standard_normal(40))
    before = sum(m.loss())
    m.step(500)
    print(before, sum(m.loss()))
"""


def header_version():
    text = (REPO / "include" / "dlnsgd.h").read_text()
    return ".".join(re.search(rf"#define DLN_VERSION_{p}\s+(\d+)", text).group(1)
                    for p in ("MAJOR", "MINOR", "PATCH"))


def clean_env():
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PIP_FIND_LINKS", "DLNSGD_LIBRARY", "DLNSGD_TESTDATA",
                        "DLNSGD_HEADER")}
    env["PIP_NO_INDEX"] = "1"
    env.setdefault("CMAKE_BUILD_PARALLEL_LEVEL", "2")
    return env


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A copy of the repository without build trees, as a clone would be."""
    dst = tmp_path_factory.mktemp("clone") / "dlnsgd"
    shutil.copytree(REPO, dst, ignore=shutil.ignore_patterns(
        ".git", "build", "build-*", "*.egg-info", "__pycache__", ".pytest_cache", "*.so*"))
    return dst


def install(tmp, what):
    venv = tmp / "venv"
    # --system-site-packages: numpy, pip, setuptools and wheel from Debian
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip",
                    str(venv)], check=True, timeout=120)
    py = str(venv / "bin" / "python")
    r = subprocess.run([py, "-m", "pip", "install", "--no-index", "--disable-pip-version-check",
                        str(what)], env=clean_env(), capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stdout + r.stderr
    return venv, py


def run_outside(py, cwd, env):
    r = subprocess.run([py, "-c", SCRIPT], env=env, cwd=cwd, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout.split("\n")


def check_installed(venv, py, cwd):
    where, library, versions, losses = run_outside(py, cwd, clean_env())[:4]
    site = Path(where).resolve().parent
    assert site.is_relative_to(venv.resolve())
    assert Path(library).resolve().parent == site            # the shipped copy
    assert Path(library).name == "libdlnsgd.so.0"
    assert versions.split() == [header_version()] * 3
    before, after = map(float, losses.split())
    assert after < before


@pytest.fixture(scope="module")
def root_install(source, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("root")
    venv, py = install(tmp, source)
    return venv, py, tmp


def test_pip_install_of_the_repository_root_ships_the_library(root_install, source):
    venv, py, tmp = root_install
    check_installed(venv, py, tmp)
    # the build happens outside the source tree: no build/ or egg-info left there
    assert not list(source.glob("*.egg-info")) and not (source / "build").exists()


def test_pip_install_of_bindings_python_ships_the_library(source, tmp_path):
    venv, py = install(tmp_path, source / "bindings" / "python")
    check_installed(venv, py, tmp_path)
    assert not list((source / "bindings" / "python").glob("*.egg-info"))


def test_DLNSGD_LIBRARY_overrides_the_shipped_library(root_install):
    venv, py, tmp = root_install
    own = os.path.realpath(dlnsgd.library_path())  # the build tree's library under test
    env = clean_env()
    env["DLNSGD_LIBRARY"] = own
    library = run_outside(py, tmp, env)[1]
    assert os.path.realpath(library) == own
