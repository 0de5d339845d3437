"""The run report: what ran (version, options, times), every input accounted for (read =
written + rejected + skipped, in total and per file; skipped: records passed over by design, a
WARC's requests and images), removals counted per rule and per stage, and what each later stage
did."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from storysift.document import Document, Reject


def source_file(source: str) -> str:
    """The file a source names: JSON Lines sources carry ":line" after the path."""
    head, _, tail = source.rpartition(":")
    return head if head and tail.isdigit() else source


def reason_group(reason: str) -> str:
    """The part of a reject reason that the report counts by: what precedes its detail (a parser's
    message, a byte offset), which would make every reject a reason of its own."""
    return reason.split(":")[0]


@dataclass
class RunReport:
    written: int = 0
    rejected: int = 0
    skipped: int = 0
    rules: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    skips: Counter[str] = field(default_factory=Counter)  # by the whole reason: "...: HTTP 404"
    files: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    stages: dict[str, Any] = field(default_factory=dict)
    stopped: str | None = None
    removals_per_stage: dict[str, int] = field(default_factory=dict)
    run: dict[str, Any] | None = None  # version, options, times: see run/engine.run_info
    long_lines: Counter[str] = field(default_factory=Counter)  # "lines", "documents"

    def add_document(self, doc: Document) -> None:
        self.written += 1
        self.files[source_file(doc.source)]["written"] += 1
        self.rules.update(r.rule for r in doc.removed)
        if doc.long_lines:
            self.long_lines.update(lines=doc.long_lines, documents=1)

    def add_reject(self, reject: Reject) -> None:
        if reject.skipped:
            self.skipped += 1
            self.files[source_file(reject.source)]["skipped"] += 1
            self.skips[reject.reason] += 1
            return
        self.rejected += 1
        self.files[source_file(reject.source)]["rejected"] += 1
        self.reasons[reason_group(reject.reason)] += 1

    def counts(self) -> dict[str, Any]:
        """The mergeable part of the report (what a shard's completion marker holds)."""
        return {
            "written": self.written, "rejected": self.rejected, "skipped": self.skipped, "rules": dict(self.rules),
            "reasons": dict(self.reasons), "skips": dict(self.skips),
            "files": {name: dict(c) for name, c in self.files.items()},
            "long_lines": dict(self.long_lines),
        }

    def add_counts(self, counts: dict[str, Any]) -> None:
        self.written += counts["written"]
        self.rejected += counts["rejected"]
        self.skipped += counts["skipped"]
        self.rules.update(counts["rules"])
        self.reasons.update(counts["reasons"])
        self.skips.update(counts["skips"])
        for name, file_counts in counts["files"].items():
            self.files[name].update(file_counts)
        self.long_lines.update(counts.get("long_lines", {}))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunReport":
        """The report as_dict wrote (report.json), read back."""
        known = {"run", "inputs", "removals_per_rule", "removals_per_stage", "reject_reasons", "skip_reasons",
                 "files", "pattern_line_limit", "stopped"}
        report = cls(written=data["inputs"]["written"], rejected=data["inputs"]["rejected"],
                     skipped=data["inputs"].get("skipped", 0), rules=Counter(data["removals_per_rule"]),
                     reasons=Counter(data["reject_reasons"]), skips=Counter(data.get("skip_reasons", {})),
                     removals_per_stage=data.get("removals_per_stage", {}), run=data.get("run"),
                     stages={k: v for k, v in data.items() if k not in known}, stopped=data.get("stopped"))
        for name, counts in data["files"].items():
            report.files[name].update({k: counts.get(k, 0) for k in ("written", "rejected", "skipped")})
        if limit := data.get("pattern_line_limit"):
            report.long_lines.update(lines=limit["lines"], documents=limit["documents"])
        return report

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            **({"run": self.run} if self.run else {}),
            "inputs": {"read": self.written + self.rejected + self.skipped, "written": self.written,
                       "rejected": self.rejected, "skipped": self.skipped},
            "removals_per_rule": dict(sorted(self.rules.items())),
            **({"removals_per_stage": self.removals_per_stage} if self.removals_per_stage else {}),
            "reject_reasons": dict(sorted(self.reasons.items())),
            "skip_reasons": dict(sorted(self.skips.items())),
            "files": {
                name: {"read": c["written"] + c["rejected"] + c["skipped"], "written": c["written"],
                       "rejected": c["rejected"], "skipped": c["skipped"]}
                for name, c in sorted(self.files.items())
            },
        }
        if self.long_lines:
            from storysift.clean.textrules import MAX_PATTERN_LINE  # the text rules load when pages are cleaned

            data["pattern_line_limit"] = {"max_chars": MAX_PATTERN_LINE, "lines": self.long_lines["lines"],
                                          "documents": self.long_lines["documents"],
                                          "reason": "no rule pattern was run on lines longer than max_chars, so "
                                                    "that --timeout can stop the patterns between lines"}
        data.update(self.stages)
        if self.stopped:
            data["stopped"] = self.stopped
        return data
