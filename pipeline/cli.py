"""The `storysift` command line: wires readers, cleaning, writers, fixtures and rule checks
into commands. Exit codes: 0 success, 1 a check failed or --strict stopped the run,
2 bad usage or a broken rule file (reported before any work starts), 3 the inputs gave
nothing to trust (a path does not exist, no document was found, every document or more
than --max-reject-share of them was rejected; what could be written was written), 4 an
output could not be written (disk full, read-only or unwritable folder: the message names
the file and the reason), 130, 143 and 129 interrupted by Ctrl-C, SIGTERM or SIGHUP."""

# No `from __future__ import annotations` here: typer reads every command's parameters at each
# start, and a string annotation costs it an eval (building the commands took 2.5x as long).
import gc
import json
import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict
from enum import Enum
from pathlib import Path
from typing import Annotated, Callable, Iterator, Optional

import typer

from storysift import __version__
from storysift.bundled import rules_dir, seeds_dir
from storysift.corpus.options import DEFAULT_NUM_PERM, DEFAULT_SHINGLE_SIZE, DEFAULT_THRESHOLD, DedupOptions, summary
from storysift.document import Reject
from storysift.read.documents import DEFAULT_MAX_BYTES, ReadOptions
from storysift.read.files import iter_inputs
from storysift.ruleset.load import RuleError, RuleSet, load_rules
from storysift.run.engine import RunOptions, StrictStop, clean_items, clean_to_file, now_utc, run_cleaning
from storysift.run.lock import FolderLocked, folder_in_use, output_lock
from storysift.run.signals import ENDING_SIGNALS, clear_pending, interrupted_code, on_ending_signal, raise_pending
from storysift.run.pool import DEFAULT_TIMEOUT_S, default_workers
from storysift.run.progress import LOG_EVERY_S, Progress
from storysift.run.ray_clean import RayUnavailable
from storysift.run.safety import output_dir_problem, output_file_problem
from storysift.run.shards import WORK_DIR, ResumeError
from storysift.write.complete import COMPLETE, IncompleteOutput, publish, read_complete, staging_folder
from storysift.write.outputs import (
    WRITTEN_IN_PLACE,
    OutputError,
    output_problem,
    record_sink,
    special_kind,
    target_problem,
    write_json,
)
from storysift.write.rejects import RejectLog
from storysift.write.reportviews import DEFAULT_REPORT_DOCS

BAD_INPUT = 3
WRITE_FAILED = 4
# The files `dedup --out` writes (then its completion manifest), besides its rejects file.
DEDUP_OUTPUTS = ("clean.jsonl", "stories.jsonl", "report.json")


class LevelName(str, Enum):
    debug = "DEBUG"
    info = "INFO"
    warning = "WARNING"
    error = "ERROR"


# Help and errors in click's plain format: rich (typer's default) took 0.4 s to import, more than
# the rest of `storysift --help`, and a traceback is a bug to report, not to decorate.
PLAIN = {"rich_markup_mode": None, "pretty_exceptions_enable": False}
app = typer.Typer(
    help="Clean scraped web pages into canonical text, every removal attributed to a rule.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    **PLAIN,
)
rules_app = typer.Typer(help="List the rules, run every rule's own examples, or import EasyList filters.",
                        no_args_is_help=True, **PLAIN)
app.add_typer(rules_app, name="rules")

RulesOption = Annotated[
    Optional[list[Path]],
    typer.Option("--rules", help="Extra rule folder or file (repeatable): adds rules, or overrides bundled ones by id."),
]
TextField = Annotated[str, typer.Option(help="Record field holding plain text (a.b: field b of object a).")]
HtmlField = Annotated[str, typer.Option(help="Record field holding HTML (preferred when present; a.b for nested).")]
IdField = Annotated[str, typer.Option(help="Record field holding the document id (a.b for nested).")]
UrlField = Annotated[str, typer.Option(help="Record field holding the page URL (a.b for nested).")]
MaxBytes = Annotated[int, typer.Option(help="Reject a document larger than this many bytes.", min=1)]
Strict = Annotated[bool, typer.Option("--strict", help="Stop at the first rejected input (exit 1).")]
Workers = Annotated[int, typer.Option(help="Cleaning processes; records keep the input order.", min=1)]
Timeout = Annotated[float, typer.Option(help="Seconds of cleaning per document before it is rejected.", min=0.01)]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress and no summary line on stderr.")]
ProgressEvery = Annotated[float, typer.Option(
    help="When stderr is not a terminal: a progress line (stage, documents, docs/s) every this many seconds.", min=0.1)]
