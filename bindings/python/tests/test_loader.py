"""The library search order of dlnsgd/_lib.py, each case in a fresh
interpreter."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dlnsgd

PKG = Path(dlnsgd.__file__).resolve().parent


def run(code, env_update, cwd):
    env = {k: v for k, v in os.environ.items() if k != "DLNSGD_LIBRARY"}
    env.update(env_update)
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_env_var_that_does_not_load_is_an_error(tmp_path):
    r = run("import dlnsgd; dlnsgd.version_string()",
            {"DLNSGD_LIBRARY": str(tmp_path / "nope.so"),
             "PYTHONPATH": str(PKG.parent)}, tmp_path)
    assert r.returncode != 0
    assert "DLNSGD_LIBRARY" in r.stderr and "nope.so" in r.stderr


def test_copy_next_to_the_package_is_found(tmp_path):
    shutil.copytree(PKG, tmp_path / "dlnsgd",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so*"))
    shutil.copy(os.path.realpath(dlnsgd.library_path()), tmp_path / "dlnsgd" / "libdlnsgd.so.0")
    r = run("import dlnsgd; print(dlnsgd.library_path()); print(dlnsgd.version_string())",
            {"PYTHONPATH": str(tmp_path)}, tmp_path)
    assert r.returncode == 0, r.stderr
    path, version = r.stdout.split()
    assert Path(path) == tmp_path / "dlnsgd" / "libdlnsgd.so.0"
    assert version == dlnsgd.version_string()


def test_soname_through_the_loader_path(tmp_path):
    shutil.copytree(PKG, tmp_path / "pkg" / "dlnsgd",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so*"))
    (tmp_path / "lib").mkdir()
    shutil.copy(os.path.realpath(dlnsgd.library_path()), tmp_path / "lib" / "libdlnsgd.so.0")
    r = run("import dlnsgd; print(dlnsgd.library_path())",
            {"PYTHONPATH": str(tmp_path / "pkg"), "LD_LIBRARY_PATH": str(tmp_path / "lib")},
            tmp_path)
    assert r.returncode == 0, r.stderr
    assert "libdlnsgd.so.0" in r.stdout
