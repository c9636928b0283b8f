"""The widget's built files: reproducible from the source, within budget, served with caching."""

from __future__ import annotations

from afterword.static.build import BUDGET, HERE, build, gzipped_size


def test_committed_build_matches_the_source():
    for name, data in build().items():
        assert (HERE / name).read_bytes() == data, (
            f"{name} is stale: run `python -m afterword.static.build`")


def test_embed_js_with_its_css_fits_the_budget():
    assert gzipped_size(build()["embed.js"]) <= BUDGET


def test_widget_files_are_served_with_validators(client):
    r = client.get("/embed.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert r.content == (HERE / "embed.js").read_bytes()
    again = client.get("/embed.js", headers={"if-none-match": r.headers["etag"]})
    assert again.status_code == 304
    assert client.get("/count.js").status_code == 200


def test_widget_sets_no_cookies_and_calls_no_third_party():
    source = (HERE / "embed.js").read_text() + (HERE / "count.js").read_text()
    assert "document.cookie" not in source
    assert "http://" not in source and "https://" not in source.replace("https://…", "")
