"""A corpus of real text at any size for the speed benches: the labelled syndication corpus
(`../shared/devcorpus-syndication`) scaled up. No word is generated: every line is a real
article paragraph (its `clean_body` texts) or a real furniture line of a real page of its site
(its `txt/` pages), edited as copies and new stories are in the wild.

- A **story** is one real article body with a third of its paragraphs replaced by paragraphs of
  other real bodies, its names renamed (each name, a word capitalised inside a sentence and never
  written in lower case, mapped for this story to another name of the corpus) and 3 % of its other words swapped for other corpus words, so
  that two stories drawn from one body are different texts, as two reports of one event are.
- Each story is published on 1-8 distinct sites (mean 2.9); every copy after the first gets a
  syndicated copy's edits: a teaser of the first 20-50 % with "Read more at", the last
  paragraphs dropped, an "Originally published by" line, 2-6 words changed.
- Each copy is wrapped in the furniture of a real page of its site: that page's lines that are
  not its article, above, between and below the new paragraphs (menus, headline lists, footers).
- Records: `{"id", "title", "url": "https://<site>/<id>", "text"}`, in shuffled order.

`write_corpus(path, size, corpus_dir)` is deterministic (seeded): the same size gives the same file;
`cached_corpus(cache, size, corpus_dir)` builds it once into `cache` as realcorpus-SIZE.jsonl.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

# Copies per story (drawn uniformly from the list): mean 2.9, a fifth of stories on 4+ sites.
COPIES = (1, 1, 1, 1, 2, 2, 3, 4, 6, 8)
# Share of a story's paragraphs taken from other bodies, and of its words swapped.
MIXED_PARAGRAPHS = 1 / 3
SWAPPED_WORDS = 0.03
WORD = re.compile(r"[^\W\d_][\w'’-]*")
NAME = re.compile(r"(?<=[\w,] )[A-Z][a-z]+\b")  # a capitalised word inside a sentence


@dataclass
class Source:
    bodies: list[list[str]]  # paragraphs of each real article body
    pages: dict[str, list[list[str | None]]]  # site -> its real pages' lines, None where the article stood
    sites: list[str]
    words: list[str]
    names: list[str]
    name_set: frozenset[str]


def load_source(corpus_dir: Path) -> Source:
    labels = json.loads((corpus_dir / "labels.json").read_text(encoding="utf-8"))["docs"]
    bodies: dict[str, list[str]] = {}
    pages: dict[str, list[list[str | None]]] = {}
    for doc in sorted(labels):
        label = labels[doc]
        body = label["clean_body"].replace("\x00", "")
        paragraphs = [p.strip() for p in body.split("\n") if p.strip()]
        if "\x00" not in label["clean_body"] and len(paragraphs) >= 3:
            bodies.setdefault(label["story"], paragraphs)  # the first copy of each story, as written
        article = set(paragraphs)
        text = (corpus_dir / "txt" / f"{doc}.txt").read_bytes().decode("utf-8", errors="replace").replace("\x00", "")
        lines: list[str | None] = []
        for line in text.split("\n"):
            if line.strip() in article:
                if lines and lines[-1] is None:
                    continue
                lines.append(None)
            else:
                lines.append(line)
        if None in lines:
            pages.setdefault(label["site"], []).append(lines)
    paragraphs = [p for body in bodies.values() for p in body]
    words = sorted({w for p in paragraphs for w in WORD.findall(p) if w.islower()})
    lower = {w.casefold() for w in words}
    names = sorted({w for p in paragraphs for w in NAME.findall(p) if w.casefold() not in lower})
    return Source(list(bodies.values()), pages, sorted(pages), words, names, frozenset(names))


def story(source: Source, number: int, seed: int) -> list[str]:
    """The paragraphs of story `number`, its first the headline."""
    rng = random.Random(f"{seed}-story-{number}")
    base = list(rng.choice(source.bodies))
    for i in range(1, len(base)):
        if rng.random() < MIXED_PARAGRAPHS:
            base[i] = rng.choice(rng.choice(source.bodies))
    renamed: dict[str, str] = {}
    names = source.name_set

    def rename(match: re.Match) -> str:
        word = match.group(0)
        if word not in names:
            return word
        if word not in renamed:
            renamed[word] = rng.choice(source.names)
        return renamed[word]

    def edit(paragraph: str) -> str:
        paragraph = NAME.sub(rename, paragraph)
        return WORD.sub(lambda m: rng.choice(source.words) if m.group(0).islower() and rng.random() < SWAPPED_WORDS
                        else m.group(0), paragraph)

    return [edit(p) for p in base]


def copy_of(paragraphs: list[str], home: str, rng: random.Random, source: Source) -> list[str]:
    """A syndicated copy's edits."""
    body = list(paragraphs)
    if rng.random() < 0.2 and len(body) > 3:
        body = body[:max(2, int(len(body) * rng.uniform(0.2, 0.5)))] + [f"Read more at {home}"]
    elif rng.random() < 0.3 and len(body) > 4:
        body = body[:-rng.randint(1, 2)]
    if rng.random() < 0.3:
        body.append(f"Originally published by {home}.")
    for _ in range(rng.randint(2, 6)):
        i = rng.randrange(1, len(body))
        words = body[i].split(" ")
        j = rng.randrange(len(words))
        words[j] = rng.choice(source.words)
        body[i] = " ".join(words)
    return body


def wrap(body: list[str], page: list[str | None]) -> str:
    """The page's furniture around the body: its article slots, in order, take the body's
    paragraphs (the last slot takes what remains)."""
    slots = page.count(None)
    per_slot, extra = divmod(len(body), slots)
    out, used, slot = [], 0, 0
    for line in page:
        if line is not None:
            out.append(line)
            continue
        take = per_slot + (1 if slot < extra else 0)
        out.extend(p for para in body[used:used + take] for p in (para, ""))
        used += take
        slot += 1
    return "\n".join(out).strip() + "\n"


def plan(size: int, sites: list[str], seed: int) -> list[tuple[int, int, str, str]]:
    """(story, copy number, site, the story's home site) for `size` documents, shuffled."""
    rng = random.Random(f"{seed}-plan")
    docs: list[tuple[int, int, str, str]] = []
    number = 0
    while len(docs) < size:
        copies = min(rng.choice(COPIES), size - len(docs))
        chosen = rng.sample(sites, copies)
        for n, site in enumerate(chosen):
            docs.append((number, n, site, chosen[0]))
        number += 1
    rng.shuffle(docs)
    return docs


def write_corpus(path: Path, size: int, corpus_dir: Path, seed: int = 15) -> None:
    source = load_source(corpus_dir)
    with path.open("w", encoding="utf-8") as out:
        for index, (number, n, site, home) in enumerate(plan(size, source.sites, seed)):
            rng = random.Random(f"{seed}-doc-{number}-{n}")
            paragraphs = story(source, number, seed)
            body = paragraphs if n == 0 else copy_of(paragraphs, home, rng, source)
            doc_id = f"d{index:07d}"
            page = rng.choice(source.pages[site])
            record = {"id": doc_id, "title": body[0], "url": f"https://{site}/{doc_id}", "text": wrap(body, page)}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def cached_corpus(cache: Path, size: int, corpus_dir: Path) -> Path:
    """The corpus of `size` documents in `cache`, built on first use."""
    path = cache / f"realcorpus-{size}.jsonl"
    if not path.is_file():
        print(f"building {path.name} from {corpus_dir} ...", flush=True)
        cache.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        write_corpus(partial, size, corpus_dir)
        partial.rename(path)
    return path
