"""Issue 12, agent and developer traffic: people in records, tool results and repository
history (table columns, record keys, git authors and blame, chat exports, account ids),
and the look-alikes in the same formats that are no one (test fixtures, bots, apps). The
real scanner and real redaction."""

from __future__ import annotations

import pytest
from privacy_fixtures import (  # noqa: F401 - scanner is a pytest fixture
    assert_found_and_redacted,
    scan_text,
    scanner,
)

from edge_router.privacy.columns import ColumnPhoneRecognizer, ColumnUsernameRecognizer
from edge_router.privacy.handles import personal_account
from edge_router.privacy.scanner import PrivacyScanner

_PSQL = (
    "explain why the LEFT JOIN gives duplicates:\n\n"
    " user_id | username    | last_login_ip | plan\n"
    "---------+-------------+---------------+------\n"
    "     311 | gkaradimas  | 10.2.3.4      | pro\n"
    "     412 | amelie_roux | 10.2.3.5      | free\n"
)


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        (_PSQL, "gkaradimas", "USERNAME"),
        (_PSQL, "amelie_roux", "USERNAME"),
        ("name,email,phone\nHamid Rahimi,h.rahimi@example.com,+44 7700 900123,2024-05-02",
         "+44 7700 900123", "PHONE_NUMBER"),
        ('{"first_name": "Oluwaseun", "last_name": "Adeyemi-Hart", "email": "o@example.org"}',
         "Adeyemi-Hart", "PERSON"),
        ("customer:\n  vorname: Jörg\n  nachname: Brunnhuber\n  plz: 80331", "Brunnhuber",
         "PERSON"),
        ("commit 91ad7e2\nAuthor: svetlana-k <svetlana-k@users.noreply.github.com>\n\n    feat: x",
         "svetlana-k", "USERNAME"),
        ("why?\n\nb77d3f1e (jmarquez   2024-11-02 18:40:03 +0100 88)     total = base + vat",
         "jmarquez", "USERNAME"),
        ("[#proj-atlas] 10:42 @mfernandes: staging is down again\n"
         "[#proj-atlas] 10:44 @jun.tanaka: rolling back", "@jun.tanaka", "USERNAME"),
        ("Ticket #20931 - submitted by Wojciech Zalewski (account ACC-7730192)", "ACC-7730192",
         "ID_NUMBER"),
        ("Current user context:\n- name: Dana\n- customer_id: BLB-00482915", "BLB-00482915",
         "ID_NUMBER"),
        ('{"табельный_номер": "004731", "дата_рождения": "17.06.1988"}', "17.06.1988",
         "DATE_OF_BIRTH"),
        ('Doc 2: "Employee: Bartholomew Achterberg, EMP-20931, Finance."', "EMP-20931",
         "ID_NUMBER"),
        ("اینو خلاصه کن: نام کاربری g.tavakoli، لطفاً زنگ بزنید", "g.tavakoli", "USERNAME"),
        ("summarize this Slack thread:\nbea.k: anyone know if webhooks retry?\n"
         "Rowan Pettifer: yes\nbea.k: thx Rowan", "bea.k", "USERNAME"),
        ("cc john.smith@example.com on the lease", "john.smith@example.com", "EMAIL_ADDRESS"),
        ("cc h.rahimi@example.com on the lease", "h.rahimi@example.com", "EMAIL_ADDRESS"),
        ("لخّص: «والعنوان: عمّان، شارع الجاردنز، بناية 14، شقة 6»",
         "شارع الجاردنز، بناية 14، شقة 6", "STREET_ADDRESS"),
        ("آدرس: تهران، خیابان آزادی، کوچه ۱۲، پلاک ۷، واحد ۳",
         "خیابان آزادی، کوچه ۱۲، پلاک ۷، واحد ۳", "STREET_ADDRESS"),
        ("收货地址：上海市徐汇区漕溪北路 88 弄 5 号 1202 室。",
         "上海市徐汇区漕溪北路 88 弄 5 号 1202 室", "STREET_ADDRESS"),
        ("当前用户：陈雨桐，会员号 VIP20231187。请称呼她“雨桐妈妈”。", "雨桐", "PERSON"),
        ("summarise pls: 'hiya its Gracie from flat 3b, the buzzer still doesnt work'",
         "Gracie", "PERSON"),
        ("what's wrong with the date?\nINSERT INTO patients (id, last_name, dob) VALUES "
         "(311, 'Okafor', '1987-14-03'), (312, 'O''Neill', '1990-01-02');", "1990-01-02",
         "DATE_OF_BIRTH"),
        ("INSERT INTO patients (id, last_name, dob) VALUES (312, 'O''Neill', '1990-01-02');",
         "O''Neill", "PERSON"),
        ("id,name,dob,city\n7,Ama Mensah,1991-07-22,Accra", "1991-07-22", "DATE_OF_BIRTH"),
        ("the form wants my SIN (459 219 843) and my partner's income", "459 219 843",
         "ID_NUMBER"),
        ("Ana Duarte\nana.d@example.com | +1 555 0143 | Data analyst", "+1 555 0143",
         "PHONE_NUMBER"),
        ("خواهرزاده‌ام آرمان فتحی‌نژاد تازه کنکور داده", "آرمان فتحی‌نژاد", "PERSON"),
        ("Term 2 report - Year 4 - Ezra Blumenfeld\nReading: Ezra reads fluently.",
         "Ezra Blumenfeld", "PERSON"),
        ("make this sound less angry its to my sister: bex i told u 3 times", "bex", "PERSON"),
        ("Write a short funny poem for the farewell card of Margit Halvorsen, who is retiring "
         "after 31 years in accounts payable.", "Margit Halvorsen", "PERSON"),
        ("hola familias, el dinero para el regalo, bizum al 655 555 214 porfa", "655 555 214",
         "PHONE_NUMBER"),
        ("العميلة سلمى (رقم العضوية M-448120) تشتكي من التأخير", "M-448120", "ID_NUMBER"),
        ("помоги ответить: Дима, привет! в субботу не смогу на дачу", "Дима", "PERSON"),
    ],
)  # fmt: skip
def test_people_in_agent_traffic_are_found_and_redacted(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
    value: str,
    kind: str,
) -> None:
    assert_found_and_redacted(scanner, text, value, kind)


