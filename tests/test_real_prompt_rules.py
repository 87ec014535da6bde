"""Rules added for prompts as people really write them (issue 12): the text's script and
language, names in Han, Arabic-script and Cyrillic text, the English pipeline's names
checked by language, public positions and invented works per name, public handles,
machine accounts, labelled ids and birth dates, role e-mail addresses. Every sentence
here is written for this file; none comes from bench/data."""

from __future__ import annotations

import pytest
from presidio_analyzer import RecognizerResult
from privacy_fixtures import scan_text, scanner  # noqa: F401 - pytest fixture

from edge_router.privacy.context import SensitivityRules
from edge_router.privacy.foreign import ScriptNameRecognizer
from edge_router.privacy.foreign_cues import arabic_norm, cyrillic_forms
from edge_router.privacy.framing import Framer
from edge_router.privacy.handles import HandleRecognizer
from edge_router.privacy.ids import BirthDateRecognizer, LabelledIdRecognizer
from edge_router.privacy.namelists import NameLists, fold, load_name_lists
from edge_router.privacy.nametext import not_a_name
from edge_router.privacy.refine import Refiner
from edge_router.privacy.scanner import PrivacyScanner
from edge_router.privacy.scripts import profile, script_of
from edge_router.privacy.settings import ScannerSettings

# ---- script and language ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "script", "lang"),
    [
        ("Please book a table for four at eight tonight.", "latin", "en"),
        ("¿Puedes escribir una carta para el banco por favor?", "latin", "es"),
        ("Peux-tu corriger ce texte avant la réunion de jeudi ?", "latin", "fr"),
        ("Kannst du mir bitte einen Brief an die Versicherung schreiben?", "latin", "de"),
        ("пожалуйста, напиши короткое письмо соседу", "cyrillic", "cyrillic"),
        ("请帮我写一封感谢信", "han", "han"),
        ("لطفا یک نامه کوتاه بنویس", "arabic", "arabic"),
        # a few foreign words in English prose leave it English
        ("Translate 'merci beaucoup' into English for my report", "latin", "en"),
    ],
)
def test_profile_tells_script_and_language(text: str, script: str, lang: str) -> None:
    p = profile(text)
    assert (p.script, p.lang) == (script, lang)


def test_script_of_a_span() -> None:
    assert script_of("Олег") == "cyrillic"
    assert script_of("周文博") == "han"
    assert script_of("Oleg") == "latin"


# ---- names in other scripts ---------------------------------------------------------

_REC = ScriptNameRecognizer(load_name_lists())


