#!/usr/bin/env python3
"""Generate the bundled evaluation suite ``validate/suite/eval_suite_v1.jsonl``.

Deterministic (fixed seed), pure standard library, no network access. Running
it twice produces a byte-identical file.

Two kinds of rows are written:

* ``origin = "handwritten"``: texts written by hand for this project, stored
  below as literals (news, science, biomedical, legal, finance, social media,
  code, addresses, contact details, numbers/dates, multilingual, edge cases).
* ``origin = "template:<name>"``: texts produced by filling sentence templates
  (or small generator functions such as ``long_token`` / ``whitespace_noise``)
  with values from fictional name / organization / place / date / product /
  event / disease / money pools.

All people, companies and products are fictional; any resemblance is
coincidental. Nothing is copied from third-party text.

Usage::

    python scripts/make_eval_suite.py                 # writes the bundled file
    python scripts/make_eval_suite.py --out /tmp/x.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import string
import sys
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from validate.suite import CATEGORIES as SUITE_CATEGORIES  # noqa: E402
from validate.suite import CORE_LABELS  # noqa: E402

SUITE_VERSION = "v1"
SEED = 20240601
MAX_LABELS = 25

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "validate" / "suite" / f"eval_suite_{SUITE_VERSION}.jsonl"

# The suite's vocabulary lives in validate/suite.py; the generator reuses it so the two cannot drift.
CORE = list(CORE_LABELS)
CATEGORIES = list(SUITE_CATEGORIES)

# Long descriptive labels (40+ words, far more than 32 word-pieces) used to
# exercise label truncation in the converted models.
LONG_LABEL_DRUG = (
    "name of any pharmaceutical drug, biologic therapy, vaccine or over the counter "
    "medication that is mentioned anywhere in the text, including brand names, generic "
    "names, chemical names, common abbreviations and the internal development codes that "
    "a manufacturer may use while the product is still being tested in clinical trials"
)
LONG_LABEL_ORG = (
    "any company, corporation, bank, investment fund, university, hospital, charity, "
    "government ministry, regulator, court, sports club or other formally constituted "
    "organization that employs people or holds assets, written in full, as an acronym, "
    "as a stock ticker or as an informal nickname used by journalists and customers"
)
LONG_LABEL_PLACE = (
    "a specific geographic place such as a country, region, province, state, city, town, "
    "village, neighbourhood, street, river, lake, mountain range, island or national park "
    "that could be found on a map, but not an abstract direction like north or a generic "
    "word like downtown or the countryside"
)
LONG_LABEL_MONEY = (
    "an amount of money written with or without a currency symbol or currency code, "
    "including prices, salaries, fines, damages, fees, budgets, share prices, market "
    "values, revenue figures and ranges of amounts, together with words such as million, "
    "billion, crore or lakh that scale the number"
)
LONG_LABELS = [LONG_LABEL_DRUG, LONG_LABEL_ORG, LONG_LABEL_PLACE, LONG_LABEL_MONEY]


def C(*extra: str) -> list[str]:
    """Core labels followed by extra labels."""
    return CORE + list(extra)


# ---------------------------------------------------------------------------
# Handwritten rows: category -> list of (text, labels)
# ---------------------------------------------------------------------------

NEWS_LONG = (
    "Health authorities in the coastal province of Nampula confirmed on Thursday that a "
    "cholera outbreak first detected in late January has now spread to four districts, with "
    "1,870 suspected cases and 23 deaths recorded so far. Provincial health director Dr. "
    "Armando Sitoe said that most infections were linked to two wells on the outskirts of "
    "Nacala that had been contaminated after the floods brought by Cyclone Dineo.\n\n"
    "The Pacific Health Alliance, a non-profit that runs mobile clinics in the region, "
    "said it had flown in 40,000 doses of oral cholera vaccine from its warehouse in "
    "Johannesburg and would begin a vaccination campaign on Monday, 17 February. The "
    "organisation estimates that the first phase of the response will cost about $2.6 "
    "million, of which $900,000 has already been pledged by the Crescent Bank Foundation.\n\n"
    "Local traders say the outbreak has hit business hard. \"People are afraid to buy fish "
    "at the market, so we are throwing away half of what we catch,\" said Fatima Abdala, "
    "who sells dried fish near the port. The municipal council has postponed the annual "
    "Nacala Sea Festival, which usually attracts thousands of visitors in March, and has "
    "banned street food vendors from operating within 500 metres of the affected wells.\n\n"
    "Water engineers from Greenway Energy, which operates a desalination plant in the area, "
    "are installing chlorination units at public taps. The company's regional manager, "
    "Paulo Machava, said the AquaPure 300 filters it was distributing to households could "
    "remove most bacteria but warned that they were not a substitute for boiling water. "
    "Meanwhile, doctors at Nacala General Hospital have set up a separate treatment tent "
    "with 60 beds and are asking for more oral rehydration salts.\n\n"
    "Epidemiologists caution that the rainy season is not over. If the weather service's "
    "forecast of more heavy rain in early March proves correct, they expect the number of "
    "cases to keep rising for at least another three weeks, and they have urged "
    "neighbouring Malawi to step up screening at border crossings."
)

SCIENCE_LONG = (
    "For more than a decade, glaciologists have argued about how quickly meltwater travels "
    "from the surface of the Greenland ice sheet to its bed. A team from the Institute for "
    "Coastal Research in Tromsø now reports that, in at least one catchment, the answer is: "
    "far faster than most models assume.\n\n"
    "Between June 2021 and September 2023, researchers led by Ingrid Solberg and Tomasz "
    "Wiśniewski dropped 214 small sensors, each about the size of a tennis ball, into "
    "moulins on the Sermeq Avannarleq glacier. The devices, a modified version of the "
    "HydroPod 2 logger built by Tessellate Labs, recorded pressure, temperature and "
    "electrical conductivity every ten seconds as they were carried through the ice. Roughly "
    "a third of them were later recovered at the glacier front, some of them after less "
    "than six hours.\n\n"
    "\"We expected days, not hours,\" Solberg said at the European Geosciences Union "
    "General Assembly in Vienna, where the results were presented on 16 April 2024. The "
    "data suggest that a well-connected drainage network forms early in the melt season "
    "and stays open for longer than predicted, which would allow the glacier to slide more "
    "quickly during warm spells.\n\n"
    "The findings matter for sea-level projections. Faster drainage can lubricate the bed "
    "of the glacier, but it can also lower water pressure once channels are established, "
    "which slows the ice down again. Which effect dominates over a whole summer is still "
    "unclear, and the authors caution that one catchment may not be representative of the "
    "entire ice sheet.\n\n"
    "The project was funded by a grant of 2.1 million Norwegian kroner from the Research "
    "Council of Norway and by the Polaris Aerospace foundation, which also supplied "
    "satellite imagery. The team plans to return in 2025 with a new generation of sensors "
    "that can transmit data through the ice by radio rather than waiting to be recovered."
)

LEGAL_LONG = (
    "IN THE HIGH COURT OF JUSTICE\nBUSINESS AND PROPERTY COURTS OF ENGLAND AND WALES\n"
    "COMMERCIAL COURT (KBD)\n\nBetween: ORION FREIGHT HOLDINGS LIMITED (Claimant) and "
    "SABLE & FINCH LOGISTICS LLP (Defendant)\n\nJudgment handed down on 11 October 2023 "
    "by Mr Justice Halloran.\n\n"
    "1. The Claimant, a freight forwarder incorporated in England with its registered office "
    "in Felixstowe, claims damages of £4,750,000 for breach of a warehousing agreement dated "
    "3 May 2019 (the \"Agreement\"). The Defendant operated a bonded warehouse near "
    "Southampton in which the Claimant stored consignments of Helix-9 laboratory sequencers "
    "on behalf of its customer, Meridian Therapeutics plc.\n\n"
    "2. On the night of 14 to 15 February 2021, a fire broke out in the warehouse. It is "
    "common ground that the fire started in an electrical distribution board and that 38 "
    "sequencers, each with an invoice value of approximately £125,000, were destroyed. The "
    "Claimant paid Meridian's claim in full and now seeks to recover that sum, together with "
    "interest and costs, from the Defendant.\n\n"
    "3. The Defendant relies on clause 12.4 of the Agreement, which limits its liability "
    "\"for any loss of or damage to goods, howsoever caused\" to £20 per kilogram. The "
    "Claimant contends that the clause does not satisfy the requirement of reasonableness "
    "under section 11 of the Unfair Contract Terms Act 1977, and in the alternative that the "
    "Defendant's failure to maintain the distribution board amounted to a deliberate "
    "repudiatory breach to which the clause does not apply.\n\n"
    "4. For the reasons set out below, I have concluded that clause 12.4 is reasonable and "
    "binding. Both parties are commercial entities of broadly equal bargaining power, the "
    "limitation was expressly drawn to the Claimant's attention during negotiations in "
    "April 2019, and insurance against the full value of the goods was readily available to "
    "the Claimant at modest cost. The claim therefore succeeds only to the extent of the "
    "contractual limit, which the parties agree amounts to £61,560."
)

SOCIAL_LONG = (
    "ok so long post but I need to vent. booked the Vela e-bike rental through "
    "CityWheels for the Amsterdam trip (paid €145 upfront!!) and when we got to the shop on "
    "Keizersgracht on Saturday they said they had \"no record\" of us. no record. I literally "
    "have the confirmation email lol\n\n"
    "the guy at the counter (Joost, very nice, not his fault) called head office and they "
    "told him the booking system crashed during the King's Day rush and a bunch of "
    "reservations got wiped. they offered us two regular bikes instead which, fine, but the "
    "whole point was that my mum has arthritis and can't do 30km on a normal bike\n\n"
    "anyway we ended up taking the train to Haarlem instead and honestly it was lovely 🌷🚲 "
    "but I still want my money back. emailed support@citywheels.example twice, no reply. "
    "anyone dealt with them before?? is a chargeback the way to go or should I give them a "
    "week\n\n"
    "EDIT: they refunded me this morning (Tuesday) + a €20 voucher. thanks everyone who "
    "commented, and shout out to u/fietsfan88 for the tip about the consumer complaints "
    "board 🙏"
)

HANDWRITTEN: dict[str, list[tuple[str, list[str]]]] = {
    "news": [
        (
            "On Tuesday, Mayor Elena Vasquez of Portland announced that the city had secured "
            "$42 million from the Federal Transit Administration to extend the Green Line to "
            "the airport. Construction is expected to begin in March 2026, she told reporters at "
            "City Hall.",
            C("government agency", "job title"),
        ),
        (
            "Fire crews from three counties spent the weekend battling a wildfire near Bend, "
            "Oregon, that forced the evacuation of roughly 2,000 residents. The Oregon "
            "Department of Forestry said containment reached 60 percent by Sunday evening.",
            ["location", "organization", "date", "quantity", "percentage"],
        ),
        (
            "Striker Kwame Boateng scored twice as FC Halden beat Rosenborg 3-1 at Lerkendal "
            "Stadium on Saturday, lifting his club into third place ahead of the Norwegian Cup "
            "final on 8 December.",
            C("sports team", "venue", "score"),
        ),
        (
            "The coalition government of Prime Minister Annelise Dekker collapsed late Friday "
            "after the Green Progressive Party withdrew its support over a disputed €3.1 billion "
            "farm subsidy package. New elections are expected in the autumn, the Dutch "
            "electoral council said in The Hague.",
            C("political party", "job title", "nationality"),
        ),
        (
            "Quake of magnitude 6.1 strikes off Hokkaido; no tsunami warning issued",
            ["location", "event", "quantity"],
        ),
        (NEWS_LONG, C("job title", "quantity", "natural disaster", "country")),
        (
            "Breaking: Helios Motors recalls 48,000 Zephyr EV sedans over a faulty battery "
            "coolant pump, the company said Thursday.",
            list(CORE),
        ),
        (
            "Three days of talks at the Pacific Trade Forum in Honolulu ended without a deal on "
            "fishing quotas, but delegates from Fiji and Chile agreed to meet again in "
            "Valparaíso in May. \"We are closer than we have ever been,\" said Chilean trade "
            "envoy Camila Reyes.",
            C("country", "job title", "nationality"),
        ),
    ],
    "science": [
        (
            "Researchers at the University of Tromsø have detected unusually high concentrations "
            "of methane (CH4) seeping from the seabed off Svalbard, according to a study "
            "published in Nature Geoscience on 4 May 2023. Lead author Ingrid Solberg said the "
            "measurements were collected by the research vessel Helmer Hanssen.",
            C("chemical compound", "journal", "ship", "university"),
        ),
        (
            "The space telescope observed carbon dioxide in the atmosphere of exoplanet "
            "WASP-39b, a hot gas giant orbiting a star roughly 700 light-years away in the "
            "constellation Virgo.",
            ["chemical compound", "celestial body", "location", "quantity", "product"],
        ),
        (
            "Sodium chloride dissolves readily in water, but silver chloride (AgCl) is almost "
            "insoluble at 25 °C.",
            ["chemical compound", "temperature"],
        ),
        (
            "In 2019, a team led by Dr. Rosa Ibáñez at CERN reported a 3.2-sigma excess near "
            "95 GeV in diphoton events recorded by the CMS detector during Run 2 of the Large "
            "Hadron Collider.",
            C("particle", "measurement", "scientific instrument"),
        ),
        (
            "Field surveys in the Pantanal between 2015 and 2022 counted 1,340 jaguars (Panthera "
            "onca), and biologists from the Onçafari Project linked declines in some areas to "
            "wildfires and to outbreaks of rabies among prey species.",
            C("species", "quantity"),
        ),
        (SCIENCE_LONG, C("university", "scientific instrument", "natural feature", "quantity")),
        (
            "CRISPR-Cas9 editing of the PCSK9 gene lowered LDL cholesterol by 60% in macaques, "
            "researchers at Riverbend University reported at the Keystone Genome Meeting in "
            "Denver on 9 February 2024; the work cost roughly $3.8 million.",
            C("gene", "percentage", "species", "technology"),
        ),
    ],
    "biomedical": [
        (
            "A 58-year-old man presented to St. Brigid's Hospital in Galway with fever, productive "
            "cough and night sweats. Sputum cultures confirmed Mycobacterium tuberculosis, and he "
            "was started on rifampicin, isoniazid, pyrazinamide and ethambutol on 12 January 2024.",
            C("medication", "symptom", "bacterium", "age"),
        ),
        (
            "Mutations in the BRCA1 and BRCA2 genes substantially increase the lifetime risk of "
            "breast and ovarian cancer.",
            ["gene", "disease"],
        ),
        (
            "Phase III results for Cardiolex (velanotide), developed by Meridian Therapeutics, "
            "showed a 21% reduction in hospitalisations for heart failure compared with placebo. "
            "The company plans to file with the European Medicines Agency before the end of 2025 "
            "and estimates peak annual sales of $1.4 billion.",
            C(LONG_LABEL_DRUG, "percentage", "clinical trial phase"),
        ),
        (
            "Pt c/o SOB x3d, hx of COPD & T2DM; SpO2 88% on RA. Started on prednisone 40mg PO "
            "daily + nebulised salbutamol.",
            ["disease", "symptom", "medication", "dosage", "measurement"],
        ),
        (
            "Dengue fever cases in Dhaka rose to 12,400 in August, the Directorate General of "
            "Health Services said, prompting the launch of a city-wide mosquito-control campaign "
            "ahead of the monsoon festival season.",
            list(CORE),
        ),
        (
            "Long-term exposure to fine particulate matter (PM2.5) has been associated with higher "
            "incidence of asthma, chronic obstructive pulmonary disease and Alzheimer's disease "
            "in several large cohort studies.",
            ["disease", "chemical compound", "pollutant"],
        ),
        (
            "Nordlys Pharma's experimental antibody NP-2217 slowed cognitive decline in early "
            "Alzheimer's disease by 27% over 18 months in the LUMEN-2 trial, investigator Dr. "
            "Siobhán Ní Bhriain told the Alzheimer's Association International Conference in "
            "Amsterdam on 29 July 2024. The company's shares rose 9%, adding about €2 billion to "
            "its market value.",
            C("medication", "clinical trial", "percentage", "duration", "job title"),
        ),
    ],
    "legal": [
        (
            "In Harlow v. Brightline Logistics Ltd [2021] EWHC 1187 (Comm), Mrs Justice "
            "Pemberton held that the exclusion clause in the 2017 supply agreement was "
            "unenforceable under the Unfair Contract Terms Act 1977, and awarded the claimant "
            "£2.3 million in damages.",
            C("court case", "law", "judge", "court", "case citation"),
        ),
        (
            "Pursuant to Section 14(b)(ii) of this Agreement, the Licensee shall pay the Licensor "
            "a royalty of 4.5% of Net Sales within thirty (30) days following the end of each "
            "calendar quarter.",
            ["law", "percentage", "date", "contract clause", "organization", "duration"],
        ),
        (
            "The defendant, Marcus Avery Lindell, pleaded not guilty to two counts of wire fraud "
            "under 18 U.S.C. § 1343 before Judge Theresa Okonkwo in the U.S. District Court for "
            "the Southern District of New York on June 2, 2022.",
            C("law", "court", "judge", "criminal charge"),
        ),
        (
            "Article 17 of the General Data Protection Regulation grants data subjects the right "
            "to erasure, often called the 'right to be forgotten'.",
            ["law", "legal concept"],
        ),
        (
            "WHEREAS, Orion Freight Holdings, Inc., a Delaware corporation (the \"Company\"), and "
            "Kestrel Partners LP (the \"Investor\") entered into a Securities Purchase Agreement "
            "dated as of November 1, 2023 (the \"SPA\"); NOW, THEREFORE, the parties agree as "
            "follows:",
            C("contract", "legal entity type", LONG_LABEL_ORG),
        ),
        (LEGAL_LONG, C("court", "judge", "law", "contract clause", "court case", "job title")),
        (
            "The Competition Commission fined Cobalt Ridge Mining R450 million on 5 June for "
            "colluding with two rivals on platinum prices between 2014 and 2018, the largest "
            "penalty in its history.",
            C("government agency", "commodity", "law"),
        ),
    ],
    "finance": [
        (
            "Shares of Northwind Analytics (NASDAQ: NWAN) jumped 14% in after-hours trading on "
            "Wednesday after the company reported third-quarter revenue of $812 million, beating "
            "analyst estimates of $765 million. CEO Priya Raman raised full-year guidance, citing "
            "demand for its StrataDB cloud platform.",
            C("stock ticker", "stock exchange", "percentage", "job title"),
        ),
        (
            "The European Central Bank kept its deposit facility rate unchanged at 3.75% on "
            "Thursday, and policymakers signalled that a cut at the September meeting remained "
            "possible if inflation in the euro area continues to ease toward 2%.",
            ["organization", "percentage", "event", "location", "date"],
        ),
        (
            "EUR/USD 1.0842 ▲0.12% | GBP/USD 1.2710 ▼0.05% | Brent $82.14 | Gold $2,331.60/oz",
            ["currency pair", "money", "percentage", "commodity"],
        ),
        (
            "Bluefin Capital Partners closed its fourth growth fund at $2.75 billion, exceeding "
            "its $2.2 billion target, and will invest in fintech and logistics companies across "
            "Southeast Asia, managing partner Arjun Mehta said in Singapore on 15 April 2024.",
            C("fund", "job title", LONG_LABEL_MONEY),
        ),
        (
            "Dividend: The board declared a quarterly cash dividend of $0.23 per share, payable "
            "on March 15, 2025 to shareholders of record as of February 28, 2025.",
            ["money", "date", "financial instrument"],
        ),
        (
            "Operator: Good morning, and welcome to the Solenne Group fiscal 2024 fourth-quarter "
            "earnings call. Joining us today are chief executive Jean-Luc Moreau and chief "
            "financial officer Aiko Tanabe. Revenue for the quarter was €1.9 billion, and "
            "Jean-Luc will discuss the impact of the Paris Air Show orders on our outlook.",
            C("job title", "fiscal period"),
        ),
        (
            "Crescent Bank (LSE: CRSB) said it would set aside £480 million to cover "
            "compensation claims over mis-sold car loans, pushing it to a first-half loss; the "
            "stock fell 7.3% to 212p by midday in London.",
            C("stock ticker", "stock exchange", "percentage", "financial product"),
        ),
    ],
    "social_media": [
        (
            "omg just got my Lumen Pro headphones from @gadgetbarn and they're INSANE 🔥🔥 noise "
            "cancelling actually works on the L train lol #tech #nyc",
            ["product", "organization", "username", "hashtag", "location", "emoji"],
        ),
        (
            "anyone else stuck at Heathrow rn?? Saffron Air cancelled our flight to Lisbon again 😤 "
            "3rd time this month. @SaffronAirHelp sort it out",
            ["location", "organization", "username", "date", "facility"],
        ),
        (
            "Can't believe Sofia Lindqvist won the Stockholm Half Marathon in 1:09:42!!! absolute "
            "legend 🏃‍♀️🇸🇪 #StockholmHalf",
            C("hashtag", "time", "nationality"),
        ),
        (
            "PSA: flu shots are free at every Greenleaf Pharmacy this week w/ insurance. got mine "
            "yesterday, arm's a bit sore but worth it 💉",
            list(CORE),
        ),
        (
            "ngl the new Kestrel 7 is mid 🤷",
            ["product"],
        ),
        (SOCIAL_LONG, C("email", "username", "emoji", "holiday")),
        (
            "RT @dr_amara: Measles is back in 3 counties. Vaccines are free at @LagosHealth clinics "
            "through Dec 15. Please share 🙏 #VaccinesWork",
            C("username", "hashtag", "quantity"),
        ),
    ],
    "code": [
        (
            "Traceback (most recent call last):\n  File \"/home/dev/app/services/billing.py\", line "
            "212, in charge_customer\n    amount = Decimal(order.total) * rate\nTypeError: "
            "unsupported operand type(s) for *: 'decimal.Decimal' and 'float'",
            ["file path", "function name", "programming language", "error type", "variable name"],
        ),
        (
            "def compute_invoice_total(items: list[LineItem], tax_rate: float = 0.2) -> Decimal:",
            ["function name", "variable name", "data type", "programming language"],
        ),
        (
            "Run `pip install gliner==0.2.13` then `export HF_HOME=/mnt/cache/hf` before calling "
            "`python -m scripts.convert --model urchade/gliner_small-v2.1`.",
            ["software", "version number", "file path", "command", "environment variable"],
        ),
        (
            "SELECT c.customer_id, c.full_name, SUM(o.amount_usd) AS revenue FROM customers c "
            "JOIN orders o ON o.customer_id = c.customer_id WHERE o.created_at >= '2024-01-01' "
            "GROUP BY 1, 2 ORDER BY revenue DESC LIMIT 10;",
            ["programming language", "table name", "column name", "date"],
        ),
        (
            "fix(auth): handle expired JWT in refresh_token() - reported by Dana Whitaker "
            "(ACME-4821); see https://git.example.com/acme/api/pull/977",
            C("function name", "issue id", "url", "software"),
        ),
        (
            "C:\\Users\\mkowalski\\AppData\\Local\\Temp\\setup_v3.4.1_x64.msi",
            ["file path", "person", "version number"],
        ),
        (
            "2024-03-17T08:15:02.331Z ERROR [payment-gateway] orderId=ORD-889213 customer=\"Lena "
            "Fischer\" amount=EUR 149.90 item=\"Orbit 4 smartwatch\" msg=\"card declined by issuer "
            "(Crescent Bank)\"",
            C("timestamp", "service name", "order id"),
        ),
        (
            "const cfg = { apiBase: \"https://api.northwind.io/v2\", retries: 3, timeoutMs: 1500 };\n"
            "export async function fetchPatientRecord(id: string): Promise<PatientRecord> {\n"
            "  return http.get(`${cfg.apiBase}/patients/${id}`);\n}",
            ["programming language", "function name", "url", "variable name", "data type"],
        ),
    ],
    "addresses": [
        (
            "Please ship the replacement AquaPure 300 filter to Hannah Whitfield, Flat 4B, 27 "
            "Marlowe Road, Bristol BS6 5QT, United Kingdom, before 20 September.",
            C("street address", "postal code", "country", "city"),
        ),
        (
            "Dr. Kenji Morimoto\n3-14-2 Higashi-Shinjuku, Shinjuku-ku\nTokyo 160-0022\nJAPAN",
            ["person", "street address", "city", "postal code", "country"],
        ),
        (
            "4410 W. Hollister Ave, Suite 210, Tucson, AZ 85745, USA",
            ["street address", "city", "state", "postal code", "country"],
        ),
        (
            "The venue for the Northern Tech Expo has moved from the exhibition centre to Halle 7, "
            "Karl-Marx-Allee 90, 10243 Berlin; registration remains €95 per day and the opening "
            "keynote by Lars Henriksen of Apex Robotics is still set for 4 June.",
            C("street address", "postal code", "venue", LONG_LABEL_PLACE),
        ),
        (
            "Av. Paulista, 1578 - Bela Vista, São Paulo - SP, 01310-200, Brasil",
            ["street address", "neighborhood", "city", "state", "postal code", "country"],
        ),
        (
            "PO Box 7731, Stn Main, Whitehorse YT Y1A 0A1, Canada",
            ["po box", "city", "province", "postal code", "country"],
        ),
        (
            "Meet me outside the pharmacy on the corner of 5th Ave and E 42nd St at noon, then "
            "we'll walk to Grand Central.",
            ["street address", "location", "time", "facility"],
        ),
    ],
    "contact": [
        (
            "For press enquiries contact Laura Méndez at laura.mendez@helios-biotech.com or +44 20 "
            "7946 0958. High-resolution images from the Helios Open Day are available at "
            "https://press.helios-biotech.com/media-kit-2024.",
            C("email", "phone number", "url"),
        ),
        (
            "support@northwind.io | 1-800-555-0199 | www.northwind.io/help",
            ["email", "phone number", "url", "organization"],
        ),
        (
            "Call me on 07700 900461 after 6pm or WhatsApp +91 98765 43210 - Ravi",
            ["phone number", "person", "time"],
        ),
        (
            "Sign up for the Pacific Trade Forum (Oct 9-11, Honolulu) at "
            "https://ptf2025.example.org/register?ref=newsletter&utm_source=email; early-bird "
            "tickets are $450 until 31 July.",
            C("url"),
        ),
        (
            "Contact: Jonas Berg <jonas.berg@uppsala-kommun.example>, tel. +46 (0)18 727 00 00, "
            "fax +46 18 727 00 01",
            ["person", "email", "phone number", "fax number", "organization"],
        ),
        (
            "BEGIN:VCARD\nVERSION:3.0\nFN:Amara Nwosu\nORG:Kestrel Partners LP\nTEL;TYPE=work:+234 "
            "1 280 7744\nEMAIL:a.nwosu@kestrelpartners.example\nADR:;;12 Adeola Odeku St;Lagos;;"
            "101241;Nigeria\nEND:VCARD",
            ["person", "organization", "phone number", "email", "street address", "city",
             "country", "postal code"],
        ),
        (
            "If you were affected by the Lyme disease cluster at Camp Pinecrest in July, please "
            "email outbreak@dutchess-health.example or call (845) 555-0117; reimbursements of up "
            "to $1,500 are available through the county relief fund.",
            C("email", "phone number"),
        ),
    ],
    "numbers_dates": [
        (
            "The contract runs from 01/04/2023 to 31/03/2026 (dd/mm/yyyy), with a review on "
            "2024-09-30 and a break clause exercisable after 18 months.",
            ["date", "duration", "contract clause"],
        ),
        (
            "Between 1914 and 1918, roughly 9.7 million soldiers died in the First World War.",
            ["date", "quantity", "event"],
        ),
        (
            "Q3 FY2024 revenue: ¥1.27 trillion (+8.4% YoY); operating margin 11.2%; headcount "
            "54,310 as of 30 Sep 2024.",
            ["money", "percentage", "date", "quantity", "fiscal period"],
        ),
        (
            "Meeting moved: Thu 14:30 CET -> Fri 09:00 CET (3rd Nov).",
            ["date", "time"],
        ),
        (
            "3.14159 2.71828 1.41421 6.02214076e23 -273.15 0xFF 1,000,000 1.000.000,00 ½ ¾ 10^-9",
            ["number"],
        ),
        (
            "She was born on the 29th of February, 1996, in Perth, and celebrated her sixth 'real' "
            "birthday at the Leap Year Festival in Anthony, Texas, in 2020, where a slice of cake "
            "cost $2.",
            list(CORE),
        ),
        (
            "From 1 January 2025, the monthly fee rises from $12.99 to $15.49 (a 19.2% increase); "
            "annual plans stay at $129 until 31 March, after which they will cost $149.",
            ["date", "money", "percentage", "duration"],
        ),
    ],
    "multilingual": [
        (
            "Le 14 juillet 2023, la présidente de la région, Hélène Marchand, a inauguré à Lyon le "
            "nouveau centre de recherche de Nordlys Pharma consacré au paludisme, financé à hauteur "
            "de 25 millions d'euros.",
            list(CORE),
        ),
        (
            "Die Bahngesellschaft Südexpress kündigte am Montag an, dass der Schnellzug zwischen "
            "München und Berlin ab Dezember 2025 nur noch vier Stunden brauchen soll; Vorstand "
            "Jürgen Albrecht sprach von einer Investition von 1,2 Milliarden Euro.",
            list(CORE),
        ),
        (
            "El Atlético Ribera venció al Club Sevillano 2-0 en el estadio municipal el sábado, con "
            "goles de Luis Herrera y Javier Núñez.",
            ["persona", "organización", "lugar", "fecha"],
        ),
        (
            "2024年4月1日、あおば自動車は名古屋で新型電気自動車「AX-5」を発表した。価格は450万円からで、"
            "東京モーターフェスでも展示される予定だ。",
            list(CORE),
        ),
        (
            "2023年10月，世界卫生组织在日内瓦宣布，东南亚地区登革热病例激增，张伟博士呼吁各国增加投入，"
            "首批援助资金为3000万美元。",
            list(CORE),
        ),
        (
            "أعلنت مجموعة النخيل القابضة في الرياض يوم الأحد عن استثمار بقيمة 500 مليون دولار في "
            "مراكز البيانات، وقال الرئيس التنفيذي أحمد الخطيب إن المشروع سيُعرض في منتدى الرياض "
            "الاقتصادي.",
            list(CORE),
        ),
        (
            "Meeting w/ 田中さん & Dr. Müller @ Zürich HB 🚆 tmrw 10h - bring the Q2 deck 📊 "
            "(¥/€/$ figures)",
            ["person", "location", "date", "time", "document"],
        ),
        (
            "Москва, 5 марта 2024 года - компания «СеверТех» объявила о запуске сервиса "
            "«Облако-3» в Казахстане; инвестиции составили 1,2 млрд рублей.",
            ["organization", "location", "date", "product", "money"],
        ),
        (
            "서울시는 2025년 5월 서울 국제 마라톤 대회를 개최한다고 밝혔다. 참가비는 5만 원이다.",
            ["location", "event", "date", "organization", "money"],
        ),
        (
            "मुंबई में 12 जून को वर्धन मोटर्स ने अपनी नई इलेक्ट्रिक कार 'वायु' लॉन्च की, जिसकी कीमत 15 लाख "
            "रुपये है।",
            ["location", "date", "organization", "product", "money"],
        ),
        (
            "🇯🇵✈️🇧🇷 Tokyo → São Paulo via Doha, 24h+ 😵‍💫 but worth it for Carnaval 2025 🎉💃 "
            "thanks Saffron Airlines for the upgrade!!",
            C("emoji"),
        ),
        (
            "Η Αθήνα φιλοξένησε τους Ολυμπιακούς Αγώνες το 2004, και ο Γιώργος Παπαδόπουλος "
            "εργάστηκε ως εθελοντής.",
            ["location", "event", "date", "person"],
        ),
        (
            "שלום! הכנס השנתי של חברת אורן טכנולוגיות ייערך בתל אביב ב-12 בנובמבר.",
            ["organization", "location", "date", "event"],
        ),
        (
            "Ngày 3 tháng 5 năm 2024, bác sĩ Nguyễn Thị Lan tại Bệnh viện Bạch Mai (Hà Nội) cảnh "
            "báo về sốt xuất huyết.",
            list(CORE),
        ),
        (
            "2023年10月，世界卫生组织在日内瓦宣布登革热病例激增。",
            ["人名", "组织", "地点", "日期", "疾病"],
        ),
    ],
    "edge": [
        ("Paris", ["location"]),
        ("?!... ;;; --- !!! ((( ))) ¿¡ … «» “”", list(CORE)),
        (
            "state-of-the-art end-to-end Franco-German mother-in-law well-known ex-CEO Jean-Pierre "
            "Dupont-Aignan re-elected co-founder of Saint-Étienne-based Rhône-Alpes Bio-Tech "
            "follow-up 2023-2024 COVID-19",
            C("abbreviation"),
        ),
        (
            "  Maria\t\tOyelaran   joined\n\n\n  Helios   Biotech\ton   3  March   2022.   \n\t "
            "\n The   Zephyr    EV\t\t\tcosts   $41,000 .  ",
            list(CORE),
        ),
        (
            "BREAKING NEWS: APEX ROBOTICS CEO DAVID OKAFOR RESIGNS AFTER $300M LOSS ON TERRABOT "
            "LAUNCH AT CES",
            list(CORE),
        ),
        (
            "met sarah at the northwind office in zurich yesterday she said the strata launch "
            "slipped to june because half the team got covid",
            list(CORE),
        ),
        ("42", ["number", "quantity"]),
        (
            "Person person PERSON organization Organization location date product event disease "
            "money: these are labels, not entities.",
            list(CORE),
        ),
        (
            "Zoe\u0308 Ha\u0308berli\u00a0visited\u200bZu\u0308rich on 5\u00a0May and paid "
            "CHF\u00a0120 for a ticket to the Nordic\u2011Design\u2011Week.",
            list(CORE),
        ),
        (
            "<p><b>Acme Corp</b> hired <a href=\"https://example.com/jane\">Jane Doe</a> on "
            "2021-05-04 to lead the &quot;Nimbus&quot; launch (&euro;2M budget).</p>",
            C("url", "html tag"),
        ),
        (
            "A",
            ["person", "organization", "location"],
        ),
        (
            "Dr. J. R. R. Smith-Jones, Jr., Ph.D., of U.S.A.-based I.B.M.-like Co. Inc. paid "
            "U.S. $1.5 mn on Jan. 3rd.",
            C("abbreviation", "title"),
        ),
    ],
}


# ---------------------------------------------------------------------------
# Value pools for templates (all fictional / generic)
# ---------------------------------------------------------------------------

POOLS: dict[str, list[str]] = {
    "person": [
        "Maria Oyelaran", "Tomasz Wiśniewski", "Aiko Tanabe", "Rahul Venkataraman",
        "Elena Castillo", "James O'Connell", "Fatima Al-Sayed", "Chen Wei", "Lars Henriksen",
        "Amara Nwosu", "Sofia Lindqvist", "David Okafor", "Priya Raman", "Jean-Luc Moreau",
        "Hannah Whitfield", "Kofi Mensah", "Isabela Ferreira", "Mikhail Sokolov", "Grace Kim",
        "Owen Gallagher", "Zoë Haberli", "José Martínez", "Björn Åkesson", "Siobhán Ní Bhriain",
        "Nguyễn Thị Lan", "Chloé Dubois", "Łukasz Nowak", "Oluwaseun Adeyemi", "Ayşe Demir",
        "Rafael Oliveira", "Mei Lin Tan", "Samuel Adjei", "Ingrid Solberg", "Arjun Mehta",
        "Laura Méndez", "Yusuf Karimi", "Camila Reyes", "Henrik Dahl", "Naledi Khumalo",
        "Diego Fuentes",
    ],
    "org": [
        "Helios Biotech", "Northwind Analytics", "Bluefin Capital Partners", "Meridian Therapeutics",
        "Apex Robotics", "Kestrel Partners", "Orion Freight Holdings", "Solenne Group",
        "Greenway Energy", "Lumen Audio", "Harbor City Hospital", "Tessellate Labs",
        "Vantage Mobility", "Cobalt Ridge Mining", "Sable & Finch LLP", "Riverbend University",
        "the Institute for Coastal Research", "the Pacific Health Alliance", "Nordlys Pharma",
        "Quantix Semiconductors", "Atlas Insurance Group", "BrightPath Logistics",
        "Evergreen Foods", "Polaris Aerospace", "Crescent Bank", "Verdant Agritech",
        "Ironclad Security", "the Cascade Water Authority", "Saffron Airlines",
        "the World Health Organization",
    ],
    "loc": [
        "Lagos", "Rotterdam", "São Paulo", "Kyoto", "Nairobi", "Vancouver", "Reykjavík",
        "Montevideo", "Kraków", "Hanoi", "Tromsø", "Marseille", "Adelaide", "Cape Town", "Bogotá",
        "Chennai", "Istanbul", "Denver", "the Rhine valley", "northern Queensland", "Bavaria",
        "Patagonia", "Kenya", "Vietnam", "Portugal", "Manila", "Accra", "Lyon", "Glasgow",
        "Monterrey",
    ],
    "date": [
        "March 3, 2021", "14 July 2019", "Tuesday", "2023-11-05", "12 August 2022",
        "1 October 2020", "May 17", "June 30, 2025", "9 February 2024", "Friday",
        "21 December 2023", "April 4, 2022", "28 September 2025", "New Year's Eve",
        "January 15, 2024", "3 June", "Monday", "11/08/2023", "Sept. 19, 2024", "2 March 2025",
    ],
    "isodate": [
        "2024-03-17", "2023-11-05", "2025-01-31", "2022-08-12", "2024-12-01", "2021-06-30",
        "2025-07-04", "2023-02-28",
    ],
    "year": ["2015", "2016", "2017", "2018", "2019", "2020", "2021", "2022", "2023"],
    "product": [
        "Zephyr EV", "Nimbus X2 drone", "AquaPure 300 filter", "Lumen Pro headphones",
        "Orbit 4 smartwatch", "StrataDB", "Kestrel 7 laptop", "PulseTrack monitor",
        "Helix-9 sequencer", "TerraBot mower", "Quasar Q1 phone", "SolarLeaf panel",
        "Vela e-bike", "CardioSense patch", "Atlas CRM", "FreshBox meal kit", "Nova 12 tablet",
        "Polaris X rocket engine",
    ],
    "event": [
        "Global Climate Summit", "Lisbon Marathon", "Northern Tech Expo", "Pacific Trade Forum",
        "World Health Assembly", "Berlin Film Festival", "Winter Games",
        "International AIDS Conference", "Harvest Music Festival", "Asia Fintech Week",
        "European Robotics Forum", "Cape Town Jazz Festival", "Monsoon Cup regatta",
        "Nordic Design Week", "Copa del Sol final", "Keystone Genome Meeting",
    ],
    "disease": [
        "malaria", "type 2 diabetes", "tuberculosis", "influenza", "dengue fever",
        "Parkinson's disease", "measles", "chronic kidney disease", "cholera", "Lyme disease",
        "asthma", "hepatitis B", "Alzheimer's disease", "sickle cell anaemia", "rabies",
        "COVID-19", "multiple sclerosis", "psoriasis",
    ],
    "money": [
        "$4.2 million", "€750,000", "£12 billion", "¥3.5 billion", "USD 18,000",
        "₹1,200 crore", "€1.8bn", "CHF 2.4 million", "$650,000", "A$85 million",
        "C$1.1 billion", "NGN 250 million", "$27,500", "€3.1 billion", "$310 million",
        "R$ 45 million", "£2.6m", "$1.05 billion",
    ],
    "price": [
        "$99", "£49.99", "€129", "$0.75", "¥98,000", "$1,299", "€19.90", "₹89,999", "CHF 349",
        "A$59", "$15 a month",
    ],
    "shareprice": ["$18", "€24.50", "HK$12.80", "£3.15", "$41", "¥2,150"],
    "instrument": [
        "Aurora deep-field telescope", "Helix-9 sequencer", "SeaProbe 4 buoy",
        "MassLine 700 spectrometer", "CryoScope microscope", "HydroPod 2 logger",
    ],
    "medproduct": [
        "CardioSense patch", "PulseTrack monitor", "GlucoRing sensor", "BreathEasy tracker",
        "NeuroBand headset",
    ],
    "scievent": [
        "Keystone Genome Meeting", "European Geosciences Assembly", "International AIDS Conference",
        "World Health Assembly", "Global Climate Summit", "Pacific Ocean Sciences Meeting",
        "Congress of Tropical Medicine",
    ],
    "pct": ["4.2%", "12 percent", "0.8%", "37%", "21.5%", "3 per cent", "9%", "64%"],
    "num": ["1,240", "86", "12,400", "3,050", "417", "98,000", "27", "5,600"],
    "age": ["7", "34", "46", "58", "63", "71", "82"],
    "award": [
        "Meridian Prize for Public Health", "Golden Compass Award", "Aurora Medal",
        "Keystone Innovation Award", "Blue Planet Fellowship",
    ],
    "taxon": ["tree frog", "orchid", "ground beetle", "gecko", "freshwater crab", "bat"],
    "compound": [
        "perfluorooctanoic acid (PFOA)", "nitrous oxide", "glyphosate", "lithium carbonate",
        "ammonia", "benzene", "sulfur dioxide", "graphene oxide", "caffeine", "methanol",
    ],
    "drug": [
        "velanotide", "trozamab", "Cardiolex", "lumirastat", "Neurovex", "metformin",
        "amoxicillin", "ivermectin", "NP-2217",
    ],
    "gene": ["BRCA1", "APOE", "TP53", "CFTR", "HLA-B27", "LRRK2", "EGFR", "PCSK9"],
    "law": [
        "Clean Water Act", "General Data Protection Regulation", "Consumer Protection Act 2019",
        "Digital Services Act", "Fair Labor Standards Act", "Competition Act 1998",
        "Data Privacy Ordinance of 2021", "Securities Exchange Act",
    ],
    "case": [
        "Harlow v. Brightline Logistics Ltd", "State v. Okafor",
        "Meridian Therapeutics v. Nordlys Pharma",
        "In re Cobalt Ridge Mining Securities Litigation", "Chen v. Crescent Bank",
        "People v. Alvarez", "Verdant Agritech Ltd v. Commissioner of Revenue",
    ],
    "court": [
        "Supreme Court of Canada", "High Court in London",
        "U.S. District Court for the Northern District of California",
        "Federal Court of Australia", "Court of Justice of the European Union",
        "Delhi High Court", "Tokyo District Court", "Kenya Court of Appeal",
    ],
    "exchange": [
        "NASDAQ", "NYSE", "London Stock Exchange", "Euronext Paris", "Tokyo Stock Exchange",
        "Bombay Stock Exchange", "ASX",
    ],
    "handle": [
        "@gadgetbarn", "@lena_codes", "@NorthwindHelp", "@traveling.tomas", "@dr_amara",
        "@kestrel_support", "@foodie_ayse", "@marathon_mei",
    ],
    "hashtag": [
        "#tech", "#StockholmHalf", "#flu", "#fintech", "#ClimateAction", "#travel", "#DevLife",
        "#ad", "#health", "#nofilter", "#MondayMotivation",
    ],
    "path": [
        "/srv/app/billing/invoice.py", "src/components/CheckoutForm.tsx",
        "C:\\Users\\dev\\projects\\etl\\main.go", "~/repos/ner-lite/scripts/convert.py",
        "/var/log/nginx/access.log", "lib/parsers/date_utils.rb", "./config/settings.prod.yaml",
    ],
    "func": [
        "compute_invoice_total", "parseUserProfile", "load_tokenizer", "sendWelcomeEmail",
        "HandleWebhook", "normalize_address", "refresh_token",
    ],
    "lang": ["Python", "TypeScript", "Go", "Rust", "Java", "Ruby", "Kotlin"],
    "version": ["3.11.4", "v18.19.0", "1.22", "2.0.0-rc.1", "17.0.9"],
    "service": ["payment-gateway", "auth-service", "search-api", "notifications", "ledger"],
    "timestamp": [
        "2024-03-17T08:15:02.331Z", "2023-11-05 23:59:59", "2025-01-31T12:00:00+01:00",
        "[17/Mar/2024:08:15:02 +0000]",
    ],
    "cmd": ["python -m etl.run", "./deploy.sh", "npm run export --", "cargo run --release --"],
    "sku": ["SKU-44871", "SKU-10293", "SKU-77310", "SKU-50022"],
    "lineno": ["17", "212", "88", "1041"],
    "time": ["08:30", "9am", "14:45", "6:15 p.m.", "noon", "19:00 CET"],
    "racetime": ["2:07:31", "1:09:42", "4:18.06", "58.3 seconds"],
    "invno": ["2024-0187", "INV-55310", "A-7781", "000912"],
    "qty": ["3", "12", "250", "1"],
    "venue": ["the Harbour Pavilion", "Hall 4", "the Old Tram Depot", "Riverside Arena"],
    "phone": [
        "+44 20 7946 0321", "+1 (415) 555-0142", "1-800-555-0199", "+61 2 5550 1234",
        "+49 30 901820", "+33 1 99 00 12 34", "+81 3-5550-0199", "+91 98765 43210",
        "+234 803 555 0147", "+55 11 5555-0123", "(212) 555-0187", "07700 900461",
    ],
    # multilingual pools
    "date_fr": ["14 juillet 2023", "3 mars 2024", "1er octobre 2022", "22 novembre 2025"],
    "date_es": ["5 de mayo de 2024", "12 de enero de 2023", "30 de septiembre de 2022"],
    "date_de": ["3. März 2024", "17. Oktober 2023", "1. Februar 2025"],
    "date_pt": ["9 de fevereiro de 2024", "22 de agosto de 2023", "1º de março de 2025"],
    "disease_es": ["dengue", "paludismo", "sarampión", "cólera", "tuberculosis"],
    "disease_pt": ["dengue", "malária", "febre amarela", "tuberculose"],
    "person_ja": ["佐藤花子", "田中健一", "鈴木美咲", "高橋翔"],
    "org_ja": ["あおば自動車", "ひかり製薬", "みなと銀行", "さくら電機"],
    "loc_ja": ["東京", "大阪", "札幌", "福岡", "名古屋"],
    "date_ja": ["2024年3月1日", "2025年7月15日", "2023年11月20日"],
    "money_ja": ["450万円", "12億円", "3,800円", "2億5千万円"],
    "event_ja": ["東京モーターフェス", "札幌ウィンターフェア", "関西テックサミット"],
    "person_zh": ["张伟", "李娜", "王芳", "陈明"],
    "org_zh": ["华星科技", "长江医药集团", "海天银行", "青禾农业"],
    "loc_zh": ["上海", "深圳", "成都", "北京", "杭州"],
    "date_zh": ["2023年10月12日", "2024年5月3日", "2025年1月20日"],
    "money_zh": ["5亿元人民币", "3000万美元", "1.2亿元"],
    "event_zh": ["世界人工智能大会", "中国国际医疗器械博览会", "亚洲科技论坛"],
    "disease_zh": ["登革热", "流感", "结核病", "糖尿病"],
    "person_ar": ["محمد العتيبي", "فاطمة الزهراء", "أحمد الخطيب", "ليلى منصور"],
    "org_ar": ["مجموعة النخيل القابضة", "شركة الأفق للتقنية", "بنك الواحة"],
    "loc_ar": ["الرياض", "دبي", "القاهرة", "عمّان", "الدوحة"],
    "date_ar": ["الأحد 12 مارس 2024", "15 يناير 2025", "الخميس 3 أكتوبر 2023"],
    "money_ar": ["500 مليون دولار", "2.3 مليار ريال", "75 مليون درهم"],
    "event_ar": ["منتدى الرياض الاقتصادي", "معرض الخليج للتقنية", "مؤتمر الصحة العربي"],
    "date_ru": ["5 марта 2024 года", "17 октября 2023 года", "1 февраля 2025 года"],
    "loc_ru": ["Москве", "Казани", "Новосибирске", "Екатеринбурге"],
    "org_ru": ["СеверТех", "Волга Фарм", "Уральские Системы"],
    "person_ru": ["Анны Смирновой", "Игоря Петрова", "Дмитрия Волкова"],
    "money_ru": ["1,2 млрд рублей", "300 млн рублей", "45 млн долларов"],
}

# (street, city + postcode, country) tuples kept together so addresses stay coherent.
ADDRESSES = [
    ("27 Marlowe Road", "Bristol BS6 5QT", "United Kingdom"),
    ("Karl-Marx-Allee 90", "10243 Berlin", "Germany"),
    ("4410 W. Hollister Ave, Suite 210", "Tucson, AZ 85745", "United States"),
    ("Rua Augusta 1508", "01304-001 São Paulo - SP", "Brazil"),
    ("12 Adeola Odeku Street, Victoria Island", "Lagos 101241", "Nigeria"),
    ("3-14-2 Higashi-Shinjuku, Shinjuku-ku", "Tokyo 160-0022", "Japan"),
    ("Keizersgracht 321", "1016 EE Amsterdam", "Netherlands"),
    ("88 Queen Street West, Unit 1400", "Toronto, ON M5H 2M5", "Canada"),
    ("Calle de Alcalá 145, 3º izq.", "28009 Madrid", "Spain"),
    ("Level 9, 200 George Street", "Sydney NSW 2000", "Australia"),
    ("Plot 14, Ngong Road", "Nairobi 00100", "Kenya"),
    ("ul. Floriańska 22/4", "31-019 Kraków", "Poland"),
    ("45 Rue de la République", "69002 Lyon", "France"),
    ("Bahnhofstrasse 7", "8001 Zürich", "Switzerland"),
    ("221 MG Road, Ashok Nagar", "Bengaluru 560001", "India"),
]


def _ascii_slug(s: str, sep: str = "") -> str:
    norm = unicodedata.normalize("NFKD", s)
    ascii_only = "".join(ch for ch in norm if not unicodedata.combining(ch))
    ascii_only = ascii_only.replace("ł", "l").replace("Ł", "L").replace("ø", "o")
    words = [
        "".join(ch for ch in w.lower() if ch.isascii() and ch.isalnum())
        for w in ascii_only.replace("&", " ").split()
    ]
    words = [w for w in words if w and w != "the"]
    return sep.join(words)


_SENTENCE_START_THE = re.compile(r"(^|[.!?]\s+|\n)the ")


class Filler:
    """Fills ``str.format``-style templates with pool values using one RNG."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def fill(self, template: str) -> str:
        fields = []
        for _, name, _, _ in string.Formatter().parse(template):
            if name is not None and name not in fields:
                fields.append(name)
        values: dict[str, str] = {}
        used: dict[str, list[str]] = {}
        address = None

        def pick(base: str) -> str:
            pool = POOLS[base]
            taken = used.setdefault(base, [])
            choices = [v for v in pool if v not in taken] or pool
            val = self.rng.choice(choices)
            taken.append(val)
            return val

        def get(name: str) -> str:
            nonlocal address
            if name in values:
                return values[name]
            base = name.rstrip("0123456789")
            if base in ("street", "city_postcode", "country"):
                if address is None:
                    address = self.rng.choice(ADDRESSES)
                val = address[("street", "city_postcode", "country").index(base)]
            elif base == "email":
                first, *rest = _ascii_slug(get("person"), sep=" ").split() or ["info"]
                last = rest[-1] if rest else "team"
                domain = _ascii_slug(get("org"), sep="-")
                style = self.rng.randrange(3)
                local = (f"{first}.{last}", f"{first[0]}{last}", f"{first}_{last[0]}")[style]
                tld = self.rng.choice(["com", "org", "io", "co.uk", "example"])
                val = f"{local}@{domain}.{tld}"
            elif base == "url":
                domain = _ascii_slug(get("org"), sep="")
                tail = self.rng.choice(
                    ["", "/press", "/help/contact", "/events/2025?ref=newsletter",
                     "/recall#faq", "/en-gb/products/"]
                )
                scheme = self.rng.choice(["https://www.", "https://", "www.", "http://"])
                val = f"{scheme}{domain}.com{tail}"
            elif base == "orgbare":
                org = get("org")
                val = org[4:] if org.startswith("the ") else org
            elif base == "orgslug":
                val = _ascii_slug(get("org"), sep="-")
            elif base == "ticker":
                letters = "".join(w[0] for w in _ascii_slug(get("org"), sep=" ").split()).upper()
                extra = _ascii_slug(get("org")).upper()
                val = (letters + extra)[:4]
            elif base == "event_tag":
                val = "#" + _ascii_slug(get("event")).title().replace(" ", "")
            else:
                val = pick(base)
            values[name] = val
            return val

        for f in fields:
            get(f)
        text = template.format(**values)
        # Pool values such as "the Institute for ..." must be capitalised when
        # they start a sentence or a line.
        return _SENTENCE_START_THE.sub(lambda m: m.group(1) + "The ", text)


