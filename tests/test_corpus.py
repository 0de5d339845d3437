"""The corpus stage's site step (issue 11): every document gets a site (its URL's host, or
inferred from the furniture it shares with site-mates), each site's template is removed with its
rule id, span and site; copies join when one is within the other; events do not chain; titles
are never template lines; `explain --run` shows a document in the context of its run."""

import json
import random

import numpy as np
from typer.testing import CliRunner

from storysift.cli import app
from storysift.corpus.dedup import dedup_file
from storysift.corpus.events import group_events
from storysift.corpus.sites import infer_sites
from storysift.corpus.stories import COPIES, FIRST_WITHIN, UNRELATED, Verification
from storysift.corpus.templates import MIN_SITE_PAGES, NO_KEYS, RULE_ID, TemplateView, site_keys
from storysift.corpus.shingles import line_hashes, shingles

WORDS = ("harbour council ferry budget minister report election union school hospital river bridge market "
         "price energy storm police court museum festival library railway airport factory farmers students "
         "teachers workers voters residents officials analysts engineers doctors").split()


def article(rng: random.Random, paragraphs: int = 6) -> list[str]:
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(18, 30))).capitalize() + "." for _ in range(paragraphs)]


# Site names differ by words: line keys fold digits, so "Site 1" and "Site 2" would be one line.
NAMES = ("Harbour", "Valley", "Summit", "Coast", "Meadow", "Ridge", "Delta", "Forest", "Canyon", "Prairie")


def site_page(site: int, body: list[str], rng: random.Random) -> str:
    name = NAMES[site]
    header = [f"Daily {name} | news for the {name} town", "Home", f"{name} politics", f"{name} sport", f"{name} weather"]
    related = [f"More from the {name} desk"] + [f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} news of the {name} {w}"
                                              for w in rng.sample(WORDS, 3)]
    footer = [f"© 2026 {name} Media Group. All rights reserved.", f"Contact {name} · Advertise · Privacy"]
    return "\n".join([*header, *body, *related, *footer])


def corpus(tmp_path, with_url: bool, sites: int = 4, stories: int = 12, seed: int = 3):
    """`stories` articles, each on one site, and story 0 copied on two other sites: the file,
    each document's article and each document's site."""
    rng = random.Random(seed)
    bodies = [article(rng) for _ in range(stories)]
    records = []
    for n, body in enumerate(bodies):
        records.append((f"a{n}", n % sites, body))
    records += [("copy-1", 1, bodies[0]), ("copy-2", 2, bodies[0][:3])]  # a copy and a teaser of story a0
    path = tmp_path / "pages.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for doc_id, site, body in records:
            record = {"id": doc_id, "text": site_page(site, body, rng)}
            if with_url:
                record["url"] = f"https://www.site{site}.example/{doc_id}"
            out.write(json.dumps(record) + "\n")
    return path, {doc_id: body for doc_id, _, body in records}, {doc_id: site for doc_id, site, _ in records}


def run_dedup(path, out):
    stats = dedup_file(path, out)
    clean = {r["id"]: r for r in map(json.loads, (out / "clean.jsonl").read_text(encoding="utf-8").splitlines())}
    return stats, clean


def test_each_sites_template_goes_with_its_rule_span_and_site_and_the_article_stays(tmp_path):
    path, bodies, sites_of = corpus(tmp_path, with_url=True)
    stats, clean = run_dedup(path, tmp_path / "out")
    for doc_id, record in clean.items():
        assert record["site"] == f"site{sites_of[doc_id]}.example"
        # The article, and the items of its site's "more" list this page alone shows: taking whole
        # lists that are mostly template cost more article than it took furniture (see templates.py).
        kept = record["text"].split("\n")
        assert kept[:len(bodies[doc_id])] == bodies[doc_id] and len(kept) == len(bodies[doc_id]) + 3, doc_id
        templates = [r for r in record["removed"] if r["rule"] == RULE_ID]
        assert templates and all(r["site"] == record["site"] and len(r["lines"]) == 2 for r in templates)
    per_site = stats["site_templates"]["per_site"]
    assert set(per_site) == {f"site{n}.example" for n in range(4)}
    assert all(site["template_lines"] > 0 and "note" not in site for site in per_site.values())


