"""The words of the demo corpus: game notes, a memo, CSV rows, a scouting report.

Invented for the demo (names are used fictionally); :mod:`make_samples` lays them
out as PDFs, scans, images, CSV and DOCX.
"""

from __future__ import annotations

from datetime import datetime, timezone

FOOTER = "Fictional game notes written for the enrich demo corpus. Names are used fictionally."
CREATED = datetime(2024, 1, 15, 9, 30, tzinfo=timezone.utc)

# --------------------------------------------------------------------------- text

# Each PDF is a list of pages; each page is a list of blocks: ("h", text) heading,
# ("p", text) paragraph, ("img", name) picture. One page per list on purpose, so that
# page-scope co-occurrence sees the names that belong together on the same page.
LAKERS_AT_CELTICS = {
    "file": "lakers-at-celtics-game-notes.pdf",
    "title": "Game Notes: Los Angeles Lakers at Boston Celtics",
    "pages": [
        [
            ("h", "Game Notes: Los Angeles Lakers at Boston Celtics"),
            ("p", "TD Garden, Boston, Massachusetts. Regular season, 2023-24 (fictional notes)."),
            ("img", "court"),
            ("p", "The Los Angeles Lakers open a four-game road trip in Boston against the Boston "
                  "Celtics. LeBron James arrives after a rest day in Los Angeles and is expected to "
                  "start at forward. He will debut a new colourway of his Nike signature shoe, "
                  "which Nike previewed at a small event in Los Angeles on Monday."),
            ("p", "Jayson Tatum leads the Celtics in scoring over the last ten games. Boston has won "
                  "six straight at home, and the TD Garden crowd expects a close finish."),
        ],
        [
            ("h", "Player notes"),
            ("p", "LeBron James: averaging 25.1 points, 7.4 rebounds and 8.0 assists over his last "
                  "five games. The Lakers staff in Los Angeles kept his minutes under 35 in the last "
                  "back-to-back. James has scored at least 20 points in his last nine visits to "
                  "Boston."),
            ("p", "Anthony Davis: probable with a sore ankle. Davis and LeBron James ran the two-man "
                  "game on almost half of the Lakers half-court possessions last week."),
            ("p", "Jayson Tatum: 29 points per game in January. Tatum has been the first option in "
                  "every Boston Celtics late-game set this month."),
            ("p", "Jaylen Brown: back from a two-game absence. Brown and Tatum together have a plus "
                  "11.3 net rating at TD Garden this season."),
        ],
        [
            ("h", "Off the court"),
            ("p", "Nike hosted a youth clinic in Los Angeles before the trip; LeBron James handed out "
                  "shoes to players from three high schools in South Los Angeles."),
            ("p", "In Boston, Adidas runs a shoe drive outside TD Garden on game night, collecting "
                  "used sneakers for community courts in Roxbury and Dorchester."),
            ("p", "Next game: the Lakers travel to New York City to face the New York Knicks at "
                  "Madison Square Garden, then return west to play the Golden State Warriors in "
                  "San Francisco."),
        ],
    ],
}

WARRIORS_VS_LAKERS = {
    "file": "warriors-vs-lakers-game-notes.pdf",
    "title": "Game Notes: Golden State Warriors vs Los Angeles Lakers",
    "pages": [
        [
            ("h", "Game Notes: Golden State Warriors vs Los Angeles Lakers"),
            ("p", "Chase Center, San Francisco, California. Regular season, 2023-24 (fictional notes)."),
            ("p", "Stephen Curry and the Golden State Warriors host LeBron James and the Los Angeles "
                  "Lakers in the second meeting of the season. The Warriors won the first game in Los "
                  "Angeles by four points, with Curry scoring 14 in the fourth quarter."),
            ("p", "Curry wears the newest Under Armour Curry Flow model tonight; Under Armour staff "
                  "set up a display in the Chase Center concourse. LeBron James is listed in his "
                  "Nike signature shoe, as in every game of this road trip."),
        ],
        [
            ("h", "Player notes"),
            ("p", "Stephen Curry: 11 made three-pointers in his last two games at Chase Center. Curry "
                  "has played every home game this season and leads the Golden State Warriors in "
                  "minutes."),
            ("p", "Draymond Green: back in the starting lineup. Green will likely guard LeBron James "
                  "for long stretches, as he did in Los Angeles."),
            ("p", "Klay Thompson: shooting 41 percent from three in San Francisco this month."),
            ("p", "LeBron James: 31 points and 9 assists in the first meeting. The Los Angeles Lakers "
                  "are 3-1 on this trip after wins in Boston and New York City."),
        ],
        [
            ("h", "Community and sponsors"),
            ("p", "Under Armour and the Warriors unveil a refurbished outdoor court in the Bayview "
                  "district of San Francisco on Saturday. Stephen Curry will attend with his "
                  "foundation."),
            ("p", "Nike staff travelling with the Lakers will visit a middle school in Oakland. "
                  "LeBron James recorded a short video message for the students in Los Angeles "
                  "last week."),
            ("p", "Next game: the Warriors visit the Boston Celtics at TD Garden."),
        ],
    ],
}

