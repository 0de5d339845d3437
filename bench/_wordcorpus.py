"""Generated words shaped like a scrape, for the benches that need many pages of no particular
text (bench/report_page.py's report.html at scale, bench/ray_dedup.py's engine comparison): articles
of 4-9 paragraphs of words drawn from a short list, a fifth of them republished copies, each page
wrapped in one of 12 sites' furniture (headline lists, share lines, newsletter prompts, footers).
Speed and memory figures come from real text instead (bench/_realcorpus.py).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

WORDS = ("harbour council ferry budget minister report election union school hospital river bridge "
         "market price energy storm police court museum festival library railway airport factory "
         "farmers students teachers workers voters residents officials analysts engineers doctors "
         "approved rejected announced delayed expanded reduced opened closed funded criticised "
         "quickly slowly finally again today yesterday recently nearly almost openly quietly").split()
SITES = [
    {"footer": f"© 2026 Site {n} Media. All rights reserved.",
     "headlines": [f"{w.title()} {v.title()} Plans Move Ahead In {c.title()}" for w, v, c in
                   zip(WORDS[n:n + 6], WORDS[n + 10:n + 16], WORDS[n + 20:n + 26])]}
    for n in range(12)
]


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(9, 22))]
    return " ".join(words).capitalize() + "."


def article(rng: random.Random, n: int) -> list[str]:
    title = f"Story {n}: " + " ".join(rng.choice(WORDS) for _ in range(6)).title()
    return [title] + [" ".join(sentence(rng) for _ in range(rng.randint(2, 5))) for _ in range(rng.randint(4, 9))]


def page(rng: random.Random, body: list[str], site: dict) -> str:
    headlines = rng.sample(site["headlines"], 5)
    lines = [body[0], "Share on Facebook", *body[1:], "Sign up for our daily newsletter", "", *headlines, site["footer"]]
    return "\n".join(lines)


def write_corpus(path: Path, size: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    bodies: list[list[str]] = []
    with path.open("w", encoding="utf-8") as out:
        for n in range(size):
            if bodies and rng.random() < 0.2:
                body = list(rng.choice(bodies))
                body[0] = body[0] + " (updated)"
            else:
                body = article(rng, n)
                if len(bodies) < 5000:
                    bodies.append(body)
            text = page(rng, body, rng.choice(SITES))
            out.write(json.dumps({"id": f"doc-{n:07d}", "text": text}) + "\n")
