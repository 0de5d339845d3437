"""Views for people and CI on top of the stages: `explain` shows one document with every removed
line marked with its rule, `fixtures` checks the golden cases (`storysift check`)."""
