"""Rule files: load, validate and resolve the declarative rules every cleaning stage reads.

Rule files are data (YAML via safe_load, or TOML); nothing in them is executed. Patterns are
compiled with RE2, which runs in linear time, so no user pattern can hang a run.
"""

from __future__ import annotations

import os
import reprlib
import stat
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Iterable

import re2
import yaml

from storysift.bundled import rules_dir
from storysift.read.folders import special_file_kind

# The order in which the kinds run over a document's lines. Whole-document structure first
# (a block repeated ten times is recognisable only before its parts are removed one by one),
# then runs of lines (more specific than any one of their lines), then single lines, then detectors that read what is left.
TEXT_KINDS = ("repeated_block", "run", "line", "byline", "headline_list", "author_bio", "trailer")
# Kinds that read a whole page as a scraper saved it (its <title> first, then menus, article,
# comments and footer): they run on text documents only, after the text rules, in this order.
PAGE_KINDS = ("title_line", "list_line", "classifier")
KINDS = ("css", "protect", *TEXT_KINDS, *PAGE_KINDS)

COMMON_FIELDS = {"id", "kind", "description", "examples", "enabled"}
KIND_FIELDS: dict[str, dict[str, Any]] = {
    # field: default (None = required)
    "css": {"selector": None},
    "protect": {"pattern": None},
    "line": {"pattern": None, "max_words": 0},
    "run": {"pattern": None, "min_lines": 3},
    "repeated_block": {"min_lines": 2, "min_repeats": 2, "injected_repeats": 3},
    "headline_list": {"min_lines": 4, "max_words": 16, "min_title_ratio": 0.6},
    "byline": {"pattern": None, "max_following": 2, "max_words": 6},
    "author_bio": {"pattern": None, "max_words": 80},
    "trailer": {"pattern": None, "max_words": 25, "tail_share": 0.5},
    "title_line": {"max_words": 20, "min_similarity": 0.5},
    "list_line": {"min_words": 25, "max_lowercase_share": 0.2, "max_sentence_share": 0.02},
    # model: a file written by bench/train_text_model.py, relative to the rule file; "" = the bundled one.
    "classifier": {"threshold": 0.5, "relative": 1.0, "model": ""},
}
# Fields of a kind that are shares of a line's or a page's words.
SHARES = {"headline_list": ("min_title_ratio",), "trailer": ("tail_share",), "title_line": ("min_similarity",),
          "list_line": ("max_lowercase_share", "max_sentence_share")}
# libyaml's safe loader when built (4x faster on a 6,000-filter EasyList import), else PyYAML's.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FILE_FIELDS = {"concern", "host", "description", "rules"}
RULE_SUFFIXES = (".yaml", ".yml", ".toml")
# A YAML alias (*name) repeats the value its anchor names without copying it: nine levels of
# nine aliases, 600 bytes, stand for 387 million strings, which an error message or `rules test`
# then wrote out whole (5.5 GB). With every alias written out, a rule file's data may be at
# most this many times what the file spells out (or MIN_ALIAS_ALLOWANCE: aliases in a small
# file), counting each value once and each character of a string.
MAX_ALIAS_GROWTH = 10
MIN_ALIAS_ALLOWANCE = 1_000_000
# How much of a value a message shows: a rule file's values can be megabytes long.
SHOWN = reprlib.Repr()
SHOWN.maxstring, SHOWN.maxother, SHOWN.maxlist, SHOWN.maxdict, SHOWN.maxlevel = 120, 120, 6, 6, 2


class RuleError(ValueError):
    """A rule file that cannot be used; the message names the file and the rule."""


class AliasGrowthError(yaml.YAMLError):
    """YAML whose aliases stand for far more data than the file spells out (an alias bomb)."""


