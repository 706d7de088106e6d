"""Reading a citizen's answer to numbered options: "2", "第二个", "选三", "最后一个", or the option's name."""
from __future__ import annotations

import re

from knowledge.normalize import normalize

_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_NUMBER = re.compile(r"(\d+)|第?([一二两三四五六七八九十])(?:个|项|种|条|号)?")


def pick(text: str, options: list[str]) -> int | None:
    """The 0-based index of the chosen option, or None."""
    t = normalize(text)
    if not t or not options:
        return None
    for i, option in enumerate(options):  # a name wins over a number that happens to be in it
        o = normalize(option)
        if o and (o in t or (len(t) >= 2 and t in o)):
            return i
    if any(w in t for w in ("最后", "末一", "最后一")):
        return len(options) - 1
    m = _NUMBER.search(t)
    if m:
        n = int(m.group(1)) if m.group(1) else _DIGITS[m.group(2)]
        if 1 <= n <= len(options):
            return n - 1
    return None
