import pytest

from enrich.registry import register
from enrich.testing import factories
from tests.enrich.toy_skills import ALL


@pytest.fixture(autouse=True, scope="session")
def toy_skills():
    for cls in ALL:
        register(cls)


GAME_NOTES = [
    ("notes1.pdf", ["LeBron James scored 30 points for the Los Angeles Lakers in Cleveland. "
                    "He wore new Nike shoes during the game.",
                    "After the game LeBron James thanked Nike and the fans in Cleveland. "
                    "The quixotic comeback surprised everyone."]),
    ("notes2.pdf", ["Stephen Curry led the Golden State Warriors in San Francisco. "
                    "Curry signed with Under Armour years ago."]),
]


@pytest.fixture
def corpus(tmp_path):
    """A small folder: two text PDFs, a markdown file and a CSV."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, pages in GAME_NOTES:
        factories.text_pdf(folder / name, pages)
    (folder / "report.md").write_text(
        "# Scouting report\n\nLeBron James met Nike executives in Los Angeles on Monday.\n")
    factories.csv_file(folder / "players.csv", [
        ("player", "team", "sponsor"),
        ("Jayson Tatum", "Boston Celtics", "Jordan Brand"),
        ("Stephen Curry", "Golden State Warriors", "Under Armour")])
    return folder
