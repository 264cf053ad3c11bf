"""The typed results of a benchmark run: what is measured, saved as JSON and compared.

One ``BenchRun`` is one invocation of the benchmark (one JSON file). It holds the
conditions (server, machine, options) and one ``ModelResult`` per model; a model has one
cold request and one ``CaseResult`` per (prompt, language) case; a case has its warm-up and
measured ``RunSample``s, each with the ``Quality`` of its report, and ``Stat``s over the
measured runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from modelkit.sysinfo import MachineInfo

SCHEMA_VERSION = 1


class BenchOptions(BaseModel):
    """How to benchmark (the ``[bench]`` table of modelkit.toml and the CLI options)."""

    model_config = ConfigDict(extra="forbid")

    prompts: list[str] = Field(default_factory=lambda: ["medium"], description="digest ids")
    langs: list[str] = Field(default_factory=lambda: ["en", "zh"], description="languages or system prompt ids")
    repeat: int = Field(3, ge=1, description="measured runs per case")
    warmup: int = Field(1, ge=0, description="warm-up runs per case, not measured")
    num_predict: int = Field(1024, ge=1, description="token limit of each report")
    seed: int = 42
    system: Literal["bench", "model"] = Field(
        "bench", description="bench: send the prompt set's system prompt; model: send none, the model's SYSTEM applies"
    )
    options: dict[str, Any] = Field(default_factory=dict, description="extra Ollama options for every request")
    keep_alive: str = "10m"
    unload_after: bool = Field(True, description="unload each model when its cases are done")
    prompt_dirs: list[str] = Field(default_factory=list, description="extra prompt directories")
    high_spread: float = Field(0.15, ge=0, description="relative spread (max-min)/median above which a metric is flagged")


class Quality(BaseModel):
    """The checks on one report (see docs/benchmark.md for the score)."""

    lang: str
    lang_share: float = Field(description="share of the text written in the requested language's script (0-1)")
    lang_ok: bool
    sections_found: list[str]
    sections_missing: list[str]
    sections: float = Field(description="share of required sections present (0-1)")
    cited: list[int] = Field(description="digest #numbers the report references")
    missing: list[int] = Field(description="digest #numbers the report does not reference")
    invented: list[int] = Field(description="#numbers the report references that are not in the digest")
    coverage: float = Field(description="share of the digest's #numbers referenced (0-1)")
    placement: float = Field(description="share of referenced digest items cited under their own section (0-1)")
    length: int = Field(description="report length in words (a CJK character counts as a word)")
    length_bounds: tuple[int, int]
    length_score: float
    truncated: bool = Field(False, description="generation stopped at num_predict")
    score: float = Field(description="combined score 0-100")


class RunSample(BaseModel):
    """One streamed chat request: client-side and server-side timings."""

    kind: Literal["cold", "warmup", "measured"]
    index: int = 0
    ttft_s: float | None = Field(None, description="client: request sent → first token received")
    total_s: float = Field(description="client: request sent → final chunk received")
    load_s: float = 0.0
    prefill_tokens: int = 0
    prefill_s: float = 0.0
    decode_tokens: int = 0
    decode_s: float = 0.0
    server_total_s: float = 0.0
    done_reason: str | None = None
    text: str | None = None
    quality: Quality | None = None

    @property
    def prefill_tps(self) -> float | None:
        return self.prefill_tokens / self.prefill_s if self.prefill_s > 0 and self.prefill_tokens else None

    @property
    def decode_tps(self) -> float | None:
        return self.decode_tokens / self.decode_s if self.decode_s > 0 and self.decode_tokens else None

    def metric(self, key: str) -> float | None:
        """A per-run metric by name (speed or quality)."""
        if key in ("prefill_tps", "decode_tps"):
            return getattr(self, key)
        if key in ("ttft_s", "total_s", "load_s"):
            return getattr(self, key)
        if self.quality is None:
            return None
        if key == "invented":
            return float(len(self.quality.invented))
        value = getattr(self.quality, key, None)
        return float(value) if isinstance(value, (int, float)) else None


class Stat(BaseModel):
    """A metric over the measured runs."""

    n: int
    median: float | None = None
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    stdev: float | None = None
    spread: float | None = Field(None, description="(max - min) / |median|")
    high_spread: bool = False
    outliers: list[int] = Field(default_factory=list, description="indexes of outlying runs")


class CaseResult(BaseModel):
    """One model on one (digest, language) case."""

    prompt: str
    lang: str
    system: str = Field(description="system prompt id sent, or 'model' when the model's own SYSTEM was used")
    prompt_sha: str = Field(description="SHA-256 of the messages sent; compare warns when it differs")
    warmup: list[RunSample] = Field(default_factory=list)
    runs: list[RunSample] = Field(default_factory=list)
    stats: dict[str, Stat] = Field(default_factory=dict)

    @property
    def key(self) -> str:
        """``prompt/lang``, or ``prompt/system-id`` for a system prompt that is not the language's default."""
        default = self.system in ("model", f"report-{self.lang}")
        return f"{self.prompt}/{self.lang}" if default else f"{self.prompt}/{self.system}"

    def median(self, metric: str) -> float | None:
        s = self.stats.get(metric)
        return s.median if s else None


class Memory(BaseModel):
    """From ``/api/ps`` while the model is loaded."""

    size: int
    size_vram: int
    context_length: int | None = None


class ModelInfo(BaseModel):
    name: str
    label: str | None = Field(None, description="display name (the target id when benched from the project)")
    target: str | None = None
    digest: str | None = None
    family: str | None = None
    parameter_size: str | None = None
    quantization: str | None = None
    format: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    system_sha: str | None = Field(None, description="SHA-256 of the model's own SYSTEM prompt")

    @property
    def display(self) -> str:
        return self.label or self.name


class ModelResult(BaseModel):
    model: ModelInfo
    cold: RunSample | None = None
    memory: Memory | None = None
    cases: list[CaseResult] = Field(default_factory=list)


class BenchRun(BaseModel):
    """One benchmark invocation: everything needed to read or compare it later."""

    schema_version: int = SCHEMA_VERSION
    id: str
    created_at: datetime
    modelkit_version: str
    host: str
    ollama_version: str
    machine: MachineInfo
    options: BenchOptions
    models: list[ModelResult] = Field(default_factory=list)

    def rows(self) -> list[tuple[ModelResult, CaseResult]]:
        return [(m, c) for m in self.models for c in m.cases]
