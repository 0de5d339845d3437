"""Cleaning one page, the second stage: HTML is checked against the parsers' limits (`limits`),
pruned and extracted (`html`, `metadata`); every document then goes through the text rules and
detectors (`textrules`, `detectors`) and is normalised (`normalize`). `page` runs the whole stage."""