Verbose = Annotated[int, typer.Option("--verbose", "-v", count=True, help="Log each stage (-v) or more (-vv) on stderr.")]
LogLevel = Annotated[Optional[LevelName], typer.Option(
    "--log-level", case_sensitive=False, help="Log level (overrides -v).")]
AllowOutInInput = Annotated[bool, typer.Option(
    "--allow-out-in-input", help="Allow the output inside an input folder (a later run over it reads the output too).")]
Threshold = Annotated[float, typer.Option(help="Jaccard similarity (0..1] of word shingles at which two pages are copies.")]
ShingleSize = Annotated[int, typer.Option(help="Words per shingle for copy detection.")]
NumPerm = Annotated[int, typer.Option(help="MinHash permutations per signature.")]
MaxRejectShare = Annotated[Optional[float], typer.Option(
    help="Exit 3 when more than this share (0..1) of the documents is rejected.", min=0.0, max=1.0)]
IndexOption = Annotated[Optional[str], typer.Option(
    "--index", help="Keep stories across runs in this SQLite file or redis://host:port/db; stories seen before keep their id.")]


def dedup_options(threshold: float, shingle_size: int, num_perm: int,
                  text_field: str = "text", id_field: str = "id", index: str | None = None) -> DedupOptions:
    """Dedup options, refused before any work starts when one is out of range or the index
    cannot be used with them."""
    options = DedupOptions(threshold, shingle_size, num_perm, text_field=text_field, id_field=id_field,
                           index=index)
    problems = options.problems()
    if not problems and index is not None:
        from storysift.corpus.index import index_problem

        problems = [p for p in [index_problem(index, num_perm, shingle_size, threshold)] if p]
    if problems:
        raise fail("; ".join(problems))
    return options


def input_problem(missing: list[str], written: int, rejected: int, max_share: float | None) -> str | None:
    """Why a run's inputs gave nothing to trust, for exit code 3; None when they did.
    `rejected` leaves out records skipped by design (a WARC's requests and images): they are
    no failure, and a run of nothing but them found no document."""
    if missing:
        return f"no such file or folder: {', '.join(missing)}"
    if written + rejected == 0:
        return "no input document found"
    if written == 0:
        return f"every document was rejected ({rejected}); see the rejects for why"
    if max_share is not None and rejected > max_share * (written + rejected):
        return f"{rejected} of {written + rejected} documents rejected, more than --max-reject-share {max_share:g}"
    return None


def missing_inputs(inputs: list[str]) -> list[str]:
    return [name for name in inputs if name != "-" and not Path(name).exists()]


def check_inputs(missing: list[str], written: int, rejected: int, max_share: float | None) -> None:
    if problem := input_problem(missing, written, rejected, max_share):
        raise fail(problem, BAD_INPUT)


def show_version(value: bool) -> None:
    if value:
        typer.echo(f"storysift {__version__}")
        raise typer.Exit()


