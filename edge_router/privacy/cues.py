"""Cue patterns for ``framing.py``: what marks one place of a name as private, cited,
public or invented. Compiled once at import; each is matched on a short window.

They are structural (greetings, sign-offs, citations, exam formats) or supplement the
configurable word lists of ``ScannerSettings`` (public_context_words,
invented_context_words, task_verbs), which ``framing.Framer`` compiles itself.

Example::

    bool(GREETING_BEFORE.search("Dear Mr. "))   # True
"""

from __future__ import annotations

import re

from edge_router.privacy.exercises import REAL_DAYS

# Public figures of the last twenty years whose family names the WordNet lemma index
# (about 2006) lacks; with it they could never count as public.
MODERN_PUBLIC_NAMES: frozenset[str] = frozenset(
    {
        "obama", "biden", "merkel", "macron", "zelensky", "zelenskyy", "trudeau", "modi",
        "jinping", "erdogan", "sunak", "starmer", "scholz", "pelosi", "zuckerberg", "bezos",
        "altman", "nadella", "pichai", "hinton", "lecun", "bengio", "beyonce", "rihanna",
        "kardashian", "messi", "ronaldo", "federer", "nadal", "djokovic", "thunberg",
        "yousafzai", "rowling", "sheeran", "bieber", "lula", "milei", "netanyahu",
    }
)  # fmt: skip

TITLE = r"(?:mr|mrs|ms|mx|miss|dr|prof|herrn?|frau|madame|monsieur|señora?|sr|sra)\.?"

