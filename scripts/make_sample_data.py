"""Generate curate's bundled sample dump (``sample_data/``) from text we wrote ourselves.

Writes, deterministically from a fixed seed:

- ``web_sample.jsonl.gz``: a few hundred documents (``id``, ``text``, ``url``, ``kind`` and, where
  useful, ``lang`` / ``dup_of``), each ``kind`` exercising one stage of the textbook pipeline;
- ``pages.warc.gz``: a few dozen HTML pages (warcinfo, request and response records) with menus,
  cookie banners, sidebars and footers around the content, for the WARC reader and extraction;
- ``broken.jsonl``: a small file with malformed lines, reported as unreadable by the JSONL reader.

All prose comes from ``scripts/sample_text/*.md`` or from the templates in this file. Usage::

    python scripts/make_sample_data.py            # rewrites sample_data/
    python scripts/make_sample_data.py --out DIR  # writes elsewhere (the tests compare the two)
"""

from __future__ import annotations

import argparse
import gzip
import html
import io
import itertools
import json
import random
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEXT_DIR = Path(__file__).resolve().parent / "sample_text"
SEED = 20240501
#: ``.test`` is a reserved top-level domain: none of these addresses exist.
SITE = "https://sample.curate.test"


# --------------------------------------------------------------------------------------------
# source text
# --------------------------------------------------------------------------------------------
@dataclass
class Article:
    """One article from ``scripts/sample_text``: title, subject, paragraphs and language."""

    title: str
    subject: str
    paragraphs: list[str]
    lang: str = "en"

    @property
    def slug(self) -> str:
        """URL path segment derived from the title."""
        s = re.sub(r"[^\w]+", "-", self.title.lower(), flags=re.UNICODE).strip("-")
        return s or "article"

    def text(self, sep: str = "\n\n") -> str:
        """Title and paragraphs as plain text."""
        return sep.join([self.title, *self.paragraphs])


def load_articles(pattern: str) -> list[Article]:
    """Parse every ``# Title`` / ``@ subject`` / paragraphs block of the files matching ``pattern``."""
    articles: list[Article] = []
    for path in sorted(TEXT_DIR.glob(pattern)):
        for block in re.split(r"(?m)^# ", path.read_text(encoding="utf-8"))[1:]:
            head, _, body = block.partition("\n")
            lang = "en"
            m = re.match(r"\[(\w+)\]\s*(.*)", head.strip())
            title = head.strip()
            if m:
                lang, title = m.group(1), m.group(2)
            subject = ""
            paras = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
            if paras and paras[0].startswith("@ "):
                subject = paras.pop(0)[2:].strip()
            articles.append(Article(title, subject, [" ".join(p.split()) for p in paras], lang))
    return articles


# --------------------------------------------------------------------------------------------
# template pools for non-educational pages (all written for this script)
# --------------------------------------------------------------------------------------------
FIRST_NAMES = ["Anna", "Ben", "Carla", "David", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kemi",
               "Luis", "Mara", "Nils", "Olga", "Pavel", "Rosa", "Sami", "Tara", "Umar", "Vera", "Wes"]
LAST_NAMES = ["Adler", "Brooks", "Costa", "Dumont", "Evans", "Fischer", "Garcia", "Hansen", "Ito", "Jensen",
              "Kowalski", "Lopez", "Moreau", "Novak", "Okafor", "Price", "Quinn", "Rossi", "Silva", "Tanaka"]
