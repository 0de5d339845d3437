"""The Ray engine runs the same stages as the local one and writes identical files."""

import pytest

from pipeline.engine import RunOptions, run_cleaning

ray = pytest.importorskip("ray", reason="the Ray engine needs the optional extra storysift[ray]")

PAGE = ("<html><head><title>Ferry timetable approved</title></head><body><nav><a href='/'>Home</a></nav>"
        "<article><h1>Ferry timetable approved</h1>"
        "<p>The harbour authority approved the new ferry timetable on Tuesday after months of talks "
        "with operators, unions and the island councils that depend on the crossings.</p>"
        "<p>Ferries will leave every forty minutes in summer and every hour in winter, and the last "
        "departure moves from nine to eleven in the evening on Fridays and Saturdays.</p>"
        "<p>Local shops expect more visitors from the mainland once the later crossings begin.</p>"
        "</article><div class='share-buttons'>Share on Facebook</div></body></html>")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


def test_ray_engine_output_is_identical_to_the_local_engine(rules, tmp_path, local_ray):
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(40):
        (folder / f"page{n:02d}.html").write_text(PAGE.replace("Tuesday", f"day {n}"), encoding="utf-8")
        (folder / f"note{n:02d}.txt").write_text(f"Note {n}\nThe council met on day {n} and agreed the budget.\n",
                                                 encoding="utf-8")
    (folder / "blank.txt").write_text("   \n", encoding="utf-8")
    local = run_cleaning([str(folder)], tmp_path / "local", rules, RunOptions())
    on_ray = run_cleaning([str(folder)], tmp_path / "ray", rules, RunOptions(engine="ray"))
    assert on_ray.written == local.written == 80 and on_ray.rejected == 1
    for name in ("clean.jsonl", "rejects.jsonl", "stories.jsonl", "report.json"):
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
