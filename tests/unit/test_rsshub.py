"""RSSHub's conventions as pure functions: the message of its error answers and whether
asking again may help. (tests/system/rsshub holds the same against the real server.)"""

from __future__ import annotations

from newsstand.rsshub import error_of


def page(text: str) -> bytes:
    """An error page shaped as RSSHub's (its own is tested in tests/system/rsshub)."""
    return (
        "<html><body><h1>Looks like something went wrong</h1>"
        '<p class="message">Error Message:<br/><code class="mt-2 block">'
        f'{text}</code></p><p class="message">Route: <code>/test/:id</code></p>'
        "</body></html>"
    ).encode()


def test_the_route_s_own_error_is_final() -> None:
    said = error_of(page("Error: Error test"))
    assert said is not None and str(said) == "RSSHub said: Error test" and said.final


def test_the_markup_of_a_message_goes_and_it_stays_one_line() -> None:
    said = error_of(
        page(
            "Error: this route is empty, please check the original site or &lt;a "
            "href=&quot;https://example.com/&quot;&gt;create an issue&lt;/a&gt;\nnext line"
        )
    )
    assert said is not None
    assert said.message == (
        "this route is empty, please check the original site or create an issue next line"
    )


def test_an_upstream_failure_may_be_asked_again() -> None:
    said = error_of(page("FetchError: [GET] &quot;https://example.com/&quot;: 502 Bad Gateway"))
    assert said is not None and said.name == "FetchError" and not said.final
    assert str(said) == 'RSSHub said: FetchError: [GET] "https://example.com/": 502 Bad Gateway'
    busy = error_of(page("RequestInProgressError: This path is currently fetching"))
    assert busy is not None and not busy.final


def test_no_such_route_is_final() -> None:
    said = error_of(page("NotFoundError: The route does not exist or has been deleted."))
    assert said is not None and said.final and said.name == "NotFoundError"


def test_the_json_form() -> None:
    said = error_of(b'{"error":{"message":"Error test"}}')
    assert said is not None and said.final and str(said) == "RSSHub said: Error test"
    upstream = error_of(b'{"error":{"message":"[GET] \\"https://example.com/\\": <no response>"}}')
    assert upstream is not None and not upstream.final
    assert error_of(b'{"error":{"message":""}}') is None  # its 404 says nothing


def test_other_bodies_are_not_rsshub_s() -> None:
    assert error_of(b"") is None
    assert error_of(b"<html><body>Service Unavailable</body></html>") is None
    assert error_of(b'{"message": "nope"}') is None
    assert error_of(b"{not json") is None


def test_a_long_message_is_cut() -> None:
    said = error_of(page("Error: " + "x" * 1000))
    assert said is not None and len(said.message) == 300 and said.message.endswith("…")
