"""Reading, the first stage: files, folders, JSON Lines, Parquet, WARC and stdin become raw
documents (`files`), each decoded and sniffed as HTML or text (`documents`, `warc`)."""