# ---------------------------------------------------------------------------
# Templates: category -> list of (name, template)
# ---------------------------------------------------------------------------

TEMPLATES: dict[str, list[tuple[str, str]]] = {
    "news": [
        ("news_appointment",
         "{org} has appointed {person} as its new chief executive, the company said in {loc} on "
         "{date}. {person} previously led the launch of the {product} and will receive an annual "
         "package worth {money}."),
        ("news_outbreak",
         "Health officials in {loc} confirmed {num} new cases of {disease} on {date}, and {org} "
         "pledged {money} to expand testing. {person}, who coordinates the response, said the "
         "{event} would go ahead with extra precautions."),
        ("news_event",
         "More than {num} people attended the {event} in {loc} on {date}, where {person} of {org} "
         "unveiled the {product}. Tickets sold for up to {price}."),
        ("news_recall",
         "{org} is recalling the {product} after reports that it could overheat, a spokesperson "
         "told reporters in {loc} on {date}. The recall is expected to cost the company about "
         "{money}, and {person} said refunds would start before the {event}."),
        ("news_strike",
         "Workers at {org}'s plant near {loc} walked out on {date}, demanding a pay rise. Union "
         "leader {person} said the dispute could disrupt deliveries of the {product} ahead of the "
         "{event}, and put the cost of the stoppage at {money} a day."),
        ("news_election",
         "{person} won the mayoral race in {loc} on {date} after a campaign focused on housing and "
         "on the city's response to {disease}. {person2}, the runner-up, conceded shortly after "
         "midnight and pledged to keep working with {org}."),
        ("news_award",
         "{person} received the {award} at the {event} in {loc} on {date} for work at {org} that "
         "includes a {money} programme to fight {disease} with the {product}."),
        ("news_acquisition",
         "{org} agreed to buy {org2} for {money}, the two companies announced on {date}. The deal, "
         "which still needs approval from regulators in {loc}, would bring the {product} under "
         "the same roof, {person} said."),
        ("news_weather",
         "Flooding in {loc} forced the cancellation of the {event} on {date}. {org} said it would "
         "donate {money} to relief efforts, and {person} warned of a rise in {disease} cases."),
    ],
    "science": [
        ("science_study",
         "A study led by {person} at {org}, published on {date}, found that {compound} levels in "
         "rivers near {loc} had doubled since {year}. The work was funded by a {money} grant and "
         "presented at the {scievent}."),
        ("science_telescope",
         "Astronomers using the {instrument} spotted a faint companion around a nearby star, "
         "{person} told the {scievent} in {loc} on {date}. {org} has requested {money} to extend the "
         "mission."),
        ("science_lab",
         "In experiments at {org}'s laboratory in {loc}, {person} and {person2} showed that "
         "{compound} can be produced at room temperature. The team plans to publish full results "
         "by {date} and has applied for {money} to build the {product} prototype."),
        ("science_climate",
         "Sea-surface temperatures off {loc} reached a record high on {date}, according to data "
         "released by {org}. {person} warned that warmer water could help {disease} spread to new "
         "regions."),
        ("science_species",
         "Biologists from {org} described a new species of {taxon} in the forests near {loc}. "
         "{person} said the discovery, announced on {date} at the {scievent}, was made possible by a "
         "{money} field programme."),
        ("science_conference",
         "At the {scievent} on {date}, {person} of {org} presented the {instrument}, an instrument "
         "that measures {compound} concentrations in real time and costs under {price}."),
    ],
    "biomedical": [
        ("bio_trial",
         "{org} reported that its drug {drug} reduced relapse rates in patients with {disease} by "
         "{pct} in a phase II trial. {person}, the principal investigator, presented the data at "
         "the {scievent} in {loc} on {date}."),
        ("bio_case",
         "A {age}-year-old patient was admitted to {org} in {loc} on {date} with symptoms "
         "consistent with {disease}. {person} prescribed {drug} and ordered a genetic panel "
         "including {gene}."),
        ("bio_funding",
         "{org} awarded {money} on {date} to a consortium led by {person} to develop a vaccine "
         "against {disease}. Trials will take place in {loc} using the {medproduct} platform and "
         "will be discussed at the {scievent}."),
        ("bio_gene",
         "Variants in {gene} were associated with a higher risk of {disease} in a cohort of {num} "
         "adults from {loc}, according to {person} of {org}. The findings were published on "
         "{date}."),
        ("bio_outbreak",
         "An outbreak of {disease} at a care home in {loc} has been linked to contaminated food, "
         "{org} said on {date}. {person} said {num} residents were treated with {drug}."),
        ("bio_device",
         "Regulators in {loc} cleared the {medproduct}, a wearable monitor made by {org} that "
         "detects early signs of {disease}. It will cost patients about {price}, becomes available "
         "on {date} and will be demonstrated by {person} at the {scievent}."),
    ],
    "legal": [
        ("legal_ruling",
         "In {case}, the {court} ruled on {date} that {org} had breached the {law}. Judge "
         "{person} ordered the company to pay {money} in damages to {person2}."),
        ("legal_settlement",
         "{org} agreed to a {money} settlement with regulators in {loc} on {date} over claims that "
         "marketing for its {product} understated the risk of {disease}. {person}, counsel for "
         "the plaintiffs, called the deal 'a first step'."),
        ("legal_contract",
         "This Agreement is entered into on {date} between {org}, having its principal office in "
         "{loc}, and {person} (the \"Contractor\"). The Contractor shall deliver the {product} no "
         "later than {date2} for a total fee of {money}, payable in two instalments."),
        ("legal_indictment",
         "Prosecutors in {loc} charged {person}, a former executive at {org}, with fraud under the "
         "{law} on {date}, alleging that {money} was diverted from a fund meant to fight "
         "{disease}."),
        ("legal_hearing",
         "The {court} will hear arguments in {case} on {date}. Lawyers for {org} say the {law} "
         "does not apply to the {product}, while {person} argues that it does."),
        ("legal_ip",
         "{org} filed a patent infringement suit against {org2} in {loc} on {date}, claiming the "
         "{product} copies its design. It seeks {money} and an injunction before the {event}, "
         "according to lead counsel {person}."),
    ],
    "finance": [
        ("fin_earnings",
         "{org} ({exchange}: {ticker}) reported quarterly revenue of {money} on {date}, up {pct} "
         "from a year earlier, driven by sales of the {product}. Chief financial officer {person} "
         "said the company would expand in {loc}."),
        ("fin_ipo",
         "{org} priced its initial public offering at {shareprice} per share on {date} and will begin "
         "trading on the {exchange} under the symbol {ticker}. {person} rang the opening bell in "
         "{loc}."),
        ("fin_bond",
         "{org} sold {money} of ten-year bonds on {date}, according to {person}, head of debt "
         "capital markets at {org2}. Demand was strong ahead of the {event} in {loc}."),
        ("fin_fund",
         "{person}'s fund, {org}, raised {money} to invest in companies fighting {disease}, it said "
         "in {loc} on {date}. The fund has backed the makers of the {product}."),
        ("fin_market",
         "Shares of {org} ({ticker}) fell {pct} on {date} after {person} warned that demand for "
         "the {product} had slowed in {loc}. Analysts at {org2} cut their target to {shareprice}."),
        ("fin_deal",
         "On {date}, {org} completed its {money} purchase of {org2}'s payments unit in {loc}; "
         "{person} will lead the combined business, which plans to present the {product} at the "
         "{event}."),
    ],
    "social_media": [
        ("sm_review",
         "just tried the {product} from {org} and honestly?? worth every penny of {price} 😍 "
         "{hashtag} cc {handle}"),
        ("sm_event",
         "who's going to {event} in {loc} on {date}?? {person} is headlining 🎤🔥 {hashtag}"),
        ("sm_sick",
         "day 3 of {disease} 🤒 doctor says rest + fluids. missing {event} this weekend ugh. "
         "{handle} send soup"),
        ("sm_complaint",
         "{handle} my {product} died after 2 weeks 😡 spent {price} on this. {org} customer "
         "service in {loc} won't even pick up"),
        ("sm_news",
         "BREAKING: {org} just confirmed {person} is leaving 👀 announcement at {event} on {date} "
         "{hashtag}"),
        ("sm_travel",
         "landed in {loc} ✈️ first stop: {event}! met {person} at the airport lol small world "
         "{hashtag} {hashtag2}"),
    ],
    "code": [
        ("code_log",
         "{timestamp} INFO [{service}] user=\"{person}\" org=\"{org}\" action=purchase sku={sku} "
         "product=\"{product}\" amount=\"{price}\" region={loc}"),
        ("code_config",
         "# config for {org} deployment in {loc}\nowner: {person}\nrelease_date: {isodate}\n"
         "budget: \"{money}\"\nentrypoint: {path}\nruntime: {lang} {version}"),
        ("code_function",
         "def {func}(customer_name: str = \"{person}\", city: str = \"{loc}\") -> dict:\n"
         "    \"\"\"Return the {product} quote issued by {org} on {date}.\"\"\"\n"
         "    return {{\"price\": \"{price}\", \"event\": \"{event}\"}}"),
        ("code_issue",
         "Bug: {func}() crashes when the {product} SKU is missing (reported by {person} at {org}, "
         "{date}). Stack trace points to {path}:{lineno}. Affects {lang} {version}."),
        ("code_json",
         "{{\"patient\": \"{person}\", \"diagnosis\": \"{disease}\", \"clinic\": \"{org}\", "
         "\"city\": \"{loc}\", \"visit\": \"{isodate}\", \"charge\": \"{price}\"}}"),
        ("code_sql",
         "INSERT INTO events (name, city, organizer, contact, starts_on, budget) VALUES "
         "('{event}', '{loc}', '{org}', '{person}', '{isodate}', '{money}');"),
        ("code_cli",
         "$ {cmd} --owner \"{person}\" --org {orgslug} --input {path} --since {isodate}"),
    ],
    "addresses": [
        ("addr_letter", "{person}\n{org}\n{street}\n{city_postcode}\n{country}"),
        ("addr_delivery",
         "Your {product} order will be delivered to {street}, {city_postcode}, {country} on "
         "{date}. Total paid: {price}. Questions? Ask {person} at {org}."),
        ("addr_venue",
         "The {event} takes place at {venue}, {street}, {city_postcode}, on {date}. Organiser "
         "{person} of {org} says tickets cost {price}."),
        ("addr_clinic",
         "{org} has opened a screening clinic for {disease} at {street}, {city_postcode}. "
         "Appointments with {person} start on {date}."),
        ("addr_move",
         "Effective {date}, {org} has relocated its headquarters from {loc} to {street}, "
         "{city_postcode}, {country}."),
    ],
    "contact": [
        ("contact_press",
         "Media contact: {person}, {org} - {email} - {phone}. More at {url}."),
        ("contact_event",
         "Register for the {event} in {loc} ({date}) at {url}. Early-bird price {price}. "
         "Questions: {email}."),
        ("contact_signature",
         "Best regards,\n{person}\nHead of Partnerships | {org}\nM: {phone}\nE: {email}\nW: {url}"),
        ("contact_recall",
         "If you own a {product}, stop using it and call {org} on {phone} or visit {url} for a "
         "refund of {price}."),
        ("contact_health",
         "Symptoms of {disease}? Call the {org} hotline at {phone}, email {email}, or book online "
         "at {url}. Clinics in {loc} open {date}."),
    ],
    "numbers_dates": [
        ("nd_schedule",
         "{event} schedule: doors open {time} on {date}; keynote by {person} at {time2}; final "
         "session {isodate}, sponsored by {org}."),
        ("nd_stats",
         "Between {year} and {year2}, {org} recorded {num} cases of {disease} in {loc}, costing "
         "about {money} - a rise of {pct}."),
        ("nd_invoice",
         "Invoice #{invno} issued {isodate} by {org} to {person}: {qty} x {product} @ {price} "
         "each; due {date}."),
        ("nd_timeline",
         "{date}: {org} founded in {loc}. {date2}: launches {product}. {date3}: raises {money}. "
         "{date4}: {person} becomes CEO."),
        ("nd_sports",
         "{person} finished the {event} in {racetime} on {date}, {pct} faster than last year, and "
         "took home {money}."),
    ],
    "multilingual": [
        ("ml_fr",
         "Le {date_fr}, {person} a présenté le {product} à {loc}. {orgbare} a investi {money} dans ce "
         "projet, qui sera dévoilé lors du {event}."),
        ("ml_es",
         "{person}, de {orgbare}, anunció en {loc} el {date_es} una inversión de {money} "
         "para combatir el {disease_es}."),
        ("ml_de",
         "Am {date_de} stellte {orgbare} in {loc} das neue Produkt {product} vor. Geschäftsführer "
         "{person} rechnet mit einem Umsatz von {money}."),
        ("ml_pt",
         "{orgbare} anunciou em {loc}, no dia {date_pt}, um investimento de {money} para combater a "
         "{disease_pt}. {person} liderará o projeto."),
        ("ml_ja",
         "{date_ja}、{org_ja}は{loc_ja}で新製品「{product}」を発表した。価格は{money_ja}で、"
         "{person_ja}社長は{event_ja}でも展示すると述べた。"),
        ("ml_zh",
         "{date_zh}，{org_zh}在{loc_zh}发布了新产品{product}，总投资{money_zh}。{person_zh}表示，"
         "公司还将在{event_zh}上展示用于{disease_zh}筛查的设备。"),
        ("ml_ar",
         "أعلن {person_ar}، الرئيس التنفيذي لـ{org_ar}، في {loc_ar} يوم {date_ar} عن استثمار "
         "بقيمة {money_ar} خلال {event_ar}."),
        ("ml_ru",
         "{date_ru} в {loc_ru} компания «{org_ru}» представила {product}; по словам {person_ru}, "
         "инвестиции составили {money_ru}."),
        ("ml_mixed",
         "{person} ✈️ {loc} → {loc_ja} 🗾 for the {event} ({date}) - {orgbare} × {org_ja} deal worth "
         "{money} 💴🎉 {event_tag}"),
    ],
}

