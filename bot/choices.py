"""Reading a citizen's answer to options: "2", "第二个", "选三", "最后一个", the option's name or part of it
("首次" for 首次申请), or a word that picks one out ("丢了" for 遗失补发)."""
from __future__ import annotations

import re
from collections.abc import Sequence

from knowledge.normalize import normalize

_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
# "第一次办" is "the first time", not "the first option".
_NUMBER = re.compile(r"(\d+)(?![点:：号月日])|第?([一二两三四五六七八九十])(?!次|点|号|月)(?:个|项|种|条)?")
_FILLER = re.compile(r"^(我|我要|我是|我想|要|选|就|是|那个|这个)+|(吧|的|那个|这个|呀|啊|哦|嗯|。|！|!)+$")


def _common(a: str, b: str) -> int:
    """Length of the longest common substring."""
    best = 0
    for i in range(len(a)):
        for j in range(i + best + 1, len(a) + 1):
            if a[i:j] in b:
                best = j - i
            else:
                break
    return best


def pick(text: str, options: Sequence[str], words: Sequence[Sequence[str]] = ()) -> int | None:
    """The 0-based index of the chosen option, or None. `words[i]` are words that pick option i."""
    t = _FILLER.sub("", normalize(text)) or normalize(text)
    if not t or not options:
        return None
    names = [normalize(o) for o in options]
    for i, o in enumerate(names):  # a name wins over a number that happens to be in it
        if o and (o in t or (len(t) >= 2 and t in o)):
            return i
    hits = {i for i, ws in enumerate(words) for w in ws if w and normalize(w) in t}
    if len(hits) == 1:
        return hits.pop()
    if any(w in t for w in ("最后", "末一", "最后一")):
        return len(options) - 1
    m = _NUMBER.search(t)
    if m:
        n = int(m.group(1)) if m.group(1) else _DIGITS[m.group(2)]
        if 1 <= n <= len(options):
            return n - 1
    # Part of a name ("换发" in "护照换发", "首次办" for 首次申请): the one option sharing the longest
    # stretch of two or more characters with the reply.
    scores = [_common(t, o) for o in names]
    best = max(scores)
    if best >= 2 and scores.count(best) == 1:
        return scores.index(best)
    return None