class DuplicateKeyError(yaml.YAMLError):
    """A YAML mapping that names one key twice: the safe loader keeps the last value silently,
    so a rule pasted into another took that rule's kind and pattern without a word."""


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    description: str
    params: dict[str, Any]
    examples: dict[str, list[Any]]
    origin: str  # the file it was read from
    host: str | None = None  # per-site rules apply only to pages of this host
    enabled: bool = True
    regex: Any = field(default=None, compare=False, repr=False)

    def __reduce__(self):  # compiled RE2 patterns do not pickle: workers compile their own
        state = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "regex"}
        return (_rebuild_rule, (state,))

    def applies_to(self, host: str | None) -> bool:
        if self.host is None:
            return True
        return host is not None and (host == self.host or host.endswith("." + self.host))


def _rebuild_rule(state: dict[str, Any]) -> Rule:
    pattern = state["params"].get("pattern")
    return Rule(**state, regex=compile_pattern(pattern, state["id"]) if pattern else None)


@dataclass
class RuleSet:
    rules: list[Rule]
    # Page kinds whose removals cleaning proposes and the corpus stage decides on
    # (Document.deferred): `storysift run` defers the line classifier to it (`deferring`).
    deferred: tuple[str, ...] = ()

    def deferring(self, kinds: Iterable[str]) -> RuleSet:
        """The same rules, with the removals of rules of `kinds` left for the corpus stage."""
        return RuleSet(self.rules, tuple(kinds))

    def by_id(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def for_host(self, host: str | None, kinds: Iterable[str]) -> list[Rule]:
        """Enabled rules of the given kinds that apply to `host`, in run order."""
        wanted = tuple(kinds)
        chosen = [r for r in self.rules if r.enabled and r.kind in wanted and r.applies_to(host)]
        return sorted(chosen, key=lambda r: wanted.index(r.kind))


def load_rules(extra_dirs: Iterable[Path | str] = ()) -> RuleSet:
    """Bundled rules, then each extra directory (or single rule file) in order; a later rule
    replaces an earlier one with the same id, so users override bundled rules without touching code."""
    merged: dict[str, Rule] = {}
    for directory in [rules_dir(), *map(Path, extra_dirs)]:
        if directory.is_file() and directory.suffix not in RULE_SUFFIXES:
            raise RuleError(f"{directory}: not a rule file (a rule file is {', '.join(RULE_SUFFIXES)})")
        if not directory.exists():
            raise RuleError(f"{directory}: no such rule file or folder")
        if not directory.is_dir() and not directory.is_file():  # a FIFO, a device: nothing to load, or a hang
            raise RuleError(f"{directory}: {special_file_kind(os.stat(directory).st_mode)}, not a rule file or folder")
        seen_here: dict[str, str] = {}
        files = [directory] if directory.is_file() else sorted(_rule_files(directory))
        for path in files:
            for rule in load_rule_file(path, site_file=path.parent.name == "sites"):
                if rule.id in seen_here:
                    raise RuleError(f"{path}: rule id '{rule.id}' already defined in {seen_here[rule.id]}")
                seen_here[rule.id] = str(path)
                merged.pop(rule.id, None)  # an override moves to its new file's place
                merged[rule.id] = rule
    return RuleSet(list(merged.values()))


def _rule_files(directory: Path) -> Iterable[Path]:
    for suffix in RULE_SUFFIXES:
        yield from directory.rglob(f"*{suffix}")


def shown(value: Any) -> str:
    """A value as a message shows it: its repr, cut short."""
    return SHOWN.repr(value)


def load_rule_file(path: Path, site_file: bool = False) -> list[Rule]:
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):  # opening a FIFO would wait for a writer, for good
            kind = "a folder" if stat.S_ISDIR(mode) else special_file_kind(mode)
            raise RuleError(f"{path}: {kind}, not a regular file: a rule file must be one")
        raw = path.read_bytes()
        data = tomllib.loads(raw.decode("utf-8")) if path.suffix == ".toml" else load_yaml(raw)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        raise RuleError(f"{path}: cannot read rule file: {exc}") from None
    except RecursionError:  # tomllib recurses once per level of nesting ([[[[...)
        raise RuleError(f"{path}: cannot read rule file: nested too deeply to parse") from None
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise RuleError(f"{path}: a rule file is a mapping with a 'rules' list")
    unknown = set(data) - FILE_FIELDS
    if unknown:
        raise RuleError(f"{path}: unknown top-level field(s) {_names(unknown)}; allowed: {sorted(FILE_FIELDS)}")
    host = data.get("host") or (path.stem if site_file else None)
    return [_parse_rule(entry, path, host, index) for index, entry in enumerate(data["rules"], 1)]


