"""report.html at scale, and its screenshots: a generated corpus (bench/_wordcorpus.py's articles and site
furniture, each page with a URL on one of 12 sites, a fifth of them copies) is run through
`storysift run`; the page's size is printed and it is opened in headless Chromium, driven over
the DevTools protocol on a pipe (no extra package): the time to its load event and to the end of
its script, the median of --loads loads. With --screenshots DIR, PNGs of the page's parts go there.

    python bench/report_page.py --documents 100000
    python bench/report_page.py --documents 3000 --screenshots docs/
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _wordcorpus import SITES, article, page  # noqa: E402

HOSTS = [f"site{n}.example" for n in range(len(SITES))]


def write_corpus(path: Path, size: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    bodies: list[list[str]] = []
    with path.open("w", encoding="utf-8") as out:
        for n in range(size):
            site = rng.randrange(len(SITES))
            if bodies and rng.random() < 0.2:
                body = list(rng.choice(bodies))
                body[0] += " (updated)"
                body[-1] = body[-1].replace("a", "the", 1)  # a small edit the diff shows
            else:
                body = article(rng, n)
                if len(bodies) < 5000:
                    bodies.append(body)
            out.write(json.dumps({"id": f"doc-{n:07d}", "url": f"https://{HOSTS[site]}/doc-{n}",
                                  "text": page(rng, body, SITES[site])}) + "\n")


class Chromium:
    """Headless Chromium driven over --remote-debugging-pipe: JSON messages ending in NUL on fd 3
    (to the browser) and fd 4 (from it)."""

    def __init__(self, width: int = 1400, height: int = 1000):
        browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
        if browser is None:
            raise SystemExit("no chromium on PATH (Debian: apt-get install -y chromium)")
        self.profile = tempfile.mkdtemp()
        to_browser, self._out = os.pipe()
        self._in, from_browser = os.pipe()
        # The browser's ends, moved past 10 so that putting them on 3 and 4 clobbers neither.
        ends = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_browser, from_browser)]
        os.close(to_browser)
        os.close(from_browser)
        self.process = subprocess.Popen(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={self.profile}", f"--window-size={width},{height}", "--remote-debugging-pipe"],
            pass_fds=(3, 4), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=lambda: (os.dup2(ends[0], 3), os.dup2(ends[1], 4)))
        for fd in ends:
            os.close(fd)
        self._buffer = b""
        self._next = 0
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.enable", session=True)
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width, height=height,
                  deviceScaleFactor=1, mobile=False)

    def call(self, method: str, session: bool = False, **params: object) -> dict:
        self._next += 1
        message = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def _read(self) -> dict:
        while b"\0" not in self._buffer:
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def evaluate(self, expression: str) -> object:
        return self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True,
                         awaitPromise=True)["result"].get("value")

    def load(self, url: str) -> None:
        self.call("Page.navigate", session=True, url=url)
        deadline = time.monotonic() + 120
        while self.evaluate("document.readyState === 'complete' && document.body.dataset.ready === '1'") is not True:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not finish loading")
            time.sleep(0.05)

    def screenshot(self, path: Path) -> None:
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", session=True, format="png")["data"]))

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def timings(browser: Chromium, page_url: str, loads: int) -> dict[str, float]:
    """Milliseconds from navigation to the end of the page's script and to the load event."""
    script, loaded = [], []
    for _ in range(loads):
        browser.load(page_url + "?" + str(time.monotonic_ns()))  # a new navigation each time
        entry = browser.evaluate("JSON.stringify(performance.getEntriesByType('navigation')[0])")
        navigation = json.loads(entry)
        script.append(navigation["domContentLoadedEventStart"])
        loaded.append(navigation["loadEventEnd"])
    return {"script_ms": statistics.median(script), "load_ms": statistics.median(loaded)}


SHOTS = {  # file name -> what to show: a part of the page, after the page's own links (#...) open it
    "report-overview.png": "#overview",
    "report-rules.png": "#rule-navigation.headline-list",
    "report-sites.png": "#sites",
    "report-story.png": "#story-{story}",
    "report-events.png": "#event-{event}",
    "report-search.png": "#search={search}",
    "report-document.png": "#doc-1",
}


def screenshots(browser: Chromium, out: Path, folder: Path) -> None:
    stories = [json.loads(line) for line in (out / "stories.jsonl").read_text(encoding="utf-8").splitlines()]
    story = max(stories, key=lambda s: (s["size"], s["story"]))
    per_event: dict[str, int] = {}
    for s in stories:
        per_event[s["event"]] = per_event.get(s["event"], 0) + 1
    event = min(per_event, key=lambda e: (-per_event[e], e))  # the page's first event
    values = {"story": story["story"], "event": event, "search": (story["title"] or "").split()[-2].lower()}
    folder.mkdir(parents=True, exist_ok=True)
    for n, (name, fragment) in enumerate(SHOTS.items()):
        browser.load(f"{(out / 'report.html').as_uri()}?shot={n}{fragment.format(**values)}")  # a page of its own
        time.sleep(1.6)  # the highlight of an opened part fades
        browser.screenshot(folder / name)
        print(f"{folder / name}: {fragment.format(**values)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--out", type=Path, help="keep the run's folder here (default: a temporary one)")
    parser.add_argument("--screenshots", type=Path, help="write the page's screenshots into this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus, out = Path(tmp) / "corpus.jsonl", args.out or Path(tmp) / "out"
        write_corpus(corpus, args.documents)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "storysift.cli", "run", str(corpus), "--out", str(out), "-q",
                        "--workers", str(args.workers)], check=True)
        print(f"{args.documents:,} documents: storysift run {time.perf_counter() - started:.1f} s; "
              f"report.html {(out / 'report.html').stat().st_size / 2**20:.2f} MB")
        browser = Chromium()
        try:
            figures = timings(browser, (out / "report.html").as_uri(), args.loads)
            print(f"headless Chromium, median of {args.loads} loads: script done {figures['script_ms']:.0f} ms, "
                  f"load event {figures['load_ms']:.0f} ms after navigation")
            if args.screenshots:
                screenshots(browser, out, args.screenshots)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
