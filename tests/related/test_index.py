"""The ranking on small hand-made sites: what a reader of the block would notice."""

from __future__ import annotations

from datetime import UTC, datetime

from afterword.related import index as related_index
from afterword.related.index import Doc, Options, RelatedIndex
from afterword.related.text import tokenize

TOPICS = {
    "beer": "hops malt brewing lager ale yeast fermentation pint brewery stout",
    "space": "rocket orbit nasa launch satellite astronaut moon mars shuttle telescope",
    "cars": "engine wheel brake gearbox sedan horsepower tyre clutch fuel dealer",
}


def site(per_topic: int = 30) -> list[Doc]:
    docs = []
    for topic, words in TOPICS.items():
        vocab = words.split()
        for i in range(per_topic):
            picked = [vocab[(i * 3 + k) % len(vocab)] for k in range(6)]
            docs.append(Doc(key=f"https://s.example/{topic}/{i}", title=f"{picked[0]} {i}",
                            body=" ".join(picked * 3) + f" filler{i} unique{i}x"))
    return docs


def test_related_posts_share_the_topic_and_never_include_the_article_itself():
    index = RelatedIndex()
    index.rebuild(site())
    hits = index.related("https://s.example/space/4", Options(limit=5, min_score=0))
    assert len(hits) == 5
    assert all("/space/" in h.key for h in hits)
    assert "https://s.example/space/4" not in {h.key for h in hits}


def test_near_copies_are_shown_once():
    docs = site()
    copy = "rocket orbit launch satellite astronaut story about the moon landing today"
    docs += [Doc(key=f"https://s.example/copy/{i}", title="Moon landing", body=copy)
             for i in range(4)]
    index = RelatedIndex()
    index.rebuild(docs)
    hits = index.related("https://s.example/space/1", Options(limit=8, min_score=0))
    assert sum("/copy/" in h.key for h in hits) <= 1


def test_a_new_article_is_found_without_a_rebuild_and_removal_hides_it():
    index = RelatedIndex()
    index.rebuild(site())
    new = Doc(key="https://s.example/new", title="Stout brewing",
              body="stout brewing with malt and yeast, a brewery pint of ale")
    index.add(new)
    assert "https://s.example/new" in {
        h.key for h in index.related("https://s.example/beer/3", Options(limit=30, min_score=0))}
    assert all("/beer/" in h.key for h in index.related(new.key, Options(limit=5)))
    index.remove(new.key)
    assert "https://s.example/new" not in {
        h.key for h in index.related("https://s.example/beer/3", Options(limit=30, min_score=0))}


def test_minimum_score_shows_nothing_rather_than_noise():
    index = RelatedIndex()
    index.rebuild(site() + [Doc(key="https://s.example/odd", title="Knitting patterns",
                                body="wool needles scarf purl stitch yarn")])
    assert index.related("https://s.example/odd") == []


