"""A loaded project and its targets resolved into rendered, parsed Modelfiles.

    from modelkit.project import load_project

    project = load_project()                      # modelkit.toml here or in a parent directory
    for t in project.resolve(["report-tuned"], {"lang": "zh"}):
        print(t.id, t.name, t.modelfile.create_fields())

Resolution of one target: follow ``inherits`` (the child's fields win; ``vars`` merge), expand
the ``matrix`` (cartesian product, in the order the keys are written), merge variables
(``[defaults].vars`` < inherited < target < matrix cell < ``--set``; a ``--set`` of a matrix
key collapses that dimension), render ``from`` / ``adapter`` / ``name`` (templated strings),
then render the Modelfile template with the variables plus ``target``, ``name``, ``from``,
``adapter``, ``project_dir``, ``cache_dir``, ``weights_dir`` and ``env``, and parse it.
Relative FROM/ADAPTER paths resolve against the project directory.
"""

from __future__ import annotations

import fnmatch
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelkit.errors import UsageError
from modelkit.spec import ProjectSpec, TargetSpec, parse_set_value, read_spec

PROJECT_FILE = "modelkit.toml"


@dataclass
class ResolvedTarget:
    """One model to build: a target, or one cell of a target's matrix."""

    id: str  #: ``report-tuned`` or ``report-tuned[temperature=0.2,lang=zh]``
    target: str  #: the target's id in modelkit.toml
    cell: dict[str, Any]  #: this cell's matrix values (empty without a matrix)
    name: str  #: the Ollama model name to create
    template: str  #: template name inside the templates folder
    template_path: Path
    vars: dict[str, Any]  #: the final variables (defaults < target < matrix < --set)
    from_: str | None  #: the rendered ``from`` (also the template variable ``from``)
    adapter: str | None  #: the rendered, resolved ``adapter`` (a path, relative to base_dir when inside it)
    quantize: str | None
    description: str | None
    base_dir: Path  #: relative paths in the Modelfile resolve against this (the project directory)
    modelfile_text: str  #: the rendered Modelfile
    modelfile: Any  #: ``modelkit.modelfile.Modelfile`` parsed from modelfile_text
    rendered: Any = field(default=None, repr=False)  #: ``modelkit.render.Rendered`` (line → template file:line)
    error: Any = field(default=None, repr=False)  #: with ``resolve(collect=True)``: why it did not render/parse

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "target": self.target, "cell": self.cell, "name": self.name,
            "template": self.template, "vars": self.vars, "from": self.from_, "adapter": self.adapter,
            "quantize": self.quantize, "base_dir": str(self.base_dir), "modelfile": self.modelfile_text,
            "create": self.modelfile.create_fields() if self.modelfile is not None else None,
        }


