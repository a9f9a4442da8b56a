"""The console channel's outbox stream: where the demo's stand-in for SMS and email writes message bodies.

Bodies hold caller questions, names and supervisor answers, so they never go to the application log:
the logger `frontdesk.console_outbox` stands outside the logging hierarchy (no parent, so nothing a
library or `logging.config` does to the root or `frontdesk` loggers can route it there). It has its
own handler writing to `CONSOLE_OUTBOX_FILE` when set, else to standard error, every line marked
`console-outbox`.
"""

from __future__ import annotations

import logging
import sys
import threading

NAME = "frontdesk.console_outbox"
FORMAT = "%(asctime)s console-outbox: %(message)s"
_lock = threading.Lock()
_logger: logging.Logger | None = None


def outbox_logger(path: str = "") -> logging.Logger:
    """The outbox logger, made once per process (the first caller's `path` wins)."""
    global _logger
    with _lock:
        if _logger is None:
            log = logging.Logger(NAME, logging.INFO)  # not logging.getLogger: no parent, never propagates
            handler: logging.Handler = (logging.FileHandler(path, encoding="utf-8") if path
                                        else logging.StreamHandler(sys.stderr))
            handler.setFormatter(logging.Formatter(FORMAT))
            log.addHandler(handler)
            _logger = log
        return _logger