def test_without_addresses_site_mates_are_inferred_and_copies_are_not_site_mates():
    rng = random.Random(5)
    bodies = [article(rng) for _ in range(9)]
    pages = {}
    for n, body in enumerate(bodies):
        pages[f"a{n}"] = (n % 3, body)
    pages["copy"] = (1, bodies[0])  # story a0 on site 0 and, as "copy", on site 1
    furniture, names = {}, {}
    for number, (doc_id, (site, body)) in enumerate(sorted(pages.items())):
        lines = site_page(site, body, rng).split("\n")
        keys = line_hashes("\n".join(line for line in lines if line not in body))
        furniture[number], names[number] = np.unique(keys[keys != 0]), doc_id
    inferred = infer_sites(furniture, names)
    by_name = {names[number]: site for number, site in inferred.items()}
    for doc_id, (site, _) in pages.items():
        mates = {other for other, (other_site, _) in pages.items() if other_site == site}
        assert {d for d in pages if by_name[d] == by_name[doc_id]} == mates, doc_id
    assert by_name["a0"] != by_name["copy"] and all(name.startswith("~") for name in by_name.values())


def test_a_site_with_too_few_pages_keeps_its_lines_and_says_so(tmp_path):
    path, _, _ = corpus(tmp_path, with_url=True, sites=MIN_SITE_PAGES + 3, stories=MIN_SITE_PAGES + 3)
    stats, clean = run_dedup(path, tmp_path / "out")
    small = {site: s for site, s in stats["site_templates"]["per_site"].items() if s["distinct_pages"] < MIN_SITE_PAGES}
    assert small and all("generic rules only" in s["note"] and s["lines_removed"] == 0 for s in small.values())
    assert all(not any(r["rule"] == RULE_ID for r in record.get("removed", [])) for record in clean.values()
               if record["site"] in small)


def test_copies_and_a_teaser_join_one_story_and_other_stories_of_their_sites_stay_apart(tmp_path):
    for with_url in (True, False):
        path, bodies, _ = corpus(tmp_path, with_url=with_url)
        _, clean = run_dedup(path, tmp_path / f"out-{with_url}")
        story = clean["a0"]["story"]
        assert clean["copy-1"]["story"] == clean["copy-2"]["story"] == story, with_url
        assert len({record["story"] for record in clean.values()}) == len(bodies) - 2, with_url