def _script_names(text: str) -> list[str]:
    return sorted(text[r.start : r.end] for r in _REC.analyze(text, ["PERSON"]))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Han: a family name after a cue, before a title, a nickname, a self-introduction
        ("请把报告发给周文博经理，谢谢", ["周文博"]),
        ("我叫郭思远，想请三天假", ["郭思远"]),
        ("跟小芳说明天见", ["小芳"]),
        # a verb after the name ends it, so the whole given name is taken (and redacted)
        ("帮我给王小明写一封邮件", ["王小明"]),
        ("通知一下孙悦，明天开会", ["孙悦"]),
        ("提醒一下周末要交作业", []),
        # a list of names after a label; a name opening a sentence before when/with whom
        ("参会人员：王伟、李娜、张敏", ["张敏", "李娜", "王伟"]),
        ("刘洋昨天发烧了，请帮我写个请假条", ["刘洋"]),
        ("张丽丽和我吵架了，我该怎么道歉？", ["张丽丽"]),
        ("王芳的护照号码是E12345678", ["王芳"]),
        ("方法、高度、温度有什么关系", []),
        ("金融和我的专业有关吗", []),
        ("作者: 邵一鸣 test@example.org", ["邵一鸣"]),
        ("亲爱的Wen Jiahui，生日快乐！", ["Wen Jiahui"]),
        ("please forward this to 松本健 san before Friday", ["松本健"]),
        # everyday words spelled like nicknames, and family names with no person cue
        ("帮我给老师写封信，说孩子明天请假", []),
        ("小时候我住在北京，王府井很热闹", []),
        # Arabic and Persian: vocative, relation, "tell X", self-introduction
        ("مرحبا يا سلمى، كيف حالك اليوم؟", ["سلمى"]),
        ("به رضا بگو امشب دیر میام", ["رضا"]),
        ("دخترم نگار امروز مدرسه نرفت", ["نگار"]),
        ("من نیما رحیمی هستم و یک سوال دارم", ["نیما رحیمی"]),
        ("مرحبا بالجميع، الاجتماع غدا", []),
        # Cyrillic: listed names in any case form, patronymics, greetings, signatures
        ("Привет, Олег! Завтра встречаемся в шесть.", ["Олег"]),
        ("передай Светлане, что отчёт готов", ["Светлане"]),
        ("Вчера Анна Сергеевна Ковалёва принесла документы.", ["Анна Сергеевна Ковалёва"]),
        ("Не забудь про ключи. Тимур", ["Тимур"]),
        ("Сбербанк объявил о новой программе кредитования.", []),
        # a capitalised word after a role noun or before what only people do
        ("жалоба: курьер Рустам не отдал заказ", ["Рустам"]),
        ("переведи: Марат помог нам с переездом", ["Марат"]),
        ("Врач сказал, что всё хорошо", []),
        ("Сбербанк прислал смс с кодом", []),
        # the one told, written small (dative)
        ("скажи вике что я опоздаю", ["вике"]),
        ("напомни позже про встречу", []),
        # a relation with "to" or "our" joined on (Arabic); a Latin name after a relation,
        # a short name addressed at a quoted message's start (Chinese)
        ("قول لأختي سلمى إني وصلت", ["سلمى"]),
        ("رد على جارنا فراس الخطيب", ["فراس الخطيب"]),
        ("我同事Kevin Liang问我周五能不能代班", ["Kevin Liang"]),
        ("改一下语气：林怡然，报表明天上午必须交", ["林怡然"]),
        ("项目：王府井，很好玩", []),
        ("帮我回一下阿强 他问周末去不去钓鱼", ["阿强"]),
        ("С Новым годом, друзья!", []),
    ],
)
def test_script_names(text: str, expected: list[str]) -> None:
    assert _script_names(text) == sorted(expected)


def test_script_name_helpers() -> None:
    assert arabic_norm("علي") == arabic_norm("علی")  # Arabic and Persian yeh
    assert arabic_norm("على") != arabic_norm("علی")  # a preposition is not a name
    assert "светлана" in cyrillic_forms("светлане")
    assert "василий" in cyrillic_forms("василия")


def test_han_names_are_no_initials() -> None:
    assert not not_a_name("小芳")
    assert not_a_name("JK")
    assert not_a_name("ODUYA") and not not_a_name("ODUYA", before="Dear Ms. ")


# ---- the English pipeline's names, checked by language ------------------------------

_LISTS = NameLists(
    first=frozenset(map(fold, ["Gaspard", "Ingrid", "Milo"])),
    last=frozenset(map(fold, ["Lefebvre", "Brandt"])),
)
_REFINER = Refiner(frozenset({"key", "cook", "email", "project", "invoice"}), _LISTS)


def _refined(text: str, span: str, *, by: str = "SpacyRecognizer", recased: bool = False) -> str:
    start = text.index(span)
    meta = {RecognizerResult.RECOGNIZER_NAME_KEY: by}
    result = RecognizerResult("PERSON", start, start + len(span), 0.85, recognition_metadata=meta)
    kept = _REFINER.refine(text, profile(text), [result], recased=recased)
    return text[kept[0].start : kept[0].end] if kept else ""


