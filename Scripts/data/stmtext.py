"""A Python port of stmd's text front end (Sources/STMText), for the data scripts.

`normalize` follows TextNormalizer.swift (HTML entities incl. AG News's ` #39;`, then NFKC, then lower-casing)
and `tokenize` follows WordTokenizer.swift with its defaults (URLs -> `<url>`, e-mails -> `<email>`, numbers
kept). Both work on Unicode code points where Swift works on grapheme clusters (`Character`); for the
project's English data the two agree (checked line by line against the Swift sources, see
Scripts/data/README.md), the known differences being multi-scalar clusters such as emoji ZWJ sequences,
which Swift keeps as one token and this port splits.

Standard library only.
"""
import unicodedata

URL_TOKEN = "<url>"
EMAIL_TOKEN = "<email>"
NUMBER_TOKEN = "<num>"

# --------------------------------------------------------------------------------------------------------------
# TextNormalizer

_WINDOWS_1252 = [
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD,
    0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
    0x0153, 0xFFFD, 0x017E, 0x0178,
]

# The same (deliberately small) table as TextNormalizer.swift.
_NAMED_ENTITIES = {
    "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u00A0",
    "AMP": "&", "LT": "<", "GT": ">", "QUOT": "\"",
    "ndash": "\u2013", "mdash": "\u2014", "lsquo": "\u2018", "rsquo": "\u2019", "ldquo": "\u201C",
    "rdquo": "\u201D", "sbquo": "\u201A", "bdquo": "\u201E", "hellip": "\u2026", "laquo": "\u00AB",
    "raquo": "\u00BB", "bull": "\u2022", "middot": "\u00B7", "copy": "\u00A9", "reg": "\u00AE",
    "trade": "\u2122", "deg": "\u00B0", "euro": "\u20AC", "pound": "\u00A3", "yen": "\u00A5",
    "cent": "\u00A2", "sect": "\u00A7", "para": "\u00B6", "times": "\u00D7", "divide": "\u00F7",
    "frac12": "\u00BD", "frac14": "\u00BC", "frac34": "\u00BE", "shy": "\u00AD", "eacute": "\u00E9",
    "egrave": "\u00E8", "aacute": "\u00E1", "agrave": "\u00E0", "iacute": "\u00ED", "oacute": "\u00F3",
    "uacute": "\u00FA", "ntilde": "\u00F1", "ccedil": "\u00E7", "auml": "\u00E4", "ouml": "\u00F6",
    "uuml": "\u00FC", "szlig": "\u00DF", "Eacute": "\u00C9", "Auml": "\u00C4", "Ouml": "\u00D6",
    "Uuml": "\u00DC",
}

_HEX = "0123456789abcdefABCDEF"


def _numeric_char(value):
    if 0x80 <= value <= 0x9F:
        return chr(_WINDOWS_1252[value - 0x80])
    if value == 0 or value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
        return "\uFFFD"
    return chr(value)


def _parse_reference(s, start, allows_named):
    """What follows an `&` at `start`: `#digits;`, `#xhex;` or `name;` -> (text, index after `;`) or None."""
    n = len(s)
    if start >= n:
        return None
    maximum_length = 10
    if s[start] == "#":
        j = start + 1
        radix = 10
        if j < n and s[j] in "xX":
            radix = 16
            j += 1
        digits_start = j
        value = 0
        while j < n and j - digits_start < maximum_length:
            c = s[j]
            if "0" <= c <= "9":
                d = ord(c) - 48
            elif radix == 16 and c in _HEX:
                d = int(c, 16)
            else:
                break
            value = (value * radix + d) & 0xFFFFFFFF  # Swift's wrapping &* &+ on UInt32
            j += 1
        if j == digits_start or j - digits_start > 7 or j >= n or s[j] != ";":
            return None
        return _numeric_char(value), j + 1
    if not allows_named:
        return None
    j = start
    while j < n and j - start < maximum_length and s[j].isascii() and s[j].isalnum():
        j += 1
    name = s[start:j]
    if j < n and s[j] == ";" and name in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[name], j + 1
    return None


def decode_entities(text):
    if "&" not in text and "#" not in text:
        return text
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        r = None
        if c == "&":
            r = _parse_reference(text, i + 1, True)
        elif c == " " and i + 1 < n and text[i + 1] == "#":
            r = _parse_reference(text, i + 1, False)
        elif c == "#" and i == 0:
            r = _parse_reference(text, 0, False)
        if r is not None:
            out.append(r[0])
            i = r[1]
        else:
            out.append(c)
            i += 1
    return "".join(out)


def normalize(text):
    """TextNormalizer().normalize: entities, NFKC, lower-case."""
    s = unicodedata.normalize("NFKC", decode_entities(text))
    if "\u03a3" in s:  # Swift lower-cases scalar by scalar: no final-sigma rule (ΣΑΣ -> σασ, Python gives σας)
        return "".join(c.lower() for c in s)
    return s.lower()


# --------------------------------------------------------------------------------------------------------------
# WordTokenizer

