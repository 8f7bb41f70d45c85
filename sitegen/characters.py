"""Find the named characters of an anthology in its prose, then apply the writer's corrections.

Detection reads every paragraph once. Each run of capitalised words ("Dr. Ruiz", "Mei-lin",
"Brightwater Supply Co.") is a candidate and the words around it are evidence:

- for a person: a speech tag ("said Ana", "Ana nodded"), a possessive, a title, "a woman
  named X", "introduced himself as X", being called by name in dialogue ("Careful, Leo."),
  being listed with someone already known to be a person ("Noor, or Dara");
- against: "in X", "streets of X", "the X", a suffix such as Co. or Street, or a pronoun right
  after a sentence-initial word ("May I", "Thank you").

A capital in mid-sentence is itself evidence, since it cannot come from the start of the
sentence; a word seen only at the start of sentences needs more. A name is a person when one
chapter on its own shows it (never by adding up one weak hint from each of many chapters), and
it is then one character wherever it appears, so one name in two manuscripts is one entry. But
each chapter must support it (a capital in mid-sentence, or evidence), so that "Faith is a
luxury" in one story does not make a mention of the Faith of another; and where the name is also
an ordinary word of that chapter ("Faith was gone" beside "she had faith"), a sentence-initial
use counts only with evidence of its own.

Full names absorb their short forms ("Ana" of "Ana Ruiz", "Dr. Ruiz" of "Ruiz"), but never
look-alikes (Anna and Anya): names are compared whole, token by token. A gendered title that
contradicts the pronouns used for the full name keeps its own entry ("Mrs. Kent" is not
"Leo Kent").

Curation (`config.characters`) then ignores, adds, merges, splits and describes, in that order;
the writer's word always wins.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from itertools import chain, groupby
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, NamedTuple

from .config import CharacterConfig, CharacterEntry
from .errors import Diagnostic, warning
from .manuscript import shown_text
from .memo import recall, recall_whole
from .model import (
    Chapter,
    Character,
    CharacterIndex,
    Code,
    Emphasis,
    Inline,
    Mention,
    Paragraph,
    Text,
    plain_text,
)
from .slugs import collation_key, slugify

if TYPE_CHECKING:
    from .memo import Memo


def _words(text: str) -> frozenset[str]:
    """A word list, its straight apostrophes made typographic as in the text: "Ma'am"."""
    return frozenset(text.replace("'", "\u2019").split())


# --- Generic vocabulary: English function words and name-shaped things that are not people.

_FUNCTION_WORDS = _words(
    """I Me My Mine Myself You Your Yours Yourself Yourselves He Him His Himself She Her Hers
    Herself It Its Itself We Us Our Ours Ourselves They Them Their Theirs Themselves One
    The A An This That These Those Some Any Each Every No None All Both Either Neither Another
    Other Others Such Many Much Few Several Most More Less Least Own Same Enough
    And But Or Nor So Yet For If When Whenever While Whilst Where Wherever Why How What Whatever
    Who Whom Whose Whoever Which Whichever As Because Since Until Unless Although Though Than
    Even Then Now Once Still Just Only Also Too Very Already Again Almost Always Never Ever Often
    Sometimes Soon Later Finally Suddenly Slowly Quickly Meanwhile Instead Perhaps Maybe Besides
    However Therefore Otherwise Anyway Indeed Here There Everywhere Somewhere Anywhere Nowhere
    Inside Outside Above Below Behind Beyond Before After During Through Throughout Across
    Around Along Against Among Amid Amidst Between Beneath Beside Under Underneath Over Into
    Onto Upon Within Without Toward Towards From With Of In On At By To Up Down Off Out Back
    Away Like Unlike Despite Except Near Past Via Ahead Apart Together Overhead Downstairs
    Upstairs Tonight Today Tomorrow Yesterday Everyone Everybody Everything Someone Somebody
    Something Anyone Anybody Anything Nobody Nothing Is Are Was Were Be Been Being Am Do Does
    Did Done Have Has Had Would Shall Should Can Could Might Must Let Not Whoa Whether Hence
    Thus Rather Quite Really Certainly Surely Probably Possibly Clearly Obviously Naturally
    Hardly Barely Nearly Mostly Partly Actually Honestly Seriously Frankly Sadly Luckily
    Fortunately Unfortunately Apparently Eventually Gradually Immediately Instantly Abruptly
    Cautiously Carefully Quietly Silently Gently Softly Briefly Again Else Afterward Afterwards
    Nevertheless Nonetheless Furthermore Moreover Additionally Likewise Similarly Accordingly
    Consequently Regardless Whatsoever Wherein"""
)
_NUMBERS = _words(
    """Zero Two Three Four Five Six Seven Eight Nine Ten Eleven Twelve Thirteen Fifteen Twenty
    Thirty Forty Fifty Sixty Seventy Eighty Ninety Hundred Hundreds Thousand Thousands Million
    Millions Dozen Dozens Half First Second Third Fourth Fifth Sixth Seventh Eighth Ninth Tenth
    Last Next Twice"""
)
_INTERJECTIONS = _words(
    """Hey Hi Hello Okay OK Ok Yes Yeah Yep Yup Nope Nah Oh Ah Aha Uh Um Er Hmm Huh Wow Whoa Ouch
    Oops Damn Dammit Hell Shit Fuck Please Thanks Sorry Well Look Listen Wait Stop Move Go Come
    Quick Quiet Careful Easy Fine Right Alright Sure Great Good Bye Goodbye Farewell Cheers Aye
    Nay Alas Bravo Shh Psst Ugh Argh Ahem Hush Run Help Thank Welcome Congratulations Amen
    Absolutely Exactly Agreed Correct Indeed Wrong True False Never Definitely Again Enough
    Steady Relax Hurry Stay Leave Duck Down Freeze Halt Silence Nonsense Rubbish Morning Evening
    Afternoon Night Goodnight Howdy Greetings Congrats Bless Hiya Heya Yo Ciao Cheerio Hola
    Bonjour Aloha Namaste Shalom"""
)
_CALENDAR = _words(
    """Monday Tuesday Wednesday Thursday Friday Saturday Sunday Mondays Fridays Sundays
    Christmas Easter Halloween Thanksgiving Hanukkah Ramadan Diwali"""
)
_PEOPLES = _words(
    """English French German Spanish Italian Portuguese Dutch Swedish Norwegian Danish Finnish
    Polish Czech Russian Ukrainian Greek Turkish Arabic Hebrew Persian Hindi Chinese Japanese
    Korean Vietnamese Thai American Americans British Irish Scottish Welsh European Europeans
    African Asian Latin Mexican Canadian Australian Indian Brazilian Egyptian Israeli Christian
    Christians Muslim Muslims Jewish Catholic Protestant Buddhist Hindu God Gods Heaven Earth
    Moon Sun Mars Venus Jupiter Saturn Internet TV"""
)
_ADDRESS = _words(
    """Mom Mum Mommy Mummy Mama Mamma Ma Mam Dad Daddy Papa Pa Mother Father Grandma Grandpa
    Grandmother Grandfather Granny Gran Nana Nan Grandad Granddad Sis Bro Son Kid Kiddo Boss Sir
    Sire Madam Madame Ma'am Doc Chief Sarge Honey Sweetheart Sweetie Darling Dear Babe Baby Buddy
    Pal Mate Man Dude Guys Lady Ladies Gentlemen Miss Mister Officer Captain Commander Detective
    Sergeant Lieutenant Doctor Professor Nurse Coach Boy Girl Child Children People Everybody
    Folks Friend Friends Stranger Brother Sister Aunt Auntie Uncle Cousin Majesty Highness
    Lordship Ladyship Your Excellency Master Mistress Teacher Mr Mrs Ms Dr"""
)
NEVER_NAMES = _FUNCTION_WORDS | _NUMBERS | _INTERJECTIONS | _CALENDAR | _PEOPLES | _ADDRESS
"""Capitalised words that are never, on their own, a person's name."""

