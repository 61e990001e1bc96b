"""PEP 517 build backend shim: setuptools, found without a download.

pip builds in an isolated environment that hides the interpreter's own
site-packages, so with ``requires = ["setuptools"]`` an offline
``pip install`` fails trying to fetch setuptools. This shim declares no
static requirement and, when setuptools is not importable in the isolated
environment, appends the interpreter's site directories (where Debian's
python3-setuptools lives) to ``sys.path``. Of what setuptools then asks
for (``wheel``), only what cannot be imported that way is passed on to pip;
if setuptools itself is missing, pip is asked for it through the same
dynamic-requirements hooks. Every build hook is setuptools' own.
"""
import site
import sys


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
    here, system site directories included: only those are left for pip to
    install."""
    import importlib.util
    import re

    out = []
    for req in requirements:
        name = re.split(r"[^A-Za-z0-9_.-]", req.strip(), maxsplit=1)[0]
        if not name or importlib.util.find_spec(name.replace("-", "_")) is None:
            out.append(req)
    return out


if _find_setuptools():
    from setuptools import build_meta as _bm
    from setuptools.build_meta import *  # noqa: F401,F403

    def get_requires_for_build_wheel(config_settings=None):
        return _missing(_bm.get_requires_for_build_wheel(config_settings))

    def get_requires_for_build_sdist(config_settings=None):
        return _missing(_bm.get_requires_for_build_sdist(config_settings))

    if hasattr(_bm, "get_requires_for_build_editable"):

        def get_requires_for_build_editable(config_settings=None):
            return _missing(_bm.get_requires_for_build_editable(config_settings))

else:
    # Let pip install setuptools into the isolated environment (needs an
    # index); it then runs the hooks below again in a fresh process.
    def get_requires_for_build_wheel(config_settings=None):
        return ["setuptools>=61", "wheel"]

    def get_requires_for_build_sdist(config_settings=None):
        return ["setuptools>=61"]

    def get_requires_for_build_editable(config_settings=None):
        return ["setuptools>=64", "wheel"]

    def __getattr__(name):  # pragma: no cover - only without setuptools
        import setuptools.build_meta as _bm

        return getattr(_bm, name)
