"""The corpus stages, after cleaning: shingles and MinHash signatures (`shingles`, `minhash`),
furniture repeated across stories (`furniture`), copies into stories (`stories`), stories into
events (`events`), the incremental index (`index`); `dedup` runs them over a clean file."""
