"""storysift: clean scraped pages into canonical text and group copies into stories.

The sub-packages are the stages in order: `read` turns inputs into raw documents, `clean`
cleans one page, `corpus` works across the cleaned corpus (site furniture, stories, events),
`write` writes the records and reports. `ruleset` loads the rules the stages read; `run`
holds the executors that schedule the stages; `api` and `cli` are the two ways in.
See ARCHITECTURE.md.
"""

from storysift.document import Document, Removal

__all__ = ["Document", "Removal"]
__version__ = "0.1.0"