_TITLE_WORDS = _words(
    """Mr Mrs Ms Mx Miss Dr Doctor Prof Professor Sir Dame Lady Lord Captain Capt Commander Cmdr
    Lieutenant Lt Sergeant Sgt Corporal Cpl Private Pvt Major Maj Colonel Col General Gen
    Admiral Adm Officer Detective Det Inspector Insp Agent Chief Marshal Sheriff Deputy Judge
    Senator Governor Mayor President Minister Chancellor Father Fr Mother Sister Brother
    Reverend Rev Pastor Rabbi Imam Bishop Cardinal King Queen Prince Princess Duke Duchess
    Baron Baroness Count Countess Earl Emperor Empress Aunt Auntie Uncle Grandma Grandpa Granny
    Gran Nana Coach Nurse Madam Madame Mme Mlle Monsieur Herr Frau Señor Señora Señorita Signor
    Signora Doña Elder Master Mistress Professor Constable Superintendent Supt Ensign Cadet
    Nonna Nonno Abuela Abuelo Oma Opa Babushka"""
)
_FEMALE_TITLES = _words(
    "Mrs Ms Miss Lady Dame Mother Sister Queen Princess Duchess Baroness Countess Empress Aunt "
    "Auntie Grandma Granny Gran Nana Madam Madame Mme Mlle Señora Señorita Signora Doña Frau "
    "Mistress"
)
_MALE_TITLES = _words(
    "Mr Sir Lord Father Fr Brother King Prince Duke Baron Count Earl Emperor Uncle Grandpa "
    "Monsieur Señor Signor Herr Master"
)
_THING_SUFFIXES = _words(
    """Co Inc Ltd Corp LLC Plc GmbH Company Corporation Industries Enterprises Group Holdings
    Partners Associates Bros Sons Bank Agency Institute University College School Academy
    Hospital Clinic Church Chapel Cathedral Temple Mosque Club Society Ministry Department Dept
    Council Guild Union League Party Army Navy Corps Fleet Brigade Squad Unit Station Street St
    Road Rd Avenue Ave Lane Boulevard Blvd Square Plaza Park Gardens Row Way Drive Place Court
    Terrace Alley Highway Bridge Tower Towers Building Hall Castle Palace Abbey Manor Estate
    Farm Mill House Inn Hotel Bar Pub Tavern Cafe Café Restaurant Diner Market Store Shop Mall
    Airport Harbour Harbor Port Dock Docks Wharf Pier Bay Beach Coast Shore Cove Island Islands
    Isle River Creek Lake Sea Ocean Falls Spring Springs Valley Canyon Hill Hills Mountain
    Mountains Mount Peak Ridge Forest Wood Woods Desert Plains Heights City Town Village
    District Quarter Sector Zone Colony Province County State Republic Kingdom Empire
    Federation Alliance Territory Base Outpost Precinct Prison Gate Gates Cemetery Library
    Museum Theatre Theater Stadium Arena Centre Center Times Post News Gazette Tribune Herald
    Express Daily Weekly Magazine Records Press Studios Labs Laboratories Systems Dynamics
    Technologies Motors Airlines Railway Railways Lines Shipping Freight Logistics Supply"""
)
_THING_PREFIXES = _words(
    """Mount Mt Lake Fort Port Cape Isle Saint St San Santa Rue Via Calle Avenida Plaza Café
    Cafe Hotel Club Camp Castle New North South East West Upper Lower Greater HMS USS SS RMS
    ISS HMAS"""
)
_PARTICLES = "van|von|de|da|di|du|del|della|der|den|la|le|bin|ibn|al|el|dos|das|ter|ten|y|&"
_DETERMINERS = _words(
    "the a an this that these those every each another any some no his its their our my your "
    "whose which what"
)
_PREPOSITIONS = _words(
    "of to from at by for with near past toward towards beyond behind over under along onto "
    "upon against about"
)
_LOCATIVES = _words(
    "in into inside within throughout across via aboard outside since until till last next "
    "early late mid during"
)
_PLACE_NOUNS = _words(
    """city cities town towns village villages streets street ruins outskirts suburbs suburb
    centre center capital kingdom province state region district port harbour harbor coast
    shores shore mountains valley planet colony republic empire country island islands river
    bay quay dock docks station road roads gates walls skyline borders border north south east
    west place places land lands territory territories ship ships boat vessel train bus flight
    journey ticket restaurant cafe café bar hotel store shop company firm office offices
    warehouse building"""
)
_PERSON_NOUNS = _words(
    """man woman boy girl kid child person guy fellow lady gentleman stranger soldier doctor
    friend brother sister son daughter mother father wife husband cousin uncle aunt nephew
    niece grandson granddaughter baby teenager youth officer captain nurse priest widow
    widower someone somebody anyone anybody everyone nobody one partner colleague student
    teacher old young"""
)
_SCENE_WORDS = _words(
    "today tomorrow yesterday tonight now then here there later soon first next last finally "
    "meanwhile afterwards outside inside upstairs downstairs"
)
_SUBJECT_PRONOUNS = _words("i you we they he she it me us them")
_SPEECH_OBJECT_VERBS = _words(
    """told asked thanked warned reminded begged promised kissed hugged hit punched shot killed
    helped met greeted followed watched saw heard phoned texted loved hated trusted married
    paid"""
)
_SKIPPABLE = _words(
    """had has have was were is are would could should will can may might must did does do
    not never just only then also still finally suddenly slowly quickly quietly softly already
    always almost barely simply even too once again now instead"""
    + " didn't couldn't wouldn't hadn't wasn't can't won't doesn't don't isn't shouldn't"
)


def _verb_forms(spec: str) -> frozenset[str]:
    """Base, past, -s and -ing forms from "base", "base/past" or "base+" (doubled consonant)."""
    forms: set[str] = set()
    for item in spec.split():
        base, _, past = item.partition("/")
        double = base.endswith("+")
        base = base.rstrip("+")
        stem = base + base[-1] if double else base
        if base.endswith("e") and not base.endswith("ee"):
            ing = base[:-1] + "ing"
        elif base.endswith("ie"):
            ing = base[:-2] + "ying"
        else:
            ing = stem + "ing"
        if base[-1] == "y" and base[-2] not in "aeiou":
            regular, third = base[:-1] + "ied", base[:-1] + "ies"
        elif base.endswith("e"):
            regular, third = base + "d", base + "s"
        else:
            regular = stem + "ed"
            third = base + ("es" if base.endswith(("s", "sh", "ch", "x", "z", "o")) else "s")
        forms.update((base, past or regular, third, ing))
    return frozenset(forms)


