"""lint and the inspection of weights/adapters (no server needed)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from modelkit.gguf_header import inspect_gguf
from modelkit.inspect_weights import inspect_safetensors_dir
from modelkit.lint import go_template_problem, lint_project
from modelkit.lora_adapters import inspect_adapter
from modelkit.project import load_project

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = "FROM {{ from | quote }}\n{% if adapter %}\nADAPTER {{ adapter | quote }}\n{% endif %}\n"


def write_gguf(path: Path, arch: str, tensors: dict[str, tuple[int, int]], *, adapter: bool = False,
               kv: dict[str, object] | None = None) -> Path:
    """A tiny GGUF; ``tensors`` maps names to GGUF ne shapes ``(n_in, n_out)``."""
    import gguf
    import numpy as np

    w = gguf.GGUFWriter(str(path), arch)
    if adapter:
        w.add_type(gguf.GGUFType.ADAPTER)
        w.add_string(gguf.Keys.Adapter.TYPE, "lora")
        w.add_float32(gguf.Keys.Adapter.LORA_ALPHA, 8.0)
    else:
        w.add_type(gguf.GGUFType.MODEL)
        w.add_context_length(256)
        w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    for key, value in (kv or {}).items():
        w.add_string(key, str(value))
    for name, (n_in, n_out) in tensors.items():
        w.add_tensor(name, np.zeros((n_out, n_in), dtype=np.float16))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def lora(path: Path, arch: str, pairs: dict[str, tuple[tuple[int, int], tuple[int, int]]]) -> Path:
    tensors: dict[str, tuple[int, int]] = {}
    for target, (a, b) in pairs.items():
        tensors[f"{target}.lora_a"] = a
        tensors[f"{target}.lora_b"] = b
    return write_gguf(path, arch, tensors, adapter=True)


def lint(tmp_path: Path, targets: str, template: str = TEMPLATE):
    (tmp_path / "modelfiles").mkdir(exist_ok=True)
    (tmp_path / "modelfiles" / "m.j2").write_text(template)
    (tmp_path / "modelkit.toml").write_text('[defaults]\ntemplate = "m.j2"\n\n' + targets)
    return lint_project(load_project(tmp_path))


def messages(report, severity: str = "error") -> list[str]:
    return [f.message for f in report.findings if f.severity == severity]


# -- GGUF inspection ---------------------------------------------------------------------------

def test_gguf_metadata_of_the_real_smollm2(smollm2_gguf: Path, tmp_path: Path):
    info = inspect_gguf(smollm2_gguf, tensors=True)
    assert info.summary() | {"path": None} == {
        "path": None, "size": 98362432, "gguf_version": 3, "type": "model", "architecture": "llama",
        "parameters": 134515008, "size_label": "135M", "file_type": "Q4_1", "context_length": 8192,
        "chat_template": True, "tensors": 272}
    assert info.kv["tokenizer.ggml.tokens"] == {"array": 8, "length": 49152}
    assert info.tensor_shapes["blk.0.attn_v.weight"] == (576, 192)
    # only the header is read: a copy cut right after the tensor infos inspects the same
    assert info.header_size < 2_000_000
    head = tmp_path / "head.gguf"
    with open(smollm2_gguf, "rb") as src:
        head.write_bytes(src.read(info.header_size))
    cut = inspect_gguf(head, tensors=True)
    assert cut.kv == info.kv and cut.tensor_shapes == info.tensor_shapes
    assert cut.summary() | {"path": None, "size": None} == info.summary() | {"path": None, "size": None}


def test_gguf_reader_agrees_on_the_demo_adapter():
    from gguf import GGUFReader

    path = REPO / "adapters" / "smollm2-demo-lora.gguf"
    info = inspect_gguf(path, tensors=True)
    reader = GGUFReader(str(path))
    for key, field in reader.fields.items():
        if not key.startswith("GGUF."):
            assert info.kv[key] == pytest.approx(field.contents()), key
    assert info.tensor_shapes == {t.name: tuple(int(x) for x in t.shape) for t in reader.tensors}
    assert info.is_adapter and info.architecture == "llama" and info.kv["adapter.lora.alpha"] == 8.0
    assert len(info.tensor_shapes) == 120 and info.tensor_shapes["blk.29.attn_v.weight.lora_b"] == (8, 192)


def test_not_a_gguf(tmp_path: Path):
    from modelkit.gguf_header import GGUFError

    (tmp_path / "x.gguf").write_bytes(b"PK\x03\x04" + b"\0" * 40)
    with pytest.raises(GGUFError, match="not a GGUF file"):
        inspect_gguf(tmp_path / "x.gguf")
    (tmp_path / "y.gguf").write_bytes(b"GGUF\x03\x00\x00\x00" + b"\xff" * 20)
    with pytest.raises(GGUFError, match="truncated or corrupt"):
        inspect_gguf(tmp_path / "y.gguf")


# -- FROM ------------------------------------------------------------------------------------

def test_from_problems(tmp_path: Path):
    (tmp_path / "notgguf.bin").write_bytes(b"\0" * 64)
    write_gguf(tmp_path / "lora.gguf", "llama", {"blk.0.attn_q.weight.lora_a": (8, 2)}, adapter=True)
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    write_gguf(mixed / "m.gguf", "llama", {"x.weight": (4, 4)})
    (mixed / "config.json").write_text("{}")
    report = lint(tmp_path, '''
[targets.missing]
from = "./weights/missing.gguf"
[targets.bad-name]
from = "Not A Model"
[targets.not-gguf]
from = "notgguf.bin"
[targets.lora-as-from]
from = "lora.gguf"
[targets.mixed-dir]
from = "mixed"
[targets.hf]
from = "hf://owner"
[targets.hf-revision]
from = "hf://owner/repo@v1.0/model.Q4_K_M.gguf"
[targets.fine-name]
from = "smollm2:135m"
''')
    by_target = {t.id: [f.message for f in t.findings] for t in report.targets}
    assert by_target["missing"] == ["FROM ./weights/missing.gguf: no such file or directory "
                                    "(the ollama CLI would take it as a model name)"]
    assert "neither an existing path nor a valid model name" in by_target["bad-name"][0]
    assert by_target["not-gguf"] == ["FROM notgguf.bin: notgguf.bin is not a GGUF file"]
    assert "is a LoRA adapter (general.type = adapter), not a model" in by_target["lora-as-from"][0]
    assert "a directory with a .gguf and .json files fails" in by_target["mixed-dir"][0]
    assert "not a Hugging Face reference" in by_target["hf"][0]
    assert by_target["hf-revision"] == []  # what hf_refs parses and the build downloads
    assert by_target["fine-name"] == []
    f = report.targets[0].findings[0]
    assert (f.file, f.line, f.rendered_line, f.severity) == ("modelfiles/m.j2", 1, 1, "error")


def _safetensors_dir(path: Path, arch: str = "LlamaForCausalLM", *, tokenizer: bool = True,
                     index: list[str] | None = None, lfs: bool = False) -> Path:
    import numpy as np
    from safetensors.numpy import save_file

    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"architectures": [arch]}))
    if tokenizer:
        (path / "tokenizer.json").write_text("{}")
    save_file({"w": np.zeros((2, 2), dtype=np.float16)}, str(path / "model-00001-of-00002.safetensors"))
    if lfs:
        (path / "model-00002-of-00002.safetensors").write_text("version https://git-lfs.github.com/spec/v1\n")
    if index is not None:
        (path / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {f"t{i}": s for i, s in
                                                                                      enumerate(index)}}))
    return path


def test_safetensors_directories(tmp_path: Path):
    ok = inspect_safetensors_dir(_safetensors_dir(tmp_path / "ok"))
    assert (ok.architecture, ok.gguf_architecture, ok.tokenizer, ok.problems) == (
        "LlamaForCausalLM", "llama", "tokenizer.json", [])
    bad = inspect_safetensors_dir(_safetensors_dir(tmp_path / "mistral", "MistralForCausalLM", tokenizer=False,
                                                   index=["model-00001-of-00002.safetensors",
                                                          "model-00002-of-00002.safetensors"]))
    text = [p.message for p in bad.problems]
    assert "architecture MistralForCausalLM cannot be imported by Ollama 0.11.4" in text[0]
    assert "no tokenizer.json or tokenizer.model" in text[1]
    assert "1 of 2 shards listed in model.safetensors.index.json are missing" in text[2]
    lfs = inspect_safetensors_dir(_safetensors_dir(tmp_path / "lfs", lfs=True))
    assert any("git-lfs pointer" in p.message for p in lfs.problems)


# -- ADAPTER ---------------------------------------------------------------------------------

def test_adapter_compatibility(tmp_path: Path):
    base = write_gguf(tmp_path / "base.gguf", "llama", {"blk.0.attn_q.weight": (16, 16), "blk.0.attn_v.weight": (16, 4)})
    gemma3 = write_gguf(tmp_path / "gemma3.gguf", "gemma3", {"blk.0.attn_q.weight": (16, 16)})
    lora(tmp_path / "good.gguf", "llama", {"blk.0.attn_q.weight": ((16, 2), (2, 16)),
                                           "blk.0.attn_v.weight": ((16, 2), (2, 4))})
    lora(tmp_path / "gemma2.gguf", "gemma2", {"blk.0.attn_q.weight": ((16, 2), (2, 16))})
    lora(tmp_path / "g3.gguf", "gemma3", {"blk.0.attn_q.weight": ((16, 2), (2, 16))})
    lora(tmp_path / "absent.gguf", "llama", {"blk.7.attn_q.weight": ((16, 2), (2, 16))})
    lora(tmp_path / "shape.gguf", "llama", {"blk.0.attn_v.weight": ((16, 2), (2, 16))})
    peft = tmp_path / "peft"
    peft.mkdir()
    (peft / "adapter_config.json").write_text(json.dumps({"lora_alpha": 16.0, "r": 8}))
    shutil.copy(tmp_path / "good.gguf", peft / "adapter_model.safetensors")
    st_gemma3 = _safetensors_dir(tmp_path / "st-gemma3", "Gemma3ForCausalLM")
    peft_ok = tmp_path / "peft-ok"
    peft_ok.mkdir()
    (peft_ok / "adapter_config.json").write_text(json.dumps({"lora_alpha": 16}))
    shutil.copy(tmp_path / "good.gguf", peft_ok / "adapter_model.safetensors")
    report = lint(tmp_path, f'''
[targets.good]
from = "{base}"
adapter = "good.gguf"
[targets.arch]
from = "{base}"
adapter = "gemma2.gguf"
[targets.no-lora-engine]
from = "{gemma3}"
adapter = "g3.gguf"
[targets.absent]
from = "{base}"
adapter = "absent.gguf"
[targets.shape]
from = "{base}"
adapter = "shape.gguf"
[targets.model-as-adapter]
from = "{base}"
adapter = "base.gguf"
[targets.missing]
from = "{base}"
adapter = "nothing-here"
[targets.float-alpha]
from = "{base}"
adapter = "peft"
[targets.peft-on-gemma3]
from = "{st_gemma3}"
adapter = "peft-ok"
[targets.unknown-base]
from = "some-model:latest"
adapter = "good.gguf"
''')
    got = {t.id: messages(t) for t in report.targets}
    assert got["good"] == []
    assert "the adapter is for gemma2, the FROM weights are llama" in got["arch"][0]
    assert "loras are not yet implemented" in got["no-lora-engine"][0]
    assert "LoRA tensor 'blk.7.attn_q.weight' does not exist in the base model" in got["absent"][0]
    assert "LoRA tensor 'blk.0.attn_v.weight' has shape" in got["shape"][0]
    assert "is a model (general.type = model), not an adapter" in got["model-as-adapter"][0]
    assert "ADAPTER nothing-here: no such file or directory" in got["missing"][0]
    assert "lora_alpha is 16.0; Ollama needs an integer" in got["float-alpha"][0]
    assert any("loras are not yet implemented" in m for m in got["peft-on-gemma3"])
    assert any("converts only onto llama or gemma2, not gemma3" in m for m in got["peft-on-gemma3"])
    assert got["unknown-base"] == [] and messages(report.targets[-1], "info")
    assert inspect_adapter(peft_ok).kind == "peft"


def test_real_convertible_safetensors_model_and_peft_adapter_lint_clean(tmp_path: Path, tiny_llama_dir: Path,
                                                                         tiny_peft_dir: Path):
    report = lint(tmp_path, f'[targets.tiny]\nfrom = "{tiny_llama_dir}"\nadapter = "{tiny_peft_dir}"\n')
    assert messages(report) == [] and messages(report, "warning") == []
    t = report.targets[0]
    assert t.weights["architecture"] == "LlamaForCausalLM" and t.adapter["format"] == "peft"


# -- TEMPLATE, PARAMETERs, quantize, names -----------------------------------------------------

@pytest.mark.parametrize(("text", "problem"), [
    ("{{ if .System }}x{{ end }}", None),
    ("{{- range .Messages }}{{ .Content }}{{ end }}", None),
    ("{{ /* a comment */ }}", None),
    ("{{ if .System }}x", "{{ if }} is never closed with {{ end }}"),
    ("x{{ end }}", "an {{ end }} without a matching if/range/with/define/block"),
    ("{{ .Prompt ", "an unclosed '{{'"),
    ("{{ }}", "an empty action {{ }}"),
])
def test_go_template_check(text, problem):
    assert go_template_problem(text) == problem


def test_parameters_names_and_quantize(tmp_path: Path, smollm2_gguf: Path):
    report = lint(tmp_path, f'''
[targets.t]
name = "ns.bad/model:tag"
from = "{smollm2_gguf}"
quantize = "q4_K_M"
vars = {{ ctx = 100000, p = 1.5 }}
[targets.q]
from = "{smollm2_gguf}"
quantize = "q2_K"
vars = {{ ctx = 2048, p = 0.9 }}
''', template=TEMPLATE + "PARAMETER num_ctx {{ ctx }}\nPARAMETER top_p {{ p }}\n"
                         'TEMPLATE """{{ "{{" }} if .System }}"""\n')
    t, q = report.targets
    assert [(f.severity, f.message) for f in t.findings] == [
        ("error", "model name 'ns.bad/model:tag' is not valid: the namespace 'ns.bad' may not contain '.'"),
        ("error", "TEMPLATE is not a valid Go template: {{ if }} is never closed with {{ end }}"),
        ("warning", "num_ctx 100000 is more than the model was trained for (8192)"),
        ("warning", "top_p 1.5 is more than 1 (a probability)"),
        ("error", "quantize needs F16 or F32 weights; FROM is Q4_1"),
    ]
    assert t.findings[0].location == "modelkit.toml:6"
    assert q.findings[-1].message.startswith("quantize 'q2_K': Ollama 0.11.4 quantizes to q8_0, q4_K_S, q4_K_M")


def test_shipped_project_lints_clean(smollm2_gguf: Path):
    """The repo's modelkit.toml with the real cached SmolLM2 GGUF and the demo adapter."""
    from modelkit import paths

    assert smollm2_gguf.parent == paths.weights_dir()
    report = lint_project(load_project(REPO))
    assert [f.one_line() for f in report.findings] == []
    assert len(report.targets) == 6
    lora_target = next(t for t in report.targets if t.id == "report-lora")
    assert lora_target.adapter == {"path": str(REPO / "adapters" / "smollm2-demo-lora.gguf"), "format": "gguf",
                                   "architecture": "llama", "lora_alpha": 8.0}
