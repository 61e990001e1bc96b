"""PEP 517 build backend of the dlnsgd Python package: CMake for the C
library, setuptools for the wheel, nothing downloaded.

``pip install .`` (repository root) and ``pip install bindings/python`` both
come here. ``build_wheel``:

1. configures and builds the ``dlnsgd`` target of the repository with CMake
   (Release, no tests, bindings, examples or CLI) in a temporary directory;
2. stages the package in another temporary directory: ``bindings/python/dlnsgd``,
   the library as ``dlnsgd/libdlnsgd.so.0`` (dlnsgd/_lib.py looks there after
   ``DLNSGD_LIBRARY``), ``_version.py`` with the version of include/dlnsgd.h
   written out, the metadata of bindings/python/pyproject.toml;
3. lets setuptools' own ``build_wheel`` make a platform wheel of the staged
   tree, so the source tree gets no build/ or egg-info directory.

Offline: pip builds in an isolated environment that hides the interpreter's
own site-packages, so with ``requires = ["setuptools"]`` an offline ``pip
install`` would try to download setuptools. This backend declares no static
requirement and, when setuptools is not importable in the isolated
environment, appends the interpreter's site directories (where Debian's
python3-setuptools and python3-wheel live) to ``sys.path``. Only what still
cannot be imported is passed on to pip (which then needs an index).

The package needs the whole repository (the C sources, include/dlnsgd.h):
``bindings/python`` alone is not an installable tree. No sdist and no
editable install are offered.
"""
import os
import runpy
import shutil
import site
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # bindings/python
ROOT = PACKAGE_DIR.parents[1]  # the repository
LIBRARY_NAME = "libdlnsgd.so.0"  # the soname; dlnsgd/_lib.py's first package candidate


def _find_setuptools():
    try:
        import setuptools.build_meta  # noqa: F401
        return True
    except ImportError:
        pass
    dirs = list(site.getsitepackages())
    user = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    if isinstance(user, str):
        dirs.append(user)
    for d in dirs:
        if d not in sys.path:
            sys.path.append(d)  # after the isolated env: its packages win
    try:
        import setuptools.build_meta  # noqa: F401
        return True
    except ImportError:
        return False


def _missing(requirements):
    """The requirements (such as setuptools' "wheel") that cannot be imported
    here, system site directories included: only those are left for pip."""
    import importlib.util
    import re

    out = []
    for req in requirements:
        name = re.split(r"[^A-Za-z0-9_.-]", req.strip(), maxsplit=1)[0]
        if not name or importlib.util.find_spec(name.replace("-", "_")) is None:
            out.append(req)
    return out


def version():
    """The project version, as include/dlnsgd.h states it (the package's
    _version.py reads the header; one parser)."""
    return runpy.run_path(str(PACKAGE_DIR / "dlnsgd" / "_version.py"))["__version__"]


def _run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"dlnsgd build: {' '.join(map(str, cmd))} failed "
                           f"(exit {r.returncode}):\n{r.stdout[-4000:]}")


def build_library(build_dir):
    """Builds libdlnsgd with CMake; returns the path of the real file."""
    cmake = shutil.which("cmake")
    if cmake is None:
        raise RuntimeError("dlnsgd build: cmake not found on PATH (Debian: apt-get install cmake)")
    if not (ROOT / "CMakeLists.txt").is_file() or not (ROOT / "include" / "dlnsgd.h").is_file():
        raise RuntimeError(f"dlnsgd build: no dlnsgd repository at {ROOT} "
                           "(bindings/python is built from inside the repository)")
    _run([cmake, "-S", str(ROOT), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release",
          "-DDLN_BUILD_TESTS=OFF", "-DDLN_BUILD_EXAMPLES=OFF", "-DDLN_BUILD_BINDINGS=OFF",
          "-DDLN_BUILD_CLI=OFF", "-DDLN_BUILD_BENCH=OFF", "-DDLN_BUILD_FUZZERS=OFF"])
    jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL") or str(os.cpu_count() or 1)
    _run([cmake, "--build", str(build_dir), "--target", "dlnsgd", "--parallel", jobs])
    found = sorted(Path(build_dir).rglob(LIBRARY_NAME))
    if not found:
        raise RuntimeError(f"dlnsgd build: {LIBRARY_NAME} not found under {build_dir}")
    return found[0].resolve()


_SETUP_PY = '''\
from setuptools import Distribution, setup


class _Binary(Distribution):
    """The package carries a compiled library: a platform wheel."""

    def has_ext_modules(self):
        return True


setup(distclass=_Binary)
'''


def _stage(stage, library):
    shutil.copytree(PACKAGE_DIR / "dlnsgd", stage / "dlnsgd",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so*", "*.dylib", "*.dll"))
    shutil.copy2(library, stage / "dlnsgd" / LIBRARY_NAME)
    (stage / "dlnsgd" / "_version.py").write_text(
        '"""Written by the build backend from include/dlnsgd.h."""\n'
        f'__version__ = "{version()}"\n')
    shutil.copy2(PACKAGE_DIR / "README.md", stage / "README.md")
    shutil.copy2(PACKAGE_DIR / "pyproject.toml", stage / "pyproject.toml")
    (stage / "setup.py").write_text(_SETUP_PY)


if _find_setuptools():
    from setuptools import build_meta as _bm

    def get_requires_for_build_wheel(config_settings=None):
        return _missing(["setuptools>=61", "wheel"])

    def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
        wheel_directory = os.path.abspath(wheel_directory)
        with tempfile.TemporaryDirectory(prefix="dlnsgd-build-") as tmp:
            library = build_library(Path(tmp) / "cmake")
            stage = Path(tmp) / "stage"
            stage.mkdir()
            _stage(stage, library)
            here = os.getcwd()
            os.chdir(stage)
            try:
                return _bm.build_wheel(wheel_directory, config_settings)
            finally:
                os.chdir(here)

else:
    # Let pip install setuptools and wheel into the isolated environment
    # (needs an index); it then runs the hooks again in a fresh process.
    def get_requires_for_build_wheel(config_settings=None):
        return ["setuptools>=61", "wheel"]

    def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
        raise RuntimeError("dlnsgd build: setuptools is not installed")
