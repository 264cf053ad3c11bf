"""The one module that talks to Hugging Face (through ``huggingface_hub``, imported lazily).

References are ``hf://owner/repo[@revision][/file-or-glob]`` (``modelkit.hf_refs``).

Files land in huggingface_hub's own cache, so every tool that uses it shares them. The
environment is read when a function is called, not when the library was imported:
``HF_ENDPOINT``, ``HF_HOME`` / ``HF_HUB_CACHE``, ``HF_HUB_OFFLINE`` (only the cache is used;
a cold cache is a clear error), ``HF_TOKEN``.

``resolve_hf(ref)`` is what the build calls: the local path of the file, or of the snapshot
directory, downloading what is missing. ``download(ref)`` does the same and says more.

(Ollama's own ``hf.co/owner/repo[:quant]`` names are not handled here: the server pulls those.)
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from modelkit.errors import ModelkitError, UsageError
from modelkit.hf_progress import bar_class
from modelkit.hf_refs import SCHEME, HFRef, is_hf_ref
from modelkit.progress import Progress, ProgressCallback, Status, ignore

__all__ = ["DEFAULT_ENDPOINT", "DEFAULT_REPO_PATTERNS", "SCHEME", "HFDownload", "HFRef", "HubSettings", "download",
           "is_hf_ref", "resolve_hf"]

DEFAULT_ENDPOINT = "https://huggingface.co"
#: What ``hf://owner/repo`` fetches unless told otherwise: what Ollama imports from a safetensors dir.
DEFAULT_REPO_PATTERNS = ("*.safetensors", "*.json", "tokenizer.model")
_TRUE = {"1", "ON", "YES", "TRUE"}


class HFDownload(BaseModel):
    """Where a reference landed."""

    ref: str
    repo_id: str
    revision: str  #: as asked ("main" by default)
    commit: str | None  #: the commit it resolved to
    path: str  #: the file, or the snapshot directory
    files: list[str]  #: paths inside the repo that are now local
    size: int  #: bytes of those files
    endpoint: str
    cache_dir: str
    offline: bool


@dataclass(frozen=True)
class HubSettings:
    endpoint: str
    cache_dir: Path
    offline: bool

    @classmethod
    def from_env(cls) -> HubSettings:
        env = os.environ
        home = env.get("HF_HOME") or os.path.join(env.get("XDG_CACHE_HOME") or "~/.cache", "huggingface")
        cache = env.get("HF_HUB_CACHE") or env.get("HUGGINGFACE_HUB_CACHE") or os.path.join(home, "hub")
        offline = (env.get("HF_HUB_OFFLINE") or env.get("TRANSFORMERS_OFFLINE") or "").upper() in _TRUE
        endpoint = (env.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
        return cls(endpoint, Path(os.path.expandvars(os.path.expanduser(cache))), offline)


def resolve_hf(ref: str, *, include: Sequence[str] | None = None, exclude: Sequence[str] | None = None,
               revision: str | None = None) -> Path:
    """Local path of ``ref`` (a file, or a snapshot directory), downloading what the cache lacks.

    Raises ``ModelkitError`` (one line and a hint) for unknown repositories, revisions or files,
    an unreachable endpoint, and — with ``HF_HUB_OFFLINE`` set — anything the cache does not hold.
    """
    return Path(download(ref, include=include, exclude=exclude, revision=revision).path)


def download(ref: str, *, include: Sequence[str] | None = None, exclude: Sequence[str] | None = None,
             revision: str | None = None, on_progress: ProgressCallback = ignore) -> HFDownload:
    parsed = HFRef.parse(ref)
    if revision:
        parsed = HFRef(parsed.repo_id, parsed.path, revision)
    if parsed.path is not None and not parsed.is_glob and (include or exclude):
        raise UsageError(f"--include/--exclude apply to a repository, not to the single file {parsed}",
                         hint=f"write hf://{parsed.repo_id} with --include '{parsed.path}'")
    settings = HubSettings.from_env()
    _sync_offline_flag(settings.offline)
    try:
        if parsed.path is None:
            result = _snapshot(parsed, settings, list(include or DEFAULT_REPO_PATTERNS), list(exclude or []) or None,
                               on_progress)
        else:
            if parsed.is_glob:
                parsed = HFRef(parsed.repo_id, _match_one(parsed, settings, exclude), parsed.revision)
            result = _file(parsed, settings, on_progress)
    except ModelkitError:
        raise
    except Exception as e:  # huggingface_hub and httpx errors → one line
        raise _explain(e, parsed, settings) from None
    from modelkit.humanize import size

    files = f"{len(result.files)} file{'s' if len(result.files) != 1 else ''}"
    offline = ", offline" if settings.offline else ""
    on_progress(Status(f"{result.ref}: {files}, {size(result.size)} at commit {(result.commit or '?')[:12]} "
                       f"in {result.cache_dir}{offline}"))
    return result


# -- the two kinds of download ----------------------------------------------------------------


def _file(ref: HFRef, s: HubSettings, on_progress: ProgressCallback) -> HFDownload:
    from huggingface_hub import hf_hub_download

    assert ref.path is not None
    local = hf_hub_download(ref.repo_id, ref.path, revision=ref.revision, cache_dir=s.cache_dir,
                            endpoint=s.endpoint, local_files_only=s.offline,
                            tqdm_class=bar_class(on_progress, ref.path))
    path = Path(str(local))
    size = path.stat().st_size
    on_progress(Progress(key=ref.path, label=ref.path, completed=size, total=size))
    return HFDownload(ref=str(ref), repo_id=ref.repo_id, revision=ref.revision or "main", commit=_commit_of(path),
                      path=str(path), files=[ref.path], size=size, endpoint=s.endpoint, cache_dir=str(s.cache_dir),
                      offline=s.offline)


def _snapshot(ref: HFRef, s: HubSettings, include: list[str], exclude: list[str] | None,
              on_progress: ProgressCallback) -> HFDownload:
    from huggingface_hub import snapshot_download

    folder = Path(snapshot_download(ref.repo_id, revision=ref.revision, cache_dir=s.cache_dir, endpoint=s.endpoint,
                                    local_files_only=s.offline, allow_patterns=include, ignore_patterns=exclude,
                                    max_workers=4, tqdm_class=bar_class(on_progress, ref.repo_id)))
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
    files = [f for f in files if _wanted(f, include, exclude)]
    if not files:
        raise ModelkitError(f"no file of {ref} matches include {include}" + (f" / exclude {exclude}" if exclude else ""),
                            hint="list the repository's files on the Hub and adjust --include / --exclude "
                                 "(--include '*' takes everything)")
    return HFDownload(ref=str(ref), repo_id=ref.repo_id, revision=ref.revision or "main", commit=folder.name,
                      path=str(folder), files=files, size=sum((folder / f).stat().st_size for f in files),
                      endpoint=s.endpoint, cache_dir=str(s.cache_dir), offline=s.offline)


def _match_one(ref: HFRef, s: HubSettings, exclude: Sequence[str] | None) -> str:
    """The one file of the repo that the glob in ``ref.path`` names."""
    assert ref.path is not None
    if s.offline:
        names = _cached_files(ref, s)
    else:
        from huggingface_hub import HfApi

        names = HfApi(endpoint=s.endpoint).list_repo_files(ref.repo_id, revision=ref.revision)
    if s.offline and not names:
        from huggingface_hub.errors import LocalEntryNotFoundError

        raise LocalEntryNotFoundError(f"no cached snapshot of {ref.repo_id}")
    matches = [n for n in names if _wanted(n, [ref.path], exclude)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        where = " in the local cache (HF_HUB_OFFLINE is set)" if s.offline else ""
        raise ModelkitError(f"no file of hf://{ref.repo_id} matches '{ref.path}'{where}",
                            hint="check the pattern against the repository's files; patterns are case-sensitive")
    shown = ", ".join(matches[:5]) + (f", … ({len(matches) - 5} more)" if len(matches) > 5 else "")
    raise UsageError(f"'{ref.path}' matches {len(matches)} files of hf://{ref.repo_id}: {shown}",
                     hint="make the pattern name one file, or use hf://owner/repo with --include for several")


def _cached_files(ref: HFRef, s: HubSettings) -> list[str]:
    storage = s.cache_dir / f"models--{ref.repo_id.replace('/', '--')}"
    rev = ref.revision or "main"
    commit = rev
    ref_file = storage / "refs" / rev
    if ref_file.is_file():
        commit = ref_file.read_text().strip()
    folder = storage / "snapshots" / commit
    if not folder.is_dir():
        return []
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _wanted(path: str, include: Sequence[str] | None, exclude: Sequence[str] | None) -> bool:
    if include and not any(fnmatch.fnmatchcase(path, p) for p in include):
        return False
    return not (exclude and any(fnmatch.fnmatchcase(path, p) for p in exclude))


def _commit_of(path: Path) -> str | None:
    parts = path.parts
    if "snapshots" in parts:
        i = len(parts) - 1 - parts[::-1].index("snapshots")
        if i + 1 < len(parts):
            return parts[i + 1]
    return None


def _sync_offline_flag(offline: bool) -> None:
    """huggingface_hub reads HF_HUB_OFFLINE once, at import; honour the value it has now."""
    from huggingface_hub import constants

    constants.HF_HUB_OFFLINE = offline



# -- errors ----------------------------------------------------------------------------------------


def _explain(e: Exception, ref: HFRef, s: HubSettings) -> ModelkitError:
    from huggingface_hub import errors as hf

    rev = ref.revision or "main"
    login = "private and gated repositories need a token: set HF_TOKEN or run `hf auth login`"
    if isinstance(e, hf.GatedRepoError):
        return ModelkitError(f"hf://{ref.repo_id} is gated at {s.endpoint}", hint=f"accept its terms on the Hub; {login}")
    if isinstance(e, hf.RepositoryNotFoundError):
        return ModelkitError(f"Hugging Face repository '{ref.repo_id}' not found at {s.endpoint}",
                             hint=f"check the owner and name; {login}")
    if isinstance(e, hf.RevisionNotFoundError):
        return ModelkitError(f"revision '{rev}' not found in hf://{ref.repo_id}",
                             hint="use a branch, tag or commit that exists; the default is main")
    if isinstance(e, hf.RemoteEntryNotFoundError):
        return ModelkitError(f"file '{ref.path}' not found in hf://{ref.repo_id} at revision {rev}",
                             hint=f"check the path (case-sensitive); a glob such as hf://{ref.repo_id}/*Q4_K_M.gguf "
                                  "picks one file")
    if isinstance(e, hf.LocalEntryNotFoundError):  # also IncompleteSnapshotError
        incomplete = isinstance(e, hf.IncompleteSnapshotError)
        what = "only partly in" if incomplete else "not in"
        if s.offline:
            return ModelkitError(
                f"{ref} is {what} the Hugging Face cache at {s.cache_dir} and HF_HUB_OFFLINE is set",
                hint=f"run `modelkit pull {ref}` once with network access, point HF_HOME at a cache that has it, "
                     "or unset HF_HUB_OFFLINE")
        cause = e.__cause__ or e.__context__
        reason = _short(cause) if cause is not None else _short(e)
        return ModelkitError(f"cannot reach Hugging Face at {s.endpoint} and {ref} is {what} the cache: {reason}",
                             hint="check the network and HF_ENDPOINT; with HF_HUB_OFFLINE=1 only the cache is used")
    if isinstance(e, hf.OfflineModeIsEnabled):
        return ModelkitError(f"{ref} needs the network but HF_HUB_OFFLINE is set",
                             hint=f"unset HF_HUB_OFFLINE, or fill the cache first with `modelkit pull {ref}`")
    if isinstance(e, hf.HfHubHTTPError):
        status = getattr(getattr(e, "response", None), "status_code", "?")
        return ModelkitError(f"Hugging Face at {s.endpoint} answered {status} for {ref}: {_short(e)}",
                             hint="try again later; set HF_TOKEN if the repository is private")
    if isinstance(e, hf.HFValidationError):
        return UsageError(f"invalid Hugging Face reference {ref}: {_short(e)}")
    if _is_connect_error(e):
        return ModelkitError(f"cannot reach Hugging Face at {s.endpoint}: {_short(e)}",
                             hint="check the network and HF_ENDPOINT; with HF_HUB_OFFLINE=1 only the cache is used")
    if isinstance(e, OSError) and "Consistency check failed" in str(e):
        return ModelkitError(f"the download of {ref} was cut short: {_short(e)}",
                             hint="run the same command again")
    return ModelkitError(f"download of {ref} failed: {type(e).__name__}: {_short(e)}")


def _is_connect_error(e: BaseException) -> bool:
    names = {c.__name__ for c in type(e).__mro__}
    return bool(names & {"ConnectError", "ConnectTimeout", "TimeoutException", "ConnectionError", "NetworkError"})


def _short(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text if len(text) <= 240 else text[:237] + "..."