@pytest.mark.parametrize(
    ("text", "span", "expected"),
    [
        (
            "¿Puedes resumir la novela de Gaspard Lefebvre en tres frases?",
            "resumir la novela de Gaspard Lefebvre",
            "Gaspard Lefebvre",
        ),
        ("Bonjour Ingrid, peux-tu venir demain avec le dossier ?", "Bonjour Ingrid", "Ingrid"),
        # German capitalises nouns: after an article or alone and unlisted, no name
        ("Bitte schick die Unterlagen an die Buchhaltung bis Montag.", "Buchhaltung", ""),
        ("Ich habe mit Frau Okonjo gesprochen, sie ruft zurück.", "Okonjo", "Okonjo"),
        ("Gestern hat Ingrid Brandt die Zahlen geschickt.", "Ingrid Brandt", "Ingrid Brandt"),
        # labels, codenames, weekdays, invoice numbers
        ("Thema: Budget\nAnwesend: Vertrieb, Einkauf", "Anwesend", ""),
        ("Kickoff for Project Heron is moved.", "Heron", ""),
        ("Please send it before Thu, thanks", "Thu", ""),
        ("Re: Invoice 4471 is overdue", "Invoice", ""),
        # a hyphenated given name and the family name after it
        ("My neighbour Ji-hoon Brandt left a note.", "Ji", "Ji-hoon Brandt"),
        # another script: the English model cannot read it
        ("Please translate: Олег придёт завтра", "Олег", ""),
    ],
)
def test_refiner_trims_and_drops(text: str, span: str, expected: str) -> None:
    assert _refined(text, span) == expected


def test_refiner_drops_common_words_only_named_after_recasing() -> None:
    text = "can you ask for the keys and email the cook"
    assert _refined(text, "keys", recased=True) == ""
    assert _refined(text, "cook", recased=True) == ""
    assert _refined("tell milo the keys are here", "milo", recased=True) == "milo"
    assert _refined("where are the project keys", "project keys", recased=True) == ""
    # found another way than NER on a re-cased copy, the word stays
    assert _refined(text, "cook", by="ContextNameRecognizer", recased=True) == "cook"


def test_refiner_keeps_the_script_recognizer() -> None:
    text = "передай Светлане"
    meta = {RecognizerResult.RECOGNIZER_NAME_KEY: "ScriptNameRecognizer"}
    result = RecognizerResult("PERSON", 8, 16, 0.7, recognition_metadata=meta)
    assert _REFINER.refine(text, profile(text), [result], recased=False) == [result]


# ---- framing: public positions, invented works, family names ------------------------

_FRAMER = Framer(ScannerSettings(), known=frozenset({"tolstoy", "pushkin", "curie"}))


@pytest.mark.parametrize(
    ("text", "name", "verdict"),
    [
        (
            "Summarize the interview where CEO Haruto Ishikawa explains the merger.",
            "Haruto Ishikawa",
            "public_context",
        ),
        (
            "who was Teodora Vuković and why do historians care?",
            "Teodora Vuković",
            "public_context",
        ),
        ("Write three lines about the life of Amadou Sissoko.", "Amadou Sissoko", "public_context"),
        # "who is" vouches only for a name that could be a public figure's
        ("who is Pushkin in two sentences", "Pushkin", "public_context"),
        ("who is Dagny Sørlie and why does she keep calling me", "Dagny Sørlie", "none"),
        ("кто такой Пушкин?", "Пушкин", "public_context"),
        # an invented work, in any language
        ("Write a limerick about Barnaby the goat.", "Barnaby", "invented"),
        ("придумай сказку про ежа Фому", "Фому", "invented"),
        ("Continue the scene:\nMirela closed the door.", "Mirela", "invented"),
        # written about, not to: an open letter, a bio
        ("Write an open letter to Leo Tolstoy about his essays.", "Leo Tolstoy", "public_context"),
        # our own CEO is a colleague: no public office vouches for them
        ("Write a thank-you note to our CEO Haruto Ishikawa.", "Haruto Ishikawa", "none"),
    ],
)
def test_public_and_invented_positions(text: str, name: str, verdict: str) -> None:
    assert _FRAMER.verdicts([text], [name]) == [verdict]


def test_a_relative_of_a_public_person_is_public_too() -> None:
    text = "Marie Curie won the Nobel Prize twice. She worked with Pierre Curie."
    assert _FRAMER.verdicts([text], ["Marie Curie", "Pierre Curie"]) == ["public_context"] * 2


def test_han_names_are_placed_inside_runs_of_characters() -> None:
    text = "写一个关于王小明的故事"
    assert _FRAMER.verdicts([text], ["王小明"]) == ["invented"]


