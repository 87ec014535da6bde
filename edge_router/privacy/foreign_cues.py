"""Word lists and cue patterns for ``foreign.py``: where a name stands in Chinese,
Arabic, Persian and Russian text, and which everyday words look like names there.

Written by hand from general knowledge of the languages (the common Chinese family
names are a well-known short list); the name lists themselves come from mimesis.

Example::

    bool(HAN_BEFORE.search("帮我写条微信给室友"))   # True: a name may follow
"""

from __future__ import annotations

import re

from spacy.lang.ru.stop_words import STOP_WORDS as _RU_STOP

# The hundred or so most common Chinese family names, and the compound ones.
HAN_COMMON_SURNAMES: frozenset[str] = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺"
    "顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿"
    "关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华"
) | frozenset(
    {"欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "令狐", "慕容", "司徒", "夏侯", "尉迟",
     "公孙", "长孙", "宇文", "轩辕", "端木", "独孤", "南宫", "西门"}
)  # fmt: skip

# Before a name: a verb or preposition only people follow, a greeting, a label, a relation.
HAN_BEFORE = re.compile(
    r"(?:给|跟|和|同|与|请|叫|让|找|(?:告诉|通知|提醒|联系|回复|回|转告|抄送|催|问)(?:一下)?|"
    r"谢谢|感谢|多谢|亲爱的|尊敬的|致|我是|我叫|"
    r"名叫|叫做|作者|联系人|姓名|署名|签名|负责人|收件人|发件人|室友|同事|朋友|同学|老板|邻居|"
    r"房东|妈妈|爸爸|哥哥|姐姐|弟弟|妹妹|老公|老婆|儿子|女儿|客户|学生|表哥|表姐|表妹|表弟|"
    r"人员|成员|名单|参会人|出席人|与会者|——|"
    # a role in the writer's own team, club or office: "篮球队队长姚明远", "组长李娜"
    r"队长|组长|班长|部长|主管|领导|教练|队友|队员|秘书|助理|会计|经理|老师|医生|护士|"
    r"\bto|\bfor|\bdear|\bwith|\bmr\.?|\bms\.?|\bmrs\.?|\bdr\.?|@)[ \t]*[:：]?[ \t]*$",
    re.IGNORECASE,
)
# After a name: a title, a speech verb, "'s phone", a Japanese honorific.
HAN_AFTER = re.compile(
    r"[ \t]*(?:先生|女士|小姐|老师|同学|经理|总监|主任|医生|大夫|教授|律师|师傅|阿姨|叔叔|同志|"
    r"总(?![结统体共之])|说|讲|的电话|的手机|的邮箱|的微信|的号码|的护照|的身份证|的地址|"
    r"的生日|的工资|的简历|的病历|的账号|的银行卡|さん|様|さま|君|くん|ちゃん|"
    r"(?:-|[ \t])(?:san|sama|kun|chan)\b)",
    re.IGNORECASE,
)
# After a name that opens a sentence: when or with whom something happened to them
# ("刘洋昨天发烧了", "张丽丽和我吵架了").
HAN_AFTER_AT_START = re.compile(
    r"(?:昨天|今天|明天|刚才|最近|上周|下周|和我|跟我|对我|给我|天天|每天|总是|老是)"
)
# Characters that are function words, never part of a given name; and verbs that follow
# the person they are done for ("给王小明写信", "跟李娜打电话"), rare in given names.
HAN_STOP_CHARS = frozenset(
    "的了是在和与跟给说我你他她它们这那个不也都要会就把被到去来吗呢吧啊呀哦很还又再已让请对从向"
    "为而及或但如果因所以没有什么怎么哪里时候年月日号周点，。！？、：；（）"
    "写发打回买带送借讲聊"
)
# Everyday words spelled like nicknames (小X, 老X, 阿X).
HAN_NICKNAME_WORDS = frozenset(
    {"老师", "老板", "老公", "老婆", "老家", "老人", "老鼠", "老虎", "老大", "老实", "老是",
     "老了", "老乡", "老外", "老总", "老年", "老弟", "小时", "小心", "小孩", "小区", "小米",
     "小说", "小姐", "小学", "小组", "小费", "小吃", "小狗", "小猫", "小朋", "小伙", "小事",
     "小红", "小程", "小的", "小了", "小型", "小号", "小票", "小麦", "小康", "小视", "小编",
     "小哥", "小妹", "小宝", "阿姨", "阿拉", "阿里", "阿根"}
)  # fmt: skip
# Everyday words that open with a family-name character and often follow a cue verb
# ("提醒一下周末要交作业", "联系方式", "告诉我安排"): no name starts there.
HAN_EVERYDAY_WORDS = frozenset(
    {"周末", "周一", "周二", "周三", "周四", "周五", "周六", "周日", "周年", "周围", "周期",
     "方式", "方法", "方案", "方面", "方向", "方便", "高兴", "高级", "高中", "安排", "安全",
     "安装", "文件", "文章", "文化", "关于", "关系", "关注", "关闭", "马上", "金额", "成绩",
     "成本", "程序", "任务", "任何", "单位", "许多", "常见", "常用", "路线", "时间", "黄金",
     "颜色", "申请", "包裹", "包括", "祝福", "游戏", "付款", "范围", "季节", "夏天", "毕业",
     "严重", "万一", "于是", "曾经", "顾客", "明天", "武器", "欧洲", "韩国", "左右", "符合",
     "金融", "白天", "程度", "温度", "高度", "马路", "钱包", "石头", "严格", "江湖"}
)  # fmt: skip
# A name written in Latin letters (pinyin) right after a strong Chinese cue.
PINYIN_AFTER_CUE = re.compile(
    r"(?:亲爱的|尊敬的|我叫|名叫|作者|联系人|姓名|署名|签名|"
    r"同事|室友|朋友|同学|老板|邻居|房东|客户|老公|老婆|男朋友|女朋友)[ \t]*[:：]?[ \t]*"
    r"([A-Z][a-z]+(?:[ \t]+[A-Z][a-z]+){0,2})|"
    # Whose relative: "我是Lily的妈妈" (I am Lily's mum).
    r"([A-Z][a-z]+)[ \t]*的"
    r"(?=妈妈|爸爸|母亲|父亲|家长|老师|同学|朋友|哥哥|姐姐|弟弟|妹妹|老公|老婆)"
)

