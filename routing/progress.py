"""Progress of long imports: the callback type the pipeline calls, and a text bar."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["ProgressBar", "ProgressCallback"]

#: ``progress(stage, done, total)``: total is None when unknown in advance.
ProgressCallback = Callable[[str, int, int | None], None]


class ProgressBar:
    """A one-line text progress bar, redrawn in place, for long imports."""

    def __init__(self, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.stage = ""
        self.started = time.monotonic()

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if stage != self.stage:
            if self.stage:
                self.stream.write("\n")
            self.stage = stage
            self.started = time.monotonic()
        elapsed = time.monotonic() - self.started
        if total:
            filled = int(self.width * done / total)
            bar = "#" * filled + "-" * (self.width - filled)
            line = f"{stage:<12} [{bar}] {done:>9,}/{total:,}  {elapsed:5.0f} s"
        else:
            line = f"{stage:<12} {done:>9,} ways  {elapsed:5.0f} s"
        self.stream.write("\r" + line)
        self.stream.flush()

    def close(self) -> None:
        if self.stage:
            self.stream.write("\n")
            self.stream.flush()
