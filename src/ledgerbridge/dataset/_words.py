"""The words a machine shop's records are made of: names, places, parts, services.

Small embedded lists (no Faker): enough variety for thousands of distinct records, and the
spellings an integration has to survive: apostrophes (O'Brien), ampersands (Baker & Sons),
accents (Müller, Núñez, Montréal) and, in sub-customer names, colons (``"Apex: Plant 2"``).
"""

from __future__ import annotations

from typing import Final

#: Family names, for companies and contacts.
SURNAMES: Final = (
    "Anderson", "Baker", "Becker", "Béland", "Brennan", "Castillo", "Chen", "Costa",
    "D'Angelo", "Dvořák", "Eriksen", "Fischer", "Fitzgerald", "Gonçalves", "Göransson",
    "Grant", "Hale", "Hoffmann", "Ibarra", "Jansen", "Keller", "Kowalski", "Larsen",
    "Lefèvre", "MacAllister", "Marchetti", "Meyer", "Morales", "Müller", "Nakamura",
    "Novak", "Núñez", "O'Brien", "O'Connor", "O'Malley", "Olsen", "Patel", "Peña",
    "Petrov", "Quinn", "Reyes", "Richter", "Rossi", "Schmidt", "Sullivan", "Svensson",
    "Tanaka", "Thornton", "Varga", "Vogel", "Walsh", "Weber", "Whitaker", "Yilmaz",
    "Zimmermann", "Åberg",
)  # fmt: skip

#: Given names of contacts.
FIRST_NAMES: Final = (
    "Aaron", "Amelia", "Andrés", "Beth", "Carlos", "Chloé", "Dana", "Darnell", "Elena",
    "Eoin", "François", "Grace", "Hannah", "Hiroshi", "Ines", "Jamal", "Jess", "José",
    "Karen", "Kwame", "Laura", "Liam", "Marco", "María", "Mike", "Nadia", "Noah", "Priya",
    "Rachel", "Renée", "Sam", "Siobhán", "Tom", "Wei", "Yusuf", "Zoë",
)  # fmt: skip

#: Regions for company names ("Great Lakes Hydraulics").
PLACES: Final = (
    "Allegheny", "Bayview", "Blue Ridge", "Cedar Valley", "Coastal", "Granite State",
    "Great Lakes", "Harbor", "Iron Range", "Keystone", "Lakeshore", "Midwest", "Northstar",
    "Ozark", "Pioneer", "Prairie", "Redwood", "Riverside", "Summit", "Tri-County",
)  # fmt: skip

#: What the shop's customers do.
INDUSTRIES: Final = (
    "Aerospace", "Agricultural Equipment", "Automation", "Conveyor Systems", "Defense Systems",
    "Energy Services", "Fluid Power", "Food Equipment", "Hydraulics", "Instruments",
    "Marine", "Medical Devices", "Mining Equipment", "Motorsports", "Oilfield Supply",
    "Optics", "Packaging Systems", "Pump Works", "Rail Services", "Robotics",
    "Semiconductor Equipment", "Tool & Die",
)  # fmt: skip

#: Legal-form endings of company names ("" for none).
COMPANY_SUFFIXES: Final = ("", "", "Inc.", "LLC", "Co.", "Corp.", "Ltd.", "Group")

#: Sites of a customer's sub-customers: ``"<parent>: <site>"``.
SITES: Final = (
    "Plant 2", "West Coast Division", "Service Center", "R&D Lab", "Aftermarket",
    "Tooling Dept.", "Wichita Plant", "Assembly Line 3",
)  # fmt: skip

#: What a vendor supplies, by the role the data set gives it.
VENDOR_KINDS: Final = {
    "material": ("Steel & Alloy", "Metals Supply", "Aluminum Service Center", "Plastics"),
    "hardware": ("Fastener", "Bearing & Transmission", "Industrial Supply"),
    "tooling": ("Tool Supply", "Carbide Tooling", "Abrasives", "Gas & Welding Supply"),
    "processing": ("Anodizing", "Heat Treating", "Plating", "Powder Coating", "Grinding"),
    "service": ("Calibration Services", "Machine Repair", "Compressor Service"),
    "freight": ("Freight Lines", "Express Trucking"),
    "utility": ("Electric Co-op", "Gas & Power"),
}