@app.callback()
def callback(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", callback=show_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Clean scraped web pages into canonical text, every removal attributed to a rule."""
    if threading.current_thread() is threading.main_thread():
        clear_pending()
        for ending in ENDING_SIGNALS:
            if signal.getsignal(ending) is not signal.SIG_IGN:
                previous = signal.signal(ending, on_ending_signal)
                ctx.call_on_close(lambda ending=ending, previous=previous: signal.signal(ending, previous))
        ctx.call_on_close(clear_pending)  # a signal of this command is not the next one's


def configure_logging(verbose: int, level: LevelName | None) -> None:
    """Log records on stderr at the level asked: WARNING by default, -v INFO, -vv DEBUG."""
    import logging

    name = level.value if level else ("DEBUG" if verbose > 1 else "INFO" if verbose else "WARNING")
    logging.basicConfig(level=name, format="storysift: %(levelname)s %(name)s: %(message)s", stream=sys.stderr,
                        force=True)


class ReportSample(str, Enum):
    sites = "sites"
    first = "first"


class Engine(str, Enum):
    local = "local"
    ray = "ray"


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"storysift: error: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def ending_on_errors(interrupted: str, progress: Progress | None = None,
                     kept: Callable[[], str] = str) -> Iterator[None]:
    """How a writing command ends on an error, as `storysift: error: ...` and an exit code: a
    killed run it cannot resume, a folder another command holds or no Ray, 2; a failed write,
    WRITE_FAILED, then what `kept()` says it left; Ctrl-C or a signal, the shell's code and
    `interrupted`. `progress`'s line is cleared in any case, before the message."""
    try:
        try:
            yield
        finally:
            if progress:
                progress.close()
    except (ResumeError, RayUnavailable, FolderLocked) as exc:
        raise fail(str(exc)) from None
    except OutputError as exc:
        raise fail(f"{exc}{kept()}", WRITE_FAILED) from None
    except KeyboardInterrupt as exc:
        raise fail(interrupted, interrupted_code(exc)) from None


def get_rules(extra: Optional[list[Path]]) -> RuleSet:
    try:
        return load_rules(extra or [])
    except RuleError as exc:
        raise fail(str(exc)) from None


