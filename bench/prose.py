"""English prose full of names, for the PDF corpora of ``bench.throughput`` and ``bench.load``.

Sentence templates filled from name lists (people, players, teams, brands, organisations,
places, dates, amounts), so spaCy finds entities on every page and the graph has hubs.
Deterministic for a given ``random.Random``: the same corpus on every machine.
"""

from __future__ import annotations

import random

FIRST = ["Maria", "James", "Aisha", "Daniel", "Sofia", "Wei", "Olivia", "Mateo", "Hannah", "Kwame",
         "Elena", "Rahul", "Grace", "Tomasz", "Leila", "Samuel", "Ingrid", "Diego", "Yuki", "Patrick"]
LAST = ["Okafor", "Lindqvist", "Moreno", "Chen", "Fitzgerald", "Novak", "Haddad", "Brennan", "Ito",
        "Kowalski", "Delgado", "Abernathy", "Mensah", "Petrov", "Castillo", "Whitaker", "Osei", "Larsen"]
FAMOUS = ["LeBron James", "Stephen Curry", "Jayson Tatum", "Anthony Davis", "Jaylen Brown",
          "Draymond Green", "Klay Thompson", "Nikola Jokic", "Giannis Antetokounmpo", "Luka Doncic"]
ORGS = ["Nike", "Adidas", "Under Armour", "the Los Angeles Lakers", "the Boston Celtics",
        "the Golden State Warriors", "the Denver Nuggets", "the Milwaukee Bucks", "Microsoft",
        "the United Nations", "Reuters", "the Red Cross", "Harbor Logistics", "Northwind Traders",
        "Contoso Pharmaceuticals", "the city council", "Bluefin Capital", "the World Bank"]
PLACES = ["Los Angeles", "Boston", "San Francisco", "Denver", "Milwaukee", "Chicago", "New York City",
          "London", "Paris", "Nairobi", "Tokyo", "Mexico City", "Toronto", "Madrid", "Berlin",
          "Lagos", "Seattle", "Miami", "Dallas", "New Orleans"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
TOPICS = ["the new training centre", "a shoe sponsorship", "the regional budget", "the travel schedule",
          "a youth basketball programme", "the stadium lease", "a merger proposal", "the annual report",
          "a community clinic", "the broadcast contract", "the supply agreement", "a charity auction"]

TEMPLATES = [
    "{person} met {person2} in {place} on {day} to discuss {topic}.",
    "According to {org}, {person} will travel to {place} in {month} {year}.",
    "The agreement between {org} and {org2} is worth about ${amount} million.",
    "{person} told reporters in {place} that {topic} was still under review.",
    "On {month} {date}, {org} announced {topic} in {place}.",
    "{famous} scored {num} points as {team} beat {team2} in {place}.",
    "{famous} wore new shoes from {brand} during the game in {place}.",
    "Analysts at {org} expect {topic} to cost {place} more than ${amount} million.",
    "A spokesperson for {org} said {person} had left the company in {year}.",
    "{person} and {person2} both worked for {org} before moving to {place}.",
    "The meeting in {place} lasted {num} minutes and ended without a decision on {topic}.",
    "Fans waited outside the arena in {place} for {famous} on {day} night.",
    "{brand} opened a store in {place} and invited {famous} to sign shoes.",
    "In {year}, {org} moved its headquarters from {place} to {place2}.",
    "{person}, who advises {org}, called {topic} a long-term priority.",
    "The report from {org} mentions {person} {num} times and {place} twice.",
    "Tickets for the game between {team} and {team2} sold out within {num} minutes.",
    "{famous} and {famous2} appeared together at a {brand} event in {place}.",
    "The flight from {place} to {place2} was delayed by {num} minutes on {day}.",
    "{person} signed the contract with {org} in {place} on {month} {date}, {year}.",
    "Officials in {place} said the storm caused about ${amount} million in damage.",
    "The committee chaired by {person} will publish its findings in {month}.",
    "{team} hired {person} as an assistant coach after a season in {place}.",
    "Students from {place} visited {org} and met {person2} during the tour.",
]
TEAMS = ["the Los Angeles Lakers", "the Boston Celtics", "the Golden State Warriors", "the Denver Nuggets",
         "the Milwaukee Bucks", "the Dallas Mavericks", "the Miami Heat", "the New York Knicks"]
BRANDS = ["Nike", "Adidas", "Under Armour", "Puma", "New Balance"]


def person(rng: random.Random) -> str:
    """A made-up first and last name."""
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def sentence(rng: random.Random) -> str:
    """One sentence: a template filled from the name lists (unused fields are ignored)."""
    return rng.choice(TEMPLATES).format(
        person=person(rng), person2=person(rng), famous=rng.choice(FAMOUS), famous2=rng.choice(FAMOUS),
        org=rng.choice(ORGS), org2=rng.choice(ORGS), place=rng.choice(PLACES), place2=rng.choice(PLACES),
        team=rng.choice(TEAMS), team2=rng.choice(TEAMS), brand=rng.choice(BRANDS), topic=rng.choice(TOPICS),
        month=rng.choice(MONTHS), day=rng.choice(DAYS), date=rng.randint(1, 28), year=rng.randint(1990, 2024),
        num=rng.randint(2, 60), amount=rng.randint(2, 900))


def page_paragraphs(rng: random.Random) -> list[str]:
    """250-400 words of prose as paragraphs of 3-7 sentences."""
    target, words, sentences = rng.randint(250, 400), 0, []
    while words < target:
        sentences.append(sentence(rng))
        words += len(sentences[-1].split())
    paragraphs = []
    while sentences:
        take = rng.randint(3, 7)
        paragraphs.append(" ".join(sentences[:take]))
        sentences = sentences[take:]
    return paragraphs
