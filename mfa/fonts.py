"""Fonts for Chinese labels, brought by a Python dependency rather than the operating system.

matplotlib's default DejaVu Sans has no CJK glyphs, so Chinese process names would render as boxes on a
fresh machine. The pip package ``justmytype-intl-cjk`` ships Noto Sans SC (SIL Open Font License 1.1) as
``NotoSansSC[wght].ttf``, a variable font whose default instance is Thin. matplotlib cannot pick a weight
of a variable font, so :func:`regular_instance` cuts the Regular (400) instance once with fontTools and
caches it (``~/.cache/circular-mfa/fonts``); :func:`use_cjk_font` registers that file with matplotlib
directly (``fontManager.addfont``, which sidesteps matplotlib's font cache) and :func:`font_family` puts it
after DejaVu Sans, so Latin text and symbols keep DejaVu and Chinese glyphs fall back per glyph to Noto Sans
SC.

Chromium (the browser test, kaleido) finds fonts through fontconfig: :func:`fontconfig_file` writes a small
``fonts.conf`` that adds the font's folder, for use as ``FONTCONFIG_FILE``.

>>> from mfa.fonts import cjk_font_path
>>> cjk_font_path().name
'NotoSansSC[wght].ttf'
"""

from __future__ import annotations

import html
import logging
import os
import tempfile
from functools import lru_cache
from pathlib import Path

from mfa.errors import MfaError

__all__ = ["CJK_FAMILY", "cjk_font_path", "regular_instance", "use_cjk_font", "font_family", "fontconfig_file",
           "cache_dir", "cjk_font_face", "subset_font", "WEB_FAMILY"]

#: The family name under which HTML pages embed the subset CJK font (see :func:`cjk_font_face`).
WEB_FAMILY = "MFA CJK"

#: Family name of the bundled CJK font as matplotlib reports it.
CJK_FAMILY = "Noto Sans SC"
_FONT_FILE = "NotoSansSC[wght].ttf"


@lru_cache(maxsize=1)
def cjk_font_path() -> Path:
    """Path of NotoSansSC[wght].ttf inside the installed ``justmytype-intl-cjk`` package.

    Raises :class:`MfaError` with the install command when the package is missing.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> path = cjk_font_path()
    >>> path.name, path.is_file()
    ('NotoSansSC[wght].ttf', True)
    """
    try:
        import justmytype_intl_cjk
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MfaError("Chinese labels need the font package: pip install justmytype-intl-cjk") from exc
    root = Path(justmytype_intl_cjk.__file__).parent / "fonts"
    path = root / "ofl" / "notosanssc" / _FONT_FILE
    if not path.is_file():
        found = sorted(root.rglob(_FONT_FILE))
        if not found:  # pragma: no cover - a broken install
            raise MfaError(f"{_FONT_FILE} not found under {root}: reinstall justmytype-intl-cjk")
        path = found[0]
    return path


@lru_cache(maxsize=1)
def use_cjk_font() -> str:
    """Register Noto Sans SC with matplotlib (once per process) and return its family name.

    Does not change global rcParams; pass :func:`font_family` to the text you draw (the Sankey and the
    charts do) or use ``matplotlib.rc_context({"font.family": font_family()})``.

    Returns
    -------
    str
        The family name, :data:`CJK_FAMILY`.

    Examples
    --------
    >>> use_cjk_font()
    'Noto Sans SC'
    """
    from matplotlib import font_manager

    path = regular_instance()
    font_manager.fontManager.addfont(str(path))
    # Only the Regular weight is shipped; bold CJK text (titles) is drawn Regular on purpose, so the
    # "Failed to find font weight" warning for this family is noise.
    logging.getLogger("matplotlib.font_manager").addFilter(
        lambda rec: not (rec.getMessage().startswith("findfont: Failed to find font weight")
                         and CJK_FAMILY in rec.getMessage()))
    name = font_manager.FontProperties(fname=str(path)).get_name()
    return name


