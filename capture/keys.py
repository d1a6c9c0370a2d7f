"""Key classes: the only thing Workprint ever keeps about a key.

A key is reduced to its class inside the capture callback, from its X keysym
(or the platform's equivalent). The character itself is never stored, logged or
queued. These functions are pure and platform-free so every backend shares them.
"""

from __future__ import annotations

import unicodedata

from store.schema import KEY_CLASSES

LETTER, DIGIT, PUNCT, SPACE, ENTER, TAB, BACKSPACE, MODIFIER, NAV, FUNCTION, OTHER, CHARACTER = (
    KEY_CLASSES
)

# X11 keysyms (X11/keysymdef.h) of keys that are not characters.
_SPECIAL = {
    0x0020: SPACE,
    0xFF08: BACKSPACE,  # BackSpace
    0xFFFF: BACKSPACE,  # Delete
    0xFF9F: BACKSPACE,  # KP_Delete
    0xFF09: TAB,
    0xFE20: TAB,  # ISO_Left_Tab: what X11 reports for shift+Tab on press
    0xFF89: TAB,  # KP_Tab
    0xFF0D: ENTER,  # Return
    0xFF8D: ENTER,  # KP_Enter
    0xFF80: SPACE,  # KP_Space
}
# Modifiers: Shift_L .. Hyper_R, Mode_switch, ISO level shifts, lock keys.
_MODIFIER_RANGES = ((0xFFE1, 0xFFEE), (0xFE01, 0xFE13))
_MODIFIER_SINGLE = {0xFF7E, 0xFF7F, 0xFF14, 0xFF13}  # Mode_switch, Num_Lock, Scroll_Lock, Pause
# Navigation: Home, Left, Up, Right, Down, Prior, Next, End, Begin, and keypad twins.
_NAV_RANGES = ((0xFF50, 0xFF58), (0xFF95, 0xFF9C))
_FUNCTION_RANGE = (0xFFBE, 0xFFE0)  # F1 .. F35
_KEYPAD_DIGITS = (0xFFB0, 0xFFB9)  # KP_0 .. KP_9
_KEYPAD_PUNCT = (0xFFAA, 0xFFAF)  # KP_Multiply .. KP_Divide
_KEYPAD_EQUAL = 0xFFBD


def _class_of_codepoint(cp: int) -> str:
    char = chr(cp)
    if char == " ":
        return SPACE
    category = unicodedata.category(char)
    if category[0] == "L":
        return LETTER
    if category == "Nd":
        return DIGIT
    if category[0] in "PSN":
        return PUNCT
    return OTHER


def class_of_keysym(keysym: int | None) -> str:
    """The key class of an X11 keysym; ``other`` for unknown or missing ones."""
    if not keysym:
        return OTHER
    if keysym in _SPECIAL:
        return _SPECIAL[keysym]
    if 0x20 < keysym <= 0x7E or 0xA0 <= keysym <= 0xFF:
        # Latin-1 keysyms equal their code point.
        return _class_of_codepoint(keysym)
    if 0x01000100 <= keysym <= 0x0110FFFF:
        # Unicode keysyms: 0x01000000 + code point.
        return _class_of_codepoint(keysym - 0x01000000)
    if _KEYPAD_DIGITS[0] <= keysym <= _KEYPAD_DIGITS[1]:
        return DIGIT
    if _KEYPAD_PUNCT[0] <= keysym <= _KEYPAD_PUNCT[1] or keysym == _KEYPAD_EQUAL:
        return PUNCT
    if keysym in _MODIFIER_SINGLE or any(lo <= keysym <= hi for lo, hi in _MODIFIER_RANGES):
        return MODIFIER
    if any(lo <= keysym <= hi for lo, hi in _NAV_RANGES):
        return NAV
    if _FUNCTION_RANGE[0] <= keysym <= _FUNCTION_RANGE[1]:
        return FUNCTION
    if 0x100 <= keysym <= 0x13FF or 0x0FA0 <= keysym <= 0x0FFF:
        # Legacy non-Latin-1 letter keysyms (Latin-2..4, Cyrillic, Greek, ...).
        return LETTER
    return OTHER
