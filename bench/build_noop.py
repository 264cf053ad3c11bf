"""A no-op `modelkit build` of the whole shipped project vs `ollama create -f` of one Modelfile.

    .venv/bin/python bench/build_noop.py [--runs 7] [--project DIR] [--target ID]

Starts its own isolated `ollama serve` (loopback, temp HOME/OLLAMA_MODELS), builds the project
once (cold: uploads, creates), then alternates, --runs times each:

* ``modelkit build`` of every target — nothing changed, so it must skip them all without
  hashing a weight file (the report's stats are checked: 0 hashed, 0 uploaded, 0 created);
* ``ollama create NAME -f Modelfile`` of one rendered target — what a Makefile would do: the
  CLI hashes every local file, asks the server to create, and the server rewrites the model.

Prints the medians and the ratio. Nothing is asserted about speed (shared, noisy machines).
The project is copied to a temp dir so that the repository's modelkit.lock is not touched.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from modelkit.paths import ollama_binary  # noqa: E402
from modelkit.server import LocalServer  # noqa: E402


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return elapsed, done.stdout


def copy_project(src: Path, dst: Path) -> Path:
    """The project without its lock and state; weights referenced by relative path stay reachable."""
    shutil.copytree(src, dst, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "modelkit.lock", ".modelkit", "__pycache__", "*.egg-info", ".pytest_cache"))
    return dst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--project", type=Path, default=ROOT, help="project directory (default: the repository)")
    parser.add_argument("--target", help="target to render for `ollama create -f` (default: the first)")
    args = parser.parse_args()

    modelkit = str(Path(sys.executable).with_name("modelkit"))
    ollama = ollama_binary()
    if not ollama:
        raise SystemExit("ollama not installed: run scripts/install-ollama.sh")
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        project = copy_project(args.project.resolve(), tmp / "project")
        with LocalServer(models_dir=tmp / "models", home=tmp / "home", log_path=tmp / "serve.log") as server:
            env = {**os.environ, "OLLAMA_HOST": server.url, "NO_COLOR": "1"}
            cold, out = timed([modelkit, "build", "--json", "--progress", "none"], env, project)
            report = json.loads(out)
            targets = report["targets"]
            print(f"server {server.url} (ollama {server.version}); project {args.project} "
                  f"({len(targets)} targets)")
            print(f"cold build: {cold:.2f} s, {report['stats']['uploaded_blobs']} blob(s) uploaded, "
                  f"{report['stats']['creates']} create(s)")

            from modelkit.project import load_project

            resolved = load_project(project).resolve()
            one = next((t for t in resolved if t.id == args.target), resolved[0]) if args.target else resolved[0]
            modelfile = Path(one.base_dir) / f".build-noop-{os.getpid()}.Modelfile"
            modelfile.write_text(one.modelfile_text)
            try:
                noop, create = [], []
                for _ in range(args.runs):
                    t, out = timed([modelkit, "build", "--json", "--progress", "none"], env, project)
                    stats = json.loads(out)["stats"]
                    if stats["hashed_files"] or stats["uploaded_blobs"] or stats["creates"]:
                        raise SystemExit(f"the no-op build did work: {stats}")
                    noop.append(t)
                    t, _ = timed([ollama, "create", one.name, "-f", str(modelfile)], env, project)
                    create.append(t)
            finally:
                modelfile.unlink(missing_ok=True)
    m_noop, m_create = statistics.median(noop), statistics.median(create)
    print(f"modelkit build (no-op, {len(targets)} targets): median {m_noop * 1000:.0f} ms "
          f"(min {min(noop) * 1000:.0f}, max {max(noop) * 1000:.0f}; {args.runs} runs)")
    print(f"ollama create -f ({one.id} → {one.name}): median {m_create * 1000:.0f} ms "
          f"(min {min(create) * 1000:.0f}, max {max(create) * 1000:.0f}; {args.runs} runs)")
    print(f"ratio modelkit/ollama: {m_noop / m_create:.2f}")


if __name__ == "__main__":
    main()
