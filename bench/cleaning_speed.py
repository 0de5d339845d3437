"""Whole-process cleaning speed: `storysift clean` against trafilatura, readability-lxml and
resiliparse scripts doing the same job, in one run, on real pages.

    python bench/cleaning_speed.py [--pages DIR] [--limit N] [--repeat 2] [--per-extractor 200]
                                   [--startup 5] [--startup-bytecode]

Every system gets the same job, timed as a whole process from start to exit (imports, reading
every file, extraction, writing one JSON Lines record a page): `storysift clean DIR --out FILE`
with 1 and 2 workers; trafilatura's `extract` (default, and `fast=True`), readability-lxml's
`Document.summary()` turned into text, and resiliparse's main-content plain text, each a
script of a few lines. Runs are interleaved (`--repeat` rounds of every system) so load from
other processes falls on all of them; the medians, pages/s and the ratio to trafilatura's
default are printed, with the machine's load. Then, in this process, the cost per page of each
extractor storysift's consensus runs and of the HTML stage's other steps (`--per-extractor`
pages; 0 to skip)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _devdata import require
from _process import load_average, measure, median

DEFAULT_PAGES = Path(__file__).resolve().parent.parent.parent / "shared" / "devset-dragnet" / "html"

PEER = '''
import json, sys
from pathlib import Path
{imports}
out = open(sys.argv[2], "w", encoding="utf-8")
for path in sorted(Path(sys.argv[1]).glob("*.html")):
    data = path.read_bytes()
    try:
        text = {extract}
    except Exception as error:  # a page a peer cannot parse is a page without text
        text = ""
    out.write(json.dumps({{"id": path.stem, "text": text or ""}}) + "\\n")
out.close()
'''

PEERS = {
    "trafilatura": ("from trafilatura import extract", "extract(data)"),
    "trafilatura fast": ("from trafilatura import extract", "extract(data, fast=True)"),
    "readability-lxml": (
        "import lxml.html\nfrom readability import Document\nfrom trafilatura.utils import decode_file",
        "lxml.html.fromstring(Document(decode_file(data)).summary()).text_content()"),
    "resiliparse": (
        "from resiliparse.extract.html2text import extract_plain_text\n"
        "from resiliparse.parse.encoding import bytes_to_str, detect_encoding\n"
        "from resiliparse.parse.html import HTMLTree",
        "extract_plain_text(HTMLTree.parse(bytes_to_str(data, detect_encoding(data))), main_content=True)"),
}


def storysift_command(pages: Path, out: Path, workers: int) -> list[str]:
    script = Path(sys.executable).with_name("storysift")
    return [str(script), "clean", str(pages), "--out", str(out), "--workers", str(workers), "--quiet"]


STARTUP_PEER = "import sys\nfrom trafilatura import extract\nprint(extract(open(sys.argv[1], 'rb').read()))\n"


def timed_run(command: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one run, to its exit. Not `measure`: its 50 ms polling for memory rounds
    a start-up of 0.4 s up to the next sample, up to an eighth of it."""
    started = time.perf_counter()
    run = subprocess.run(command, check=False, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({run.returncode}):\n{run.stderr}")
    return seconds


def startup(work: Path, page: Path, runs: int, bytecode: bool) -> None:
    """Whole-process seconds of the light commands, storysift's beside trafilatura's. With
    `bytecode`, every command runs with its modules' bytecode cached (in a folder of its own,
    after a first run that is not timed), as an installed package has it: storysift installed
    in editable mode, under PYTHONDONTWRITEBYTECODE=1, compiles its own modules from source at
    every start, and trafilatura's come compiled from its wheel."""
    script = work / "peer_one_page.py"
    script.write_text(STARTUP_PEER, encoding="utf-8")
    bin_dir = Path(sys.executable).parent
    pairs = [("storysift --help", [str(bin_dir / "storysift"), "--help"]),
             ("trafilatura --help", [str(bin_dir / "trafilatura"), "--help"]),
             ("storysift clean one.html --out -", [str(bin_dir / "storysift"), "clean", str(page), "--out", "-"]),
             ("trafilatura extract one.html (script)", [sys.executable, str(script), str(page)])]
    env = dict(os.environ)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(work / "bytecode")
        for _, command in pairs:
            timed_run(command, env)
    times: dict[str, list[float]] = {name: [] for name, _ in pairs}
    for _ in range(runs):
        for name, command in pairs:
            times[name].append(timed_run(command, env))
    source = "bytecode cached" if bytecode else (
        "storysift compiled from source (PYTHONDONTWRITEBYTECODE)" if os.environ.get("PYTHONDONTWRITEBYTECODE") else
        "bytecode as found")
    print(f"start-up, median of {runs} runs, {source} ({load_average()}):")
    for (name, _), (peer, _) in zip(pairs[::2], pairs[1::2]):
        ours, theirs = median(times[name]), median(times[peer])
        print(f"  {name:34} {ours:6.3f} s   {peer:38} {theirs:6.3f} s   x{ours / theirs:.2f}")


# The steps of storysift's HTML cleaning timed in process: (module, function, label, modules that
# call it by a name of their own). Nested steps are timed within their caller too.
STEPS = (
    ("limits", "parse_within_limits", "parse (lexbor, within limits)", ("html",)),
    ("html", "prune", "prune (rule selectors)", ()),
    ("metadata", "page_metadata", "metadata", ("html",)),
    ("blocks", "text_blocks", "text blocks", ("html",)),
    ("html", "lxml_tree", "lxml tree (for trafilatura)", ()),
    ("alignment", "coverage", "coverage (voter text on blocks)", ("consensus",)),
    ("consensus", "decide", "decide (features and model)", ()),
    ("features", "feature_rows", "  feature rows (within decide)", ("consensus",)),
    ("textrules", "apply_text_rules", "text rules", ("page",)),
)


def per_extractor(pages: list[Path], limit: int) -> dict[str, float]:
    """Milliseconds per page of each extractor storysift's consensus runs and of the HTML
    stage's other steps (STEPS), in this process."""
    import importlib

    from storysift.clean import voters
    from storysift.clean.page import clean_stream
    from storysift.read.files import iter_inputs
    from storysift.ruleset.load import load_rules

    spent: dict[str, float] = {}
    calls: dict[str, int] = {}

    def timed(name: str, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - started
                calls[name] = calls.get(name, 0) + 1
        return wrapper

    for name, function in list(voters.VOTERS.items()):
        voters.VOTERS[name] = timed(name, function)
    for module, function, label, callers in STEPS:
        original = getattr(importlib.import_module(f"storysift.clean.{module}"), function)
        for where in (module, *callers):
            setattr(importlib.import_module(f"storysift.clean.{where}"), function, timed(label, original))
    rules = load_rules()
    chosen = [str(p) for p in pages[:limit]]
    started = time.perf_counter()
    count = sum(1 for _ in clean_stream(iter_inputs(chosen), rules))
    total = time.perf_counter() - started
    figures = {"whole page (in process)": 1000 * total / count}
    for name in voters.VOTERS:
        if name in calls:
            figures[f"{name} ({calls[name]} of {count} pages)"] = 1000 * spent[name] / count
    for _, _, label, _ in STEPS:
        if label in calls:
            figures[label] = 1000 * spent[label] / count
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES, help="a folder of .html pages")
    parser.add_argument("--limit", type=int, default=0, help="use the first N pages (0: all)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--per-extractor", type=int, default=200, help="pages for the per-extractor costs (0: skip)")
    parser.add_argument("--startup", type=int, default=5, help="runs of each start-up command (0: skip)")
    parser.add_argument("--startup-bytecode", action="store_true",
                        help="time the start-up with every module's bytecode cached, as an installed package has it")
    args = parser.parse_args()
    require(args.pages)
    pages = sorted(args.pages.glob("*.html"))
    if args.limit:
        pages = pages[:args.limit]
    work = Path(tempfile.mkdtemp(prefix="cleaning-speed."))
    try:
        folder = work / "pages"
        folder.mkdir()
        for page in pages:  # the same files for every system, whatever --limit chose
            os.symlink(page.resolve(), folder / page.name)
        size = sum(page.stat().st_size for page in pages)
        commands: dict[str, list[str]] = {}
        for name, (imports, extract) in PEERS.items():
            script = work / f"peer_{name.replace(' ', '_').replace('-', '_')}.py"  # not a module's name
            script.write_text(PEER.format(imports=imports, extract=extract), encoding="utf-8")
            commands[name] = [sys.executable, str(script), str(folder), str(work / f"{script.stem}.jsonl")]
        for workers in (1, 2):
            commands[f"storysift clean --workers {workers}"] = storysift_command(folder, work / f"storysift{workers}.jsonl",
                                                                             workers)
        if args.startup:
            startup(work, pages[0], args.startup, args.startup_bytecode)
        print(f"{len(pages)} pages, {size / 2**20:.1f} MB; {load_average()}", flush=True)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for round_ in range(args.repeat):
            for name, command in commands.items():
                for stale in work.glob("storysift*.jsonl*"):
                    if stale.is_dir():
                        shutil.rmtree(stale)
                    else:
                        stale.unlink()
                run = measure(command)
                if run.returncode not in (0, 3):  # 3: some pages rejected, the rest written
                    raise SystemExit(f"{name} failed ({run.returncode}):\n{run.stderr}")
                times[name].append(run.seconds)
                print(f"  round {round_ + 1}: {name}: {run.seconds:.2f} s, peak {run.peak_rss_mb:.0f} MB", flush=True)
        base = len(pages) / median(times["trafilatura"])
        print(f"\nmedians of {args.repeat} runs, whole process ({load_average()}):")
        print(f"{'system':34} {'seconds':>8} {'pages/s':>8} {'x trafilatura':>14}")
        for name, runs in times.items():
            rate = len(pages) / median(runs)
            print(f"{name:34} {median(runs):8.2f} {rate:8.1f} {rate / base:14.2f}")
        if args.per_extractor:
            print(f"\nstorysift's cleaning in process, ms per page over the first {min(args.per_extractor, len(pages))} pages:")
            for name, ms in per_extractor(pages, args.per_extractor).items():
                print(f"  {name:50} {ms:7.2f}")
        print(json.dumps({name: runs for name, runs in times.items()}))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
