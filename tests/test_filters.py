"""Text filters: rules on real fixtures, adversarial text, per-language behaviour, alignment and accounting."""
from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from engine.document import Document, from_batch, to_batch
from engine.stats import StageStats
from filters import gopher
from filters.pipeline import FilterStep, filter_documents
from filters.rules import FilterConfig
from filters.safety import OptOut, UrlBlocklist
from filters.text import TextStats, tokenize
from filters.tokens import tokenizer
from schemas.omnicorpus import FILTER_SCORE_NAMES as SCORE_NAMES
from schemas.validate import validate_table

DATA = Path(__file__).resolve().parent / "data" / "text"


@pytest.fixture(scope="module")
def step() -> FilterStep:
    s = FilterStep()
    s.setup()
    return s


def _doc(text: str, doc_id: str = "d", url: str | None = "https://example.org/a") -> Document:
    d = Document(id=doc_id, url=url)
    for p in text.split("\n\n"):
        d.add_text(p)
    return d


def test_real_fixtures_high_kept_low_dropped(step):
    # one paragraph per line, as the extractor emits a page's blocks
    high = step.process(_doc((DATA / "cs336" / "high_quality_wiki_reference.txt").read_text().replace("\n", "\n\n")))
    low = step.process(_doc((DATA / "cs336" / "low_quality_cc.txt").read_text().replace("\n", "\n\n")))
    assert high.kept, high.reason
    assert not low.kept and low.reason
    assert high.doc.meta["language"] == "en" and high.doc.meta["language_score"] > 0.5
    # scores are kept for both, so thresholds can be retuned later
    assert set(SCORE_NAMES) <= set(high.doc.scores) and set(SCORE_NAMES) <= set(low.doc.scores)
    assert low.doc.meta["filter_reason"] == low.reason


@pytest.mark.parametrize(
    "text",
    ["", "a" * 200_000, "😀🎉🔥" * 500, "Hello мир 世界 مرحبا नमस्ते " * 50, ("word " * 2_000_000)],
    ids=["empty", "one-huge-line", "only-emoji", "mixed-scripts", "10MB-one-word"],
)
def test_adversarial_text_is_scored_not_crashed(step, text):
    out = step.process(_doc(text))
    assert set(out.doc.scores) >= set(SCORE_NAMES)
    if not text:
        assert not out.kept
    if text.startswith("word "):
        # one word repeated: the repetition rules must catch it
        assert not out.kept and out.reason in {"max_words", "gopher_max_words"}  # the first failing rule
        top2 = next(r for r in step.cfg.rules if r.score == "gopher_top_2gram_frac")
        assert out.doc.scores["gopher_top_2gram_frac"] > 0.9 and top2.fails(out.doc.scores["gopher_top_2gram_frac"])


def _dup_ngram_reference(words: list[str], n: int) -> int:
    seen, total, i = set(), 0, 0
    while i < len(words) - n + 1:
        gram = tuple(words[i:i + n])
        if gram in seen:
            total += sum(map(len, gram))
            i += n
        else:
            seen.add(gram)
            i += 1
    return total


def _top_ngram_reference(words: list[str], n: int) -> int:
    grams = [" ".join(words[i:i + n]) for i in range(len(words) - n + 1)]
    if not grams:
        return 0
    gram, count = Counter(grams).most_common(1)[0]  # ties: the n-gram seen first
    return len(gram) * count


@pytest.mark.parametrize("text", [
    (DATA / "cs336" / "low_quality_cc.txt").read_text() * 3 + " one two three four five six " * 7,
    (DATA / "cs336" / "high_quality_wiki_reference.txt").read_text(),
    "a b a b a b c d", "x y z", "one", "a " * 40, "p q r s t u v w " * 3 + "p q",
])
def test_ngram_repetition_matches_the_sequential_definitions(text):
    ts = TextStats(text, "en")
    chars = gopher.ngram_repetition(ts)
    for n in gopher.TOP_NGRAMS:
        assert chars[n] == _top_ngram_reference(ts.words, n), n
    for n in gopher.DUP_NGRAMS:
        assert chars[n] == _dup_ngram_reference(ts.words, n), n


