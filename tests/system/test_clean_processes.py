"""clean gives the same bytes in every process (the store compares digests run to run)."""

from __future__ import annotations

from support.hostile import scan


def test_same_html_gives_the_same_bytes_in_every_process() -> None:
    # The store compares digests run to run: any process-dependent order would make every
    # item look changed on every run.
    import subprocess
    import sys

    code = (
        "from newsstand.clean import clean_html; print(clean_html("
        "'<p>a</p><img src=x.png alt=y width=3><video src=v.mp4 controls></video>"
        "<audio src=a.mp3></audio>', 'https://e.com/'))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(4)
    }
    assert len(outputs) == 1
    (img,) = [attrs for tag, attrs in scan(outputs.pop()).tags if tag == "img"]
    assert img["referrerpolicy"] == "no-referrer" and img["loading"] == "lazy"