#: (city, state or province, postal code prefix, country, telephone area code)
CITIES: Final = (
    ("Akron", "OH", "443", "USA", "330"),
    ("Chattanooga", "TN", "374", "USA", "423"),
    ("Cleveland", "OH", "441", "USA", "216"),
    ("Dayton", "OH", "454", "USA", "937"),
    ("Erie", "PA", "165", "USA", "814"),
    ("Fort Wayne", "IN", "468", "USA", "260"),
    ("Grand Rapids", "MI", "495", "USA", "616"),
    ("Greenville", "SC", "296", "USA", "864"),
    ("Hartford", "CT", "061", "USA", "860"),
    ("Houston", "TX", "770", "USA", "713"),
    ("Huntsville", "AL", "358", "USA", "256"),
    ("Milwaukee", "WI", "532", "USA", "414"),
    ("Peoria", "IL", "616", "USA", "309"),
    ("Rockford", "IL", "611", "USA", "815"),
    ("Salt Lake City", "UT", "841", "USA", "801"),
    ("Spokane", "WA", "992", "USA", "509"),
    ("Toledo", "OH", "436", "USA", "419"),
    ("Tulsa", "OK", "741", "USA", "918"),
    ("Wichita", "KS", "672", "USA", "316"),
    ("Worcester", "MA", "016", "USA", "508"),
    ("Montréal", "QC", "H2X", "Canada", "514"),
    ("Trois-Rivières", "QC", "G9A", "Canada", "819"),
)

STREETS: Final = (
    "Industrial Pkwy", "Commerce Dr", "Foundry Rd", "Main St", "Enterprise Ave", "Mill St",
    "Tech Park Blvd", "Airport Rd", "Harbor Way", "Rue Saint-Denis", "Kingsbury Ct",
    "Machinery Row", "River Rd", "Quarry Ln",
)  # fmt: skip

#: Raw stock: (material, SKU code, cost per foot at 1 inch).
MATERIALS: Final = (
    ("Aluminum 6061", "AL6061", "4.10"),
    ("Aluminum 7075", "AL7075", "7.85"),
    ("Steel 1018", "ST1018", "3.20"),
    ("Steel 4140", "ST4140", "5.35"),
    ("Stainless 304", "SS304", "8.90"),
    ("Stainless 316", "SS316", "11.40"),
    ("Brass C360", "BR360", "12.75"),
    ("Bronze 932", "BZ932", "16.20"),
    ("Delrin", "DELRIN", "3.95"),
    ("UHMW", "UHMW", "2.60"),
    ("Titanium Gr5", "TI6AL4V", "48.50"),
    ("Tool steel A2", "A2", "14.30"),
    ("Copper C110", "CU110", "13.60"),
)
FORMS: Final = (("bar", "BAR"), ("round", "RD"), ("hex", "HEX"), ("plate", "PL"), ("tube", "TB"))
#: (size as named, size in inches)
SIZES: Final = (
    ("0.25in", "0.25"), ("0.5in", "0.5"), ("0.75in", "0.75"), ("1in", "1"), ("1.25in", "1.25"),
    ("1.5in", "1.5"), ("2in", "2"), ("3in", "3"), ("4in", "4"),
)  # fmt: skip