CELTICS_VS_WARRIORS = {
    "file": "celtics-vs-warriors-game-notes.pdf",
    "title": "Game Notes: Boston Celtics vs Golden State Warriors",
    "pages": [
        [
            ("h", "Game Notes: Boston Celtics vs Golden State Warriors"),
            ("p", "TD Garden, Boston, Massachusetts. Regular season, 2023-24 (fictional notes)."),
            ("p", "The Boston Celtics host Stephen Curry and the Golden State Warriors on the last "
                  "night of their East Coast trip. Jayson Tatum and Jaylen Brown have both been "
                  "cleared to play. The Warriors flew in from San Francisco on Tuesday."),
            ("p", "Curry again wears Under Armour; a group of Under Armour employees from the "
                  "Baltimore headquarters will sit courtside. Tatum has scored 30 or more in each of "
                  "his last three games against Golden State."),
        ],
        [
            ("h", "Coaching notes"),
            ("p", "Boston's staff expects the Warriors to open with the Kestrelwing set: Curry runs "
                  "off two staggered screens on the weak side while Draymond Green holds the ball at "
                  "the elbow. The Kestrelwing look produced eleven open threes in San Francisco last "
                  "month, so Boston will switch every off-ball screen."),
            ("p", "Jayson Tatum will start on Curry in late-game possessions. Jaylen Brown takes "
                  "Klay Thompson. Boston wants the ball in Tatum's hands on every late possession."),
        ],
        [
            ("h", "Around the arena"),
            ("p", "Adidas collects used sneakers outside TD Garden again tonight for community courts "
                  "in Boston. The Celtics shop on Causeway Street has a Jayson Tatum jersey restock."),
            ("p", "Next games: the Celtics fly to Los Angeles to face LeBron James and the Los Angeles "
                  "Lakers; the Warriors return home to San Francisco."),
        ],
    ],
}

SEASON_NOTEBOOK = {
    "file": "season-notebook.pdf",
    "title": "Season Notebook: Stars, Shoes and Cities",
    "pages": [
        [
            ("h", "Season Notebook: Stars, Shoes and Cities"),
            ("p", "A fictional mid-season notebook on three stars, the brands on their feet and the "
                  "cities they play in."),
            ("p", "LeBron James remains the face of Nike basketball in Los Angeles. Nike opened a "
                  "pop-up store on Figueroa Street near Crypto.com Arena, and LeBron James signed "
                  "shoes there before a Los Angeles Lakers home game."),
            ("p", "Stephen Curry and Under Armour continue a long partnership in San Francisco. The "
                  "Golden State Warriors sold out every game at Chase Center, and Curry's Under "
                  "Armour shoes sold out at the arena store twice."),
        ],
        [
            ("h", "Boston"),
            ("p", "Jayson Tatum carries the Boston Celtics, who lead the East. Boston fans line up on "
                  "Causeway Street hours before tip-off, and an Adidas clinic in Boston drew two "
                  "hundred young players last weekend."),
            ("h", "What to watch"),
            ("p", "LeBron James against Jayson Tatum in Boston and in Los Angeles; Stephen Curry "
                  "against the Lakers in San Francisco; and Nike, Under Armour and Adidas each "
                  "planning a spring launch in the three cities."),
        ],
    ],
}

GAME_NOTES = (LAKERS_AT_CELTICS, WARRIORS_VS_LAKERS, CELTICS_VS_WARRIORS, SEASON_NOTEBOOK)