_STRONG_VERBS = _verb_forms(
    """say/said ask answer reply whisper mutter murmur mumble shout yell scream snap+ bark hiss
    growl snarl sigh laugh chuckle giggle sob+ groan grunt gasp rasp pant exclaim demand insist
    add continue admit+ agree suggest warn promise beg+ plead joke tease explain repeat
    tell/told interrupt protest announce declare command concede confess drawl stammer stutter
    spit/spat nod+ shrug+ smile smirk grin+ frown scowl wince blink glare glance stare gaze
    sniff swallow exhale inhale hesitate flinch blush grimace cry weep/wept sneer snort scoff
    retort murmur greet thank apologize apologise"""
)
_WEAK_VERBS = _verb_forms(
    """look turn step+ walk run/ran move reach grab+ pull push take/took give/gave hold/held
    keep/kept stand/stood sit+/sat kneel/knelt crouch lean pause freeze/froze wait watch listen
    think/thought know/knew feel/felt wonder remember realize realise decide want need try
    hate love like believe notice see/saw hear/heard ignore accept consider stagger stumble
    tighten open close raise lower lift drop+ catch/caught follow lead/led cross enter
    leave/left return arrive wake/woke sleep/slept eat/ate drink/drank kiss hug+ touch brush
    press point gesture wave motion shake/shook aim duck dodge climb jump die kill shoot/shot
    fight/fought find/found bring/brought buy/bought read/read write/wrote speak/spoke
    swear/swore dream care mind respond sing/sang rub+ dig/dug grip+ clutch squeeze spin/spun
    swing/swung throw/threw tap+ slam+ rush hurry stride/strode march limp crawl sprint
    stiffen shiver tremble pray hope fear doubt recognise recognize understand/understood
    forget/forgot forgive/forgave study examine inspect check come/came go/went get+/got
    make/made set+/set put+/put let+/let play win+/won lose/lost pretend arrive begin+/began
    stay tie/tied worry wish
    answer call carry drag+ settle slump shift scramble scan lay lie pace bite/bit chew"""
)
_PERSON_PRONOUNS = re.compile(
    r"(?<![^\W_])(?:(he|him|his|himself)|(she|her|hers|herself))(?![^\W_])|[.!?\u2026]",
    re.IGNORECASE,
)


# --- The candidate scanner: one compiled pattern for every run of capitalised words.


def _char_class(chars: Iterable[str]) -> str:
    """A regex character class body of the given characters, as ranges."""
    codes = sorted({ord(c) for c in chars})
    parts: list[str] = []
    start = previous = codes[0]
    for code in [*codes[1:], -1]:
        if code != previous + 1:
            first, last = re.escape(chr(start)), re.escape(chr(previous))
            parts.append(first if start == previous else f"{first}-{last}")
            start = code
        previous = code
    return "".join(parts)


_UPPER = _char_class(chr(c) for c in range(0x2000) if chr(c).isupper())
_LETTER = r"[^\W\d_]"
# One capitalised word, with inner hyphens and apostrophes (Mei-lin, O'Hara) but not a
# possessive or a contraction (Ana's, Ana'd), and a final full stop, which is part of "Dr." and
# "J." but ends the sentence after "Ana.". Abbreviations are told apart in Python: an
# alternation of them here would be tried at every capital and cost more than the rest of the
# scan together.
_WORD = (
    rf"[{_UPPER}]{_LETTER}*"
    rf"(?:-{_LETTER}+|['\u2019](?!(?:s|d|ll|re|ve|m)(?!{_LETTER})){_LETTER}+)*\.?"
)
_SPAN = re.compile(rf"{_WORD}(?:[ \u00a0](?:(?:{_PARTICLES})[ \u00a0]){{0,2}}{_WORD})*")
_ONE_WORD = re.compile(_WORD)
_ABBREVIATIONS = _words(
    """Mr Mrs Ms Mx Dr Prof Capt Cmdr Sgt Lt Col Gen Maj Adm Det Insp Rev Fr Sr Jr St Mt Co Inc
    Ltd Corp Bros Ave Rd Blvd Supt Mme Mlle Dept Pvt Cpl"""
)
_AFTER = re.compile(
    # "Lucas's", and "Lucas' guitar": after a final s, an apostrophe alone before a word.
    r"(?P<poss>['\u2019][sS](?![^\W_])|(?<=[sSzZ])['\u2019](?=[ \u00a0]+[a-z]))?"
    r"(?P<aux>['\u2019](?:d|ll|ve|re|m)(?![^\W_]))?"
    r"(?P<punct>[^\w\s]*)(?:[ \u00a0]+(?P<word>[\w'\u2019-]+))?"
)
_NEXT_WORD = re.compile(r"[ \u00a0]+([\w'\u2019-]+)")
_SENTENCE_ENDS = '.!?\u2026:\u201c\u2018([\u2014\u2013"*'
_CLOSERS = "\u201d\u2019)]\"'"
_COORDINATION = re.compile(r",?[ \u00a0]+(?:and|or|nor)[ \u00a0]+|,[ \u00a0]+")
_STRIP = ",;:.!?\u201d\u201c\u2018\"')(\u2014\u2013"


class Occurrence(NamedTuple):
    """One occurrence of a candidate name. A NamedTuple, not a dataclass: there is one per
    capitalised name in the corpus, and building them is the scanner's inner loop."""

    chapter: int
    block: int
    start: int  # of the form, title included
    end: int
    form: str  # as written, e.g. "Dr. Ruiz"
    key: str  # the name without its title, e.g. "Ruiz"
    title: str  # e.g. "Dr", or ""
    initial: bool  # starts a sentence, so its capital proves nothing
    person: int  # evidence, in points, that it names a person here
    thing: int  # evidence that it names a place, a thing, or is an ordinary word
    gender: str  # "f", "m" or "" as the title says: "Mrs. Kent"


_Token = tuple[int, int, str]  # start, end, the word without a final full stop


_Votes = tuple[str, int, int, int]  # a name, and its person, thing and mid-sentence points


@dataclass(frozen=True)
class Scan:
    """A chapter's candidate names, and what the chapter on its own says of each."""

    seen: tuple[Occurrence, ...]
    votes: tuple[_Votes, ...]  # one per name, in the order first seen
    people: tuple[str, ...]  # the names this chapter alone shows to be people (see `_votes`)


_VERB_POINTS = {**dict.fromkeys(_WEAK_VERBS, 1), **dict.fromkeys(_STRONG_VERBS, 2)}
# What the word just before a name says, one dict lookup per name; later kinds win.
_BEFORE = {
    **dict.fromkeys(_PREPOSITIONS, "preposition"),
    **dict.fromkeys(_DETERMINERS, "determiner"),
    **dict.fromkeys(_LOCATIVES, "locative"),
    **dict.fromkeys(("i\u2019m", "name\u2019s", "you\u2019re"), "introduced"),
    **dict.fromkeys(("me", "am", "as", "is", "was"), "named as"),
    "named": "named",
    "called": "named",
    **dict.fromkeys(_SPEECH_OBJECT_VERBS, "object"),
    **dict.fromkeys(_STRONG_VERBS, "speech"),
}
_NAME_IS = re.compile(r"\b[Nn]ame\b[^.!?;:\u201c\u201d]*$")  # "name, it turned out, was"
_NAMED_AS = frozenset(
    ("himself", "herself", "themselves", "myself", "name", "introduced", "call", "i")
)


