"""`storysift explain`: one document with every removed line shown in place, marked with the
id of the rule that removed it (jusText's detailed view, for rules)."""

from __future__ import annotations

from typing import Callable

from storysift.document import Document

Style = Callable[[str, str], str]  # (text, role) -> styled text


def plain(text: str, role: str) -> str:
    return text


def render_explanation(doc: Document, style: Style = plain) -> str:
    out = [style(f"# {doc.id} ({doc.kind})  title={doc.title!r}  author={doc.author!r}  date={doc.date!r}", "header")]
    elements = [r for r in doc.removed if r.lines is None]
    if elements:
        out.append(style("## HTML elements removed before extraction", "header"))
        for removal in elements:
            snippet = removal.text if len(removal.text) <= 160 else removal.text[:157] + "..."
            out.append(style(f"- [{removal.rule}] {snippet}", "removed"))
        out.append(style("## Text", "header"))
    seen = doc.seen_text.splitlines()
    rule_of_line: dict[int, str] = {}
    for removal in doc.removed:
        if removal.lines is not None:
            # A span can hold lines this rule did not remove: a protected line it skipped (kept),
            # or a line an earlier rule removed. Mark only the lines the removal holds.
            removed_here = set(removal.text.splitlines())
            # A classifier's removal shows, on its first line, the highest probability of article
            # text among its lines.
            label = removal.rule if removal.score is None else f"{removal.rule} p<={removal.score:.2f}"
            for number in range(removal.lines[0], min(removal.lines[1], len(seen)) + 1):
                if seen[number - 1] in removed_here:
                    rule_of_line[number] = label
                    label = removal.rule
    width = max((len(rule) for rule in rule_of_line.values()), default=0) + 2
    for number, line in enumerate(seen, 1):
        rule = rule_of_line.get(number)
        if rule and line:
            out.append(style(f"- {('[' + rule + ']').ljust(width)} {line}", "removed"))
        elif line:
            out.append(style(f"  {''.ljust(width)} {line}", "kept"))
        else:
            out.append("")
    return "\n".join(out) + "\n"
