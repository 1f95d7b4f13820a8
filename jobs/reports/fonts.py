"""Finding a font that has Chinese glyphs, through matplotlib's font manager.

matplotlib's own DejaVu Sans has no CJK glyphs: Chinese labels drawn with it come out as empty
boxes ("tofu") with only a warning in the log (docs/PITFALLS.md). So the chart asks for a CJK font
by name, and when none is installed it falls back to English labels instead.

matplotlib caches its list of fonts on first use; a font installed after that (``apt-get install
fonts-wqy-microhei`` on a machine that already drew a chart) is not in the cache, so when no
known name is listed we also look at the font files on disk and register the ones that fit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

# Sans-serif families first (they read best on a chart), Simplified Chinese forms first.
PREFERRED = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "Noto Sans CJK JP",
    "Source Han Sans", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Microsoft YaHei", "SimHei",
    "PingFang SC", "Heiti SC", "Sarasa Gothic SC", "Droid Sans Fallback", "Noto Serif CJK SC",
    "AR PL UMing CN", "AR PL UKai CN", "SimSun",
)
# Parts of font file names that promise Chinese glyphs (checked before a file is registered).
FILE_HINTS = ("cjk", "wqy", "wenquanyi", "sourcehansans", "notosanssc", "simhei", "msyh", "simsun",
              "droidsansfallback", "uming", "ukai", "pingfang", "sarasa")
PROBE = "执行进度"  # characters every label needs


@dataclass(frozen=True)
class CjkFont:
    name: str  # the family name matplotlib knows it by
    path: str


def _has_glyphs(path: str, text: str = PROBE) -> bool:
    try:
        face = FT2Font(path)
    except (OSError, RuntimeError, ValueError):
        return False
    return all(face.get_char_index(ord(ch)) != 0 for ch in text)


def _listed() -> CjkFont | None:
    by_name: dict[str, str] = {}
    for entry in font_manager.fontManager.ttflist:
        by_name.setdefault(entry.name, entry.fname)
    for name in PREFERRED:
        path = by_name.get(name)
        if path and _has_glyphs(path):
            return CjkFont(name, path)
    return None


def _on_disk() -> CjkFont | None:
    for path in sorted(font_manager.findSystemFonts()):
        base = os.path.basename(path).lower().replace("-", "").replace("_", "")
        if not any(hint in base for hint in FILE_HINTS) or not _has_glyphs(path):
            continue
        try:
            font_manager.fontManager.addfont(path)
            name = font_manager.FontProperties(fname=path).get_name()
        except (OSError, RuntimeError, ValueError):
            continue
        return CjkFont(name, path)
    return None


def find_cjk_font() -> CjkFont | None:
    """The first installed font with Chinese glyphs, or None."""
    return _listed() or _on_disk()


def has_bold(font: CjkFont) -> bool:
    return any(entry.name == font.name and entry.weight in ("bold", 700, 800, 900, "heavy", "black")
               or entry.name == font.name and isinstance(entry.weight, int) and entry.weight >= 600
               for entry in font_manager.fontManager.ttflist)


def renders(text: str, font: CjkFont | None) -> bool:
    """True when every character of ``text`` has a glyph in ``font`` or in DejaVu Sans, the
    fallback of every label."""
    dejavu = font_manager.findfont("DejaVu Sans", fallback_to_default=True)
    faces = [FT2Font(dejavu)] + ([FT2Font(font.path)] if font else [])
    return all(ch.isspace() or any(face.get_char_index(ord(ch)) != 0 for face in faces) for ch in text)
