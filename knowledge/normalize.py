"""Text normalization shared by validation and search: what citizens type → a comparable form."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import zhconv

_NOISE = re.compile(r"[\s\u3000,.;:!?，。；：！？、…~～\"'“”‘’()（）\[\]【】<>《》·\-_/]+")


@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """Full-width → half-width, traditional → simplified, lower case, punctuation and spaces removed."""
    text = unicodedata.normalize("NFKC", text)
    text = zhconv.convert(text, "zh-cn").lower()
    return _NOISE.sub("", text)
