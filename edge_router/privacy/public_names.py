"""Well-known people and fictional characters by full name: public whatever the sentence.

The WordNet lemmas behind ``framing.Framer``'s known names stop about 2006 and hold
family names only, so a public cue must stand in the same sentence before a name is
public. Prompts about today's athletes, actors, musicians, founders and politicians,
or about characters of films, series, books and games, often carry no such cue
("Pedro Pascal really is everyone's internet dad", "explain Geralt's choices").

This is general knowledge written for this project (2026-11) from public fame, not
from any data set: people prominent in world news, sport, film, music, business and
politics of the last decades, and widely known fictional characters. A name counts
only as a whole: "Tom Holland" is public, "Holland" or "Tom" alone is nobody, so a
private person who shares a famous family name is untouched. One-word names
(``MONONYMS``) count only where they are no listed first name (``Framer`` checks), so
"Elsa" or "Mario" stays a possible private person.

Private cues still win: a greeting, sign-off or mail header before a famous name keeps
it private (a fan letter is sent to someone), only "write to"/"thank X" yields to it.

Example::

    is_public_name("Pedro Pascal")   # True
    is_public_name("Pedro Alvarez")  # False
"""

from __future__ import annotations

import re

from edge_router.privacy.namelists import fold


def _names(block: str) -> frozenset[str]:
    """Names one per comma-separated item, folded, inner spaces normalised."""
    return frozenset(" ".join(fold(n).split()) for n in block.split(",") if n.strip())