_ARABIC_FOLD = str.maketrans(
    {"ي": "ی", "ك": "ک", "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ـ": None,
     "\u200c": None}
)  # fmt: skip
_ARABIC_MARKS = re.compile(r"[\u064b-\u065f\u0670]")


def arabic_norm(word: str) -> str:
    """One spelling for Arabic and Persian letter variants, without vowel marks (alef
    maqsura stays: "على" is a preposition, "علی" a name)."""
    return _ARABIC_MARKS.sub("", word.translate(_ARABIC_FOLD))


def _split(words: str) -> tuple[str, ...]:
    return tuple(words.split())


def _arabic_set(words: str) -> frozenset[str]:
    return frozenset(arabic_norm(w) for w in words.split())


# Before a name: vocative, greetings, dear, titles, relations (Arabic, then Persian).
ARABIC_BEFORE = _arabic_set(
    "يا عزيزي عزيزتي مرحبا مرحباً أهلا سلام أخي أختي أخوك أختك أخوي ابني ابنتي بنتي زوجي "
    "زوجتي صديقي صديقتي زميلي زميلتي أمي أبي جدي جدتي عمي خالي عمتي خالتي الأستاذ الأستاذة "
    "السيد السيدة الدكتور الدكتورة المهندس اسمي تحياتي المخلص "
    "عزیزم آقای خانم دکتر مهندس برادرم خواهرم دوستم همکارم مادرم پدرم پسرم دخترم همسرم "
    "شوهرم مامانم بابام قربانت ارادتمند اسمم اینجانب "
    # "our neighbour", "our colleague": a relation the family or team shares
    "جاري جارتي جارنا جارتنا صديقنا زميلنا زميلتنا أختنا أخونا همسایه‌مان همسایه‌ام "
    # "the colleague (f.) Lama", and Persian kin with "my" joined: "خواهرزاده‌ام آرمان"
    "الزميل الزميلة خواهرزاده‌ام برادرزاده‌ام دخترخاله‌ام پسرخاله‌ام دخترعمه‌ام پسرعمه‌ام "
    "دخترعموم پسرعموم دختردایی‌ام پسردایی‌ام عموم خاله‌ام دایی‌ام عمه‌ام مادربزرگم "
    "پدربزرگم نوه‌ام"
)
# Sending and replying: "رسالة إلى أحمد", "أرسل إلى فاطمة", "رد على خالد", "قل لمريم"
# (the preposition joined to the name). A listed name must follow: "إلى المدير" is no one.
ARABIC_SEND = _arabic_set(
    "رسالة رسالتي بريد ايميل إيميل خطاب أرسل ارسل أرسلي ابعث ابعثي اكتب اكتبي وجه"
)
ARABIC_REPLY = _arabic_set("رد ردي الرد")
ARABIC_TELL = _arabic_set("قل قولي قولوا")
# Talking to, calling, seeing or asking someone, colloquial too: "كلم خالد", "شفت سامي".
ARABIC_CONTACT = _arabic_set(
    "كلم كلمي كلمت اتصل اتصلي اتصلت شفت قابلت سألت اسأل اسألي بلغ بلغي خبر خبري ابعت ابعتي"
)
# Listed as names, but after "a message to" they are the nouns: friend, colleague, dear.
ARABIC_SEND_NOUNS = _arabic_set("صديق صديقة زميل زميلة حبيب حبيبة حبيبي حبيبتي")
# After a name: Persian endearments and "tell" ("به علی بگو").
ARABIC_AFTER = _arabic_set(
    "جان جون عزیز بگو بگید بگین "
    # Persian: what a person says or does, after their name ("مهسا گفت فایل رو...").
    "گفت گفته میگه میگن نوشت زنگ اومد رفت فرستاد خواست پرسید"
)
# A name in Latin letters called by the Arabic or Persian vocative: "شكراً يا Omar".
LATIN_AFTER_VOCATIVE = re.compile(
    r"(?:^|[\s،:])(?:يا|ای)[ \t]+([A-Z][a-z]{1,20}(?:[ \t]+[A-Z][a-z]{1,20})?)"
)
# Arabic puts the verb first: "قررت رنا الحلبي", "بعد ما ترجع لبنى"; engineer and doctor
# abbreviated ("م. رنا"). A listed name after one of these is a person.
ARABIC_VERB_BEFORE = _arabic_set(
    "قال قالت قرر قررت كتب كتبت اتصل اتصلت أرسل أرسلت طلب طلبت سأل سألت ترجع يرجع رجع رجعت "
    "وصل وصلت سافر سافرت حضر حضرت م د"
)
# Names that stand for anyone, like "John Doe": Chinese, Arabic and Persian, Russian.
SCRIPT_PLACEHOLDERS = frozenset(
    {"张三", "李四", "王五", "赵六", "某某", "فلان", "فلان الفلاني", "علان", "بهمان",
     "فلانی", "Иван Иванов", "Иванов Иван"}
)  # fmt: skip
# "من سارا احمدی هستم": the verb that closes a self-introduction.
ARABIC_SELF_END = _arabic_set("هستم")
# What else "من X هستم" says (I am tired, a student, sure, here...): no name.
PERSIAN_STATES = _arabic_set(
    "خسته دانشجو معلم مطمئن آماده ایرانی خوشحال ناراحت مریض بیمار گرسنه تشنه متاسف موافق "
    "مخالف منتظر نگران دکتر پزشک مهندس برنامه‌نویس بیکار مجرد متاهل عاشق اینجا تنها بلد "
    "مادر پدر دختر پسر زن مرد کارمند مدیر مشتری همسایه همکار دانش‌آموز بازنشسته خانه‌دار "
    "مسلمان مسیحی افغانستانی مهاجر مسئول عصبانی گیج آزاد مشغول سرما‌خورده بیدار"
)
ARABIC_STOP = _arabic_set(
    "و في من على الى إلى عن مع هذا هذه ذلك التي الذي هو هي أنا انت نحن لي لك له ما لا كل بعد "
    "قبل عند كان قد أن إن او أو ثم الجميع بالجميع جميع الرجاء شكرا من فضلك "
    "به در از با که این آن را یک برای همه تا هم تو او ما شما آنها است هست بود خیلی فردا امروز "
    "دیروز ساعت جلسه لطفا ممنون"
)

