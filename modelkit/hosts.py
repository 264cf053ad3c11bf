"""Ollama host addresses: ``--host`` / ``OLLAMA_HOST`` into a base URL.

Follows the Ollama CLI's rules: scheme defaults to http, host to 127.0.0.1, port to 11434
(80/443 when a scheme is given without a port). Kept free of heavy imports so that the CLI
can name the host in an error without loading the HTTP stack.
"""

from __future__ import annotations

import ipaddress
import os
import urllib.parse

DEFAULT_PORT = 11434


def resolve_host(host: str | None = None) -> str:
    """The base URL of the server to talk to: ``host`` > ``$OLLAMA_HOST`` > local default."""
    return normalize_host(host if host else os.environ.get("OLLAMA_HOST", ""))


def normalize_host(host: str) -> str:
    """``"127.0.0.1:9"`` -> ``"http://127.0.0.1:9"``; ``""`` -> ``"http://127.0.0.1:11434"``."""
    host = host.strip()
    port = DEFAULT_PORT
    scheme, sep, rest = host.partition("://")
    if not sep:
        scheme, rest = "http", host
    elif scheme == "https":
        port = 443
    elif scheme == "http":
        port = 80
    split = urllib.parse.urlsplit(f"{scheme}://{rest}")
    name = split.hostname or "127.0.0.1"
    if name == "0.0.0.0":  # a bind address: talk to it on loopback, as the ollama CLI does
        name = "127.0.0.1"
    try:
        port = split.port or port
    except ValueError:
        pass
    try:
        if isinstance(ipaddress.ip_address(name), ipaddress.IPv6Address):
            name = f"[{name}]"
    except ValueError:
        pass
    path = split.path.strip("/")
    return f"{scheme}://{name}:{port}" + (f"/{path}" if path else "")


def is_loopback(url: str) -> bool:
    name = urllib.parse.urlsplit(url).hostname or ""
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def port_of(url: str) -> int:
    split = urllib.parse.urlsplit(url)
    return split.port or (443 if split.scheme == "https" else 80)