# Full names (two words or more). Order: politics, business and tech, sport, film and
# television, music, writing and science, media.
PEOPLE: frozenset[str] = _names(
    """
    joe biden, donald trump, barack obama, michelle obama, kamala harris, hillary clinton,
    bill clinton, george bush, nikki haley, ron desantis, bernie sanders, nancy pelosi,
    alexandria ocasio-cortez, mike pence, jd vance, tim walz, justin trudeau, mark carney,
    rishi sunak, keir starmer, boris johnson, theresa may, liz truss, emmanuel macron,
    marine le pen, angela merkel, olaf scholz, friedrich merz, giorgia meloni,
    pedro sanchez, ursula von der leyen, vladimir putin, volodymyr zelensky,
    volodymyr zelenskyy, xi jinping, narendra modi, recep tayyip erdogan, benjamin netanyahu,
    jacinda ardern, anthony albanese, luiz inacio lula da silva, javier milei,
    claudia sheinbaum, cyril ramaphosa, king charles, prince harry, prince william,
    kate middleton, meghan markle, queen elizabeth, pope francis, pope leo, dalai lama,
    greta thunberg, malala yousafzai, elon musk, jeff bezos, mark zuckerberg, bill gates,
    steve jobs, tim cook, sundar pichai, satya nadella, jensen huang, sam altman,
    lisa su, larry page, sergey brin, larry ellison, warren buffett, jack dorsey,
    jack ma, masayoshi son, daniel ek, reed hastings, brian chesky, travis kalanick,
    susan wojcicki, sheryl sandberg, marissa mayer, demis hassabis, dario amodei,
    mustafa suleyman, ilya sutskever, andrej karpathy, geoffrey hinton, yann lecun,
    yoshua bengio, fei-fei li, andrew ng, linus torvalds, guido van rossum,
    vitalik buterin, changpeng zhao, sam bankman-fried, richard branson, michael dell,
    lionel messi, cristiano ronaldo, kylian mbappe, erling haaland, neymar jr,
    lamine yamal, jude bellingham, vinicius junior, mohamed salah, harry kane,
    kevin de bruyne, robert lewandowski, luka modric, zinedine zidane, david beckham,
    wayne rooney, pep guardiola, jurgen klopp, carlo ancelotti, jose mourinho,
    alex ferguson, diego maradona, johan cruyff, megan rapinoe, alexia putellas,
    lebron james, stephen curry, steph curry, kevin durant, giannis antetokounmpo,
    nikola jokic, luka doncic, victor wembanyama, kobe bryant, michael jordan,
    shaquille o'neal, steve kerr, caitlin clark, tom brady, patrick mahomes,
    travis kelce, aaron rodgers, serena williams, venus williams, roger federer,
    rafael nadal, novak djokovic, andy murray, carlos alcaraz, jannik sinner,
    iga swiatek, aryna sabalenka, coco gauff, naomi osaka, emma raducanu,
    lewis hamilton, max verstappen, charles leclerc, lando norris, fernando alonso,
    michael schumacher, ayrton senna, usain bolt, eliud kipchoge, mo farah,
    simone biles, michael phelps, katie ledecky, tiger woods, rory mcilroy,
    scottie scheffler, virat kohli, sachin tendulkar, ms dhoni, conor mcgregor,
    muhammad ali, mike tyson, tyson fury, anthony joshua, shohei ohtani, babe ruth,
    wayne gretzky, sidney crosby, connor mcdavid, tadej pogacar, jonas vingegaard,
    pedro pascal, tom holland, zendaya coleman, chris hemsworth, chris evans,
    chris pratt, scarlett johansson, robert downey jr, keanu reeves, tom cruise,
    tom hanks, brad pitt, angelina jolie, leonardo dicaprio, margot robbie,
    ryan gosling, ryan reynolds, timothee chalamet, florence pugh, cillian murphy,
    emma stone, emma watson, daniel radcliffe, rupert grint, jennifer lawrence,
    jennifer aniston, meryl streep, denzel washington, morgan freeman,
    samuel l jackson, dwayne johnson, will smith, johnny depp, anne hathaway,
    natalie portman, nicole kidman, cate blanchett, viola davis, anya taylor-joy,
    jenna ortega, sydney sweeney, austin butler, paul mescal, barry keoghan,
    jacob elordi, pedro almodovar, penelope cruz, javier bardem, antonio banderas,
    benedict cumberbatch, idris elba, henry cavill, matt damon, ben affleck,
    jason momoa, gal gadot, millie bobby brown, selena gomez, jeremy allen white,
    bryan cranston, aaron paul, jeremy strong, kieran culkin, sarah snook,
    brian cox, matthew perry, jennifer coolidge, kim kardashian, kylie jenner,
    kendall jenner, paris hilton, oprah winfrey, ellen degeneres, jimmy fallon,
    jimmy kimmel, stephen colbert, joe rogan, mr beast, jimmy donaldson,
    steven spielberg, christopher nolan, quentin tarantino, martin scorsese,
    greta gerwig, denis villeneuve, james cameron, hayao miyazaki, wes anderson,
    taylor swift, beyonce knowles, olivia rodrigo, sabrina carpenter, billie eilish,
    ariana grande, dua lipa, harry styles, ed sheeran, justin bieber, lady gaga,
    bruno mars, the weeknd, kendrick lamar, travis scott, kanye west, jay-z,
    nicki minaj, cardi b, doja cat, post malone, bad bunny, karol g, j balvin,
    chappell roan, charli xcx, lana del rey, miley cyrus, katy perry, shawn mendes,
    elton john, paul mccartney, john lennon, mick jagger, freddie mercury,
    david bowie, michael jackson, whitney houston, bob dylan, bruce springsteen,
    kurt cobain, amy winehouse, snoop dogg, olivia newton-john, dolly parton,
    j.k. rowling, jk rowling, stephen king, george r r martin, george rr martin,
    haruki murakami, margaret atwood, neil gaiman, sally rooney, colleen hoover,
    yuval noah harari, malcolm gladwell, jordan peterson, noam chomsky,
    neil degrasse tyson, stephen hawking, jane goodall, david attenborough,
    carl sagan, richard dawkins, brian cox, anthony fauci, martin luther king,
    nelson mandela, mahatma gandhi, mother teresa, princess diana, anne frank,
    marie curie, ada lovelace, alan turing, nikola tesla, albert einstein,
    frida kahlo, pablo picasso, vincent van gogh, banksy
    """
)

# Fictional characters by full name, and the works' best-known single names below.
CHARACTERS: frozenset[str] = _names(
    """
    harry potter, hermione granger, ron weasley, albus dumbledore, severus snape,
    draco malfoy, lord voldemort, sirius black, frodo baggins, bilbo baggins,
    samwise gamgee, tyrion lannister, jon snow, daenerys targaryen, arya stark,
    sansa stark, cersei lannister, walter white, jesse pinkman, saul goodman,
    kendall roy, logan roy, shiv roy, roman roy, tony soprano, don draper,
    michael scott, dwight schrute, leslie knope, ted lasso, sherlock holmes,
    john watson, hercule poirot, miss marple, james bond, jack sparrow,
    indiana jones, luke skywalker, darth vader, han solo, princess leia,
    katniss everdeen, peter parker, tony stark, bruce wayne, clark kent,
    diana prince, steve rogers, natasha romanoff, wanda maximoff,
    jay gatsby, elizabeth bennet, mr darcy, atticus finch, holden caulfield,
    ebenezer scrooge, captain ahab, jean valjean, anna karenina, don quixote,
    homer simpson, bart simpson, lisa simpson, marge simpson, rick sanchez,
    spongebob squarepants, bugs bunny, mickey mouse, lara croft, master chief,
    ellie williams, joel miller, arthur morgan, geralt of rivia, ms frizzle,
    forrest gump, hannibal lecter, buffy summers, eleven hopper, jim hopper,
    lisbeth salander, bridget jones, paddington bear, winnie the pooh,
    ash ketchum, monkey d luffy, naruto uzumaki, light yagami, eren yeager,
    paul atreides, chani kynes, barbie roberts
    """
)