def load_cleaning_stage() -> None:
    """Import the cleaning stage (the extractors, the parsers, numpy) before the first page, with
    the cyclic GC off while it loads, and freeze what start-up made out of the GC's scans: those
    objects live as long as the process, yet the collections during the imports and the first
    full one after them walk them all. Forked workers inherit them loaded and frozen."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        import storysift.clean.page  # noqa: F401
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def read_options(text_field: str, html_field: str, id_field: str, url_field: str, max_bytes: int) -> ReadOptions:
    return ReadOptions(text_field, html_field, id_field, url_field, max_bytes)


@app.command()
def clean(
    inputs: Annotated[list[str], typer.Argument(help="Files, folders, or - for stdin.")],
    out: Annotated[str, typer.Option("--out", "-o", help="Output file: .jsonl (.gz, .zst compress), .parquet, or - for stdout.")] = "-",
    rejects: Annotated[Optional[str], typer.Option(help="Where rejects go (default: beside --out, or stderr).")] = None,
    rules: RulesOption = None,
    text_field: TextField = "text",
    html_field: HtmlField = "html",
    id_field: IdField = "id",
    url_field: UrlField = "url",
    max_bytes: MaxBytes = DEFAULT_MAX_BYTES,
    strict: Strict = False,
    allow_out_in_input: AllowOutInInput = False,
    workers: Workers = 1,
    timeout: Timeout = DEFAULT_TIMEOUT_S,
    max_reject_share: MaxRejectShare = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue a killed clean --out FILE: skip its finished shards.")] = False,
    fresh: Annotated[bool, typer.Option("--fresh", help="Discard a killed clean's finished shards and start over.")] = False,
    quiet: Quiet = False,
    progress_every: ProgressEvery = LOG_EVERY_S,
    verbose: Verbose = 0,
    log_level: LogLevel = None,
) -> None:
    """Clean documents into JSON Lines or Parquet, one record per document."""
    configure_logging(verbose, log_level)
    ruleset = get_rules(rules)
    # Rejects go beside a file --out; beside a FIFO or a device (/dev/null) there is no such place.
    rejects_path = rejects or (f"{out}.rejects.jsonl" if out != "-" and special_kind(out) not in WRITTEN_IN_PLACE
                               else None)
    if problem := output_problem(out) or (rejects and target_problem(rejects)):
        raise fail(problem)
    streamed = out == "-" or special_kind(out) in WRITTEN_IN_PLACE  # stdout, a FIFO, /dev/null
    if streamed and (resume or fresh):
        raise fail("--resume and --fresh continue or discard a killed clean --out FILE; "
                   f"--out {out} streams and keeps nothing")
    options = RunOptions(read_options(text_field, html_field, id_field, url_field, max_bytes), strict,
                         workers=workers, timeout=timeout, resume=resume, fresh=fresh)
    if problem := output_file_problem([out, rejects_path], inputs, allow_out_in_input):
        raise fail(problem)
    for target in (out, rejects_path):
        if target and target != "-" and (holder := folder_in_use(Path(target).parent)):
            raise fail(f"{Path(target).parent}: another storysift command ({holder}) is writing into this folder; "
                       "wait for it to end, or choose another --out")
    missing = missing_inputs(inputs)
    load_cleaning_stage()
    if streamed:  # records stream out as they are cleaned
        written, rejected, stopped = clean_to_stream(inputs, out, rejects_path, ruleset, options)
    else:
        written, rejected, stopped = clean_to_out_file(inputs, Path(out), rejects_path, ruleset, options,
                                                       Progress(quiet=quiet, every=progress_every))
    if stopped:
        raise typer.Exit(1)
    check_inputs(missing, written, rejected, max_reject_share)


def clean_to_stream(inputs: list[str], out: str, rejects_path: str | None, ruleset: RuleSet,
                    options: RunOptions) -> tuple[int, int, bool]:
    """`clean --out -` (or a FIFO, a device): documents, rejects and whether --strict stopped the run."""
    stopped = False
    with ending_on_errors("interrupted"), record_sink(out) as sink, RejectLog(rejects_path) as log:
        for item in clean_items(iter_inputs(inputs, options.read), ruleset, options):
            if isinstance(item, Reject):
                log.add(item)
                if options.strict and not item.skipped:
                    stopped = True
                    break
            else:
                sink.write(item.as_record())
            raise_pending()
    log.summary()
    return sink.count, log.rejected, stopped


def clean_to_out_file(inputs: list[str], out: Path, rejects_path: str | None, ruleset: RuleSet, options: RunOptions,
                      progress: Progress) -> tuple[int, int, bool]:
    """`clean --out FILE`, resumable: documents, rejects and whether --strict stopped the run."""
    log = RejectLog(listed_in=rejects_path)
    work = f"{out.parent / ('.' + out.name)}.storysift-work"
    with ending_on_errors(f"interrupted: {out} was not written; the finished shards are kept in {work}/: "
                          "rerun with --resume to continue", progress):
        report, stop = clean_to_file(inputs, out, Path(rejects_path) if rejects_path else None, ruleset, options,
                                     progress, lambda item, _: log.add(item) if isinstance(item, Reject) else None)
    log.summary(report)
    return report.written, report.rejected, stop is not None


@app.command()
def run(
    inputs: Annotated[Optional[list[str]], typer.Argument(help="Files, folders, or -; default: the bundled seeds.")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("storysift-out"),
    rules: RulesOption = None,
    text_field: TextField = "text",
    html_field: HtmlField = "html",
    id_field: IdField = "id",
    url_field: UrlField = "url",
    max_bytes: MaxBytes = DEFAULT_MAX_BYTES,
    strict: Strict = False,
    max_reject_share: MaxRejectShare = None,
    quiet: Quiet = False,
    progress_every: ProgressEvery = LOG_EVERY_S,
    verbose: Verbose = 0,
    log_level: LogLevel = None,
    threshold: Threshold = DEFAULT_THRESHOLD,
    shingle_size: ShingleSize = DEFAULT_SHINGLE_SIZE,
    num_perm: NumPerm = DEFAULT_NUM_PERM,
    index: IndexOption = None,
    allow_out_in_input: AllowOutInInput = False,
    workers: Annotated[Optional[int], typer.Option(help="Processes for cleaning and for the corpus stage's work on each document (default: all cores); the output is the same.", min=1)] = None,
    timeout: Timeout = DEFAULT_TIMEOUT_S,
    resume: Annotated[bool, typer.Option("--resume", help="Continue a killed run: skip its finished shards.")] = False,
    fresh: Annotated[bool, typer.Option("--fresh", help="Discard a killed run's finished shards and start over.")] = False,
    engine: Annotated[Engine, typer.Option(help="local: this machine; ray: a Ray cluster (pip install 'storysift[ray]').")] = Engine.local,
    address: Annotated[Optional[str], typer.Option(help="Ray cluster address (with --engine ray; default: start or find a local one).")] = None,
    html_report: Annotated[bool, typer.Option("--html-report/--no-html-report", help="Write report.html (counts, charts, stories, document views).")] = True,
    report_docs: Annotated[int, typer.Option(help="Documents with a side-by-side view in report.html.", min=0)] = DEFAULT_REPORT_DOCS,
    report_sample: Annotated[ReportSample, typer.Option(help="Which documents get a view: spread over the sites (the first of each), or the first N cleaned.")] = ReportSample.sites,
    report_doc: Annotated[Optional[list[str]], typer.Option("--report-doc", help="A document id that gets a view whatever --report-docs (repeatable).")] = None,
) -> None:
    """Run the whole pipeline into a folder: clean.jsonl, stories.jsonl, rejects.jsonl, report.json, report.html."""
    configure_logging(verbose, log_level)
    ruleset = get_rules(rules)
    dedup = dedup_options(threshold, shingle_size, num_perm, index=index)
    sources = inputs or [str(seeds_dir())]
    if problem := output_dir_problem(out, sources, allow_out_in_input):
        raise fail(problem)
    options = RunOptions(
        read_options(text_field, html_field, id_field, url_field, max_bytes), strict, dedup,
        workers=workers or default_workers(), timeout=timeout, resume=resume, fresh=fresh, engine=engine.value,
        ray_address=address, html_report=html_report, report_docs=report_docs, report_sample=report_sample.value,
        report_ids=tuple(report_doc or ()),
    )
    missing = missing_inputs(sources)
    load_cleaning_stage()
    started = time.perf_counter()
    progress = Progress(quiet=quiet, every=progress_every)
    try:
        with ending_on_errors(f"interrupted; the finished shards are kept in {out}/: rerun with --resume to continue",
                              progress, lambda: kept_after_failure(out)):
            report = run_cleaning(sources, out, ruleset, options, progress)
    except StrictStop as stop:
        raise fail(f"rejected {stop}; output so far is in {out}/", 1) from None
    if not quiet:
        elapsed = time.perf_counter() - started
        typer.echo(
            f"storysift: {report.written + report.rejected + report.skipped} read, {report.written} written, "
            f"{report.rejected} rejected{f', {report.skipped} skipped' if report.skipped else ''}, "
            f"{sum(report.rules.values())} removals; "
            f"{summary(report.stages['dedup'])} -> {out}/ ({elapsed:.1f}s)",
            err=True,
        )
    check_inputs(missing, report.written, report.rejected, max_reject_share)


@app.command()
def dedup(
    clean_file: Annotated[Path, typer.Argument(help="Records with a text field: JSON Lines (plain, .gz, .zst) or Parquet, as clean writes them.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder: clean.jsonl, stories.jsonl, report.json.")] = Path("storysift-out"),
    rejects: Annotated[Optional[Path], typer.Option(help="Where rejected lines go (default: OUT/rejects.jsonl).")] = None,
    threshold: Threshold = DEFAULT_THRESHOLD,
    shingle_size: ShingleSize = DEFAULT_SHINGLE_SIZE,
    num_perm: NumPerm = DEFAULT_NUM_PERM,
    index: IndexOption = None,
    text_field: TextField = "text",
    id_field: IdField = "id",
    workers: Annotated[Optional[int], typer.Option(help="Processes for reading, template removal, shingling and signing (default: all cores); the output is the same.", min=1)] = None,
    max_reject_share: MaxRejectShare = None,
    quiet: Quiet = False,
    progress_every: ProgressEvery = LOG_EVERY_S,
    verbose: Verbose = 0,
    log_level: LogLevel = None,
) -> None:
    """Learn each site's template and remove it, then collapse copies into distinct stories."""
    configure_logging(verbose, log_level)
    options = dedup_options(threshold, shingle_size, num_perm, text_field, id_field, index)
    if not clean_file.is_file():
        raise fail(f"no such file: {clean_file}", BAD_INPUT)
    in_place = os.path.realpath(clean_file) == os.path.realpath(out / "clean.jsonl")
    # A run's own clean.jsonl deduplicated again: its rejects.jsonl (the cleaning's) stays as it is.
    rejects_name = "dedup-rejects.jsonl" if in_place else "rejects.jsonl"
    started, started_at = time.perf_counter(), now_utc()
    progress = Progress(quiet=quiet, every=progress_every)
    from storysift.run.pool_dedup import dedup_parallel

    try:
        with ending_on_errors(f"interrupted: {out}/ holds what it held before", progress), output_lock(out):
            if in_place and (out / "report.json").is_file():
                read_complete(out, ("clean.jsonl",))  # a run's output is read only when whole
            staged = staging_folder(out)
            with RejectLog(rejects or staged / rejects_name) as log:
                stats = dedup_parallel(clean_file, staged, options, workers or default_workers(), on_reject=log.add,
                                       progress=progress)
            progress.close()
            run = {"storysift": __version__, "inputs": [str(clean_file)], "options": asdict(options),
                   "started": started_at, "ended": now_utc(), "seconds": progress.timings()}
            # In place, the run's report keeps its figures; "run" then says what this command did.
            write_json(staged / "report.json", {**(earlier_report(out) if in_place else {}), "run": run, "dedup": stats})
            outputs = DEDUP_OUTPUTS if rejects else (*DEDUP_OUTPUTS, rejects_name)
            raise_pending()
            publish(staged, out, outputs, {"command": "dedup", "storysift": __version__})
    except IncompleteOutput as exc:
        raise fail(f"{exc}; run the command that wrote it again (`run --resume` finishes a killed run)",
                   BAD_INPUT) from None
    log.summary()
    if not quiet:
        typer.echo(f"storysift: {summary(stats)} -> {out}/ ({time.perf_counter() - started:.1f}s)", err=True)
    check_inputs([], stats["documents"], stats["rejected"], max_reject_share)