# Category-specific extra labels used when a template row's label set is
# larger than the 8 core types.
CATEGORY_EXTRAS: dict[str, list[str]] = {
    "news": ["job title", "nationality", "political party", "award", "quantity", "government agency"],
    "science": ["chemical compound", "scientific instrument", "species", "university", "measurement",
                "research field"],
    "biomedical": ["medication", "gene", "symptom", "medical procedure", "clinical trial phase", "age",
                   "percentage"],
    "legal": ["court case", "law", "court", "judge", "legal concept", "contract clause"],
    "finance": ["stock ticker", "stock exchange", "percentage", "job title", "financial instrument",
                "currency"],
    "social_media": ["hashtag", "username", "emoji", "slang"],
    "code": ["file path", "function name", "programming language", "version number", "timestamp",
             "command", "variable name", "service name"],
    "addresses": ["street address", "postal code", "city", "country", "venue"],
    "contact": ["email", "url", "phone number", "job title"],
    "numbers_dates": ["time", "quantity", "percentage", "year", "duration", "invoice number"],
    "multilingual": ["language", "nationality", "city", "country"],
    "edge": ["url", "quantity", "acronym"],
}

GENERIC_EXTRAS = [
    "city", "country", "job title", "nationality", "quantity", "percentage", "time", "award",
    "language", "vehicle", "software", "website", "religion", "sports team", "book title",
    "film title", "animal", "food", "color", "weather condition", "building", "natural feature",
    "government agency", "political party", "currency", "university", "medical procedure",
    "symptom", "chemical compound", "species", "law", "court case", "stock ticker", "email",
    "url", "phone number", "programming language", "facility", "ship", "aircraft",
]