TOWNS = ["Millbrook", "Eastfield", "Harbor Point", "Oakridge", "Riverton", "Stonebridge", "Westvale",
         "Brightwater", "Cedar Falls", "Northgate", "Pine Hollow", "Ashford"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["March", "April", "May", "June", "July", "August", "September", "October"]

PRODUCTS = {
    "wireless headphones": ["40-hour battery life", "active noise cancelling", "foldable design",
                            "USB-C fast charging", "built-in microphone for calls", "soft memory-foam ear cushions"],
    "hiking backpack": ["35-litre main compartment", "padded hip belt", "rain cover included",
                        "side pockets for water bottles", "breathable mesh back panel", "reinforced base"],
    "coffee grinder": ["stainless steel conical burrs", "18 grind settings", "quiet motor",
                       "removable bean hopper", "one-touch timer", "easy-clean brush included"],
    "desk lamp": ["adjustable colour temperature", "touch dimmer", "flexible arm", "USB charging port",
                  "memory function", "flicker-free light"],
    "running shoes": ["lightweight mesh upper", "cushioned midsole", "reflective details", "wide toe box",
                      "durable rubber outsole", "removable insole"],
    "water bottle": ["keeps drinks cold for 24 hours", "leak-proof lid", "dishwasher-safe",
                     "powder-coated finish", "fits most cup holders", "BPA-free materials"],
    "office chair": ["adjustable lumbar support", "breathable mesh back", "4D armrests", "tilt lock",
                     "smooth-rolling castors", "supports up to 130 kg"],
    "camping tent": ["sleeps four people", "sets up in ten minutes", "waterproof flysheet",
                     "two doors and two porches", "pre-attached guy lines", "carry bag included"],
    "blender": ["1200-watt motor", "1.5-litre glass jar", "pulse function", "six speed settings",
                "self-cleaning programme", "ice-crushing blades"],
    "phone case": ["shock-absorbing corners", "raised camera edge", "slim profile", "wireless-charging friendly",
                   "anti-yellowing clear back", "textured grip"],
}
BRANDS = ["Northwind", "Aurora", "Kestrel", "Bluepeak", "Solace", "Vantage", "Orbit", "Tidewell", "Brisk"]
PRODUCT_BLURBS = [
    "Designed for everyday use, the {p} combines solid build quality with a clean, modern look.",
    "Our best-selling {p} is back in stock in three new colours.",
    "Whether you are at home or on the move, this {p} has you covered.",
    "The {p} has been updated for this season with a lighter frame and better materials.",
    "Looking for a reliable {p} that will not break the bank? This is the one our customers keep coming back to.",
    "This {p} was rated one of the top picks of the year by our staff.",
    "We tested it in our own homes for several months before adding it to the shop, and it held up well.",
    "It is a thoughtful upgrade on the previous model, with small changes that make a real difference.",
    "The finish feels good in the hand and the whole thing is easy to keep clean.",
    "If you are not sure which size to choose, our customer team is happy to help by chat or phone.",
    "Many of our customers tell us that they bought a second one for a friend or relative.",
    "The packaging is fully recyclable and the product ships without any plastic wrapping.",
]
PRODUCT_EXTRA = [
    "Free delivery on orders over 50 dollars.", "Returns are free within 30 days.",
    "Available in black, grey and sand.", "Order before 2 pm for same-day dispatch.",
    "Comes with a two-year warranty.", "Gift wrapping is available at checkout.",
    "Only a few left in stock.", "Members earn double points on this item.",
]
REVIEWS = [
    "Exactly as described and arrived quickly.", "Good value for the price, would buy again.",
    "Took a star off because the box was damaged, but the product itself is great.",
    "My second one, the first lasted years.", "Works well but the instructions were confusing.",
    "Bought it as a gift and they love it.", "Decent quality, a bit smaller than I expected.",
    "Really happy with this purchase.", "Not bad, but the colour is darker than in the photos.",
]

EVENTS = [
    ("Summer Jazz Night", "live music under the stars", "an evening of live jazz with three local bands"),
    ("Spring Book Swap", "bring a book, take a book", "a relaxed morning of swapping second-hand books"),
    ("Community Clean-Up Day", "help keep our parks tidy", "a morning of litter picking in the town parks"),
    ("Farmers Market Opening", "fresh produce is back", "the first market of the season with over forty stalls"),
    ("Charity Fun Run", "5 km for a good cause", "a family-friendly 5 km run raising money for the local hospice"),
    ("Retro Games Evening", "classic consoles and pizza", "an evening of classic video games and board games"),
    ("Open Studio Weekend", "meet the artists", "a weekend of open doors at twelve artist studios"),
    ("Autumn Food Festival", "taste the season", "two days of street food, cooking demonstrations and music"),
    ("Quiz Night", "teams of up to six", "our monthly pub quiz with prizes for the top three teams"),
    ("Dog Show", "every dog is a winner", "a light-hearted dog show with categories for all ages"),
    ("Classic Car Meet", "chrome and coffee", "a gathering of classic cars with coffee and cake"),
    ("Open-Air Cinema", "bring your own blanket", "a screening of a family film on the village green"),
]
VENUES = ["the Town Hall", "Riverside Park", "the Old Mill", "St. Mary's Church Hall", "the Community Centre",
          "the Market Square", "the Library garden", "the Harbour Warehouse", "Greenfield School"]
EVENT_DETAILS = [
    "Food and drinks will be available from local vendors.", "Children under twelve go free.",
    "The venue is wheelchair accessible.", "Free parking is available behind the building.",
    "Please bring cash, as not all stalls take cards.", "In case of rain we will move indoors.",
    "Volunteers are still needed, so get in touch if you can help.", "Dogs on leads are welcome.",
    "Places are limited, so please book early.", "There will be a raffle with great prizes.",
]

TEAMS = ["Millbrook Rovers", "Eastfield United", "Harbor Point FC", "Oakridge Athletic", "Riverton Town",
         "Stonebridge City", "Westvale Wanderers", "Brightwater Albion", "Cedar Falls Rangers", "Northgate Celtic"]
MATCH_LINES = [
    "{a} took the lead after {m} minutes through {p1}.", "{p2} equalised just before half time with a header.",
    "The second half was scrappy, with few chances at either end.", "{p1} hit the post in the final minute.",
    "{b} finished the match with ten men after a late red card.", "The home crowd was in good voice all afternoon.",
    "Manager {coach} said afterwards that he was proud of the effort.", "It was a third win in a row for {a}.",
    "{b} remain in the bottom half of the table.", "{p2} was named player of the match.",
    "A crowd of {crowd} watched the game in bright sunshine.", "The referee added five minutes of stoppage time.",
]

KEYWORD_SETS = [
    ["cheap flights", "cheap flights online", "best cheap flights", "last minute cheap flights",
     "cheap airline tickets", "cheap flights deals"],
    ["weight loss pills", "fast weight loss", "best weight loss pills", "weight loss pills online",
     "cheap weight loss pills", "weight loss fast"],
    ["replica watches", "cheap replica watches", "best replica watches", "replica watches sale",
     "luxury replica watches", "buy replica watches"],
    ["payday loans", "payday loans online", "fast payday loans", "cheap payday loans",
     "payday loans no credit check", "instant payday loans"],
]
SPAM_ITEMS = ["sneakers", "handbags", "sunglasses", "phones", "vitamins", "followers", "watches", "software keys"]
CASINO_LINES = [
    "Best online casino {y} with huge welcome bonus!", "Claim {n} free spins now, no deposit needed!",
    "Win real money today at the top rated casino.", "Jackpot slots, poker, roulette, blackjack, all in one place.",
    "Instant withdrawals, fast payouts, VIP rewards.", "Sign up now and get a {n}% bonus on your first deposit!",
    "Play casino online, win big, casino bonus, casino free spins.", "Top casino sites {y}, best casino bonus codes.",
]

BOILERPLATE_LINES = [
    "Home > Learn > Articles", "Skip to main content", "Menu", "Search this site",
    "This site uses cookies to give you the best experience. Read our Cookie Policy.",
    "Please enable JavaScript in your browser to view the comments.",
    "By continuing to browse you agree to our Terms of Use and Privacy Policy.",
    "Share on Facebook | Share on X | Email", "Sign up for our newsletter", "Related articles",
    "Accept all cookies", "You need JavaScript enabled to use the interactive quiz.",
    "Copyright 2024 Learning Corner. All rights reserved.", "Back to top",
]

#: Subjects grouped into areas; a study guide pairs two articles of the same area.
SUBJECT_AREA = {
    **dict.fromkeys(["biology", "health", "chemistry", "physics", "earth science", "astronomy", "science skills",
                     "engineering"], "science"),
    **dict.fromkeys(["mathematics", "computer science"], "maths"),
    **dict.fromkeys(["history", "civics", "economics", "geography", "language arts"], "humanities"),
}

SYNONYMS = {
    "large": "big", "big": "large", "small": "little", "little": "small", "quickly": "rapidly",
    "rapidly": "quickly", "often": "frequently", "usually": "normally", "important": "essential",
    "simple": "basic", "different": "distinct", "example": "instance", "begins": "starts", "began": "started",
    "makes": "creates", "many": "numerous", "also": "additionally", "called": "known as", "show": "reveal",
    "people": "individuals", "help": "assist", "helps": "assists", "use": "employ", "uses": "employs",
    "very": "extremely", "around": "about", "whole": "entire", "main": "principal", "build": "construct",
}


# --------------------------------------------------------------------------------------------
# the generator
# --------------------------------------------------------------------------------------------
class SampleBuilder:
    """Accumulates JSONL records with stable ids; every random choice comes from one seeded RNG."""

    def __init__(self, seed: int = SEED):
        self.rng = random.Random(seed)
        self.records: list[dict] = []
        self._counts: dict[str, int] = {}

    def add(self, kind: str, text: str, slug: str, host: str = "sample.curate.test", **extra) -> dict:
        """Add one record of ``kind``; ids are ``<kind>-<n>``, urls carry the kind in their path."""
        n = self._counts.get(kind, 0) + 1
        self._counts[kind] = n
        rec = {"id": f"{kind}-{n:03d}", "text": text, "url": f"https://{host}/{kind}/{slug}", "kind": kind}
        rec.update({k: v for k, v in extra.items() if v is not None})
        self.records.append(rec)
        return rec

    # helpers --------------------------------------------------------------------------------
    def pick(self, seq, k: int | None = None):
        """One element (or ``k`` distinct elements) of ``seq``."""
        return self.rng.choice(seq) if k is None else self.rng.sample(seq, k)

    def name(self) -> str:
        """A person's name from the pools."""
        return f"{self.pick(FIRST_NAMES)} {self.pick(LAST_NAMES)}"

    def edit_words(self, text: str, share: float) -> str:
        """Change about ``share`` of the longer words (synonym where we have one, else a typo)."""
        tokens = re.split(r"(\s+)", text)
        words = [i for i, t in enumerate(tokens) if re.fullmatch(r"[A-Za-z]{4,}[,.;]?", t)]
        n = max(1, round(share * len(words)))
        for i in sorted(self.rng.sample(words, min(n, len(words)))):
            word = tokens[i]
            core, tail = word.rstrip(",.;"), word[len(word.rstrip(",.;")):]
            repl = SYNONYMS.get(core.lower())
            if repl is None:  # swap two inner letters: a typo
                j = self.rng.randrange(1, len(core) - 2)
                repl = core[:j] + core[j + 1] + core[j] + core[j + 2:]
            elif core[0].isupper():
                repl = repl[0].upper() + repl[1:]
            tokens[i] = repl + tail
        return "".join(tokens)


def build_records(b: SampleBuilder, edu: list[Article], langs: list[Article], blogs: list[Article]) -> None:
    """Add every JSONL record kind to ``b`` (``edu`` is the share of articles reserved for JSONL)."""
    rng = b.rng
    boiler_src, edu = edu[:5], edu[5:]

    # --- educational: the documents the pipeline should keep -------------------------------
    published: dict[str, str] = {}  # slug -> the text of the `edu` record, which the copies start from
    for art in edu:
        published[art.slug] = art.text("\n\n" if rng.random() < 0.8 else "\n")
        b.add("edu", published[art.slug], art.slug, subject=art.subject)

    # study guides: sections from two articles of related subjects, with framing we wrote
    intros = [
        "This study guide brings together two related topics for revision before the end-of-unit test.",
        "Use this review sheet to revise two topics from this term. Read each section and then answer the questions.",
        "The following notes summarise two lessons from this unit, so that you can review them side by side.",
        "These revision notes cover two topics that are often tested together.",
    ]
    outros = [
        "Check your understanding: explain the main idea of each section in your own words, and give one example of each.",
        "Review question: how are the two topics connected? Write a short paragraph to explain your answer.",
        "Before the test, try to teach one of these topics to a friend or family member without looking at your notes.",
        "Make a list of the key words in each section and write a one-sentence definition for each of them.",
    ]
    pairs = [(i, j) for i in range(len(edu)) for j in range(len(edu))
             if i < j and SUBJECT_AREA.get(edu[i].subject) == SUBJECT_AREA.get(edu[j].subject)]
    rng.shuffle(pairs)
    for i, j in pairs[:40]:
        a, c = edu[i], edu[j]
        pa, pc = sorted(rng.sample(range(len(a.paragraphs)), 2)), sorted(rng.sample(range(len(c.paragraphs)), 2))
        parts = [f"Study guide: {a.title} / {c.title}", rng.choice(intros), a.title,
                 *(a.paragraphs[k] for k in pa), c.title, *(c.paragraphs[k] for k in pc), rng.choice(outros)]
        b.add("edu_mix", "\n\n".join(parts), f"{a.slug}-and-{c.slug}")

    # --- boilerplate around an article: C4 line filtering removes the lines, the doc stays --
    for art in boiler_src:
        lines = [b.pick(BOILERPLATE_LINES[:4]), "Accept all cookies",
                 "This site uses cookies to give you the best experience. Read our Cookie Policy.", art.title]
        for p in art.paragraphs:
            lines.append(p)
            if rng.random() < 0.4:
                lines.append(b.pick(["Please enable JavaScript in your browser to view the comments.",
                                     "Advertisement", "Share on Facebook | Share on X | Email"]))
        lines += ["Related articles", "By continuing to browse you agree to our Terms of Use and Privacy Policy.",
                  "Copyright 2024 Learning Corner. All rights reserved.", "Back to top"]
        b.add("boilerplate_lines", "\n".join(lines), art.slug, host="learning-corner.test")

    # a page that is nothing but boilerplate
    for _ in range(3):
        lines = b.pick(BOILERPLATE_LINES, 10)
        b.add("boilerplate_only", "\n".join(lines), f"page-{rng.randrange(1000, 9999)}")

    # --- exact and near duplicates of educational articles ----------------------------------
    order = list(range(len(edu)))
    rng.shuffle(order)
    cursor = itertools.cycle(order)  # more copies than articles: some articles are copied in several ways
    for k in range(12):
        art = edu[next(cursor)]
        for copy in range(1 + (k % 3 == 0)):  # some articles are copied twice
            b.add("exact_dup", published[art.slug], art.slug, host=f"mirror-{copy + 1}.test", dup_of=art.slug)
    levels = [("near_dup_light", 0.01, 7), ("near_dup_medium", 0.05, 6), ("near_dup_heavy", 0.15, 6)]
    for kind, share, count in levels:
        for _ in range(count):
            art = edu[next(cursor)]
            b.add(kind, b.edit_words(published[art.slug], share), art.slug, host="copycat.test", dup_of=art.slug)
    footers = [
        "This article first appeared in our school newsletter and is shared here with permission.",
        "Found this useful? Our teachers post a new explainer every week during term time.",
        "Reviewed by the science department. Last updated in the spring term.",
    ]
    for _ in range(5):
        art = edu[next(cursor)]
        b.add("near_dup_footer", published[art.slug] + "\n\n" + b.pick(footers), art.slug, host="resharer.test",
              dup_of=art.slug)
    for _ in range(5):
        art = edu[next(cursor)]
        paras = list(art.paragraphs)
        i = rng.randrange(len(paras) - 1)
        paras[i], paras[i + 1] = paras[i + 1], paras[i]
        b.add("near_dup_reorder", "\n\n".join([art.title, *paras]), art.slug, host="resharer.test",
              dup_of=art.slug)

    # --- quality-heuristic cases built from real articles ------------------------------------
    for _ in range(3):  # a repeated footer line: fine otherwise, but duplicated characters > 1%
        art = b.pick(edu)
        line = b.pick(["Subscribe to our newsletter for a new lesson every week.",
                       "Remember to like and share this post with your classmates."])
        paras = list(art.paragraphs)
        paras.insert(2, line)
        paras.append(line)
        b.add("repeated_footer", "\n\n".join([art.title, *paras]), art.slug, host="repost.test")
    for _ in range(3):  # a placeholder paragraph left in an otherwise English page
        art = b.pick(edu)
        paras = list(art.paragraphs)
        paras.insert(1, lorem(rng, 45, start=True))
        b.add("lorem_ipsum", "\n\n".join([art.title, *paras]), art.slug, host="draft.test")
    b.add("lorem_ipsum_only", "\n\n".join(lorem(rng, 70, start=(i == 0)) for i in range(4)), "placeholder")

    # --- ordinary, non-educational web pages --------------------------------------------------
    for art in blogs:
        b.add("blog", art.text(), art.slug, host="my-little-blog.test")
    for _ in range(35):
        b.add("product", product_page(b), f"item-{rng.randrange(10000, 99999)}", host="shop.test")
    for _ in range(28):
        b.add("event", event_page(b), f"event-{rng.randrange(100, 999)}", host="whats-on.test")
    for _ in range(28):
        b.add("sports", match_report(b), f"match-{rng.randrange(1000, 9999)}", host="local-sport.test")
    for _ in range(2):
        b.add("numbers_table", league_table(b), f"table-{rng.randrange(100, 999)}", host="local-sport.test")
    b.add("exact_dup", blogs[0].text(), blogs[0].slug, host="blog-mirror.test", dup_of=blogs[0].slug)

    # --- spam ---------------------------------------------------------------------------------
    for k in range(10):
        b.add("spam_keywords", keyword_spam(b, KEYWORD_SETS[k % len(KEYWORD_SETS)]), f"deals-{k}", host="best-deals.test")
    for k in range(10):
        b.add("spam_seo", seo_spam(b), f"buy-{k}", host="cheap-store.test")
    for k in range(10):
        b.add("spam_casino", casino_spam(b), f"bonus-{k}", host="mega-casino.test")
    for k in range(6):
        line = b.pick(["Click here to claim your prize now!", "Limited offer, act fast, only today!",
                       "Make money from home with this one simple trick.", "Hot singles in your area are waiting."])
        lines = [line] * rng.randrange(15, 30)
        lines.insert(rng.randrange(len(lines)), "Visit our site for more amazing offers and deals.")
        b.add("spam_repeated_lines", "\n".join(lines), f"offer-{k}", host="prize-now.test")

    # --- structure-heuristic cases ----------------------------------------------------------
    for k in range(3):
        b.add("bullets_only", bullet_page(b), f"list-{k}", host="lists.test")
    for k in range(3):
        b.add("ellipsis_lines", teaser_page(b), f"teasers-{k}", host="clickbait.test")
    for k in range(2):
        b.add("hashtags", hashtag_post(b), f"post-{k}", host="social.test")
    for k in range(3):
        b.add("short_lines", chat_page(b), f"chat-{k}", host="forum.test")
    for k in range(2):
        b.add("no_punctuation", headline_page(b), f"headlines-{k}", host="news-index.test")

    # --- length extremes ----------------------------------------------------------------------
    shorts = ["Page not found.", "Loading", "Click here to continue.", "Thanks!", "Coming soon.",
              "Subscribe", "Error 503: service unavailable.", "You have been logged out.",
              "Welcome to our new website. More content is coming soon, so please check back later.",
              "Opening hours: Monday to Friday from nine to five. Closed on public holidays.",
              "The quick summary: the meeting is moved to Thursday at ten in the small room.",
              "Sorry, this product is no longer available. Please browse our other items."]
    for k, s in enumerate(shorts):
        b.add("short", s, f"stub-{k}", host="stubs.test")
    for k, s in enumerate(["", " ", "\n\n\t\n", "\u00a0\u00a0 \n"]):
        b.add("empty", s, f"blank-{k}", host="stubs.test")
    b.add("long_log", log_dump(b, 1600), "server-log", host="ops.test")

    # --- languages ----------------------------------------------------------------------------
    for art in langs:
        b.add("non_english", art.text(), art.slug, host=f"{art.lang}.sample.test", lang=art.lang)
    by_lang = {a.lang: a for a in langs}
    for other in ("fr", "es", "de"):  # alternate English and another language paragraph by paragraph
        eng = b.pick(edu)
        foreign = by_lang[other]
        paras = []
        for k in range(3):
            paras += [eng.paragraphs[k], foreign.paragraphs[k]]
        b.add("mixed_language", "\n\n".join([f"{eng.title} / {foreign.title}", *paras]), f"bilingual-{other}",
              lang=f"en+{other}")
    b.add("curly_bracket", TEMPLATE_TIP, "string-templates", host="dev-notes.test")
    for k in range(2):
        b.add("quote_lines", "\n".join(b.pick(SAYINGS, 9)), f"sayings-{k}", host="quotes.test")
    b.add("code_heavy", CODE_PYTHON, "python-loops", host="dev-notes.test")
    b.add("code_heavy", CODE_JS, "js-fetch", host="dev-notes.test")


# --------------------------------------------------------------------------------------------
# page generators
# --------------------------------------------------------------------------------------------
LOREM_WORDS = [
    "lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do", "eiusmod",
    "tempor", "incididunt", "ut", "labore", "et", "dolore", "magna", "aliqua", "enim", "ad", "minim", "veniam",
    "quis", "nostrud", "exercitation", "ullamco", "laboris", "nisi", "aliquip", "ex", "ea", "commodo",
    "consequat", "duis", "aute", "irure", "in", "reprehenderit", "voluptate", "velit", "esse", "cillum",
    "fugiat", "nulla", "pariatur", "excepteur", "sint", "occaecat", "cupidatat", "non", "proident", "sunt",
    "culpa", "qui", "officia", "deserunt", "mollit", "anim", "id", "est", "laborum",
]


def lorem(rng: random.Random, n: int, start: bool = False) -> str:
    """``n`` placeholder words in sentences; ``start`` opens with the classic first words."""
    words = (["lorem", "ipsum", "dolor", "sit", "amet"] if start else []) + [
        rng.choice(LOREM_WORDS) for _ in range(n)
    ]
    out, sentence = [], []
    for w in words:
        sentence.append(w)
        if len(sentence) >= rng.randrange(6, 14):
            out.append(" ".join(sentence).capitalize() + ".")
            sentence = []
    if sentence:
        out.append(" ".join(sentence).capitalize() + ".")
    return " ".join(out)


def product_page(b: SampleBuilder) -> str:
    """A product listing: name, price, blurb, feature bullets, stock line, a few reviews."""
    rng = b.rng
    product = b.pick(sorted(PRODUCTS))
    title = f"{b.pick(BRANDS)} {product.title()} {b.pick(['Pro', 'Lite', 'X2', 'Plus', 'Go', 'Max', '3'])}"
    price = rng.randrange(12, 240) + 0.99
    lines = [title, f"Price: ${price:.2f}" + (f" (was ${price * 1.3:.2f})" if rng.random() < 0.4 else ""),
             " ".join(t.format(p=product) for t in b.pick(PRODUCT_BLURBS, rng.randrange(2, 4))), "Key features:"]
    lines += [f"- {f}" for f in b.pick(PRODUCTS[product], 4)]
    lines += b.pick(PRODUCT_EXTRA, 2)
    n_rev = rng.randrange(2, 4)
    lines.append(f"What our customers say, from {rng.randrange(5, 400)} reviews")
    lines += [f"{b.pick(FIRST_NAMES)} from {b.pick(TOWNS)} says {r[0].lower()}{r[1:]}" for r in b.pick(REVIEWS, n_rev)]
    return "\n".join(lines)


def event_page(b: SampleBuilder) -> str:
    """An event announcement: title, when and where, details, tickets, organiser."""
    rng = b.rng
    name, tagline, desc = b.pick(EVENTS)
    town = b.pick(TOWNS)
    day = f"{b.pick(WEEKDAYS)} {rng.randrange(1, 29)} {b.pick(MONTHS)}"
    hour = rng.randrange(9, 20)
    lines = [f"{town} {name}: {tagline}",
             f"Join us on {day} at {b.pick(VENUES)} for {desc}.",
             f"Doors open at {hour}:00 and the fun goes on until {hour + rng.randrange(2, 5)}:00."]
    lines += b.pick(EVENT_DETAILS, rng.randrange(2, 5))
    fee = b.pick(["Entry is free.", f"Tickets cost {rng.randrange(3, 25)} dollars at the door.",
                  f"Tickets are {rng.randrange(3, 25)} dollars in advance and a little more on the day."])
    lines += [fee, f"Organised by the {town} {b.pick(['Residents Association', 'Arts Trust', 'Rotary Club', 'Events Team'])}. "
              f"For questions contact {b.name()}."]
    return "\n".join(lines)


def match_report(b: SampleBuilder) -> str:
    """A short local match report with a score line."""
    rng = b.rng
    a, c = b.pick(TEAMS, 2)
    sa, sc = rng.randrange(0, 5), rng.randrange(0, 4)
    fill = {"a": a, "b": c, "m": rng.randrange(3, 85), "p1": b.name(), "p2": b.name(), "coach": b.name(),
            "crowd": f"{rng.randrange(300, 9000):,}"}
    lines = [f"{a} {sa}-{sc} {c}", f"Match report, {b.pick(WEEKDAYS)} {rng.randrange(1, 29)} {b.pick(MONTHS)}."]
    lines += [t.format(**fill) for t in b.pick(MATCH_LINES, rng.randrange(4, 7))]
    lines.append(f"Next up: {a} travel to {b.pick([t for t in TEAMS if t not in (a, c)])} on {b.pick(WEEKDAYS)}.")
    return "\n".join(lines)


def league_table(b: SampleBuilder) -> str:
    """A standings table: mostly numbers."""
    rng = b.rng
    rows = ["Pos Team P W D L GF GA Pts"]
    for pos, team in enumerate(b.pick(TEAMS, len(TEAMS)), 1):
        w, d, lo = rng.randrange(2, 14), rng.randrange(0, 6), rng.randrange(0, 10)
        rows.append(f"{pos} {team.split()[0][:3].upper()} {w + d + lo} {w} {d} {lo} "
                    f"{rng.randrange(10, 45)} {rng.randrange(10, 45)} {3 * w + d}")
    return "\n".join(rows)


def keyword_spam(b: SampleBuilder, keywords: list[str]) -> str:
    """Keyword stuffing: the same few phrases over and over."""
    lines = []
    for _ in range(b.rng.randrange(6, 10)):
        lines.append(", ".join(b.pick(keywords) for _ in range(b.rng.randrange(6, 12))) + ".")
    return "\n".join(lines)


def seo_spam(b: SampleBuilder) -> str:
    """"Buy cheap X, best price" pages."""
    item = b.pick(SPAM_ITEMS)
    year = b.rng.randrange(2019, 2025)
    templates = [
        f"Buy cheap {item} online at the best price!", f"Cheap {item} sale, {item} discount, {item} free shipping.",
        f"Best {item} {year}, top {item} deals, {item} coupon code.", f"Order {item} now and save up to 80%!",
        f"Cheap {item} best price guaranteed, buy {item} cheap today.", f"Discount {item}, {item} outlet, {item} cheap.",
    ]
    return "\n".join(b.pick(templates) for _ in range(b.rng.randrange(8, 14)))


def casino_spam(b: SampleBuilder) -> str:
    """Casino bonus spam."""
    fill = {"y": b.rng.randrange(2019, 2025), "n": b.pick([50, 100, 150, 200, 500])}
    return "\n".join(b.pick(CASINO_LINES).format(**fill) for _ in range(b.rng.randrange(8, 14)))


def bullet_page(b: SampleBuilder) -> str:
    """A page that is only a bulleted list."""
    items = [f"{b.pick(BRANDS)} {p}" for p in b.pick(sorted(PRODUCTS), 6)] + b.pick(PRODUCT_EXTRA, 4)
    items += [f"Opening hours in {t}: nine to five" for t in b.pick(TOWNS, 3)]
    marker = b.pick(["- ", "• "])
    return "\n".join(marker + i for i in b.pick(items, len(items)))


def teaser_page(b: SampleBuilder) -> str:
    """A list of teaser lines that end with an ellipsis."""
    teasers = ["You will not believe what happened when she opened the old wooden box",
               "Ten reasons why your houseplants keep dying in winter", "Doctors were surprised by this morning habit",
               "The real story behind the most famous photo of the decade", "What nobody tells you about moving abroad",
               "This is why everyone is suddenly talking about fermented tea", "Here is what happens when you stop eating sugar",
               "He tried waking up at five for a month and", "Fans are furious about the ending of the final episode",
               "The cheapest way to travel across the country this summer", "Nine kitchen gadgets that are actually worth buying",
               "Scientists finally explain why cats knock things off tables"]
    return "\n".join(f"{t}..." for t in b.pick(teasers, b.rng.randrange(8, 12)))


def hashtag_post(b: SampleBuilder) -> str:
    """A social post drowned in hashtags."""
    tags = ["#summer", "#travel", "#love", "#instagood", "#photooftheday", "#happy", "#food", "#friends",
            "#weekend", "#sunset", "#beach", "#nofilter", "#goodvibes", "#fitness", "#style"]
    text = ("Had the best day ever with the whole crew at the beach and then dinner at our favourite place. "
            "Cannot wait to do it again next weekend with everyone!")
    return text + "\n" + " ".join(b.pick(tags, 12)) + "\n" + " ".join(b.pick(tags, 10))


def chat_page(b: SampleBuilder) -> str:
    """Many short chatty lines, each a full sentence (short-line and list ratios)."""
    lines = ["Is anyone going to the match tonight?", "I think we should leave early.", "What time does it start?",
             "It starts around eight I believe.", "Should we bring some food?", "They sell snacks at the gate.",
             "Okay then see you there!", "Who is going to drive us?", "I can drive us this time.",
             "That would be great thanks.", "Is the weather going to hold?", "It might rain later tonight.",
             "Then bring an umbrella with you.", "Good idea I will do that.", "Can my cousin come along?",
             "Sure the more the better.", "Where do we all meet?", "We meet at the front gate.",
             "Perfect see you all soon!", "Sorry I am running a bit late!", "Did anyone see my blue scarf?",
             "I left it on the bus."]
    return "\n".join(b.pick(lines, b.rng.randrange(16, 21)))


def headline_page(b: SampleBuilder) -> str:
    """A headline index: many lines and no terminal punctuation anywhere."""
    heads = ["Millbrook council approves budget for new swimming pool", "Eastfield United sign young striker",
             "Local bakery celebrates fifty years in business", "Roadworks on the main bridge to last until June",
             "School choir wins regional competition for second time", "New cycle path opens along the river",
             "Library extends opening hours during exam season", "Weather warning issued for strong winds",
             "Harbour festival moves to August after record crowds", "Police appeal for witnesses after bike thefts",
             "Hospital car park charges to rise next month", "Students plant two hundred trees at Oakridge"]
    return "\n".join(b.pick(heads, len(heads)))


def log_dump(b: SampleBuilder, n: int) -> str:
    """A long server log: one document far above any sensible length cap."""
    rng = b.rng
    paths = ["/api/v1/items", "/api/v1/users", "/static/app.js", "/login", "/search", "/api/v1/orders", "/health"]
    out = []
    t = 0
    for _ in range(n):
        t += rng.randrange(1, 900)
        level = rng.choices(["INFO", "DEBUG", "WARN", "ERROR"], [70, 20, 8, 2])[0]
        out.append(f"2024-03-05T{(t // 3600000) % 24:02d}:{(t // 60000) % 60:02d}:{(t // 1000) % 60:02d}."
                   f"{t % 1000:03d}Z {level:<5} [worker-{rng.randrange(1, 9)}] {rng.choice(['GET', 'POST'])} "
                   f"{rng.choice(paths)}/{rng.randrange(1, 99999)} status={rng.choice([200, 200, 200, 201, 304, 404, 500])} "
                   f"latency_ms={rng.randrange(1, 900)} bytes={rng.randrange(120, 90000)}")
    return "\n".join(out)


#: English prose with one inline curly bracket: passes everything until C4's curly-bracket rule.
TEMPLATE_TIP = (
    "A short tip for people who write form letters. Most mail merge tools let you mark the place where a "
    "name should go, and the program fills it in for every person on the list. In the tool our office uses, "
    "you write the placeholder as {first_name} in the body of the letter, and the program replaces it with "
    "the name from the spreadsheet.\n\n"
    "It is worth sending a test letter to yourself before you send the real batch to everyone. Check that the "
    "names appear in the right places, that the dates are in the format you expect, and that nobody receives "
    "a letter addressed to a blank space. A careful check takes five minutes and can save you from a very "
    "embarrassing afternoon."
)

#: Sayings that end with a closing quote: C4 keeps such lines, FineWeb's line-punctuation ratio does not count them.
SAYINGS = [
    'My grandmother always told us that "you should never leave the house without an umbrella"',
    'Our old football coach used to shout "the game is not over until the final whistle"',
    'The sign above the door of the bakery said "the bread is fresh and so are the jokes"',
    'Every morning my father would remind us that "a tidy room makes for a tidy mind"',
    'The librarian in our town liked to say "there is a book for every person who walks in"',
    'My first boss gave me one piece of advice and it was "always write things down"',
    'On the last day of school our teacher said "be kind to each other and read a lot"',
    'The note on the fridge simply read "whoever finishes the milk has to buy more"',
    'Our neighbour waves every morning and calls out "another beautiful day in the neighbourhood"',
    'My aunt signs every birthday card with the words "stay curious and eat more cake"',
    'The old fisherman at the harbour told me that "the sea gives and the sea takes"',
]

CODE_PYTHON = '''Python tip: looping with enumerate

def count_words(lines):
    counts = {}
    for i, line in enumerate(lines):
        for word in line.split():
            counts[word] = counts.get(word, 0) + 1
    return counts

if __name__ == "__main__":
    import sys
    result = count_words(open(sys.argv[1]))
    for word, n in sorted(result.items(), key=lambda kv: -kv[1])[:10]:
        print(f"{word:>15} {n}")

Run it with python count.py notes.txt and it prints the ten most common words.'''

CODE_JS = '''async function loadItems(page = 1) {
  const res = await fetch(`/api/v1/items?page=${page}`, { headers: { Accept: "application/json" } });
  if (!res.ok) { throw new Error(`HTTP ${res.status}`); }
  const data = await res.json();
  return data.items.map((it) => ({ id: it.id, name: it.name.trim(), price: Number(it.price) }));
}

document.querySelector("#load").addEventListener("click", async () => {
  const items = await loadItems();
  document.querySelector("#list").innerHTML = items.map((i) => `<li>${i.name}: ${i.price}</li>`).join("");
});'''


# --------------------------------------------------------------------------------------------
# WARC pages
# --------------------------------------------------------------------------------------------
SITES = [
    ("learning-corner.test", "Learning Corner", ["Home", "Science", "Maths", "History", "Geography", "About us"]),
    ("science-notes.test", "Science Notes", ["Home", "Physics", "Chemistry", "Biology", "Teachers", "Contact"]),
    ("history-hub.test", "HistoryHub", ["Home", "Ancient", "Modern", "Timelines", "Quizzes", "Shop"]),
]


COMMENTS = [
    "Great article, thanks! I shared it with my whole class this morning.",
    "This helped my son with his homework last night, thank you so much.",
    "Very clear explanation. Could you write one about volcanoes next?",
    "I always wondered about this and never found a simple answer before.",
]


def html_page(b: SampleBuilder, site: tuple, title: str, body_html: str, lang: str = "en") -> str:
    """An HTML page with head scripts, cookie banner, navigation, sidebar, comments and footer."""
    rng = b.rng
    host, name, menu = site
    nav = "".join(f'<li><a href="/{m.lower().replace(" ", "-")}">{m}</a></li>' for m in menu)
    popular = "".join(f'<li><a href="/p/{rng.randrange(100, 999)}">{t}</a></li>'
                      for t in b.pick(["Ten fun facts about volcanoes", "Quiz: the solar system",
                                       "How to revise for exams", "Printable times tables",
                                       "Meet our new writers", "Summer reading list"], 3))
    comments = "".join(
        f'<div class="comment"><b>{b.pick(FIRST_NAMES)}</b> <time>{rng.randrange(1, 12)} days ago</time>'
        f"<p>{comment}</p></div>" for comment in b.pick(COMMENTS, rng.randrange(1, 3)))  # distinct comments
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{title} | {name}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/site.css">
<script>window.dataLayer = window.dataLayer || []; function track(){{dataLayer.push(arguments);}} track('page', '{host}');</script>
<style>.cookie-banner{{position:fixed;bottom:0}} nav ul{{display:flex}}</style>
</head>
<body>
<div class="cookie-banner" id="cookies">We use cookies to improve your experience and to show you personalised ads. By using this site you agree to our <a href="/cookie-policy">Cookie Policy</a>. <button>Accept all</button> <button>Manage settings</button></div>
<header>
<a class="logo" href="/">{name}</a>
<nav><ul>{nav}</ul></nav>
<form action="/search"><input type="search" name="q" placeholder="Search {name}"><button>Go</button></form>
</header>
<div class="breadcrumbs"><a href="/">Home</a> &rsaquo; <a href="/articles">Articles</a> &rsaquo; {title}</div>
<main>
<article>
<h1>{title}</h1>
<p class="byline">By {b.name()} &middot; {rng.randrange(3, 12)} min read</p>
{body_html}
<div class="share">Share this: <a href="#">Facebook</a> <a href="#">X</a> <a href="#">Email</a></div>
</article>
<aside>
<h3>Popular right now</h3><ul>{popular}</ul>
<div class="newsletter"><h3>Newsletter</h3><p>Get our best articles in your inbox every week.</p><input type="email" placeholder="Your email"><button>Subscribe</button></div>
<div class="ad">Advertisement</div>
</aside>
<section class="comments"><h3>Comments</h3>{comments}<p><a href="/login">Log in</a> to leave a comment.</p></section>
</main>
<footer>
<ul><li><a href="/about">About</a></li><li><a href="/privacy">Privacy Policy</a></li><li><a href="/terms">Terms of Use</a></li><li><a href="/contact">Contact</a></li></ul>
<p>&copy; 2024 {name}. All rights reserved.</p>
</footer>
<noscript>Please enable JavaScript for the best experience.</noscript>
<script src="/assets/app.js"></script>
</body>
</html>
"""


def paragraphs_html(paragraphs: list[str]) -> str:
    """Paragraphs as ``<p>`` elements (escaped)."""
    return "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)


def build_pages(b: SampleBuilder, warc_edu: list[Article], jsonl_edu: list[Article],
                langs: list[Article]) -> list[tuple[str, str, bytes, str]]:
    """The WARC pages as (url, content type, body, status line); the url path names the kind."""
    rng = b.rng
    pages: list[tuple[str, str, bytes, str]] = []

    def page(kind: str, slug: str, html_text: str, site: tuple | None = None) -> None:
        host = (site or SITES[0])[0]
        pages.append((f"https://{host}/{kind}/{slug}", "text/html; charset=utf-8", html_text.encode("utf-8"),
                      "200 OK"))

    for art in warc_edu:
        site = b.pick(SITES)
        page("edu", art.slug, html_page(b, site, art.title, paragraphs_html(art.paragraphs)), site)
    dup = warc_edu[0]  # the same article at a second address on another site
    page("exact_dup", dup.slug, html_page(b, SITES[2], dup.title, paragraphs_html(dup.paragraphs)), SITES[2])
    for art in jsonl_edu[:2]:  # syndicated copies of articles that are also in the JSONL file
        page("near_dup_cross_source", art.slug, html_page(b, SITES[1], art.title, paragraphs_html(art.paragraphs)),
             SITES[1])
    for _ in range(3):
        text = product_page(b).split("\n")
        page("product", f"item-{rng.randrange(10000, 99999)}",
             html_page(b, SITES[2], text[0], paragraphs_html(text[1:])), SITES[2])
    for _ in range(3):
        text = event_page(b).split("\n")
        page("event", f"event-{rng.randrange(100, 999)}", html_page(b, SITES[0], text[0], paragraphs_html(text[1:])))
    for _ in range(2):
        text = seo_spam(b).split("\n")
        page("spam_seo", f"buy-{rng.randrange(100, 999)}", html_page(b, SITES[1], text[0], paragraphs_html(text)),
             SITES[1])
    text = casino_spam(b).split("\n")
    page("spam_casino", "bonus", html_page(b, SITES[1], text[0], paragraphs_html(text)), SITES[1])
    for art in langs:
        page("non_english", art.slug, html_page(b, SITES[0], art.title, paragraphs_html(art.paragraphs), art.lang))
    page("boilerplate_only", "cookie-wall",
         html_page(b, SITES[0], "Before you continue", "<p>Please accept cookies to continue to the site.</p>"))
    page("short", "coming-soon", html_page(b, SITES[1], "Coming soon", "<p>This page is under construction.</p>"),
         SITES[1])
    pages.append((f"https://{SITES[0][0]}/not_html/logo.png", "image/png",
                  b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(64)), "200 OK"))
    pages.append((f"https://{SITES[0][0]}/redirect/old-home", "text/html; charset=utf-8",
                  b'<html><body><a href="/">Moved</a></body></html>', "301 Moved Permanently"))
    return pages


def write_warc(path: Path, b: SampleBuilder, pages: list[tuple[str, str, bytes, str]]) -> None:
    """Write a gzipped WARC (one gzip member per record) with warcinfo, request and response records."""
    from fastwarc.warc import WarcRecord, WarcRecordType

    def rid() -> str:
        return f"uuid:{uuid.UUID(int=b.rng.getrandbits(128), version=4)}"

    def record(rtype, urn: str, date: str, headers: dict, content: bytes) -> bytes:
        rec = WarcRecord()
        rec.init_headers(rtype, urn.encode())
        rec.headers["WARC-Date"] = date
        for k, v in headers.items():
            rec.headers[k] = v
        rec.set_bytes_content(content)
        buf = io.BytesIO()
        rec.write(buf, checksum_data=True)
        return gzip.compress(buf.getvalue(), mtime=0)

    out = bytearray()
    info = (b"software: curate scripts/make_sample_data.py\r\nformat: WARC File Format 1.1\r\n"
            b"description: synthetic sample crawl written for curate; every page is made up\r\n"
            b"robots: obey\r\n")
    out += record(WarcRecordType.warcinfo, rid(), "2024-05-01T08:00:00Z",
                  {"WARC-Filename": path.name, "Content-Type": "application/warc-fields"}, info)
    for i, (url, ctype, body, status) in enumerate(pages):
        date = f"2024-05-01T08:{i // 60:02d}:{i % 60:02d}Z"
        req_id, resp_id = rid(), rid()
        host = url.split("/")[2]
        path_part = "/" + url.split("/", 3)[3]
        request = (f"GET {path_part} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: curate-sample-crawler/1.0\r\n"
                   f"Accept: text/html,*/*;q=0.8\r\n\r\n").encode()
        extra = "Location: /\r\n" if status.startswith("301") else ""
        response = (f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n{extra}"
                    f"Server: sample\r\n\r\n").encode() + body
        out += record(WarcRecordType.request, req_id, date,
                      {"WARC-Target-URI": url, "WARC-Concurrent-To": f"<urn:{resp_id}>",
                       "Content-Type": "application/http; msgtype=request"}, request)
        out += record(WarcRecordType.response, resp_id, date,
                      {"WARC-Target-URI": url, "WARC-IP-Address": f"192.0.2.{i % 250 + 1}",
                       "Content-Type": "application/http; msgtype=response"}, response)
    path.write_bytes(bytes(out))


# --------------------------------------------------------------------------------------------
# broken.jsonl
# --------------------------------------------------------------------------------------------
BROKEN_LINES = [
    json.dumps({"id": "broken-ok-1", "url": f"{SITE}/broken_file_valid/ok-1", "kind": "broken_file_valid",
                "text": "This line is a valid record in a file that also holds broken lines. It should be read "
                        "normally, while the damaged lines around it are reported as unreadable."}),
    "this line is not JSON at all, it is what a log line looks like when it ends up in the wrong file",
    json.dumps(["a", "JSON", "array", "is", "not", "a", "document"]),
    json.dumps({"id": "broken-no-text", "url": f"{SITE}/broken/no-text", "kind": "broken_no_text"}),
    '{"id": "broken-truncated", "text": "This record was cut off in the middle of a sent',
    json.dumps({"id": "broken-ok-2", "url": f"{SITE}/broken_file_valid/ok-2", "kind": "broken_file_valid",
                "text": "A second valid record closes the file, so the reader must keep going after errors."}),
]
#: lines of ``broken.jsonl`` the JSONL reader must report as unreadable
BROKEN_UNREADABLE = 4


# --------------------------------------------------------------------------------------------
def generate(out: Path, seed: int = SEED) -> dict[str, int]:
    """Write the three sample files into ``out``; return record counts by kind."""
    out.mkdir(parents=True, exist_ok=True)
    b = SampleBuilder(seed)
    edu = load_articles("educational_*.md")
    langs = load_articles("languages.md")
    blogs = load_articles("blog.md")
    if not edu or not langs or not blogs:
        raise SystemExit(f"no source text found under {TEXT_DIR}")
    b.rng.shuffle(edu)
    warc_edu, jsonl_edu = edu[:10], edu[10:]
    warc_langs = [[a for a in langs if a.lang == code][-1] for code in ("fr", "de", "ru")]
    jsonl_langs = [a for a in langs if a not in warc_langs]

    build_records(b, jsonl_edu, jsonl_langs, blogs)
    b.rng.shuffle(b.records)
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
        for rec in b.records:
            gz.write((json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8"))
    (out / "web_sample.jsonl.gz").write_bytes(buf.getvalue())

    pages = build_pages(b, warc_edu, jsonl_edu[5:], warc_langs)
    write_warc(out / "pages.warc.gz", b, pages)
    (out / "broken.jsonl").write_text("\n".join(BROKEN_LINES) + "\n", encoding="utf-8")

    counts: dict[str, int] = {}
    for rec in b.records:
        counts[rec["kind"]] = counts.get(rec["kind"], 0) + 1
    counts["_warc_pages"] = len(pages)
    return counts


def main() -> None:
    """Command line: ``--out DIR`` (default: the repository's sample_data/)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "sample_data", help="folder to write (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed (default: %(default)s)")
    args = parser.parse_args()
    counts = generate(args.out, args.seed)
    total = sum(v for k, v in counts.items() if not k.startswith("_"))
    print(f"wrote {args.out}: {total} JSONL records, {counts['_warc_pages']} WARC pages, "
          f"{len(BROKEN_LINES)} lines in broken.jsonl ({BROKEN_UNREADABLE} unreadable)")
    for kind, n in sorted(counts.items()):
        if not kind.startswith("_"):
            print(f"  {kind:<24} {n}")


if __name__ == "__main__":
    main()