#: Purchased hardware: (name pattern, SKU prefix, sizes, unit cost range); costs may go
#: below the cent, as distributors price small parts.
HARDWARE: Final = (
    (
        "Socket head cap screw {}",
        "SHCS",
        ("M4x12", "M5x16", "M6x20", "M8x25", "1/4-20 x 1", "3/8-16 x 1.5"),
        ("0.0825", "0.4150"),
    ),
    ("Hex nut {}", "HN", ("M5", "M6", "M8", "1/4-20", "5/16-18", "3/8-16"), ("0.0310", "0.1250")),
    (
        "Dowel pin {}",
        "DP",
        ("1/8 x 1/2", "3/16 x 3/4", "1/4 x 1", "5mm x 20mm", "6mm x 30mm"),
        ("0.1900", "0.8800"),
    ),
    (
        "Bearing {}-2RS",
        "BRG",
        ("6200", "6201", "6202", "6203", "6204", "6205", "6206"),
        ("2.45", "9.80"),
    ),
    (
        "O-ring {} Buna-N",
        "OR",
        ("-010", "-014", "-112", "-116", "-210", "-214", "-328"),
        ("0.0450", "0.3200"),
    ),
    (
        "Helicoil insert {}",
        "HC",
        ("#8-32", "#10-24", "1/4-20", "5/16-18", "M6x1.0"),
        ("0.2100", "0.9500"),
    ),
    ("Shoulder bolt {}", "SB", ("1/4 x 1", "5/16 x 1.5", "3/8 x 2", "M8x30"), ("1.15", "4.60")),
)
#: Parts the shop makes: (part, part-number prefix, price range).
PARTS: Final = (
    ("Mounting bracket", "MB", ("14.50", "86.00")),
    ("Pump housing", "PH", ("145.00", "860.00")),
    ("Shaft coupler", "SC", ("22.00", "95.00")),
    ("Manifold block", "MF", ("180.00", "1250.00")),
    ("Gear blank", "GB", ("35.00", "210.00")),
    ("Spacer", "SP", ("2.85", "18.00")),
    ("Flange adapter", "FA", ("48.00", "320.00")),
    ("Bushing", "BU", ("6.40", "42.00")),
    ("Valve body", "VB", ("220.00", "1480.00")),
    ("Motor mount", "MM", ("38.00", "175.00")),
    ("Sensor bracket", "SN", ("9.75", "64.00")),
    ("Drive shaft", "DS", ("95.00", "640.00")),
    ("Heat sink", "HS", ("27.00", "190.00")),
    ("Fixture plate", "FP", ("310.00", "2400.00")),
    ("End cap", "EC", ("8.20", "55.00")),
    ("Piston", "PI", ("64.00", "380.00")),
)
#: Tooling and shop supplies bought as non-inventory: (name, SKU code, cost range).
SUPPLIES: Final = (
    (
        "End mill {} 4FL carbide",
        "EM4",
        ("1/8in", "1/4in", "3/8in", "1/2in", "3/4in"),
        ("18.50", "96.00"),
    ),
    ("End mill {} 3FL aluminum", "EM3", ("1/8in", "1/4in", "3/8in", "1/2in"), ("16.00", "72.00")),
    (
        "Drill {} cobalt jobber",
        "DRL",
        ("#7", "#21", "1/8in", "1/4in", "5/16in", "17/64in"),
        ("3.40", "14.90"),
    ),
    (
        "Tap {} spiral point",
        "TAP",
        ("#10-24", "1/4-20", "5/16-18", "M6x1.0", "M8x1.25"),
        ("9.80", "31.00"),
    ),
    (
        "Carbide insert {} (10)",
        "INS",
        ("CNMG 432", "DNMG 431", "TNMG 332", "VBMT 331", "CCMT 32.51"),
        ("64.00", "148.00"),
    ),
    ("Cutting fluid {}", "CF", ("1 gal", "5 gal", "55 gal drum"), ("24.00", "840.00")),
    (
        "Bandsaw blade {}",
        "BSB",
        ("1in x 12ft", "1in x 14ft 6in", "1.25in x 16ft"),
        ("38.00", "112.00"),
    ),
    (
        "Abrasive disc {}",
        "ABR",
        ("4.5in 60 grit (25)", "4.5in 80 grit (25)", "7in 36 grit (10)"),
        ("21.00", "58.00"),
    ),
    ("Nitrile gloves {}", "GLV", ("M (100)", "L (100)", "XL (100)"), ("11.00", "19.50")),
    ("Welding wire {}", "WW", ("ER70S-6 0.035 33 lb", "ER4043 0.030 16 lb"), ("68.00", "145.00")),
)
#: Services the shop sells (and outside processing it buys): (name, category, price, cost).
SERVICES: Final = (
    ("CNC machining hour", "Machining", "95.00", "0"),
    ("CNC lathe hour", "Machining", "88.00", "0"),
    ("5-axis machining hour", "Machining", "145.00", "0"),
    ("Manual mill hour", "Machining", "72.00", "0"),
    ("Manual lathe hour", "Machining", "70.00", "0"),
    ("Wire EDM hour", "Machining", "110.00", "0"),
    ("Surface grinding hour", "Machining", "82.00", "0"),
    ("TIG welding hour", "Machining", "90.00", "0"),
    ("Setup hour", "Machining", "85.00", "0"),
    ("Assembly hour", "Machining", "65.00", "0"),
    ("CAM programming hour", "Engineering", "105.00", "0"),
    ("Engineering hour", "Engineering", "125.00", "0"),
    ("Inspection hour (CMM)", "Engineering", "98.00", "0"),
    ("First article inspection", "Engineering", "275.00", "0"),
    ("Machine repair hour", "Repair", "115.00", "0"),
    ("Field service hour", "Repair", "135.00", "0"),
    ("Anodize Type II - clear", "Outside Processing", "3.80", "2.35"),
    ("Anodize Type II - black", "Outside Processing", "4.20", "2.60"),
    ("Anodize Type III hard coat", "Outside Processing", "7.90", "5.10"),
    ("Heat treat & temper", "Outside Processing", "2.95", "1.85"),
    ("Black oxide", "Outside Processing", "1.60", "0.95"),
    ("Zinc plating", "Outside Processing", "1.45", "0.88"),
    ("Powder coat", "Outside Processing", "6.50", "4.05"),
    ("Passivation", "Outside Processing", "1.90", "1.15"),
)

