"""Corpus furniture (issue 3): blocks, and which block clusters count as furniture."""

from storysift.corpus.furniture import RULE_ID, BlockIndex, remove_blocks, split_blocks
from storysift.corpus.shingles import hashed_words

LONG = "The swing bridge over the inner harbour will close to cars from Monday for six weeks of repairs."


def test_short_lines_run_together_and_a_long_line_is_a_block_of_its_own():
    sizes = [len(line.split()) for line in ["Related", "Item one here", "Item two here", "", LONG, LONG, "Footer a b"]]
    assert split_blocks(sizes) == [[0, 1, 2], [4], [5], [6]]


def add(index, doc, text):
    hashes, per_line = hashed_words(text)
    index.add(doc, per_line, hashes)


HEADLINES = ["Fishing quotas cut again for next season", "New cycle lane planned along the seafront",
             "Lighthouse keeper's cottage up for sale", "Harbour cranes to be repainted blue",
             "Ferry timetable changes from May", "Town hall clock stops after lightning strike"]


def story(n):
    return "\n".join(f"Story {n} paragraph {p} tells of event {n} with details {n * 7 + p} and {n * 13 + p} "
                     f"that no other page reports, quoting witness {n * 31 + p} at length." for p in range(3))


def test_rotating_related_list_is_furniture_in_k_stories_but_not_in_fewer():
    index = BlockIndex()
    for doc in range(4):
        items = HEADLINES[doc % 3:doc % 3 + 4]  # the list rotates: 4 of 6 items, shifting
        add(index, doc, "\n".join([story(doc), "", "Related stories", *items]))
    index.cluster()
    found = index.furniture({doc: doc for doc in range(4)}, min_stories=4)
    assert sorted(found) == [0, 1, 2, 3] and all(blocks == [(4, 5, 6, 7, 8)] for blocks in found.values())
    assert index.furniture({doc: doc for doc in range(4)}, min_stories=5) == {}


def test_paragraphs_of_copies_not_yet_joined_are_not_furniture():
    index = BlockIndex()
    article = [LONG, "Pedestrians and cyclists can still cross on a temporary walkway, but drivers face a long detour.",
               "Engineers found the damage during an inspection in spring and said the repair could not wait."]
    for doc in range(4):  # four copies on four sites, each with its own header: not joined into one story yet
        add(index, doc, "\n".join([f"Site {doc} header line with words", *article]))
    index.cluster()
    assert index.furniture({doc: doc for doc in range(4)}, min_stories=3) == {}


def test_removed_blocks_are_attributed_to_the_corpus_rule():
    text, removals = remove_blocks("Header of the site\n\nBody paragraph.\nFooter", [(0,), (3,)])
    assert text == "Body paragraph."
    assert [(r.rule, r.text) for r in removals] == [(RULE_ID, "Header of the site"), (RULE_ID, "Footer")]
