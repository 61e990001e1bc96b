"""The package version: the one include/dlnsgd.h states (DLN_VERSION_MAJOR,
_MINOR, _PATCH), read from the header of the source tree this file sits in.
An installed wheel carries this file with the number written out instead
(bindings/python/_build_backend writes it)."""
import re
from pathlib import Path


def _from_header(path=Path(__file__).resolve().parents[3] / "include" / "dlnsgd.h"):
    try:
        text = path.read_text()
    except OSError:
        return "0+unknown"  # neither installed nor in the repository
    parts = [re.search(rf"^#define DLN_VERSION_{p}\s+(\d+)\s*$", text, re.M) for p in ("MAJOR", "MINOR", "PATCH")]
    if not all(parts):
        raise ImportError(f"{path}: no DLN_VERSION_MAJOR/MINOR/PATCH macros")
    return ".".join(m.group(1) for m in parts)


__version__ = _from_header()