@pytest.mark.parametrize(
    "text",
    [
        "metadata:\n  name: billing-worker\n  labels: {owner: team-platform}",
        'user = User(first_name="Test", last_name="User", email="test@example.com", age=-1)',
        'product = {"name": "Pixel 8", "price": 699}',
        'const profile = { name: "{{user.name}}", plan: "pro" }',
        " user_id | username\n---------+-------------\n       2 | test_user_01\n       3 | root",
        "b77d3f1e (dependabot 2024-11-02 18:40:03 +0100 89)     requests==2.32.3",
        "[#proj-atlas] 10:42 @PagerDuty: [Triggered] staging-api health check failing\n"
        "[#proj-atlas] 10:44 @GitHub: Deployment rolled back",
        "my account 2 of 3 is locked, and the account 2024 budget is late",
        "id,phone_model,price\n1,Pixel 8,699",
        'Observation:\nticket_id: 48214\nlast_comment: "billed twice"\n'
        'macro_suggested: "Refund"\nassignee_group: Billing Tier 2',
        "pip fails: Access is denied: 'C:\\Users\\Administrator\\site-packages\\~umpy\\.libs'",
        "invite team-payments@example.com, calendar-bot@example.com and all-hands@example.com",
        "SMTP_USER=you@example.com\nSMTP_PASS=changeme",
        "示例对话里的“张三”和“李四”都是虚构用户，不要在回复中提到他们。",
        "its fine. hiya its raining again",
        "شارع المتنبي مشهور بالكتب",
        "INSERT INTO products (id, name, price) VALUES (1, 'Pixel 8', 699);",
        "what a sin (it cost 123 456 789 dollars)",
        "Write a short funny poem about a dragon named Margit Halvorsen who hoards spreadsheets.",
        "my boss: please send it before noon",
    ],
)
def test_record_and_history_look_alikes_stay_clean(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
) -> None:
    result = scan_text(scanner, text)
    assert not result.sensitive, result.reasons


def test_column_recognizers_read_their_own_columns_only() -> None:
    table = "login,tel,notes\njdunmore,+44 7700 900321,call after 5\n"
    users = ColumnUsernameRecognizer().analyze(table, ["USERNAME"])
    phones = ColumnPhoneRecognizer().analyze(table, ["PHONE_NUMBER"])
    assert [table[r.start : r.end] for r in users] == ["jdunmore"]
    assert [table[r.start : r.end] for r in phones] == ["+44 7700 900321"]


@pytest.mark.parametrize(
    ("account", "personal"),
    [("gkaradimas", True), ("amelie_roux", True), ("Talbot", True), ("root", False),
     ("team-platform", False), ("renovate[bot]", False), ("dependabot", False),
     ("test_user_01", False), ("anonymous", False)],
)  # fmt: skip
def test_personal_account(account: str, personal: bool) -> None:
    assert personal_account(account) is personal
