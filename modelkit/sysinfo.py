"""What the machine has: CPU, SIMD features, memory, GPUs. Recorded with every benchmark."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess

import psutil
from pydantic import BaseModel

SIMD_FLAGS = ("avx", "avx2", "avx512f", "avx_vnni", "fma", "f16c", "neon", "asimd")


class GPU(BaseModel):
    name: str
    memory_bytes: int | None = None
    vendor: str


class MachineInfo(BaseModel):
    os: str
    arch: str
    cpu_model: str
    cpu_logical: int
    cpu_physical: int | None
    simd: list[str]
    memory_bytes: int
    gpus: list[GPU]

    @property
    def summary(self) -> str:
        gpu = ", ".join(g.name for g in self.gpus) or "no GPU"
        mem = self.memory_bytes / 2**30
        simd = "/".join(self.simd) or "baseline SIMD"
        return f"{self.cpu_model} ({self.cpu_logical} threads, {simd}), {mem:.0f} GiB RAM, {gpu}"


def _cpuinfo() -> tuple[str, set[str]]:
    model, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key in ("model name", "Model", "Hardware") and model in ("", platform.machine()):
                    model = value.strip()
                elif key in ("flags", "Features") and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    return model, flags


def _nvidia() -> list[GPU]:
    if not shutil.which("nvidia-smi"):
        return []
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    gpus = []
    for line in out.strip().splitlines():
        name, _, mem = line.partition(",")
        mib = mem.strip()
        gpus.append(GPU(name=name.strip(), vendor="nvidia", memory_bytes=int(mib) * 2**20 if mib.isdigit() else None))
    return gpus


def _amd() -> list[GPU]:
    if not os.path.exists("/dev/kfd"):
        return []
    return [GPU(name="AMD GPU (ROCm /dev/kfd present)", vendor="amd")]


def machine_info() -> MachineInfo:
    model, flags = _cpuinfo()
    return MachineInfo(
        os=f"{platform.system()} {platform.release()}",
        arch=platform.machine(),
        cpu_model=model,
        cpu_logical=psutil.cpu_count(logical=True) or os.cpu_count() or 1,
        cpu_physical=psutil.cpu_count(logical=False),
        simd=[f for f in SIMD_FLAGS if f in flags],
        memory_bytes=psutil.virtual_memory().total,
        gpus=_nvidia() + _amd(),
    )
