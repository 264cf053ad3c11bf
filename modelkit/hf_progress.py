"""A tqdm stand-in for huggingface_hub's ``tqdm_class``: it draws nothing and reports
``modelkit.progress.Progress`` events to a callback (``modelkit.cli.progress`` shows them).
"""

from __future__ import annotations

import threading
from typing import Any

from modelkit.progress import Progress, ProgressCallback


def bar_class(on_progress: ProgressCallback, default_label: str) -> type:
    """A class huggingface_hub can use as ``tqdm_class``: it draws nothing and reports ``Progress``."""

    lock = threading.Lock()

    class Bar:
        def __init__(self, iterable: Any = None, *args: Any, desc: str | None = None, total: float | None = None,
                     initial: float = 0, unit: str = "it", **kwargs: Any):
            self.iterable = iterable
            self.desc = desc or ""
            self.total = total
            self.n = initial or 0
            self.format_dict: dict[str, Any] = {"rate": None}
            self.key: str | None
            if self.desc.startswith("Downloading bytes"):
                self.key = None  # network-bytes twin of the reconstruction bar
            elif self.desc.startswith("Fetching"):
                self.key, self.label, self.unit = "files", f"{default_label} (files)", "files"
            elif self.desc.startswith("Reconstruct"):
                self.key, self.label, self.unit = "bytes", f"{default_label} (bytes)", "B"
            else:
                self.key, self.label, self.unit = default_label, default_label, "B" if unit == "B" else "files"
            self._emit()

        def _emit(self) -> None:
            if self.key is not None and (self.total or self.n):
                total = int(self.total) if self.total else None
                on_progress(Progress(key=self.key, label=self.label, completed=int(self.n), total=total,
                                     unit=self.unit))

        def update(self, n: float | None = 1) -> None:
            with lock:
                self.n += n or 0
            self._emit()

        def __iter__(self) -> Any:
            for item in self.iterable or ():
                yield item
                self.update(1)

        def __enter__(self) -> Bar:
            return self

        def __exit__(self, *exc: object) -> None:
            self.close()

        def close(self) -> None:
            self._emit()

        def refresh(self, *args: Any, **kwargs: Any) -> None:
            self._emit()

        def reset(self, total: float | None = None) -> None:
            self.n = 0
            if total is not None:
                self.total = total

        def set_description(self, *args: Any, **kwargs: Any) -> None: ...
        def set_description_str(self, *args: Any, **kwargs: Any) -> None: ...
        def set_postfix(self, *args: Any, **kwargs: Any) -> None: ...
        def set_postfix_str(self, *args: Any, **kwargs: Any) -> None: ...
        def clear(self, *args: Any, **kwargs: Any) -> None: ...
        def display(self, *args: Any, **kwargs: Any) -> None: ...

    return Bar
