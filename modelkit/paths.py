"""Where modelkit keeps things outside the project: caches, state, logs.

``MODELKIT_CACHE`` overrides the cache directory (weights, wheels, file digests);
``MODELKIT_STATE`` the state directory (the managed server's pid file and log).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import platformdirs

APP = "modelkit"


def cache_dir() -> Path:
    env = os.environ.get("MODELKIT_CACHE")
    return Path(env).expanduser() if env else Path(platformdirs.user_cache_dir(APP))


def state_dir() -> Path:
    env = os.environ.get("MODELKIT_STATE")
    return Path(env).expanduser() if env else Path(platformdirs.user_state_dir(APP))


def weights_dir() -> Path:
    return cache_dir() / "weights"


def ollama_binary() -> str | None:
    """The ollama binary: ``$MODELKIT_OLLAMA``, else PATH, else where scripts/install-ollama.sh puts it."""
    env = os.environ.get("MODELKIT_OLLAMA")
    if env:
        return env if Path(env).is_file() else None
    found = shutil.which("ollama")
    if found:
        return found
    for candidate in (Path.home() / ".local/bin/ollama", Path.home() / "go/bin/ollama"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None
