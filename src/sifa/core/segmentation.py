"""Chinese word segmentation for search (jieba), one tokenizer for every index Sifa keeps.

Chinese has no spaces, so neither SQLite FTS5 nor PostgreSQL can find 律师 inside 律师执业许可 by
themselves: the catalogue's and the law library's indexes store the words jieba finds, and a query is
cut the same way. The legal-terms dictionary (``data/legal_terms.txt``: 律师执业, 法律援助, 人民调解 …)
keeps the terms of the trade whole.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from pathlib import Path

import jieba
from django.conf import settings

USER_DICTIONARY = Path(__file__).parent / "data" / "legal_terms.txt"
MAX_QUERY_WORDS = 10
_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None


def tokenizer() -> jieba.Tokenizer:
    """One jieba tokenizer per process (built once, ~1 s); its prefix-dictionary cache lives under
    SIFA_VAR_DIR/cache/jieba so that later processes start fast."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                jieba.setLogLevel(logging.WARNING)
                cache_dir = Path(settings.VAR_DIR) / "cache" / "jieba"
                cache_dir.mkdir(parents=True, exist_ok=True)
                tok = jieba.Tokenizer()
                tok.tmp_dir = str(cache_dir)
                tok.initialize()
                tok.load_userdict(str(USER_DICTIONARY))
                _tokenizer = tok
    return _tokenizer


def is_word(token: str) -> bool:
    """A token with a letter or a digit (not punctuation or space)."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in token)


def segment(text: str) -> str:
    """The words of ``text`` for the index: search-mode segmentation, de-duplicated, space-joined."""
    words = (t.strip().lower() for t in tokenizer().cut_for_search(text or ""))
    return " ".join(dict.fromkeys(t for t in words if t and is_word(t)))


def query_words(query: str) -> list[str]:
    """The words a query must all match; single characters are dropped when longer words exist."""
    words = [t.strip().lower() for t in tokenizer().cut(query or "") if t.strip() and is_word(t)]
    longer = [w for w in words if len(w) > 1]
    return list(dict.fromkeys(longer or words))[:MAX_QUERY_WORDS]