CYRILLIC_BEFORE = re.compile(
    r"(?:привет|здравствуй(?:те)?|дорог(?:ой|ая|ие)|уважаем(?:ый|ая|ые)|добрый\s+(?:день|вечер)|"
    r"доброе\s+утро|передай(?:те)?|скажи(?:те)?|напиши(?:те)?|позвони(?:те)?|спроси(?:те)?|"
    r"поблагодари(?:те)?|пригласи(?:те)?|поздравь(?:те)?|напомни(?:те)?|спасибо|с\s+уважением|"
    r"зовут|автор|контакт|имя|имени|именем|фамилия|"
    r"мо(?:й|я|ему|ей|его|ю|ими)\s+(?:брат|сестр|друг|подруг|коллег|сосед|начальни|мам|пап|сын|"
    r"доч|муж|жен|бабушк|дедушк|тёт|тет|дяд|племянни|однокласс|одногрупп)\w*)"
    r"[ \t]*[:,—-]?[ \t]*$",
    re.IGNORECASE,
)
# A capitalised word after a role or kinship noun is the person in that role: "курьер
# Рустам", "врач Ахмедова", "от тёти Любы". Capitals only: written small, the next word
# is as likely a verb.
CYRILLIC_ROLE_BEFORE = re.compile(
    r"(?:курьер|водител[ьи]|таксист|менеджер|врач|доктор|медсестр[аы]|учител(?:ь|ница|ю)|"
    r"воспитател(?:ь|ница)|мастер|оператор|сотрудни(?:к|ца)|продав(?:ец|щица)|кассир|"
    r"администратор|бухгалтер|юрист|няня|репетитор|тренер|официант(?:ка)?|риелтор|риэлтор|"
    r"консультант|сантехник|электрик|арендатор|хозяйк[аи]|хозяин|клиент(?:ка)?|сосед(?:к[аиеу]|[уаеи]|ом)?|"
    r"тёт[яиеюй]|тет[яиеюй]|дяд[яиеюь]|бабушк[аиеуо]й?|дедушк[аиеуо]й?)"
    r"[ \t]*[:,—-]?[ \t]*$",
    re.IGNORECASE,
)
# A capitalised word right before what only a person does is a person: "Марат помог
# нам", "Рустам сказал". Not role and institution nouns, which are capitalised at a
# sentence's start too ("Врач сказал", "Банк прислал").
CYRILLIC_VERB_AFTER = re.compile(
    r"[ \t]+(?:(?:опять|снова|уже|ещё|еще|вчера|сегодня|завтра|тоже|не)[ \t]+){0,2}"
    r"(?:опоздал|ушёл|ушел|ушла|сдал|забыл|скинул|отправил|переслал|выложил|просит|просил|занял|взял|пропал|сказал|написал|помог|попросил|позвонил|звонил|ответил|предложил|обещал|"
    r"пришёл|пришел|пришла|передал|прислал|спросил|рассказал|пригласил|поздравил|"
    r"заболел|уволился|родил|придёт|придет|приедет|заберёт|заберет|будет)(?:а|ла|о|и)?\b",
)
CYRILLIC_NOT_PEOPLE: frozenset[str] = frozenset(
    {"врач", "доктор", "курьер", "водитель", "менеджер", "учитель", "учительница", "клиент",
     "клиентка", "начальник", "начальница", "директор", "сосед", "соседка", "мастер", "тренер",
     "продавец", "оператор", "сотрудник", "банк", "магазин", "компания", "сервер", "бот",
     "система", "сайт", "приложение", "служба", "поддержка", "школа", "больница", "суд",
     "полиция", "администрация", "руководство", "муж", "жена", "сын", "дочь", "брат", "друг",
     "подруга", "коллега", "преподаватель", "юрист", "бухгалтер", "он", "она", "они", "кто",
     "никто", "все", "каждый", "ребёнок", "ребенок", "парень", "девушка", "мужчина", "женщина"}
)  # fmt: skip
# Brand and firm endings ("Сбербанк", "Яндекс.Маркет", "Ростелеком"): no one's name.
CYRILLIC_FIRM_END = ("банк", "маркет", "сервис", "строй", "ком", "трейд", "групп", "бот", "нет")
CYRILLIC_STOP: frozenset[str] = frozenset(_RU_STOP) | frozenset(
    {"привет", "здравствуйте", "спасибо", "пожалуйста", "дорогой", "дорогая", "уважаемый",
     "уважаемая", "новый", "новым", "год", "годом",
     # shaped like familiar names (-а/-я) but words: times, places, addressees
     "сегодня", "сюда", "вчера", "завтра", "дома", "утра", "вечера", "ночью", "ребята",
     "друзья", "команда", "девочки", "девчата", "коллеги", "мама", "папа", "тётя", "тетя",
     "дядя", "бабушка", "дедушка", "сестра", "жена", "подруга", "соседка"}
)  # fmt: skip

