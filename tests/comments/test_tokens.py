"""The render and edit tokens: only the server can make one, and each is good for one
site or comment, for one purpose, for a limited time."""

from __future__ import annotations

import pytest

from afterword.comments.tokens import RENDER_MAX_AGE, TokenError, Tokens

NOW = 1_767_225_600.0
tokens = Tokens(b"test-secret-key-0123456789")


def test_render_token_gives_the_time_since_the_page_was_rendered():
    token = tokens.render_token(7, NOW)
    assert tokens.seconds_since_render(token, 7, NOW + 42.5) == pytest.approx(42.5)
    # A worker whose clock is a little behind the one that rendered the page: not negative.
    assert tokens.seconds_since_render(token, 7, NOW - 1) == 0.0


def test_edit_token_is_good_for_its_window():
    token = tokens.edit_token(123, NOW)
    tokens.check_edit_token(token, 123, 900, NOW + 900)
    with pytest.raises(TokenError, match="edit window has closed"):
        tokens.check_edit_token(token, 123, 900, NOW + 901)
    with pytest.raises(TokenError, match="edit window has closed"):
        tokens.check_edit_token(token, 123, 900, NOW - 5)  # issued "in the future"


def test_render_token_expires_after_a_week():
    token = tokens.render_token(7, NOW)
    with pytest.raises(TokenError, match="too old"):
        tokens.seconds_since_render(token, 7, NOW + RENDER_MAX_AGE + 1)


def test_a_token_is_bound_to_its_site_or_comment():
    with pytest.raises(TokenError, match="another site"):
        tokens.seconds_since_render(tokens.render_token(7, NOW), 8, NOW)
    with pytest.raises(TokenError, match="another comment"):
        tokens.check_edit_token(tokens.edit_token(123, NOW), 124, 900, NOW)


def test_a_token_of_one_kind_or_key_does_not_pass_for_another():
    with pytest.raises(TokenError, match="invalid"):
        tokens.check_edit_token(tokens.render_token(123, NOW), 123, 10**12, NOW)
    with pytest.raises(TokenError, match="invalid"):
        tokens.seconds_since_render(tokens.edit_token(7, NOW), 7, NOW)
    with pytest.raises(TokenError, match="invalid"):
        tokens.seconds_since_render(Tokens(b"another-secret").render_token(7, NOW), 7, NOW)


@pytest.mark.parametrize("change", [
    lambda t: t.replace("7.", "8.", 1),                      # another site
    lambda t: t.replace(f".{int(NOW * 1000)}.", f".{int(NOW * 1000) + 1}.", 1),  # another time
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),      # another tag
    lambda t: t.rpartition(".")[0],                          # no tag
    lambda t: "٧" + t[1:],                                   # a digit of another script
    lambda t: t + "é",                                       # not ASCII
    lambda t: "",
    lambda t: "...",
])
def test_an_altered_or_malformed_token_is_refused(change):
    token = change(tokens.render_token(7, NOW))
    with pytest.raises(TokenError):
        tokens.seconds_since_render(token, 7, NOW + 30)