def load_yaml(raw: bytes) -> Any:
    """YAML through the safe loader, refused (AliasGrowthError) when its aliases would make the data
    more than MAX_ALIAS_GROWTH times what the file spells out: checked on the parsed nodes,
    before any value is built."""
    loader = SAFE_LOADER(raw)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        spelled, written_out = data_sizes(root)
        if written_out > max(MAX_ALIAS_GROWTH * spelled, MIN_ALIAS_ALLOWANCE):
            raise AliasGrowthError(f"its YAML aliases (*name) repeat values to {written_out:,} values and characters, "
                            f"more than {MAX_ALIAS_GROWTH} times the {spelled:,} the file spells out: "
                            "write the values out instead")
        refuse_duplicate_keys(root)
        return loader.construct_document(root)
    finally:
        loader.dispose()


def data_sizes(root: yaml.Node) -> tuple[int, float]:
    """The size of a YAML node graph (each node counts one, each character of a scalar one):
    counting each node once, and counting it at every alias, as the data written out would
    be (infinite for an alias inside its own anchor)."""
    written_out: dict[int, float] = {}
    spelled = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    open_nodes: set[int] = set()
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            written_out[key] = 1 + sum(written_out[id(child)] for child in _children(node))
            continue
        if key in written_out:
            continue
        if key in open_nodes:  # an alias to a node that holds it: a recursive structure
            return spelled, float("inf")
        if isinstance(node, yaml.ScalarNode):
            written_out[key] = 1 + len(node.value)
            spelled += 1 + len(node.value)
            continue
        spelled += 1
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))
    return spelled, written_out[id(root)]


def refuse_duplicate_keys(root: yaml.Node) -> None:
    """Raise DuplicateKeyError, naming the key and its line, for the first mapping that holds a
    key twice (each node is visited once: data_sizes has refused recursive aliases)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[str] = set()
            for key, _ in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    if key.value in keys:
                        raise DuplicateKeyError(f"line {key.start_mark.line + 1}: key {shown(key.value)} "
                                                "is given twice in one mapping (a rule's fields, or a missing '- ' "
                                                "between two rules)")
                    keys.add(key.value)
        stack.extend(_children(node))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _names(fields: set[Any]) -> str:
    return shown(sorted(map(str, fields)))


def _parse_rule(entry: Any, path: Path, host: str | None, index: int) -> Rule:
    where = f"{path}: rule #{index}"
    if not isinstance(entry, dict):
        raise RuleError(f"{where}: each rule is a mapping")
    rule_id = entry.get("id")
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise RuleError(f"{where}: missing 'id'")
    where = f"{path}: rule {shown(rule_id)}"
    kind = entry.get("kind")
    if not isinstance(kind, str) or kind not in KIND_FIELDS:
        raise RuleError(f"{where}: unknown kind {shown(kind)}; one of {', '.join(KINDS)}")
    allowed = COMMON_FIELDS | set(KIND_FIELDS[kind])
    unknown = set(entry) - allowed
    if unknown:
        raise RuleError(f"{where}: unknown field(s) {_names(unknown)} for kind '{kind}'; allowed: {sorted(allowed)}")
    description = entry.get("description")
    if not isinstance(description, str) or not description.strip():
        raise RuleError(f"{where}: missing 'description'")
    examples = entry.get("examples")
    if not isinstance(examples, dict) or not all(isinstance(examples.get(k), list) and examples[k]
                                                 for k in ("match", "keep")):
        raise RuleError(f"{where}: 'examples' needs non-empty 'match' and 'keep' lists")
    if set(examples) - {"match", "keep"}:
        raise RuleError(f"{where}: 'examples' takes only 'match' and 'keep'")
    _check_examples(examples, where)
    params: dict[str, Any] = {}
    for name, default in KIND_FIELDS[kind].items():
        value = entry.get(name, default)
        if value is None:
            raise RuleError(f"{where}: kind '{kind}' needs '{name}'")
        if default is not None and type(value) is not type(default) and not (
            isinstance(default, float) and isinstance(value, int)
        ):
            raise RuleError(f"{where}: '{name}' must be a {type(default).__name__}, got {shown(value)}")
        params[name] = value
    if kind == "classifier":
        params["model"] = _check_classifier(params, path, where)
    for share in SHARES.get(kind, ()):
        if not 0 < params[share] <= 1:
            raise RuleError(f"{where}: '{share}' must be in (0, 1], got {shown(params[share])}")
    regex = None
    if "pattern" in params:
        regex = compile_pattern(params["pattern"], where)
    if kind == "css":
        _check_selector(params["selector"], where)
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise RuleError(f"{where}: 'enabled' must be true or false")
    return Rule(rule_id, kind, description.strip(), params, examples, str(path), host, enabled, regex)


def _check_classifier(params: dict[str, Any], path: Path, where: str) -> str:
    """The classifier's threshold is a probability; its model file (resolved against the rule
    file's folder) is read now, so a broken one stops the run before any work starts."""
    if not 0 < params["threshold"] < 1:
        raise RuleError(f"{where}: 'threshold' must be between 0 and 1, got {shown(params['threshold'])}")
    if not 0 < params["relative"] <= 1:
        raise RuleError(f"{where}: 'relative' must be in (0, 1], got {shown(params['relative'])}")
    if not params["model"]:
        return ""  # the bundled model, read when the first text document needs it
    from storysift.clean.linemodel import ModelError, cached_model

    model = (path.parent / params["model"]).resolve()
    try:
        cached_model(str(model))
    except ModelError as exc:
        raise RuleError(f"{where}: {exc}") from None
    return str(model)


