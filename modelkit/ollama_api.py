"""The one module that talks to an Ollama server.

Everything goes through the official ``ollama`` client (``ollama.Client``). Where the
client has no method for an endpoint (``/api/version``, ``HEAD /api/blobs``, the full
``/api/show`` document, a blob upload with progress), we use the client's own transport
(``Client._request_raw``) so that host parsing, headers and error mapping stay the
client's. Every client error is turned into a ``ModelkitError`` here and nowhere else.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import httpx
import ollama

from modelkit.errors import ModelNotFound, ServerError, ServerUnreachable
from modelkit.hosts import resolve_host

T = TypeVar("T")

#: Connecting must be quick; a generation or a big upload may take as long as it takes.
DEFAULT_TIMEOUT = httpx.Timeout(None, connect=10.0)
UPLOAD_CHUNK = 4 * 1024 * 1024


class Ollama:
    """A thin, error-translating wrapper around ``ollama.Client`` for one host."""

    def __init__(self, host: str | None = None, *, timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT):
        self.host = resolve_host(host)
        extra: dict[str, Any] = {}
        if self.host.startswith("http://"):
            # No TLS on a plain-http host: skip loading the CA bundle (~50 ms of every command).
            extra["verify"] = False
        self.client = ollama.Client(host=self.host, timeout=timeout, **extra)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Ollama:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- error translation -------------------------------------------------------------

    @contextlib.contextmanager
    def errors(self, model: str | None = None) -> Iterator[None]:
        """Turn the client's and httpx's exceptions into modelkit errors."""
        try:
            yield
        except ollama.ResponseError as e:
            if e.status_code == 404 and model is not None and "not found" in str(e.error):
                raise ModelNotFound(model, self.host) from None
            raise ServerError(f"{self.host}: {e.error}", status_code=e.status_code) from None
        except (ConnectionError, httpx.ConnectError, httpx.ConnectTimeout) as e:
            raise ServerUnreachable(self.host, _reason(e)) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as e:
            raise ServerError(
                f"connection to {self.host} lost: {_reason(e)}",
                hint="the server may have stopped or crashed; check its log",
            ) from None
        except httpx.TimeoutException as e:
            raise ServerError(f"{self.host} did not answer in time: {_reason(e)}") from None

    def _stream(self, it_factory: Callable[[], Iterable[T]], model: str | None = None) -> Iterator[T]:
        with self.errors(model):
            yield from it_factory()

    def _raw(self, method: str, path: str, model: str | None = None, **kwargs: Any) -> httpx.Response:
        with self.errors(model):
            return self.client._request_raw(method, path, **kwargs)

    # -- read side -----------------------------------------------------------------------

    def version(self) -> str:
        return str(self._raw("GET", "/api/version").json().get("version", ""))

    def list(self) -> list[ollama.ListResponse.Model]:
        with self.errors():
            return list(self.client.list().models)

    def ps(self) -> list[ollama.ProcessResponse.Model]:
        with self.errors():
            return list(self.client.ps().models)

    def show(self, model: str, *, verbose: bool = False) -> dict[str, Any]:
        """The whole ``/api/show`` document (the typed client response drops system, messages…)."""
        body: dict[str, Any] = {"model": model}
        if verbose:
            body["verbose"] = True
        return self._raw("POST", "/api/show", model=model, json=body).json()

    def exists(self, model: str) -> bool:
        try:
            self.show(model)
        except ModelNotFound:
            return False
        return True

    # -- models --------------------------------------------------------------------------

    def delete(self, model: str) -> None:
        with self.errors(model):
            self.client.delete(model)

    def copy(self, source: str, destination: str) -> None:
        with self.errors(source):
            self.client.copy(source, destination)

    def pull(self, model: str, *, insecure: bool = False) -> Iterator[ollama.ProgressResponse]:
        return self._stream(lambda: self.client.pull(model, insecure=insecure, stream=True), model)

    def push(self, model: str, *, insecure: bool = False) -> Iterator[ollama.ProgressResponse]:
        return self._stream(lambda: self.client.push(model, insecure=insecure, stream=True), model)

    def create(self, model: str, **fields: Any) -> Iterator[ollama.ProgressResponse]:
        """Stream ``/api/create``; ``fields`` are the client's: from_, files, adapters, template…"""
        return self._stream(lambda: self.client.create(model, stream=True, **fields))

    # -- blobs ---------------------------------------------------------------------------

    def has_blob(self, digest: str) -> bool:
        try:
            self._raw("HEAD", f"/api/blobs/{digest}")
        except ServerError as e:
            if e.status_code == 404:
                return False
            raise
        return True

    def upload_blob(self, path: str | os.PathLike[str], digest: str, progress: Callable[[int], None] | None = None) -> None:
        """Upload ``path`` as blob ``digest`` (the server checks the digest), reporting bytes sent."""

        def chunks() -> Iterator[bytes]:
            with open(path, "rb") as f:
                while chunk := f.read(UPLOAD_CHUNK):
                    if progress:
                        progress(len(chunk))
                    yield chunk

        headers = {"Content-Length": str(Path(path).stat().st_size)}
        self._raw("POST", f"/api/blobs/{digest}", content=chunks(), headers=headers)

    # -- inference -----------------------------------------------------------------------

    def chat(self, model: str, messages: list[Mapping[str, Any]], *, options: Mapping[str, Any] | None = None,
             keep_alive: float | str | None = None) -> Iterator[ollama.ChatResponse]:
        """Stream a chat; the last chunk (``done``) carries the server's timings."""
        return self._stream(
            lambda: self.client.chat(model=model, messages=messages, options=options, keep_alive=keep_alive, stream=True),
            model,
        )

    def load(self, model: str, *, keep_alive: float | str | None = None) -> ollama.GenerateResponse:
        """Load a model without generating (an empty generate request)."""
        with self.errors(model):
            return self.client.generate(model=model, keep_alive=keep_alive)

    def unload(self, model: str, *, wait: float = 30.0) -> None:
        """Unload a model (``keep_alive: 0`` with no prompt) and wait until ``/api/ps`` no longer
        lists it: the server answers before the runner has actually let go of it."""
        import time

        with self.errors(model):
            self.client.generate(model=model, keep_alive=0)
        name = model if ":" in model.rsplit("/", 1)[-1] else f"{model}:latest"
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if all((m.model or m.name) != name for m in self.ps()):
                return
            time.sleep(0.05)


def _reason(e: BaseException) -> str:
    text = str(e) or type(e).__name__
    if "Failed to connect to Ollama" in text:
        return "connection refused"
    return " ".join(text.split())
