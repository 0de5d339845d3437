"""Shingling, MinHash signatures, verification, union-find and the canonical choice: the
pieces story clustering is built from (issue 3)."""

import random

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH

from storysift.corpus.dedup import DEFAULT_NUM_PERM, DEFAULT_THRESHOLD
from storysift.corpus.events import (
    DEFAULT_EVENT_THRESHOLD,
    EVENT_NUM_PERM,
    MIN_LEAD_SHARED,
    MIN_RARE_SHARED,
    MIN_SHARED_TERMS,
    NameTable,
    group_events,
    salient_terms,
)
from storysift.corpus.sites import SITE_NUM_PERM, SITE_THRESHOLD
from storysift.corpus.minhash import EMPTY, Rows, Signer
from storysift.corpus.shingles import (
    LONG_LINE_WORDS,
    MAX_WORDS,
    TextLines,
    hashed_words,
    jaccard,
    line_hashes,
    shingle_set,
    shingles,
)
from storysift.corpus.stories import (
    KNOWN_LSH_PARAMS,
    LSH_SLACK,
    Member,
    UnionFind,
    Verification,
    band_buckets,
    choose_canonical,
    components,
    exact_groups,
    join_buckets,
    join_similar,
    lsh_buckets,
    lsh_candidates,
    lsh_params,
    member_keys,
    stable_id,
)

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
    join_buckets(buckets, lambda i: sets[i], Verification(0.5), union)
    assert union.find(0) == union.find(1) != union.find(2)


def datasketch_buckets(signer, rows, threshold):
    """The reference: every row into datasketch's MinHashLSH, its hash tables read back."""
    lsh = MinHashLSH(threshold=threshold, num_perm=signer.num_perm)
    for key, row in sorted(rows.items()):
        lsh.insert(key, signer.lean(row), check_duplication=False)
    found = {tuple(sorted(table.get(band))) for table in lsh.hashtables for band in table.keys()
             if len(table.get(band)) > 1}
    return [list(bucket) for bucket in sorted(found)]