# Greetings and salutations, in the languages users most often paste mail in.
GREETING_WORDS = (
    r"hi|hello|hey|hiya|howdy|dear|greetings|good\s+(?:morning|afternoon|evening)|"
    r"thanks|thank\s+you|привет|здравствуй(?:те)?|дорог(?:ой|ая|ие)|уважаем(?:ый|ая|ые)|"
    r"добрый\s+(?:день|вечер)|доброе\s+утро|hallo|liebe[rs]?|sehr\s+geehrte[rs]?|bonjour|"
    r"salut|cher|chère|hola|querid[oa]|estimad[oa]|ciao|car[oa]|olá|oi|hej|hoi"
)
GREETING_BEFORE = re.compile(
    rf"(?:^|[^\w])(?:{GREETING_WORDS})[ \t]*,?[ \t]*(?:{TITLE}[ \t]+)?$", re.IGNORECASE
)
# The greetings that also thank someone in public ("thank you X for the four titles").
THANKS = re.compile(r"\bthank", re.IGNORECASE)
GREETING_INSIDE = re.compile(rf"(?:{GREETING_WORDS})[ \t]*,?[ \t]+\S", re.IGNORECASE)
# A sign-off opening a line or sentence, then punctuation or a line break, then the name.
SIGN_OFF_BEFORE = re.compile(
    r"(?:^|\n|[.!?][ \t]+)[ \t]*(?:best(?:\s+regards|\s+wishes)?|(?:kind|warm|many)\s+"
    r"(?:regards|thanks)|regards|cheers|thanks|thank\s+you|sincerely|yours(?:\s+(?:truly|"
    r"sincerely|faithfully))?|love|xoxo|warmly|respectfully|take\s+care|talk\s+soon|"
    r"all\s+the\s+best|с\s+уважением|спасибо|viele\s+grüße|grüße|mfg|cordialement|"
    r"saludos|un\s+saludo|un\s+abrazo)(?:[ \t]*[,!.][ \t]*\n?|[ \t]*\n)[ \t\n]*(?:[-—–]+[ \t]*)?$",
    re.IGNORECASE,
)
# "-- Tom" or "— Anna" alone at the start of a line: a signature.
DASH_SIGNATURE = re.compile(r"(?:^|\n)[ \t]*(?:--|—|–)[ \t]*$")
# Mail headers: "From: ...", "Cc: ...". Form labels ("Name:") are left out: fact sheets
# about public figures use them too, and forms carry other personal data.
HEADER_BEFORE = re.compile(
    r"(?:^|\n)[ \t]*(?:from|to|cc|bcc|sender|recipient|attn|attention|signed|"
    # the staff member on a receipt, ticket or delivery note ("Server: Zainab")
    r"server|cashier|waiter|waitress|served[ \t]+by|your[ \t]+server|driver|courier|"
    r"stylist|therapist|technician|engineer|agent|operator|clerk|assigned[ \t]+to|"
    r"handled[ \t]+by|customer|patient|guest|tenant|employee)"
    r"[ \t]*:[ \t]*(?:" + TITLE + r"[ \t]+)?$",
    re.IGNORECASE,
)
# "write an email to Ms. X", "draft a note for Anna": within the same sentence.
ADDRESSED_BEFORE = re.compile(
    r"\b(?:write|writing|draft|compose|send|sending|reply|respond|email|e-mail|mail|message|"
    r"letter|note|memo|text|invitation|invite|card|reminder|apology|toast|dm)\b"
    r"[^.!?\n]{0,80}?\b(?:to|for|cc)[ \t]+(?:(?:my|our)[ \t]+)?(?:" + TITLE + r"[ \t]+)?$",
    re.IGNORECASE,
)
# "email Anna", "invite Dr. Patel", "thank Tom": the name right after the verb.
VERB_BEFORE = re.compile(
    r"\b(?:email|e-mail|message|ping|dm|cc|bcc|invite|remind|thank|congratulate|tell|text)[ \t]+"
    r"(?:" + TITLE + r"[ \t]+)?$",
    re.IGNORECASE,
)
CITED_AFTER = re.compile(
    r"^(?:\s+et\s+al\b|\s+and\s+colleagues\b|(?:['’]s)?\s*\(\s*(?:19|20)\d\d[a-z]?\s*[),;]|"
    r",\s*(?:19|20)\d\d[a-z]?\s*[);]|\s*(?:and|&)\s+[^\W\d_][\w'’-]+(?:\s+et\s+al\.?)?\s*"
    r"[(,]\s*(?:19|20)\d\d)",
    re.IGNORECASE,
)
# A bibliography entry: a year, then what only references have (volume(issue), pages,
# "2015;521:436", a DOI, "In:", a journal or proceedings).
_REFERENCE_TAIL = re.compile(
    r"(?:19|20)\d\d[a-z]?\b.*?(?:\d+\s*\(\d+\)|;\s*\d+\s*:|\bpp?\.\s*\d|\bdoi\b|"
    r"\bvol\.?\s*\d|\bIn:\s|\b(?:journal|proceedings|conference|arxiv|press)\b)",
    re.IGNORECASE,
)


def in_reference(text: str, start: int) -> bool:
    """Is ``start`` among the authors of a bibliography entry ("LeCun Y, Bengio Y,
    Hinton G. Deep learning. Nature 2015;521:436-44"): before the entry's year?"""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    tail = _REFERENCE_TAIL.search(text, start, line_end if line_end >= 0 else len(text))
    return tail is not None and start - line_start < 200


