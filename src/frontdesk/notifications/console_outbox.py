"""The console channel's outbox stream: where the demo's stand-in for SMS and email writes message bodies.

Bodies hold caller questions, names and supervisor answers, so they never go to the application log:
the logger `frontdesk.console_outbox` does not propagate to the root handlers; it has its own handler
writing to `CONSOLE_OUTBOX_FILE` when set, else to standard error with every line marked `console-outbox`.
"""

from __future__ import annotations

import logging
import sys
import threading

LOGGER = "frontdesk.console_outbox"
FORMAT = "%(asctime)s console-outbox: %(message)s"
_lock = threading.Lock()


def outbox_logger(path: str = "") -> logging.Logger:
    """The outbox logger, configured once per process (never part of the application log)."""
    log = logging.getLogger(LOGGER)
    with _lock:
        if not log.handlers:
            handler: logging.Handler = (logging.FileHandler(path, encoding="utf-8") if path
                                        else logging.StreamHandler(sys.stderr))
            handler.setFormatter(logging.Formatter(FORMAT))
            log.addHandler(handler)
            log.setLevel(logging.INFO)
        log.propagate = False
    return log
