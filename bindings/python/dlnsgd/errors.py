"""DlnError: a non-zero status of the C library as a Python exception."""
from . import _lib


class DlnError(Exception):
    """A C call returned a status other than DLN_OK.

    Attributes:
        status:      the int status (a negative DLN_ERR_* value)
        name:        ``dln_status_name(status)``, e.g. ``"DLN_ERR_NOT_FINITE"``
        message:     ``dln_last_error(handle)`` right after the failing call
                     (for calls without a handle, the library's static text)
        description: ``dln_status_string(status)``
        function:    the C function that failed
    """

    def __init__(self, status, name, message, description="", function=""):
        self.status = int(status)
        self.name = name
        self.message = message
        self.description = description
        self.function = function
        super().__init__(status, name, message)

    def __str__(self):
        where = f"{self.function}: " if self.function else ""
        detail = self.message or self.description
        return f"{where}{self.name} ({self.status}): {detail}"


def check(status, handle, function, message=None):
    """Raise DlnError for a non-zero status; ``handle`` may be None, and
    ``message`` replaces dln_last_error(handle) for the *_ex calls."""
    if status == 0:
        return
    lib = _lib.lib()
    raise DlnError(
        status,
        _lib.text(lib.dln_status_name(status)),
        message if message is not None else _lib.text(lib.dln_last_error(handle)),
        _lib.text(lib.dln_status_string(status)),
        function,
    )
