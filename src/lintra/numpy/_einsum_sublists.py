"""einsum's integer-list form, ``einsum(a, [0, 1], b, [1, 2], [0, 2])``, as a subscripts
string (NumPy's letters: 0-25 are A-Z, 26-51 are a-z; ``...`` stays ``...``)."""

from __future__ import annotations

import string

_LETTERS = string.ascii_uppercase + string.ascii_lowercase


def _labels(sublist, who: str) -> str:
    out = []
    for s in sublist:
        if s is Ellipsis:
            out.append("...")
            continue
        try:
            k = int(s)
        except (TypeError, ValueError):
            raise TypeError(f"{who}: sublist entries must be integers or Ellipsis, got "
                            f"{s!r}") from None
        if not 0 <= k < len(_LETTERS) or k != s:
            raise ValueError(f"{who}: sublist entries must be integers in [0, 52), got {s!r}")
        out.append(_LETTERS[k])
    return "".join(out)


def sublists_to_subscripts(args: tuple) -> tuple[str, list]:
    """``(op0, sublist0, op1, sublist1, ..., [out])`` -> ``("ij,jk->ik", [op0, op1])``."""
    who = "einsum"
    pairs, rest = args[: len(args) - len(args) % 2], args[len(args) - len(args) % 2:]
    if not pairs:
        raise ValueError(f"{who}: the sublist form needs (operand, sublist) pairs")
    operands = list(pairs[0::2])
    inputs = [_labels(s, who) for s in pairs[1::2]]
    spec = ",".join(inputs)
    if rest:
        spec += "->" + _labels(rest[0], who)
    return spec, operands
