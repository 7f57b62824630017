"""Product names cut into comparable tokens: words, numbers, model numbers, versions.

Advisories and hospital inventories name one device in many ways: `Alaris 8015 PC unit`,
`Pompe Alaris PC Unit model 8015`, `MMT-1715` / `mmt 1715`, `Wi-Fi` / `WiFi`, `Moniteur
IntelliVue MX40 (WLAN)`. `tokenize()` turns a name into a list of `Token`s that the device
matcher aligns (vigie.engines.advisories.device_match):

* **kinds**: `word` (letters), `number` (digits), `model` (letters and digits: `mx40`, `em2400`,
  `mmt1715`, a short prefix joined to its number `EC 40` -> `ec40`, a range `MX400-MX850`),
  `version` (`4.2.x`, `1.0`, `12.2.x.x`: a version family written inside a name).
* **folding**: accents, case and mojibake as everywhere (names.fold); hyphenated words are one
  token (`Wi-Fi` -> `wifi`, `CRT-D` -> `crtd`), plurals are singular (`monitors` -> `monitor`),
  and category nouns are read in English (`moniteur` -> `monitor`, `pompe` -> `pump`).
* **soft** tokens are category nouns and descriptors (`system`, `pump`, `monitor`, `wireless`,
  `patient`...): a name may add or leave them out without naming another product, and they
  never make two products the same on their own.
* **optional** tokens come from parentheses (`(CSCS)`, `(iOS)`, `(WLAN only)`): they may
  satisfy the other side's words, but are never required.
* **stop** words (`the`, `of`, `version`, `model`, `series`, `de`, `pour`...) are kept in the
  list only so that joined spellings (`Point of Care` = `Point-of-Care`) and acronyms can be
  recognised; they are never compared on their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

from vigie.engines.advisories.names import PRODUCT_STOPWORDS, fold_keeping

TokenKind = Literal["word", "number", "model", "version"]

# The generic words of product names (names.PRODUCT_STOPWORDS: `the`, `version`, `model`,
# `software`...), with the French ones of hospital registers and a few more.
STOPWORDS = PRODUCT_STOPWORDS | frozenset(
    {
        "w",
        "vers",
        "apps",
        "type",
        "ref",
        "part",
        "pn",
        "rev",
        "revision",
        "release",
        "rel",
        "de",
        "du",
        "des",
        "la",
        "le",
        "les",
        "l",
        "d",
        "et",
        "en",
        "au",
        "aux",
        "pour",
        "avec",
        "sur",
        "sous",
        "modele",
        "logiciel",
        "micrologiciel",
    }
)

# Category nouns and descriptors, in their English form; French (and a few other) spellings map
# to them. They describe what kind of thing a product is, not which product it is.
_SOFT_EN = (
    "system",
    "pump",
    "infusion",
    "syringe",
    "volumetric",
    "monitor",
    "monitoring",
    "station",
    "workstation",
    "server",
    "unit",
    "device",
    "equipment",
    "imaging",
    "image",
    "ultrasound",
    "echography",
    "ventilator",
    "ventilation",
    "anesthesia",
    "anaesthesia",
    "scanner",
    "analyzer",
    "analyser",
    "defibrillator",
    "electrocardiograph",
    "ecg",
    "ekg",
    "programmer",
    "reader",
    "printer",
    "gateway",
    "controller",
    "control",
    "patient",
    "central",
    "telemetry",
    "receiver",
    "transmitter",
    "portal",
    "client",
    "viewer",
    "manager",
    "management",
    "interface",
    "hub",
    "platform",
    "console",
    "terminal",
    "computer",
    "pc",
    "display",
    "generator",
    "dialysis",
    "hemodialysis",
    "haemodialysis",
    "delivery",
    "therapy",
    "vital",
    "sign",
    "bed",
    "cabinet",
    "dispensing",
    "medication",
    "insulin",
    "glucose",
    "meter",
    "wireless",
    "wifi",
    "wlan",
    "lan",
    "bluetooth",
    "network",
    "networked",
    "mobile",
    "portable",
    "handheld",
    "bedside",
    "worn",
    "wearable",
    "remote",
    "home",
    "cloud",
    "web",
    "online",
    "desktop",
    "medical",
    "clinical",
    "hospital",
    "healthcare",
    "health",
    "solution",
    "suite",
    "kit",
    "tool",
    "utility",
    "xray",
    "radiography",
    "radiology",
    "tomography",
    "mammography",
    "cardiology",
    "laboratory",
    "lab",
    "automated",
    "automation",
    "integrated",
    "connected",
    "smart",
    "digital",
    "electronic",
    "cardiac",
    "vascular",
    "surgical",
    "surgery",
    "endoscope",
    "endoscopy",
    "camera",
    "cart",
    "sensor",
    "probe",
    "battery",
    "charger",
    "dock",
    "docking",
    "accessory",
    "implant",
    "implantable",
    "pacemaker",
    "transceiver",
    "wand",
    "bridge",
    "database",
    "service",
    "services",
    "processor",
    "specimen",
    "review",
    "processing",
    "information",
    "record",
    "records",
    "emr",
    "ehr",
    "pacs",
    "ris",
    "dicom",
    "defibrillator",
    "icu",
    "pet",
    "ct",
    "mri",
    "slice",
    "compressor",
    "cytometer",
    "eeg",
    "emg",
    "electrosurgery",
    "electrosurgical",
    "plugin",
    "extension",
    "addon",
    "box",
)
_SOFT_ALIASES: dict[str, str] = {
    "systeme": "system",
    "pompe": "pump",
    "perfusion": "infusion",
    "seringue": "syringe",
    "pousse": "syringe",
    "volumetrique": "volumetric",
    "moniteur": "monitor",
    "scope": "monitor",
    "monitorage": "monitoring",
    "surveillance": "monitoring",
    "poste": "workstation",
    "serveur": "server",
    "unite": "unit",
    "dispositif": "device",
    "appareil": "device",
    "equipement": "equipment",
    "imagerie": "imaging",
    "echographe": "ultrasound",
    "echographie": "ultrasound",
    "echograph": "ultrasound",
    "respirateur": "ventilator",
    "ventilateur": "ventilator",
    "anesthesie": "anesthesia",
    "tomodensitometre": "scanner",
    "analyseur": "analyzer",
    "automate": "analyzer",
    "defibrillateur": "defibrillator",
    "electrocardiographe": "electrocardiograph",
    "programmateur": "programmer",
    "lecteur": "reader",
    "imprimante": "printer",
    "passerelle": "gateway",
    "controleur": "controller",
    "centrale": "central",
    "telemetrie": "telemetry",
    "recepteur": "receiver",
    "emetteur": "transmitter",
    "portail": "portal",
    "visionneuse": "viewer",
    "gestionnaire": "manager",
    "gestion": "management",
    "plateforme": "platform",
    "ordinateur": "computer",
    "ecran": "display",
    "generateur": "generator",
    "dialyse": "dialysis",
    "hemodialyse": "hemodialysis",
    "therapie": "therapy",
    "signe": "sign",
    "vitaux": "vital",
    "vitale": "vital",
    "lit": "bed",
    "armoire": "cabinet",
    "distribution": "dispensing",
    "medicament": "medication",
    "insuline": "insulin",
    "glycemie": "glucose",
    "reseau": "network",
    "portatif": "portable",
    "medicale": "medical",
    "clinique": "clinical",
    "hopital": "hospital",
    "sante": "health",
    "radiographie": "radiography",
    "radiologie": "radiology",
    "tomographie": "tomography",
    "mammographe": "mammography",
    "mammographie": "mammography",
    "cardiologie": "cardiology",
    "laboratoire": "laboratory",
    "connecte": "connected",
    "numerique": "digital",
    "electronique": "electronic",
    "cardiaque": "cardiac",
    "chirurgical": "surgical",
    "chirurgie": "surgery",
    "endoscopie": "endoscopy",
    "camera": "camera",
    "chariot": "cart",
    "capteur": "sensor",
    "sonde": "probe",
    "batterie": "battery",
    "chargeur": "charger",
    "stimulateur": "pacemaker",
    "implantable": "implantable",
    "base": "database",
    "icd": "defibrillator",
    "crtd": "defibrillator",
    "reanimation": "icu",
    "rea": "icu",
    "tep": "pet",
    "tdm": "ct",
    "irm": "mri",
    "compresseur": "compressor",
    "cytometre": "cytometer",
    "electrochirurgie": "electrosurgery",
    "electrochirurgical": "electrosurgical",
    "boitier": "box",
    "donnees": "database",
    "processeur": "processor",
    "echantillon": "specimen",
}
SOFT_WORDS = frozenset(_SOFT_EN) | frozenset(_SOFT_ALIASES)
# French compounds that are two English category words (`pousse-seringue` = syringe pump).
_SOFT_COMPOUNDS: dict[str, tuple[str, ...]] = {
    "pousseseringue": ("syringe", "pump"),
    "electrocardiogramme": ("electrocardiograph",),
}
# Words of hospital asset registers that say where a device is, not what it is (read only when
# an inventory row has no product and its name is used instead).
NOISE_WORDS = frozenset(
    {
        "rea",
        "reanimation",
        "salle",
        "box",
        "bloc",
        "chambre",
        "service",
        "urgences",
        "urgence",
        "inventaire",
        "inv",
        "num",
        "numero",
        "site",
        "etage",
        "batiment",
        "unite",
        "pole",
        "secteur",
        "sau",
        "usc",
        "usic",
        "sspi",
        "neonat",
        "neonatologie",
        "pediatrie",
        "maternite",
        "consultation",
        "hdj",
        "room",
        "ward",
        "icu",
        "or",
        "spare",
        "pret",
        "reserve",
        "stock",
    }
)


@dataclass(frozen=True, slots=True)
class Token:
    """One comparable piece of a name. `text` is canonical; `raw` as written, for reasons."""

    text: str
    kind: TokenKind
    raw: str
    position: int  # order in the name; joins and acronyms need adjacency
    optional: bool = False  # from parentheses
    soft: bool = False  # a category noun or descriptor
    stop: bool = False  # a generic word, only kept for joins and acronyms
    stem: str = ""  # models: the leading letters (`qz` of `qz40`)
    digits: str = ""  # models: the number after the stem
    low: int | None = None  # model ranges (`MX400-MX850`): the bounds of the number
    high: int | None = None
    vendor: bool = False  # spells the vendor's name: compared, never a product word of its own
    initial: str = ""  # what the word gives an acronym (`Point-of-Care` -> `pc`)
    initial_all: str = ""  # the same with its stop words (`Research-Use-Only` -> `ruo`)

    @property
    def compared(self) -> bool:
        """Whether the token takes part in the comparison at all."""
        return not self.stop

    @property
    def distinctive(self) -> bool:
        """A word that names a product (not a category), or a model that names one."""
        if self.stop or self.soft:
            return False
        if self.kind == "word":
            return True
        if self.kind == "model":
            return len(self.text) >= 4 and any(c.isalpha() for c in self.text)
        return False

    @property
    def identifying(self) -> bool:
        """A model or number: tokens that tell two models of one product line apart."""
        return self.kind in ("model", "number") and not self.stop


def singular(word: str) -> str:
    """English plural to singular, conservatively (`monitors`, `batteries`; not `xeleris`)."""
    if len(word) >= 5 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) >= 5 and word.endswith("s") and not word.endswith(("ss", "us", "is", "os")):
        return word[:-1]
    return word


def canonical_word(word: str) -> tuple[str, bool, bool]:
    """(canonical text, soft, stop) of a folded word.

    Category words are read in their English singular (`moniteurs` -> `monitor`); other words
    keep their spelling (`Philips` is not a plural), and plurals are compared by `same_word`.
    """
    if word in STOPWORDS:
        return word, False, True
    alias = _SOFT_ALIASES.get(word)
    if alias is not None:
        return alias, True, False
    if word in SOFT_WORDS:
        return word, True, False
    one = singular(word)
    alias = _SOFT_ALIASES.get(one)
    if alias is not None:
        return alias, True, False
    if one in STOPWORDS:
        return one, False, True
    if one in SOFT_WORDS:
        return one, True, False
    return word, False, False


def same_word(a: str, b: str) -> bool:
    """Equal, or equal once an English plural is made singular (`Planners` = `Planner`)."""
    return a == b or singular(a) == singular(b)


# A model range: `MX400-MX850`, `MX400-550`, `MP20-MP90` (same letters, or none, after the dash).
_MODEL_RANGE = re.compile(
    r"(?<![a-z0-9])(?P<stem>[a-z]{1,4})(?P<low>\d{1,5})\s*-\s*(?P<stem2>[a-z]{1,4})?(?P<high>\d{1,5})"
    r"(?![a-z0-9.])",
    re.IGNORECASE,
)
# A version family written in a name: `4.2.x`, `12.2.x.x`, `1.0`, `v8.x`, `3.x`.
_VERSION_IN_NAME = re.compile(r"^v?\d+(?:\.(?:\d+|x))+$|^v?\d+\.x$")
_CHUNK = re.compile(r"[^\s/,;:+&|\[\]{}<>\"'!?=*#]+")
_ALPHA = re.compile(r"[a-z]+")
_MODEL_SHAPE = re.compile(r"^(?P<stem>[a-z]*)(?P<digits>\d+)[a-z0-9]*$")
# `Discovery XR656+` is the XR656 Plus.
_TRAILING_PLUS = re.compile(r"(?<=[A-Za-z0-9])\+(?=$|[\s/,;)])")
# `MX800/700/600` lists models MX800, MX700 and MX600.
_SLASHED_NUMBERS = re.compile(
    r"(?<![a-z0-9])(?P<stem>[a-z]{1,4})(?P<first>\d+)(?P<rest>(?:/\d+)+)(?![a-z0-9])"
)


def _stem_each(match: re.Match[str]) -> str:
    stem = match.group("stem")
    numbers = [match.group("first"), *match.group("rest").strip("/").split("/")]
    return "/".join(stem + n for n in numbers)


_LEADING_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")
_SHORT_PREFIX_MAX = 3  # `EC 40`, `MMT 1715`, `NM 630` are one model; `Vivid 7` is not


def _segments(text: str) -> list[tuple[str, bool]]:
    """The text cut into (piece, inside parentheses) by a depth-counting scan."""
    out: list[tuple[str, bool]] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char in "([":
            if current:
                out.append(("".join(current), depth > 0))
                current = []
            depth += 1
        elif char in ")]":
            if current:
                out.append(("".join(current), depth > 0))
                current = []
            depth = max(0, depth - 1)
        else:
            current.append(char)
    if current:
        out.append(("".join(current), depth > 0))
    return out


def _word_or_model(raw: str, position: int, optional: bool) -> list[Token]:
    text = raw.strip(".-").lower()
    if not text:
        return []
    if _VERSION_IN_NAME.match(text):
        return [Token(text.lstrip("v"), "version", raw, position, optional)]
    if "." in text:
        # `1.5T`, `Symbia.net`: dots inside a word or model are not separators of meaning.
        joined = text.replace(".", "")
        if joined.isalnum():
            text = joined
        else:
            return [
                t for piece in text.split(".") for t in _word_or_model(piece, position, optional)
            ]
    parts = [p for p in text.split("-") if p]
    if not parts:
        return []
    compact = "".join(parts)
    if compact in _SOFT_COMPOUNDS:
        return [
            Token(word, "word", raw, position, optional, soft=True)
            for word in _SOFT_COMPOUNDS[compact]
        ]
    if compact.isalpha():
        canonical, soft, stop = canonical_word(compact)
        if len(parts) > 1 and not (soft or stop):
            # `TEP-TDM`, `Pousse-seringue`: a compound of category words is those words.
            read = [canonical_word(p) for p in parts]
            if all(s or x for _, s, x in read):
                return [
                    Token(word, "word", raw, position, optional, soft=s, stop=x)
                    for word, s, x in read
                ]
        return [Token(canonical, "word", raw, position, optional, soft=soft, stop=stop)]
    if compact.isdigit():
        return [Token(compact.lstrip("0") or "0", "number", raw, position, optional)]
    # Leading zeros inside a model are not significant (`BT03` is `BT 3`).
    compact = _LEADING_ZEROS.sub("", compact)
    shape = _MODEL_SHAPE.match(compact)
    stem, digits = (shape.group("stem"), shape.group("digits")) if shape else ("", "")
    return [Token(compact, "model", raw, position, optional, stem=stem, digits=digits)]


@lru_cache(maxsize=1 << 15)
def tokenize(text: str) -> tuple[Token, ...]:
    """The tokens of a product name, in order (see the module docstring)."""
    tokens: list[Token] = []
    position = 0
    for piece, optional in _segments(text):
        folded = fold_keeping(_TRAILING_PLUS.sub(" plus", piece), "-./", lower=False)
        folded = _SLASHED_NUMBERS.sub(_stem_each, folded)
        spans: list[tuple[int, int, Token | None]] = []
        for match in _MODEL_RANGE.finditer(folded):
            stem2 = match.group("stem2")
            stem = match.group("stem").lower()
            if stem2 is not None and stem2.lower() != stem:
                continue
            low, high = int(match.group("low")), int(match.group("high"))
            if high <= low:
                continue
            spans.append(
                (
                    match.start(),
                    match.end(),
                    Token(
                        f"{stem}{low}-{high}",
                        "model",
                        match.group(0),
                        0,
                        optional,
                        stem=stem,
                        digits=str(low),
                        low=low,
                        high=high,
                    ),
                )
            )
        cursor = 0
        chunks: list[tuple[str, Token | None]] = []
        for start, end, token in spans:
            chunks += [(c, None) for c in _CHUNK.findall(folded[cursor:start])]
            chunks.append(("", token))
            cursor = end
        chunks += [(c, None) for c in _CHUNK.findall(folded[cursor:])]
        for raw, ready in chunks:
            if ready is not None:
                tokens.append(_at(ready, position))
                position += 1
                continue
            for token in _word_or_model(raw, position, optional):
                tokens.append(_at(token, position))
                position += 1
    return tuple(_with_initials(t) for t in _join_short_prefixes(tokens))


def _with_initials(token: Token) -> Token:
    if token.kind != "word":
        return token
    letters: list[str] = []
    letters_all: list[str] = []
    for part in fold_keeping(token.raw, "-", lower=False).replace("-", " ").split():
        # A word written in capitals of two or three letters gives all of them: acronyms
        # compose (`PC Unit` -> `pcu`).
        capitals = [c for c in part if c.isupper()]
        if 2 <= len(part) <= 3 and part.isupper():
            given = part.lower()
        elif part[0].isupper() and len(capitals) >= 2 and not part.isupper():
            given = "".join(capitals).lower()  # `LifePoint` -> `lp`, `IntelliSpace` -> `is`
        else:
            given = part[0].lower()
        letters_all.append(given)
        if part.lower() not in STOPWORDS:
            letters.append(given)
    return replace(token, initial="".join(letters), initial_all="".join(letters_all))


def _at(token: Token, position: int) -> Token:
    return replace(token, position=position)


def _join_short_prefixes(tokens: list[Token]) -> list[Token]:
    """`EC 40` -> model `ec40`: a short letter prefix followed by its number is one model."""
    out: list[Token] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if (
            following is not None
            and token.kind == "word"
            and not token.stop
            and not token.soft
            and len(token.raw.strip(".-")) <= _SHORT_PREFIX_MAX
            and following.kind == "number"
            and token.optional == following.optional
        ):
            out.append(
                Token(
                    token.text + following.text,
                    "model",
                    f"{token.raw} {following.raw}",
                    token.position,
                    token.optional,
                    stem=token.text,
                    digits=following.text,
                )
            )
            index += 2
            continue
        out.append(token)
        index += 1
    return out


def initials(tokens: list[Token], *, with_stop_words: bool = False) -> str:
    """First letters of words, stop words skipped (`Point-of-Care Unit` -> `pcu`), or kept
    (`Research Use Only` -> `ruo`)."""
    if with_stop_words:
        return "".join(t.initial_all for t in tokens if t.kind == "word")
    return "".join(t.initial for t in tokens if t.kind == "word" and not t.stop)
