"""The Python API: storysift as a library inside other tools. Thin, typed wrappers over the
same stages the command line runs; the rules are loaded once and reused.

    >>> from storysift import api
    >>> doc = api.clean("Share on Facebook\\nThe council approved the budget on Monday.")
    >>> doc.text
    'The council approved the budget on Monday.'
    >>> [r.rule for r in doc.removed]
    ['social.share-line']
"""

from __future__ import annotations

import json
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from storysift.clean.page import clean_stream, clean_text
from storysift.corpus.dedup import DedupOptions, dedup_file
from storysift.document import Document, InputError, Reject
from storysift.read.documents import ReadOptions, record_document
from storysift.ruleset.load import RuleSet, load_rules
from storysift.run.engine import RunOptions, run_cleaning
from storysift.write.outputs import JsonlSink, atomic_text

__all__ = ["clean", "clean_records", "deduplicate", "run", "rules", "DedupOptions", "Document", "RuleSet"]


@lru_cache(maxsize=8)
def _cached_rules(extra: tuple[str, ...]) -> RuleSet:
    return load_rules(extra)


def rules(extra_dirs: Iterable[str | Path] = ()) -> RuleSet:
    """The bundled rules plus extra rule folders or files (later ones override by id); cached."""
    return _cached_rules(tuple(str(d) for d in extra_dirs))


def clean(content: str, url: str | None = None, ruleset: RuleSet | None = None, doc_id: str = "document") -> Document:
    """Clean one page, HTML or plain text (decided by its content). Raises ValueError with
    the reason when the content cannot be a document (empty, blank, past a parser limit)."""
    try:
        return clean_text(content, ruleset or rules(), url, doc_id)
    except InputError as exc:
        raise ValueError(f"{doc_id}: {exc}") from None


def clean_records(records: Iterable[Mapping[str, Any]], ruleset: RuleSet | None = None, *,
                  text_field: str = "text", html_field: str = "html", id_field: str = "id",
                  url_field: str = "url") -> Iterator[dict[str, Any]]:
    """Clean records (dicts with a text or HTML field), lazily, in order. A record that cannot
    be cleaned comes back as `{"id", "source", "reason"}` with no `text`."""
    options = ReadOptions(text_field, html_field, id_field, url_field)
    raws = (record_document(dict(record), f"record {n}", options) for n, record in enumerate(records, 1))
    for item in clean_stream(raws, ruleset or rules()):
        yield item.as_record()


def deduplicate(records: Iterable[Mapping[str, Any]], options: DedupOptions = DedupOptions()
                ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Group records with a text field into stories. Returns the records (each gaining
    `story` and `copy_of`) and one record per distinct story, as `storysift dedup` writes.
    Raises ValueError naming the first record with no string text field."""
    with tempfile.TemporaryDirectory(prefix="storysift-") as tmp:
        source = Path(tmp) / "input.jsonl"
        with atomic_text(source) as stream:
            sink = JsonlSink(stream)
            for record in records:
                sink.write(dict(record))
        rejects: list[Reject] = []
        dedup_file(source, Path(tmp) / "out", options, on_reject=rejects.append)
        if rejects:  # a record per line: the line number is the record's
            raise ValueError(f"record {rejects[0].source.rpartition(':')[2]}: {rejects[0].reason}")
        return _read_jsonl(Path(tmp) / "out" / "clean.jsonl"), _read_jsonl(Path(tmp) / "out" / "stories.jsonl")


def run(inputs: Iterable[str | Path], out_dir: str | Path, ruleset: RuleSet | None = None,
        options: RunOptions = RunOptions()) -> dict[str, Any]:
    """The whole pipeline, as `storysift run`: returns the report it writes as report.json."""
    report = run_cleaning([str(i) for i in inputs], Path(out_dir), ruleset or rules(), options)
    return report.as_dict()


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as stream:
        return [json.loads(line) for line in stream if line.strip()]
