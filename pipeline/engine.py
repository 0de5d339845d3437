"""The local engine: stream documents from the readers through cleaning into the output
folder (clean.jsonl, rejects.jsonl, report.json). Stages after cleaning read what cleaning
wrote, so the corpus text is never held in memory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from pipeline.cleaner import clean_document
from pipeline.dedup import DedupOptions, dedup_file
from pipeline.document import Document, RawDocument
from pipeline.readers import InputError, ReadOptions, Reject, iter_inputs
from pipeline.report import RunReport
from pipeline.rules import RuleSet
from pipeline.writers import JsonlSink, atomic_text, write_json


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


def clean_stream(items: Iterable[RawDocument | Reject], rules: RuleSet) -> Iterator[Document | Reject]:
    """Clean each raw document; a document whose cleaning fails becomes a reject."""
    for item in items:
        if isinstance(item, Reject):
            yield item
            continue
        try:
            yield clean_document(item, rules)
        except InputError as exc:  # a page past a parser's limit (pipeline.htmllimits)
            yield Reject(item.source, str(exc), item.id)
        except RecursionError:
            yield Reject(item.source, "document too deeply nested to parse", item.id)
        except Exception as exc:  # one broken page must not take the run down
            yield Reject(item.source, f"cleaning failed: {type(exc).__name__}: {exc}", item.id)


def run_cleaning(inputs: list[str], out_dir: Path, rules: RuleSet, options: RunOptions = RunOptions(),
                 on_progress: Callable[[int], None] | None = None) -> RunReport:
    """Clean every input into `out_dir`; returns the report (also written as report.json)."""
    report = RunReport()
    out_dir.mkdir(parents=True, exist_ok=True)
    stop: Reject | None = None
    with atomic_text(out_dir / "clean.jsonl") as clean_out, atomic_text(out_dir / "rejects.jsonl") as rejects_out:
        clean_sink, reject_sink = JsonlSink(clean_out), JsonlSink(rejects_out)
        for item in clean_stream(iter_inputs(inputs, options.read), rules):
            if isinstance(item, Reject):
                report.add_reject(item)
                reject_sink.write(item.as_record())
                if options.strict:
                    stop = item
                    break
            else:
                report.add_document(item)
                clean_sink.write(item.as_record())
            if on_progress:
                on_progress(report.written + report.rejected)
    if stop is not None:
        # What was written up to the stop is kept; the report says where it stopped.
        report.stopped = f"--strict: stopped at the first reject ({stop.source})"
    elif options.dedup is not None:
        # Our own records: the dedup options' field names are those of clean.jsonl.
        report.stages["dedup"] = dedup_file(out_dir / "clean.jsonl", out_dir, options.dedup)
    write_json(out_dir / "report.json", report.as_dict())
    if stop is not None:
        raise StrictStop(stop)
    return report