def cache_dir() -> Path:
    """Where derived font files are kept: ``$MFA_CACHE_DIR`` or ``$XDG_CACHE_HOME/circular-mfa``
    (default ``~/.cache/circular-mfa``).

    Examples
    --------
    >>> cache_dir().name in ("circular-mfa", os.environ.get("MFA_CACHE_DIR", "circular-mfa").rstrip("/").split("/")[-1])
    True
    """
    env = os.environ.get("MFA_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "circular-mfa"


@lru_cache(maxsize=1)
def regular_instance() -> Path:
    """A static Regular (wght 400) instance of the variable Noto Sans SC, made once and cached.

    matplotlib cannot select an axis of a variable font and would draw the default instance, which for
    this font is Thin (100). fontTools (a matplotlib dependency) cuts the Regular instance; this takes
    about 20 s the first time on a small machine, then the cached file is reused.

    Returns
    -------
    pathlib.Path
        The cached ``NotoSansSC-Regular-<size of the variable font>.ttf``.

    Examples
    --------
    >>> path = regular_instance()
    >>> path.name == f"NotoSansSC-Regular-{cjk_font_path().stat().st_size}.ttf", path.is_file()
    (True, True)
    """
    src = cjk_font_path()
    folder = cache_dir() / "fonts"
    target = folder / f"NotoSansSC-Regular-{src.stat().st_size}.ttf"
    if target.is_file():
        return target
    from fontTools.ttLib import TTFont
    from fontTools.varLib import instancer

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only home: the temporary folder will do (made again next session)
        folder = Path(tempfile.gettempdir()) / "circular-mfa-fonts"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / target.name
        if target.is_file():
            return target
    font = instancer.instantiateVariableFont(TTFont(str(src)), {"wght": 400}, updateFontNames=True)
    _save_atomic(target, font.save)
    return target


def _save_atomic(target: Path, save) -> None:
    """``save(tmp)`` into a temporary file beside ``target``, then rename: parallel first runs never see
    half a file."""
    fd, tmp = tempfile.mkstemp(prefix=".mfa-", suffix=target.suffix, dir=str(target.parent))
    os.close(fd)
    try:
        save(tmp)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def font_family() -> list[str]:
    """The font family list for plots: DejaVu Sans first, Noto Sans SC as per-glyph fallback.

    Examples
    --------
    >>> font_family()
    ['DejaVu Sans', 'Noto Sans SC']
    """
    return ["DejaVu Sans", use_cjk_font()]


@lru_cache(maxsize=1)
def fontconfig_file() -> Path:
    """A fontconfig ``fonts.conf`` that makes the bundled CJK font visible to Chromium.

    Written once per process into a temporary folder; set ``FONTCONFIG_FILE`` to it in the environment of
    the browser process. Includes the system configuration when there is one.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> path = fontconfig_file()
    >>> path.name, html.escape(str(cjk_font_path().parent)) in path.read_text(encoding="utf-8")
    ('fonts.conf', True)
    """
    folder = cjk_font_path().parent
    cache = Path(tempfile.mkdtemp(prefix="mfa-fontconfig-"))
    include = "<include ignore_missing=\"yes\">/etc/fonts/fonts.conf</include>" if os.path.exists(
        "/etc/fonts/fonts.conf") else ""
    text = (
        "<?xml version=\"1.0\"?>\n<!DOCTYPE fontconfig SYSTEM \"fonts.dtd\">\n<fontconfig>\n"
        f"  {include}\n  <dir>{html.escape(str(folder))}</dir>\n"
        f"  <cachedir>{html.escape(str(cache))}</cachedir>\n</fontconfig>\n"
    )
    path = cache / "fonts.conf"
    path.write_text(text, encoding="utf-8")
    return path


def cjk_chars(text: str) -> str:
    """The CJK characters (and full-width punctuation) in ``text``, also those written as ``\\uXXXX``
    escapes (as in plotly's JSON), sorted and without repeats.

    Parameters
    ----------
    text : str

    Returns
    -------
    str

    Examples
    --------
    >>> cjk_chars("废物 waste 废渣，\\u7070")
    '废渣灰物，'
    """
    import re

    found = {ch for ch in set(text) if ord(ch) >= 0x2E80}   # distinct characters first: C speed
    found |= {chr(int(h, 16)) for h in re.findall(r"\\u([0-9a-fA-F]{4})", text) if int(h, 16) >= 0x2E80}
    return "".join(sorted(found))


def cjk_font_face(text: str, family: str = WEB_FAMILY) -> str:
    """A CSS ``@font-face`` rule embedding Noto Sans SC cut down to the CJK characters of ``text``.

    HTML pages (the report, the interactive Sankey) then show Chinese on a machine without any CJK font,
    offline. A few hundred characters make 50–150 kB. Deterministic: the subset carries no timestamp of
    its own. Returns "" when ``text`` has no CJK characters.

    Parameters
    ----------
    text : str
        The page's text (its CJK characters are kept).
    family : str
        The CSS family name.

    Returns
    -------
    str

    Examples
    --------
    >>> cjk_font_face("no Chinese"), cjk_font_face("废物").startswith('@font-face { font-family: "MFA CJK"')
    ('', True)
    """
    import base64

    chars = cjk_chars(text)
    if not chars:
        return ""
    data = base64.b64encode(subset_font(chars)).decode("ascii")
    return (f"@font-face {{ font-family: \"{family}\"; font-weight: normal; font-style: normal; "
            f"src: url(data:font/ttf;base64,{data}) format(\"truetype\"); }}")


_SUBSET_FORMAT = 1


def subset_font(chars: str) -> bytes:
    """Noto Sans SC (Regular) cut down to ``chars``: a TrueType file, the same bytes for the same characters.

    The subset of a character set is kept in :func:`cache_dir` (cutting the 10 MB font takes a second or
    more; a park's report asks for the same characters every time it is written).

    Parameters
    ----------
    chars : str
        The characters to keep (see :func:`cjk_chars`).

    Returns
    -------
    bytes

    Examples
    --------
    >>> a = subset_font("废物")
    >>> a[:4] == b"\\x00\\x01\\x00\\x00" and a == subset_font("废物") and len(a) < 20_000
    True
    """
    import hashlib
    import io

    instance = regular_instance()
    # the options below are part of the key: change _SUBSET_FORMAT when changing them
    key = hashlib.sha256(f"{_SUBSET_FORMAT}|{chars}".encode("utf-8")).hexdigest()[:24]
    target = instance.parent / f"subset-{instance.stat().st_size}-{key}.ttf"
    if target.is_file():
        return target.read_bytes()
    from fontTools import subset
    from fontTools.ttLib import TTFont

    opts = subset.Options()
    opts.layout_features = []
    opts.hinting = False
    opts.notdef_outline = True
    opts.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # keep the licence (OFL) with the font
    font = TTFont(str(instance), recalcTimestamp=False, lazy=True)
    sub = subset.Subsetter(opts)
    sub.populate(text=chars)
    sub.subset(font)
    font["head"].modified = font["head"].created  # the cached instance's own time would vary by machine
    buf = io.BytesIO()
    font.save(buf)
    data = buf.getvalue()
    try:
        _save_atomic(target, lambda tmp: Path(tmp).write_bytes(data))
    except OSError:  # a read-only cache: the subset is simply made again next time
        pass
    return data
