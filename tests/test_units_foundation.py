"""Pure functions of the foundation: host parsing, humanized values, processor split."""

from datetime import datetime, timedelta, timezone

import pytest

from modelkit import humanize
from modelkit.errors import ModelkitError, UsageError
from modelkit.hosts import is_loopback, normalize_host
from modelkit.inventory import RunningModel


@pytest.mark.parametrize(
    "given, url",
    [
        ("", "http://127.0.0.1:11434"),
        ("127.0.0.1:9", "http://127.0.0.1:9"),
        ("0.0.0.0", "http://127.0.0.1:11434"),
        (":5000", "http://127.0.0.1:5000"),
        ("example.com", "http://example.com:11434"),
        ("https://example.com", "https://example.com:443"),
        ("http://example.com/ollama/", "http://example.com:80/ollama"),
        ("[::1]:8080", "http://[::1]:8080"),
    ],
)
def test_normalize_host(given: str, url: str) -> None:
    assert normalize_host(given) == url


def test_is_loopback() -> None:
    assert is_loopback("http://127.0.0.1:1") and is_loopback("http://localhost:1") and is_loopback("http://[::1]:1")
    assert not is_loopback("http://10.0.0.1:1")


def test_humanize() -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert humanize.size(98_362_432) == "98 MB"
    assert humanize.size(1_300_000_000) == "1.3 GB"
    assert humanize.ago(now - timedelta(hours=1), now) == "About an hour ago"
    assert humanize.ago(now - timedelta(days=3), now) == "3 days ago"
    assert humanize.until(now + timedelta(minutes=4, seconds=59), now) == "4 minutes from now"
    assert humanize.until(now - timedelta(seconds=1), now) == "Stopping..."


def test_processor_split() -> None:
    def m(size: int, vram: int) -> RunningModel:
        return RunningModel(name="x", id="x", digest="x", size=size, size_vram=vram)

    assert m(100, 0).processor == "100% CPU"
    assert m(100, 100).processor == "100% GPU"
    assert m(100, 52).processor == "48%/52% CPU/GPU"


def test_error_one_line() -> None:
    e = UsageError("bad\nthing", hint="do\nthis")
    assert e.one_line() == "bad thing (hint: do this)" and e.exit_code == 2
    assert ModelkitError("x").exit_code == 1