# Number of template rows per category (besides the special generators below).
TEMPLATE_ROWS = {
    "news": 12,
    "science": 10,
    "biomedical": 10,
    "legal": 10,
    "finance": 10,
    "social_media": 10,
    "code": 11,
    "addresses": 10,
    "contact": 10,
    "numbers_dates": 10,
    "multilingual": 12,
}

# Categories that also get multi-paragraph "report" rows built from templates.
REPORT_ROWS = {"news": 2, "science": 1, "biomedical": 1, "legal": 1, "finance": 2}


def make_report(filler: Filler, rng: random.Random, category: str) -> str:
    """Multi-paragraph text: 4-5 paragraphs of 3 filled templates each."""
    templates = [t for _, t in TEMPLATES[category]]
    paragraphs = []
    for _ in range(rng.randint(4, 5)):
        chosen = rng.sample(templates, 3)
        paragraphs.append(" ".join(filler.fill(t) for t in chosen))
    return "\n\n".join(paragraphs)


def make_long_document(filler: Filler, rng: random.Random) -> str:
    """A very long (~900+ word) document mixing several categories."""
    cats = ["news", "finance", "biomedical", "science", "legal"]
    paragraphs = []
    while sum(len(p.split()) for p in paragraphs) < 900:
        cat = cats[len(paragraphs) % len(cats)]
        chosen = rng.sample([t for _, t in TEMPLATES[cat]], 3)
        paragraphs.append(" ".join(filler.fill(t) for t in chosen))
    return "\n\n".join(paragraphs)


