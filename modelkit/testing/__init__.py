"""Real, small weights made on the spot for tests, benchmarks and demos.

* ``tiny_llama``: a llama-architecture safetensors model (``config.json`` LlamaForCausalLM,
  a real byte-level BPE ``tokenizer.json`` taken from SmolLM2's GGUF metadata, random
  weights) that the Ollama server converts itself, and a PEFT LoRA adapter for it.
* ``gguf_lora``: a GGUF LoRA adapter (``general.type = adapter``) for any llama GGUF base,
  e.g. SmolLM2-135M; ``f16_gguf``: an F16 copy of a quantized GGUF (a ``quantize`` source).

Everything here is deterministic for a given seed and needs only numpy, gguf and (for
safetensors output) the ``safetensors`` package. Heavy imports happen inside functions.
"""