def test_ngram_repetition_of_many_documents_equals_one_at_a_time():
    # the batch form runs the numpy work over all documents' words together: no n-gram may leak between them
    texts = [(DATA / "cs336" / "low_quality_cc.txt").read_text(), "", "one", "a b a b a b c d",
             "p q r s t u v w " * 3 + "p q", "x y z", "a " * 40, "b a " * 7,
             (DATA / "cs336" / "high_quality_wiki_reference.txt").read_text()[:20_000]]
    stats = [TextStats(t, "en") for t in texts]
    together = gopher.ngram_repetition_many([(ts.word_hashes, ts.word_lengths) for ts in stats])
    for ts, chars in zip(stats, together):
        assert chars == {**{n: _top_ngram_reference(ts.words, n) for n in gopher.TOP_NGRAMS},
                         **{n: _dup_ngram_reference(ts.words, n) for n in gopher.DUP_NGRAMS}}
    assert together[3][2] > 0 and together[-1][5] > 0


@pytest.mark.parametrize("text,expected", [
    ("I don't know, Mr. Smith (U.S.) said: it's 10km...",
     ["I", "do", "n't", "know", ",", "Mr.", "Smith", "(", "U.S.", ")", "said", ":", "it", "'s", "10", "km", "..."]),
    ("see https://example.org/a?b=c. or e-mail (x@y.com)!",
     ["see", "https://example.org/a?b=c", ".", "or", "e", "-", "mail", "(", "x@y.com", ")", "!"]),
    # "and/or" and the emoticon "):" are spaCy special cases
    (">> **bold** and/or 3.5e-9 (c):", [">", ">", "*", "*", "bold", "*", "*", "and/or", "3.5e-9", "(", "c", "):"]),
])
def test_tokens_follow_spacy_rules(text, expected):
    # expected = spaCy 3.8 (spacy.blank("en")) output, as datatrove's split_into_words returns it
    assert tokenize(text, "en") == expected


def test_token_vocabulary_gives_the_tokeniser_tokens_and_survives_a_reset():
    from filters.text import vocabulary

    text = (DATA / "cs336" / "low_quality_cc.txt").read_text()
    direct = tokenizer("en")(text)  # no vocabulary: every chunk through the rules
    vocab = vocabulary("en")
    vocab.clear()
    first = vocab.encode(text)
    assert first.words() == direct and len(direct) > len(text.split())
    assert vocab.encode(text).words() == direct  # every chunk known now
    small = type(vocab)(tokenizer("en").chunk, lambda t: False, special=tokenizer("en").special, limit=10)
    before = small.encode(text)
    small.encode("a new text that overflows the limit")  # starts over
    assert before.words() == direct  # what was encoded before the reset still reads the same
    stops = frozenset({"the", "and", "of"})
    assert before.in_word_list(stops).sum() == sum(w.lower() in stops for w in direct) > 0
    assert small.encode(text).words() == direct

    calls = []
    counting = type(vocab)(lambda c: calls.append(c) or tokenizer("en").chunk(c), lambda t: False,
                           special=tokenizer("en").special, limit=len(set(text.split())) + 1)
    counting.encode(text)
    tokenised = len(calls)
    counting.encode("filler, words; (that) overflow the limit.")  # full: the next text starts a generation
    assert counting.encode(text).words() == direct
    assert len(calls) <= tokenised + 4  # the punctuated chunks of `text` were not tokenised again