# Russian case endings and the nominative endings they may come from.
_CYR_ENDINGS = _split("ого его ому ему ой ей ом ем ым им ую ою ею ах ях ам ям ых их а я у ю е ы и")
_CYR_NOMINATIVE = ("", "а", "я", "й", "ий", "ь", "ия")


def cyrillic_forms(low: str) -> frozenset[str]:
    """``low`` and the nominative forms it may be an inflection of ("насте" -> "настя")."""
    out = {low}
    for ending in _CYR_ENDINGS:
        if low.endswith(ending) and len(low) - len(ending) >= 2:
            stem = low[: -len(ending)]
            out.update(stem + n for n in _CYR_NOMINATIVE)
    return frozenset(out)


def self_id_end(norms: list[str], k: int) -> int:
    """ "من سارا احمدی هستم": where the self-introduction closing within three words
    after ``k`` closes (the index of its verb), or 0."""
    for i in range(k + 1, min(k + 4, len(norms))):
        if norms[i] in ARABIC_SELF_END:
            return i
    return 0


# Persian family names built with a suffix (after a zero-width non-joiner, which
# ``arabic_norm`` drops): "فتحی‌نژاد", "حسین‌زاده", "علی‌پور", "رضایی‌نیا".
_FAMILY_ENDS = ("نژاد", "زاده", "پور", "نیا")


