"""`storysift rules test`: every rule's own examples, run against that rule alone. A `match`
example must be removed (entirely, or exactly the distinct lines its `removes` lists); a `keep` example must
come through untouched. CSS rules check their selector against HTML snippets."""

from __future__ import annotations

from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser

from storysift.clean.textrules import apply_text_rules
from storysift.ruleset.load import Rule, RuleSet, shown


@dataclass(frozen=True)
class ExampleFailure:
    rule: str
    origin: str
    message: str

    def __str__(self) -> str:
        return f"{self.origin}: rule '{self.rule}': {self.message}"


def removed_lines(rule: Rule, text: str) -> list[str]:
    result = apply_text_rules(text, RuleSet([rule]), only=[rule])
    return [line for r in result.removed for line in r.text.splitlines() if line.strip()]


def check_rule(rule: Rule) -> list[ExampleFailure]:
    failures = []

    def fail(message: str) -> None:
        failures.append(ExampleFailure(rule.id, rule.origin, message))

    for example in rule.examples["match"]:
        if isinstance(example, dict):
            text, expected = example["text"], [x.strip() for x in example.get("removes", [])]
        else:
            text, expected = example, None
        if rule.kind == "css":
            if not LexborHTMLParser(text).css(rule.params["selector"]):
                fail(f"selector matches nothing in match example {shown(text)}")
            continue
        if rule.kind == "protect":
            if not all(rule.regex.search(line.strip()) for line in text.splitlines() if line.strip()):
                fail(f"pattern does not match match example {shown(text)}")
            continue
        got = removed_lines(rule, text)
        if expected is not None:
            got = list(dict.fromkeys(got))  # `removes` names each removed line once
        want = expected if expected is not None else [line.strip() for line in text.splitlines() if line.strip()]
        if got != want:
            fail(f"match example {shown(text)}: expected to remove {shown(want)}, removed {shown(got)}")
    for text in rule.examples["keep"]:
        if rule.kind == "css":
            if LexborHTMLParser(text).css(rule.params["selector"]):
                fail(f"selector matches keep example {shown(text)}")
        elif rule.kind == "protect":
            if any(rule.regex.search(line.strip()) for line in text.splitlines() if line.strip()):
                fail(f"pattern matches keep example {shown(text)}")
        else:
            got = removed_lines(rule, text)
            if got:
                fail(f"keep example {shown(text)}: removed {shown(got)}")
    return failures


def check_rules(rules: RuleSet) -> list[ExampleFailure]:
    return [failure for rule in rules.rules for failure in check_rule(rule)]