def test_containment_needs_the_smaller_text_within_the_larger_and_enough_of_it():
    rng = random.Random(8)
    full = " ".join(article(rng, 8))
    teaser = full[:len(full) // 4]
    verification = Verification(0.5)
    assert verification.kind(shingles(teaser, 5), shingles(full, 5)) == FIRST_WITHIN
    assert verification.kind(shingles(full, 5), shingles(full + " Edited.", 5)) == COPIES
    quote = " ".join(full.split()[:6])  # a phrase two unrelated stories could both quote
    assert verification.kind(shingles(quote, 5), shingles(full, 5)) == UNRELATED
    other = " ".join(article(random.Random(9), 8))
    assert verification.kind(shingles(teaser, 5), shingles(other, 5)) == UNRELATED


def test_events_join_by_average_linkage_so_a_chain_of_shared_names_is_no_event():
    terms = {  # each story shares three names with the next only
        "s-1": ["varga", "bluewave", "harbourton", "gull", "pier"],
        "s-2": ["gull", "pier", "harbourton", "morsi", "cairo"],
        "s-3": ["morsi", "cairo", "harbourton", "lagarde", "imf"],
        "s-4": ["lagarde", "imf", "harbourton", "tsipras", "athens"],
        **{f"s-x{n}": [f"name{n}-{k}" for k in range(5)] for n in range(60)},  # "harbourton" stays rare
    }
    events = group_events(terms)
    assert len({events[s] for s in ("s-1", "s-2", "s-3", "s-4")}) > 1
    same = dict(terms, **{"s-2": ["varga", "bluewave", "harbourton", "gull", "vote"]})
    assert group_events(same)["s-1"] == group_events(same)["s-2"]


def test_site_names_do_not_make_an_event():
    terms = {"s-a": ["reuters", "nytimes", "varga", "gull"], "s-b": ["reuters", "nytimes", "varga", "morsi"],
             **{f"s-z{n}": [f"z{n}-{k}" for k in range(5)] for n in range(40)}}
    assert group_events(terms)["s-a"] == group_events(terms)["s-b"]
    ignoring = group_events(terms, ignored=["reuters", "nytimes"])  # one rare shared name left
    assert ignoring["s-a"] != ignoring["s-b"]


def test_a_name_of_several_words_counts_once_and_dates_are_no_names():
    from storysift.corpus.events import salient_terms

    text = ("Yesterday Las Vegas hotels and Amelia Earhart fans met in Las Vegas on Monday. Later Earhart "
            "flew, and Mr. Romney met Obama and Mr. Obama met Romney on Monday, in July and in July again.")
    terms = salient_terms(text)
    assert {"vegas", "earhart", "romney", "obama"} <= set(terms)
    assert not {"las", "amelia", "mr", "monday", "july"} & set(terms)


def test_the_lead_holds_the_names_of_the_first_words_only():
    from storysift.corpus.events import LEAD_WORDS, salient_terms

    filler = " ".join(["and the council met again"] * (LEAD_WORDS // 5))
    text = (f"Yesterday Varga spoke, and Varga left. {filler} Later Bluewave said so, and Bluewave agreed. "
            f"{filler} Then Varga and Bluewave met.")
    terms = salient_terms(text)
    assert {"varga", "bluewave"} <= set(terms)
    assert terms.lead == frozenset({"varga"})


def test_an_event_takes_three_shared_rare_names_one_of_them_in_both_leads():
    from storysift.corpus.events import Names, term_hashes

    filler = {f"s-x{n}": [f"name{n}-{k}" for k in range(5)] for n in range(60)}
    topic = {"s-a": Names(["microsoft", "windows", "redmond", "varga"], lead=frozenset({"microsoft", "windows"})),
             "s-b": Names(["microsoft", "windows", "tablet", "gull"], lead=frozenset({"microsoft", "windows"}))}
    assert group_events({**topic, **filler})["s-a"] != group_events({**topic, **filler})["s-b"]  # two: a topic
    lead = frozenset({"harbourton", "varga"})
    event = {"s-a": Names(["harbourton", "varga", "bluewave", "pier"], lead=lead),
             "s-b": Names(["harbourton", "varga", "bluewave", "gull"], lead=lead)}
    events = group_events({**event, **filler})
    assert events["s-a"] == events["s-b"]
    unled_hashes = {story: term_hashes(names, frozenset()) for story, names in {**event, **filler}.items()}
    assert group_events(unled_hashes)["s-a"] != group_events(unled_hashes)["s-b"]  # the lead travels in the hashes
    unled = {story: Names(list(names), lead=frozenset({"pier", "gull"})) for story, names in event.items()}
    assert group_events({**unled, **filler})["s-a"] != group_events({**unled, **filler})["s-b"]  # only further down


def test_a_title_that_is_a_template_line_gives_way_to_the_headline(tmp_path):
    rng = random.Random(4)
    path = tmp_path / "pages.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for n in range(5):
            body = [f"The {WORDS[n]} story of the harbour"] + article(rng, 4)
            out.write(json.dumps({"id": f"p{n}", "title": "Skip to main content",
                                  "url": f"https://site.example/p{n}",
                                  "text": "\n".join(["Skip to main content", "Home", "Sport", *body, "© Site"])}) + "\n")
    _, clean = run_dedup(path, tmp_path / "out")
    assert [clean[f"p{n}"]["title"] for n in range(5)] == [f"The {WORDS[n]} story of the harbour" for n in range(5)]
    stories = [json.loads(line) for line in (tmp_path / "out" / "stories.jsonl").read_text().splitlines()]
    assert all(s["title"].endswith("story of the harbour") for s in stories)



def test_a_headline_other_pages_list_stays_its_own_pages_title(tmp_path):
    rng = random.Random(5)
    headlines = [f"The {WORDS[n]} {WORDS[n + 10]} of the harbour" for n in range(8)]
    path = tmp_path / "pages.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for n, headline in enumerate(headlines):
            # A rotating "more stories" list: each headline is a line of 5 of the 8 pages, and the
            # title of one.
            listed = [headlines[(n + k) % 8] for k in range(1, 5)]
            text = ["Home", "Sport", headline, *article(rng, 3), "More stories", *listed, "© Site"]
            out.write(json.dumps({"id": f"p{n}", "title": headline, "url": f"https://site.example/p{n}",
                                  "text": "\n".join(text)}) + "\n")
    _, clean = run_dedup(path, tmp_path / "out")
    assert [clean[f"p{n}"]["title"] for n in range(8)] == headlines
    assert all(headlines[(n + 1) % 8] not in clean[f"p{n}"]["text"] for n in range(8))  # the lists went
    assert all(clean[f"p{n}"]["text"].split("\n")[0] == headline for n, headline in enumerate(headlines))  # not its own

def test_explain_shows_a_document_in_the_context_of_its_run(tmp_path):
    path, _, _ = corpus(tmp_path, with_url=True)
    out = tmp_path / "run"
    assert CliRunner().invoke(app, ["run", str(path), "--out", str(out), "-q"]).exit_code == 0
    result = CliRunner().invoke(app, ["explain", str(path), "--run", str(out), "--no-color"])
    assert result.exit_code == 0, result.output
    assert "## In the corpus run: site='site1.example'" in result.output
    assert f"- [{RULE_ID}] Contact Valley · Advertise · Privacy" in result.output
    missing = CliRunner().invoke(app, ["explain", str(path), "--run", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "no clean.jsonl" in missing.output


def test_a_short_storys_copies_join_by_their_headline_which_extraction_moved_to_the_title(tmp_path):
    headline = "Campaigning resumes after the weekend pause in Ohio"
    records = [
        {"id": "a", "title": headline, "text": "By Laura Meckler\nJuly 23, 2012"},
        {"id": "b", "title": headline, "text": "BY LAURA MECKLER\nUpdated July 23, 2012"},
        {"id": "c", "title": "Ferry budget approved by the harbour council on Monday", "text": "By Laura Meckler\nJuly 23, 2012"},
        # A headline already at the start of the text is not counted twice.
        {"id": "d", "title": headline, "text": f"{headline}\nBy Laura Meckler\nJuly 23, 2012"},
    ]
    path = tmp_path / "clean.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    _, clean = run_dedup(path, tmp_path / "out")
    story = {doc: record["story"] for doc, record in clean.items()}
    assert story["a"] is not None and story["a"] == story["b"] == story["d"]
    assert story["c"] not in (None, story["a"])
    assert clean["a"]["text"] == "By Laura Meckler\nJuly 23, 2012"  # the text is left as it was


def test_a_byline_or_a_date_above_the_headline_is_no_title_and_joins_no_stories(tmp_path):
    # One wire service's stories, each printed under the same credit line: a page that kept only
    # that line and its headline must not join another story whose page starts with the credit.
    credit = "By SIMON JOHNSON, online.wsj.com"
    rng = random.Random(7)
    records = [
        {"id": "stub", "title": credit, "text": f"{credit}\nData hint the economy of the region is better off"},
        {"id": "other", "title": credit, "text": "\n".join([credit, *article(rng, 5)])},
        {"id": "dated", "title": "July 23, 2012, 7:28 p.m. ET",
         "text": "July 23, 2012, 7:28 p.m. ET\nPledges of more funds to fight the epidemic in the region"},
    ]
    path = tmp_path / "clean.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    _, clean = run_dedup(path, tmp_path / "out")
    assert clean["stub"]["story"] != clean["other"]["story"]
    assert clean["stub"]["title"] == "Data hint the economy of the region is better off"
    assert clean["dated"]["title"] == "Pledges of more funds to fight the epidemic in the region"


def test_a_teaser_that_is_its_headline_and_byline_joins_its_article_on_another_site(tmp_path):
    rng = random.Random(6)
    headline = "Ferry budget approved by the harbour council"
    body = article(rng, 6)
    records = [
        {"id": "full", "title": headline, "url": "https://one.example/a", "text": "\n".join(["By Ann Lee", *body])},
        {"id": "teaser", "title": headline, "url": "https://two.example/b", "text": "By Ann Lee\n" + body[0][:40]},
        {"id": "other", "title": "Ferry budget approved by the valley council", "url": "https://three.example/c",
         "text": "\n".join(["By Ann Lee", *article(random.Random(7), 6)])},
    ]
    path = tmp_path / "clean.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    _, clean = run_dedup(path, tmp_path / "out")
    assert clean["teaser"]["story"] == clean["full"]["story"] != clean["other"]["story"]


def test_a_stub_joins_the_one_story_that_carries_its_headline(tmp_path):
    rng = random.Random(8)
    shared = "Open thread for weekend readers"  # the headline of two different stories
    headline = "Ferry budget approved by harbour council"
    records = [  # a stub: fewer than 8 words with its headline
        {"id": "full", "title": headline, "text": "\n".join(article(rng, 5))},
        {"id": "stub", "title": headline, "text": ""},
        {"id": "stub-week", "title": headline + " 2027", "text": ""},
        {"id": "stub-kicker", "title": "UPDATE: " + headline, "text": ""},  # the headline retitled
        {"id": "open-1", "title": shared, "text": "\n".join(article(rng, 5))},
        {"id": "open-2", "title": shared, "text": "\n".join(article(rng, 5))},
        {"id": "open-stub", "title": shared, "text": ""},
        {"id": "lone-stub", "title": "Nothing else carries this headline", "text": "By Ann"},
    ]
    path = tmp_path / "clean.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    stats, clean = run_dedup(path, tmp_path / "out")
    assert clean["stub"]["story"] == clean["full"]["story"] and clean["stub"]["copy_of"] == "full"
    assert clean["stub-kicker"]["story"] == clean["full"]["story"]
    assert "excluded" not in clean["stub"] or clean["stub"]["excluded"] is None
    assert clean["open-1"]["story"] != clean["open-2"]["story"]
    for stub in ("stub-week", "open-stub", "lone-stub"):
        assert clean[stub]["story"] is None and clean[stub]["excluded"] == "fewer than 8 words", stub
    assert stats["excluded"]["documents"] == 3 and stats["distinct_stories"] == 3
    stories = [json.loads(line) for line in (tmp_path / "out" / "stories.jsonl").read_text().splitlines()]
    assert sorted(m["id"] for s in stories for m in s["members"]) == ["full", "open-1", "open-2", "stub", "stub-kicker"]


def test_a_stub_joins_the_story_most_texts_carrying_its_headline_belong_to(tmp_path):
    # Five copies of an article carry the headline, and so does one page of another story (a
    # page that kept the headline of its "more stories" list as its own): the stub is the article's.
    rng = random.Random(10)
    headline = "Ferry budget approved by harbour council"
    body = article(rng, 5)
    records = [{"id": f"copy-{n}", "title": headline, "text": "\n".join(body)} for n in range(5)]
    records += [{"id": "other", "title": headline, "text": "\n".join(article(rng, 5))},
                {"id": "stub", "title": headline, "text": "By Ann Lee"}]
    path = tmp_path / "clean.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    _, clean = run_dedup(path, tmp_path / "out")
    assert clean["stub"]["story"] == clean["copy-0"]["story"] != clean["other"]["story"]


def test_a_stub_joins_a_headline_sharing_four_fifths_of_its_words_exactly(tmp_path):
    # 12 of 15 words is four fifths, which 0.8 * 15 (12.000000000000002 in floating point) missed;
    # the article's headline has 14 of them.
    words = "harbour council approves new ferry budget after long night of talks with island unions".split()
    retitled = [*words[:12], "union", "leaders", "say"]
    records = [{"id": "full", "title": " ".join(words), "text": "\n".join(article(random.Random(9), 5))},
               {"id": "stub", "title": " ".join(retitled), "text": "By Ann Lee"},
               {"id": "further", "title": " ".join(["ferry", "fares", "rise", "again", *words[4:]]), "text": "By Bo Chen"}]
    path = tmp_path / "clean.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    _, clean = run_dedup(path, tmp_path / "out")
    assert clean["stub"]["story"] == clean["full"]["story"] is not None
    assert clean["further"]["story"] not in (None, clean["full"]["story"])  # 10 of 14 words are the article's


def test_teasers_with_another_byline_join_the_one_story_of_longer_texts_under_their_headline(tmp_path):
    rng = random.Random(9)
    headline = "Ferry budget approved by harbour council"
    body = article(rng, 5)
    records = [
        {"id": "full", "title": headline, "text": "\n".join(["By Ann Lee", *body])},
        {"id": "full-copy", "title": headline, "text": "\n".join(["By Ann Lee", *body[:4]])},
        # Headline, byline and date: a dozen words, none of its shingles in the article's.
        {"id": "teaser-1", "title": headline, "text": "By Bob Stone\nUpdated July 23, 2026"},
        {"id": "teaser-2", "title": headline, "text": "By Bob Stone\nUpdated July 23, 2026, 11:57"},
        {"id": "other", "title": "Museum reopens after the long repairs", "text": "By Bob Stone\nUpdated July 23, 2026"},
    ]
    path = tmp_path / "clean.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    _, clean = run_dedup(path, tmp_path / "out")
    assert clean["teaser-1"]["story"] == clean["teaser-2"]["story"] == clean["full"]["story"]
    assert clean["other"]["story"] not in (None, clean["full"]["story"])


def test_first_person_contractions_are_no_names():
    from storysift.corpus.events import salient_terms

    text = ("Yesterday I'm told, and I'd say so again, that Marys and I’m sure Marys liked it. "
            "Then I'd go back, I'm afraid, with Emily. Later Emily said so.")
    terms = salient_terms(text)
    assert "marys" in terms and "emily" in terms
    assert not [t for t in terms if t.startswith(("i'", "i’"))]


def test_a_blank_line_between_two_template_lines_goes_with_them_and_the_rest_stays():
    template = ["Skip to content", "Home News Sport", "Share this", "Related stories"]
    view = TemplateView(np.sort(site_keys("a.example", line_hashes("\n".join(template)))), NO_KEYS, frozenset({"a.example"}))
    text = "Skip to content\n\nHome News Sport\n\nThe story, told in 12 words.\n \nShare this\n\n\nRelated stories"
    stripped, removals, lines, words, kept = view.strip("a.example", text)
    assert stripped == "The story, told in 12 words.\n "
    assert kept.tolist() == [False, True, False, True, True, True, False, True, True, False]
    assert [(r.rule, r.text, r.lines) for r in removals] == [
        (RULE_ID, "Skip to content\nHome News Sport", (1, 3)), (RULE_ID, "Share this", (7, 7)),
        (RULE_ID, "Related stories", (10, 10))]
    assert (lines, words) == (4, 10)
    assert view.strip("b.example", text) == (text, [], 0, 0, None)