PUBLIC_TITLE_BEFORE = re.compile(
    r"\b(?:ceo|cto|cfo|founder|president|vice\s+president|senator|congressman|"
    r"congresswoman|governor|mayor|minister|chancellor|king|queen|prince|princess|pope|"
    r"saint|st\.|sir|dame|lord|lady|general|emperor|empress|tsar|czar|pharaoh|sultan|"
    r"ayatollah|chairman|secretary\s+of\s+state|justice|judge|coach|captain|director)"
    r"[ \t]+$",
    re.IGNORECASE,
)
# Offices whose holders act publicly: right before a name (not after "my", "our", ...)
# they make it public whether or not the name is known ("CEO Koji Sato").
PUBLIC_OFFICE_BEFORE = re.compile(
    r"(?<!\bmy\s)(?<!\bour\s)(?<!\bhis\s)(?<!\bher\s)(?<!\byour\s)(?<!\btheir\s)"
    r"\b(?:ceo|cto|cfo|coo|founder|co-founder|president|vice\s+president|senator|congressman|"
    r"congresswoman|governor|mayor|minister|prime\s+minister|chancellor|king|queen|prince|"
    r"princess|pope|emperor|empress|sultan|chairman|chairwoman|secretary\s+of\s+state|"
    r"(?-i:Chair|Chairperson|Commissioner)|secretary-general|treasury\s+secretary|"
    r"presidente|président|präsident|bundeskanzler|kanzler|ministre|ministro|"
    r"президент|министр|премьер|الرئيس\s+التنفيذي|الرئيس|الوزير|رئیس\s*جمهور|وزیر)"
    r"[ \t]+$",
    re.IGNORECASE,
)
# "who was X", "the life of X", "the work of X": asked about as history or an oeuvre.
PUBLIC_POSITION_BEFORE = re.compile(
    r"(?:\bwho\s+(?:was|were)|\bquién\s+(?:fue|era)|\bqui\s+(?:était|fut)|\bwer\s+war|"
    r"\bкто\s+(?:был|была)|\b(?:the\s+)?(?:life|works?|oeuvre|legacy)\s+of|"
    r"\bla\s+(?:vida|obra|vie)\s+de|\bl['’]œuvre\s+de|\bdas\s+(?:leben|werk)\s+von)"
    r"[ \t]+$",
    re.IGNORECASE,
)
# "who is X": public only when X could be a public figure's name ("who is my new
# neighbour Anna" is not); see ``framing.Framer._is_known``.
WHO_IS_BEFORE = re.compile(
    r"(?:\bwho\s+is|\bwho's|\bquién\s+es|\bqui\s+est|\bwer\s+ist|\bкто\s+так(?:ой|ая)|"
    r"من\s+(?:هو|هي))[ \t]+$",
    re.IGNORECASE,
)
# Public acts and settings in the languages users write in, beyond public_context_words:
# they vouch only for known names, like PUBLIC_ACTS.
PUBLIC_ACTS_MORE = re.compile(
    r"\b(?:open\s+letter|role\s+model|idol|bio|biography|sources|historians?|penalty|scored|"
    r"league|theory\s+of|conquer(?:ed|or)?|assassinat\w+|"
    r"championship|world\s+cup|olympics|discours|discurso|rede|речь|выступ\w*|novela|"
    r"roman|famos[oa]|célèbre|berühmt|знаменит\w*|известн\w*|"
    r"teor[ií]as?|théories?|theorien?|теори\w*|nobel\w*|нобелев\w*|"
    # what people ask about public figures: quotes, legacy, rivalries, history
    r"fake\s+quotes?|misattributed|rivalry|feud|"
    r"real\s+(?:guy|person)|symphon\w*|симфони\w*|résistance|revoluci[oó]n|r[ée]volution|"
    r"революц\w*|independencia|indépendance|unabhängigkeit|"
    # holding a public office: "as mayor of Greater Manchester", "seine Amtszeit als
    # Ministerpräsident", "en tant que président" (not "as president of our club")
    r"as\s+(?:the\s+)?(?:mayor|governor|president|prime\s+minister|chancellor|premier|"
    r"senator|minister|secretary\s+of\s+state)\s+of\s+(?!(?:my|our|the\s+local)\b)|"
    r"amtszeit|als\s+(?:bundes)?(?:kanzler(?:in)?|präsident(?:in)?|"
    r"ministerpräsident(?:in)?|bürgermeister(?:in)?)|en\s+tant\s+que\s+(?:président|"
    r"premier\s+ministre|maire)|como\s+(?:presidente|alcalde|primer\s+ministro))\b",
    re.IGNORECASE,
)
# Around an @handle: the account is followed, official or performs publicly ("follow
# @NatGeo", "@band you were amazing at the tour", "gracias @club por esta temporada").
PUBLIC_HANDLE = re.compile(
    r"\b(?:follow(?!(?:ed|ing)?\s+up)\w*|subscribe\w*|official|verified|tour|concert|album|"
    r"season|temporada|saison|сезон|championship|league|stadium|fans)\b",
    re.IGNORECASE,
)
# "open letter to X", "a bio for X": written about X, not to them.
NOT_ADDRESSED = re.compile(
    r"\b(?:open\s+letter|bio|biography|profile|obituary|wikipedia|article)\b", re.IGNORECASE
)
# Works the user makes up or continues, in the languages users write in. Chinese words
# stand inside runs of characters, so they match anywhere.
INVENTED_MORE = re.compile(
    r"\b(?:limerick|haiku|sonnet|ballad|my\s+(?:novel|book|story|screenplay|script|play)|"
    r"(?:the|this)\s+scene|continue\s+the\s+scene|fan\s*fic(?:tion)?|sequel|"
    r"(?:the|alternate|alternative|new)\s+ending|bedtime\s+story|сказк\w*|рассказ\w*|"
    r"придума\w*|стих\w*|داستان|قصه|قصة|حكاية|cuento|relato|poema|conte|poème|"
    r"geschichte|märchen|gedicht|gutenachtgeschichte|"
    # a genre or tabletop play as what is asked for: "a short mystery where ...", "my
    # D&D bard" (not a catalogue's genre list: "Mystery & Suspense / Directed By: X")
    r"(?:a|an|short|my|our|your|this|the)\s+(?:mystery|thriller|fable|novella|backstory|"
    r"protagonist|antagonist|villain|npc|d&d|dnd|tabletop|rpg|one-shot))(?!\w)|故事|小说|童话",
    re.IGNORECASE,
)
# Screen, stage, sport and news settings only public people and characters stand in:
# they vouch for any name in their sentence, known or not ("Kendall Roy in season 2",
# "at the premiere", "won the Boston Marathon", "told analysts"). A relationship or
# private fact in the request keeps a name private before framing is read (context.py).
MEDIA_OR_SPORT = re.compile(
    r"\b(?:season\s+\d+|(?:season|series)\s+finale|episodes?\s+\d+|premiere|red\s+carpet|"
    r"box\s+office|met\s+gala|oscars?|grammys?|emmys?|golden\s+globes?|anime|manga|"
    r"fandom|cosplay|fan\s*art|ballon\s+d['’]or|grand\s+slams?|super\s+bowl|"
    r"world\s+cup|champions\s+league|premier\s+league|nba|nfl|formula\s+1|f1|"
    r"hat[- ]trick|golazo|spoilers?|playthrough|walkthrough|dlc|"
    r"side\s+quests?|boss\s+fights?|best\s+build|"
    r"told\s+(?:reporters|analysts|investors|journalists)|said\s+in\s+a\s+statement)\b"
    r"|\bwon\s+(?:the\s+|an?\s+)?(?-i:(?:[A-Z][\w'’-]+\s+){1,3})(?:marathon|open|cup|championship|"
    r"grand\s+prix|league)\b",
    re.IGNORECASE,
)
# Nouns after a brand, not a person: "X webhooks", "X templates", "X's customer service".
PRODUCT_AFTER = re.compile(
    r"(?:['’]s)?[ \t]+(?:api|apis|sdk|app|apps|webhooks?|templates?|plugin|extension|account|"
    r"subscription|premium|store|stores|shop|website|customer\s+(?:service|support)|support|"
    r"hotline|helpdesk|flights?|airline|headquarters|hq|products?|brand|"
    r"dashboard|platform|servers?|cloud|integration|license|licence|ads|sneakers|trainers)\b",
    re.IGNORECASE,
)
# Between two items of one list: ", ", " and ", " or ", " & ", " vs ", " / ".
LIST_JOINER = re.compile(
    r"[ \t]*(?:,|/|&|\band\b|\bor\b|\bvs\.?|,[ \t]*and\b)[ \t]*", re.IGNORECASE
)
# A sentence of a customer's complaint or about a company's market.
COMPANY_CONTEXT = re.compile(
    r"\b(?:complaint|customer\s+(?:service|support)|cancelled\s+flight|delayed\s+flight|"
    r"subscribers|market\s+(?:share|cap)|lost\s+share|shareholders|stock\s+price|ipo|"
    r"retailer|airline|headquartered)\b",
    re.IGNORECASE,
)
# Hypotheticals beyond invented_context_words: word problems and thought experiments.
HYPOTHETICAL = re.compile(
    r"\b(?:suppose|supposing|assume|assuming|hypothetical(?:ly)?|let's\s+say|say\s+that|"
    r"here\s+is\s+an\s+example|here's\s+an\s+example|an\s+example\s+(?:of|is)|sample)\b",
    re.IGNORECASE,
)
# What marks an introducer as handing over material to work on: reading verbs and the
# names of things people paste. Checked before invented cues ("Summarize this story:").
CONSUME = re.compile(
    r"\b(?:summari[sz]e|translate|rewrite|re-write|paraphrase|proofread|correct|edit|improve|"
    r"shorten|polish|fix|reply|respond|answer|extract|classify|analy[sz]e|review|check|read|"
    r"convert|format|anonymi[sz]e|redact|tag|label|identify|detect|count|sort|evaluate|"
    r"critique|simplify|explain|e-?mail|mail|note|notes|message|messages|msg|dm|letter|memo|cv|"
    r"resume|résumé|transcript|chat|sms|minutes|post|comment|thread|report|document|"
    r"article|passage|paragraph|text|sentence|sentences|excerpt|quote)\b",
    re.IGNORECASE,
)
# Words that hand over material without saying what it is; checked after invented cues
# ("Write a story with the following characters:" invents them).
GIVEN = re.compile(
    r"\b(?:below|following|attached|given|here\s+is|here's|this\s+is|data|information)\b",
    re.IGNORECASE,
)
# Public acts and works the public_context_words setting does not list.
PUBLIC_ACTS = re.compile(
    r"\b(?:inaugural|inauguration|press\s+conference|presidency|presidential|"
    r"administration|campaign|candidates?|election|elected|memoir|autobiography|"
    r"famous(?:ly)?|speech(?:es)?|debate|conversation\s+between|interview(?:ed)?\s+with|"
    r"published|publisher|wrote|written\s+by|books?|series|saga|trilogy|literature|"
    r"literary|masterpiece|painting|painted|composed|composer|directed\s+by|starring|"
    r"starred|reign|dynasty)\b",
    re.IGNORECASE,
)
# A quoted work title in the sentence: "in 'War and Peace'", "Leonardo's 'Mona Lisa'".
# Title case throughout, so quoted speech ("What are you doing here?") is none.
SMALL_WORDS = r"(?:of|the|and|a|an|in|on|to|for|at|by|with|from|or|de|la|le|von|van|der)"
WORK_TITLE = re.compile(
    r"(?<!\w)['‘\"“][A-Z0-9][\w'’:,-]*(?:[ \t]+(?:[A-Z0-9][\w'’:,-]*|"
    + SMALL_WORDS
    + r"))*[.,]?['’\"”](?!\w)"
)
# A known person's titled work right after the name: "Shakespeare's Hamlet".
POSSESSIVE_WORK = re.compile(r"(?:['’]s)?[ \t]+[A-Z][\w'’-]+")
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