def _context(text: str, start: int, end: int) -> tuple[bool, int, int]:
    """Whether the name at text[start:end] starts a sentence (so its capital proves nothing),
    and the person and thing points the words around it give."""
    i = start
    while i and text[i - 1] in " \u00a0":
        i -= 1
    mark = text[i - 1] if i else ""
    initial = not i or mark in _SENTENCE_ENDS
    if not initial and mark in _CLOSERS and i > 1:
        initial = text[i - 2] in ".!?\u2026\u2014"
    word = punct = ""
    first = 0
    if i < start:
        first = text.rfind(" ", 0, i) + 1
        word = text[first:i].rstrip(_STRIP)
        punct = text[first + len(word) : i]
        word = word.lstrip(_STRIP).lower()
    else:
        punct = mark
    person = thing = 0
    after = _AFTER.match(text, end)
    poss, _, follow, w1 = after.groups()  # type: ignore[union-attr]
    w1 = (w1 or "").lower()
    if poss:
        if w1 in _PLACE_NOUNS:
            thing += 1  # "Lisbon's streets"
        else:
            person += 1
    elif not follow:
        person += _verb_points(text, after.end(), w1, initial)  # type: ignore[union-attr]
        if initial and w1 in _SUBJECT_PRONOUNS:
            thing += 1  # "May I", "Thank you", "Knew she": a verb, not a name
    elif follow[0] in "?!" and _BEFORE.get(word) not in ("preposition", "locative"):
        person += 1  # "Noor!", "And Dara?": someone called or asked after
    elif follow[0] == "." and punct == "," and word not in _SCENE_WORDS:
        person += 1  # "Careful, Leo.", but not "Tomorrow, Lisbon."
    elif follow == "," and w1 in ("who", "whom", "who\u2019d", "who\u2019s"):
        person += 2  # "Noor, who was waiting"
    elif follow == "," and initial and mark and mark in "\u201c\u2018" and w1:
        person += 1  # "Ana, move."
    if not word or punct:
        return initial, person, thing
    kind = _BEFORE.get(word) or ("determiner" if word.endswith("\u2019s") else "")
    if kind == "speech":
        person += 2  # "said Ana"
    elif kind == "object":
        person += 1  # "told Ana"
    elif kind == "determiner":
        thing += 1  # "the Starling", "grandmother's Bible"
    elif kind == "locative" and not poss:
        thing += 1  # "in Ulmstadt", "since May"
    elif kind in ("named", "named as", "introduced", "preposition"):
        before = text[text.rfind(" ", 0, first - 1) + 1 : first - 1].strip(_STRIP)
        lower = before.lower()
        if (
            kind == "introduced"
            or (kind == "named as" and lower in _NAMED_AS)
            or (word in ("is", "was") and _NAME_IS.search(text, max(0, first - 60), first))
        ):
            person += 3  # "I'm Leo", "introduced himself as Leo", "her name, we learned, was"
        elif kind == "named" and lower in _PLACE_NOUNS:
            thing += 3  # "a town called Eastmarch"
        elif kind == "named":
            person += 3 if lower in _PERSON_NOUNS else 2 if word == "named" else 0
        elif kind == "preposition" and not poss:
            if lower in _PLACE_NOUNS:
                thing += 2  # "streets of Ulmstadt", "the quay at Ruan"
            elif word == "of" and before[:1].isupper():
                thing += 1  # "Ruiz of Lisbon"
    return initial, person, thing


def _verb_points(text: str, at: int, word: str, initial: bool) -> int:
    """What the verb of a name says: the first of the three words after it that is not an
    auxiliary or an adverb ("Ana nodded", "Ana had already gone"). `word` is the first, in
    lower case; the others, from `at` on, are read only when needed, about one time in ten:
    one regex that read all three for every name cost more than this."""
    remaining = 2
    while word not in _VERB_POINTS:
        if not initial and len(word) > 4 and word.endswith("ed"):
            return 1  # "when Ana arrived": any past tense, after a proper noun
        if not remaining or not (word in _SKIPPABLE or word.endswith("ly")):
            return 0
        following = _NEXT_WORD.match(text, at)
        if following is None:
            return 0
        word, at, remaining = following.group(1).lower(), following.end(), remaining - 1
    return _VERB_POINTS[word]


def _gender(text: str, end: int) -> str:
    """The gender of the first personal pronoun after `end` in the same sentence, if any."""
    found = _PERSON_PRONOUNS.search(text, end, end + 120)
    if not found or not (found.group(1) or found.group(2)):
        return ""
    return "m" if found.group(1) else "f"


def _is_name_word(word: str) -> bool:
    return not (
        word in NEVER_NAMES
        or word.endswith("n\u2019t")
        or len(word) == 1
        or (word.isupper() and word not in _THING_PREFIXES)
    )


# More capitalised words in a row than any name has ("Sir Arthur Ignatius Conan Doyle" has
# five) are title-cased prose, a sign or a headline, and name no one.
MAX_NAME_WORDS = 6


def _segments(text: str, span: re.Match[str]) -> Iterator[list[_Token]]:
    """The tokens of a run of capitals, cut at words that are never part of a name ("Then
    Ana"), at a full stop that ends a sentence ("Ana. Leo") and around particles (de, van)
    that do not join two names."""
    current: list[_Token] = []
    position = span.start()
    pieces = span.group().split()
    for number, piece in enumerate(pieces):
        start, end = position, position + len(piece)
        position = end + 1
        if not piece[0].isupper():  # a particle, kept only inside a name: "Rui de la Vega"
            if current and number + 1 < len(pieces) and pieces[number + 1][0].isupper():
                continue
            if current:
                yield current
            current = []
            continue
        word = piece
        stop = piece.endswith(".")
        if stop:
            word = piece[:-1]
            if word in _ABBREVIATIONS or len(word) == 1:
                stop = False  # "Dr." and the "J." of "J. R. Tolkien" go on
            else:
                end -= 1
        if _is_name_word(word):
            current.append((start, end, word))
        elif word in _TITLE_WORDS:  # "Tell Dr. Ruiz": the title starts a name
            if current:
                yield current
            current = [(start, end, word)]
        elif current:
            yield current
            current = []
        if stop and current:
            yield current
            current = []
    if current:
        yield current


def _names_a_place(words: list[str], things: Counter[str]) -> bool:
    """Whether a whole run of capitals is one place name ending in a suffix ("Third Precinct"),
    before it is cut into names at its ordinary words ("But Hill" keeps Hill)."""
    last, previous = words[-1].rstrip("."), words[-2].rstrip(".")
    if last not in _THING_SUFFIXES or previous in _FUNCTION_WORDS | _INTERJECTIONS | _TITLE_WORDS:
        return False
    things.update(w.rstrip(".") for w in words[:-1])
    return True


def moved(scan: Scan, c: int) -> Scan:
    """A chapter's `scan`, made while it was thought to stand elsewhere, for index `c`."""
    return replace(scan, seen=tuple(seen._replace(chapter=c) for seen in scan.seen))


def scan_chapter(c: int, chapter: Chapter) -> Scan:
    """The candidate names of the chapter at index `c`, each with the evidence around it.

    The first, per-chapter half of detection: it depends on nothing else, so the build does it
    as each manuscript is parsed (in two processes for a large anthology, see `sharing`)
    and `serve` keeps it for chapters an edit did not touch.
    """
    seen: list[Occurrence] = []
    links: list[tuple[str, str]] = []  # names listed together: "Noor, or Dara"
    in_names: Counter[str] = Counter()  # words of this chapter's place and company names
    for b, block in enumerate(chapter.blocks):
        if not isinstance(block, Paragraph):
            continue  # headings are title-cased: their capitals prove nothing
        text = block.plain
        inlines = block.inlines
        plain_only = len(inlines) == 1 and isinstance(inlines[0], Text)  # most paragraphs
        code = [] if plain_only else _code_in(inlines)
        last_end, last_key = -9, ""  # the previous name in the paragraph
        for span in _SPAN.finditer(text):
            group = span.group()
            if group in NEVER_NAMES:  # most capitals: The, He, But
                continue
            start = span.start()
            if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
                continue  # a capital inside a word ("0Aa") starts no name
            found_here: Iterable[Occurrence]
            if code and any(s < span.end() and start < e for s, e in code):
                found_here = _words_alone(c, b, text, span)
            elif " " in group or "\u00a0" in group:
                if _names_a_place(group.split(), in_names):
                    continue
                found_here = filter(
                    None,
                    (
                        _candidate(c, b, text, t, in_names)
                        for t in _segments(text, span)
                        if len(t) <= MAX_NAME_WORDS
                    ),
                )
            else:  # the common case, one word: "Ana", "Ana." or "Sparks"
                word = group.rstrip(".")
                if not _is_name_word(word):
                    continue
                end = start + len(word)
                initial, person, thing = _context(text, start, end)
                found_here = (
                    Occurrence(c, b, start, end, word, word, "", initial, person, thing, ""),
                )
            for found in found_here:
                if found.start - last_end < 7 and _COORDINATION.fullmatch(
                    text, last_end, found.start
                ):
                    links.append((last_key, found.key))
                seen.append(found)
                last_end, last_key = found.end, found.key
    return Scan(tuple(seen), *_votes(seen, in_names, links))


