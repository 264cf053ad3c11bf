"""modelkit's exceptions.

Every error a user can cause is a ``ModelkitError``: a one-line message, an optional hint
and the process exit code. The CLI's single error boundary (``modelkit.cli.main``) prints
them as one line; library users catch them like any exception.

Exit codes (product.md): 0 success, 1 failure, 2 bad usage / spec / template, 3 regression.
"""

from __future__ import annotations

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_REGRESSION = 3


class ModelkitError(Exception):
    """A failure with a message meant for the user."""

    exit_code: int = EXIT_FAILURE
    default_hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None, exit_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint
        if exit_code is not None:
            self.exit_code = exit_code

    def one_line(self) -> str:
        """The message and hint on a single line (newlines folded)."""
        text = " ".join(self.message.split())
        if self.hint:
            text += f" (hint: {' '.join(self.hint.split())})"
        return text


class ServerUnreachable(ModelkitError):
    """No Ollama server answers at the host."""

    def __init__(self, host: str, reason: str = "connection refused", hint: str | None = None):
        super().__init__(
            f"cannot reach Ollama at {host}: {reason}",
            hint=hint
            or "start it with `ollama serve` or `modelkit server start`, or point --host / OLLAMA_HOST at a running server",
        )
        self.host = host


class ServerError(ModelkitError):
    """The server answered with an error."""

    def __init__(self, message: str, status_code: int | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.status_code = status_code


class ModelNotFound(ServerError):
    def __init__(self, name: str, host: str):
        super().__init__(
            f"model '{name}' not found on {host}",
            status_code=404,
            hint="`modelkit list` shows the models there; `modelkit pull NAME` fetches one",
        )
        self.name = name


class UsageError(ModelkitError):
    """Bad command-line usage or a bad project file / template (exit 2)."""

    exit_code = EXIT_USAGE


class RegressionFound(ModelkitError):
    """A comparison gate found a regression (exit 3)."""

    exit_code = EXIT_REGRESSION


class OllamaNotInstalled(ModelkitError):
    def __init__(self) -> None:
        super().__init__(
            "the `ollama` binary was not found",
            hint="run scripts/install-ollama.sh, or put ollama on PATH, or set MODELKIT_OLLAMA=/path/to/ollama",
        )
