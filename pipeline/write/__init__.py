"""Writing, the last stage: JSON Lines, Parquet and JSON written atomically (`outputs`), the run
report (`report`) and its self-contained HTML view (`htmlreport`)."""