@pytest.mark.parametrize("threshold,num_perm", [(0.3, 128), (0.5, 128), (0.24, 64), (0.6, 256)])
def test_numpy_buckets_are_datasketch_minhashlsh_buckets(threshold, num_perm):
    rng = np.random.default_rng(num_perm)
    rows = rng.integers(0, 2**32, size=(400, num_perm), dtype=np.uint64).astype(np.uint32)
    rows[:, :num_perm // 2] %= 3  # few distinct values: many partial band collisions
    for copy in range(0, 399, 7):  # near copies: a few slots changed
        rows[copy + 1] = rows[copy]
        rows[copy + 1, rng.integers(0, num_perm, size=num_perm // 8)] = 7
    keys = rng.permutation(10_000)[:400]  # keys need not be 0..n-1
    signer = Signer(num_perm)
    table = dict(zip(keys.tolist(), rows))
    expected = datasketch_buckets(signer, table, threshold)
    assert expected and lsh_buckets(signer, table, threshold, slack=1.0) == expected
    order = np.argsort(keys)
    held = Rows(num_perm)
    held.append(rows[order])
    assert band_buckets(keys[order], held.columns, num_perm, threshold, slack=1.0) == expected
    assert lsh_params(threshold, num_perm)[0] > 1


def test_known_lsh_params_are_datasketchs_and_cover_the_defaults():
    for (threshold, num_perm), params in KNOWN_LSH_PARAMS.items():
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        assert (lsh.b, lsh.r) == params
    uses = [(DEFAULT_THRESHOLD, DEFAULT_NUM_PERM), (SITE_THRESHOLD, SITE_NUM_PERM),
            (DEFAULT_EVENT_THRESHOLD, EVENT_NUM_PERM)]
    assert all((threshold * LSH_SLACK, num_perm) in KNOWN_LSH_PARAMS for threshold, num_perm in uses)


def test_components_are_union_find_sets_named_by_their_smallest_key():
    rng = random.Random(3)
    pairs = [(rng.randrange(300), rng.randrange(300)) for _ in range(250)]
    union = UnionFind(range(300))
    for a, b in pairs:
        union.union(a, b)
    labels = components(300, np.array([a for a, _ in pairs]), np.array([b for _, b in pairs]))
    assert labels.tolist() == [union.find(key) for key in range(300)]
    assert components(3, np.array([], dtype=np.int64), np.array([], dtype=np.int64)).tolist() == [0, 1, 2]


def test_rows_grow_by_chunks_and_give_back_what_was_put():
    rows = Rows(4, chunk=3)
    matrix = np.arange(40, dtype=np.uint32).reshape(10, 4)
    rows.append(matrix[:2])
    rows.append(matrix[2:9])
    rows[9] = matrix[9]
    assert len(rows) == 10 and rows.take(np.arange(10)).tolist() == matrix.tolist()
    assert rows.take([9, 0, 4]).tolist() == matrix[[9, 0, 4]].tolist() and rows[5].tolist() == matrix[5].tolist()
    assert rows.columns(1, 3).tolist() == matrix[:, 1:3].tolist()
    assert rows.columns(1, 3, np.array([8, 2])).tolist() == matrix[[8, 2], 1:3].tolist()
    rows[12] = matrix[0]
    assert rows[11].tolist() == [int(EMPTY)] * 4  # never written
    with pytest.raises(IndexError):
        rows.take([13])


def test_shingle_sets_are_sorted_and_distinct():
    hashes, _ = hashed_words(" ".join(f"w{i % 37}" for i in range(2000)))
    assert shingle_set(hashes, 3).tolist() == np.unique(shingle_set(hashes, 3)).tolist()
    assert len(shingle_set(hashes, 3)) == 37 and len(shingle_set(hashes[:0], 3)) == 0


def test_a_candidate_that_fails_verification_is_not_joined():
    sets = {0: np.arange(0, 100, dtype=np.uint32), 1: np.arange(60, 160, dtype=np.uint32)}
    union = UnionFind(range(2))
    candidates, checks = join_buckets([[0, 1]], sets.__getitem__, Verification(0.5), union)  # Jaccard 0.25
    assert checks == 1 and union.find(0) != union.find(1)


def test_a_pair_that_failed_is_checked_once_whatever_the_buckets_holding_it():
    sets = {0: np.arange(0, 100, dtype=np.uint32), 1: np.arange(60, 160, dtype=np.uint32),
            2: np.arange(0, 100, dtype=np.uint32)}
    checked = []

    def similar(a, b):
        checked.append((a, b))
        return Verification(0.5).kind(sets[a], sets[b]) != 0

    union = UnionFind(range(3))
    candidates, checks = join_similar([[0, 1], [0, 1], [0, 1, 2]], similar, union)  # three bands' buckets
    assert checks == 2 and checked == [(0, 1), (0, 2)]
    assert union.find(0) == union.find(2) != union.find(1) and candidates == 7


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
    assert "harbourton" in terms and "ferries" in terms  # "Bluewave Ferries", one name, by its last word
    assert "however" not in terms and "the" not in terms
    possessive = "Yet Varga's plan and Varga’s team met Varga. Then varga's critics, Gull's and Gull spoke."
    assert salient_terms(possessive) == ["varga", "gull"]  # possessives counted with the name


def test_events_join_stories_sharing_names_and_keep_others_apart():
    terms = {
        "s-a": ["openai", "microsoft", "azure", "altman", "nadella"],
        "s-b": ["openai", "microsoft", "azure", "antitrust", "altman"],
        "s-c": ["harbourton", "bluewave", "varga", "gull"],
    }
    events = group_events(terms)
    assert events["s-a"] == events["s-b"] != events["s-c"]


def test_an_event_is_named_after_its_smallest_story_whichever_pair_joined_first():
    filler = {f"s-x{n}": [f"name{n}-{k}" for k in range(5)] for n in range(60)}
    terms = {"s-b": ["varga", "gull", "pier", "bluewave", "harbourton"],
             "s-c": ["varga", "gull", "pier", "bluewave", "harbourton"],  # joins s-b first: all names shared
             "s-a": ["varga", "gull", "pier", "morsi", "cairo"]}
    events = group_events({**terms, **filler})
    assert events["s-a"] == events["s-b"] == events["s-c"] == stable_id("e-", "s-a")
    assert events["s-x0"] == stable_id("e-", "s-x0")


def test_event_pair_checks_in_numpy_agree_with_the_checks_set_by_set():
    rng = random.Random(4)
    sets = [set(rng.sample(range(40), rng.randint(0, 12))) for _ in range(60)]
    leads = [set(rng.sample(sorted(held), len(held) // 2)) for held in sets]
    weight = {name: rng.uniform(0.1, 3.0) for name in range(40)}
    rare = set(range(0, 40, 3))
    a, b = np.array([[x, y] for x in range(60) for y in range(x + 1, 60)]).T
    overlap, passed = NameTable(sets, leads, weight, rare).related(a, b, 0.3)
    for i, (x, y) in enumerate(zip(a.tolist(), b.tolist())):
        shared = sets[x] & sets[y]
        expected = (sum(weight[t] for t in shared) / min(sum(weight[t] for t in sets[x]), sum(weight[t] for t in sets[y]))
                    if shared else 0.0)
        assert overlap[i] == pytest.approx(expected)
        assert passed[i] == (len(shared) >= MIN_SHARED_TERMS and len(shared & rare) >= MIN_RARE_SHARED
                             and len(shared & rare & leads[x] & leads[y]) >= MIN_LEAD_SHARED and expected >= 0.3)
    assert passed.any() and not passed.all()


def test_lsh_candidates_are_the_distinct_pairs_of_every_bucket():
    rng = np.random.default_rng(5)
    signer = Signer(EVENT_NUM_PERM)
    rows = dict(zip(range(3, 90, 2), signer.sign([rng.integers(0, 30, 6, dtype=np.uint32) for _ in range(3, 90, 2)])))
    left, right = lsh_candidates(signer, rows, DEFAULT_EVENT_THRESHOLD)
    expected = sorted({(x, y) for bucket in lsh_buckets(signer, rows, DEFAULT_EVENT_THRESHOLD)
                       for i, x in enumerate(bucket) for y in bucket[i + 1:]})
    assert list(zip(left.tolist(), right.tolist())) == expected and len(expected) > 10


def paragraph_keys(text: str) -> np.ndarray:
    """The reference TextLines.long_keys must equal: the text's paragraphs hashed on their own."""
    long = "\n".join(line for line in text.split("\n") if len(line.split()) >= LONG_LINE_WORDS)
    keys = line_hashes(long)
    return np.unique(keys[keys != 0])


def test_text_lines_count_each_lines_tokens_as_str_split_does_whatever_the_whitespace():
    alphabet = list(" \t\r\x0b\x0c\x1c\x1f\x85\xa0\u1680\u2000\u200a\u200b\u2028\u202f\u205f\u3000\ufeff"
                    "ab\u00df\u0130\u2014\u00e9\u4e2d\n\n")
    rng = random.Random(7)
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert TextLines(text, words=False).tokens.tolist() == [len(line.split()) for line in text.split("\n")], text


def test_text_lines_read_the_text_without_some_lines_as_hashing_that_text_again():
    text = ("Menu  Home\n\nThe first paragraph of the story runs long enough, twelve words or more, to count.\n"
            "\n \u00a0\nShare 23 times\nThe second paragraph holds \u201cquotes\u201d, 2024 figures and caf\u00e9 names in"
            " twelve words or more.\nEnd")
    lines = text.split("\n")
    page = TextLines(text)
    assert np.array_equal(page.keys, line_hashes(text))
    assert np.array_equal(page.long_keys(), paragraph_keys(text))
    assert page.tokens.tolist() == [len(line.split()) for line in lines]
    kept = np.array([i not in (0, 5) for i in range(len(lines))])
    without = "\n".join(line for line, keep in zip(lines, kept) if keep)
    assert np.array_equal(page.kept_words(kept), hashed_words(without)[0])
    assert np.array_equal(page.long_keys(kept), paragraph_keys(without))
    assert len(page.long_keys(kept)) == 2 and len(page.long_keys(~kept)) == 0