# ---- public handles ----------------------------------------------------------------

_RULES = SensitivityRules(ScannerSettings())


@pytest.mark.parametrize(
    ("text", "sensitive"),
    [
        ("follow @deepseafilms for the best shark videos", False),
        ("@northbandofficial you were amazing at the tour last night!!", False),
        ("@marta_k_99 you were amazing at the tour last night!!", False),
        # a handle with no public cue, or next to something personal, stays sensitive
        ("@marta_k_99 happy birthday, see you saturday", True),
        ("my sister @marta_k_99 is on tour with her band", True),
        ("follow up with @marta_k_99 about the invoice", True),
    ],
)
def test_public_handles_are_weak(text: str, sensitive: bool) -> None:
    start = text.index("@")
    end = start + len(text[start:].split()[0])
    got, reasons = _RULES.decide([text], {"USERNAME"}, handles=[(0, start, end)])
    assert got is sensitive
    assert ("weak:USERNAME(public_context)" in reasons) is not sensitive


# ---- handles, ids and birth dates ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ping me on discord, I'm ravi_k#2291", ["ravi_k#2291"]),
        ("Traceback: File /home/okwame/src/run.py, line 3", ["okwame"]),
        (r"saved to C:\Users\lfernandes\Downloads\cv.pdf", ["lfernandes"]),
        ("ssh tbrennan@buildbox -p 2222 hangs", ["tbrennan"]),
        ("git remote add origin git@github.com:hvoss/notes.git", ["hvoss"]),
        ("DM @leafy_greens_shop for the price list", ["@leafy_greens_shop"]),
        # accounts every machine has, and issue numbers
        ("ssh ubuntu@10.0.0.7 and cd /home/ubuntu", []),
        ("fixed in issue#4821, see pr#77", []),
    ],
)
def test_machine_accounts_are_usernames(text: str, expected: list[str]) -> None:
    assert [text[r.start : r.end] for r in HandleRecognizer().analyze(text, [])] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my employee id is EMP-55120, please add it", ["EMP-55120"]),
        ("Mitgliedsnummer: 88-2041-7", ["88-2041-7"]),
        ("我的身份证号码是11010519491231002X", ["11010519491231002X"]),
        # a resident id with a bad check digit, and a number with no label
        ("reference 110105194912310021 only", []),
        ("the order EMP-55120 shipped", []),
    ],
)
def test_labelled_ids(text: str, expected: list[str]) -> None:
    got = [text[r.start : r.end] for r in LabelledIdRecognizer().analyze(text, [])]
    assert got == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Name: Iva Petrović, date of birth 14/02/1991", ["14/02/1991"]),
        ("DOB: March 3, 1978", ["March 3, 1978"]),
        ("geboren am 02.05.1983 in Graz", ["02.05.1983"]),
        ("The release date is 14/02/1991", []),
    ],
)
def test_birth_dates(text: str, expected: list[str]) -> None:
    got = [text[r.start : r.end] for r in BirthDateRecognizer().analyze(text, [])]
    assert got == expected


