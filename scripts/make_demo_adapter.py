#!/usr/bin/env python3
"""Generate adapters/smollm2-demo-lora.gguf: a small, deterministic *demo* LoRA for SmolLM2-135M.

It is not trained: the weights are seeded random numbers, scaled so that the adapted model
still writes text but measurably differently from the base (same seed, different words).
It exists so that the shipped project has an adapter target that exercises the whole path
(lint's compatibility checks, blob upload, ``adapters`` in /api/create, LoRA at load time).

Layout (what llama.cpp loads; see llama-adapter.cpp): ``general.type = adapter``,
``general.architecture = llama``, ``adapter.type = lora``, ``adapter.lora.alpha``; for the
attention q and v projections of each of the 30 blocks, ``blk.N.attn_q.weight.lora_a`` with
ne = [576, rank] and ``…lora_b`` with ne = [rank, n_out] (576 for q, 192 for v), F16.
The effective update is (alpha / rank) · B·A.

    .venv/bin/python scripts/make_demo_adapter.py [--out adapters/smollm2-demo-lora.gguf]
        [--rank 8] [--strength 0.02] [--seed 20250301] [--check BASE.gguf]

Rerunning with the same arguments writes the same bytes (the script prints the SHA-256).
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

HIDDEN = 576  # llama.embedding_length
LAYERS = 30  # llama.block_count
KV_OUT = 192  # head_count_kv (3) × head dim (64)
TARGETS = {"attn_q": HIDDEN, "attn_v": KV_OUT}
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "adapters" / "smollm2-demo-lora.gguf"


def make(out: Path, *, rank: int, strength: float, seed: int) -> str:
    import gguf
    import numpy as np

    rng = np.random.default_rng(seed)
    alpha = float(rank)  # scale alpha / rank = 1: `strength` alone sets the size of the update
    tmp = out.with_name(out.name + ".tmp")
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(tmp), "llama")
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
    writer.add_name("modelkit demo LoRA for SmolLM2-135M (generated, not trained)")
    writer.add_string("general.description",
                      f"seeded random LoRA (seed {seed}, rank {rank}, strength {strength}) made by "
                      "scripts/make_demo_adapter.py to demonstrate adapter targets; it teaches nothing")
    for layer in range(LAYERS):
        for proj, n_out in TARGETS.items():
            name = f"blk.{layer}.{proj}.weight"
            # A projects the input onto `rank` directions (rows of unit-ish norm);
            # B maps them back with entries of size `strength`.
            a = rng.standard_normal((rank, HIDDEN)) / np.sqrt(HIDDEN)
            b = rng.standard_normal((n_out, rank)) * strength
            writer.add_tensor(name + ".lora_a", a.astype(np.float16))  # numpy shape = reversed ne
            writer.add_tensor(name + ".lora_b", b.astype(np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tmp.replace(out)
    return hashlib.sha256(out.read_bytes()).hexdigest()


def check(base: Path) -> None:
    """Compare the hard-coded shapes with a real SmolLM2 GGUF (metadata only)."""
    from modelkit.inspect_weights import inspect_gguf

    info = inspect_gguf(base, tensors=True)
    for layer in range(LAYERS):
        for proj, n_out in TARGETS.items():
            shape = info.tensor_shapes.get(f"blk.{layer}.{proj}.weight")
            if shape != (HIDDEN, n_out):
                raise SystemExit(f"blk.{layer}.{proj}.weight is {shape} in {base}, expected {(HIDDEN, n_out)}")
    print(f"shapes match {base.name} ({info.architecture}, {info.block_count} blocks)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--strength", type=float, default=0.02)
    ap.add_argument("--seed", type=int, default=20250301)
    ap.add_argument("--check", type=Path, metavar="BASE.gguf", help="verify the shapes against a base GGUF first")
    args = ap.parse_args()
    if args.check:
        check(args.check)
    digest = make(args.out, rank=args.rank, strength=args.strength, seed=args.seed)
    print(f"{args.out}  {args.out.stat().st_size} bytes  sha256:{digest}")


if __name__ == "__main__":
    main()
