"""`pip install bindings/python` works offline (no index, no build step of
its own) and the installed package loads the library."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dlnsgd

SRC = Path(__file__).resolve().parents[1]


def test_pip_install_offline_into_a_venv(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(SRC, src, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__", ".pytest_cache", "*.so*"))
    venv = tmp_path / "venv"
    # --system-site-packages: numpy, pip and setuptools come from the system
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip",
                    str(venv)], check=True, timeout=120)
    py = str(venv / "bin" / "python")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_FIND_LINKS")}
    env["PIP_NO_INDEX"] = "1"
    r = subprocess.run([py, "-m", "pip", "install", "--no-index", "--disable-pip-version-check",
                        str(src)], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    env["DLNSGD_LIBRARY"] = os.path.realpath(dlnsgd.library_path())
    r = subprocess.run([py, "-c", "import dlnsgd; print(dlnsgd.__file__); "
                        "print(dlnsgd.version_string()); "
                        "m = dlnsgd.Model([2, 3]); print(m.depth); m.close()"],
                       env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    where, version, depth = r.stdout.split()
    assert Path(where).resolve().is_relative_to(venv.resolve())
    assert version == dlnsgd.version_string() and depth == "1"
