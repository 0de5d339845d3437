"""`storysift rules import-easylist`: turn the cosmetic filters of an EasyList / uBlock Origin
list into storysift CSS rules. Generic `##sel` filters go to one rule file; `host##sel` filters
to `sites/<host>.yaml` beside it. Everything CSS cannot express is skipped and counted by reason.

Exceptions (`#@#`): storysift scopes rules to hosts but has no per-host allowlist for CSS, so an
exception cannot exempt one site from a generic selector. We drop the selector instead (for every
host when any exception names it): a class that is real content on one site may be on others,
and removing article text is the worse error for a cleaner. Host-scoped filters lose only the
hosts their exceptions name.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import yaml
from selectolax.lexbor import LexborHTMLParser

CONCERN = "easylist"
# Ordinary article markup every generated rule must leave alone; a selector that matches any of
# it (`##img`, `##a[href^="/"]`) would cut stories, not furniture, and is dropped.
KEEP_EXAMPLE = (
    '<article><h1>Council approves budget</h1><p>The council approved the budget on Monday. '
    '<a href="/news/budget">Read the plan</a>.</p><figure><img src="/img/hall.jpg" alt="Town hall">'
    "<figcaption>The town hall.</figcaption></figure></article>"
)
SHARED_KEEP = [KEEP_EXAMPLE]
WHOLE_PAGE = {"*", "html", "body", "head", ":root"}
# Extended syntax of Adblock Plus, uBlock Origin and AdGuard that is not CSS.
PROCEDURAL_OPERATORS = (
    ":has-text(", ":-abp-", ":xpath(", ":contains(", ":matches-css", ":matches-attr(", ":matches-path(",
    ":matches-prop(", ":min-text-length(", ":upward(", ":remove(", ":remove-attr(", ":remove-class(",
    ":style(", ":watch-attr(", ":others(", ":if(", ":if-not(", ":nth-ancestor(", ":shadow(", ":spath(",
)
# Separators that mark a filter as something other than element hiding, in the order tested.
SPECIAL_SEPARATORS = (
    ("#@?#", "procedural exception (#@?#)"), ("#?#", "procedural filter (#?#)"),
    ("#@$#", "AdGuard CSS injection (#$#)"), ("#$#", "AdGuard CSS injection (#$#)"),
    ("#@%#", "AdGuard scriptlet (#%#)"), ("#%#", "AdGuard scriptlet (#%#)"),
)
DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$")
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Filter:
    line: int
    raw: str
    selector: str
    hosts: tuple[str, ...]  # empty: generic


@dataclass
class Import:
    """The outcome of reading one list: rules by host (None = generic) and skips by reason."""

    source: str
    generic: list[dict] = field(default_factory=list)
    sites: dict[str, list[dict]] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)
    filters: int = 0

    @property
    def rules(self) -> int:
        return len(self.generic) + sum(map(len, self.sites.values()))


def classify(line: str) -> tuple[str, str, str] | str | None:
    """("hide" | "except", domains, selector) for an element-hiding filter; else the reason it is
    skipped; None for a blank line."""
    line = line.strip()
    if not line:
        return None
    if line.startswith("["):
        return "list header ([Adblock ...])"
    if line.startswith("!"):
        return "comment (!)"
    for separator, reason in SPECIAL_SEPARATORS:
        if separator in line:
            return reason
    for separator, action in (("#@#", "except"), ("##", "hide")):
        if separator in line:
            domains, _, selector = line.partition(separator)
            if selector.startswith("+js("):
                return "scriptlet (##+js)"
            if selector.startswith("^"):
                return "HTML filter (##^)"
            return action, domains, selector.strip()
    return "network filter (no ##)"


def selector_problem(selector: str) -> str | None:
    """Why storysift cannot use this selector, or None."""
    if not selector:
        return "empty selector"
    lowered = selector.lower()
    for operator in PROCEDURAL_OPERATORS:
        if operator in lowered:
            return f"procedural operator {operator.rstrip('(')}"
    if selector.strip() in WHOLE_PAGE:
        return "selects the whole page"
    try:
        LexborHTMLParser("<p></p>").css(selector)
    except Exception:  # selectolax raises plain Exceptions for selectors it cannot parse
        return "selectolax cannot parse the selector"
    if LexborHTMLParser(KEEP_EXAMPLE).css(selector):
        return "matches ordinary article markup"
    if match_example(selector) is None:
        return "no matching example could be built"
    return None


def parse_hosts(domains: str) -> tuple[str, ...] | str:
    """The hosts of a filter's domain part, or the reason it cannot be scoped."""
    hosts = []
    for domain in (d.strip().lower() for d in domains.split(",")):
        if domain.startswith("~"):
            return "~domain negation"
        if domain.endswith(".*"):
            return "entity domain (example.*)"
        if not DOMAIN.match(domain):
            return "unusable domain"
        hosts.append(domain.removeprefix("www."))
    return tuple(dict.fromkeys(hosts))