@dataclass
class Project:
    path: Path  #: the modelkit.toml
    spec: ProjectSpec
    text: str = ""

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def templates_dir(self) -> Path:
        return (self.root / self.spec.project.templates).resolve()

    @property
    def adapters_dir(self) -> Path:
        return (self.root / self.spec.project.adapters).resolve()

    @property
    def target_ids(self) -> list[str]:
        return list(self.spec.targets)

    def renderer(self):
        from modelkit.render import Renderer

        return Renderer(self.templates_dir, label=self.spec.project.templates.rstrip("/"),
                        env_allow=self.spec.project.env)

    # -- resolution ------------------------------------------------------------------------

    def merged(self, tid: str) -> TargetSpec:
        """The target with its ``inherits`` chain and the defaults applied."""
        chain: list[TargetSpec] = []
        current: str | None = tid
        while current is not None:
            spec = self.spec.targets[current]
            chain.append(spec)
            current = spec.inherits
        d = self.spec.defaults
        out: dict[str, Any] = {"template": d.template, "from_": d.from_, "adapter": d.adapter,
                               "quantize": d.quantize, "vars": dict(d.vars), "matrix": None,
                               "name": None, "description": None}
        for spec in reversed(chain):
            for key in ("template", "from_", "adapter", "quantize", "name", "description", "matrix"):
                if key in spec.model_fields_set:
                    out[key] = getattr(spec, key)
            out["vars"].update(spec.vars)
        return TargetSpec(**{k: v for k, v in out.items() if k != "from_"}, **{"from": out["from_"]})

    def select(self, targets: Sequence[str]) -> list[str]:
        """Target ids for the command-line selection (ids, ``id[cell]``, or glob patterns)."""
        if not targets:
            return list(self.spec.targets)
        chosen: list[str] = []
        for want in targets:
            base = want.split("[", 1)[0]
            if base in self.spec.targets:
                hits = [base]
            else:
                hits = [t for t in self.spec.targets if fnmatch.fnmatchcase(t, want)] if any(c in want for c in "*?") else []
            if not hits:
                import difflib

                close = difflib.get_close_matches(base, list(self.spec.targets), n=1)
                raise UsageError(f"no target {want!r} in {self.path.name}",
                                 hint=(f"did you mean {close[0]!r}? " if close else "") +
                                 "targets: " + ", ".join(self.spec.targets))
            chosen += [h for h in hits if h not in chosen]
        return chosen

    def resolve(self, targets: Sequence[str] = (), sets: Mapping[str, Any] | None = None, *,
                collect: bool = False) -> list[ResolvedTarget]:
        """Resolve targets (all when empty) into rendered, parsed Modelfiles.

        A template or Modelfile syntax error raises ``UsageError``; with ``collect=True`` it is
        recorded instead (``ResolvedTarget.modelfile`` is None and ``error`` holds it) so that
        lint can report every target.
        """
        typed_sets = {k: parse_set_value(v) if isinstance(v, str) else v for k, v in (sets or {}).items()}
        cell_filter = {w.split("[", 1)[0]: w for w in targets if "[" in w}
        out: list[ResolvedTarget] = []
        for tid in self.select(targets):
            for resolved in self._resolve_one(tid, typed_sets, collect):
                wanted = cell_filter.get(tid)
                if wanted is None or resolved.id == wanted or _same_cell(resolved.id, wanted):
                    out.append(resolved)
        if cell_filter and not out:
            raise UsageError(f"no matrix cell {', '.join(cell_filter.values())}",
                             hint="`modelkit render` lists the cells' ids")
        _check_unique(out)
        return out

    def _resolve_one(self, tid: str, sets: dict[str, Any], collect: bool) -> list[ResolvedTarget]:
        from modelkit import paths

        spec = self.merged(tid)
        matrix = {k: v for k, v in (spec.matrix or {}).items() if k not in sets}
        keys = list(matrix)
        renderer = self.renderer()
        results: list[ResolvedTarget] = []
        for combo in itertools.product(*(matrix[k] for k in keys)) if keys else [()]:
            cell = dict(zip(keys, combo))
            variables = {**spec.vars, **cell, **sets}
            cid = tid + ("[" + ",".join(f"{k}={_cell_text(v)}" for k, v in cell.items()) + "]" if cell else "")
            builtins = {"target": tid, "project_dir": str(self.root), "cache_dir": str(paths.cache_dir()),
                        "weights_dir": str(paths.weights_dir())}
            ctx = {**variables, **builtins}
            resolved = ResolvedTarget(
                id=cid, target=tid, cell=cell, name=tid, template=spec.template or "",
                template_path=self.templates_dir / (spec.template or ""), vars=variables, from_=None, adapter=None,
                quantize=spec.quantize, description=spec.description, base_dir=self.root,
                modelfile_text="", modelfile=None)
            try:
                self._render_cell(resolved, spec, ctx, renderer)
            except UsageError as e:
                if not collect:
                    _prefix(e, cid)
                    raise
                resolved.error = e
            results.append(resolved)
        return results

    def _render_cell(self, t: ResolvedTarget, spec: TargetSpec, ctx: dict[str, Any], renderer: Any) -> None:
        from modelkit.modelfile import Modelfile
        from modelkit.spec import find_line

        def field(key: str, source: str, extra: Mapping[str, Any] = {}) -> str:
            chain_line = next((ln for tid in self.inheritance(t.target)
                               if (ln := find_line(self.text, ("targets", tid, key)))), None) or \
                find_line(self.text, ("defaults", key))
            return renderer.render_string(source, {**ctx, **extra}, where=f"targets.{t.target}.{key}",
                                          file=self.path.name, line=chain_line)

        t.from_ = field("from", spec.from_) if spec.from_ else None
        t.adapter = self._adapter_path(field("adapter", spec.adapter)) if spec.adapter else None
        if spec.name:
            t.name = field("name", spec.name, {"from": t.from_, "adapter": t.adapter}).strip()
        else:
            t.name = t.target + "".join(f"-{_cell_text(v)}" for v in t.cell.values())
        if not spec.template:
            raise UsageError(f"{self.path.name}: targets.{t.target}: no template",
                             hint="set `template` in the target or in [defaults]")
        ctx.update({"name": t.name, "from": t.from_, "adapter": t.adapter})
        t.rendered = rendered = renderer.render(spec.template, ctx)
        t.modelfile_text = rendered.text
        t.modelfile = Modelfile.parse(rendered.text, base_dir=self.root, source=f"{rendered.display} (rendered)")

    def inheritance(self, tid: str) -> list[str]:
        """``tid`` and the targets it inherits from, nearest first."""
        chain: list[str] = []
        current: str | None = tid
        while current is not None and current not in chain:
            chain.append(current)
            current = self.spec.targets[current].inherits
        return chain

    def _adapter_path(self, value: str) -> str:
        """``adapter = "name"`` → the file or directory under adapters/ (``name``, ``name.gguf``)."""
        from modelkit.localfiles import expand_path

        if expand_path(value, self.root).exists():
            return value
        for candidate in (self.adapters_dir / value, self.adapters_dir / f"{value}.gguf"):
            if candidate.exists():
                try:
                    return candidate.relative_to(self.root).as_posix()
                except ValueError:
                    return str(candidate)
        return value