# ---- end to end on the real scanner -------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "请把报告发给周文博经理，谢谢",
        "به رضا بگو امشب دیر میام",
        "Привет, Олег! Завтра встречаемся в шесть.",
        "dile a la tía Remedios que llegamos tarde",
        "sag mal dem Konstantin, dass wir später kommen",
        "Liebe Frau Okonjo, vielen Dank für Ihre Hilfe",
        "rewrite politely: mr, brenner i need the ladder back",
        "happy 30th Ravi!! from all of us",
        "msg from dad: 'uncle Femi landed safely'",
        "Dear Mr. DUBE, thank you for the quick reply",
        "tell oksana the parcel arrived",
        "add me on discord ravi_k#2291",
        "i am Tomasz Wieczorek, employee id EMP-55120, please draft a leave request",
        # a name written small in a text that uses capitals
        "Write an email to dana kowalczyk about the invoice.",
        "Please write an email to jorge ramirez about the invoice.",
        "Email dana kowalczyk about the invoice.",
        "Reply to tomasz wieczorek: the shipment is late.",
        # a hyphenated given name before a colon is no line label
        "Reply to Wen-Li: thanks, I'll review the PR tomorrow",
        "reply to Siobhan-Rose: see you at 5",
        # replying, notifying and sending in Chinese and Arabic; French "M."
        "回复李娜：收到，谢谢",
        "通知一下孙悦，明天上午九点开会",
        "رد على خالد: سأرسل الملف غدا",
        "اكتب رسالة إلى أحمد أخبره أن الاجتماع تأجل",
        "قل لمريم إنني سأتأخر",
        "كلم خالد وقله يجيب الأغراض",
        "bonjour, pouvez-vous transmettre ce dossier à M. Girard ?",
        # account names labelled in other languages
        "我的微信号是 lihua_8823，帮我写个加好友的留言",
        "mi usuario es ana_b92, no puedo entrar",
        "мой ник — dimon_77, помогите с аккаунтом",
        # an epithet does not outweigh a relation; guillemets may quote a signature
        "my son Peter the Great at soccer lol",
        "подпиши «Мария»",
        # a term needs its noun: a file or a box is someone's
        "what is the Kowalski file",
        "Kowalski's box arrives tomorrow",
        "is Maria or Tom's car faster",
        "can Anna watch the kids tonight",
        "can Anna Kowalski stock the shelves tomorrow",
        "Dana Kowalski, the president of our book club, wants the minutes",
        "my friend Dana finished the book, write her a note, no spoilers",
        # relatives written small or as "grandad"; a familiar Russian name written small
        "my grandad Eamon met Seamus Heaney once, write a short poem about it for his 90th",
        "мой сосед гоша опять сверлит в 7 утра",
        "engineers at Dana Kowalski's firm are rude",
        "the people from Tomasz Nowak came to fix the roof, write a review",
        # a greeting opening a pasted message
        "Rewrite this: hey kev, meeting at 3?",
        'Fix the grammar: "dear ms. oduya, we has receive your letter"',
        # a generation suffix is no regnal number; "I" is a pronoun
        "Robert Jones III owes me money, draft a reminder",
        "Henry I think you are right about the budget",
        # a private name before its year is no reference; chat shorthand after a name
        "Invoice: Tom Okafor, March 2024, 3 hours of tutoring, please remind him",
        "tell sarah pls that the meeting moved",
        # a catalogue's genre list is no request for fiction
        "Action & Adventure, Mystery & Suspense\nDirected By:    Lukas Ostermann",
        # a title before a name written small in a text with capitals
        "schreib an herrn kowalski-brenner, dass sich die Lieferung der Fenster verzögert",
        "my colleague Dana Okafor's estimate was accurate, write her a thank-you note",
        # the staff member named on a receipt
        "how much did I tip here?\nDishoom Kings Cross\nServer: Zainab\nTotal 54.56",
    ],
)
def test_private_people_in_real_prompt_shapes_are_sensitive(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
) -> None:
    assert scan_text(scanner, text).sensitive