def read_filters(lines: Iterable[str], result: Import) -> tuple[list[Filter], dict[str, set[str]]]:
    """The usable hiding filters in list order, and the exceptions: selector -> hosts ("" = all)."""
    filters: list[Filter] = []
    exceptions: dict[str, set[str]] = {}
    for number, line in enumerate(lines, 1):
        kind = classify(line)
        if kind is None:
            continue
        result.filters += 1
        if isinstance(kind, str):
            result.skipped[kind] += 1
            continue
        action, domains, selector = kind
        hosts = parse_hosts(domains) if domains else ()
        if isinstance(hosts, str):
            result.skipped[hosts] += 1
            continue
        if action == "except":
            for host in hosts or ("",):
                exceptions.setdefault(selector, set()).add(host)
            result.skipped["exception (#@#), applied as a drop"] += 1
            continue
        filters.append(Filter(number, line.strip(), selector, hosts))
    return filters, exceptions


def excepted(host: str, allowed: set[str]) -> bool:
    return "" in allowed or any(host == d or host.endswith("." + d) for d in allowed)


def import_easylist(text: str, source: str, prefix: str = CONCERN) -> Import:
    result = Import(source)
    filters, exceptions = read_filters(text.splitlines(), result)
    seen: set[tuple[str | None, str]] = set()
    for rule_filter in filters:
        problem = selector_problem(rule_filter.selector)
        if problem:
            result.skipped[problem] += 1
            continue
        allowed = exceptions.get(rule_filter.selector, set())
        if not rule_filter.hosts:
            if allowed:
                result.skipped["generic selector has an exception (#@#)"] += 1
            elif (None, rule_filter.selector) in seen:
                result.skipped["duplicate"] += 1
            else:
                seen.add((None, rule_filter.selector))
                result.generic.append(make_rule(rule_filter, prefix, None))
            continue
        hosts = [h for h in rule_filter.hosts if not excepted(h, allowed) and (h, rule_filter.selector) not in seen]
        if not hosts:
            result.skipped["all its hosts excepted (#@#) or duplicate"] += 1
        for host in hosts:
            seen.add((host, rule_filter.selector))
            result.sites.setdefault(host, []).append(make_rule(rule_filter, prefix, host))
    return result


def make_rule(rule_filter: Filter, prefix: str, host: str | None) -> dict:
    # The id hashes the selector, not the line number: re-importing an updated list keeps every
    # id (and any `enabled: false` override of it) for the filters that did not change.
    digest = hashlib.sha1(rule_filter.selector.encode()).hexdigest()[:10]
    rule_id = f"{prefix}.{host}.{digest}" if host else f"{prefix}.{digest}"
    return {
        "id": rule_id,
        "kind": "css",
        "description": f"Line {rule_filter.line} of the filter list: {rule_filter.raw}",
        "selector": rule_filter.selector,
        # One list object for every rule: YAML writes it once (&id001) and refers to it (*id001),
        # which keeps a full list's file a third of the size and quicker to load.
        "examples": {"match": [match_example(rule_filter.selector)], "keep": SHARED_KEEP},
    }


def write_rules(result: Import, out: Path) -> list[Path]:
    """Write the generic file at `out` and one file per host under `out`'s folder/sites/;
    refuses to overwrite a site file that this command did not write."""
    from storysift.write.outputs import atomic_text

    skips = "; ".join(f"{reason}: {count}" for reason, count in sorted(result.skipped.items())) or "none"
    summary = (f"Imported from {Path(result.source).name} by `storysift rules import-easylist`: "
               f"{result.filters} filters, {result.rules} rules written. Skipped: {skips}.")
    files: list[tuple[Path, dict]] = [(out, {"concern": CONCERN, "description": summary, "rules": result.generic})]
    for host, rules in sorted(result.sites.items()):
        path = out.parent / "sites" / f"{host}{out.suffix}"
        files.append((path, {"concern": CONCERN, "host": host,
                             "description": f"Site rules for {host} imported from {Path(result.source).name}.",
                             "rules": rules}))
    for path, _ in files[1:]:
        if path.exists() and not re.search(rf"^concern\s*[:=]\s*\"?{CONCERN}\b", path.read_text(encoding="utf-8", errors="replace"), re.M):
            raise FileExistsError(f"{path} exists and was not written by import-easylist; choose another --out folder")
    for path, data in files:
        with atomic_text(path) as stream:
            if path.suffix == ".toml":
                stream.write(toml_rules(data))
            else:
                yaml.safe_dump(data, stream, sort_keys=False, allow_unicode=True, width=100)
    return [path for path, _ in files]


def toml_rules(data: dict) -> str:
    """A rule file as TOML. Python's tomllib reads a 4,800-rule file in 0.7 s where PyYAML's
    safe_load takes 4.8 s (measured here), which every run pays when it loads the rules."""
    def string(value: str) -> str:
        # A JSON string is a TOML basic string, except that TOML wants DEL escaped too.
        return json.dumps(value).replace("\x7f", "\\u007f")

    lines = [f"{key} = {string(data[key])}" for key in ("concern", "host", "description") if key in data]
    for rule in data["rules"]:
        lines += ["", "[[rules]]"]
        lines += [f"{key} = {string(rule[key])}" for key in ("id", "kind", "description", "selector")]
        for group in ("match", "keep"):
            lines.append(f"examples.{group} = [{', '.join(map(string, rule['examples'][group]))}]")
    return "\n".join(lines) + "\n"


