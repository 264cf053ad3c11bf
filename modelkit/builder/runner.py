"""Run a build: per target prepare → decide → upload missing blobs → create → verify → lock.

Safety, by construction:

* modelkit never deletes or renames a model. ``/api/create`` writes the new manifest only
  when the model is complete and swaps it in one rename, so a build that fails, is
  interrupted (Ctrl-C, SIGKILL) or loses its server leaves the previous model working.
* ``modelkit.lock`` is rewritten atomically after each verified target only: it always
  parses and never claims a build that did not finish.
* Two builds of one project serialize on ``<project>/.modelkit/build.lock`` (an OS file lock,
  released even when the process is killed).

Targets run on up to ``jobs`` daemon threads; a target whose FROM is another target's model
waits for that target. A blob needed by several targets is checked and uploaded once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from modelkit import __version__
from modelkit.builder.plan import Blob, BuildSpec, Prepared, decide, prepare
from modelkit.builder.report import BuildEvent, BuildReport, BuildStats, EventCallback, TargetResult, ignore
from modelkit.builder.verify import verify
from modelkit.digests import DigestCache
from modelkit.errors import ModelkitError, ServerError
from modelkit.lockfile import BuildRecord, LockFile
from modelkit.names import with_tag

LOCK_DIR = ".modelkit"


@dataclass
class BuildOptions:
    force: bool = False
    dry_run: bool = False
    jobs: int = 1
    host: str | None = None
    lock_timeout: float = -1  #: seconds to wait for another build of the project; -1 = forever


def normalize_name(name: str) -> str:
    """``smol`` → ``smol:latest``; ``registry.ollama.ai/library/x`` → ``x:latest`` (as /api/tags lists)."""
    for prefix in ("registry.ollama.ai/library/", "registry.ollama.ai/"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    return with_tag(name)


class _Build:
    def __init__(self, specs: list[BuildSpec], project_dir: Path, options: BuildOptions, on_event: EventCallback,
                 api: Any, digests: DigestCache):
        self.specs = specs
        self.project_dir = project_dir
        self.options = options
        self.emit = on_event
        self.api = api
        self.server = api.host
        self.digests = digests
        self.lock = LockFile.load(project_dir)
        self.stats = BuildStats()
        self._mu = threading.Lock()
        self._blob_locks: dict[str, threading.Lock] = {}
        self._present: set[str] = set()
        self.tags = self._tags()
        self.results: dict[str, TargetResult] = {}
        self.by_name = {normalize_name(s.name): s.id for s in specs}

    # -- server state -------------------------------------------------------------------

    def _tags(self) -> dict[str, str]:
        return {normalize_name(m.model or ""): str(m.digest) for m in self.api.list()}

    def model_digest(self, name: str) -> str | None:
        with self._mu:
            return self.tags.get(normalize_name(name))

    # -- blobs --------------------------------------------------------------------------

    def ensure_blob(self, target: str, blob: Blob) -> int:
        """Make sure the server has ``blob``; returns the bytes uploaded (0 if it was there)."""
        with self._mu:
            lock = self._blob_locks.setdefault(blob.digest, threading.Lock())
        with lock:
            if blob.digest in self._present:
                return 0
            with self._mu:
                self.stats.blobs_checked += 1
            if self.api.has_blob(blob.digest):
                self._present.add(blob.digest)
                return 0
            label = f"uploading {blob.path.name}"
            sent = 0
            self.emit(BuildEvent(target, "upload", label, key=blob.digest, completed=0, total=blob.size))

            def progress(n: int) -> None:
                nonlocal sent
                sent += n
                self.emit(BuildEvent(target, "upload", label, key=blob.digest, completed=sent, total=blob.size))

            self.api.upload_blob(blob.path, blob.digest, progress)
            self._present.add(blob.digest)
            with self._mu:
                self.stats.uploaded_blobs += 1
                self.stats.uploaded_bytes += blob.size
            return blob.size

    # -- one target ---------------------------------------------------------------------

    def run_target(self, spec: BuildSpec) -> TargetResult:
        start = time.monotonic()
        result = TargetResult(id=spec.id, model=spec.name, status="failed", reason="")
        try:
            self._run(spec, result)
        except ModelkitError as e:
            result.status, result.reason, result.error, result.hint = "failed", e.message, e.one_line(), e.hint
        except Exception as e:  # a bug must not take the other targets down
            result.status, result.reason = "failed", f"internal error: {type(e).__name__}: {e}"
            result.error = result.reason
        result.duration_s = round(time.monotonic() - start, 3)
        phase = "fail" if result.status == "failed" else ("skip" if "skip" in result.status else "done")
        self.emit(BuildEvent(spec.id, phase, f"{result.status}: {result.reason}"))
        return result

    def _run(self, spec: BuildSpec, result: TargetResult) -> None:
        self.emit(BuildEvent(spec.id, "resolve", "resolving inputs"))
        hashed_before = self.digests.stats.hashed_files
        prep = prepare(spec, self.digests, model_digest_of=self.model_digest)
        if self.digests.stats.hashed_files > hashed_before:
            self.emit(BuildEvent(spec.id, "hash", f"hashed {self.digests.stats.hashed_files - hashed_before} file(s)"))
        record = self.lock.get(spec.id, self.server)
        on_server = self.model_digest(spec.name)
        build, reason = decide(prep, record, on_server, force=self.options.force)
        result.reason = reason
        if not build:
            result.status, result.model_digest = ("would-skip" if self.options.dry_run else "skipped"), on_server
            return
        if self.options.dry_run:
            result.status = "would-build"
            return
        self.emit(BuildEvent(spec.id, "plan", f"building: {reason}"))
        for blob in prep.blobs:
            sent = self.ensure_blob(spec.id, blob)
            if sent:
                result.uploaded_blobs += 1
                result.uploaded_bytes += sent
        self._create(prep)
        self.emit(BuildEvent(spec.id, "verify", "verifying with /api/show"))
        problems = verify(prep.request, self.api.show(spec.name))
        if problems:
            raise ServerError(f"{spec.name}: the server's model differs from what was sent: " + "; ".join(problems),
                              hint="the model was created but not recorded in modelkit.lock; report this")
        tags = self._tags()
        digest = tags.get(normalize_name(spec.name))
        if not digest:
            raise ServerError(f"{spec.name} was created but /api/tags does not list it")
        with self._mu:
            self.tags = tags
        self.lock.record(spec.id, self.server, BuildRecord(
            model=spec.name, model_digest=digest, modelfile_sha256=prep.modelfile_sha256,
            inputs_hash=prep.inputs_hash, inputs=prep.inputs,
            built_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), modelkit_version=__version__,
        ))
        result.status, result.model_digest = "built", digest

    def _create(self, prep: Prepared) -> None:
        spec = prep.spec
        with self._mu:
            self.stats.creates += 1
        last = ""
        for p in self.api.create(spec.name, **prep.request):
            status = p.status or ""
            if p.total:
                self.emit(BuildEvent(spec.id, "create", status, key="create", completed=p.completed or 0,
                                     total=p.total))
            elif status != last:
                self.emit(BuildEvent(spec.id, "create", status))
            last = status
        if last != "success":
            raise ServerError(f"{spec.name}: create ended without success (last status: {last or 'none'})",
                              hint="the previous model of that name is unchanged; see the server log")

    # -- scheduling ---------------------------------------------------------------------

    def dependencies(self, spec: BuildSpec) -> list[str]:
        dep = self.by_name.get(normalize_name(spec.from_.strip()))
        return [dep] if dep and dep != spec.id else []

    def run(self) -> list[TargetResult]:
        order = _topological(self.specs, self.dependencies)
        done = {s.id: threading.Event() for s in self.specs}
        slots = threading.Semaphore(max(1, self.options.jobs))

        def work(spec: BuildSpec) -> None:
            try:
                for dep in self.dependencies(spec):
                    self.emit(BuildEvent(spec.id, "wait", f"waiting for {dep}"))
                    done[dep].wait()
                    if self.results[dep].status == "failed":
                        self.results[spec.id] = TargetResult(
                            id=spec.id, model=spec.name, status="failed",
                            reason=f"its base target {dep} failed", error=f"base target {dep} failed")
                        self.emit(BuildEvent(spec.id, "fail", f"failed: its base target {dep} failed"))
                        return
                with slots:
                    self.results[spec.id] = self.run_target(spec)
            finally:
                done[spec.id].set()

        if self.options.jobs <= 1:
            for spec in order:
                work(spec)
        else:
            threads = [threading.Thread(target=work, args=(s,), name=f"build-{s.id}", daemon=True) for s in order]
            for t in threads:
                t.start()
            for t in threads:
                while t.is_alive():  # a timed join keeps Ctrl-C deliverable to the main thread
                    t.join(0.2)
        return [self.results[s.id] for s in self.specs]


def _topological(specs: list[BuildSpec], deps: Any) -> list[BuildSpec]:
    by_id = {s.id: s for s in specs}
    seen: set[str] = set()
    out: list[BuildSpec] = []

    def visit(s: BuildSpec, stack: tuple[str, ...]) -> None:
        if s.id in seen:
            return
        if s.id in stack:
            raise ModelkitError(f"targets depend on each other: {' → '.join(stack + (s.id,))}", exit_code=2)
        for d in deps(s):
            visit(by_id[d], stack + (s.id,))
        seen.add(s.id)
        out.append(s)

    for s in specs:
        visit(s, ())
    return out


def run_build(specs: list[BuildSpec], project_dir: Path, options: BuildOptions | None = None, *,
              on_event: EventCallback = ignore, project: str | None = None) -> BuildReport:
    """Build ``specs`` (targets of the project in ``project_dir``) on the server → ``BuildReport``."""
    from filelock import FileLock, Timeout

    from modelkit.ollama_api import Ollama

    options = options or BuildOptions()
    start = time.monotonic()
    lock_dir = project_dir / LOCK_DIR
    lock_dir.mkdir(exist_ok=True)
    ignore_file = lock_dir / ".gitignore"
    if not ignore_file.exists():
        ignore_file.write_text("*\n")
    flock = FileLock(str(lock_dir / "build.lock"))
    try:
        flock.acquire(timeout=0)
    except Timeout:
        on_event(BuildEvent("*", "wait", "waiting for another build of this project to finish"))
        try:
            flock.acquire(timeout=options.lock_timeout)
        except Timeout:
            raise ModelkitError("another `modelkit build` of this project is still running",
                                hint=f"wait for it, or remove {lock_dir / 'build.lock'} if no build runs") from None
    digests = DigestCache()
    try:
        with Ollama(options.host) as api:
            build = _Build(specs, project_dir, options, on_event, api, digests)
            results = build.run()
            stats = build.stats
            server = build.server
    finally:
        digests.save()
        flock.release()
    stats.hashed_files = digests.stats.hashed_files
    stats.hashed_bytes = digests.stats.hashed_bytes
    stats.digest_cache_hits = digests.stats.cache_hits
    return BuildReport(project=project or str(project_dir), server=server, dry_run=options.dry_run, targets=results,
                       stats=stats, duration_s=round(time.monotonic() - start, 3))
