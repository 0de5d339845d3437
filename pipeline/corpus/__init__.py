"""The corpus stages, after cleaning: each document's site and the site templates (`sites`,
`templates`, `sitepass`), shingles and MinHash signatures (`shingles`, `minhash`), copies into
stories (`stories`), stories into events (`events`), the incremental index (`index`); `dedup`
runs them over a clean file."""
