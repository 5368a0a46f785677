"""Finding a font that draws Hangul, so Korean label names in the plots are not rendered as empty boxes.

matplotlib's default font (DejaVu Sans) has no Hangul. We look, in order, for a font named by the
``KOCLASSIFY_REPORT_FONT`` environment variable, the NanumGothic that the ``koreanize-matplotlib`` package
ships (part of the ``report`` extra, so a fresh ``pip install 'koclassify[report]'`` has it on any OS), and
the usual system Korean fonts. Without any of them the report is still written, with a warning.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

FONT_ENV = "KOCLASSIFY_REPORT_FONT"
HANGUL_PROBE = "가"

# system families that cover Hangul, most common first (Linux, macOS, Windows)
SYSTEM_FAMILIES = (
    "NanumGothic",
    "Noto Sans CJK KR",
    "Noto Sans KR",
    "Source Han Sans KR",
    "Apple SD Gothic Neo",
    "AppleGothic",
    "Malgun Gothic",
    "UnDotum",
    "Baekmuk Gulim",
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
)


@dataclass(frozen=True)
class FontChoice:
    """The Hangul font the plots use (``family`` None: none found, fall back to matplotlib's default)."""

    family: str | None
    path: Path | None
    source: str

    @property
    def found(self) -> bool:
        return self.family is not None

    def describe(self) -> str:
        if self.family is None:
            return (
                "no font with Hangul was found: Korean text in the plots may show as boxes "
                f"(pip install koreanize-matplotlib, install fonts-nanum, or set {FONT_ENV}=/path/to/font.ttf)"
            )
        return f"{self.family} ({self.source})"


def _has_hangul(path: Path) -> bool:
    """True when the font file maps a Hangul syllable (a wrongly named or broken file is skipped, not trusted)."""
    from matplotlib.ft2font import FT2Font

    try:
        return ord(HANGUL_PROBE) in FT2Font(str(path)).get_charmap()
    except (OSError, RuntimeError, ValueError):
        return False


def _register(path: Path, source: str) -> FontChoice | None:
    """Add a font file to matplotlib's font list and return its family name, if it draws Hangul."""
    from matplotlib import font_manager

    if not path.is_file() or not _has_hangul(path):
        return None
    font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    return FontChoice(family, path, source)


def _bundled_nanum() -> Path | None:
    """koreanize-matplotlib's NanumGothic, located without importing it (its import rewrites global rcParams)."""
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "fonts" / "NanumGothic.ttf"
        if candidate.is_file():
            return candidate
    return None


def _system_font() -> FontChoice | None:
    from matplotlib import font_manager

    by_family: dict[str, str] = {}
    for entry in font_manager.fontManager.ttflist:
        by_family.setdefault(entry.name, entry.fname)
    for family in SYSTEM_FAMILIES:
        if family in by_family:
            choice = _register(Path(by_family[family]), "system font")
            if choice is not None:
                return choice
    return None


@functools.cache
def _find(env_value: str | None) -> FontChoice:
    if env_value:
        choice = _register(Path(env_value), f"${FONT_ENV}")
        if choice is not None:
            return choice
        warnings.warn(f"${FONT_ENV}={env_value}: not a readable font with Hangul; looking elsewhere", stacklevel=3)
    bundled = _bundled_nanum()
    if bundled is not None:
        choice = _register(bundled, "koreanize-matplotlib")
        if choice is not None:
            return choice
    return _system_font() or FontChoice(None, None, "matplotlib default")


def korean_font() -> FontChoice:
    """The first usable Hangul font (cached per ``KOCLASSIFY_REPORT_FONT`` value)."""
    return _find(os.environ.get(FONT_ENV) or None)


def web_subset(choice: FontChoice, text: str) -> bytes | None:
    """The Hangul font cut down to the non-ASCII characters of ``text`` (a few KB) for the page to embed, so the
    HTML shows Korean even where the browser's machine has no Korean font. None when there is nothing to embed
    or the font cannot be subset: the page then relies on the browser's fonts, which is only less robust."""
    chars = "".join(sorted({c for c in text if ord(c) > 0x7F}))
    if choice.path is None or not chars:
        return None
    import io
    import logging

    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.name_IDs = ["*"]
    log = logging.getLogger("fontTools")
    level = log.level
    log.setLevel(logging.ERROR)  # fontTools reports every table it drops at WARNING
    try:
        font = TTFont(str(choice.path), fontNumber=0, lazy=True)
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=chars)
        subsetter.subset(font)
        buffer = io.BytesIO()
        font.save(buffer)
        return buffer.getvalue()
    except Exception:  # any font fontTools cannot handle: embed nothing, keep the report
        return None
    finally:
        log.setLevel(level)
