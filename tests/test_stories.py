"""Shingling, MinHash signatures, verification, union-find and the canonical choice: the
pieces story clustering is built from (issue 3)."""

import random

import numpy as np
import pytest
from datasketch import MinHash

from pipeline.events import group_events, salient_terms, term_jaccard
from pipeline.minhash import EMPTY, Signer
from pipeline.shingles import MAX_WORDS, hashed_words, jaccard, shingle_set, shingles
from pipeline.stories import (Member, UnionFind, choose_canonical, exact_groups, join_buckets, lsh_buckets,
                              member_keys, stable_id)

TEXT = ("The council voted on Tuesday to extend the ferry subsidy for another three years, "
        "ending months of uncertainty for the island's commuters and for the operator.")


def test_words_are_casefolded_and_split_at_punctuation_including_unicode_quotes():
    a, _ = hashed_words("“Ferry” subsidy—extended… OK")
    b, _ = hashed_words('ferry SUBSIDY extended ok')
    assert list(a) == list(b)


def test_word_hashes_are_stable_across_processes():
    # A fixed value: a salted hash() would change from run to run.
    assert int(hashed_words("ferry")[0][0]) == int(hashed_words("the ferry")[0][1]) == 3118152057121722426


def test_words_per_line_are_counted():
    hashes, per_line = hashed_words("one two\n\nthree four five\nsix")
    assert len(hashes) == 6 and per_line == [2, 0, 3, 1]


def test_shingles_of_a_text_are_its_word_ngrams():
    assert len(shingles("a b c d e f", 3)) == 4
    assert len(shingles("a b c d e f a b c", 3)) == 6  # repeats count once
    assert len(shingles("a b", 3)) == 1  # shorter than a shingle: one shingle of all its words
    assert len(shingles("", 3)) == 0 and len(shingles("— …", 3)) == 0


def test_shingle_order_matters():
    assert not set(shingles("red blue", 2)) & set(shingles("blue red", 2))


def test_very_long_text_is_capped():
    text = " ".join(f"w{i}" for i in range(MAX_WORDS + 5000))
    hashes, _ = hashed_words(text)
    assert len(hashes) == MAX_WORDS


def test_shingle_size_is_validated():
    with pytest.raises(ValueError, match="shingle size"):
        shingle_set(hashed_words(TEXT)[0], 0)


def test_exact_jaccard():
    a = np.array([1, 2, 3, 4], dtype=np.uint32)
    b = np.array([3, 4, 5, 6], dtype=np.uint32)
    assert jaccard(a, b) == pytest.approx(2 / 6)
    assert jaccard(a, a) == 1.0
    assert jaccard(a, np.array([], dtype=np.uint32)) == 0.0


def test_batch_signatures_equal_datasketch_update_per_shingle():
    signer = Signer(64)
    sets = [shingles(TEXT, 3), shingles("another text entirely, about a storm on the coast", 3)]
    rows = signer.sign(sets)
    for row, shingle_values in zip(rows, sets):
        reference = MinHash(num_perm=64, scheme="affine32", hashfunc=lambda value: value)
        for value in shingle_values:
            reference.update(int(value))
        assert np.array_equal(reference.hashvalues, row)
        assert signer.lean(row).jaccard(signer.lean(row)) == 1.0


def test_empty_set_signs_to_the_empty_value_and_batches_do_not_mix():
    signer = Signer(16)
    alone = signer.sign([shingles(TEXT, 5)])[0]
    rows = signer.sign([np.empty(0, dtype=np.uint32), shingles(TEXT, 5), shingles("x y z", 5)])
    assert (rows[0] == EMPTY).all()
    assert np.array_equal(rows[1], alone)


def test_num_perm_is_validated():
    with pytest.raises(ValueError, match="num_perm"):
        Signer(1)


def test_union_find_joins_copies_of_copies_whatever_the_order():
    pairs = [(1, 2), (2, 3), (5, 6)]
    for order in (pairs, pairs[::-1]):
        union = UnionFind(range(7))
        for a, b in order:
            union.union(a, b)
        assert union.groups() == {0: [0], 1: [1, 2, 3], 4: [4], 5: [5, 6]}
    assert not union.union(1, 3)


def test_exact_groups_by_digest():
    assert exact_groups({3: b"x", 1: b"y", 7: b"x"}) == {3: [3, 7], 1: [1]}


def test_lsh_buckets_then_verification_join_copies_but_not_lookalikes():
    rng = random.Random(1)
    base = [f"w{rng.randrange(5000)}" for _ in range(300)]
    copy = list(base)
    for position in rng.sample(range(300), 6):
        copy[position] = "edited"
    other = [f"w{rng.randrange(5000)}" for _ in range(300)]
    texts = [" ".join(base), " ".join(copy), " ".join(other)]
    sets = [shingles(text, 5) for text in texts]
    signer = Signer(128)
    buckets = lsh_buckets(signer, dict(enumerate(signer.sign(sets))), 0.5)
    union = UnionFind(range(3))
    join_buckets(buckets, lambda i: sets[i], 0.5, union)
    assert union.find(0) == union.find(1) != union.find(2)


def test_a_candidate_that_fails_verification_is_not_joined():
    sets = {0: np.arange(0, 100, dtype=np.uint32), 1: np.arange(60, 160, dtype=np.uint32)}
    union = UnionFind(range(2))
    candidates, checks = join_buckets([[0, 1]], sets.__getitem__, 0.5, union)  # Jaccard 0.25
    assert checks == 1 and union.find(0) != union.find(1)


def member(index, id, words=100, removals=0, date=None, source="s"):
    return Member(index, id, source, words, removals, date)


def test_canonical_is_most_complete_then_cleanest_then_earliest_then_smallest_id():
    assert choose_canonical([member(0, "b", 90), member(1, "a", 100)]).id == "a"
    assert choose_canonical([member(0, "a", 100, 3), member(1, "b", 100, 1)]).id == "b"
    assert choose_canonical([member(0, "a", date=None), member(1, "b", date="2024-05-02"),
                             member(2, "c", date="2024-05-01")]).id == "c"
    tied = [member(0, "z"), member(1, "m"), member(2, "q")]
    assert choose_canonical(tied).id == choose_canonical(tied[::-1]).id == "m"


def test_stable_ids_depend_on_the_key_only():
    assert stable_id("s-", "page-1") == stable_id("s-", "page-1") != stable_id("s-", "page-2")
    assert stable_id("s-", "page-1").startswith("s-") and len(stable_id("s-", "x")) == 14


def test_repeated_ids_are_told_apart_by_source():
    keys = member_keys([member(0, "a", source="x"), member(1, "a", source="y"), member(2, "b")])
    assert keys == {0: "a\tx", 1: "a\ty", 2: "b"}


def test_salient_terms_are_names_not_sentence_starts():
    text = ("However, Harbourton council met Bluewave Ferries. The Harbourton vote came after Bluewave "
            "Ferries warned. However the deal holds. The mayor spoke.")
    terms = salient_terms(text)
    assert "harbourton" in terms and "bluewave" in terms
    assert "however" not in terms and "the" not in terms


def test_events_join_stories_sharing_names_and_keep_others_apart():
    terms = {
        "s-a": ["openai", "microsoft", "azure", "altman", "nadella"],
        "s-b": ["openai", "microsoft", "azure", "antitrust", "altman"],
        "s-c": ["harbourton", "bluewave", "varga", "gull"],
    }
    events = group_events(terms)
    assert events["s-a"] == events["s-b"] != events["s-c"]
    assert term_jaccard(terms["s-a"], terms["s-c"]) == 0.0