def kept_after_failure(out: Path) -> str:
    """What a run that could not write leaves for the next one, in words."""
    kept = f"; {out}/ still holds its previous complete output" if (out / COMPLETE).is_file() else ""
    if any((out / WORK_DIR).glob("*.done")):
        kept += f"; the finished shards are kept in {out}/: rerun with --resume once it can be written"
    return kept


def earlier_report(out: Path) -> dict:
    """Deduplicating a run's own output in place: the run's report, which gains the dedup section."""
    report_path = out / "report.json"
    if not report_path.is_file():
        return {}
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
    except ValueError:
        return {}
    return report if isinstance(report, dict) else {}


@app.command()
def explain(
    file: Annotated[str, typer.Argument(help="A document (or JSON Lines file: every record), or -.")],
    rules: RulesOption = None,
    color: Annotated[Optional[bool], typer.Option("--color/--no-color", help="Default: colour on a terminal.")] = None,
    text_field: TextField = "text",
    html_field: HtmlField = "html",
    id_field: IdField = "id",
    url_field: UrlField = "url",
    run_dir: Annotated[Optional[Path], typer.Option(
        "--run", help="A `storysift run` output folder holding the document: also show its site, story and "
                      "event there and what the corpus stage removed (site.template).")] = None,
) -> None:
    """Show a document with every removed line in place, marked with its rule id."""
    from storysift.review.explain import find_in_run, plain, render_explanation, render_in_run

    if run_dir is not None and not (run_dir / "clean.jsonl").is_file():
        raise fail(f"{run_dir}: no clean.jsonl here; --run takes the output folder of `storysift run`")

    ruleset = get_rules(rules)
    use_color = sys.stdout.isatty() if color is None else color
    colors = {"removed": typer.colors.RED, "header": typer.colors.CYAN}

    def style(text: str, role: str) -> str:
        return typer.style(text, fg=colors[role]) if role in colors else text

    from storysift.clean.page import clean_stream

    options = read_options(text_field, html_field, id_field, url_field, DEFAULT_MAX_BYTES)
    for item in clean_stream(iter_inputs([file], options), ruleset):
        if isinstance(item, Reject) and item.skipped:
            continue  # a WARC's requests, images and the like
        if isinstance(item, Reject):
            raise fail(f"{item.source}: {item.reason}", 1)
        # color=: click strips styles when stdout is not a terminal, which --color asks for.
        typer.echo(render_explanation(item, style if use_color else plain), nl=False, color=use_color)
        if run_dir is not None:
            record, story = find_in_run(run_dir, item.id, item.source)
            if record is None:
                raise fail(f"{run_dir}: no document {item.id!r} (nor from {item.source}) in clean.jsonl", 1)
            cleaning = {r.rule for r in item.removed}
            typer.echo(render_in_run(record, story, cleaning, style if use_color else plain), nl=False,
                       color=use_color)