#: Miscellaneous charges on sales documents: (description, amount range).
SALES_CHARGES: Final = (
    ("Setup charge", ("75.00", "450.00")),
    ("Rush fee", ("50.00", "300.00")),
    ("Freight billed - UPS Ground", ("14.85", "186.40")),
    ("Material certification", ("25.00", "45.00")),
    ("Tooling charge", ("120.00", "900.00")),
)
#: Additional cost lines on purchases: (description, amount range, QBO expense account or
#: None for the tenant's default).
COST_LINES: Final = (
    ("Freight", ("18.00", "240.00"), "Shipping, Freight & Delivery"),
    ("Cutting charge", ("12.50", "65.00"), None),
    ("Small order fee", ("15.00", "35.00"), None),
    ("Hazmat fee", ("22.00", "48.00"), None),
)

#: Project names: "<what> <detail>".
PROJECT_KINDS: Final = (
    "Production run", "Prototype", "Fixture build", "Line retrofit", "Tooling refresh",
    "Maintenance contract", "Pilot lot", "Reverse engineering",
)  # fmt: skip
PROJECT_STAGES: Final = ("Closed - Won", "In production", "Shipped", "Complete")

#: Memos on sales documents ({po}: the customer's PO number, {rev}: a drawing revision).
SALES_MEMOS: Final = (
    "Customer PO {po}", "Per drawing rev {rev} - certs required", "Ship via UPS Ground, PO {po}",
    "Hold for QC sign-off, PO {po}", "Blanket order release {po}",
)  # fmt: skip
PURCHASE_MEMOS: Final = (
    "Please include material certs.", "Ship complete, no partials.",
    "Call before delivery - dock closes 3:30pm.", "Cut to length per attached list.",
)  # fmt: skip
CUSTOMER_NOTES: Final = (
    "Requires material certs with every shipment.", "Tax exempt - resale certificate on file.",
    "Prefers parts bagged and tagged by job.", "Net terms approved by owner.",
    "Receiving closes at 2pm.",
)  # fmt: skip

#: App payment methods and their weights; ``machine_shop_settings`` maps each to QBO's.
PAYMENT_METHODS: Final = (
    ("Check", 45), ("Visa", 20), ("Mastercard", 15), ("Amex", 6), ("Cash", 4),
)  # fmt: skip
#: Payment terms as a new QBO company names them, with their days and weights.
TERMS: Final = (
    ("Net 30", 30, 60), ("Net 15", 15, 15), ("Due on receipt", 0, 15), ("Net 60", 60, 10),
)  # fmt: skip