QUOTED = re.compile(r'"[^"\n]{12,}?"|“[^”]{12,}?”|«[^»]{12,}?»|„[^“”]{12,}?[“”]')
QUOTE_LINE = re.compile(r"(?m)^[ \t]*>.*$")
# A regnal number after a single given name: "Henry VIII", "Louis XIV", "Pius XII",
# "Elizabeth II" (monarchs and popes). A name of two words or more takes only V and
# beyond: "Robert Jones III" is a generation, anyone's.
# A word for a work before its quoted title: "сюжет «Анны Карениной»", "le roman «Nana»".
WORK_NOUN_BEFORE = re.compile(
    r"\b(?:роман\w*|книг\w*|повест\w*|рассказ\w*|фильм\w*|сериал\w*|сюжет\w*|пьес\w*|"
    r"опер\w*|песн\w*|альбом\w*|roman|livre|film|série|pièce|opéra|chanson|album|novela|"
    r"libro|película|serie|obra|canción|Roman|Buch|Film|Serie|Oper|Lied)\b[^«»]{0,30}«$",
    re.IGNORECASE,
)
# A name used as the modifier of a term named after someone ("the Kalman filter",
# "Cauchy-Schwarz inequality", "the Doppler effect", "Heimlich maneuver"): a term, not a
# mention of a person. Only nouns that name ideas, methods and honours ("the Kowalski
# file", "the Nowak brothers" stay people), and the possessive only before nouns no one
# has of their own ("Murphy's law", "Occam's razor"; "Maria's disease" stays a person).
EPONYM_AFTER = re.compile(
    r"(?:['’]s[ \t]+(?:law|laws|theorem|razor|principle|paradox|conjecture|lemma|constant|"
    r"equations?|formula|disease|syndrome|thyroiditis|palsy|sarcoma|lymphoma|phenomenon|"
    r"chorea|ataxia|contracture)|[ \t]+(?:effect|filter|inequality|theorem|lemma|conjecture|"
    r"hypothesis|paradox|principle|law|laws|equations?|formula|constant|integral|transform|"
    r"distribution|algorithm|criterion|coefficient|polynomials?|matrix|operator|diagram|"
    r"scale|cycle|reflex|syndrome|disease|maneuver|manoeuvre|prize|award|medal|"
    r"scholarship|fellowship|lectures?|doctrine|razor|radiation|experiment))\b",
    re.IGNORECASE,
)
# A brand before what it makes, alone or paired ("a Seiko watch", "Adidas or Puma running
# shoes", "Dior and Chanel perfume"). No possessive: "Tom's car" is someone's car.
BRAND_AFTER = re.compile(
    r"(?:[ \t]+(?:or|and|vs\.?|versus)[ \t]+(?-i:[A-Z][\w&-]*))?[ \t]+(?:running[ \t]+)?"
    r"(?:shoes|sneakers|trainers|perfume|cologne|fragrance|jeans|handbags?|cars?|suv|"
    r"smartphones?|laptops?|tablets?|headphones|earbuds|cameras?|tv|coffee|beer|whisk(?:e)?y|"
    r"vodka|supermarkets?|restaurants?|products|airlines?|hotels?|"
    # "watch" is a verb too: "can Anna watch the kids"
    r"watch(?:es)?(?![ \t]+(?:the|a|an|my|your|his|her|our|their|its|it|him|them|me|us|this|"
    r"that|over|out|for|tv|movies?|films?|shows?)\b))\b",
    re.IGNORECASE,
)
# A year long past in the sentence: history ("Churchill's strategy in 1940").
HISTORIC_YEAR = re.compile(r"\b(?:1[0-8]\d\d|19[0-4]\d)\b(?!\s*(?:ms|kb|mb|gb|px|rpm|mhz|€|\$))")
# Staff at a firm: "analysts at Morgan Stanley", "engineers at Goldman Sachs" ("the people
# from Tomasz Nowak" may be a one-man business: stays a person).
ORG_STAFF_BEFORE = re.compile(
    r"\b(?:analysts?|economists?|strategists?|researchers?|engineers?|scientists?|"
    r"developers?|executives?|bankers?)[ \t]+at[ \t]+$",
    re.IGNORECASE,
)
# Not a person but a street, a club or a firm named after one, read from the span itself
# ("Karl-Marx-Allee", "Dinamo Zagreb", "Ferencvárosi TC") or what follows it ("the John
# Lewis Partnership", "Tata Sons").
NAMED_AFTER_SPAN = re.compile(
    r"(?:-(?:Allee|Platz|Straße|Strasse|Str\.|Weg|Gasse|Ring|Damm|Ufer|Brücke|Park|Kirche)|"
    r"(?<![\w-])(?:FC|AFC|CF|SC|TC|AC|SV|VfB|VfL|BK|SK|FK|NK|HNK|KV|KRC)|"
    r"(?<![\w-])(?:Dinamo|Dynamo|Sporting|Olympique|Borussia|Atlético|Atletico|Real|Racing|"
    r"Athletic|Rapid|Lokomotiv|Spartak|Partizan|Legia|Slavia|Sparta))(?![\w-])"
)
ORG_AFTER = re.compile(
    r"[ \t]+(?:Partnership|Group|Foundation|Trust|Institute|Ltd\.?|Limited|Inc\.?|plc|PLC|LLC|"
    r"LLP|GmbH|AG|S\.?A\.?|SE|&[ \t]+(?:Co|Sons|Partners)|and[ \t]+Sons|Corporation|Corp\.?|"
    r"Holdings|Stiftung|Prize|Award|Medal|Lecture|Center|Centre|Memorial|Hospital|"
    r"University|College|School|Academy|Library|Museum|Stadium|Arena|Theatre|Theater|"
    r"Building|Room|Auditorium|Pavilion|Station|Airport|Street|Avenue|Boulevard)\b"
)
# A street, building or eponym named before the name, as the Romance languages write
# them ("calle Alcalá", "rue Victor Hugo", "Museo Sorolla", "maladie de Charcot").
STREET_BEFORE = re.compile(
    r"(?<![\w-])(?:calle|avenida|avda\.?|plaza|paseo|rue|avenue|boulevard|bd|quai|allée|"
    r"impasse|piazza|viale|corso|rua|praça|museo|musée|museu|estadio|stade|stadio|estación|"
    r"gare|aeropuerto|aéroport|hôpital|ospedale|colegio|collège|lycée|école|escuela|"
    r"universidad|université|università|teatro|théâtre|parque|parc|(?-i:Place|Via|Hospital)|"
    r"(?:maladie|syndrome|síndrome|enfermedad|théorème|teorema|loi|ley)[ \t]+(?:de|d['’])|"
    r"morbus)[ \t]*$",
    re.IGNORECASE,
)
# Before a place, not a person: "sorties à Lyon", "un piso en Valencia", "moving to Kraków".
LOCATIVE_BEFORE = re.compile(
    r"\b(?:in|à|en|nach|aus|près[ \t]+de|cerca[ \t]+de|around|near|"
    r"(?:mov(?:e|ed|ing)|relocat(?:e|ed|ing)|fly(?:ing)?|flew|travel(?:l?ing)?|trip|"
    r"going|went|driv(?:e|ing))[ \t]+to)[ \t]+$",
    re.IGNORECASE,
)
# A court case: "Miranda v. Arizona", "Donoghue v Stevenson" (not "vs": "Sam vs Tom").
CASE_AFTER = re.compile(r"[ \t]+v\.?[ \t]+(?-i:[A-Z])")
CASE_BEFORE = re.compile(r"(?-i:[A-Z])[\w'’.-]*[ \t]+v\.?[ \t]+$")
# An office in apposition after the name: "Tim Cook, CEO of Apple", "Winfried
# Kretschmann als Ministerpräsident von Baden-Württemberg", "Anne Hidalgo, maire de Paris".
OFFICE_AFTER = re.compile(
    r"(?:,|[ \t]+(?:as|als|comme|como))[ \t]+(?:the[ \t]+|der[ \t]+|die[ \t]+|la[ \t]+|le[ \t]+|"
    r"el[ \t]+|former[ \t]+|then[ \t]+|ehemaliger?[ \t]+|ancien(?:ne)?[ \t]+)?"
    r"(?:ceo|chair(?:man|woman)?|president|prime[ \t]+minister|minister|governor|"
    r"deputy[ \t]+governor|mayor|senator|chancellor|secretary[ \t]+general|"
    r"ministerpräsident(?:in)?|bundeskanzler(?:in)?|bürgermeister(?:in)?|präsident(?:in)?|maire|"
    r"ministre|président(?:e)?|alcalde(?:sa)?|presidente|ministro|ministra)"
    # of a named body: "president of our book club" is no public office
    r"[ \t]+(?:of|von|des|der|de|du)[ \t]+(?:the[ \t]+|la[ \t]+|el[ \t]+)?(?-i:[A-ZÀ-Ý])",
    re.IGNORECASE,
)
# A place named after someone: "Lake Louise", "Mount Kosciuszko", "Cape Cod", "Fort Worth".
PLACE_BEFORE = re.compile(r"(?<![\w-])(?:Lake|Mount|Mt\.?|Fort|Ft\.?|Cape|Port|Glen|Loch)[ \t]+$")
# Epithets that make a single given name a monarch's: "Peter the Great", "Пётр Первый".
EPITHET_AFTER = re.compile(
    r"[ \t]+(?:the[ \t]+(?:Great|Conqueror|Magnificent|Terrible|Wise|Elder|Younger|Bold)|"
    r"(?:le|la)[ \t]+(?:Grand|Magnifique|Conquérant)|(?:el|la)[ \t]+(?:Grande|Católic[oa])|"
    r"(?:der|die)[ \t]+(?:Große|Grosse)|Перв(?:ый|ая|ого|ой|ому)|Втор(?:ой|ая|ого|ому)|"
    r"Трет(?:ий|ья|ьего)|Велик(?:ий|ая|ого|ой|ому)|Грозн(?:ый|ого|ому))(?![\w'’-])"
)
ROMAN_AFTER = re.compile(r"[ \t]+(X{0,3}(?:IX|IV|V?I{0,3}))\b(?![\w'’-])")