def _code_in(inlines: tuple[Inline, ...], at: int = 0) -> list[tuple[int, int]]:
    """Where the code spans of a paragraph (its `inlines`, from `at` in its plain text) are."""
    found: list[tuple[int, int]] = []
    for inline in inlines:
        if isinstance(inline, Emphasis):
            found += _code_in(inline.children, at)
            at += len(plain_text(inline.children))
            continue
        if isinstance(inline, Code):
            found.append((at, at + len(inline.text)))
        at += len(inline.text)
    return found


def _words_alone(c: int, b: int, text: str, span: re.Match[str]) -> Iterator[Occurrence]:
    """The capitalised words of a `span` that touches code, each on its own and with no
    evidence either way: a name written in code (`ping Zora`) is still named once the story
    shows it to be someone's, but the words of a command or a prompt around it (`User Zora`)
    make no longer name with it, and the prose around code is not its grammar."""
    for found in _ONE_WORD.finditer(text, span.start(), span.end()):
        word = found.group().rstrip(".")
        if _is_name_word(word):
            start, end = found.start(), found.start() + len(word)
            yield Occurrence(c, b, start, end, word, word, "", False, 0, 0, "")


def _is_person(key: str, person: int, thing: int, mid: int) -> bool:
    """More person than thing evidence, and either a capital in mid-sentence or more than one
    piece of evidence; a run of two names ("Ana Ruiz nodded") is itself one."""
    return person > thing and (person >= (1 if " " in key else 2) or mid >= 1)


def _votes(
    seen: list[Occurrence], in_names: Counter[str], links: list[tuple[str, str]]
) -> tuple[tuple[_Votes, ...], tuple[str, ...]]:
    """The evidence a chapter gives for each of its names, and the names it shows on its own
    to be people. A name is a person if one chapter alone shows it to be: pooled over a
    thousand chapters, one weak hint per chapter ("Pipes ran") would add up to proof. Being a
    word of a place's name ("Port Alder") counts against it; being listed with a person
    ("Noor, or Dara") counts for it."""
    rows: dict[str, list[int]] = {}  # name -> [person, thing, mid]
    for s in seen:
        row = rows.get(s.key)
        if row is None:
            rows[s.key] = [s.person, s.thing, not s.initial]
        else:
            row[0] += s.person
            row[1] += s.thing
            row[2] += not s.initial
    for word, n in in_names.items():
        if word in rows:
            rows[word][1] += 2 * n
    names = {key for key, row in rows.items() if _is_person(key, *row)}
    for a, b in links:
        if a in names and b not in names:
            rows[b][0] += 1
        elif b in names and a not in names:
            rows[a][0] += 1
    votes = tuple((key, *row) for key, row in rows.items())
    return votes, tuple(key for key, *row in votes if _is_person(key, *row))


def _candidate(
    c: int, b: int, text: str, tokens: list[_Token], things: Counter[str]
) -> Occurrence | None:
    """One run of name tokens as an occurrence, or None if it names a place or a thing."""
    words = [word for _, _, word in tokens]
    titles = 0
    while titles < len(words) - 1 and words[titles] in _TITLE_WORDS:
        titles += 1
    name = words[titles:]
    if len(name) == 1 and name[0] in NEVER_NAMES:
        return None  # a title alone: "Yes, Captain."
    if (len(name) > 1 and name[0] in _THING_PREFIXES) or any(
        w in _THING_SUFFIXES for w in name[1 - bool(titles) :]
    ):  # "Port Alder", "Brightwater Supply Co.", "General Motors"
        things.update(w for w in name if w not in _THING_SUFFIXES and w not in _THING_PREFIXES)
        return None
    start, end = tokens[0][0], tokens[-1][1]
    initial, person, thing = _context(text, start, end)
    title = words[0] if titles else ""
    if title:
        person += 3
    gender = "f" if title in _FEMALE_TITLES else "m" if title in _MALE_TITLES else ""
    form = text[start:end]
    key = text[tokens[titles][0] : end]
    if "\u00a0" in form:
        form, key = form.replace("\u00a0", " "), key.replace("\u00a0", " ")
    return Occurrence(c, b, start, end, form, key, title, initial, person, thing, gender)


# --- Deciding which candidates are people, and which occurrences mention them.

# Field readers made in C, for loops over every occurrence.
_FORM = attrgetter("form")
_PLAIN = attrgetter("plain")
_PLACE = itemgetter(slice(0, 4))  # an occurrence's (chapter, block, start, end)
_CHAPTER = itemgetter(0)  # of an occurrence, or of a place
_NAME = itemgetter(0)  # of a scan's votes
_KEY = attrgetter("key")


def _decide(scans: Sequence[Scan]) -> dict[str, str]:
    """Map each candidate name that is a person to itself, or to the name it stands for when a
    sentence-initial word was caught in front of it ("Classic Ana" -> "Ana"): the names some
    chapter shows on its own to be people (see `_votes`), and names that extend them."""
    decided: dict[str, str] = {}
    # The rules below only extend names already known, so the whole anthology may vote.
    person_of: Counter[str] = Counter()
    thing_of: Counter[str] = Counter()
    mid_of: Counter[str] = Counter()
    for scan in scans:
        for key in scan.people:
            decided.setdefault(key, key)
        for key, person, thing, mid in scan.votes:
            person_of[key] += person
            thing_of[key] += thing
            mid_of[key] += mid
    while True:  # the two rules below feed each other; each round only adds names
        known = len(decided)
        for key in person_of.keys() - decided.keys():
            words = key.split(" ")
            if len(words) < 2 or thing_of[key] > person_of[key]:
                continue
            rest = " ".join(words[1:])
            if words[0] in decided or (words[-1] in decided and mid_of[key]):
                decided[key] = key  # "Ana Ruiz", with "Ana" known
            elif rest in decided:
                decided[key] = rest  # "Poor Ana": a word that only ever starts a sentence
        for key, name in list(decided.items()):
            if key == name and " " in key:
                for part in {key.split(" ")[0], key.split(" ")[-1]} - decided.keys():
                    if person_of[part] >= thing_of[part] and (person_of[part] or mid_of[part]):
                        decided[part] = part  # "Ruiz", once "Ana Ruiz" is known
        if len(decided) == known:
            return decided


def _word_uses(text: str, word: str) -> int:
    """How often `word` appears in `text` as a whole word, exactly as given (lower case)."""
    count = 0
    at = text.find(word)
    while at >= 0:
        end = at + len(word)
        if (at == 0 or not text[at - 1].isalpha()) and (
            end == len(text) or not text[end].isalpha()
        ):
            count += 1
        at = text.find(word, end)
    return count


def _mentions(
    scans: Sequence[Scan],
    decided: Mapping[str, str],
    chapters: tuple[Chapter, ...],
    cache: Memo[tuple[Occurrence, ...]] | None,
) -> list[tuple[Occurrence, ...]]:
    """Each chapter's occurrences of people's names that really name them, in reading order.

    Each chapter's depend on its text, its scan and what was decided of its own names; with a
    `cache` (kept by `serve`), a chapter whose three are as before is not looked at again.
    """
    found: list[tuple[Occurrence, ...]] = []
    for scan, chapter in zip(scans, chapters, strict=True):
        make = partial(_chapter_mentions, scan.seen, decided, chapter)
        if cache is None:
            found.append(make())
        else:
            verdicts = tuple(map(decided.get, map(_NAME, scan.votes)))
            found.append(cache.get(chapter.slug, (scan, verdicts, chapter.blocks), make))
    return found