def family_shaped(word: str) -> bool:
    """Is ``word`` (normalised) a Persian family name by its shape ("فتحی‌نژاد")?"""
    return len(word) > 5 and word.endswith(_FAMILY_ENDS)


# Russian given names as people call each other (diminutives and short forms, "Светка",
# "Гоша", "Вадик"): the name lists hold the full forms only ("Светлана", "Георгий"). Short
# forms that are also common words ("Слава", "Роза", "Мила", "Люба") are left out.
_RU_SHORT = (
    "саша сашка шура женя женька дима димка митя миша мишка серёжа серёга лёша алёша лёха "
    "паша пашка петя петька ваня ванька вова вовка володя коля колька костя толя федя гоша "
    "гошка гриша стёпа витя витька юра юрка вадик тёма антоша андрюша вася васька даня "
    "егорка макс кирюша рома ромка сеня тима гена боря лёва жора славик игорёк "
    "маша машка катя катька настя настька таня танька оля олька юля юлька лена ленка "
    "наташа наташка света светка ира ирка иришка аня анька галя валя даша дашка ксюша "
    "лиза люда соня тоня уля лида рита вика варя надя алёнка маринка нюша зина шурочка "
    # the casual forms friends use: "димон придет сегодня?", "скажи коляну"
    "димон димас саня санёк колян вован толян костян женёк ванёк стас стасик антоха "
    "мишаня лёшка"
)
RU_SHORT_NAMES = frozenset(_RU_SHORT.split())