def _check_examples(examples: dict[str, list[Any]], where: str) -> None:
    """Each example is text; a `match` example may also be a mapping of its `text` and the
    lines it `removes`."""
    for group in ("match", "keep"):
        for number, example in enumerate(examples[group], 1):
            if isinstance(example, str):
                continue
            if group == "match" and isinstance(example, dict) and isinstance(example.get("text"), str) and \
                    set(example) <= {"text", "removes"} and isinstance(example.get("removes", []), list) and \
                    all(isinstance(line, str) for line in example.get("removes", [])):
                continue
            raise RuleError(f"{where}: {group} example #{number} must be text (quote it), got {shown(example)}"
                            + ("; or a mapping of 'text' and a 'removes' list of lines" if group == "match" else ""))


def re2_options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False
    return options


def compile_pattern(pattern: Any, where: str) -> Any:
    if not isinstance(pattern, str) or not pattern:
        raise RuleError(f"{where}: 'pattern' must be a non-empty string")
    try:
        regex = re2.compile(pattern, re2_options())
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)  # RE2 gives bytes
        raise RuleError(
            f"{where}: invalid pattern {shown(pattern)}: {reason} "
            "(patterns use RE2 syntax: no backreferences or lookaround)"
        ) from None
    if regex.search(""):
        # An empty match means the rule would remove every blank-separated piece of text.
        raise RuleError(f"{where}: pattern {shown(pattern)} matches the empty string, so it would match every line")
    return regex


def _check_selector(selector: Any, where: str) -> None:
    from selectolax.lexbor import LexborHTMLParser

    if not isinstance(selector, str) or not selector.strip():
        raise RuleError(f"{where}: 'selector' must be a non-empty string")
    if selector.strip() in {"*", "html", "body", "head"}:
        raise RuleError(f"{where}: selector {shown(selector)} would remove the whole page")
    try:
        LexborHTMLParser("<p></p>").css(selector)
    except Exception as exc:  # selectolax raises plain Exceptions for bad selectors
        raise RuleError(f"{where}: invalid CSS selector {shown(selector)}: {shown(str(exc))}") from None
