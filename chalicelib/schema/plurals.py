"""English plurals for type names (`City` -> `Cities`), as Genie's root fields use them.

Only the last word of a CamelCase name changes: `ShopifyShop` -> `ShopifyShops`.
"""

import re

_IRREGULAR = {
    "child": "children",
    "foot": "feet",
    "goose": "geese",
    "man": "men",
    "mouse": "mice",
    "ox": "oxen",
    "person": "people",
    "tooth": "teeth",
    "woman": "women",
}
_UNCOUNTABLE = frozenset(
    {"data", "deer", "equipment", "fish", "information", "metadata", "news", "series", "sheep", "species"}
)
# First match wins: the specific endings come before the general ones.
_RULES = (
    (re.compile(r"(quiz)$"), r"\1zes"),
    (re.compile(r"(matr|vert|ind)(ix|ex)$"), r"\1ices"),
    (re.compile(r"(alumn|bacill|cact|foc|fung|nucle|radi|stimul|syllab)us$"), r"\1i"),
    (re.compile(r"(her|potat|tomat|ech|vet)o$"), r"\1oes"),
    (re.compile(r"([^f])fe$"), r"\1ves"),
    (re.compile(r"(lea|loa|thie|shea|wol|hal|cal|el)f$"), r"\1ves"),
    (re.compile(r"([^aeiou])y$"), r"\1ies"),
    (re.compile(r"(s|x|z|ch|sh)$"), r"\1es"),
)
_LAST_WORD = re.compile(r"([A-Z]?[a-z0-9]*)$")


def pluralize(name: str) -> str:
    match = _LAST_WORD.search(name)
    word = match.group(1) if match else ""
    if not word:
        return name + "s"
    head = name[: len(name) - len(word)]
    return head + _match_case(word, _pluralize_word(word.lower()))


def _pluralize_word(word: str) -> str:
    if word in _UNCOUNTABLE:
        return word
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    for pattern, replacement in _RULES:
        if pattern.search(word):
            return pattern.sub(replacement, word)
    return word + "s"


def _match_case(original: str, plural: str) -> str:
    if original[:1].isupper():
        return plural[:1].upper() + plural[1:]
    return plural