def test_compiled_chunk_lookup_equals_the_python_loop():
    # filters/_native.c is built by `pip install -e .` where a C compiler exists (CI); it must give exactly what
    # the Python loop gives: the ids in order, or the words not known yet (each once, first occurrence first).
    import shutil

    import numpy as np

    from filters import vocab

    try:
        from filters._native import chunk_ids
    except ImportError:
        if shutil.which("cc") or shutil.which("gcc"):
            pytest.fail("a C compiler is here but filters._native is not built: pip install -e . failed to build it")
        pytest.skip("no C compiler: the Python loop is the one in use")
    assert vocab._chunk_ids is chunk_ids
    words = (DATA / "cs336" / "low_quality_cc.txt").read_text().split()
    known = {w: tuple(range(i % 4)) for i, w in enumerate(dict.fromkeys(words[: len(words) // 2]))}
    known["big"] = (2**40, 7)
    for query in (words[: len(words) // 4], words, [], ["big", "zz", "big", "yy", "zz"]):
        results, added = [], []
        for lookup in (chunk_ids, vocab._chunk_ids_py):
            table = dict(known)

            def add(new: list[str]) -> None:  # what the vocabulary does: give each new word some ids
                added.append(new)
                table.update((w, (len(w), 2**33)) for w in new)

            results.append(np.frombuffer(lookup(table, query, add), dtype=np.int64) if lookup is chunk_ids
                           else lookup(table, query, add))
        assert np.array_equal(*results) and len(results[0]) >= len(query)
        assert len(added) in (0, 2) and (not added or (added[0] == added[1] and len(set(added[0])) == len(added[0])))
    assert added and added[0] == ["zz", "yy"]
    with pytest.raises(TypeError):
        chunk_ids({"a": [1]}, ["a"], print)
    with pytest.raises(KeyError):  # add() that does not add
        chunk_ids({}, ["a"], lambda new: None)
    with pytest.raises(ZeroDivisionError):  # an error inside add() comes through
        chunk_ids({}, ["a"], lambda new: 1 / 0)

    from filters._native import add_plain

    special = frozenset({"dont", "cannot"})
    fresh = list(dict.fromkeys(words + ["dont", "Straße", "日本語", "x1", "", "a-b"]))
    states = []
    for add in (add_plain, vocab._add_plain_py):
        chunks, tokens, strings = {"seen": (0,)}, {"seen": 0, "the": 1}, ["seen", "the"]
        rest = add(chunks, tokens, strings, fresh, special)
        states.append((rest, chunks, tokens, strings))
    (rest_c, chunks_c, tokens_c, strings_c), (rest_py, chunks_py, tokens_py, strings_py) = states
    assert rest_c == rest_py and "dont" in rest_c and "x1" in rest_c and "Straße" not in rest_c
    assert sorted(strings_c) == sorted(strings_py) and strings_c[:2] == ["seen", "the"]
    for chunks, tokens, strings in ((chunks_c, tokens_c, strings_c), (chunks_py, tokens_py, strings_py)):
        assert all(strings[i] == t for t, i in tokens.items()) and len(tokens) == len(strings)
        assert all(chunks[w] == (tokens[w],) for w in fresh if w not in rest_c) and chunks["the"] == (1,)


@pytest.mark.parametrize("table", ["en", "xx"])
def test_token_shortcuts_match_the_full_rule_path(table):
    # The first/last-character pre-checks and the shortcuts for "2019" / "word," must never change tokens:
    # compare with the same rules run in full on every chunk (no pre-check, no shortcut).
    from filters.tokens import RULES_PATH, AffixTokenizer, _Everything

    fast = AffixTokenizer(json.loads(RULES_PATH.read_text(encoding="utf-8"))[table])
    full = AffixTokenizer(json.loads(RULES_PATH.read_text(encoding="utf-8"))[table])
    full._may_prefix = full._may_suffix = _Everything()
    assert len(fast._may_prefix) < 10_000 and "a" not in fast._may_prefix and "," in fast._may_suffix
    text = " ".join(p.read_text() for p in sorted((DATA / "cs336").glob("*.txt")))
    text += (" 10km 5am US$5 C$10 (U.S.) don't dont. St. Jan. :) ): a-b and/or x.Y word... 2019. $100 100% e.g."
             " i.e., «word» “quoted” it's. (see www.example.com. #tag @user 10:30 3.5 1,000 5' A. Mr. mr. '' --"
             " —word— 2nd 1980s Y2K mp3 ¼ ² 7°C. Doin' goin' US$ 10$ a'"
             " 10km, 39752, 2003. ²³, (senior “Iron «Oui (c :( (: e-mail e-mail, US-based C-3PO A- -a a- a-b-c"
             " U.S.-based co-op Co-Op x-ray X-Men e-km 5-km non-U.S. (U.S. (St. (dont $US (10 [a] {b")
    chunks = sorted(set(text.split()))
    assert len(chunks) > 1000

    def full_path(chunk: str) -> tuple[str, ...]:  # special case, letters only, or the whole affix loop
        return full.special.get(chunk) or ((chunk,) if chunk.isalpha() else tuple(full._split(chunk)))

    assert [fast.chunk(c) for c in chunks] == [full_path(c) for c in chunks]


def test_chinese_is_tokenised_per_character_and_not_punished_by_english_rules(step):
    zh = (DATA / "lingua" / "zh.txt").read_text()
    assert len(tokenize(zh, "zh")) > len(zh.split()) * 5
    out = step.process(_doc(zh.replace("\n", "\n\n")))
    assert out.doc.meta["language"] == "zh"
    assert out.doc.scores["gopher_mean_word_length"] is None  # meaningless for characters
    assert out.doc.scores["gopher_stop_words"] >= 2  # Chinese stop words exist and are found
    assert out.reason != "c4_min_sentences"  # English-only rule


@pytest.mark.parametrize("lang", ["de", "ru", "hi", "ar", "ja"])
def test_non_english_sentences_keep_their_language(step, lang):
    text = (DATA / "lingua" / f"{lang}.txt").read_text()
    out = step.process(_doc(text.replace("\n", "\n\n")))
    assert out.doc.meta["language"] == lang
    assert out.reason not in {"gopher_stop_words", "c4_min_sentences"}, out.reason


def test_paragraph_rules_edit_and_keep_alignment(step):
    body = (DATA / "cs336" / "high_quality_wiki_reference.txt").read_text().split("\n\n")[:6]
    d = Document(id="x", url="https://news.example.org/a")
    d.add_text(body[0])
    d.add_text("Sign in to read more")
    d.add_image("https://img.example.org/1.jpg", alt="a photo")
    d.add_text("Photo credit: Getty Images")
    for p in body[1:]:
        d.add_text(p)
    d.add_text("ADVERTISEMENT SECTION HERE")
    out = step.process(d)
    assert "Sign in to read more" not in out.doc.texts
    assert "Photo credit: Getty Images" not in out.doc.texts
    assert "ADVERTISEMENT SECTION HERE" not in out.doc.texts
    assert out.doc.images.count("https://img.example.org/1.jpg") == 1
    assert len(out.doc.texts) == len(out.doc.images) == len(out.doc.image_meta)
    assert out.doc.scores["omni_paragraphs_removed_frac"] > 0
    validate_table(__import__("pyarrow").Table.from_batches([to_batch([out.doc])]))


def test_safety_blocklist_and_optout():
    bl = UrlBlocklist(["bad.example"], ["casino-bonus"])
    assert bl.match("https://sub.bad.example/x") == "domain"
    assert bl.match("https://ok.example/casino-bonus/1") == "substring"
    assert bl.match("https://notbad.example/") is None
    oo = OptOut(["optout.example", "https://gallery.example/private/"])
    assert oo.matches("http://www.optout.example/page") and oo.matches("https://cdn.optout.example/i.jpg")
    assert oo.matches("https://gallery.example/private/1.jpg")
    assert not oo.matches("https://gallery.example/public/1.jpg")


def test_optout_removes_documents_and_images(tmp_path):
    (tmp_path / "optout.txt").write_text("optout.example\n")
    raw = FilterConfig.load()
    raw.safety = {**raw.safety, "optout": str(tmp_path / "optout.txt")}
    s = FilterStep(raw)
    assert s.process(_doc("text", url="https://optout.example/a")).reason == "optout"
    d = _doc((DATA / "cs336" / "high_quality_wiki_reference.txt").read_text())
    d.add_image("https://optout.example/img.jpg")
    d.add_image("https://fine.example/img.jpg")
    out = s.process(d)
    assert "https://optout.example/img.jpg" not in out.doc.images and "https://fine.example/img.jpg" in out.doc.images


def _settings() -> dict:
    """config/filters.yaml's settings sections (every key set there), for configs built in a test."""
    cfg = FilterConfig.load()
    return {"langid": cfg.langid, "safety": cfg.safety, "omnicorpus": cfg.omnicorpus,
            "quality_model": cfg.quality_model}


def _config(rules: dict, languages: dict | None = None, lines: dict | None = None, **more) -> dict:
    """A `filter` section with one preset "t" holding these rules."""
    return {**_settings(), "preset": "t",
            "presets": {"t": {"lines": lines, "rules": rules, "languages": languages or {}}}, **more}


def _first_failure(step: FilterStep, scores: dict, language: str | None) -> str | None:
    rule = step.first_failure(scores, language)
    return None if rule is None else rule.name


def test_per_language_override_and_rule_order():
    # rules of different families, in an order no family list has: the first failing one in config order wins
    step = FilterStep(FilterConfig.from_dict(_config(
        {"a": {"score": "c4_sentences", "min": 1}, "b": {"score": "gopher_words", "max": 0},
         "c": {"score": "c4_lorem_ipsum", "max": 0}},
        {"de": {"a": {"min": None, "max": None}}},
    )))
    assert _first_failure(step, {"c4_sentences": 0, "gopher_words": 1}, "en") == "a"
    assert _first_failure(step, {"c4_sentences": 0, "gopher_words": 1}, "de") == "b"  # a switched off for German
    assert _first_failure(step, {"c4_sentences": 1, "gopher_words": 0, "c4_lorem_ipsum": 1}, "en") == "c"
    assert _first_failure(step, {"c4_sentences": None, "gopher_words": 0}, "en") is None  # null never fails
    with pytest.raises(ValueError, match=r"^filter\.presets\.t\.rules\.a: needs score"):
        FilterConfig.from_dict(_config({"a": {"score": "x"}}))


_MIN_WORDS = {"gopher_min_words": {"score": "gopher_words", "min": 50}}


@pytest.mark.parametrize("raw, path", [
    ({**_config(_MIN_WORDS), "langid": {"max_chars": 1000, "mdoel": None}}, "filter.langid.mdoel: unknown key"),
    ({**_config(_MIN_WORDS), "omnicorpus": {"uppercase_max": 0.8}}, "filter.omnicorpus.paragraph_languages: missing"),
    (_config(_MIN_WORDS, rulez={}), "filter.rulez: unknown key"),
    ({**_config(_MIN_WORDS), "preset": "nope"}, "filter.preset: 'nope' is not one of presets: t"),
    (_config({"a": {"score": "c4_sentences", "min": 1, "mni": 2}}), "filter.presets.t.rules.a.mni: unknown key"),
    (_config(_MIN_WORDS, {"de": {"nope": {"min": 1}}}), "filter.presets.t.languages.de.nope: unknown key"),
    (_config(_MIN_WORDS, {"de": {"gopher_min_words": {"mim": 1}}}),
     "filter.presets.t.languages.de.gopher_min_words.mim: unknown"),
    (_config(_MIN_WORDS, lines={"max_chras": 3}), "filter.presets.t.lines.max_chras: unknown key"),
])
def test_config_keys_are_checked_with_their_path(raw, path):
    if "mdoel" in raw["langid"]:
        raw["langid"] = {**_settings()["langid"], **raw["langid"]}
    with pytest.raises(ValueError, match="^" + re.escape(path)):
        FilterConfig.from_dict(raw)
    with pytest.raises(ValueError, match=r"^filter\.presets\.t\.rules\.a\.score: unknown score 'x'"):
        FilterStep(FilterConfig.from_dict(_config({"a": {"score": "x", "max": 1}})))


def test_threshold_values_live_in_config_only():
    # the Python code names settings but repeats none of config/filters.yaml's values as a default
    import inspect

    from filters import langid, lines, omnicorpus, quality_model, safety

    for fn in (omnicorpus.paragraph_reason, omnicorpus.candidates, omnicorpus.paragraph_mask,
               safety.flagged_words, safety.flagged_scores, lines.line_reason,
               lines.line_mask, quality_model.QualityModel.__init__, langid.LanguageIdentifier.__init__):
        # no default, or None for an optional part (which no config value is)
        assert all(p.default in (inspect.Parameter.empty, None)
                   for p in inspect.signature(fn).parameters.values()), fn


def test_filter_documents_accounting_identity(step):
    texts = [(DATA / "cs336" / n).read_text() for n in ("high_quality_wiki_reference.txt", "low_quality_cc.txt")]
    docs = [_doc(t, f"d{i}") for i, t in enumerate(texts * 3 + ["", "😀"])]
    stats = StageStats("filter")
    kept, rejected = [], []
    for batch in (to_batch(docs[:4]), to_batch(docs[4:])):  # as the Spark task of jobs/filter.py runs it
        with stats.timed():
            outcomes = list(filter_documents(batch, step, stats))
        kept += from_batch(to_batch([o.doc for o in outcomes if o.kept]))
        rejected += from_batch(to_batch([o.doc for o in outcomes if not o.kept]))
    stats.check()
    assert stats.records_in == len(docs) == len(kept) + len(rejected)
    assert stats.kept == len(kept) and stats.dropped_total == len(rejected)
    assert all(d.meta["filter_reason"] for d in rejected) and not any(d.meta.get("filter_reason") for d in kept)
    assert all(d.scores.get("gopher_words") is not None for d in kept + rejected)  # scores survive Parquet
    assert sum(stats.by["dropped_by_language"].values()) == len(rejected)


def test_a_failing_document_fails_alone_in_its_batch():
    # Documents are scored in batches (n-grams for the whole batch at once); one that raises is counted as
    # failed and the others get the same outcome as when each is processed on its own.
    class Fragile(FilterStep):
        def _tokens(self, p):  # a phase in the middle of the batch
            if p.doc.id == "bad":
                raise ValueError("broken document")
            return super()._tokens(p)

    texts = [(DATA / "cs336" / n).read_text() for n in ("high_quality_wiki_reference.txt", "low_quality_cc.txt")]
    docs = [_doc(t, f"d{i}") for i, t in enumerate(texts * 2)]
    docs.insert(2, _doc(texts[0], "bad"))
    step = Fragile()
    stats = StageStats("filter")
    outcomes = list(step.run(docs, stats))
    stats.check()
    assert stats.records_in == 5 and dict(stats.failed) == {"filter:ValueError": 1} and len(outcomes) == 4
    alone = [step.process(_doc(texts[i % 2], f"d{i}")) for i in range(4)]
    assert [(o.doc.id, o.kept, o.reason, o.doc.scores) for o in outcomes] == \
        [(o.doc.id, o.kept, o.reason, o.doc.scores) for o in alone]


def test_families_cover_every_schema_score_once(step):
    names = [name for family in step.families for name in family.scores]
    assert len(names) == len(set(names)) and set(SCORE_NAMES) <= set(names)  # each score has exactly one family
    out = step.process(_doc("Some text.\n\nAnd more."))
    assert list(out.doc.scores) == names  # every family computed what it says, in the families' order
    for family in step.families:  # the one shape: name, scores, score(doc) -> dict, check(scores, rules)
        assert family.name and callable(family.score) and callable(family.check)


def test_score_cli(tmp_path, capsys):
    from jobs.score import main

    src = tmp_path / "in.jsonl"
    high = (DATA / "cs336" / "high_quality_wiki_reference.txt").read_text()
    src.write_text("\n".join([json.dumps({"id": "hq", "text": high, "url": "https://a.example/x"}),
                              "not json", json.dumps({"id": "nt"})]) + "\n")
    out = tmp_path / "out.jsonl"
    assert main(["--input", str(src), "--output", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 3
    assert rows[0]["keep"] is True and rows[0]["language"] == "en" and set(rows[0]["scores"]) >= set(SCORE_NAMES)
    assert rows[0]["failed"] is None
    assert "error" in rows[1] and "error" in rows[2]
    assert main(["--input", str(src), "--explain", "hq"]) == 0
    assert "min_words" in capsys.readouterr().out
    # --explain alone: one line per document naming the failing rule with its value and bounds
    src.write_text(json.dumps({"id": "short", "text": "Too short to be a page."}) + "\n")
    assert main(["--input", str(src), "--explain"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("short  DROP ") and re.search(r": \w+=[\d.]+ \((min|max) [\d.]+", line), line
    assert main(["--input", str(src), "--output", str(out)]) == 0
    failed = json.loads(out.read_text())["failed"]
    rule = next(r for r in FilterConfig.load().rules if r.name == failed["rule"])
    assert rule.fails(failed["value"]) and (failed["min"], failed["max"]) == (rule.min, rule.max)


def test_paragraph_candidates_include_every_paragraph_a_rule_removes():
    # The bulk pre-check may only skip paragraphs that no rule would remove: run every rule on every paragraph
    # of real extracted pages and adversarial lines, and check each removed one was a candidate.
    from engine.html import extract
    from filters import omnicorpus

    pages = sorted((DATA.parent / "extraction").rglob("*.html*"))
    paragraphs = []
    for page in pages[:60]:
        raw = page.read_bytes()
        paragraphs += [t for t in extract(gzip.decompress(raw) if page.suffix == ".gz" else raw,
                                          "https://example.org/").texts if t]
    paragraphs += ["", "  ", "SHARE", "Share:", "42 Comments", "Sign in to reply", "Login", "By Jane Doe",
                   "by jane", "ALL CAPS HEADLINE HERE", "ÉTÉ À PARIS", "Call 555-123-4567 now", "(555) 123-4567",
                   "Posted 10:30 am", "March 3, 2021", "12 Jan 2020", "(Photo: Reuters)", "(cf. Smith 2001)",
                   "Special thanks to all", "Published by Acme", "All photo credits and copyright Acme",
                   "Read more »", "We use cookies.", "Follow us on X", "for more info see", "the link is here"]
    stripped = [p.strip() for p in paragraphs]
    cfg = FilterConfig.load().omnicorpus
    upper = cfg["uppercase_max"]
    removed = {i for i, p in enumerate(paragraphs) if omnicorpus.paragraph_reason(p, upper, cfg["ui_line_max_words"])}
    chosen = set(omnicorpus.candidates(stripped, upper))
    assert len(paragraphs) > 1000 and len(removed) > 40
    assert removed <= chosen, [paragraphs[i] for i in sorted(removed - chosen)][:5]
    assert len(chosen) < 0.7 * len(paragraphs)  # the pre-check spares most paragraphs the rules
    # the compiled pass decides the upper-case rule itself, the Python one pre-checks it: both keep every removal
    lowers = [p.lower() for p in stripped]
    spaces_py, upper_py = omnicorpus._spaces_and_upper_py(stripped, lowers, 0.8)
    if hasattr(omnicorpus, "_paragraph_counts"):
        spaces_c, upper_c = omnicorpus._spaces_and_upper_c(stripped, lowers, 0.8)
        assert spaces_c == spaces_py and set(np.flatnonzero(upper_c)) <= set(np.flatnonzero(upper_py))
        assert [bool(u) for u in upper_c] == [omnicorpus._mostly_uppercase(p, 0.8) for p in stripped]
        assert sum(upper_c) >= 2
    # the date pre-check is the plain alternation it stands for, rewritten to start with one character class
    plain = re.compile(r"\d[:.]\d|\d[ap]\.?m|" + omnicorpus._MON).search
    tricky = ["Jun", "xJul", "May 5", "3.5", "3:4", "5am", "5a.m", "5p", "DEC", "jan", "Ma", "٣:٤", "1a m", "O ct"]
    assert [bool(plain(p)) for p in stripped + tricky] == \
        [bool(omnicorpus._MAY_BE_DATE_TIME.search(p)) for p in stripped + tricky]


def test_stored_terminal_punctuation_is_the_unicode_scan():
    import unicodedata

    from filters.data import make_terminal_punctuation as build
    from filters.text import TERMINAL_PUNCTUATION

    stored = json.loads(build.OUT.read_text(encoding="utf-8"))
    if stored["unicode"] != unicodedata.unidata_version:
        pytest.skip(f"table from Unicode {stored['unicode']}, this Python has {unicodedata.unidata_version}")
    assert build.render() == build.OUT.read_text(encoding="utf-8")
    assert "".join(TERMINAL_PUNCTUATION) == stored["characters"] and {".", "?", "!", "。", "।", "؟"} <= set(
        TERMINAL_PUNCTUATION)