def make_long_token(rng: random.Random, n_chars: int) -> str:
    """One very long whitespace-free token (hex digest chain)."""
    seed = str(rng.getrandbits(64)).encode()
    out = ""
    while len(out) < n_chars:
        seed = hashlib.sha256(seed).digest()
        out += seed.hex()
    return out[:n_chars]


def whitespace_noise(rng: random.Random, text: str) -> str:
    seps = [" ", "  ", "\t", "\n", " \t ", "\n\n", "   ", "\r\n"]
    words = text.split()
    out = [rng.choice(["", " ", "\n", "\t"])]
    for i, w in enumerate(words):
        out.append(w)
        if i < len(words) - 1:
            out.append(rng.choice(seps))
    out.append(rng.choice(["", "  ", "\n", "\t\n"]))
    return "".join(out)


def edge_template_rows(filler: Filler, rng: random.Random) -> list[tuple[str, str]]:
    """(origin name, text) pairs for generated edge cases."""
    news = [t for _, t in TEMPLATES["news"]]
    rows = []
    rows.append(("caps", filler.fill(rng.choice(news)).upper()))
    text = filler.fill(rng.choice(news)).lower()
    keep = "".join(ch if (ch.isalnum() or ch.isspace()) else " " for ch in text)
    rows.append(("lowercase_nopunct", " ".join(keep.split())))
    rows.append(("whitespace_noise", whitespace_noise(rng, filler.fill(rng.choice(news)))))
    rows.append(("whitespace_noise", whitespace_noise(rng, filler.fill(rng.choice(news)))))
    rows.append(("long_token", make_long_token(rng, 600)))
    rows.append((
        "long_token",
        filler.fill("{person} from {org} uploaded ")
        + make_long_token(rng, 400)
        + filler.fill(" on {date} for the {event}."),
    ))
    rows.append((
        "entity_list",
        filler.fill("{person}, {org}, {loc}, {date}, {product}, {event}, {disease}, {money}"),
    ))
    rows.append(("repeated_entity", " ".join([filler.fill("{loc}")] * 60)))
    rows.append(("long_document", make_long_document(filler, rng)))
    rows.append(("no_space_joined",
                 filler.fill("{person}{org}{loc}{date}{product}").replace(" ", "")))
    return rows


