"""Showing ``modelkit.progress`` events: rich bars on a terminal, plain lines elsewhere.

Plain mode is for CI logs and pipes: no colour, no carriage returns, no cursor movement —
one line when a task first appears, then one each time it crosses another 10 %, and one
when it completes. Everything goes to stderr so that stdout stays for results (``--json``).
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Any, TextIO

from modelkit import humanize
from modelkit.cli.options import ProgressChoice as ProgressMode

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress

    from modelkit.progress import Event, Progress


def _amount(completed: int, total: int | None, unit: str) -> str:
    if unit == "files":
        return f"{completed}/{total} files" if total else f"{completed} files"
    if total:
        return f"{humanize.size(completed)} / {humanize.size(total)}"
    return humanize.size(completed)


class _View:
    """What both views do with an event: one at a time (downloads report from several threads),
    a status shown once however often it repeats, a counter's note on a line of its own."""

    def __init__(self) -> None:
        self.last_status: str | None = None
        self.lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self.lock:
            self._show(event)

    def _show(self, event: Event) -> None:
        from modelkit.progress import Status

        if isinstance(event, Status):
            if event.text != self.last_status:
                self._status(event.text)
                self.last_status = event.text
            return
        self.last_status = None
        if event.note:
            self._line(f"{event.label}: {event.note}")
        self._counter(event)

    def _status(self, text: str) -> None:
        self._line(text)

    def _line(self, text: str) -> None:
        raise NotImplementedError

    def _counter(self, event: Progress) -> None:
        raise NotImplementedError

    def __enter__(self) -> _View:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class PlainProgress(_View):
    """Throttled plain lines: ``pulling b179c9523d0e  40%  39 MB / 98 MB``."""

    def __init__(self, stream: TextIO | None = None, step: float = 0.10):
        super().__init__()
        self.stream = stream or sys.stderr
        self.step = step
        self.printed: dict[str, int] = {}

    def _counter(self, event: Progress) -> None:
        frac = event.fraction
        if frac is None:
            bucket = -1
        elif frac >= 1.0:
            bucket = 10**6  # done
        else:
            bucket = int(frac / self.step)
        previous = self.printed.get(event.key)
        if previous is not None and bucket <= previous:
            return
        self.printed[event.key] = bucket
        pct = f"{frac:4.0%}" if frac is not None else "   ?"
        self._line(f"{event.label}  {pct}  {_amount(event.completed, event.total, event.unit)}")

    def _line(self, text: str) -> None:
        self.stream.write(" ".join(text.split()) + "\n")
        self.stream.flush()


class BarsProgress(_View):
    """One rich bar per task (layer or file). A status line that follows bars ("verifying sha256
    digest") ends that group of bars first, so the terminal reads top to bottom in order."""

    def __init__(self) -> None:
        from modelkit.cli.output import err_console

        super().__init__()
        self.console = err_console
        self.progress: RichProgress | None = None
        self.tasks: dict[str, Any] = {}

    def _new_progress(self) -> RichProgress:
        from rich.progress import (BarColumn, Progress, ProgressColumn, TaskProgressColumn, TextColumn,
                                   TimeRemainingColumn, TransferSpeedColumn)
        from rich.text import Text

        class AmountColumn(ProgressColumn):
            def render(self, task: Any) -> Text:
                total = int(task.total) if task.total else None
                return Text(_amount(int(task.completed), total, task.fields.get("unit", "B")))

        class SpeedColumn(TransferSpeedColumn):
            def render(self, task: Any) -> Text:
                return super().render(task) if task.fields.get("unit", "B") == "B" else Text("")

        progress = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), AmountColumn(),
                            SpeedColumn(), TimeRemainingColumn(), console=self.console, transient=False)
        progress.start()
        return progress

    def _finish_bars(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
            self.tasks.clear()

    def _line(self, text: str) -> None:
        target = self.progress.console if self.progress is not None else self.console
        target.print(text, markup=False, highlight=False)

    def _status(self, text: str) -> None:
        self._finish_bars()
        self._line(text)

    def _counter(self, event: Progress) -> None:
        if self.progress is None:
            self.progress = self._new_progress()
        task = self.tasks.get(event.key)
        if task is None:
            task = self.tasks[event.key] = self.progress.add_task(event.label, total=event.total,
                                                                  completed=event.completed, unit=event.unit)
        self.progress.update(task, completed=event.completed, total=event.total, description=event.label)

    def __exit__(self, *exc: object) -> None:
        self._finish_bars()


class NoProgress:
    def __call__(self, event: Event) -> None:
        pass

    def __enter__(self) -> NoProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def progress_view(mode: ProgressMode = ProgressMode.auto) -> PlainProgress | BarsProgress | NoProgress:
    """The view for ``mode``; ``auto`` = bars when stderr is a terminal, plain lines otherwise."""
    if mode == ProgressMode.auto:
        from modelkit.cli.output import err_console

        mode = ProgressMode.bars if err_console.is_terminal else ProgressMode.plain
    if mode == ProgressMode.bars:
        return BarsProgress()
    if mode == ProgressMode.plain:
        return PlainProgress()
    return NoProgress()
