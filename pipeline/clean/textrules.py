"""Text rules: run the line-pattern, run and structural rules over a document's lines, to a
fixed point, and return the kept text with every removed piece attributed to its rule.
HTML documents reach this stage as the text their main content was extracted to."""

from __future__ import annotations

from dataclasses import dataclass, field

from storysift.clean.detectors import STRUCTURAL_DETECTORS, Detector, Hit, group_marked
from storysift.clean.normalize import MAX_PATTERN_LINE, join_paragraphs, normalize_line
from storysift.clean.wholepage import NO_HEADLINES, PAGE_DETECTORS, title_and_headline
from storysift.document import Deferred, Removal
from storysift.ruleset.load import PAGE_KINDS, TEXT_KINDS, Rule, RuleSet

# Removing a piece can make new furniture visible (two blocks become adjacent, a trailer moves
# into the tail), so the rules run again until nothing changes; real pages settle in two passes.
MAX_PASSES = 4


@dataclass
class TextResult:
    text: str
    removed: list[Removal]
    links: list[str] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)  # the normalised lines the rules saw
    long_lines: int = 0  # lines past MAX_PATTERN_LINE, which no pattern was run on
    deferred: list[Deferred] = field(default_factory=list)  # kept in `text`, for the corpus stage


def lines_matching(rules: list[Rule], lines: list[str]) -> dict[str, set[int]]:
    """For each rule with a pattern, the indices of the lines it matches. Each line is encoded
    to UTF-8 once and RE2 searches the bytes: given a str, its wrapper encodes it again for
    every rule. (One RE2 set of all the patterns is slower than the searches: its automaton for
    the bundled rules outgrows any memory RE2 is given.)"""
    rules = [r for r in rules if r.regex is not None]
    matching: dict[str, set[int]] = {r.id: set() for r in rules}
    searched = [(i, line.encode("utf-8")) for i, line in enumerate(lines) if line and len(line) <= MAX_PATTERN_LINE]
    for rule in rules:
        matching[rule.id].update(i for i, line in searched if rule.regex.search(line))
    return matching


def line_pattern(rule: Rule, lines: list[str], live: list[int], matched: set[int]) -> list[Hit]:
    """Single lines matching the pattern (and no longer than `max_words`, when set)."""
    limit = rule.params["max_words"]
    hits = []
    for i in live:
        # maxsplit: counting up to limit + 1 words is enough, and a 10 MB line is not split whole.
        if i not in matched or limit and len(lines[i].split(None, limit)) > limit:
            continue
        match = rule.regex.search(lines[i])  # again, for its named groups
        groups = match.groupdict() if match else {}
        hits.append(Hit([i], {k: v.strip() for k, v in groups.items() if v and v.strip()}))
    return hits


def line_run(rule: Rule, lines: list[str], live: list[int], matched: set[int]) -> list[Hit]:
    """Runs of `min_lines` or more consecutive lines that each match the pattern."""
    marked = [i in matched for i in live]
    return [hit for hit in group_marked(live, marked) if len(hit.indices) >= rule.params["min_lines"]]


DETECTORS: dict[str, Detector] = {"line": line_pattern, "run": line_run, **STRUCTURAL_DETECTORS}


PATTERN_KINDS = ("line", "run")


