"""Online identifiers (GDPR recital 30): social handles, profile usernames, personal sites.

``HandleRecognizer`` reports them as one entity type, ``USERNAME``: an identifier a
person chose to be found by online. It is sensitive on its own (it is in no
``weak_types``) and redacted like a name. What it finds:

* ``@handle`` mentions ("thanks @jsmith_92", "(@anna.k)"), fediverse handles
  (``@anna@mastodon.social``, the whole of it) and handles of brands and
  organisations too ("@nytimes"): telling them apart would need a list that is
  never complete, so it fails closed;
* the username in profile URLs: ``github.com/<user>``, ``twitter.com/<user>``,
  ``x.com/<user>``, ``linkedin.com/in/<user>``, ``reddit.com/u/<user>``, bare
  ``u/<user>``, ``youtube.com/@<user>``, ``<user>.github.io``, ``<user>.substack.com``
  and the like; the span is the username (Presidio's ``URL``, a weak type, may
  cover the whole address; redaction merges the two);
* a username after a label or a platform ("username: jdoe", "my instagram is
  anna_b92", "his twitter handle is @x");
* a personal domain after "my website/blog/homepage/portfolio is ..." or "find me
  at ...": the whole domain and path, since the domain is the person's chosen name;
* machine accounts: Discord-style name tags (``dana_k#4821``), the user of a home
  directory (``/home/dana``, ``/Users/dana``, ``C:\\Users\\dana``, ``~dana``), ssh and
  scp logins (``ssh dana@devbox``) and git remotes (``git@github.com:dana/x.git``),
  except the accounts every machine has (``root``, ``ubuntu``, ``ec2-user``, ...).

Not handles: the ``@`` of an e-mail address (the e-mail recognizer owns those, and
their domains are never flagged here), decorators and annotations
(``@app.route``, ``@property``, ``@Override``), CSS at-rules and doc tags (``@media``,
``@param``), npm scopes (``@types/node``), SQL variables, times and multipliers
("@5pm", "icon@2x"), group mentions (``@here``, ``@everyone``), and anything on a
line that reads as code.

Example::

    HandleRecognizer().analyze("ping @jsmith_92 or see github.com/jsmith", ["USERNAME"])
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from edge_router.privacy.nametext import looks_like_code, verb_form
from edge_router.privacy.numbers import RegexRecognizer
from edge_router.privacy.speakers import speaker_lines

USERNAME = "USERNAME"

_USER = r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,48}[A-Za-z0-9_])?"

# "@anna@mastodon.social": a fediverse handle, the whole of it.
_FEDIVERSE = re.compile(r"(?<![\w.+@-])@[A-Za-z0-9_]{1,30}@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}")
# "@jsmith": not after a word character, dot or slash (e-mails, "icon@2x", "npm/@x").
_AT_HANDLE = re.compile(r"(?<![\w.+@/\\-])@(" + _USER + r")(?![\w@-])")
# "@爱吃橘子的Momo": a handle with Chinese characters (Weibo, Xiaohongshu, Douyin), up to
# a space or punctuation.
_AT_HAN = re.compile(r"(?<![\w.+@/\\-])@((?=\w*[\u3400-\u9fff])\w{2,24})")
# A shop's or marketplace's buyer named by their account: 'l'acheteur "Ludo_du_59"', "buyer
# jay_k88", "(ник gr8deals_tomasz", "买家 xiaomi_fan88". The value must look like an account
# (an underscore, or letters beside digits), not a word, a name or an order code in capitals.
_TRADER = re.compile(
    r"(?:\b(?:buyer|seller|bidder|customer|client|acheteu(?:r|se)|vendeu(?:r|se)|compradora?|"
    r"vendedora?|k[äa]ufer(?:in)?|verk[äa]ufer(?:in)?|nick(?:name)?|pseudo|usuario)|"
    r"покупател[ьяю]\w*|продавц?\w*|ник(?:нейм)?|买家|卖家)"
    r"[ \t]*(?:[:(—-]|is\b|es\b|est\b|ist\b)?[ \t]*[\"'«“`]?@?"
    r"(?-i:((?![A-Z0-9_.]+(?![\w@.-]))(?=[\w.]*(?:_|[A-Za-z]\d|\d[A-Za-z]))"
    r"[A-Za-z0-9][A-Za-z0-9_.]{2,30}[A-Za-z0-9]))(?![\w@.-])",
    re.IGNORECASE,
)
_TRADER_HINTS = ("buyer", "seller", "bidder", "customer", "client", "achet", "vend", "compra",
                 "käufer", "kaufer", "nick", "pseudo", "usuario", "покупател", "продав", "ник",
                 "买家", "卖家")  # fmt: skip
_NOT_HANDLES = frozenset(
    # group mentions
    {"here", "everyone", "channel", "all", "team", "room", "group", "someone",
     # decorators, annotations, doc tags, CSS and preprocessor at-rules
     "property", "staticmethod", "classmethod", "abstractmethod", "dataclass", "override",
     "deprecated", "param", "params", "return", "returns", "throws", "throw", "raises",
     "see", "since", "todo", "fixme", "type", "typedef", "callback", "example", "link",
     "code", "inheritdoc", "value", "version", "test", "media", "import", "keyframes",
     "font-face", "supports", "page", "charset", "namespace", "layer", "container",
     "apply", "tailwind", "mixin", "include", "extend", "use", "forward", "if", "else",
     "each", "for", "while", "function", "echo", "interface", "implementation", "end",
     "synthesize", "protocol", "objc", "autoreleasepool", "html", "model", "section",
     "yield", "foreach", "endforeach", "endif", "csrf", "auth", "extends", "component",
     "injectable", "input", "output", "ngmodule", "autowired", "bean", "entity", "id",
     "column", "table", "getmapping", "postmapping", "requestmapping", "restcontroller",
     "service", "repository", "transactional", "suppresswarnings", "nullable", "nonnull",
     "jsonproperty", "wraps", "lru_cache", "cache", "cached_property", "pytest", "fixture",
     "validator", "field_validator", "model_validator", "app", "router", "api"}
)  # fmt: skip
# What follows a decorator or an at-rule, not a mention: "(", ".attr", "/pkg", "{".
_CODE_AFTER = re.compile(r"[(/{]|\.[A-Za-z_]")
_NUMERIC = re.compile(r"\d+(?:[:.]\d+)?(?:am|pm|h|x|k|m|s|ms|px|%)?", re.IGNORECASE)
# What stands before a speaker in a chat export: a channel in brackets, a time.
_CHAT_STAMP = re.compile(r"[ \t]*(?:\[[^\]\n]{1,40}\][ \t]*)?(?:\d{1,2}:\d{2}(?::\d{2})?[ \t]*)?")
_SQL_BEFORE = re.compile(r"\b(?:declare|set|exec|execute|select|where|values)\s*\(?\s*$", re.I)

# Profile hosts: the first path segment (after an optional "in/", "u/", "@", ...) is a user.
_HOSTS = (
    r"github\.com|gitlab\.com|bitbucket\.org|twitter\.com|x\.com|instagram\.com|"
    r"facebook\.com|fb\.com|linkedin\.com|tiktok\.com|threads\.net|medium\.com|reddit\.com|"
    r"youtube\.com|twitch\.tv|t\.me|telegram\.me|keybase\.io|dev\.to|behance\.net|"
    r"dribbble\.com|pinterest\.com|soundcloud\.com|vimeo\.com|flickr\.com|patreon\.com|"
    r"ko-fi\.com|buymeacoffee\.com|linktr\.ee|huggingface\.co|kaggle\.com|codepen\.io|"
    r"leetcode\.com|hackerrank\.com|npmjs\.com|pypi\.org|bsky\.app|snapchat\.com|"
    r"tumblr\.com|quora\.com|goodreads\.com|letterboxd\.com|last\.fm|steamcommunity\.com|"
    r"stackoverflow\.com|mastodon\.social|about\.me|gravatar\.com"
)
_PROFILE = re.compile(
    r"(?<![\w.@-])(?:https?://)?(?:www\.|m\.|mobile\.|[a-z]{2}\.)?(?:" + _HOSTS + r")/"
    r"(?:(?:in|pub|u|user|users|profile|people|c|channel|id|~)/(?:\d+/)?)?@?"
    r"([A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,48}[A-Za-z0-9_])?)(?![\w-])",
    re.IGNORECASE,
)
# Paths of those hosts that are pages, not people.
_RESERVED = frozenset(
    {"about", "login", "logout", "signup", "join", "register", "settings", "features",
     "topics", "explore", "search", "trending", "marketplace", "pricing", "orgs",
     "organizations", "sponsors", "apps", "notifications", "pulls", "issues", "home", "i",
     "intent", "share", "sharer", "hashtag", "help", "privacy", "terms", "tos", "legal",
     "policies", "jobs", "careers", "company", "school", "groups", "pages", "events", "p",
     "reel", "reels", "tv", "watch", "results", "r", "feed", "messages", "download",
     "downloads", "blog", "docs", "enterprise", "team", "teams", "collections", "new",
     "dashboard", "account", "accounts", "developers", "developer", "business", "ads",
     "status", "contact", "press", "api", "static", "assets", "shorts", "playlist", "embed",
     "tag", "tags", "discover", "live", "video", "videos", "photo", "photos", "compose",
     "questions", "q", "a", "posts", "wiki", "gist", "readme", "security",
     "customer-stories", "s", "projects", "packages", "project",
     "package", "datasets", "models", "spaces", "competitions", "problems", "problemset",
     "contest", "simple", "hashtags", "gaming", "music", "channels"}
)  # fmt: skip
# Reddit's bare "u/name" and "/u/name".
_BARE_U = re.compile(r"(?:^|(?<=[\s(\[,;:\"'“]))/?u/([A-Za-z0-9_-]{3,20})(?![\w/-])")
# "<user>.github.io", "<user>.substack.com": the subdomain is the user.
_SUBDOMAIN = re.compile(
    r"(?<![\w.@-])(?:https?://)?([a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?)\."
    r"(?:github\.io|gitlab\.io|substack\.com|medium\.com|tumblr\.com|wordpress\.com|"
    r"blogspot\.com|netlify\.app|vercel\.app|carrd\.co|neocities\.org|bearblog\.dev|"
    r"micro\.blog|bsky\.social|itch\.io|deviantart\.com)(?![\w-])",
    re.IGNORECASE,
)
_NOT_USER_SUBDOMAINS = frozenset({"www", "docs", "blog", "pages", "api", "help", "engineering"})
_PLATFORMS = (
    r"twitter|x|instagram|insta|ig|github|gitlab|tiktok|reddit|discord|telegram|snapchat|"
    r"snap|skype|steam|xbox|psn|playstation|linkedin|youtube|twitch|mastodon|bluesky|"
    r"threads|kik|wechat|signal|slack|facebook|fb|roblox|minecraft|epic|battle\.net"
)
# "username: jdoe", "my twitter handle is @x", "her instagram is anna_b92".
_LABELLED = re.compile(
    # Also as a JSON or YAML key: '"username": "bogdan_r"'.
    r"(?:\b(?:user[\s_]*name|username|user\s*id|userid|login(?:[\s_]+name)?|"
    r"screen[\s_]*name|gamer\s*tag|gamertag|handle)[\"']?\s*[:=]|"
    r"\b(?:my|his|her|their|your|our)\s+(?:(?:" + _PLATFORMS + r")\s+)?"
    r"(?:handle|username|user\s*name|screen\s*name|gamertag|gamer\s*tag|login|user\s*id)"
    r"\s*(?:is|was|:|=)|"
    r"\b(?:my|his|her|their|your|our)\s+(?:" + _PLATFORMS + r")(?:\s+(?:account|profile|id|"
    r"name|tag))?\s*(?:is|was|:|=))"
    r"[ \t]*[\"'`]?@?(" + _USER + r")",
    re.IGNORECASE,
)
# The same labels in the other languages the scanner reads: "我的微信号是 lihua_8823",
# "mi usuario es ana_b92", "mon pseudo : jdoe", "mein Benutzername ist jd", "мой ник — x".
_LABELLED_FOREIGN = re.compile(
    r"(?:(?:微信号?|[Qq]{2}(?:号|[ \t]*[:：])|帐号|账号|用户名|抖音号?|小红书号?|推特账?号?)[ \t]*"
    r"(?:是|为|[:：])?|"
    r"\b(?:(?:mi|su|tu)\s+(?:nombre\s+de\s+)?usuario|(?:mon|son|ton)\s+(?:pseudo|identifiant|"
    r"nom\s+d['’]utilisateur)|(?:mein|sein|ihr|dein)\s+(?:benutzer|nutzer)name)"
    r"\s*(?:es|est|ist|lautet|:)|"
    r"\b(?:мой|его|её|ее|твой|ваш)\s+(?:ник(?:нейм)?|логин|юзернейм)\s*(?:[—:-]|это)?|"
    r"نام[ \t\u200c]کاربری(?:[ \t]*(?:من|ام|مون))?[ \t]*[:：]?|اسم[ \t]المستخدم[ \t]*[:：]?)"
    r"[ \t]*[\"'`]?@?(" + _USER + r")(?![\w@.-])",
    re.IGNORECASE,
)
_FOREIGN_LABEL_HINTS = ("微信", "qq", "帐号", "账号", "用户名", "抖音", "小红书", "推特",
                        "usuario", "pseudo", "identifiant", "utilisateur", "nutzername",
                        "benutzername", "ник", "логин", "юзернейм", "کاربری",
                        "المستخدم")  # fmt: skip
# Values after a label that say something about it, not name it ("username: required").
_NOT_VALUES = frozenset(
    {"required", "needed", "invalid", "incorrect", "wrong", "taken", "available", "missing",
     "empty", "blank", "case", "same", "different", "unique", "mandatory", "optional",
     "correct", "valid", "not", "too", "already", "still", "also", "private", "public",
     "hidden", "none", "null", "n/a", "na", "unknown", "your", "the", "a", "an", "my", "his",
     "her", "their", "our", "this", "that", "it", "is", "and", "or", "field", "here",
     "below", "above", "shown", "changed", "locked", "suspended", "banned", "deleted"}
)  # fmt: skip
# Cheap substring checks that must pass before a pattern runs: Python's regex engine
# tries every position, which costs more than the scan of one short text should.
_SUBDOMAIN_HINTS = (".github.", ".gitlab.", ".substack.", ".medium.", ".tumblr.", ".wordpress.",
                    ".blogspot.", ".netlify.", ".vercel.", ".carrd.", ".neocities.", ".bearblog.",
                    ".micro.", ".bsky.", ".itch.", ".deviantart.")  # fmt: skip
_LABEL_HINTS = ("user", "login", "handle", "screen", "gamer")
_PLATFORM_HINTS = tuple(w for w in _PLATFORMS.replace("\\.", ".").split("|") if len(w) > 2)
_SITE_HINTS = ("site", "blog", "homepage", "home page", "portfolio", "domain", "web page",
               "webpage", " me at", " me on")  # fmt: skip
# "my website is annaschmidt.dev", "find me at jdoe.me/blog".
_SITE = re.compile(
    r"(?:\b(?:my|his|her|their|our)\s+(?:personal\s+|own\s+)?(?:website|web\s*site|site|"
    r"blog|homepage|home\s+page|portfolio|domain|web\s*page)\s*(?:is|was|:|=|-|at)?|"
    r"\b(?:find|visit|follow|reach)\s+me\s+(?:at|on))"
    r"[ \t]*(?:at[ \t]+)?(?<![@\w])((?:https?://)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*"
    r"\.[a-z]{2,24}(?:/[\w./~%-]*[\w/~%-])?)(?![\w@-])",
    re.IGNORECASE,
)


# "dana_k#4821": a Discord-style name tag; not an issue, ticket or order number.
# The name holds a letter: "2231#2231" in an nginx line is a process and thread id.
_TAG = re.compile(r"(?<![\w#@/.-])((?=[\w.]*[A-Za-z])[A-Za-z0-9_.]{2,32}#\d{4})(?![\w#])")
_NOT_TAGS = frozenset(
    {"issue", "issues", "pr", "pull", "bug", "ticket", "order", "invoice", "item", "room",
     "case", "no", "number", "num", "step", "page", "line", "version", "table", "fig",
     "figure", "build", "job", "run", "task", "story", "epic", "commit", "ref", "id", "color",
     "colour", "channel", "test", "rule", "row", "col", "note", "part", "unit", "flight"}
)  # fmt: skip
# Home directories name their user: /home/dana, /Users/dana, C:\Users\dana, ~dana.
_HOME = re.compile(
    r"(?:(?<![\w.])/home/|(?<![\w.])/Users/|\b[A-Za-z]:\\+Users\\+|(?<![\w/~\\])~)"
    r"([A-Za-z0-9][A-Za-z0-9._-]{0,31})(?![\w-])"
)
# "ssh dana@devbox", "scp f dana@10.0.0.5:", "git@github.com:dana/dotfiles.git".
_SSH_LOGIN = re.compile(
    r"\b(?:ssh|scp|sftp|rsync|mosh)\b[^\n@]{0,60}?(?<![\w.-])([a-z_][a-z0-9_.-]{0,31})@[\w.-]+"
)
# An auth log's account: "Accepted publickey for jbrennan from 203.0.113.4",
# "session opened for user mthiele" (not "invalid user admin": a scanner's guess).
# A log line's key=value account: "login failed user=hkowalczyk src=10.0.0.4". Only with
# another key=value or the line's end after it, so code ("login(user=request.user)") is
# left alone.
_KV_USER = re.compile(
    r"(?<![\w.])(?:user|uid|login|account)=([A-Za-z0-9_][A-Za-z0-9_.-]{0,31})"
    r"(?=[ \t]+[\w.]+=|[ \t]*$)",
    re.MULTILINE,
)
# A ticket's or tracker's people fields holding an account, not a name: "Reporter:
# gpapadakis", "assignee=jlin". Written small and in one token only: "Reporter: Maria
# Lopez" is a name, which the name cues find.
# Git's author lines and trailers too, before the address: "Author: svetlana-k <...>".
_TRACKER = re.compile(
    r"\b(?i:reporter|assignee|assigned[ \t]+to|owner|author|submitter|requester|"
    r"reviewer|created[ \t]+by|opened[ \t]+by|committer|co-authored-by|signed-off-by|"
    r"reviewed-by|acked-by|tested-by|reported-by)[ \t]*[:=][ \t]*"
    r"([a-z][a-z0-9_.-]{2,31})(?=[ \t]*(?:[|,;)\n<]|$))"
)
# git blame: "b77d3f1e (jmarquez   2024-11-02 18:40:03 +0100 88)": the line's author.
_BLAME = re.compile(
    r"^\^?[0-9a-f]{7,40}[ \t]+(?:[^\s(]+[ \t]+)?\(([a-z][a-z0-9_.-]{1,31})[ \t]+"
    r"\d{4}-\d{2}-\d{2}[ \t]",
    re.MULTILINE,
)
_NO_ACCOUNT = frozenset(
    {"anonymous", "unassigned", "nobody", "none", "null", "unknown", "admin", "root",
     "system", "bot", "me", "you", "team", "tbd", "n/a", "self", "everyone", "us"}
)  # fmt: skip
# Accounts of a team or a service, not a person: "team-platform", "sre.oncall".
_GROUP_ACCOUNTS = frozenset(
    {"team", "group", "squad", "oncall", "ops", "devops", "platform", "infra", "sre", "bot",
     "ci", "qa", "support", "helpdesk", "it", "hr", "security", "sec", "dev", "devs", "svc"}
)  # fmt: skip
_AUTH_LOG = re.compile(
    r"\b(?:(?:Accepted|Failed)[ \t]+(?:password|publickey|keyboard-interactive/pam)[ \t]+for|"
    r"session[ \t]+(?:opened|closed)[ \t]+for[ \t]+user)[ \t]+(?!invalid[ \t])"
    r"([a-z_][a-z0-9_.-]{0,31})\b"
)
_GIT_SSH = re.compile(r"\bgit@(?:github\.com|gitlab\.com|bitbucket\.org):([A-Za-z0-9_.-]+)/")
# First parts of accounts made for tests: "test_user_01", "demo-account".
_TEST_ACCOUNTS = frozenset({"test", "testuser", "demo", "dummy", "sample", "example", "temp"})
# Automation accounts in repositories' histories.
_BOTS = frozenset(
    {"dependabot", "renovate", "github-actions", "mergify", "codecov", "greenkeeper",
     "snyk-bot", "pre-commit-ci", "allcontributors", "copilot", "web-flow", "actions-user"}
)  # fmt: skip
# Accounts every machine or image has, and stand-ins: no person's name.
_SYSTEM_USERS = frozenset(
    {"root", "user", "users", "username", "ubuntu", "admin", "administrator", "pi",
     "ec2-user", "vagrant", "runner", "public", "shared", "default", "guest", "you", "me",
     "yourname", "your_username", "yourusername", "test", "www-data", "nobody", "centos",
     "debian", "fedora", "node", "app", "docker", "jenkins", "git", "opc", "azureuser",
     "bitnami", "postgres", "mysql", "oracle", "deploy", "ansible", "circleci", "travis",
     "build", "builder", "dev", "developer", "linuxbrew", "x", "foo", "bar"}
)  # fmt: skip


class HandleRecognizer(RegexRecognizer):
    """``USERNAME`` spans: handles, profile usernames, labelled usernames, personal sites.

    Example::

        HandleRecognizer().analyze("John Smith (@jsmith)", ["USERNAME"])  # one result
    """

    ENTITY = USERNAME

    def __init__(
        self, supported_language: str = "en", english: frozenset[str] = frozenset()
    ) -> None:
        """``english``: lower-case English words; a chat label made of them is a record's
        field ("last_comment: ..."), not a speaker's handle."""
        super().__init__(supported_language)
        self._english = english

    def _find(self, text: str) -> Iterator[tuple[int, int, float]]:
        low = text.lower()
        if "@" in text:
            for match in _FEDIVERSE.finditer(text):
                yield match.start(), match.end(), 0.8
            for match in _AT_HANDLE.finditer(text):
                if self._is_handle(text, match):
                    yield match.start(), match.end(), 0.6
            for match in _AT_HAN.finditer(text):
                yield match.start(), match.end(), 0.6
        if "/" in text:
            for match in _PROFILE.finditer(text):
                if match.group(1).lower() not in _RESERVED:
                    yield match.start(1), match.end(1), 0.75
            for match in _BARE_U.finditer(text) if "u/" in low else ():
                yield match.start(1), match.end(1), 0.7
        if any(hint in low for hint in _SUBDOMAIN_HINTS):
            for match in _SUBDOMAIN.finditer(text):
                if match.group(1).lower() not in _NOT_USER_SUBDOMAINS:
                    yield match.start(1), match.end(1), 0.7
        if _has_label_or_platform(low):
            for match in _LABELLED.finditer(text):
                if match.group(1).lower() not in _NOT_VALUES:
                    yield match.start(1), match.end(1), 0.7
        if any(hint in low for hint in _TRADER_HINTS):
            for match in _TRADER.finditer(text):
                yield match.start(1), match.end(1), 0.7
        if any(hint in low for hint in _FOREIGN_LABEL_HINTS):
            for match in _LABELLED_FOREIGN.finditer(text):
                if match.group(1).lower() not in _NOT_VALUES:
                    yield match.start(1), match.end(1), 0.7
        if "." in text and any(hint in low for hint in _SITE_HINTS):
            for match in _SITE.finditer(text):
                yield match.start(1), match.end(1), 0.7
        yield from _machine_accounts(text, low)
        yield from _chat_speakers(text, self._english)

    @staticmethod
    def _is_handle(text: str, match: re.Match[str]) -> bool:
        """Is this ``@word`` a mention rather than code, a tag or a time?"""
        name = match.group(1)
        if name.split(".")[0].lower() in _NOT_HANDLES or _NUMERIC.fullmatch(name):
            return False
        line_start = text.rfind("\n", 0, match.start()) + 1
        line_end = text.find("\n", match.end())
        line = text[line_start : line_end if line_end >= 0 else len(text)]
        after = text[match.end() : match.end() + 2]
        before = text[line_start : match.start()]
        if _CODE_AFTER.match(after) or _SQL_BEFORE.search(before):
            return False
        if after[:1] == ":" and before.strip() and _CHAT_STAMP.fullmatch(before):
            # A chat export's speaker, "[#proj-atlas] 10:42 @mfernandes: ..."; written with
            # capitals it is an app's ("@PagerDuty", "@GitHub").
            return name.islower()
        if not before.strip() and not text[match.end() : len(line) + line_start].strip():
            # "@property" alone on its line: a decorator above a definition.
            return False
        # Inline code ("use `@Input`") and lines of code; the handle's own underscores
        # ("@jess_makes_pots") are no code syntax.
        rest = line[: match.start() - line_start] + line[match.end() - line_start :]
        return not (before.count("`") % 2 == 1 or looks_like_code(rest))