@pytest.mark.parametrize(
    "text",
    [
        "cómo le explico a un niño las tablas de multiplicar",
        "Wie formuliere ich eine Kündigung für das Fitnessstudio? Was muss rein?",
        "corrige ce message: Bonjour à tous, la réunion est reportée",
        "帮我给老师写封信，说孩子明天请假",
        "можно ли поменять дату вылета, если билет невозвратный?",
        "email the support team at support@example.org about the outage",
        "write a funny haiku about Sir Reginald the cat",
        "who was Ada Lovelace?",
        "follow @deepseafilms, their whale episodes are amazing",
        "can you get the keys from the cook before friday",
        "Email marketing campaigns: how to improve open rates?",
        "Write an email to customers about the new pricing.",
        "Reply to reviewers: the paper's novelty is unclear.",
        "Reply to Salesforce: we renew in May",
        "Reply to GitHub support about the outage",
        "Write to disk every 5 seconds.",
        "Translate: hello world!",
        "Fix this: hey there, whats up",
        "Note: thanks everyone for coming",
        # monarchs and popes by regnal number
        "What did Louis XIV build at Versailles?",
        "list the wives of Henry VIII in order",
        "Pope Pius XII and the war: what is known?",
        # epithets; titles of works in title brackets or after a word for a work
        "why was Catherine the Great so powerful",
        "кто такой Пётр Первый?",
        "перескажи сюжет «Анны Карениной»",
        # everyday words after a cue verb; nouns after "a message to"
        "提醒一下周末要交作业",
        "联系方式怎么写比较专业",
        "اكتب رسالة إلى صديق قديم",
        "اكتب رسالة إلى المدير حول الإجازة",
        "شفت فيلم جميل امبارح",
        "make a QQ plot of residuals",
        "привет ребята, как дела",
        "мой брат сегодня не придёт",
        # terms and places named after people
        "how does the Kalman filter work",
        "prove the Cauchy-Schwarz inequality",
        "explain the Doppler effect to a 10 year old",
        "what is the Heimlich maneuver",
        "best time to visit Lake Louise",
        # a famous full name written small, the span running on into the next word
        "is harry styles touring in 2025",
        # streets, clubs and firms named after people; an office in apposition
        "best bike route from Karl-Marx-Allee to Rosa-Luxemburg-Platz?",
        "compare Ferencvárosi TC and Dinamo Zagreb's european records",
        # games and football talk
        "whats the best build for Aloy in horizon forbidden west, i keep dying",
        "jajaja el golazo de nico williams ayer 🔥 hazme un tuit para el grupo del athletic",
        "She chaired the John Lewis Partnership for years",
        "Summarise: we heard from Sir Jon Cunliffe, then Deputy Governor of the Bank of England.",
        # a brand before what it makes; a known name in a year long past
        "is a Casio or Seiko watch more reliable",
        "should I buy Adidas or Puma running shoes",
        "what was Churchill's strategy in 1940",
        # staff at a firm; a capitalised office before the name
        "Summarize: Apple reported record revenue. Analysts at Morgan Stanley raised their target.",
        "tldr: The Fed held rates; Chair Jerome Powell signalled cuts could come in September.",
        # a reference list's authors; genre and tabletop play frame invented people
        "fix to APA 7: LeCun Y, Bengio Y, Hinton G. Deep learning. Nature 2015;521:436-44",
        "write a short mystery where a retired cartographer, Odile Marchetti, finds a map",
        "my D&D bard is a half-orc called Grimsby Thistlewood, give him a backstory",
        # what people ask about public figures: quotes, historical accuracy, works
        "did Mandela say 'it always seems impossible until it's done' or is it a fake quote",
        "правда ли Шостакович писал Седьмую симфонию в блокаду?",
        # chat shorthand and words NER runs a re-cased name into
        "ohtani going 50/50 still doesn't feel real. hype tweet pls, under 200 chars",
        "what time does primark on oxford st shut on a saturday",
    ],
)
def test_clean_look_alikes_are_not_sensitive(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
) -> None:
    result = scan_text(scanner, text)
    assert not result.sensitive, result.reasons


# ---- public figures, characters and brands (issue 12, false alarms) ------------------


def test_public_names_count_only_as_whole_names() -> None:
    from edge_router.privacy.public_names import is_mononym, is_public_name

    assert is_public_name("Pedro Pascal")
    assert is_public_name("Kylian Mbappé")  # accents folded
    assert is_public_name("Walter White's")  # possessive dropped
    assert not is_public_name("Pedro Alvarez")
    assert not is_public_name("Pascal")  # a family name alone is nobody
    assert is_mononym("Zendaya")
    assert not is_mononym("Zendaya Coleman")


