"""Executors: they schedule the stages and know nothing the stages need. `engine` runs a whole
job into shards (`shards`) and the output folder; `pool` and `ray_clean` clean on worker
processes or Ray, `ray_dedup` runs the corpus steps as Ray tasks; `progress` and `safety`
(where a run may write) serve the commands."""