def label_schedule(rng: random.Random, n_rows: int) -> list[int]:
    """Label counts for template rows: every count 1..25 at least once, rest mostly 6..14."""
    counts = list(range(1, MAX_LABELS + 1))
    weights = {6: 2, 7: 3, 8: 10, 9: 8, 10: 7, 11: 6, 12: 5, 13: 4, 14: 3, 16: 2, 18: 2,
               20: 1, 25: 1}
    population = list(weights)
    wts = [weights[k] for k in population]
    while len(counts) < n_rows:
        counts.append(rng.choices(population, weights=wts)[0])
    rng.shuffle(counts)
    return counts


def make_labels(rng: random.Random, category: str, n: int) -> list[str]:
    extras = CATEGORY_EXTRAS.get(category, [])
    if n <= 4:
        return rng.sample(CORE + extras, n)
    if n < len(CORE):
        return rng.sample(CORE, n)
    labels = list(CORE)
    for lab in rng.sample(extras, len(extras)) + rng.sample(GENERIC_EXTRAS, len(GENERIC_EXTRAS)):
        if len(labels) >= n:
            break
        if lab not in labels:
            labels.append(lab)
    if rng.random() < 0.5:
        rng.shuffle(labels)
    return labels


def build_rows() -> list[dict]:
    rng = random.Random(SEED)
    filler = Filler(rng)

    # 1. Generate (category, origin, text) for all template rows, in a fixed order.
    generated: dict[str, list[tuple[str, str]]] = {c: [] for c in CATEGORIES}
    for cat in CATEGORIES:
        if cat in TEMPLATE_ROWS:
            tmpls = TEMPLATES[cat]
            for i in range(TEMPLATE_ROWS[cat]):
                name, tmpl = tmpls[i % len(tmpls)]
                generated[cat].append((f"template:{name}", filler.fill(tmpl)))
        for _ in range(REPORT_ROWS.get(cat, 0)):
            generated[cat].append((f"template:report_{cat}", make_report(filler, rng, cat)))
        if cat == "edge":
            for name, text in edge_template_rows(filler, rng):
                generated[cat].append((f"template:{name}", text))

    # 2. Label sets for template rows.
    n_template = sum(len(v) for v in generated.values())
    schedule = label_schedule(rng, n_template)

    rows: list[dict] = []
    k = 0
    for cat in CATEGORIES:
        idx = 1
        for text, labels in HANDWRITTEN[cat]:
            rows.append({"id": f"{cat}-{idx:03d}", "category": cat, "origin": "handwritten",
                         "text": text, "labels": list(labels)})
            idx += 1
        for origin, text in generated[cat]:
            labels = make_labels(rng, cat, schedule[k])
            k += 1
            rows.append({"id": f"{cat}-{idx:03d}", "category": cat, "origin": origin,
                         "text": text, "labels": labels})
            idx += 1
    _self_check(rows)
    return rows


def _self_check(rows: list[dict]) -> None:
    ids = set()
    for r in rows:
        assert r["id"] not in ids, r["id"]
        ids.add(r["id"])
        labels = r["labels"]
        assert isinstance(r["text"], str) and r["text"], r["id"]
        assert 1 <= len(labels) <= MAX_LABELS, (r["id"], len(labels))
        assert len(set(labels)) == len(labels), (r["id"], labels)
        assert all(isinstance(x, str) and x.strip() for x in labels), r["id"]
        assert "{" not in r["text"] or r["category"] == "code", (r["id"], r["text"])


def render(rows: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output JSONL path")
    args = ap.parse_args(argv)
    rows = build_rows()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(render(rows))
    print(f"wrote {len(rows)} rows to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
