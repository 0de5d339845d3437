"""The rule engine: loading and validating the declarative rule files of the top-level `rules/`
folder (`load`), running each rule's own examples (`selftest`), importing EasyList filters
(`easylist`). The stages read a `RuleSet`; nothing here runs a stage."""