def _machine_accounts(text: str, low: str) -> Iterator[tuple[int, int, float]]:
    """Name tags, home directories, ssh logins, git remotes, authors and blame lines, log
    and tracker fields: a person's username."""
    if "#" in text:
        for match in _TAG.finditer(text):
            if match.group(1).split("#")[0].lower() not in _NOT_TAGS:
                yield match.start(1), match.end(1), 0.6
    found: list[re.Match[str]] = []
    if "/home/" in text or "/Users/" in text or "\\" in text or "~" in text:
        found += _HOME.finditer(text)
    if "@" in text and any(w in low for w in ("ssh", "scp", "sftp", "rsync", "mosh")):
        found += _SSH_LOGIN.finditer(text)
    if "git@" in text:
        found += _GIT_SSH.finditer(text)
    if " for " in text and ("Accepted" in text or "Failed" in text or "session" in text):
        found += _AUTH_LOG.finditer(text)
    if "=" in text:
        found += (m for m in _KV_USER.finditer(text) if not m.group(1).isdigit())
    if ":" in text or "=" in text:
        found += (m for m in _TRACKER.finditer(text) if personal_account(m.group(1)))
    if "(" in text:
        found += (m for m in _BLAME.finditer(text) if personal_account(m.group(1)))
    for match in found:
        if match.group(1).lower() not in _SYSTEM_USERS:
            yield match.start(1), match.end(1), 0.7


