"""What `init --github-actions` writes as the workflow's install: the pip requirement for
what PEP 610's direct_url.json says this newsstand came from, or a refusal."""

from __future__ import annotations

import json

import pytest

from newsstand.scaffold import NoInstallSpec, install_spec_from

COMMIT = "7d2a0c3f9e8b4a1c6d5e4f3a2b1c0d9e8f7a6b5c"


def spec(**info: object) -> str:
    return install_spec_from(json.dumps(info))


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        (  # pip install 'git+https://github.com/you/newsstand@main'
            {
                "url": "https://github.com/you/newsstand",
                "vcs_info": {"vcs": "git", "commit_id": COMMIT, "requested_revision": "main"},
            },
            f"newsstand @ git+https://github.com/you/newsstand@{COMMIT}",
        ),
        (  # a token in the URL never reaches the workflow
            {
                "url": "https://x-access-token:ghp_SECRET@github.com/you/newsstand.git",
                "vcs_info": {"vcs": "git", "commit_id": COMMIT},
            },
            f"newsstand @ git+https://github.com/you/newsstand.git@{COMMIT}",
        ),
        (
            {
                "url": "https://ghp_SECRET@github.com/you/n.git",
                "vcs_info": {"vcs": "git", "commit_id": COMMIT},
            },
            f"newsstand @ git+https://github.com/you/n.git@{COMMIT}",
        ),
        (  # an ssh user name is not a secret, and ssh needs it
            {
                "url": "ssh://git@github.com/you/newsstand.git",
                "vcs_info": {"vcs": "git", "commit_id": COMMIT},
            },
            f"newsstand @ git+ssh://git@github.com/you/newsstand.git@{COMMIT}",
        ),
        (
            {
                "url": "https://github.com/you/mono",
                "vcs_info": {"vcs": "git", "commit_id": COMMIT},
                "subdirectory": "tools/newsstand",
            },
            f"newsstand @ git+https://github.com/you/mono@{COMMIT}#subdirectory=tools/newsstand",
        ),
        (
            {
                "url": "https://hg.example.org/newsstand",
                "vcs_info": {"vcs": "hg", "commit_id": "a1b2"},
            },
            "newsstand @ hg+https://hg.example.org/newsstand@a1b2",
        ),
        (  # pip install https://…/newsstand-0.1.0.tar.gz
            {
                "url": "https://example.org/newsstand-0.1.0.tar.gz",
                "archive_info": {"hash": "sha256=abc", "hashes": {"sha256": "abc"}},
            },
            "newsstand @ https://example.org/newsstand-0.1.0.tar.gz#sha256=abc",
        ),
        (  # an older pip wrote only "hash"
            {"url": "https://example.org/n.whl", "archive_info": {"hash": "md5=f00"}},
            "newsstand @ https://example.org/n.whl#md5=f00",
        ),
        (
            {"url": "https://example.org/n.zip", "archive_info": {}},
            "newsstand @ https://example.org/n.zip",
        ),
    ],
)
def test_what_can_be_installed_again(info: dict, expected: str) -> None:
    assert spec(**info) == expected
    assert "SECRET" not in expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            json.dumps({"url": "file:///home/me/newsstand", "dir_info": {"editable": True}}),
            "local folder, file:///home/me/newsstand",
        ),
        (json.dumps({"url": "file:///home/me/newsstand", "dir_info": {}}), "local folder"),
        (
            json.dumps({"url": "file:///tmp/newsstand-0.1.0-py3-none-any.whl", "archive_info": {}}),
            "local file",
        ),
        (
            json.dumps(
                {"url": "file:///srv/newsstand", "vcs_info": {"vcs": "git", "commit_id": COMMIT}}
            ),
            "local repository",
        ),
        (None, "cannot tell where this newsstand was installed from"),
        ("{not json", "cannot be read"),
        (json.dumps({"vcs_info": {}}), "cannot be read"),
        (
            json.dumps({"url": "https://example.org/x", "vcs_info": {"vcs": "git"}}),
            "no commit or archive",
        ),
    ],
)
def test_what_cannot_is_refused_with_what_to_do(text: str | None, says: str) -> None:
    with pytest.raises(NoInstallSpec) as refused:
        install_spec_from(text)
    assert says in str(refused.value)
    assert "pass --install SPEC" in str(refused.value) and "\n" not in str(refused.value)