def test_shared_tags_and_recency_break_ties():
    body = "local election results council vote"
    old, new = datetime(2010, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    docs = site() + [
        Doc(key="q", title="Election", body=body, tags=["politics"], published=new),
        Doc(key="tagged", title="Election", body=body, tags=["politics"], published=old),
        Doc(key="recent", title="Election", body=body, published=new),
        Doc(key="plain", title="Election", body=body, published=old),
    ]
    index = RelatedIndex()
    index.rebuild(docs)
    ranked = [h.key for h in index.related("q", Options(limit=3, min_score=0, diversity=False))]
    assert ranked[-1] == "plain"


def test_tokens_for_several_scripts():
    assert tokenize("東京大学") == ["東京", "京大", "大学"]
    assert tokenize("Ελληνικά ΚΕΙΜΕΝΑ and Кириллица") == ["ελληνικά", "κειμενα", "кириллица"]
    assert tokenize("The café") == ["café"]
    assert len(tokenize("word " * 100_000)) == 3000


def test_cjk_articles_find_each_other():
    docs = site(10) + [
        Doc(key="zh1", title="北京天气预报", body="北京明天有雨，气温下降"),
        Doc(key="zh2", title="上海天气预报", body="上海明天晴，气温上升"),
        Doc(key="zh3", title="股票市场", body="股市今天大涨，投资者高兴"),
    ]
    index = RelatedIndex()
    index.rebuild(docs)
    assert index.related("zh1", Options(limit=1, min_score=0))[0].key == "zh2"


def test_additions_folded_into_the_main_segment_in_the_background_lose_nothing():
    index = RelatedIndex(merge_fraction=0.0, min_merge=3)
    index.rebuild(site())
    for i in range(4):  # the fourth crosses the merge threshold: a merge starts
        index.add(Doc(key=f"https://s.example/late/{i}", title="Stout brewing",
                      body=f"stout brewing malt yeast ale brewery pint hops late{i}"))
    # Made while the merge may still run: they must survive the swap either way.
    index.remove("https://s.example/beer/0")
    index.add(Doc(key="https://s.example/late/9", title="Stout brewing",
                  body="stout brewing malt yeast ale brewery pint hops late9"))
    assert index.related("https://s.example/late/0", Options(limit=10))
    index.wait_for_merge(timeout=30)
    assert len(index) == 90 - 1 + 5
    hits = {h.key for h in index.related("https://s.example/late/0", Options(limit=10))}
    assert {"https://s.example/late/1", "https://s.example/late/9"} <= hits
    assert "https://s.example/beer/0" not in hits
    assert "https://s.example/late/0" not in hits


def test_a_common_term_still_finds_the_articles_most_about_it(monkeypatch):
    # Posting lists are cut to each term's strongest articles: the cut must drop the
    # passing mentions, never the articles that are about the term.
    monkeypatch.setattr(related_index, "POSTINGS", 3)
    docs = [Doc(key=f"about/{i}", title="Telescope", body="telescope") for i in range(2)]
    docs += [Doc(key=f"mention/{i}", title=f"Cars {i}",
                 body=f"{TOPICS['cars']} {TOPICS['beer']} telescope word{i}") for i in range(10)]
    docs.append(Doc(key="query", title="Telescope", body="telescope telescope"))
    index = RelatedIndex()
    index.rebuild(docs)
    hits = index.related("query", Options(limit=2, min_score=0, diversity=False))
    assert {h.key for h in hits} == {"about/0", "about/1"}


def test_word_vectors_prefer_the_article_on_the_same_subject():
    # Both candidates share only "brewing" with the query; the pretrained vectors know
    # that a pilsner is a lager, which a small site's own articles cannot teach LSA.
    docs = [Doc(key="query", title="Lager brewing", body="lager brewing at home"),
            Doc(key="beer", title="Pilsner brewing", body="pilsner brewing in the cellar"),
            # Shorter, so "brewing" weighs more in it: lexically the closer of the two.
            Doc(key="council", title="Permit brewing", body="permit for brewing")]
    index = RelatedIndex()
    index.rebuild(docs)
    ranked = [h.key for h in index.related("query", Options(limit=2, min_score=0))]
    assert ranked == ["beer", "council"]


def test_a_site_that_starts_small_relates_the_articles_that_came_later():
    # Built when the site had one article: later articles' words are new to its vocabulary.
    index = RelatedIndex()
    index.rebuild([Doc(key="beer", title="Beer", body=TOPICS["beer"])])
    for i in range(12):
        index.add(Doc(key=f"space/{i}", title="Space", body=f"{TOPICS['space']} story{i}"))
    index.wait_for_merge(timeout=30)
    hits = index.related("space/1", Options(limit=3))
    assert len(hits) == 3 and all(h.key.startswith("space/") for h in hits)


def test_on_a_small_site_related_words_count_without_a_shared_one():
    docs = [Doc(key="lager", title="Lager", body="a crisp lager from the tap"),
            Doc(key="pilsner", title="Pilsner", body="golden pilsner poured cold"),
            Doc(key="council", title="Council", body="councillors vote on parking permits")]
    index = RelatedIndex()
    index.rebuild(docs)
    assert index.related("lager", Options(limit=2, min_score=0))[0].key == "pilsner"


def test_an_article_sharing_the_story_s_rare_words_beats_short_ones_sharing_a_common_word():
    # The walk guide is longer and names the statue once among sixty other sights; the
    # harbour briefs share only "harbour", which a dozen of the site's articles use. A
    # cosine divides the guide's match by its length and put the briefs first.
    sights = " ".join(f"sight{k}" for k in range(60))
    docs = site() + [
        Doc(key="query", title="Kelpie statue unveiled",
            body="the kelpie statue was unveiled by the harbour"),
        Doc(key="guide", title="A walk round the harbour", body=f"{sights} past the kelpie statue"),
        Doc(key="meeting", title="Harbour meeting", body="the harbour board met"),
    ] + [Doc(key=f"brief/{i}", title="Harbour news", body=f"harbour story number{i}")
         for i in range(10)]
    index = RelatedIndex()
    index.rebuild(docs)
    assert index.related("query", Options(limit=3, min_score=0))[0].key == "guide"


def test_a_word_whose_only_article_was_removed_still_relates_the_ones_that_bring_it_back():
    docs = site(20) + [Doc(key="old", title="Zeppelin over the bay",
                           body="a zeppelin flew over the bay")]
    index = RelatedIndex()
    index.rebuild(docs)
    index.remove("old")
    for i in range(12):  # enough to fold the delta in: "zeppelin" stays, in no article
        index.add(Doc(key=f"space/new{i}", title="Space", body=f"{TOPICS['space']} story{i}"))
    index.wait_for_merge(timeout=30)
    index.add(Doc(key="a", title="Zeppelin returns", body="the zeppelin returns to the bay"))
    index.add(Doc(key="b", title="Zeppelin tours", body="zeppelin tours of the bay sell out"))
    assert index.related("a", Options(limit=1))[0].key == "b"