def apply_text_rules(text: str, rules: RuleSet, host: str | None = None,
                     only: list[Rule] | None = None, whole_page: bool = False) -> TextResult:
    """Clean `text` with the rules that apply to `host` (or with `only` these rules). A
    `whole_page` text (a text document, not an HTML page's extracted text) then goes through
    the page kinds: its title line, and the line classifier over what the text rules left."""
    links: list[str] = []
    lines = [normalize_line(line, links) for line in text.splitlines()]
    if only is not None:
        active = [r for r in only if r.kind in TEXT_KINDS]
        page_rules = [r for r in only if r.kind in PAGE_KINDS]
    else:
        active = rules.for_host(host, TEXT_KINDS)
        page_rules = rules.for_host(host, PAGE_KINDS) if whole_page else []
    protectors = [] if only is not None else rules.for_host(host, ("protect",))
    matching = lines_matching([*active, *protectors], lines)
    protected = {i for r in protectors for i in matching[r.id]}
    headlines = NO_HEADLINES
    if whole_page:
        named = {i for r in active if r.kind in PATTERN_KINDS for i in matching.get(r.id, ())}
        headlines = title_and_headline(lines).without(named)
    shown = headlines.shown
    kept = protected | headlines.lines()
    removed_by: list[str | None] = [None] * len(lines)
    hits_by_rule: list[tuple[Rule, Hit]] = []
    deferred_hits: list[tuple[Rule, Hit]] = []
    deferring = only is None
    for _ in range(MAX_PASSES):
        changed = False
        for rule in active:
            live = [i for i, line in enumerate(lines) if line and removed_by[i] is None]
            for hit in DETECTORS[rule.kind](rule, lines, live, matching.get(rule.id, set())):
                for part in runs_without(hit.indices, kept):
                    indices = [i for i in part if removed_by[i] is None]
                    if not indices:
                        continue
                    for i in indices:
                        removed_by[i] = rule.id
                    if deferring and rule.kind in rules.deferred:  # taken, so no later rule removes them for good
                        deferred_hits.append((rule, Hit(indices, hit.meta)))
                    else:
                        hits_by_rule.append((rule, Hit(indices, hit.meta)))
                    changed = True
        if not changed:
            break
    stays = protected if shown is None else protected | {shown}
    for rule in page_rules:
        live = [i for i, line in enumerate(lines) if line and removed_by[i] is None]
        for hit in PAGE_DETECTORS[rule.kind](rule, lines, live, set()):
            for part in runs_without(hit.indices, stays):
                indices = [i for i in part if removed_by[i] is None]
                if not indices:
                    continue
                if deferring and rule.kind in rules.deferred:
                    deferred_hits.append((rule, Hit(indices, hit.meta, hit.score)))
                    continue
                for i in indices:
                    removed_by[i] = rule.id
                hits_by_rule.append((rule, Hit(indices, hit.meta, hit.score)))
    meta: dict[str, str] = {}
    removals = []
    for rule, hit in sorted(hits_by_rule, key=lambda pair: pair[1].indices[0]):
        for key, value in hit.meta.items():
            meta.setdefault(key, value)
        removals.append(removal(rule, hit, lines))
    if headlines.shown_is_title(meta.get("title")) and removed_by[shown] is None:
        meta["headline"] = lines[shown]
    waiting = {i for _, hit in deferred_hits for i in hit.indices}
    kept = [i for i, by in enumerate(removed_by) if by is None or i in waiting]
    positions: list[int] = []
    text = join_paragraphs([lines[i] for i in kept], positions)
    at = dict(zip(kept, positions))
    deferred = [Deferred(removal(rule, hit, lines), tuple(at[i] + 1 for i in hit.indices))
                for rule, hit in sorted(deferred_hits, key=lambda pair: pair[1].indices[0])]
    links = list(dict.fromkeys(links))
    long_lines = sum(1 for line in lines if len(line) > MAX_PATTERN_LINE)
    return TextResult(text, removals, links, meta, lines, long_lines, deferred)


def runs_without(indices: list[int], kept: set[int]) -> list[list[int]]:
    """A hit's lines without those that must stay, in the runs they leave: a removal's line span
    never holds a line that stayed."""
    runs: list[list[int]] = [[]]
    for i in indices:
        if i in kept:
            runs.append([])
        else:
            runs[-1].append(i)
    return [run for run in runs if run]


def removal(rule: Rule, hit: Hit, lines: list[str]) -> Removal:
    return Removal(rule.id, "\n".join(lines[i] for i in hit.indices), (hit.indices[0] + 1, hit.indices[-1] + 1),
                   # A classifier's removal, like extract.boilerplate's: "p<=0.12".
                   None if hit.score is None else f"p<={hit.score:.2f}")