MEMO_LINES = [
    "CONFIDENTIAL  (FICTIONAL DOCUMENT)",
    "",
    "MEMORANDUM FOR THE RECORD                     14 November 1963",
    "",
    "SUBJECT: Meeting with LANTERNFISH contact, Mexico City",
    "",
    "1. On 12 November 1963 the undersigned met Mr. Arthur Penrose",
    "   of the Gulfport Shipping Company at the Hotel Geneve,",
    "   Mexico City. The meeting lasted about forty minutes.",
    "",
    "2. Penrose said that two associates would travel from New",
    "   Orleans to Miami during the week of 18 November. He named",
    "   them only as Walter Haines and a Mr. Delgado.",
    "",
    "3. LANTERNFISH asked that further contact be made through the",
    "   Dallas office. The undersigned agreed to pass the request",
    "   to Mr. Thomas Whitcomb for decision.",
    "",
    "4. No documents were exchanged. A follow-up meeting is",
    "   planned for early December in Mexico City.",
    "",
    "                                   R. E. Calloway",
    "                                   Station Officer",
    "",
    "Distribution: File (2), Whitcomb (1)",
    "",
    "Fictional memo generated for the enrich demo corpus.",
]

CSV_ROWS = [
    ("LeBron James", "Los Angeles Lakers", "Nike", "Los Angeles",
     "Debuts a new Nike colourway in Boston; minutes managed on back-to-backs."),
    ("Anthony Davis", "Los Angeles Lakers", "Nike", "Los Angeles",
     "Probable with a sore ankle; runs the two-man game with LeBron James."),
    ("Stephen Curry", "Golden State Warriors", "Under Armour", "San Francisco",
     "Under Armour display at Chase Center; eleven threes in two home games."),
    ("Klay Thompson", "Golden State Warriors", "Anta", "San Francisco",
     "Shooting 41 percent from three in San Francisco this month."),
    ("Draymond Green", "Golden State Warriors", "Nike", "San Francisco",
     "Expected to guard LeBron James for long stretches."),
    ("Jayson Tatum", "Boston Celtics", "Jordan Brand", "Boston",
     "Thirty or more points in three straight games against Golden State."),
    ("Jaylen Brown", "Boston Celtics", "Adidas", "Boston",
     "Back from a two-game absence; Adidas shoe drive outside TD Garden."),
    ("LeBron James", "Los Angeles Lakers", "Nike", "Los Angeles",
     "Signed shoes at the Nike pop-up on Figueroa Street in Los Angeles."),
]

SCOUTING_REPORT = """\
# Scouting report: Golden State Warriors (fictional)

*Written for the enrich demo corpus. Names are used fictionally; these are not real
scouting notes.*

## Summary

The Golden State Warriors still run their offence through **Stephen Curry**. In San
Francisco the Warriors play faster, and Curry takes more pull-up threes in the first
quarter. Under Armour staff are courtside at most home games at Chase Center.

## Key players

| player | role | note |
|---|---|---|
| Stephen Curry | guard | constant off-ball movement; switch every screen |
| Draymond Green | forward | the passer at the elbow; guards LeBron James in matchups with the Lakers |
| Klay Thompson | guard | catch-and-shoot threat on the weak side |

## Matchups

- Against the **Los Angeles Lakers**, Green guards LeBron James and the Warriors send a
  second defender when James drives from the left wing.
- Against the **Boston Celtics**, Jayson Tatum usually guards Curry late in games; the
  Warriors answer by screening for Curry twice in a row.

## Travel

The Warriors play in Boston and New York City next month, then return to San Francisco
for a five-game home stand.
"""

DOCX_PARAGRAPHS = [
    ("title", "Travel memo: Lakers East Coast trip (fictional)"),
    ("p", "To: Team operations. From: Travel desk. Written for the enrich demo corpus; names are "
          "used fictionally."),
    ("p", "The Los Angeles Lakers leave Los Angeles on Sunday for Boston, then New York City, then "
          "San Francisco. LeBron James and Anthony Davis fly with the team; Nike will ship two "
          "cases of shoes directly to the team hotel in Boston."),
    ("p", "In San Francisco the team stays near Chase Center. The bus leaves for the arena at 4:30 "
          "pm on game day against the Golden State Warriors."),
    ("p", "Please confirm meal counts with the travel desk by Friday."),
]

# ----------------------------------------------------------------------- drawings
