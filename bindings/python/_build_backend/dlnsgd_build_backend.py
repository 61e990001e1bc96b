"""PEP 517 build backend shim: setuptools, found without a download.

pip builds in an isolated environment that hides the interpreter's own
site-packages, so with ``requires = ["setuptools"]`` an offline
``pip install`` fails trying to fetch setuptools. This shim declares no
static requirement and, when setuptools is not importable in the isolated
environment, appends the interpreter's site directories (where Debian's
python3-setuptools lives) to ``sys.path``. Only if setuptools is still
missing does it ask pip for it through the dynamic-requirements hooks.
It adds nothing else: every hook is setuptools' own.
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


if _find_setuptools():
    from setuptools.build_meta import *  # noqa: F401,F403
    from setuptools.build_meta import (  # noqa: F401
        get_requires_for_build_sdist,
        get_requires_for_build_wheel,
    )
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
