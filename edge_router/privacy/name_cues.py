"""Where a person's name stands in English text, whatever its casing: the cue patterns
``names.ContextNameRecognizer`` runs ("my name is amer", "Hi bob,", "tell marcy",
"Email dana kowalczyk", "Regards,\nbob"). Each captures the candidate name in group 1.

Example::

    STRONG.search("my name is amer").group(1)   # "amer"
"""

from __future__ import annotations

import re

from edge_router.privacy.nametext import TITLE_WORDS
from edge_router.privacy.scripts import CALENDAR

WORD = r"[^\W\d_][\w'’-]*"
# Whole words only: "It is evident that" must not yield "evident th" before "at".
CANDIDATE = rf"({WORD}(?:[ \t]+{WORD}){{0,2}})(?![\w'’-])"

# A day or a feast after "it's" is no one: "hi all, it's Thursday again", "c'est lundi".
_NOT_A_DAY = (
    r"(?!(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|today|tonight|tomorrow|christmas|"
    r"easter|noël|" + "|".join(sorted(CALENDAR, key=len, reverse=True)) + r")\b)"
)

# Phrases after which the next words are a name whatever their casing.
STRONG = re.compile(
    r"\b(?:my\s+name\s+is|my\s+name's|my\s+full\s+name\s+is|(?:full\s+)?name\s*:|"
    r"(?:his|her|their)\s+(?:first\s+|full\s+)?name(?:\s+is|['’]s)|"
    r"i\s+am\s+called|i'm\s+called|signed|yours\s+truly)[ \t]*,?[ \t]*" + CANDIDATE,
    re.IGNORECASE,
)
# A self-declaration in a form, statement or affidavit: "I, Adaeze Nwankwo-Ferris, agree
# that ...", "Yo, Ana Ruiz, declaro", "Je soussignée Claire Martin". Confirmed (NER or
# words no dictionary has): "I, too, agree" names no one.
SELF_DECLARED = re.compile(
    r"(?:^|\n|[.!?:][ \t]+)[ \t]*(?:(?-i:I|Yo|Ich|Je)[ \t]*,[ \t]*"
    r"|(?:je|nous)[ \t]+soussign[ée]e?s?[ \t]*,?[ \t]*|i,?[ \t]+the[ \t]+undersigned[ \t]*,?[ \t]*)"
    + CANDIDATE
    + r"[ \t]*,",
    re.IGNORECASE,
)
# Self-introductions at the start of a message, line or after a greeting:
# "this is maria from HR", "I'm JOHN SMITH.", "hiya its Gracie from 3b" (its, a typo,
# only after a greeting).
# The next words may be an adjective
# ("I'm tired."), so these are confirmed by NER on a re-cased copy.
WEAK = re.compile(
    r"(?:^|\n|[.!?][ \t]+|\(|\b(?:hi+|hiya|heya|hello|hey+|yo|greetings)\b[,!]?[ \t]*)"
    r"(?:i'm|i’m|i\s+am|im|this\s+is|it's|it’s|it\s+is|"
    r"(?:(?<=hi )|(?<=hiya )|(?<=heya )|(?<=hey )|(?<=yo ))its)[ \t]+"
    + _NOT_A_DAY
    + CANDIDATE
    + r"(?=[ \t]*(?:[,.!?;)\n]|$|"
    r"(?:from|here|speaking|and|with|at|of)\b))",
    re.IGNORECASE,
)
# A greeting, then who writes: "Hi all, it's Sandrine,", "Bonjour à tous, c'est Sandrine",
# "Hola, soy Marta", "Hallo zusammen, hier ist Jana". The slot is a self-introduction, so a
# capitalised word no dictionary has counts even where NER sees nothing.
GREETED_INTRO = re.compile(
    r"\b(?:hi+|hiya|hello|hey+|bonjour|salut|coucou|hola|buenas|hallo|moin|servus|ciao)"
    r"(?:[ \t]+(?:all|everyone|everybody|guys|team|folks|à[ \t]+tous|a[ \t]+todos|todos|"
    r"zusammen|alle))?[ \t]*[,!]?[ \t]*(?:it['’]?s|this[ \t]+is|c['’]est|ici|soy|"
    r"hier[ \t]+ist|ich[ \t]+bin)[ \t]+" + _NOT_A_DAY + CANDIDATE + r"(?=[ \t]*(?:[,.!?;)\n]|$|"
    r"(?:from|here|de|du|von|del|aus)\b))",
    re.IGNORECASE,
)
# "Hi bob," / "Dear Ms. smith," / "thanks anna!", also opening a quoted or pasted
# message: 'correct this: hey kev, ...', 'reply to "Dear Ms. Oduya, ..."'.
GREETING = re.compile(
    r"(?:^|\n|:[ \t]*|[\"“'‘][ \t]*)[ \t]*(?:hi|hello|hey|dear|thanks|thank\s+you)[ \t]+"
    r"(?:(?:mr|mrs|ms|dr|prof)\.?[ \t]+)?" + CANDIDATE + r"[ \t]*[,!:\n]",
    re.IGNORECASE,
)
# A sign-off line followed by a short line that is just a name: "Regards,\nbob"
SIGNATURE = re.compile(
    r"\b(?:regards|best|cheers|thanks|thank\s+you|sincerely|yours|best\s+wishes|love|"
    r"respectfully|warmly)[ \t]*[,!.]?[ \t]*\n+[ \t]*(?:-+[ \t]*)?" + CANDIDATE + r"[ \t]*(?=\n|$)",
    re.IGNORECASE,
)
# A relation in Spanish, French or German, then a name: "mi suegra Maripili", "ma
# voisine Odile", "meine Kollegin Steffi".
RELATION_ELSEWHERE = re.compile(
    r"\b(?:mis?|tus?|nuestr[oa]s?|ma|mon|mes|notre|nos|mein(?:e[mnr]?)?|unser(?:e[mnr]?)?)[ \t]+"
    r"(?:suegr[oa]|cuñad[oa]|vecin[oa]|jef[ea]|compañer[oa]|herman[oa]|prim[oa]|tí[oa]|"
    r"abuel[oa]|hij[oa]|novi[oa]|amig[oa]|belle-mère|beau-père|voisine?|collègue|"
    r"patronne?|copine|copain|frère|sœur|cousine?|fille|fils|cheffe?|nachbar(?:in)?|"
    r"kolleg(?:e|in)|chef(?:in)?|schwiegermutter|schwiegervater|freund(?:in)?|bruder|"
    r"schwester|cousine|tochter|sohn)[ \t]+" + CANDIDATE,
    re.IGNORECASE,
)
# Labels of a name in code headers, tickets and forms: "# Author: Siobhan Mulcahy",
# "Nom : Benali", "Apellidos: Ruiz Ortega", "Фамилия: Петренко".
NAME_LABEL = re.compile(
    r"(?:^|\n|[,:])[ \t]*(?:#|//|/?\*+|--|;)?[ \t]*@?(?:author|authors|maintainer|"
    r"maintained[ \t]+by|written[ \t]+by|created[ \t]+by|reviewer|assignee|reporter|owner|"
    r"contact|nom|prénom|nombre|apellidos?|vorname|nachname|имя|фамилия|отчество)"
    r"[ \t]*[:=][ \t]*" + CANDIDATE,
    re.IGNORECASE,
)
# A short sign-off and a name closing the text on one line: "LG Bine", "bisous, Clo".
SIGN_OFF_END = re.compile(
    r"(?:^|[.!?\n][ \t]*|[ \t])(?:lg|vg|mfg|bisous|bises|besos|abrazos|saludos|xoxo|cheers)"
    # at the end of the text or of a quoted message: "... el postre. Besos, Pili'"
    r"[ \t]*[,!]?[ \t]+" + CANDIDATE + r"[ \t.!]*[\"'’”»]?[ \t]*$",
    re.IGNORECASE,
)
# A name in a form, a dialogue or after "named": "last name? boyle", "she named him sean",
# "what's your name? mark pinto",
# "sometimes people call me owen", "maiden name is nyberg". Confirmed by NER once re-cased.
NAMING = re.compile(
    r"\b(?:(?:first|last|middle|maiden|full|family|given|sur)\s*name(?:\s+(?:is|was))?\s*[:?]?|"
    r"name\s+on\s+the\s+(?:account|card)(?:\s+is)?\s*[:?]?|named(?!\s+entit)|nicknamed|call\s+me|"
    r"what(?:'s|’s|\s+is)\s+your\s+(?:full\s+|first\s+|last\s+)?name\s*\??|"
    r"(?:is|was)\s+called|known\s+as|goes\s+by)"
    r"(?:[ \t]+(?:him|her|them|it|is|was|user:|\w+:))?[ \t]*[:,?]?[ \t]*" + CANDIDATE,
    re.IGNORECASE,
)
# A title before a name (``nametext.TITLE_WORDS``): "Dr. patel", "mrs okafor", "ms, yoyo".
# French "M." / "MM." (monsieur, messieurs) only as written: a capital and a dot.
TITLED = re.compile(
    # After a Han character too: "房东Mr. Tremblay" (no word boundary there).
    r"(?:\b|(?<=[\u3400-\u9fff]))(?:(?:(?:"
    + TITLE_WORDS
    + r")(?:\.|[ \t]*,)?|(?-i:MM?\.(?=[ \t]+[A-Z])))[ \t]+)+"
    + CANDIDATE,
    re.IGNORECASE,
)
# "tell marcy ...", "sag mal dem Fabian", "dile a la tía Maribel", "dis à Maëlys".
TELL = re.compile(
    r"\b(?:tell|ask|remind|ping|sag[et]?(?:[ \t]+mal)?(?:[ \t]+(?:dem|der))?|"
    r"dile[ \t]+a(?:[ \t]+(?:la|el))?|d[ií]gale[ \t]+a|dis[ \t]+à|dites[ \t]+à)[ \t]+" + CANDIDATE,
    re.IGNORECASE,
)
# Whom a written piece is for or from: "a thank you card for Brigid", "a recommendation
# for Tobiah Wren", a mail header "From: Lorcan Byrne". Confirmed by NER or the tagger.
FOR_WHOM = re.compile(
    r"(?:\b(?:card|letter|note|message|e-?mail|recommendation|reference|toast|speech|gift|"
    r"present|invitation|invite|reminder|apology|eulogy)[ \t]+(?:to|for)[ \t]+|"
    r"(?:^|\n)[ \t]*(?:from|to|cc|sender|recipient)[ \t]*:[ \t]*)" + CANDIDATE,
    re.IGNORECASE,
)
# Writing to someone: "Email dana kowalczyk about ...", "reply to tomasz", "cc Mr Lee".
# Confirmed by NER on the re-cased candidate; a name written small must also be words no
# dictionary has ("email marketing" is no one).
WRITE_TO = re.compile(
    r"\b(?:e-?mail|text|message|dm|cc|(?:reply|write|respond)[ \t]+to)[ \t]+" + CANDIDATE,
    re.IGNORECASE,
)
# Handing work over, inviting, praising, chasing: "ticket 88213 assigned to Dziedzic",
# "invite ngozi", "huge shoutout to Ngaire", "chase Velasquez-Moore for the deposit".
# Confirmed like WRITE_TO; a capitalised word no dictionary has also counts unless NER
# calls it a firm, product or place ("Zendesk").
HAND_TO = re.compile(
    r"\b(?:(?:re)?assign(?:ed)?[ \t]+(?:it[ \t]+|this[ \t]+)?to|"
    r"hand(?:ed)?[ \t]+(?:it[ \t]+)?over[ \t]+to|"
    r"forward(?:ed)?[ \t]+(?:it[ \t]+|this[ \t]+)?to|invit(?:e|ed|ing)|"
    r"shout[ \t]*-?[ \t]*out[ \t]+to|congrats[ \t]+to|chase(?:[ \t]+up)?)[ \t]+" + CANDIDATE,
    re.IGNORECASE,
)
# Someone doing everyday things, the name first: "trinh said the client wants...",
# "Newton wants the expense reports in", "fergal just texted", "Wanjiru is off sick".
# One or two words opening a clause; confirmed like the other weak cues.
_JOINER = r"(?:and|but|so|cos|coz|because|since|if|when)\b"
_CLAUSE_START = rf"(?:^|\n[ \t]*(?:[-*•][ \t]+)?|[.!?:;][ \t]+|,[ \t]*|\b{_JOINER}[ \t]+)"
_ADVERB = r"(?:just|already|still|also|finally|never)\b"
_EVERYDAY = (
    rf"(?:{_ADVERB}[ \t]+)?"
    r"(?:texted|messaged|e-?mailed|pinged|dm'?e?d|rang|phoned|called[ \t]+(?:me|us|in)|"
    r"said[ \t]+(?:that|the|he|she|they|we|i|it|to)|told[ \t]+(?:me|us)|asked[ \t]+(?:me|us|if)|"
    r"wants|needs|keeps|reckons|"
    r"(?:has|have|did)(?:n['’]?t|nt|[ \t]+not)[ \t]+(?:yet[ \t]+)?(?:sent|replied|paid|signed|"
    r"answered|returned|submitted|finished|confirmed|got[ \t]+back)|"
    r"is[ \t]+(?:off|out)[ \t]+sick|called[ \t]+in[ \t]+sick|is[ \t]+running[ \t]+late|"
    r"is[ \t]+coming|can'?t[ \t]+make[ \t]+it|can'?t[ \t]+come|"
    r"offered[ \t]+to|volunteered|agreed[ \t]+to|promised[ \t]+to|"
    r"will[ \t]+(?:collect|bring|run|cover|chase|handle|take[ \t]+over)|"
    r"is[ \t]+(?:on|off)[ \t]+(?:holiday|leave|nights)|"
    # The same in French, German and Spanish: "Lemaire va être en retard", "Titou a
    # encore oublié", "Brunnhuber hat die Zahlen noch nicht geschickt", "Ibarra dijo".
    r"va[ \t]+être|a[ \t]+(?:encore[ \t]+)?(?:oublié|dit|demandé|envoyé|appelé|écrit|perdu)|"
    r"m'a[ \t]+(?:dit|demandé|écrit|envoyé)|est[ \t]+(?:malade|absente?|en[ \t]+(?:retard|congé))|"
    r"ne[ \t]+(?:peut|pourra|viendra)[ \t]+pas|"
    r"hat[ \t]+(?:[^\W\d][\w-]*[ \t]+|Q\d[ \t]+){0,7}?(?:geschickt|gesagt|geschrieben|vergessen|"
    r"angerufen|gefragt|abgesagt)|ist[ \t]+(?:krank|im[ \t]+Urlaub)|"
    r"kommt[ \t]+(?:später|morgen[ \t]+nicht)|"
    r"kann[ \t]+(?:heute|morgen)[ \t]+nicht|"
    r"dijo|me[ \t]+dijo|llega[ \t]+tarde|está[ \t]+(?:enferm[oa]|de[ \t]+(?:vacaciones|baja))|"
    r"no[ \t]+puede[ \t]+venir|se[ \t]+olvidó|"
    r"(?:left|leaves|came|comes|was|is)[ \t]+(?:\w+[ \t]+){0,2}?(?:early|late)[ \t]+again)\b"
)
# What follows a person doing everyday things (``SUBJECT``'s verbs), for other checks.
EVERYDAY_AFTER = re.compile(rf"[ \t]+{_EVERYDAY}", re.IGNORECASE)
SUBJECT = re.compile(
    _CLAUSE_START + rf"(?!{_JOINER})({WORD}(?:[ \t]+(?!{_ADVERB}){WORD})?)(?=[ \t]+{_EVERYDAY})",
    re.IGNORECASE,
)
# A question about someone's day, the name after the verb: "is devyani on leave next
# week", "did Wilmer ya mandó el reporte", "has Okafor replied", "¿ya contestó Ibarrola
# lo del contrato?". Confirmed like ``SUBJECT``: a public figure asked about ("did Messi
# leave Barcelona") is found as before and framing still decides.
_ASKED_STATE = (
    r"(?:(?:still|ever|already|even|actually|finally|yet|really|ya)[ \t]+)?"
    r"(?:on[ \t]+(?:leave|holiday|vacation|call|shift|nights|lates|earlies|the[ \t]+rota)|"
    r"off[ \t]+(?:sick|today|tomorrow|work)|in[ \t]+(?:today|tomorrow|the[ \t]+office)|"
    r"out[ \t]+(?:sick|today|of[ \t]+office)|back[ \t]+(?:from|at|in|on|yet|today)|"
    r"coming|free|around|available|blocked|running[ \t]+late|late[ \t]+again|joining|"
    r"bringing|picking|collecting|driving|"
    r"(?:reply|replied|answer|answered|respond|responded|get[ \t]+back|got[ \t]+back|"
    r"send|sent|pay|paid|sign|signed|confirm|confirmed|approve|approved|finish|finished|"
    r"submit|submitted|turn[ \t]+up|turned[ \t]+up|show[ \t]+up|showed[ \t]+up|"
    r"book|booked|cancel|cancell?ed|text|texted|message|messaged|e-?mail|e-?mailed|call|"
    r"called|ring|rang|mand[oó]|envi[oó]|pag[oó]|firm[oó]|contest[oó]|llam[oó])\b)"
)
_NOT_SECOND = r"(?!(?:just|already|still|also|finally|never|ever|yet|really|actually|even|ya)\b)"
ASKED = re.compile(
    r"(?:^|\n|[.!?:;,][ \t]*|\b(?:and|or|but|so|lol|oye|ok|okay|wait|hey)[ \t]+)"
    r"(?:(?:when|where|why|how[ \t]+come)[ \t]+)?"
    r"(?:is|isn['’]?t|was|wasn['’]?t|did|didn['’]?t|has|hasn['’]?t|have|does|doesn['’]?t|"
    r"will|won['’]?t|can|can['’]?t)[ \t]+"
    rf"({WORD}(?:[ \t]+{_NOT_SECOND}{WORD})??)(?=[ \t]+{_ASKED_STATE}"
    # ... or anything still owed: "did nkechi put the minutes in the drive yet"
    r"|[ \t]+[^.?!\n]{0,60}\byet\b)",
    re.IGNORECASE,
)
# German: "wann hat Wojciechowski zuletzt die Miete überwiesen?"
ASKED_DE = re.compile(
    r"\b(?:hat|ist)[ \t]+(" + WORD + r")(?=[ \t]+(?:[^\W\d_]+[ \t]+){0,5}?(?:überwiesen|"
    r"bezahlt|geantwortet|zurückgeschrieben|zurückgerufen|angerufen|geschickt|abgesagt|"
    r"bestätigt|unterschrieben|gekommen|krank|im[ \t]+Urlaub)\b)",
    re.IGNORECASE,
)
# Spanish puts the verb first: "¿ya contestó Ibarrola lo del contrato?"
ASKED_ES = re.compile(
    r"(?:^|\n|[.!?¿:;,][ \t]*)(?:ya[ \t]+)?(?:contest[oó]|respondi[oó]|mand[oó]|envi[oó]|"
    rf"llam[oó]|pag[oó]|firm[oó]|confirm[oó]|escribi[oó]|lleg[oó]|vino)[ \t]+({WORD})"
    r"(?=[ \t]+(?:lo|el|la|los|las|ya|al|a|por|con)\b|[ \t]*\?)",
    re.IGNORECASE,
)
# A colleague or club mate named by their team: "gurpreet from payroll is leaving", "ask
# Tomasz from IT", "Musk in procurement needs the PO", "Nadal from the club".
FROM_TEAM = re.compile(
    rf"(?<![\w'’-])({WORD})[ \t]+(?:from|in)[ \t]+(?:the[ \t]+)?(?:payroll|accounts|accounting|"
    r"finance|"
    r"hr|it|marketing|sales|legal|ops|operations|support|reception|admin|procurement|"
    r"compliance|facilities|engineering|design|product|purchasing|logistics|dispatch|"
    r"housekeeping|maintenance|the[ \t]+office|upstairs|downstairs|next[ \t]+door|"
    r"across[ \t]+the[ \t]+(?:road|street|hall)|"
    # a group the user is in: "Nadal from the club", "lebron from our sunday league"
    r"(?:my|our|the)[ \t]+(?:[\w-]+[ \t]+)?(?:team|club|gym|league|choir|band|class|"
    r"church|school|nursery|surgery|building|squad|group[ \t]+chat))\b",
    re.IGNORECASE,
)
# Someone's work or things: "Cadwaladr's draft is way too long", "Gonçalves' sheet",
# "get Tamati something for his 30th", "eggs for Oisín, he likes them runny".
OWNED = re.compile(
    rf"\b({WORD})(?:'s|’s|'|’)[ \t]+(?=(?:draft|sheet|spreadsheet|slides|deck|notes|e-?mail|"
    r"message|ticket|pr|timesheet|cv|resume|résumé|handover|formula|laptop|desk|shift|"
    r"code|commit|branch|rota|invoice|expenses|birthday|bday|party|wedding|"
    # their day and their details: "Brannock's flight", "Rustam's new number"
    r"(?:new[ \t]+|latest[ \t]+|last[ \t]+)?(?:flight|train|appointment|number|phone|"
    r"mobile|address|leave|holiday|pto|shift|lease|contract|visa|passport|pills|meds|"
    r"prescription|results|form|application|payslip|salary|dentist|surgery))\b)",
    re.IGNORECASE,
)
# German: "kannst du Steffis Entwurf kürzen" (the name without its genitive s).
# Written small ("wann ist jörgs zahnarzttermin") the name must be a listed one.
OWNED_DE = re.compile(
    r"\b([^\W\d_][\w-]*?)s[ \t]+(?=(?i:Entwurf|Präsentation|Bericht|Mail|E-Mail|Folien|"
    r"Tabelle|Code|Nachricht|Rechnung|Geburtstag|Hochzeit|Party|Schicht|Urlaub|"
    r"(?:Zahnarzt|Arzt|Friseur)?Termin|Flug|Handynummer|Nummer|Adresse)\b)",
)
FOR_SOMEONE = re.compile(
    r"\b(?:get|buy|gift|give|make|cook|boil)[ \t]+(?:\w+[ \t]+){0,3}?for[ \t]+"
    + CANDIDATE
    + r"(?=[ \t]*,?[ \t]+(?:he|she|his|her)\b)",
    re.IGNORECASE,
)
GIFT_FOR = re.compile(
    r"\b(?:get|buy|gift|give)[ \t]+"
    + CANDIDATE
    + r"(?=[ \t]+(?:\w+[ \t]+)?for[ \t]+(?:his|her)\b)",
    re.IGNORECASE,
)
OCCASIONS = r"(?:birthday|bday|b-day|anniversary|retirement|graduation|name[ \t]+day)"
# "happy 40th Raj!!", "happy birthday jen": the wish names who it is for.
WISH = re.compile(
    r"\bhappy[ \t]+(?:\d+(?:st|nd|rd|th)[ \t]+)?(?:" + OCCASIONS + r"[ \t]+)?,?[ \t]*"
    r"(?!" + OCCASIONS + r"\b)" + CANDIDATE + r"(?=[ \t]*[!.,:;\n]|$)",
    re.IGNORECASE,
)


