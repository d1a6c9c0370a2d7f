"""Key classification: the only trace a keystroke leaves."""

import pytest

from capture.keys import class_of_keysym
from importers.keystrokes import class_of_js_keycode
from store.schema import KEY_CLASSES


@pytest.mark.parametrize(
    "keysym, expected",
    [
        (ord("a"), "letter"),
        (ord("Z"), "letter"),
        (0xE9, "letter"),  # é, Latin-1
        (0x01000416, "letter"),  # Ж as a Unicode keysym
        (0x06C1, "letter"),  # Cyrillic legacy keysym
        (ord("7"), "digit"),
        (0xFFB3, "digit"),  # KP_3
        (ord("!"), "punctuation"),
        (ord(","), "punctuation"),
        (0xFFAB, "punctuation"),  # KP_Add
        (0x20, "space"),
        (0xFF0D, "enter"),
        (0xFF8D, "enter"),  # KP_Enter
        (0xFF09, "tab"),
        (0xFE20, "tab"),  # ISO_Left_Tab: shift+Tab under X11
        (0xFF08, "backspace"),
        (0xFFFF, "backspace"),  # Delete
        (0xFFE1, "modifier"),  # Shift_L
        (0xFFE3, "modifier"),  # Control_L
        (0xFFEB, "modifier"),  # Super_L
        (0xFE03, "modifier"),  # ISO_Level3_Shift (AltGr)
        (0xFF51, "navigation"),  # Left
        (0xFF55, "navigation"),  # Page_Up
        (0xFF57, "navigation"),  # End
        (0xFF9C, "navigation"),  # KP_End (num lock off)
        (0xFFBE, "function"),  # F1
        (0xFFC9, "function"),  # F12
        (0, "other"),  # what X reports for a keycode remapped on the fly
        (None, "other"),
        (0xFF61, "other"),  # Print
    ],
)
def test_keysym_classes(keysym, expected):
    """A wrong class would skew typing figures (backspace share, WPM) for every user."""
    assert class_of_keysym(keysym) == expected


@pytest.mark.parametrize(
    "code, expected",
    [(65, "letter"), (90, "letter"), (48, "digit"), (32, "space"), (8, "backspace"), (16, "shift" and "modifier"),
     (13, "enter"), (190, "punctuation"), (173, "punctuation"), (59, "punctuation"), (37, "navigation"),
     (112, "function"), (0, "other")],
)
def test_js_keycode_classes(code, expected):
    assert class_of_js_keycode(code) == expected


def test_every_class_is_reachable():
    """Each class must be producible, or the ENUM has a dead value ("character"
    is what the store makes of letters, digits and punctuation)."""
    seen = {class_of_keysym(k) for k in range(0, 0x10000)} | {class_of_keysym(0x01000416)}
    assert seen | {"character"} == set(KEY_CLASSES)
