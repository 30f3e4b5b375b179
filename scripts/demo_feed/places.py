"""The demo network as data: operators, metro lines, named places and road routes.

Everything here is illustrative. Place coordinates are approximate (within about a kilometre) and
road routes are straight lines between named places, not the streets buses really use. Metro
stations are places too: their code is the station's slug and their position comes from
data/mashhad_metro_stations.csv (source: the "mashhad-metro" app,
github.com/shahriaarrr/mashhad-metro, assets/data/stations.json, GPL-3.0).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Agency:
    """An operator, paid separately by clearing."""

    agency_id: str
    name_fa: str
    name_en: str
    url: str


@dataclass(frozen=True, slots=True)
class Place:
    """A named place (not a metro station) that road routes pass through; approximate position."""

    code: str
    name_fa: str
    name_en: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class MetroLine:
    """A metro line: its ``line`` number in the stations CSV and how it appears in the feed."""

    line: int
    route_id: str
    color: str


@dataclass(frozen=True, slots=True)
class RoadRoute:
    """A BRT or bus route drawn as straight lines through named places (place or station codes)."""

    route_id: str
    agency_id: str
    mode: str  # "brt", "trunk" or "feeder": picks route_type, colour, headways and speeds
    waypoints: tuple[str, ...]


MUNICIPALITY_URL = "https://www.mashhad.ir"
ILLUSTRATIVE_URL = "https://example.org/shahr-demo-feed"

AGENCIES = (
    Agency("MURC", "شرکت بهره برداری قطار شهری مشهد", "Mashhad Urban Railway Operation Company",
           MUNICIPALITY_URL),
    Agency("BRT", "بهره بردار اتوبوس تندرو مشهد", "Mashhad BRT operator", MUNICIPALITY_URL),
    Agency("MBUS", "سازمان اتوبوسرانی مشهد", "Mashhad city bus organisation", MUNICIPALITY_URL),
    Agency("PBUS", "شرکت اتوبوسرانی خصوصی طرف قرارداد (نمونه)",
           "Private contracted bus operator (illustrative)", ILLUSTRATIVE_URL),
)  # fmt: skip

METRO_AGENCY_ID = "MURC"
# Line colours as the source app draws them.
METRO_LINES = (
    MetroLine(1, "M1", "1C5D99"),
    MetroLine(2, "M2", "1F8A5B"),
    MetroLine(3, "M3", "FA9702"),
)

PLACES = (
    Place("haram", "حرم مطهر امام رضا (ع)", "Imam Reza Shrine", 36.2880, 59.6157),
    Place("tollab", "طلاب", "Tollab", 36.2820, 59.6290),
    Place("golshahr", "گلشهر", "Golshahr", 36.2960, 59.6640),
    Place("ahmadabad", "احمدآباد", "Ahmadabad", 36.3005, 59.5775),
    Place("sajad", "بلوار سجاد", "Sajad Boulevard", 36.3215, 59.5675),
    Place("janbaz", "میدان جانباز", "Janbaz Square", 36.3260, 59.5560),
    Place("hashemiyeh", "هاشمیه", "Hashemiyeh", 36.3300, 59.5170),
    Place("elahiyeh", "الهیه", "Elahiyeh", 36.3440, 59.5440),
    Place("ferdowsi_university", "دانشگاه فردوسی", "Ferdowsi University", 36.3075, 59.5310),
    Place("ghasemabad", "قاسم آباد", "Ghasemabad", 36.3400, 59.4950),
    Place("rezashahr", "رضاشهر", "Rezashahr", 36.2780, 59.5480),
    Place("altimur", "التیمور", "Altimur", 36.3330, 59.6430),
    Place("khajeh_rabi", "خواجه ربیع", "Khajeh Rabi", 36.3350, 59.6240),
    Place("seyyedi", "سیدی", "Seyyedi", 36.2620, 59.6480),
)

ROAD_ROUTES = (
    RoadRoute("BRT1", "BRT", "brt", ("ghasemabad", "hashemiyeh", "janbaz", "sajad", "ahmadabad",
              "shariati", "haram", "tollab", "seyyedi", "airport")),
    RoadRoute("BRT2", "BRT", "brt", ("altimur", "khajeh_rabi", "railway", "shohada", "haram",
              "imam_reza_terminal")),
    RoadRoute("T01", "MBUS", "trunk", ("vakilabad", "hashemiyeh", "janbaz", "sajad", "ahmadabad",
              "ghaem", "shariati", "haram")),
    RoadRoute("T02", "MBUS", "trunk", ("elahiyeh", "janbaz", "azadi", "khayyam", "palestine",
              "taleghani", "shariati", "imam_khomeini", "haram")),
    RoadRoute("T03", "MBUS", "trunk", ("tabarsi", "velayat", "nabovvat", "railway", "shohada",
              "haram", "tollab")),
    RoadRoute("T04", "MBUS", "trunk", ("golshahr", "shahid_mofatteh", "railway", "sa_adi",
              "shariati", "alandasht", "kouhsangi", "rezashahr")),
    RoadRoute("T05", "MBUS", "trunk", ("imam_reza_terminal", "kouhsangi", "ferdowsi_university",
              "azadi", "sajad", "elahiyeh")),
    RoadRoute("T06", "MBUS", "trunk", ("khajeh_rabi", "altimur", "tabarsi", "golshahr", "tollab",
              "seyyedi")),
    RoadRoute("T07", "MBUS", "trunk", ("haram", "imam_khomeini", "basij", "hefdah_e_shahrivar",
              "parvin_etesami", "ghadir", "bustan_e_reyhaneh", "airport")),
    RoadRoute("T08", "PBUS", "trunk", ("shahid_fakouri", "shahid_kaveh", "kouhsangi",
              "imam_reza_terminal", "seyyedi")),
    RoadRoute("T09", "PBUS", "trunk", ("elahiyeh", "khajeh_rabi", "altimur", "tabarsi")),
    RoadRoute("T10", "PBUS", "trunk", ("hashemiyeh", "ferdowsi_university", "shahid_fakouri",
              "rezashahr", "imam_reza_terminal")),
    RoadRoute("F01", "MBUS", "feeder", ("vakilabad", "ghasemabad", "sayyad_e_shirazi",
              "hashemiyeh", "kowsar")),
    RoadRoute("F02", "MBUS", "feeder", ("elahiyeh", "hashemiyeh", "park_e_mellat", "azadi")),
    RoadRoute("F03", "MBUS", "feeder", ("golshahr", "nabovvat", "velayat", "tabarsi")),
    RoadRoute("F04", "MBUS", "feeder", ("altimur", "nabovvat", "shahid_mofatteh", "railway")),
    RoadRoute("F05", "MBUS", "feeder", ("seyyedi", "bustan_e_reyhaneh", "ghadir",
              "hefdah_e_shahrivar")),
    RoadRoute("F06", "PBUS", "feeder", ("ferdowsi_university", "shahid_fakouri", "rezashahr",
              "kouhsangi", "alandasht")),
    RoadRoute("F07", "PBUS", "feeder", ("ahmadabad", "sajad", "park_e_mellat",
              "ferdowsi_university")),
    RoadRoute("F08", "PBUS", "feeder", ("imam_reza_terminal", "basij", "imam_khomeini",
              "bab_al_javad", "shohada")),
    RoadRoute("F09", "PBUS", "feeder", ("altimur", "khajeh_rabi", "shohada")),
    RoadRoute("F10", "PBUS", "feeder", ("elahiyeh", "janbaz", "sajad", "khayyam")),
)  # fmt: skip