def _chapter_mentions(
    seen: tuple[Occurrence, ...], decided: Mapping[str, str], chapter: Chapter
) -> tuple[Occurrence, ...]:
    """The occurrences in one chapter (see `_mentions`). The chapter must support a name (a
    mid-sentence capital, or evidence) before a bare sentence-initial use counts; and where
    the name is also a word of the chapter, the supported uses must outnumber the lower-case
    ones."""
    kept: list[Occurrence] = []
    support: Counter[str] = Counter()
    for s in seen:
        name = decided.get(s.key)
        if name is None or (s.person == 0 and s.thing > 0):
            continue
        if name != s.key:
            s = s._replace(start=s.end - len(name), key=name, form=name)
        if s.person > 0 or not s.initial:
            support[s.key] += 1
        kept.append(s)
    text = ""
    uses: dict[str, int] = {}

    def as_word(key: str) -> int:
        nonlocal text
        if key not in uses:
            text = text or "\n".join(map(_PLAIN, chapter.blocks))
            uses[key] = _word_uses(text, key[:1].lower() + key[1:])
        return uses[key]

    return tuple(
        s
        for s in kept
        if s.person > 0
        or not s.initial
        or " " in s.key  # a full name, one of whose words is known to be a name
        or support[s.key] > as_word(s.key)
    )


@dataclass(frozen=True)
class _Draft:
    """A character on its way into the index, while curation reshapes it."""

    name: str
    aliases: tuple[str, ...]
    mentions: tuple[tuple[int, int, int, int], ...]  # chapter, block, start, end
    description: str = ""
    curated: bool = False  # made or reshaped by the config: its mentions win any overlap


class Memos(NamedTuple):
    """What `serve` keeps of detection from one build to the next, chapter by chapter (see
    `detect`)."""

    decided: Memo[dict[str, str]]  # one slot: which names are people's
    mentions: Memo[tuple[Occurrence, ...]]  # by chapter
    names: Memo[tuple[frozenset[str], frozenset[tuple[str, str]]]]  # by chapter
    pronouns: Memo[tuple[tuple[str, str], ...]]  # by chapter
    groups: Memo[dict[str, _Piece]]  # by chapter
    marks: Memo[tuple[Mention, ...]]  # by character and chapter
    named: Memo[tuple[tuple[Mention, ...], ...]]  # by character: each chapter's marks


@dataclass(frozen=True)
class _Kinship:
    """What the whole anthology says of how names relate, for grouping each chapter's
    occurrences into characters (see `_identities`)."""

    longer: dict[str, list[str]]  # a name -> the fuller names it is part of
    genders: dict[str, str]  # a name -> "m" or "f", as the pronouns used for it say
    both: frozenset[str]  # names given titles of both genders ("Mr. and Mrs. Kent")
    contested: frozenset[str]  # fuller names that share a part with another ("Holm")

    def gender(self, key: str) -> str:
        return self.genders.get(key, "")


def _identities(
    seen: list[tuple[Occurrence, ...]], chapters: tuple[Chapter, ...], memos: Memos | None
) -> list[_Draft]:
    """Group occurrences into characters: full names absorb their short forms and titled forms,
    unless a gendered title contradicts the pronouns used for the full name.

    What relates the names is read from the whole anthology (`_Kinship`); each chapter's
    occurrences are then grouped on their own, and with `memos` (kept by `serve`) a chapter
    whose occurrences and kinship are as before is not grouped again."""
    names = memos.names if memos else None
    named = [
        recall(names, chapter.slug, here, partial(_names_in, here))
        for here, chapter in zip(seen, chapters, strict=True)
    ]
    keys = set().union(*(keys for keys, _ in named))
    longer: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        words = key.split(" ")
        for cut in range(1, len(words)):
            for part in (" ".join(words[:cut]), " ".join(words[cut:])):
                if part in keys:
                    longer[part].append(key)
    for part, owners in longer.items():  # keep only the longest: "Ana" -> "Ana Maria Ruiz"
        longer[part] = sorted(o for o in owners if not any(o in longer.get(x, ()) for x in owners))
    genders: dict[str, set[str]] = defaultdict(set)  # of the titles each name is given
    for key, gender in set().union(*(titled for _, titled in named)):
        genders[key].add(gender)
    titled = set(genders)
    both = frozenset(key for key, given in genders.items() if given == {"m", "f"})
    asked = titled | {owner for key in titled for owner in longer.get(key, ())}
    # Pronouns are read only for the few names a gendered title is given to, or that own one.
    owner_of = {key: owners[0] for key, owners in longer.items() if len(owners) == 1}
    ask = frozenset(key for key in keys if key in asked or owner_of.get(key) in asked)
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for here, chapter in zip(seen, chapters, strict=True):
        make = partial(_pronouns, here, chapter, ask)
        inputs = (here, ask, chapter.blocks)  # a pronoun is read from the text after a name
        said = recall(memos.pronouns if memos else None, chapter.slug, inputs, make)
        for key, pronoun in said:
            votes[key][pronoun] += 1
            if key in owner_of:
                votes[owner_of[key]][pronoun] += 1
    kinship = _Kinship(
        longer=dict(longer),
        genders={
            key: "m" if m > f else "f"
            for key, counted in votes.items()
            if (m := counted["m"]) != (f := counted["f"])
        },
        both=both,
        contested=frozenset(o for owners in longer.values() if len(owners) > 1 for o in owners),
    )
    groups: dict[str, list[_Piece]] = defaultdict(list)
    for here, chapter in zip(seen, chapters, strict=True):
        make = partial(_group, here, kinship)
        grouped = recall(memos.groups if memos else None, chapter.slug, (here, kinship), make)
        for identity, piece in grouped.items():
            groups[identity].append(piece)
    return [_draft(identity, pieces) for identity, pieces in groups.items()]


def _names_in(here: tuple[Occurrence, ...]) -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    """The names of one chapter's occurrences, and those a gendered title is given with it."""
    return frozenset(map(_KEY, here)), frozenset((s.key, s.gender) for s in here if s.gender)


def _pronouns(
    here: tuple[Occurrence, ...], chapter: Chapter, ask: frozenset[str]
) -> tuple[tuple[str, str], ...]:
    """The pronoun that follows each untitled occurrence in `chapter` of a name in `ask`."""
    return tuple(
        (s.key, _gender(chapter.blocks[s.block].plain, s.end))
        for s in here
        if not s.title and s.key in ask
    )


class _Piece(NamedTuple):
    """One character's occurrences in one chapter, as `_draft` needs them."""

    places: tuple[tuple[int, int, int, int], ...]  # (chapter, block, start, end) of each
    forms: Counter[str]  # how often each form is written, in the order first written


def _group(here: tuple[Occurrence, ...], kinship: _Kinship) -> dict[str, _Piece]:
    """One chapter's occurrences, by the name of the character each is of (see `_identities`):
    "Holm" of two Holms is the one named last, or at all, in the chapter."""
    longer, gender, both, contested = (
        kinship.longer,
        kinship.gender,
        kinship.both,
        kinship.contested,
    )
    groups: dict[str, list[Occurrence]] = defaultdict(list)
    recent: dict[str, int] = {}  # full name -> last position seen in the chapter
    present = {s.key for s in here if s.key in contested}
    for position, s in enumerate(here):
        owners = longer.get(s.key, [])
        if s.gender:
            fitting = [o for o in owners if gender(o) in ("", s.gender)]
            if (
                (owners and not fitting)
                or (not owners and gender(s.key) not in ("", s.gender))
                or (s.key in both and not fitting)
            ):
                groups[s.form].append(s)  # "Mrs. Kent" beside a male "Leo Kent"
                continue
            owners = fitting
        if len(owners) > 1:
            owners = sorted(owners, key=lambda o: (-recent.get(o, -1), o not in present))
        identity = owners[0] if owners else s.key
        if identity in contested:
            recent[identity] = position
        groups[identity].append(s)
    return {
        identity: _Piece(tuple(map(_PLACE, group)), Counter(map(_FORM, group)))
        for identity, group in groups.items()
    }


