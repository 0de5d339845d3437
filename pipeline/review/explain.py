"""`storysift explain`: one document with every removed line shown in place, marked with the
id of the rule that removed it (jusText's detailed view, for rules). For an HTML page: the
elements CSS rules removed, then every text block of the page in order, the ones extraction
dropped under `extract.boilerplate` with the extractors' votes, the headline and byline under
`extract.title` and `extract.byline`, and the lines the text rules removed under theirs. With
`--run`, also what the corpus stage of that run made of it (its site, story, event and the site
template it lost)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

from storysift.document import Document

Style = Callable[[str, str], str]  # (text, role) -> styled text


def plain(text: str, role: str) -> str:
    return text


def line_rules(doc: Document) -> dict[int, str]:
    """The rule that removed each line of the text the line rules saw, by 1-based line number."""
    seen = doc.seen_text.splitlines()
    rule_of_line: dict[int, str] = {}
    for removal in doc.removed:
        if removal.lines is not None:
            # A span can hold lines this rule did not remove: a protected line it skipped (kept),
            # or a line an earlier rule removed. Mark only the lines the removal holds.
            removed_here = set(removal.text.splitlines())
            for number in range(removal.lines[0], min(removal.lines[1], len(seen)) + 1):
                if seen[number - 1] in removed_here:
                    rule_of_line[number] = removal.rule
    return rule_of_line


def line_votes(doc: Document) -> dict[int, str]:
    """A line removal's votes (the line classifier's "p<=0.12": the highest probability of
    article text among its lines) on the first line it removed, by 1-based line number."""
    seen = doc.seen_text.splitlines()
    votes_of_line: dict[int, str] = {}
    for removal in doc.removed:
        if removal.lines is not None and removal.votes:
            removed_here = set(removal.text.splitlines())
            first = next((n for n in range(removal.lines[0], min(removal.lines[1], len(seen)) + 1)
                          if seen[n - 1] in removed_here), None)
            if first is not None:
                votes_of_line[first] = removal.votes
    return votes_of_line


def render_explanation(doc: Document, style: Style = plain) -> str:
    out = [style(f"# {doc.id} ({doc.kind})  title={doc.title!r}  author={doc.author!r}  date={doc.date!r}", "header")]
    elements = [r for r in doc.removed if r.lines is None and r.votes is None and not r.rule.startswith("extract.")]
    if elements:
        out.append(style("## HTML elements removed before extraction", "header"))
        for removal in elements:
            text = " / ".join(removal.text.splitlines())
            snippet = text if len(text) <= 160 else text[:157] + "..."
            out.append(style(f"- [{removal.rule}] {snippet}", "removed"))
    seen = doc.seen_text.splitlines()
    rule_of_line = line_rules(doc)
    votes_of_line = line_votes(doc)

    def labelled(number: int) -> str | None:
        """The rule of a removed line; on a classifier's run's first line, with its probability."""
        rule = rule_of_line.get(number)
        return f"{rule} {votes_of_line[number]}" if rule and number in votes_of_line else rule

    # HTML: every block after pruning in page order; a kept block is the next line of the text.
    rows: list[tuple[str | None, str, str]] = []  # (rule, text, votes)
    number = 0
    for fate in doc.blocks:
        if fate.rule is None and number < len(seen):
            number += 1
            rows.append((labelled(number), seen[number - 1], ""))
        elif fate.rule is not None:
            votes = f"{fate.votes} p={fate.probability:.2f}" if fate.probability is not None else fate.votes
            rows.append((fate.rule, fate.text, votes))
    rows += [(labelled(n), seen[n - 1], "") for n in range(number + 1, len(seen) + 1)]
    if doc.blocks:
        out.append(style("## Page text, block by block", "header"))
    width = max((len(rule) for rule, _, _ in rows if rule), default=0) + 2
    for rule, line, votes in rows:
        if rule and line:
            suffix = f"  ({votes})" if votes else ""
            out.append(style(f"- {('[' + rule + ']').ljust(width)} {line}{suffix}", "removed"))
        elif line:
            out.append(style(f"  {''.ljust(width)} {line}", "kept"))
        else:
            out.append("")
    return "\n".join(out) + "\n"


def find_in_run(run_dir: Path, doc_id: str, source: str) -> tuple[dict | None, dict | None]:
    """A document's record in a run's clean.jsonl (by id, else by the file it came from) and
    its story's record in stories.jsonl, each None when the run has none."""
    found = None
    wanted = source_key(source)
    with open(run_dir / "clean.jsonl", encoding="utf-8") as stream:
        for line in stream:
            record = json.loads(line)
            if record.get("id") == doc_id:
                found = record
                break
            if found is None and isinstance(record.get("source"), str) and source_key(record["source"]) == wanted:
                found = record
    story = None
    if found is not None and found.get("story") and (run_dir / "stories.jsonl").exists():
        with open(run_dir / "stories.jsonl", encoding="utf-8") as stream:
            story = next((s for s in map(json.loads, stream) if s.get("story") == found["story"]), None)
    return found, story


def source_key(source: str) -> tuple[str, str]:
    """A source ("path", "path:line", "path:byte-offset") with its path resolved, so that a run
    given a relative path and an explain given an absolute one name the same document."""
    path, colon, place = source.rpartition(":")
    if not (colon and place.isdigit()):
        path, place = source, ""
    return (os.path.realpath(path) if path and path != "-" else path), place


def render_in_run(record: dict, story: dict | None, cleaning_rules: set[str], style: Style = plain) -> str:
    """What the corpus stage made of a document: its site, story and event, what the corpus
    removed (site templates) from the text cleaning gave it, and the text as written."""
    out = [style(f"## In the corpus run: site={record.get('site')!r}  story={record.get('story')!r}  "
                 f"copy_of={record.get('copy_of')!r}  event={(story or {}).get('event')!r}", "header")]
    if story is not None:
        out.append(style(f"   story {story['story']}: {story.get('size')} cop{'y' if story.get('size') == 1 else 'ies'}, "
                         f"title {story.get('title')!r}, canonical {story.get('canonical')!r}", "header"))
    corpus = [r for r in record.get("removed") or [] if isinstance(r, dict) and r.get("rule") not in cleaning_rules]
    for removal in corpus:
        for line in str(removal.get("text", "")).splitlines():
            out.append(style(f"- [{removal.get('rule')}] {line}", "removed"))
    if record.get("excluded"):
        out.append(style(f"   kept out of stories: {record['excluded']}", "header"))
    out.append(style("## Text as the run wrote it", "header"))
    out.extend(f"  {line}" if line else "" for line in str(record.get("text", "")).splitlines())
    return "\n".join(out) + "\n"