# --- a minimal HTML example for a selector -------------------------------------------------

COMBINATOR = re.compile(r"\s*([>+~])\s*|\s+")
ATTRIBUTE = re.compile(
    r"""\[\s*([^\s~|^$*!=\]]+)\s*(?:([~|^$*]?=)\s*(?:"([^"]*)"|'([^']*)'|([^\s\]]+)))?\s*(?:[iIsS]\s*)?\]"""
)
SIMPLE = re.compile(r"#([\w-]+)|\.([\w-]+)|(\[)|(::?[\w-]+)(\()?")


@functools.lru_cache(maxsize=4096)  # each selector is asked for by the check and by its rule(s)
def match_example(selector: str) -> str | None:
    """A small HTML snippet the selector matches (checked with selectolax), or None."""
    for alternative in split_top_level(selector, ","):
        snippet = _chain_html(alternative.strip())
        if snippet is None:
            continue
        try:
            if LexborHTMLParser(snippet).css(selector):
                return snippet
        except Exception:
            return None
    return None


def split_top_level(text: str, separator: str) -> list[str]:
    """`text` split at `separator` outside brackets, parentheses and quotes."""
    parts, depth, quote, start = [], 0, "", 0
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _compounds(selector: str) -> list[tuple[str, str]] | None:
    """[(combinator before it, compound)], the first combinator being ""."""
    pieces, depth, quote, current, combinator = [], 0, "", "", ""
    i = 0
    while i < len(selector):
        char = selector[i]
        if quote or depth:
            current += char
            if quote and char == quote:
                quote = ""
            elif not quote and char in "\"'":
                quote = char
            elif not quote and char in "([":
                depth += 1
            elif not quote and char in ")]":
                depth -= 1
            i += 1
            continue
        found = COMBINATOR.match(selector, i)
        if found and found.end() > i:
            if current:
                pieces.append((combinator, current))
                current = ""
            combinator = found.group(1) or " "
            i = found.end()
            continue
        if char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        current += char
        i += 1
    if current:
        pieces.append((combinator, current))
    return pieces or None


def _element(compound: str) -> tuple[str, str, str] | None:
    """(open tag, close tag, children) of an element the compound selector matches, or None;
    the children are what its `:has(...)` arguments need inside it."""
    tag_match = re.match(r"[a-zA-Z][\w-]*|\*", compound)
    tag = tag_match.group(0).lower() if tag_match and tag_match.group(0) != "*" else "div"
    rest = compound[tag_match.end():] if tag_match else compound
    classes: list[str] = []
    attributes: dict[str, str] = {}
    first_class: list[str] = []
    last_class: list[str] = []
    children = ""
    i = 0
    while i < len(rest):
        if rest[i] == "[":
            found = ATTRIBUTE.match(rest, i)
            if not found:
                return None
            name, operator = found.group(1).lower(), found.group(2)
            value = next((g for g in found.group(3, 4, 5) if g is not None), "")
            if name == "class" and operator:
                {"^=": first_class, "$=": last_class}.get(operator, classes).append(value)
            else:
                attributes[name] = value if operator else attributes.get(name, "")
            i = found.end()
            continue
        found = SIMPLE.match(rest, i)
        if not found:
            return None
        if found.group(1):
            attributes["id"] = found.group(1)
        elif found.group(2):
            classes.append(found.group(2))
        elif found.group(5):  # a functional pseudo-class: skip its argument, let selectolax judge
            depth, j = 1, found.end()
            while j < len(rest) and depth:
                depth += {"(": 1, ")": -1}.get(rest[j], 0)
                j += 1
            if found.group(4) == ":has":
                child = _chain_html(rest[found.end():j - 1].strip().removeprefix(">").strip())
                if child is None:
                    return None
                children += child
            i = j
            continue
        i = found.end()
    all_classes = first_class + classes + last_class
    if all_classes:
        attributes["class"] = " ".join(all_classes)
    attrs = "".join(f' {name}="{html.escape(value, quote=True)}"' for name, value in attributes.items())
    if tag in VOID_TAGS:
        return (f"<{tag}{attrs}>", "", "") if not children else None
    return f"<{tag}{attrs}>", f"</{tag}>", children


def _chain_html(selector: str) -> str | None:
    pieces = _compounds(selector)
    if not pieces:
        return None
    elements = []
    for combinator, compound in pieces:
        element = _element(compound)
        if element is None:
            return None
        elements.append((combinator, element))
    open_tag, close_tag, children = elements[-1][1]
    inner = f"{open_tag}{children or 'Sponsored'}{close_tag}" if close_tag else open_tag
    for index in range(len(elements) - 2, -1, -1):
        open_tag, close_tag, children = elements[index][1]
        joining = elements[index + 1][0]
        if joining in "+~":
            inner = f"{open_tag}{children}{close_tag}{inner}"
        elif close_tag:
            inner = f"{open_tag}{children}{inner}{close_tag}"
        else:
            return None  # nothing nests inside a void element
    return inner
