"""``hf://`` references (no Hugging Face import): ``HFRef.parse`` splits one into repository,
path (a file or a glob; none = the whole repository) and revision::

    hf://owner/repo/path/in/repo/model.Q4_K_M.gguf   one file
    hf://owner/repo/*Q4_K_M.gguf                       the one file that matches a glob
    hf://owner/repo                                    a (safetensors) repository snapshot
    hf://owner/repo@v1.0/...                           at a revision (branch, tag or commit)

Downloading them is ``modelkit.hub``'s job.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelkit.errors import UsageError

SCHEME = "hf://"
_GLOB = set("*?[")


def is_hf_ref(ref: str) -> bool:
    return ref.startswith(SCHEME)


@dataclass(frozen=True)
class HFRef:
    repo_id: str
    path: str | None = None  #: a file in the repo (or a glob); None = the whole repo
    revision: str | None = None

    @classmethod
    def parse(cls, ref: str) -> HFRef:
        if not is_hf_ref(ref):
            raise UsageError(f"not a Hugging Face reference: '{ref}'", hint="write hf://owner/repo[/file]")
        parts = ref[len(SCHEME):].strip("/").split("/")
        if len(parts) < 2 or not all(parts[:2]):
            raise UsageError(f"'{ref}' needs an owner and a repository",
                             hint="write hf://owner/repo for a repository or hf://owner/repo/file.gguf for one file")
        owner, repo = parts[0], parts[1]
        revision = None
        if "@" in repo:
            repo, revision = repo.split("@", 1)
            if not revision:
                raise UsageError(f"'{ref}' has an empty revision after '@'")
        path = "/".join(parts[2:]) or None
        if path is not None and any(p in ("", ".", "..") for p in parts[2:]):
            raise UsageError(f"'{ref}' has an empty or relative path segment")
        return cls(f"{owner}/{repo}", path, revision)

    @property
    def is_glob(self) -> bool:
        return self.path is not None and bool(_GLOB & set(self.path))

    def __str__(self) -> str:
        rev = f"@{self.revision}" if self.revision else ""
        return f"{SCHEME}{self.repo_id}{rev}" + (f"/{self.path}" if self.path else "")
