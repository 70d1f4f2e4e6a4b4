"""Reading a Quick Ask combination, for every platform's global key.

Settings records the key with Qt's QKeySequenceEdit and stores it as PortableText:
modifiers, then one key, joined with "+" ("Ctrl+Alt+Space"; the plus key itself is
"Ctrl++"). Each platform module maps the modifiers and the key to its own codes with a
table of its own (X11's masks, the XDG portal's names, Windows' and macOS's codes); this
module splits the text and says, in one sentence, what is wrong.
The tables are for the US (ANSI) layout: Windows' VK_OEM_* codes and macOS's
kVK_ANSI_* codes name key positions, not characters.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["US_SHIFTED", "combination_parts", "key_code", "split_combination"]

# What Shift makes of a key on the US layout: Qt may record Ctrl+Shift+1 as "Ctrl+Shift+!"
US_SHIFTED = {"!": "1", "@": "2", "#": "3", "$": "4", "%": "5", "^": "6", "&": "7", "*": "8", "(": "9", ")": "0",
              "_": "-", "+": "=", "{": "[", "}": "]", "|": "\\", ":": ";", '"': "'", "<": ",", ">": ".", "?": "/",
              "~": "`"}


def split_combination(text: str, modifiers: Mapping[str, int], names: str) -> tuple[int, str]:
    """"Ctrl+Alt+Space" -> (the modifiers' flags together, "Space"); see `combination_parts`."""
    held, key = combination_parts(text, modifiers, names)
    flags = 0
    for name in held:
        flags |= modifiers[name]
    return flags, key


def combination_parts(text: str, modifiers: Mapping[str, object], names: str) -> tuple[list[str], str]:
    """"Ctrl+Alt+Space" -> (["ctrl", "alt"], "Space"). ValueError (one sentence naming
    `names`, the modifiers this platform knows) without a modifier or with one that is
    not in `modifiers` (keys lower case)."""
    stripped = text.strip()
    plus_key = stripped.endswith("+") and stripped[:-1].rstrip().endswith("+")  # "Ctrl++"
    parts = [p.strip() for p in (stripped[:-1] if plus_key else stripped).split("+") if p.strip()]
    if plus_key:
        parts.append("+")
    if len(parts) < 2:
        raise ValueError(f"“{text}” needs a modifier ({names}) and a key.")
    *held, key = parts
    for name in held:
        if name.lower() not in modifiers:
            raise ValueError(f"“{name}” is not a modifier ({names}).")
    return [name.lower() for name in held], key


def key_code(key: str, table: Mapping[str, int], system: str) -> int:
    """`key`'s code in `table` (keys lower case; a shifted US character counts as its
    key); ValueError (one sentence) when `system` has no such key for a hot key."""
    for name in (key.lower(), US_SHIFTED.get(key, "")):
        code = table.get(name)
        if code is not None:  # kVK_ANSI_A is 0
            return code
    raise ValueError(f"“{key}” cannot be a global key on {system}; choose a letter, a digit, "
                     "a function key, Space or another named key.")