# Brands written as a person's name ("is Hugo Boss sizing small", "Mr Kipling or Sara
# Lee"): public like a famous name. Names common among private people ("Paul Smith",
# "John Lewis", "Ted Baker") are left out: a namesake is likelier than the brand.
BRANDS: frozenset[str] = _names(
    """
    hugo boss, tommy hilfiger, calvin klein, ralph lauren, jack wolfskin, marc jacobs,
    michael kors, kate spade, tory burch, vera wang, stella mccartney, christian dior,
    yves saint laurent, giorgio armani, louis vuitton, coco chanel, estee lauder,
    elizabeth arden, bobbi brown, charlotte tilbury, tom ford, jimmy choo,
    christian louboutin, alexander mcqueen, karen millen, steve madden, kenneth cole,
    anne klein, levi strauss, fred perry, ben sherman, sara lee, tim hortons, mr kipling,
    uncle ben, betty crocker, duncan hines, chef boyardee, aunt jemima, papa john,
    dr martens, doc martens, dr pepper, dr oetker, harley davidson, rolls royce,
    aston martin, jack daniel, johnnie walker, jim beam, captain morgan, jose cuervo,
    colonel sanders, ronald mcdonald, paul mitchell, john frieda, orville redenbacher
    """
)

# Names that stand for "anyone" in templates, docs, tests and forms ("John Doe", "Max
# Mustermann", "Jan Kowalski", "Иван Иванов"): nobody in particular, so public like a
# character. Greetings and headers before them still make them private (fail closed).
PLACEHOLDERS: frozenset[str] = _names(
    """
    john doe, jane doe, john q public, jane q public, richard roe, joe bloggs, fred bloggs,
    joe schmoe, joe public, max mustermann, erika mustermann, otto normalverbraucher,
    jean dupont, jean dupond, marie dupont, juan perez, fulano de tal, mario rossi,
    jan kowalski, jan novak, ivan ivanov, иван иванов, ivan ivanovich ivanov,
    иван иванович иванов, tommy atkins, ola nordmann, kari nordmann, john doe jr
    """
)

# One-word names of people and characters known by them alone; ``Framer`` ignores the
# ones that are also listed first names ("Elsa", "Mario", "Drake" may be anyone's).
MONONYMS: frozenset[str] = _names(
    """
    zendaya, rihanna, beyonce, shakira, adele, drake, madonna, cher, bono, eminem,
    pele, ronaldinho, neymar, lizzo, rosalia, oprah, banksy, mrbeast, pewdiepie,
    obama, einstein, napoleon, shakespeare, cleopatra, gandhi,
    hermione, dumbledore, voldemort, gandalf, frodo, bilbo, aragorn, legolas, gollum,
    sauron, katniss, geralt, yennefer, ciri, goku, vegeta, naruto, sasuke, pikachu,
    luigi, zelda, shrek, moana, simba, batman, superman, spider-man, spiderman,
    wolverine, thanos, yoda, chewbacca, gatsby, heathcliff, sherlock, poirot,
    scrooge, gollum, saitama, luffy, tyrion, daenerys, khaleesi, pinocchio,
    rapunzel, cinderella, mulan, elsa, olaf, homer, bart, spongebob, feyd-rautha
    """
)

# The last word of each full name of a real person, for ``Framer``'s known family
# names: public cue words vouch for them as for WordNet's "Einstein" ("Mahomes").
FAMILY_NAMES: frozenset[str] = frozenset(
    n.split()[-1] for n in PEOPLE if len(n.split()[-1]) >= 3 and n.split()[-1] != "jr"
)

_SPACES = re.compile(r"[\s.]+")


def canonical(name: str) -> str:
    """Folded, dots and runs of spaces as one space, possessive dropped: the lookup key."""
    text = name.strip()
    for suffix in ("'s", "’s"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    return _SPACES.sub(" ", fold(text)).strip()


def is_public_name(name: str) -> bool:
    """Is ``name`` (two words or more) a well-known person's, character's, brand's or
    placeholder's full name?"""
    key = canonical(name)
    return " " in key and (
        key in PEOPLE or key in CHARACTERS or key in BRANDS or key in PLACEHOLDERS
    )


def is_mononym(name: str) -> bool:
    """Is ``name`` one word that names a well-known person or character on its own?"""
    key = canonical(name)
    return " " not in key and key in MONONYMS