# Whose family member: "Chidi's mum", "Amara's dad", "Tomek's wife". Family words only:
# "Google's client" or "Apple's boss" name a firm.
KIN_OWNER = re.compile(
    r"(?-i:\b([A-Z][^\W\d_]+(?:-[A-Z][^\W\d_]+)?))['’]s[ \t]+"
    r"(?:mum|mom|mam|mother|dad|father|parents?|wife|husband|son|daughter|kids?|children|"
    r"baby|brother|sister|sis|bro|boyfriend|girlfriend|fianc[ée]e?|partner|grandma|grandpa|"
    r"nan|gran|granny|auntie|aunt|uncle|cousin|nephew|niece|stepmom|stepdad|twin)\b",
    re.IGNORECASE,
)


def relationship_regex(relationships: tuple[str, ...]) -> re.Pattern[str] | None:
    """'my kid lukas', "our client's name is ana", "Niamh's mum, Clodagh", "to my sister:
    bex i told u": a relation noun after my/our or after someone's name, then a name."""
    if not relationships:
        return None
    nouns = "|".join(sorted((re.escape(r) for r in relationships), key=len, reverse=True))
    return re.compile(
        r"(?:\b(?:my|our)[ \t]+(?:[\w-]+[ \t]+)?|(?-i:\b[A-Z][a-z]+)['’]s[ \t]+)"
        r"(?:" + nouns + r")\b(?:'s|’s)?"
        r"(?:[ \t]+name[ \t]+is|[ \t]+(?:named|called|is))?[ \t]*[,:]?[ \t]*" + CANDIDATE,
        re.IGNORECASE,
    )


def apposition_regex(relationships: tuple[str, ...]) -> re.Pattern[str] | None:
    """A name, then who the person is to the writer: "Clausewitz, my neighbour, keeps
    parking", "Tomasz, our landlord, says". The name is capitalised."""
    if not relationships:
        return None
    nouns = "|".join(sorted((re.escape(r) for r in relationships), key=len, reverse=True))
    return re.compile(
        r"(?-i:\b([A-Z][^\W\d_'’-]+(?:-[A-Z][^\W\d_]+)?(?:[ \t]+[A-Z][^\W\d_'’-]+)?))"
        r"[ \t]*,[ \t]*(?:my|our)[ \t]+(?:[\w-]+[ \t]+)?(?:" + nouns + r")\b",
        re.IGNORECASE,
    )


# Two or more words in capitals: spaCy's NER rarely sees names written that way.
CAPS_RUN = re.compile(r"\b[A-Z][A-Z'’-]+(?:[ \t]+[A-Z][A-Z'’-]+)+\b")