def _draft(identity: str, pieces: list[_Piece]) -> _Draft:
    """A full name is shown whole; a single name bare if it is ever written bare, else with the
    title it is always given ("Father Brennan")."""
    written = [piece.forms for piece in pieces]  # in reading order
    forms = dict.fromkeys(chain.from_iterable(written))  # in the order first written
    name = identity
    if " " not in identity and identity not in forms:
        counted: Counter[str] = Counter()
        for chapter_forms in written:
            for form, times in chapter_forms.items():
                counted[form] += times
        name = counted.most_common(1)[0][0]  # a tie goes to the form written first
    return _Draft(
        name=name,
        aliases=tuple(f for f in forms if f != name),
        mentions=tuple(chain.from_iterable(piece.places for piece in pieces)),
    )


# --- Curation: the writer's word on top of detection.


def _fold(name: str) -> str:
    return name.replace("'", "\u2019").replace("\u00a0", " ").strip().casefold()


def _phrase_pattern(phrase: str) -> str:
    """A phrase as a regex: straight or curly apostrophes, any space, and a lower-case first
    letter that may be capitalised at the start of a sentence."""
    parts = []
    for i, char in enumerate(phrase.strip()):
        if char in "'\u2019":
            parts.append("['\u2019]")
        elif char.isspace():
            parts.append("[ \u00a0]+")
        elif i == 0 and char.islower():
            parts.append(f"[{re.escape(char)}{re.escape(char.upper())}]")
        else:
            parts.append(re.escape(char))
    return "".join(parts)


def _find_phrases(
    chapters: tuple[Chapter, ...], phrases: Iterable[str]
) -> dict[str, tuple[tuple[int, int, int, int], ...]]:
    """Where each phrase the config names appears, found in one pass over the text."""
    wanted = sorted({p.strip() for p in phrases if p.strip()}, key=len, reverse=True)
    found: dict[str, list[tuple[int, int, int, int]]] = {_fold(p): [] for p in wanted}
    if not wanted:
        return {}
    pattern = re.compile(
        r"(?<![^\W_])(?:" + "|".join(_phrase_pattern(p) for p in wanted) + r")(?![^\W_])"
    )
    for c, chapter in enumerate(chapters):
        for b, block in enumerate(chapter.blocks):
            if isinstance(block, Paragraph):
                for match in pattern.finditer(block.plain):
                    found[_fold(" ".join(match.group().split()))].append(
                        (c, b, match.start(), match.end())
                    )
    return {key: tuple(value) for key, value in found.items()}


class _Curator:
    """Applies one CharacterConfig to the detected drafts, collecting warnings as it goes."""

    def __init__(self, chapters: tuple[Chapter, ...], config: CharacterConfig) -> None:
        self.chapters = chapters
        self.config = config
        self.drafts: list[_Draft] = []
        self.found: list[Diagnostic] = []
        phrases = [n for entry in config.add for n in (entry.name, *entry.aliases)]
        phrases += [n for group in config.merge for n in group]
        self.phrases = _find_phrases(chapters, phrases)

    def warn(self, code: str, at: tuple[str | int, ...], message: str, hint: str) -> None:
        self.found.append(warning(code, self.config.path, self.config.line(*at), message, hint))

    def owners(self, name: str) -> list[int]:
        """The drafts shown as `name`; failing that, those that have it as an alias."""
        folded = _fold(name)
        named = [i for i, d in enumerate(self.drafts) if _fold(d.name) == folded]
        return named or [
            i for i, d in enumerate(self.drafts) if any(_fold(a) == folded for a in d.aliases)
        ]

    def text(self, mention: tuple[int, int, int, int]) -> str:
        c, b, start, end = mention
        return self.chapters[c].blocks[b].plain[start:end].replace("\u00a0", " ")

    def chapter_indexes(self, entry: CharacterEntry, kind: str, at: int) -> set[int] | None:
        """The chapters an entry names, or None for all; unknown names are warned about."""
        if not entry.chapters:
            return None
        indexes: set[int] = set()
        for wanted in entry.chapters:
            hits = {i for i, c in enumerate(self.chapters) if wanted in (c.slug, c.source_name)}
            if not hits:
                self.warn(
                    "W032",
                    (kind, at, "chapters", wanted),
                    f"`{wanted}` in characters.{kind} names no chapter",
                    "give a chapter's slug (its URL folder), or its manuscript's `file` as"
                    " [[chapters]] gives it",
                )
            indexes |= hits
        return indexes

    def ignore(self, seen: list[tuple[Occurrence, ...]]) -> list[tuple[Occurrence, ...]]:
        """Drop the occurrences of every ignored name from each chapter's, before names are
        grouped. A chapter that loses none keeps its very tuple (`serve` compares them)."""
        if not self.config.ignore:
            return seen
        ignored = {_fold(name): name for name in self.config.ignore}
        names = {name for here in seen for s in here for name in (s.form, s.key)}
        folded = {name: _fold(name) for name in names}
        used = set(folded.values())
        for fold, name in ignored.items():
            if fold not in used:
                self.warn(
                    "W030",
                    ("ignore", name),
                    f"`{name}` in characters.ignore matches no detected name",
                    "check the spelling, or remove it",
                )
        dropped = {name for name, fold in folded.items() if fold in ignored}
        kept = [tuple(s for s in here if not {s.form, s.key} & dropped) for here in seen]
        return [new if len(new) < len(old) else old for new, old in zip(kept, seen, strict=True)]

    def add(self) -> None:
        for at, entry in enumerate(self.config.add):
            where = self.chapter_indexes(entry, "add", at)
            names = (entry.name, *entry.aliases)
            mentions = tuple(
                m
                for name in names
                for m in self.phrases.get(_fold(name), ())
                if where is None or m[0] in where
            )
            owner = next((o[0] for name in names if (o := self.owners(name))), None)
            if owner is None:
                if not mentions:
                    self.warn(
                        "W031",
                        ("add", at),
                        f"added character `{entry.name}` is never mentioned",
                        "list in `aliases` the words the text uses for them",
                    )
                aliases = tuple(a for a in entry.aliases if _fold(a) != _fold(entry.name))
                self.drafts.append(
                    _Draft(entry.name, aliases, mentions, entry.description, curated=True)
                )
                continue
            draft = self.drafts[owner]
            self.drafts[owner] = replace(
                draft,
                aliases=_aliases(draft.name, (*draft.aliases, *names)),
                mentions=(*draft.mentions, *mentions),
                description=entry.description or draft.description,
                curated=True,
            )

    def merge(self) -> None:
        for group in self.config.merge:
            members: list[int] = []
            extra: list[tuple[int, int, int, int]] = []
            for name in group:
                owners = self.owners(name)
                literal = self.phrases.get(_fold(name), ())
                if not owners and not literal:
                    self.warn(
                        "W030",
                        ("merge", name),
                        f"`{name}` in characters.merge matches no character",
                        "check the spelling; each name must be detected or appear in the text",
                    )
                members += [o for o in owners if o not in members]
                if not owners:
                    extra += literal
            parts = [self.drafts[i] for i in members]
            if not parts and not extra:
                continue
            merged = _Draft(
                name=group[0],
                aliases=_aliases(group[0], [n for d in parts for n in (d.name, *d.aliases)]),
                mentions=(*(m for d in parts for m in d.mentions), *extra),
                description=next((d.description for d in parts if d.description), ""),
                curated=True,
            )
            self.drafts = [d for i, d in enumerate(self.drafts) if i not in members] + [merged]

    def split(self) -> None:
        for at, entry in enumerate(self.config.split):
            where = self.chapter_indexes(entry, "split", at)
            owners = self.owners(entry.name)
            if not owners:
                self.warn(
                    "W030",
                    ("split", at, "name", entry.name),
                    f"`{entry.name}` in characters.split matches no character",
                    "check the spelling of the name",
                )
                continue
            if where is None:
                self.warn(
                    "W033",
                    ("split", at),
                    f"characters.split `{entry.name}` lists no `chapters`",
                    "list the chapters (slugs or file names) where this is another person",
                )
                continue
            owner = owners[0]
            draft = self.drafts[owner]
            alias = _fold(entry.name) != _fold(draft.name)  # only that alias's mentions move
            moved = tuple(
                m
                for m in draft.mentions
                if m[0] in where and not (alias and _fold(self.text(m)) != _fold(entry.name))
            )
            if not moved:
                self.warn(
                    "W033",
                    ("split", at),
                    f"`{entry.name}` is not mentioned in the chapters characters.split lists",
                    "check the chapters, or remove the entry",
                )
                continue
            kept = tuple(m for m in draft.mentions if m not in moved)
            kept_forms = {self.text(m) for m in kept}
            self.drafts[owner] = replace(
                draft,
                mentions=kept,
                aliases=tuple(a for a in draft.aliases if a in kept_forms),
                curated=True,
            )
            forms = [self.text(m) for m in moved]
            self.drafts.append(
                _Draft(
                    entry.name,
                    _aliases(entry.name, (*forms, *entry.aliases)),
                    moved,
                    entry.description,
                    curated=True,
                )
            )

    def describe(self) -> None:
        """Describe the character of a name; when a split made several of that name, only
        those whose own entry gave no description."""
        for name, description in self.config.describe:
            owners = self.owners(name)
            if not owners:
                self.warn(
                    "W030",
                    ("describe", name),
                    f"`{name}` in characters.describe matches no character",
                    "use the name the character index shows, or one of its aliases",
                )
            if len(owners) > 1:
                owners = [o for o in owners if not self.drafts[o].description]
            for owner in owners:
                self.drafts[owner] = replace(self.drafts[owner], description=description)


