"""Rule files: load, validate and resolve the declarative rules every cleaning stage reads.

Rule files are data (YAML via safe_load, or TOML); nothing in them is executed. Patterns are
compiled with RE2, which runs in linear time, so no user pattern can hang a run.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Iterable

import re2
import yaml

from storysift.bundled import rules_dir

# The order in which the kinds run over a document's lines. Whole-document structure first
# (a block repeated ten times is recognisable only before its parts are removed one by one),
# then runs of lines (more specific than any one of their lines), then single lines, then detectors that read what is left.
TEXT_KINDS = ("repeated_block", "run", "line", "byline", "headline_list", "author_bio", "trailer")
# Kinds that read a whole page as a scraper saved it (its <title> first, then menus, article,
# comments and footer): they run on text documents only, after the text rules, in this order.
PAGE_KINDS = ("title_line", "classifier")
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
    # model: a file written by bench/train_text_model.py, relative to the rule file; "" = the bundled one.
    "classifier": {"threshold": 0.5, "relative": 1.0, "model": ""},
}
# libyaml's safe loader when built (4x faster on a 6,000-filter EasyList import), else PyYAML's.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FILE_FIELDS = {"concern", "host", "description", "rules"}
RULE_SUFFIXES = (".yaml", ".yml", ".toml")


class RuleError(ValueError):
    """A rule file that cannot be used; the message names the file and the rule."""


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


def load_rule_file(path: Path, site_file: bool = False) -> list[Rule]:
    try:
        raw = path.read_bytes()
        data = tomllib.loads(raw.decode("utf-8")) if path.suffix == ".toml" else yaml.load(raw, Loader=SAFE_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        raise RuleError(f"{path}: cannot read rule file: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise RuleError(f"{path}: a rule file is a mapping with a 'rules' list")
    unknown = set(data) - FILE_FIELDS
    if unknown:
        raise RuleError(f"{path}: unknown top-level field(s) {sorted(unknown)}; allowed: {sorted(FILE_FIELDS)}")
    host = data.get("host") or (path.stem if site_file else None)
    return [_parse_rule(entry, path, host, index) for index, entry in enumerate(data["rules"], 1)]


def _parse_rule(entry: Any, path: Path, host: str | None, index: int) -> Rule:
    where = f"{path}: rule #{index}"
    if not isinstance(entry, dict):
        raise RuleError(f"{where}: each rule is a mapping")
    rule_id = entry.get("id")
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise RuleError(f"{where}: missing 'id'")
    where = f"{path}: rule '{rule_id}'"
    kind = entry.get("kind")
    if kind not in KIND_FIELDS:
        raise RuleError(f"{where}: unknown kind {kind!r}; one of {', '.join(KINDS)}")
    allowed = COMMON_FIELDS | set(KIND_FIELDS[kind])
    unknown = set(entry) - allowed
    if unknown:
        raise RuleError(f"{where}: unknown field(s) {sorted(unknown)} for kind '{kind}'; allowed: {sorted(allowed)}")
    description = entry.get("description")
    if not isinstance(description, str) or not description.strip():
        raise RuleError(f"{where}: missing 'description'")
    examples = entry.get("examples")
    if not isinstance(examples, dict) or not examples.get("match") or not examples.get("keep"):
        raise RuleError(f"{where}: 'examples' needs non-empty 'match' and 'keep' lists")
    if set(examples) - {"match", "keep"}:
        raise RuleError(f"{where}: 'examples' takes only 'match' and 'keep'")
    params: dict[str, Any] = {}
    for name, default in KIND_FIELDS[kind].items():
        value = entry.get(name, default)
        if value is None:
            raise RuleError(f"{where}: kind '{kind}' needs '{name}'")
        if default is not None and type(value) is not type(default) and not (
            isinstance(default, float) and isinstance(value, int)
        ):
            raise RuleError(f"{where}: '{name}' must be a {type(default).__name__}, got {value!r}")
        params[name] = value
    if kind == "classifier":
        params["model"] = _check_classifier(params, path, where)
    if kind == "title_line" and not 0 < params["min_similarity"] <= 1:
        raise RuleError(f"{where}: 'min_similarity' must be in (0, 1], got {params['min_similarity']!r}")
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
        raise RuleError(f"{where}: 'threshold' must be between 0 and 1, got {params['threshold']!r}")
    if not 0 < params["relative"] <= 1:
        raise RuleError(f"{where}: 'relative' must be in (0, 1], got {params['relative']!r}")
    if not params["model"]:
        return ""  # the bundled model, read when the first text document needs it
    from storysift.clean.linemodel import ModelError, cached_model

    model = (path.parent / params["model"]).resolve()
    try:
        cached_model(str(model))
    except ModelError as exc:
        raise RuleError(f"{where}: {exc}") from None
    return str(model)


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
            f"{where}: invalid pattern {pattern!r}: {reason} "
            "(patterns use RE2 syntax: no backreferences or lookaround)"
        ) from None
    if regex.search(""):
        # An empty match means the rule would remove every blank-separated piece of text.
        raise RuleError(f"{where}: pattern {pattern!r} matches the empty string, so it would match every line")
    return regex


def _check_selector(selector: Any, where: str) -> None:
    from selectolax.lexbor import LexborHTMLParser

    if not isinstance(selector, str) or not selector.strip():
        raise RuleError(f"{where}: 'selector' must be a non-empty string")
    if selector.strip() in {"*", "html", "body", "head"}:
        raise RuleError(f"{where}: selector {selector!r} would remove the whole page")
    try:
        LexborHTMLParser("<p></p>").css(selector)
    except Exception as exc:  # selectolax raises plain Exceptions for bad selectors
        raise RuleError(f"{where}: invalid CSS selector {selector!r}: {exc}") from None
