"""Small text helpers for the answerable gate: content words and a light stemmer.

Spoken questions are full of fillers ("um", "do y'all") and question scaffolding ("how much",
"can I get"); the gate only asks whether the *content* words are covered by an entry.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

# Function words, fillers and question scaffolding. Price words are here because "how much
# is X" is answered by "$65", which shares no word with "price"/"cost".
STOPWORDS = frozenset(["a", "an", "the", "and", "or", "but", "if", "then", "than", "so", "to", "of", "in", "on", "at", "by", "for", "with", "from", "into", "about", "as", "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "doing", "done", "have", "has", "had", "having", "i", "me", "my", "mine", "we", "us", "our", "you", "your", "yours", "y'all", "yall", "ya", "he", "she", "it", "its", "they", "them", "their", "there", "here", "this", "that", "these", "those", "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "can", "could", "would", "should", "will", "shall", "may", "might", "must", "not", "no", "yes", "um", "uh", "umm", "uhh", "er", "hmm", "like", "just", "so", "well", "okay", "ok", "oh", "hey", "hi", "hello", "please", "thanks", "thank", "sorry", "guys", "guy", "folks", "really", "actually", "kind", "sort", "maybe", "also", "too", "very", "any", "some", "there's", "what's", "where's", "how's", "it's", "i'm", "i'd", "i'll", "i've", "you're", "we're", "they're", "don't", "doesn't", "can't", "won't", "isn't", "aren't", "wanna", "gonna", "gotta", "got", "get", "gets", "getting", "need", "needs", "want", "wants", "wondering", "wonder", "know", "tell", "let", "find", "looking", "much", "many", "price", "prices", "cost", "costs", "charge", "charges", "pay", "much", "how's", "offer", "offers", "provide", "provides", "anything", "something", "someone", "somebody", "one", "ones", "go", "going", "come", "coming", "take", "takes", "make", "makes", "do-you", "see", "does-you", "able", "there'd", "right", "now", "today", "would've", "also", "still", "ever", "again"])

_SUFFIXES = ("ations", "ation", "ings", "ing", "edly", "ies", "ied", "es", "ed", "ly", "s")


_CLITIC = re.compile(r"'(s|re|d|ll|ve|m)$")


def words(text: str) -> list[str]:
    """Lower-case word tokens; clitics dropped ("what's" -> "what", "son's" -> "son")."""
    out = []
    for w in _WORD.findall(text.lower().replace("\u2019", "'")):
        w = _CLITIC.sub("", w)
        if w.endswith("n't"):
            w = w[:-3]
        if w:
            out.append(w)
    return out


# Irregular forms a suffix stripper cannot join.
_IRREGULAR = {
    "teeth": "tooth", "children": "child", "kids": "kid", "kiddo": "kid", "men": "man",
    "women": "woman", "ladies": "woman", "lady": "woman", "feet": "foot", "mice": "mouse",
    "geese": "goose", "people": "person", "colour": "color", "colours": "color",
    "centre": "center", "grey": "gray", "tyre": "tire", "tyres": "tire", "cheque": "check",
    "cheques": "check", "mum": "mom", "jewellery": "jewelry", "organise": "organize",
}


def stem(word: str) -> str:
    """A crude suffix stripper: enough to match 'cuts'/'cut', 'colored'/'color'."""
    w = word.split("'")[0]
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    for suf in _SUFFIXES:
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            w = w[: -len(suf)]
            break
    # British/American spelling the KB and ASR disagree on.
    return w.replace("colour", "color")


def content_words(text: str) -> list[str]:
    """Content words of a question, in order, without duplicates."""
    out: list[str] = []
    for w in words(text):
        if w in STOPWORDS or len(w) < 2 or w.isdigit():
            continue
        if w not in out:
            out.append(w)
    return out


# Words that must match exactly: a different day or month is a different question
# ("open Sunday?" is not answered by Saturday hours), and word vectors put them close.
EXACT_ONLY = frozenset(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "weekend", "weekday", "mondays", "tuesdays", "wednesdays", "thursdays", "fridays", "saturdays", "sundays", "weekends", "weekdays", "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december", "christmas", "thanksgiving", "easter", "holiday", "holidays", "small", "large", "big", "little", "tiny", "huge", "new", "used", "old", "young", "adult", "adults", "senior", "seniors", "student", "students", "military"])

# Business-agnostic receptionist intents: a question word in a group is covered by an entry
# containing any word of the same group ("what's the address" <- "Where is the salon?").
INTENT_GROUPS: tuple[frozenset[str], ...] = tuple(frozenset(g.split()) for g in (
    "address located location locate where directions street find situated",
    "open opening close closing hours hour when time times",
    "book booking appointment appointments schedule reserve reservation scheduling",
    "pay paying payment payments accept card cards credit debit cash",
    "cancel cancellation cancelling canceling reschedule rescheduling notice",
))


def intent_covered(word: str, entry_words: set[str]) -> bool:
    """True when ``word`` belongs to an intent group that the entry also mentions."""
    return any(word in g and not g.isdisjoint(entry_words) for g in INTENT_GROUPS)


# Word classes whose members are mutually exclusive answers: an entry about Saturday and a
# question about Sunday conflict (the entry speaks about the attribute, but not this value).
_DAYS = "monday tuesday wednesday thursday friday saturday sunday weekend weekday"
CONFLICT_CLASSES: tuple[frozenset[str], ...] = tuple(frozenset(c.split()) for c in (
    _DAYS,
    "january february march april may june july august september october november december",
    "small large big little tiny huge",
    "new used",
    "child adult senior student military",
    "man woman boy girl male female",
    "vegan vegetarian",
))


def _norm_class_word(w: str) -> str:
    w = stem(w)
    return {"kid": "child", "guy": "man", "gent": "man", "mens": "man", "womens": "woman",
            "big": "large", "huge": "large", "little": "small", "tiny": "small"}.get(w, w)


def conflicting_word(query_words: list[str], entry_text: str) -> str | None:
    """A question word whose class the entry mentions only with *other* values, if any."""
    entry = {_norm_class_word(w) for w in words(entry_text)}
    for q in query_words:
        qn = _norm_class_word(q)
        for cls in CONFLICT_CLASSES:
            if qn in cls and qn not in entry and not cls.isdisjoint(entry):
                return q
    return None


_NUMBER_WORDS = frozenset(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred", "thousand", "first", "second", "third", "fourth", "fifth"]
)


def numbers(text: str) -> frozenset[str]:
    """Numbers, number words and codes with digits ("4pm", "b12"): "Question 1" and
    "Question 2" are different questions, however similar the rest."""
    return frozenset(w for w in words(text) if w in _NUMBER_WORDS or any(c.isdigit() for c in w))


# Qualifiers that change what a question is about ("keratin for kids", "implants for dogs", "open on
# Sundays", "parties of ten"): who it is for, which animal, which day or season, how many. An entry
# that mentions none of them may be a different question; see `dropped_qualifiers`.
_QUALIFIER_GROUPS: dict[str, str] = {}
for _group, _members in (
    ("child", "kid kids kiddo child children baby babies toddler toddlers infant infants teen teens teenager "
              "teenagers son sons daughter daughters boy boys girl girls minor minors"),
    ("senior", "senior seniors elderly pensioner pensioners"),
    ("student", "student students"),
    ("military", "military veteran veterans"),
    ("dog", "dog dogs puppy puppies"),
    ("cat", "cat cats kitten kittens"),
    ("online", "online virtual remote remotely zoom"),
    ("winter", "winter"), ("summer", "summer"),
    ("holiday", "holiday holidays christmas thanksgiving easter"),
):
    for _w in _members.split():
        _QUALIFIER_GROUPS[_w] = _group
for _day in _DAYS.split():
    _QUALIFIER_GROUPS[_day] = _day
    _QUALIFIER_GROUPS[_day + "s"] = _day
_WEEK = set(_DAYS.split())
# An entry word that covers a whole group: "pets" covers dogs and cats, "family" covers children.
_COVERS = {"pet": {"dog", "cat"}, "pets": {"dog", "cat"}, "animal": {"dog", "cat"}, "animals": {"dog", "cat"},
           "family": {"child"}, "families": {"child"}, "age": {"child", "senior"}, "ages": {"child", "senior"},
           "everyone": {"child", "senior", "student", "military"}, "daily": _WEEK, "week": _WEEK,
           "weekday": _WEEK - {"saturday", "sunday", "weekend"}, "weekdays": _WEEK - {"saturday", "sunday", "weekend"}}
NUMBER_GROUP = "#number"


def qualifier_groups(text: str) -> set[str]:
    """The qualifier groups a text mentions or covers ("Kids' cuts" -> {"child"})."""
    ws = set(words(text))
    groups = {_QUALIFIER_GROUPS[w] for w in ws if w in _QUALIFIER_GROUPS}
    for w in ws:
        groups |= _COVERS.get(w, set())
    return groups


def dropped_qualifiers(query: str, entry_text: str) -> list[tuple[str, str]]:
    """The caller's qualifiers (kids, dog, Sunday, ten ...) the entry never mentions: (word, group)."""
    groups = qualifier_groups(entry_text)
    entry_numbers = numbers(entry_text)
    out = []
    for w in words(query):
        group = _QUALIFIER_GROUPS.get(w)
        if group is not None and group not in groups:
            out.append((w, group))
        elif (w in _NUMBER_WORDS or w.isdigit()) and w not in ("one", "first") and w not in entry_numbers:
            out.append((w, NUMBER_GROUP))
    return out