def _is_letter(c):  # Swift Character.isLetter ~ Unicode Alphabetic; isalpha() misses Nl, which NFKC mostly maps
    return c.isalpha() or unicodedata.category(c) == "Nl"


def _is_number(c):  # Swift Character.isNumber: Numeric_Type != None
    return c.isnumeric()


def _is_word(c):
    return c.isalpha() or c.isnumeric() or unicodedata.category(c) in ("Mn", "Mc", "Me", "Nl")


def _is_separator(c):
    return c.isspace() or c == "\uFFFD" or unicodedata.category(c) in ("Cc", "Cf")


def _is_apostrophe(c):
    return c == "'" or c == "\u2019"


_CLITICS = ("s", "m", "d", "re", "ve", "ll")


def _contraction_suffix(s, start):
    n = len(s)
    j = start
    while j < n and j - start < 3 and _is_letter(s[j]):
        j += 1
    if j == start or (j < n and _is_letter(s[j])):
        return None
    suffix = s[start:j]
    if suffix.lower() not in _CLITICS:
        return None
    return suffix, j


def _url_end(s, start):
    if s[start] not in "hHwW":
        return None
    prefix_length = 0
    for prefix in ("https://", "http://", "www."):
        if s[start:start + len(prefix)].lower() == prefix:
            prefix_length = len(prefix)
            break
    if prefix_length == 0:
        return None
    n = len(s)
    j = start + prefix_length
    while j < n and not _is_separator(s[j]) and s[j] not in "<>\"":
        j += 1
    while j > start + prefix_length and s[j - 1] in ".,;:!?'\")]}":
        j -= 1
    return j if j > start + prefix_length else None


def _email_end(s, start):
    """(True, end) for an address starting at `start`, else (False, stop)."""
    n = len(s)
    j = start
    while j < n and (_is_word(s[j]) or s[j] in "._%+-"):
        j += 1
    if not (j < n and s[j] == "@" and j > start):
        return False, j
    k = j + 1
    while k < n and (_is_word(s[k]) or s[k] == "." or s[k] == "-"):
        k += 1
    while k > j + 1 and s[k - 1] in ".-":
        k -= 1
    last_dot = s.rfind(".", j + 1, k)
    if last_dot == -1 or last_dot <= j + 1:
        return False, j
    return True, k


def _word(chars, maps_numbers):
    if maps_numbers and chars and _is_number(chars[0]) and all(_is_number(c) or c in ".," for c in chars):
        return NUMBER_TOKEN
    return chars


def _scan_word(s, start, tokens, maps_numbers):
    n = len(s)
    j = start
    while j < n:
        c = s[j]
        if _is_word(c):
            j += 1
            continue
        has_next = j + 1 < n
        if (c == "." or c == ",") and has_next and _is_number(s[j - 1]) and _is_number(s[j + 1]):
            j += 1
            continue
        if c == "-" and has_next and _is_word(s[j + 1]):
            j += 1
            continue
        if _is_apostrophe(c) and _is_letter(s[j - 1]):
            r = _contraction_suffix(s, j + 1)
            if r is not None:
                if j > start:
                    tokens.append(_word(s[start:j], maps_numbers))
                tokens.append("'" + r[0])
                return r[1]
            if (has_next and s[j + 1] in "tT" and s[j - 1] in "nN"
                    and (j + 2 == n or not _is_letter(s[j + 2]))):
                if j - 1 > start:
                    tokens.append(_word(s[start:j - 1], maps_numbers))
                tokens.append(s[j - 1] + "'" + s[j + 1])
                return j + 2
            if has_next and _is_letter(s[j + 1]):  # o'clock, O'Brien
                j += 1
                continue
        break
    tokens.append(_word(s[start:j], maps_numbers))
    return j


def tokenize(text, maps_urls=True, maps_emails=True, maps_numbers=False):
    """WordTokenizer(mapsURLs:mapsEmails:mapsNumbers:).tokens(in:)."""
    s = text
    n = len(s)
    tokens = []
    i = 0
    email_scan_failed_before = 0
    while i < n:
        c = s[i]
        if _is_separator(c):
            i += 1
            continue
        at_boundary = i == 0 or not _is_word(s[i - 1])
        if at_boundary:
            end = _url_end(s, i)
            if end is not None:
                tokens.append(URL_TOKEN if maps_urls else s[i:end])
                i = end
                continue
        if _is_word(c):
            if i >= email_scan_failed_before:
                found, pos = _email_end(s, i)
                if found:
                    tokens.append(EMAIL_TOKEN if maps_emails else s[i:pos])
                    i = pos
                    continue
                email_scan_failed_before = pos
            i = _scan_word(s, i, tokens, maps_numbers)
            continue
        if _is_apostrophe(c):
            r = _contraction_suffix(s, i + 1)
            if r is not None:
                tokens.append("'" + r[0])
                i = r[1]
                continue
        tokens.append(c)
        i += 1
    return tokens


def tokens_of(text):
    """What an stmd classifier reads: normalize, then tokenize with the defaults."""
    return tokenize(normalize(text))