# Last words of a span that make it a place, none of them a common family name (not
# "Hall", "Wing", "Trust": "Sarah Hall" is a person).
_PLACE_NOUNS = frozenset(
    [
        "Building",
        "Room",
        "Museum",
        "Stadium",
        "Station",
        "Airport",
        "Hospital",
        "Street",
        "Avenue",
        "Boulevard",
        "Theatre",
        "Theater",
        "Library",
        "Auditorium",
        "Pavilion",
        "Arena",
    ]
)


def named_place(text: str, start: int, end: int, own: str) -> bool:
    """Is the name at text[start:end] a street's, building's, eponym's or court case's,
    by a word before it in ``own`` (its sentence up to it) or at either end of the span
    NER drew round it ("Museo Sorolla", "Pasteur Building")?"""
    words = text[start:end].split()
    inner = len(words) > 1 and (
        STREET_BEFORE.search(words[0] + " ") is not None or words[-1] in _PLACE_NOUNS
    )
    return (
        inner
        or STREET_BEFORE.search(own) is not None
        or CASE_AFTER.match(text, end) is not None
        or CASE_BEFORE.search(own) is not None
    )


# A real occasion in someone's life: a poem or card for it is about a real person, not
# an invented one ("a funny poem for the farewell card of X, who is retiring after 31
# years").
LIFE_EVENT = re.compile(
    r"\b(?:farewell|leaving|retirement|birthday|get[ -]well|wedding|anniversary|sympathy|"
    r"condolence|thank[ -]you)[ \t]+(?:card|speech|toast|message|note|do|party)\b|"
    r"\bretir(?:ing|es)[ \t]+after\b|\bafter[ \t]+\d+[ \t]+years[ \t]+(?:in|at|with|of)\b|"
    rf"\b{REAL_DAYS}\b",
    re.IGNORECASE,
)