@app.command()
def check(
    directory: Annotated[Path, typer.Argument(help="Folder of fixtures.")] = Path("fixtures"),
    update: Annotated[bool, typer.Option("--update", help="Rewrite the golden files from the current output.")] = False,
    rules: RulesOption = None,
) -> None:
    """Run every fixture and compare with its golden output; exit 1 on any difference."""
    from storysift.review.fixtures import check_all

    get_rules(rules)  # a broken rule file fails before any fixture runs
    if not directory.is_dir():
        raise fail(f"{directory}: no such fixtures folder")
    results = check_all(directory, list(rules or []), update)
    if not results:
        raise fail(f"{directory}: no fixtures (folders with an input.* file)")
    failed = [r for r in results if not r.ok]
    for result in failed:
        typer.echo(result.diff)
    verb = "updated" if update else "checked"
    typer.echo(f"{len(results)} fixtures {verb}, {len(failed)} differ" if not update else f"{len(results)} fixtures {verb}")
    if failed:
        raise typer.Exit(1)


@rules_app.command("list")
def rules_list(rules: RulesOption = None) -> None:
    """List every rule: id, kind, scope, where it comes from and description."""
    bundled = rules_dir().resolve()
    for rule in get_rules(rules).rules:
        scope = rule.host or "generic"
        state = "" if rule.enabled else " (disabled)"
        origin = Path(rule.origin).resolve()
        source = f"bundled:{origin.relative_to(bundled)}" if origin.is_relative_to(bundled) else str(rule.origin)
        typer.echo(f"{rule.id}\t{rule.kind}\t{scope}\t{source}{state}\t{rule.description}")


