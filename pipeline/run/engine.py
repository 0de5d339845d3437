"""The engine: stream documents from the readers through cleaning (in this process, on a
process pool, or on Ray) into shards, merge them into the output folder (clean.jsonl,
rejects.jsonl), then run the dedup stage (with Ray, its corpus-wide steps as Ray tasks:
run/ray_dedup.py) and write report.json. Stages after cleaning read what cleaning
wrote, so the corpus text is never held in memory."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from functools import partial
from itertools import chain, islice
from pathlib import Path
from typing import Callable, Iterable, Iterator

from storysift import __version__
from storysift.corpus.options import DedupOptions
from storysift.document import Document, RawDocument, Reject
from storysift.read.documents import ReadOptions
from storysift.read.files import count_documents, iter_inputs
from storysift.read.folders import Entry, walk
from storysift.ruleset.load import RuleSet
from storysift.run.lock import output_lock
from storysift.run.pool import DEFAULT_TIMEOUT_S
from storysift.run.progress import Progress
from storysift.run.safety import RUN_OUTPUTS
from storysift.run.shards import SHARD_SIZE, WORK_DIR, ShardStore
from storysift.run.signals import raise_pending
from storysift.write.complete import IncompleteOutput, publish, read_complete, staging_folder
from storysift.write.reportviews import DEFAULT_REPORT_DOCS, DocumentViews
from storysift.write.outputs import remove_output, write_json
from storysift.write.report import RunReport

# Rule kinds whose removals from a text page wait for the corpus stage (`_run_locked`).
DEFERRED_KINDS = ("classifier", "headline_list")


class StrictStop(Exception):
    """Raised under --strict at the first rejected input."""

    def __init__(self, reject: Reject):
        super().__init__(f"{reject.source}: {reject.reason}")
        self.reject = reject


@dataclass(frozen=True)
class RunOptions:
    read: ReadOptions = ReadOptions()
    strict: bool = False
    dedup: DedupOptions | None = DedupOptions()  # None: clean only, no stories.jsonl
    workers: int = 1
    timeout: float = DEFAULT_TIMEOUT_S
    resume: bool = False
    fresh: bool = False  # discard a killed run's finished shards instead of refusing to
    engine: str = "local"  # or "ray"
    ray_address: str | None = None
    html_report: bool = True  # report.html beside report.json
    report_docs: int = DEFAULT_REPORT_DOCS  # documents with a side-by-side view in report.html
    report_sample: str = "sites"  # which: spread over the sites, or the first (write/reportviews.py)
    report_ids: tuple[str, ...] = ()  # and these, whatever report_docs


def clean_items(items: Iterable[RawDocument | Reject], rules: RuleSet,
                options: RunOptions) -> Iterator[Document | Reject]:
    """The cleaning stage on the engine the options name; results keep the input order."""
    if options.engine == "ray":
        from storysift.run.ray_clean import clean_ray

        return clean_ray(items, rules, options.ray_address, options.timeout)
    if options.workers > 1:
        from storysift.run.pool import clean_parallel

        return clean_parallel(items, rules, options.workers, options.timeout)
    from storysift.run.pool import clean_limited

    return clean_limited(items, rules, options.timeout)


def dedup_stage(clean_file: Path, out_dir: Path, options: RunOptions, progress: Progress) -> dict[str, object]:
    """The dedup stage on the engine the options name; the same files either way."""
    if options.engine == "ray":
        from storysift.run.ray_dedup import dedup_on_ray

        return dedup_on_ray(clean_file, out_dir, options.dedup, options.ray_address, progress=progress)
    from storysift.run.pool_dedup import dedup_parallel

    return dedup_parallel(clean_file, out_dir, options.dedup, options.workers, progress=progress)


def fingerprint(inputs: list[str], rules: RuleSet, options: RunOptions) -> dict[str, object]:
    """What must be the same for --resume to continue a run: inputs (their paths, and the size
    and modification time of every file they hold), reading options, rules."""
    rules_state = [[[r.id, r.kind, r.params, r.enabled, r.host] for r in rules.rules], list(rules.deferred)]
    return {
        "inputs": [os.path.realpath(name) if name != "-" else "-" for name in inputs],
        "input_states": {os.path.realpath(name): input_state(name) for name in inputs if name != "-"},
        "read": asdict(options.read),
        "rules": hashlib.sha256(json.dumps(rules_state, sort_keys=True, default=str).encode()).hexdigest(),
    }


def input_state(name: str) -> str:
    """A digest of the size and modification time of each file an input holds (a folder: each
    entry its walk gives, in order), so a file changed under the same path changes it."""
    root = Path(name)
    entries = walk(root) if root.is_dir() else [Entry(root, root.name)]
    digest = hashlib.sha256()
    for entry in entries:
        try:
            status = entry.path.stat()
            # The change time too: a file rewritten at the same size, its modification time set
            # back (touch -r, cp -p), still has a new one, which no user can set.
            state = (f"{status.st_size} {status.st_mtime_ns} {status.st_ctime_ns} {status.st_ino}"
                     if entry.problem is None else entry.problem)
        except OSError as exc:
            state = f"unreadable: {exc.strerror}"
        digest.update(f"{entry.name}\0{state}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def run_cleaning(inputs: list[str], out_dir: Path, rules: RuleSet, options: RunOptions = RunOptions(),
                 progress: Progress | None = None) -> RunReport:
    """Clean every input into `out_dir` shard by shard, merge the shards, then run the later
    stages; returns the report (also written as report.json). Every output is written into a
    staging folder and switched in as a set (write/complete.py). `progress` is told each stage
    and each document done (run/progress.py), and times the stages for the report.
    FolderLocked when another command is writing into `out_dir`."""
    with output_lock(out_dir):
        return _run_locked(inputs, out_dir, rules, options, progress or Progress(quiet=True))


def _run_locked(inputs: list[str], out_dir: Path, rules: RuleSet, options: RunOptions,
                progress: Progress) -> RunReport:
    started = now_utc()
    # The removals of the line classifier (text pages) and of headline lists (text pages, and the
    # text an HTML page's extraction kept) wait for the corpus stage, which applies them after the
    # site templates, but for the lines a story's copies carry (Document.deferred): both judge a
    # line by its look, and an article can be a list of titles.
    rules = rules.deferring(DEFERRED_KINDS) if options.dedup is not None else rules
    prints = fingerprint(inputs, rules, options)
    store = ShardStore(out_dir / WORK_DIR, prints)
    about = {"command": "run", "storysift": __version__, "run": output_key(store.key, options)}
    if options.resume and (finished := finished_report(out_dir, store, about)) is not None:
        progress.close()
        return finished
    skip = store.start(options.resume, options.fresh) * SHARD_SIZE
    views = DocumentViews(options.report_docs if options.html_report else 0, store.dir / "views.jsonl", skip,
                          options.report_sample, options.report_ids if options.html_report else ())
    stop = clean_into_shards(inputs, store, skip, rules, options, progress, views.add)
    progress.stage("writing")
    report = store.report()
    staged = staging_folder(out_dir)  # every output is written here, then switched in as a set
    settle = None
    if stop:  # no corpus stage follows: the pages keep none of what cleaning deferred to it
        from storysift.corpus.batches import settle_deferred

        settle = partial(settle_deferred, counts=report.rules)
    store.merge(staged / "clean.jsonl", staged / "rejects.jsonl", settle)
    cleaning_removals = sum(report.rules.values())
    if stop:
        # What was written up to the stop is kept; the report says where it stopped.
        report.stopped = f"--strict: stopped at the first reject ({stop.source})"
    elif options.dedup is not None:
        # Our own records: the dedup options' field names are those of clean.jsonl.
        report.stages["dedup"] = dedup_stage(staged / "clean.jsonl", staged, options, progress)
        report.rules.update(report.stages["dedup"]["removals_per_rule"])  # site.template and the like
    report.removals_per_stage = {"cleaning": cleaning_removals, "corpus": sum(report.rules.values()) - cleaning_removals}
    if options.html_report:
        progress.stage("report")
        descriptions = {rule.id: rule.description for rule in rules.rules if rule.id in report.rules}
        from storysift.write.htmlreport import write_html_report

        write_html_report(staged, report.as_dict(), views, descriptions)  # no times: the same run, the same page
    progress.close()
    report.run = run_info(inputs, options, prints["rules"], started, progress.timings())
    write_json(staged / "report.json", report.as_dict())
    raise_pending()
    publish(staged, out_dir, RUN_OUTPUTS, about)  # a previous run's report.html goes when none is written
    store.remove()
    if stop:
        raise StrictStop(stop)
    return report


def clean_to_file(inputs: list[str], out: Path, rejects_path: Path | None, rules: RuleSet, options: RunOptions,
                  progress: Progress, on_item: Callable[[Document | Reject, int], None] | None = None,
                  ) -> tuple[RunReport, Reject | None]:
    """`clean --out FILE`: the inputs cleaned into FILE (any record format) through shards in a
    work folder beside it, so that a killed run continues with --resume as `run` does; rejects go
    to `rejects_path` (a previous file there is removed when there are none). Returns the report
    and, under --strict, the reject the run stopped at (what came before it is written)."""
    store = ShardStore(out.parent / f".{out.name}.storysift-work", fingerprint(inputs, rules, options))
    skip = store.start(options.resume, options.fresh) * SHARD_SIZE
    stop = clean_into_shards(inputs, store, skip, rules, options, progress, on_item)
    progress.stage("writing")
    report = store.report()
    raise_pending()
    store.merge(out, rejects_path if report.rejected else None)
    if rejects_path is not None and not report.rejected:
        remove_output(rejects_path)  # a previous run's rejects must not sit beside these records
    store.remove()
    progress.close()
    return report, stop


def clean_into_shards(inputs: list[str], store: ShardStore, skip: int, rules: RuleSet, options: RunOptions,
                      progress: Progress, on_item: Callable[[Document | Reject, int], None] | None = None,
                      ) -> Reject | None:
    """Clean the inputs after the first `skip` (done by a killed run) into the store's shards,
    telling `on_item` each result and its input position; under --strict, stop at the first
    reject and return it."""
    stop: list[Reject] = []
    progress.stage("cleaning", count_documents(inputs))

    def watched(items: Iterable[Document | Reject]) -> Iterator[Document | Reject]:
        for count, item in enumerate(items, skip + 1):
            if on_item:
                on_item(item, count)
            yield item
            progress.update(count)
            if options.strict and isinstance(item, Reject) and not item.skipped:  # a WARC request is no error
                stop.append(item)
                return

    stream = watched(clean_items(islice(iter_inputs(inputs, options.read), skip, None), rules, options))
    index = skip // SHARD_SIZE
    for first in stream:
        store.write(index, chain([first], islice(stream, SHARD_SIZE - 1)))
        index += 1
    return stop[0] if stop else None


def run_info(inputs: list[str], options: RunOptions, rules_hash: str, started: str,
             seconds: dict[str, float]) -> dict[str, object]:
    """What report.json says about the run itself: version, inputs, options, the rules' digest,
    start and end (UTC) and seconds per stage. The only part of a run's outputs that differs
    between two runs of the same command."""
    from storysift import __version__

    return {"storysift": __version__, "inputs": inputs, "options": asdict(options), "rules_sha256": rules_hash,
            "started": started, "ended": now_utc(), "seconds": seconds}


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def output_key(shards_key: str, options: RunOptions) -> str:
    """What decides a run's files: its inputs, reading options and rules (the shards' key),
    and the options of the stages after cleaning."""
    later = {"shards": shards_key, "strict": options.strict, "html_report": options.html_report,
             "report_docs": options.report_docs, "report_sample": options.report_sample,
             "report_ids": list(options.report_ids), "dedup": asdict(options.dedup) if options.dedup else None}
    return hashlib.sha256(json.dumps(later, sort_keys=True).encode()).hexdigest()


def finished_report(out_dir: Path, store: ShardStore, about: dict[str, object]) -> RunReport | None:
    """--resume on a folder that already holds this very run's complete output (complete.json
    names it, and no work folder is left): its report; no work is redone."""
    if store.dir.exists():
        return None
    try:
        manifest = read_complete(out_dir, ("report.json",))
    except IncompleteOutput:
        return None
    if manifest.get("run") != about["run"] or manifest.get("storysift") != about["storysift"]:
        return None
    report = RunReport.from_dict(json.loads((out_dir / "report.json").read_text(encoding="utf-8")))
    if report.stopped:
        return None  # a --strict run that stopped: run it again
    return report