def personal_account(value: str) -> bool:
    """Could this account name be a person's: not "anonymous", "root" or "team-platform"?"""
    low = value.lower()
    return (
        low not in _NO_ACCOUNT
        and low not in _SYSTEM_USERS
        and low not in _BOTS
        and not low.endswith(("[bot]", "-bot", "_bot"))
        and re.split(r"[-_.]", low)[0] not in _GROUP_ACCOUNTS | _TEST_ACCOUNTS
    )


# The speaker is a handle when one dot or underscore joins its letters ("bea.k");
# plain names ("Rowan:") are NER's, and kebab-case is a program's ("systemd-resolved").
_SPEAKER_HANDLE = re.compile(r"[A-Za-z]+\d*[._][A-Za-z]+\d*")


def _chat_speakers(text: str, english: frozenset[str]) -> Iterator[tuple[int, int, float]]:
    """Handles that label the lines of a pasted chat log (two speaker lines or more)."""
    for match in speaker_lines(text):
        label = match.group(1)
        parts = [p for p in re.split(r"[._\d]", label.lower()) if p]
        # "macro_suggested:" is a record's field
        field = all(
            len(p) >= 2
            and (p in english or verb_form(p, english) or (p[-1] == "s" and p[:-1] in english))
            for p in parts
        )
        if _SPEAKER_HANDLE.fullmatch(label) and max(map(len, parts)) >= 3 and not field:
            yield match.start(1), match.end(1), 0.65


def _has_label_or_platform(low: str) -> bool:
    """Could ``low`` (lower-cased) hold a username label or a platform account?"""
    if any(hint in low for hint in _LABEL_HINTS + _PLATFORM_HINTS):
        return True
    return any(f" {w} " in low or f" {w}:" in low for w in ("x", "ig", "fb"))