def _aliases(name: str, names: Iterable[str]) -> tuple[str, ...]:
    """Distinct names other than `name`, in first-seen order, compared case-insensitively."""
    seen = {_fold(name)}
    result: list[str] = []
    for other in names:
        if _fold(other) not in seen:
            seen.add(_fold(other))
            result.append(other)
    return tuple(result)


# --- The index.


def _claim(drafts: list[_Draft]) -> list[tuple[tuple[int, int, int, int], ...]]:
    """Each draft's mentions, without duplicates or overlaps; curated drafts claim text first.

    Detection alone never overlaps (each run of capitals is one occurrence) and keeps reading
    order, so only curation needs the sweep.
    """
    if not any(draft.curated for draft in drafts):
        return [draft.mentions for draft in drafts]
    claimed: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    result: list[tuple[tuple[int, int, int, int], ...]] = [() for _ in drafts]
    order = sorted(range(len(drafts)), key=lambda i: not drafts[i].curated)
    for index in order:
        kept: list[tuple[int, int, int, int]] = []
        for mention in sorted(set(drafts[index].mentions)):
            c, b, start, end = mention
            taken = claimed[c, b]
            if all(end <= s or start >= e for s, e in taken):
                taken.append((start, end))
                kept.append(mention)
        result[index] = tuple(kept)
    return result


def _index(drafts: list[_Draft], memos: Memos | None) -> CharacterIndex:
    """Sorted characters with unique slugs and, per chapter, numbered mention anchors; with
    `memos` (kept by `serve`), a character named in the same places as before keeps their
    anchors, and one named elsewhere too keeps those of each chapter where they are named as
    before: an edit to one chapter makes anchors again only for the characters it names."""

    mentions = _claim(drafts)
    entries = sorted(
        (
            (draft, found)
            for draft, found in zip(drafts, mentions, strict=True)
            if found or draft.curated
        ),
        key=lambda pair: (collation_key(pair[0].name), pair[1][:1]),
    )
    slugs: set[str] = set()
    characters: list[Character] = []
    for draft, found in entries:
        base = slugify(draft.name) or "character"
        slug, n = base, 1
        while slug in slugs:
            n += 1
            slug = f"{base}-{n}"
        slugs.add(slug)
        marks = memos.marks if memos else None
        by_chapter = recall_whole(
            memos.named if memos else None,
            marks,
            slug,
            found,
            partial(_marks_by_chapter, slug, found, marks),
            partial(_chapter_slots, slug),
        )
        description = shown_text(draft.description)
        characters.append(Character(draft.name, slug, draft.aliases, description, by_chapter))
    return CharacterIndex(tuple(characters))


def _marks_by_chapter(
    slug: str, found: tuple[tuple[int, int, int, int], ...], memo: Memo[tuple[Mention, ...]] | None
) -> tuple[tuple[Mention, ...], ...]:
    """A character's mentions at the places `found`, chapter by chapter (see `_marks`)."""
    by_chapter = []
    for c, places in groupby(found, _CHAPTER):  # in reading order: chapter by chapter
        here = tuple(places)
        by_chapter.append(recall(memo, (slug, c), here, partial(_marks, slug, here)))
    return tuple(by_chapter)


def _chapter_slots(
    slug: str, by_chapter: tuple[tuple[Mention, ...], ...]
) -> Iterator[tuple[str, int]]:
    """The memo slots of a character's anchors in each chapter (see `_marks_by_chapter`)."""
    return ((slug, here[0].chapter) for here in by_chapter)


def _marks(slug: str, places: tuple[tuple[int, int, int, int], ...]) -> tuple[Mention, ...]:
    """A character's mentions in one chapter, at `places`, numbered from 1 in reading order."""
    return tuple(
        Mention(c, b, start, end, f"m-{slug}-{number}")
        for number, (c, b, start, end) in enumerate(places, start=1)
    )


def detect(
    chapters: tuple[Chapter, ...],
    config: CharacterConfig,
    scans: Sequence[Scan] | None = None,
    memos: Memos | None = None,
) -> tuple[CharacterIndex, list[Diagnostic]]:
    """The anthology's characters, as detected and then curated by `config`. `scans` are the
    chapters' `scan_chapter` results when the caller already has them; `memos` keep what
    each chapter adds from one build to the next (see `_mentions`, `_identities` and
    `_index`)."""
    if scans is None:
        scans = [scan_chapter(c, chapter) for c, chapter in enumerate(chapters)]
    if len(scans) != len(chapters):
        raise ValueError(f"{len(scans)} scans for {len(chapters)} chapters")
    curator = _Curator(chapters, config)
    if memos is None:
        decided = _decide(scans)
    else:  # the same while no chapter's own say on its names changed
        votes = tuple((scan.people, scan.votes) for scan in scans)
        decided = memos.decided.get(None, votes, partial(_decide, scans))
    seen = curator.ignore(_mentions(scans, decided, chapters, memos.mentions if memos else None))
    curator.drafts = _identities(seen, chapters, memos)
    curator.add()
    curator.merge()
    curator.split()
    curator.describe()
    return _index(curator.drafts, memos), curator.found
