"""MinHash sketches of shingle sets, and the LSH band keys that find similar sets without
comparing every pair.

A sketch is ``PERMS`` minimum hash values (the top 16 bits of each: b-bit MinHash) of
the headline's shingles, then as many of the lead's. Two sets agree in one value with a
probability equal to their Jaccard similarity; ``BANDS`` bands of ``ROWS`` values each
are the keys two sketches must share at least one of to be compared at all: a pair of
similarity 0.4 shares one with probability 1 - (1 - 0.4^3)^20 = 0.73, one of 0.6 with
0.99, one of 0.05 with 0.0025.

Computed for a whole batch at once with numpy (a vector multiply-shift hash per
permutation), so 10,000 headlines take milliseconds, not seconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

ROWS, BANDS = 3, 20
PERMS = ROWS * BANDS  # values per set
PARTS = 2  # the headline, the lead
SKETCH_BYTES = PARTS * PERMS * 2
EMPTY = 0xFFFF  # every value of the sketch of an empty set
CHUNK = 65536  # shingles hashed at once (PERMS x 8 bytes each in flight)

_rng = np.random.default_rng(0x6E657773)  # fixed: sketches are stored and compared later
_A = _rng.integers(1, 2**63, PERMS, dtype=np.uint64) | np.uint64(1)
_B = _rng.integers(0, 2**63, PERMS, dtype=np.uint64)
_SHIFT = np.uint64(48)
NEWLINE = 10
CJK_RANGES = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x3040, 0x30FF),
    (0xAC00, 0xD7AF),
)

Sketches = npt.NDArray[np.uint16]  # (n, PARTS, PERMS)
Keys = npt.NDArray[np.uint64]  # (n, PARTS * BANDS)


def _cjk(points: npt.NDArray[np.uint32]) -> npt.NDArray[np.bool_]:
    mask = np.zeros(points.shape, dtype=bool)
    for low, high in CJK_RANGES:
        mask |= (points >= low) & (points <= high)
    return mask


def shingle_codes(texts: Sequence[str]) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """Every shingle of every normalised text (``text.shingles``: the same ones, here as
    numbers, repeats and all), and the index of the text each belongs to."""
    joined = "\n".join(f" {t} " for t in texts)
    points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    owner = np.cumsum(points == NEWLINE) if len(points) else np.zeros(0, dtype=np.int64)
    cjk = _cjk(points)
    other = ~cjk & (points != NEWLINE)
    p = points.astype(np.uint64)
    n = len(p)
    before = np.concatenate(([False], cjk[:-1])) if n else cjk
    after = np.concatenate((cjk[1:], [False])) if n else cjk
    bigram = np.flatnonzero(cjk[:-1] & cjk[1:]) if n > 1 else np.zeros(0, dtype=np.int64)
    alone = np.flatnonzero(cjk & ~before & ~after)
    trigram = (
        np.flatnonzero(other[:-2] & other[1:-1] & other[2:]) if n > 2 else np.zeros(0, np.int64)
    )
    codes = np.concatenate(
        [
            (np.uint64(1) << np.uint64(63)) | (p[bigram] << np.uint64(21)) | p[bigram + 1],
            (np.uint64(1) << np.uint64(62)) | p[alone],
            (p[trigram] << np.uint64(42)) | (p[trigram + 1] << np.uint64(21)) | p[trigram + 2],
        ]
    )
    owners = np.concatenate([owner[bigram], owner[alone], owner[trigram]]).astype(np.int64)
    order = np.argsort(owners, kind="stable")
    return codes[order], owners[order]


def _minhashes(texts: Sequence[str]) -> npt.NDArray[np.uint16]:
    """(len(texts), PERMS): each text's minimum of every permutation's hash."""
    out = np.full((len(texts), PERMS), EMPTY, dtype=np.uint16)
    codes, owners = shingle_codes(texts)
    for start in range(0, len(codes), CHUNK):  # a text cut in two: its minima meet below
        part, whose = codes[start : start + CHUNK], owners[start : start + CHUNK]
        hashed = ((part[:, None] * _A + _B) >> _SHIFT).astype(np.uint16)
        firsts = np.flatnonzero(np.concatenate(([True], whose[1:] != whose[:-1])))
        mins = np.minimum.reduceat(hashed, firsts, axis=0)
        here = whose[firsts]
        out[here] = np.minimum(out[here], mins)
    return out


def sketch(titles: Sequence[str], leads: Sequence[str]) -> Sketches:
    """The sketches of entries given their normalised headlines and leads."""
    return np.stack([_minhashes(titles), _minhashes(leads)], axis=1)


def to_bytes(sketches: Sketches) -> list[bytes]:
    return [row.tobytes() for row in sketches]


def from_bytes(blobs: Sequence[bytes]) -> Sketches:
    if not blobs:
        return np.zeros((0, PARTS, PERMS), dtype=np.uint16)
    flat = np.frombuffer(b"".join(blobs), dtype=np.uint16)
    return flat.reshape(len(blobs), PARTS, PERMS)


def band_keys(sketches: Sketches) -> tuple[Keys, npt.NDArray[np.bool_]]:
    """Every band's key (band number in the top bits), and which keys are real (a band of
    an empty part is no key)."""
    bands = sketches.reshape(len(sketches), PARTS * BANDS, ROWS).astype(np.uint64)
    keys = np.arange(PARTS * BANDS, dtype=np.uint64)[None, :] << np.uint64(48)
    for row in range(ROWS):
        keys = keys | (bands[:, :, row] << np.uint64(16 * (ROWS - 1 - row)))
    empty = (sketches == EMPTY).all(axis=2)  # (n, PARTS)
    valid = ~np.repeat(empty, BANDS, axis=1)
    return keys, valid


def agreement(sketches: Sketches, a: npt.NDArray[np.int64], b: npt.NDArray[np.int64]) -> Keys:
    """(len(a), PARTS): the share of values the sketches of each pair agree in, an
    estimate of each part's Jaccard similarity (0 where either part is empty)."""
    left, right = sketches[a], sketches[b]
    share = (left == right).mean(axis=2)
    empty = (left == EMPTY).all(axis=2) | (right == EMPTY).all(axis=2)
    share[empty] = 0.0
    return share  # type: ignore[no-any-return]