def _prefix(e: UsageError, cid: str) -> None:
    if not e.message.startswith(f"target {cid}"):
        e.message = f"target {cid}: {e.message}"
        e.args = (e.message,)


def _cell_text(v: Any) -> str:
    from modelkit.render import value_text

    return value_text(v)


def _same_cell(a: str, b: str) -> bool:
    def parts(s: str) -> tuple[str, frozenset[str]]:
        base, _, rest = s.partition("[")
        return base, frozenset(p.strip() for p in rest.rstrip("]").split(",") if p.strip())
    return parts(a) == parts(b)


def _check_unique(targets: list[ResolvedTarget]) -> None:
    from modelkit.names import parse_name

    seen: dict[str, str] = {}
    for t in targets:
        key = str(parse_name(t.name)).lower()
        if key in seen:
            raise UsageError(f"targets {seen[key]} and {t.id} both create the model {t.name!r}",
                             hint="make `name` depend on the matrix variables, e.g. name = \"x:{{ lang }}\"")
        seen[key] = t.id


def find_project_file(start: Path | None = None) -> Path | None:
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        candidate = d / PROJECT_FILE
        if candidate.is_file():
            return candidate
    return None


def load_project(path: Path | str | None = None) -> Project:
    """The project at ``path`` (a modelkit.toml or its directory); None: search cwd and its parents."""
    if path is None:
        found = find_project_file()
        if found is None:
            raise UsageError(f"no {PROJECT_FILE} in {Path.cwd()} or its parents",
                             hint="run `modelkit init` to create one, or pass --project DIR")
        file = found
    else:
        p = Path(path).expanduser()
        file = p / PROJECT_FILE if p.is_dir() else p
        if not file.is_file():
            raise UsageError(f"no project file at {file}", hint="pass a directory holding modelkit.toml, or the file")
    spec, text = read_spec(file)
    return Project(path=file.resolve(), spec=spec, text=text)