@rules_app.command("test")
def rules_test(rules: RulesOption = None) -> None:
    """Run every rule's own match/keep examples; exit 1 if any fails."""
    from storysift.ruleset.selftest import check_rules

    ruleset = get_rules(rules)
    failures = check_rules(ruleset)
    for failure in failures:
        typer.echo(f"FAIL {failure}")
    examples = sum(len(r.examples["match"]) + len(r.examples["keep"]) for r in ruleset.rules)
    typer.echo(f"{len(ruleset.rules)} rules, {examples} examples: {examples - len(failures)} passed, {len(failures)} failed")
    if failures:
        raise typer.Exit(1)


@rules_app.command("import-easylist")
def rules_import_easylist(
    file: Annotated[Path, typer.Argument(help="An EasyList / uBlock Origin filter list.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Generic rule file (.yaml, or .toml: 7x quicker to load); per-site files go to its folder's sites/.")],
    prefix: Annotated[str, typer.Option(help="Rule id prefix.")] = "easylist",
) -> None:
    """Turn cosmetic filters (##, host##, #@#) into CSS rule files; count what cannot be used."""
    from storysift.ruleset.easylist import import_easylist, write_rules

    if not file.is_file():
        raise fail(f"{file}: no such file")
    if out.suffix not in (".yaml", ".yml", ".toml"):
        raise fail(f"{out}: --out must be a .yaml or .toml file (the generic rules); per-site files go beside it in sites/")
    result = import_easylist(file.read_text(encoding="utf-8", errors="replace"), str(file), prefix)
    try:
        written = write_rules(result, out)
    except FileExistsError as exc:
        raise fail(str(exc)) from None
    for reason, count in sorted(result.skipped.items(), key=lambda item: (-item[1], item[0])):
        typer.echo(f"skipped {count}\t{reason}")
    typer.echo(f"{result.filters} filters: {len(result.generic)} generic rules -> {out}, "
               f"{result.rules - len(result.generic)} site rules -> {len(written) - 1} files in {out.parent / 'sites'}/")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
