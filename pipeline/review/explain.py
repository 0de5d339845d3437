"""`storysift explain`: one document with every removed line shown in place, marked with the
id of the rule that removed it (jusText's detailed view, for rules). For an HTML page: the
elements CSS rules removed, then every text block of the page in order, the ones extraction
dropped under `extract.boilerplate` with the extractors' votes, the headline and byline under
`extract.title` and `extract.byline`, and the lines the text rules removed under theirs."""

from __future__ import annotations

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
    # HTML: every block after pruning in page order; a kept block is the next line of the text.
    rows: list[tuple[str | None, str, str]] = []  # (rule, text, votes)
    number = 0
    for fate in doc.blocks:
        if fate.rule is None and number < len(seen):
            number += 1
            rows.append((rule_of_line.get(number), seen[number - 1], ""))
        elif fate.rule is not None:
            votes = f"{fate.votes} p={fate.probability:.2f}" if fate.probability is not None else fate.votes
            rows.append((fate.rule, fate.text, votes))
    rows += [(rule_of_line.get(n), seen[n - 1], "") for n in range(number + 1, len(seen) + 1)]
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