def test_famous_full_name_is_public_without_a_cue_but_a_greeting_keeps_it_private() -> None:
    framer = Framer(ScannerSettings(), known=frozenset({"curie"}))
    texts = ["Pedro Pascal really nailed that monologue"]
    assert framer.verdicts(texts, ["Pedro Pascal"]) == ["public_context"]
    assert framer.verdicts(["Pedro Alvarez really nailed it"], ["Pedro Alvarez"]) == ["none"]
    hello = ["Hi Pedro Pascal, the catering invoice is attached."]
    assert framer.verdicts(hello, ["Pedro Pascal"]) == ["private"]
    # "thank you" thanks a public figure in public, but a colleague stays private
    assert framer.verdicts(["thank you Lionel Messi for everything"], ["Lionel Messi"]) == [
        "public_context"
    ]
    assert framer.verdicts(["thank you Renzo Vallin for the shift"], ["Renzo Vallin"]) == [
        "private"
    ]


def test_a_mononym_that_is_a_first_name_stays_a_possible_private_person() -> None:
    framer = Framer(ScannerSettings(), known=frozenset({"curie"}))
    assert framer.verdicts(["Zendaya at the gala was stunning"], ["Zendaya"]) == ["public_context"]
    # "Elsa" is listed as a first name: the character list does not vouch for it
    assert framer.verdicts(["Elsa moved the boxes yesterday"], ["Elsa"]) == ["none"]


@pytest.mark.parametrize(
    ("text", "name", "verdict"),
    [
        ("the protagonist Renzo Vallin dies in season 3, why?", "Renzo Vallin", "public_context"),
        ("Renzo Vallin won the Rotterdam Marathon in 2:05", "Renzo Vallin", "public_context"),
        ("Renzo Vallin won the office bake-off", "Renzo Vallin", "none"),
        ("Renzo Vallin won the office marathon", "Renzo Vallin", "none"),
    ],
)
def test_screen_and_sport_settings_vouch_for_unknown_names(
    text: str, name: str, verdict: str
) -> None:
    framer = Framer(ScannerSettings(), known=frozenset({"curie"}))
    assert framer.verdicts([text], [name]) == [verdict]


def test_coined_compounds_are_brands_not_unknown_names() -> None:
    from edge_router.privacy.gazetteer import GazetteerNameRecognizer

    lists = NameLists(frozenset({"anna"}), frozenset({"okafor"}))
    english = frozenset({"north", "volt", "bright", "path", "tam", "sin"})
    rec = GazetteerNameRecognizer(lists, english, frozenset(), score=0.5)
    assert rec._compound("northvolt")
    assert rec._compound("brightpath")
    assert not rec._compound("tamsin")  # parts under four letters split names
    assert not rec._compound("okonjo")


@pytest.mark.parametrize(
    "text",
    [
        "I keep getting 500 errors from the Plaidwise API when I refresh tokens",
        "write a complaint to Brevaro customer service, my package never came",
        "Help me write an email to HR asking whether my leave can start earlier",
        "our stand was next to Northwind and Brightpath at the fair",
        "Pedro Pascal really nailed that monologue",
        "thank you Lionel Messi for everything",
    ],
)
def test_brands_and_public_figures_without_cues_are_not_sensitive(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
) -> None:
    result = scan_text(scanner, text)
    assert not result.sensitive, result.reasons


@pytest.mark.parametrize(
    "text",
    [
        "can you write a birthday card for Oluwadamilare, he turns 30 on sunday",
        "Summarize this email:\nFrom: Tadhg Mulcahy\nSubject: parking\nThe gate code changed.",
        "Hi Pedro Pascal, the invoice for the catering is attached.",
        "thank you Renzo Vallin for covering my shift",
        "Mr. Holland said the report is late, can you rewrite his note politely?",
    ],
)
def test_cards_headers_and_namesakes_of_famous_people_stay_sensitive(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
) -> None:
    assert scan_text(scanner, text).sensitive


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # a capitalised name is not continued by the small words after it
        ("my neighbour Gary Holt keeps parking in my spot, write him a note", "Gary Holt"),
        ("my boss Ferguson wants the deck by 9am, help me write an excuse", "Ferguson"),
        # particles stay inside the name, so redaction covers all of it
        ("my friend Jan de Vries is sick, write him a card", "Jan de Vries"),
    ],
)
def test_cued_names_end_where_the_name_ends(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
    name: str,
) -> None:
    result = scan_text(scanner, text)
    people = {text[e.start : e.end] for e in result.entities if e.type == "PERSON"}
    assert people == {name}
