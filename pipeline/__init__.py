"""storysift: clean scraped pages into canonical text and group copies into stories.

The package is a pipeline of small stages: `readers` turn inputs into raw documents,
`cleaner` runs `html` pruning/extraction and the text `rules`/`detectors` on each one,
`writers` write the records. `cli` wires the stages into commands.
"""

from pipeline.document import Document, Removal

__all__ = ["Document", "Removal"]
__version__ = "0.1.0"