def pairs_sharing_a_key(
    keys: Keys, valid: npt.NDArray[np.bool_], first_new: int, cap: int = 8
) -> npt.NDArray[np.int64]:
    """(m, 2) rows ``(i, j)``, i < j, j >= ``first_new``: the sketches that share at
    least one band key with one of the new sketches (those from ``first_new`` on).

    Keys are sorted once; equal keys sit side by side, and a key held by more than
    ``cap`` sketches (the same headline posted over and over) pairs only its neighbours.
    """
    owners = np.broadcast_to(np.arange(len(keys))[:, None], keys.shape)[valid]
    flat = keys[valid]
    order = np.argsort(flat)
    flat, owners = flat[order], owners[order]
    # only the runs of equal keys that hold a new sketch and another one matter
    starts = np.flatnonzero(np.concatenate(([True], flat[1:] != flat[:-1])))
    lengths = np.diff(np.append(starts, len(flat)))
    has_new = np.maximum.reduceat((owners >= first_new).astype(np.int8), starts) > 0
    chosen = (lengths > 1) & has_new
    keep = np.repeat(chosen, lengths)
    flat, owners = flat[keep], owners[keep]
    found = []
    for distance in range(1, cap + 1):
        same = np.flatnonzero(flat[distance:] == flat[:-distance])
        if not len(same):
            break
        left, right = owners[same], owners[same + distance]
        new = (left >= first_new) | (right >= first_new)
        found.append(np.stack([left[new], right[new]], axis=1))
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.concatenate(found).astype(np.int64)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    pairs.sort(axis=1)
    n = np.int64(len(keys))
    # sorted and deduplicated by hand: numpy 2.4's np.unique (hash-based for integers)
    # took 4.5 s on 3 million pair codes here, a sort 0.08 s
    codes = np.sort(pairs[:, 0] * n + pairs[:, 1])
    unique = codes[np.concatenate(([True], codes[1:] != codes[:-1]))] if len(codes) else codes
    return np.stack([unique // n, unique % n], axis=1)
