"""Logging for the service processes: one line per record, no personal data by design.

Records are handed to a queue and written by a thread, so the event loop never waits on a
slow stdout (a full pipe to a log collector would otherwise stall request handling).
"""

from __future__ import annotations

import atexit
import logging
import queue
import sys
from logging.handlers import QueueHandler, QueueListener

_listener: QueueListener | None = None


def configure_logging(level: str = "INFO") -> None:
    global _listener
    output = logging.StreamHandler(sys.stdout)
    output.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    if _listener is not None:
        _listener.stop()
    _listener = QueueListener(records, output, respect_handler_level=False)
    _listener.start()
    atexit.register(_listener.stop)  # flush what is queued when the process ends
    root = logging.getLogger()
    root.handlers[:] = [QueueHandler(records)]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "uvicorn.access", "faststream.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
